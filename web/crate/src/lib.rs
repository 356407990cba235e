//! matcalc in the browser: the CLI's commands over a plain WebAssembly
//! interface, with no JavaScript glue generator (no wasm-bindgen: three
//! exported functions and a byte buffer are the whole boundary, and
//! `web/app.js` is its only caller).
//!
//! JavaScript writes a command line (a JSON array of strings, the
//! arguments after `matcalc`, with the problem given by `-e`) into memory
//! from [`mc_alloc`], calls [`mc_run`], and reads the reply, a JSON object
//! `{"stdout", "stderr", "code"}` exactly as the CLI would have printed
//! and exited, from the pointer it returns and [`mc_reply_len`]. A trap (a
//! panic, or the browser's stack exhausted by a deep input) surfaces in
//! JavaScript as an exception; the page then starts a fresh instance.

use std::cell::RefCell;

thread_local! {
    /// The last reply: it lives until the next call, so JavaScript can
    /// read it in place.
    static REPLY: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `len` bytes for JavaScript to write a command line into (freed by
/// [`mc_run`]).
#[no_mangle]
pub extern "C" fn mc_alloc(len: usize) -> *mut u8 {
    let mut v = Vec::<u8>::with_capacity(len.max(1));
    let p = v.as_mut_ptr();
    std::mem::forget(v);
    p
}

/// Run the command line in the `len` bytes at `ptr` (from [`mc_alloc`],
/// which this frees) and return a pointer to the reply.
///
/// # Safety
/// `ptr` and `len` must be exactly what [`mc_alloc`] returned and was
/// given, with `len` bytes written.
#[no_mangle]
pub unsafe extern "C" fn mc_run(ptr: *mut u8, len: usize) -> *const u8 {
    // SAFETY: the caller hands back mc_alloc's buffer of capacity `len`
    // (at least 1) with `len` initialised bytes.
    let bytes = unsafe { Vec::from_raw_parts(ptr, len, len.max(1)) };
    let reply = run(&bytes);
    REPLY.with(|r| {
        let mut r = r.borrow_mut();
        *r = reply.into_bytes();
        r.as_ptr()
    })
}

/// The length in bytes of the last reply.
#[no_mangle]
pub extern "C" fn mc_reply_len() -> usize {
    REPLY.with(|r| r.borrow().len())
}

/// The reply to one command line: as the binary prints and exits.
fn run(bytes: &[u8]) -> String {
    let (stdout, stderr, code) = match serde_json::from_slice::<Vec<String>>(bytes) {
        Ok(args) => matcalc::cli::run_args(args),
        Err(e) => (
            String::new(),
            format!("error[usage error]: the command line is not a JSON list of strings: {e}\n"),
            2,
        ),
    };
    serde_json::json!({"stdout": stdout, "stderr": stderr, "code": code}).to_string()
}

//! Drive every `matcalc` command through the CLI entry point.
//!
//! Input layout: byte 0 selects the command and `--format` (see `COMMANDS`);
//! the rest is the document (UTF-8, lossy). For `grade` the rest is split at
//! the first 0x01 byte into document and `--answer` (no 0x01: answer `x`).
//! A panic anywhere in `run` is a crash; so is an exit code outside {0,1,2},
//! and (for a small fraction of inputs) two runs that differ.
#![no_main]

use clap::Parser;
use libfuzzer_sys::fuzz_target;
use matcalc::cli::{run, Cli};

/// (command, format). `graph` never gets `svg` (that needs Graphviz).
const COMMANDS: &[(&str, &str)] = &[
    ("grad", "latex"),
    ("grad", "text"),
    ("grad", "json"),
    ("grad", "numpy"),
    ("check", "latex"),
    ("check", "json"),
    ("steps", "latex"),
    ("steps", "markdown"),
    ("steps", "text"),
    ("steps", "json"),
    ("graph", "dot"),
    ("graph", "json"),
    ("simplify", "latex"),
    ("simplify", "text"),
    ("simplify", "json"),
    ("simplify", "numpy"),
    ("grade", "latex"),
    ("grade", "json"),
    ("grade", "text"),
];

fn run_on_big_stack(cli: Cli) -> (String, String, i32) {
    std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || run(&cli))
        .expect("spawn worker thread")
        .join()
        // A panic in the engine: re-raise it here so libFuzzer sees a crash.
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let (cmd, fmt) = COMMANDS[sel as usize % COMMANDS.len()];
    let (doc, answer) = if cmd == "grade" {
        match rest.iter().position(|&b| b == 0x01) {
            Some(i) => (
                String::from_utf8_lossy(&rest[..i]).into_owned(),
                Some(String::from_utf8_lossy(&rest[i + 1..]).into_owned()),
            ),
            None => (
                String::from_utf8_lossy(rest).into_owned(),
                Some("x".to_string()),
            ),
        }
    } else {
        (String::from_utf8_lossy(rest).into_owned(), None)
    };
    let mut args: Vec<String> = vec![
        "matcalc".into(),
        cmd.into(),
        "--format".into(),
        fmt.into(),
        "-e".into(),
        doc,
    ];
    if let Some(a) = answer {
        args.push("--answer".into());
        args.push(a);
    }
    let Ok(cli) = Cli::try_parse_from(&args) else {
        return;
    };
    let (out, err, code) = run_on_big_stack(cli);
    assert!(
        matches!(code, 0 | 1 | 2),
        "exit code {code} outside 0..=2\nstdout: {out}\nstderr: {err}"
    );
    // Determinism, on about 1 input in 16 (a cheap hash of the input).
    let h = data
        .iter()
        .fold(0u32, |h, &b| h.wrapping_mul(31).wrapping_add(b as u32));
    if h % 16 == 0 {
        let cli2 = Cli::try_parse_from(&args).expect("parsed once already");
        let again = run_on_big_stack(cli2);
        assert!(
            again == (out.clone(), err.clone(), code),
            "non-deterministic output for {cmd} --format {fmt}\nfirst: {code} {out:?} {err:?}\nsecond: {:?}",
            again
        );
    }
});

//! The `matcalc` binary: parse arguments, run on a large stack, print, exit.

use clap::Parser;
use std::io::Write;

fn main() {
    let cli = matcalc::cli::Cli::parse();
    // A generous stack: parsing and printing recurse on the expression tree
    // (whose depth is bounded by the parser's limits).
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || matcalc::cli::run(&cli));
    let (out, err, code) = match worker.map(|h| h.join()) {
        Ok(Ok(r)) => r,
        _ => (
            String::new(),
            "error[internal error]: matcalc crashed; please report this input\n".to_string(),
            2,
        ),
    };
    let _ = std::io::stdout().write_all(out.as_bytes());
    let _ = std::io::stderr().write_all(err.as_bytes());
    std::process::exit(code);
}

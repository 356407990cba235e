//! The `matcalc` binary: parse arguments, run on a large stack, print, exit.

use clap::Parser;
use std::io::Write;

fn main() {
    let cli = match matcalc::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // With --format json even a refused command line answers in
            // JSON on standard output; clap still explains on standard error.
            if let Some(doc) = matcalc::cli::argument_error_json(&e, std::env::args_os()) {
                let _ = std::io::stdout().write_all(doc.as_bytes());
                let _ = std::io::stdout().flush();
            }
            e.exit()
        }
    };
    let json_out = cli.command.json();
    matcalc::cli::warm_rules(&cli);
    // A generous stack: parsing and printing recurse on the expression tree
    // (whose depth is bounded by the parser's limits).
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || matcalc::cli::run(&cli));
    let (out, err, code) = match worker.map(|h| h.join()) {
        Ok(Ok(r)) => r,
        _ => matcalc::cli::crashed(json_out),
    };
    let _ = std::io::stdout().write_all(out.as_bytes());
    let _ = std::io::stderr().write_all(err.as_bytes());
    std::process::exit(code);
}

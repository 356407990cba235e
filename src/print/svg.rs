//! SVG through Graphviz: the DOT text of a drawing, rendered by the `dot`
//! program (matcalc does not lay out graphs itself).

use crate::core::diagnostic::{Diagnostic, ErrorKind, Result};
use std::io::Write;
use std::process::{Command, Stdio};

/// Render DOT text to SVG with Graphviz's `dot -Tsvg`. Without `dot` on the
/// `PATH` this is an `unsupported` error that says DOT output works without
/// it; `dot` failing is an internal error carrying its message.
pub fn render(dot: &str) -> Result<String> {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|_| {
            Diagnostic::new(
                ErrorKind::Unsupported,
                "--format svg needs Graphviz's `dot`, which is not installed (the DOT output works without it)",
            )
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(dot.as_bytes())
            .map_err(|e| Diagnostic::new(ErrorKind::Internal, format!("writing to dot: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Diagnostic::new(ErrorKind::Internal, format!("running dot: {e}")))?;
    if !out.status.success() {
        return Err(Diagnostic::new(
            ErrorKind::Internal,
            format!("dot failed: {}", String::from_utf8_lossy(&out.stderr)),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

//! Stage 6: printing graph nodes as LaTeX, Unicode text, NumPy and DOT.

pub mod latex;
pub mod numpy;

pub use latex::{to_latex, to_text, Style, TransposeStyle};

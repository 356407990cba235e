//! Stage 6: printing graph nodes as LaTeX, Unicode text and NumPy; the JSON
//! documents of the command line; SVG through Graphviz.

pub mod dot;
pub mod json;
pub mod latex;
pub mod numpy;
pub mod svg;
pub mod tokens;

pub use latex::{answer_latex, answer_text, to_latex, to_latex_sized, to_text, TransposeStyle};

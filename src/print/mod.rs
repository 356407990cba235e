//! Stage 6: printing graph nodes as LaTeX, Unicode text, NumPy and DOT.

pub mod latex;
pub mod numpy;
pub mod tokens;

pub use latex::{
    answer_latex, answer_text, named_adjoints, to_latex, to_text, Style, TransposeStyle,
};

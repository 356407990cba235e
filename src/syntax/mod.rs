//! Stage 1: text → spanned syntax tree.

pub mod ast;
pub mod parse;

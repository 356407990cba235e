//! Stage 1: text → spanned syntax tree.

pub mod ast;
mod bounds;
pub mod parse;

//! Floor 1: the vocabulary every stage shares. Spans and diagnostics, names
//! and their spellings, shapes and their rules, the operators.

pub mod cookbook;
pub mod diagnostic;
pub mod limits;
pub mod name;
pub mod op;
pub mod shape;
pub mod span;

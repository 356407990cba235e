//! matcalc: symbolic matrix calculus.
pub mod diagnostic;
pub mod diff;
pub mod ir;
pub mod numeric;
pub mod print;
pub mod problem;
pub mod shape;
pub mod syntax;
pub use problem::{Answer, Kind, Problem, Question};
pub mod cli;

//! matcalc: symbolic matrix calculus.
pub mod diagnostic;
pub mod syntax;
pub mod shape;
pub mod ir;
pub mod diff;
pub mod numeric;
pub mod print;
pub mod problem;
pub use problem::{Answer, Kind, Problem, Question};
pub mod cli;

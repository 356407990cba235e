//! matcalc: symbolic matrix calculus for LaTeX losses.
//!
//! Parse a problem, derive its gradients by reverse-mode accumulation, print
//! them as a textbook would, and prove them with finite differences.
//!
//! ```
//! let mut p = matcalc::Problem::new("x \\in \\mathbb{R}^{n}\nf = x^T x\n\\nabla_x f").unwrap();
//! let a = p.answers().unwrap();
//! assert_eq!(p.latex(&a[0], Default::default()), "2 x");
//! ```
//!
//! # Source layout
//!
//! One module per stage; each reads the one before it and nothing after it.
//!
//! - [`syntax`]: `grammar/matcalc.pest` → spanned AST ([`syntax::ast`]).
//! - [`shape`]: names and shapes → typed tree.
//! - [`ir`]: the hash-consed, canonical expression graph.
//! - [`diff`]: reverse-mode differentiation, one rule per operator.
//! - [`numeric`]: evaluation, random instances, finite differences.
//! - [`print`](mod@print): LaTeX, text, NumPy, the JSON documents, SVG.
//! - [`problem`]: the pipeline as a library; [`cli`]: the command line
//!   (its contract is `docs/INTERFACE.md`; the language, `docs/LANGUAGE.md`).
//! - [`diagnostic`]: the one error type every stage returns.

pub mod check;
pub mod cli;
pub mod core;
pub mod diff;
pub mod ir;
pub mod numeric;
pub mod print;
pub mod problem;
pub mod simplify;
pub mod syntax;
pub mod teach;

pub use crate::core::diagnostic::{Diagnostic, ErrorKind};
pub use problem::{Answer, Kind, Problem, Question};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

#![warn(missing_docs)]
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
//! Floors, each reading only those below it (`core` is the ground floor):
//!
//! - [`core`]: spans, diagnostics, names and spellings, shapes and every
//!   shape rule, one [`core::op::Op`] with its spellings and citations.
//! - [`syntax`]: `grammar/matcalc.pest` → spanned AST ([`syntax::ast`]).
//! - [`check`]: names and shapes → typed tree (unify, checker, lenient).
//! - [`ir`]: the hash-consed graph: storage, canonical form, folding, lowering.
//! - [`diff`]: reverse-mode differentiation; `rules`, one arm per operator.
//! - [`simplify`]: egg: language, analysis, rule groups with citations.
//! - [`numeric`]: the independent oracle, evaluation, instances, finite differences.
//! - [`print`](mod@print): LaTeX, text, NumPy, tokens, the JSON documents, SVG.
//! - [`teach`]: grading, step-by-step derivations, the computational graph.
//! - [`problem`]: the pipeline as a library; [`cli`]: the command line
//!   (its contract is `docs/INTERFACE.md`; the language, `docs/LANGUAGE.md`).

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

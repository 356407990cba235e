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
//! - `core`: spans, diagnostics, names and spellings, shapes and every
//!   shape rule, one `Op` with its spellings and citations.
//! - `syntax`: `grammar/matcalc.pest` → spanned AST.
//! - `check`: names and shapes → typed tree (unify, checker, lenient).
//! - `ir`: the hash-consed graph: storage, canonical form, folding, lowering.
//! - `diff`: reverse-mode differentiation; `rules`, one arm per operator.
//! - `simplify`: egg: language, analysis, rule groups with citations.
//! - `numeric`: the independent oracle, evaluation, instances, finite differences.
//! - `print`: LaTeX, text, NumPy, tokens, the JSON documents, SVG.
//! - `teach`: grading, step-by-step derivations, the computational graph.
//! - `problem`: the pipeline as a library ([`Problem`]); [`cli`]: the command
//!   line (its contract is `docs/INTERFACE.md`; the language, `docs/LANGUAGE.md`).
//!
//! The modules are private; the public API is what this page lists:
//! [`Problem`] and its answers, [`grade`], a class's [`gradebook`], [`steps`], [`graph`], the
//! [`numpy`] generator, the operator tables [`Op`] and [`Func`], the
//! [`oracle`], the [`limits`] and the [`cli`].

mod check;
pub mod cli;
mod core;
mod diff;
mod ir;
mod numeric;
mod print;
mod problem;
mod simplify;
mod syntax;
mod teach;

pub use crate::core::diagnostic::{Diagnostic, ErrorKind, Result};
pub use crate::core::op::{Func, Op};
pub use crate::core::shape::{Dim, Shape};
pub use crate::core::span::Span;
pub use crate::numeric::fd::CheckResult;
pub use crate::print::{numpy, TransposeStyle};
pub use crate::syntax::ast::{Name, QueryOrder};
pub use crate::teach::grade::{grade, grade_answer, Judgement, Method, Verdict};
pub use crate::teach::gradebook;
pub use crate::teach::graph::{graph, GraphView};
pub use crate::teach::render::StepsFormat;
pub use crate::teach::steps::{steps, FunctionSteps, Steps};

/// The parts of a derivation: its graph's nodes and each node's adjoint.
pub mod derivation {
    pub use crate::teach::backward::{Adjoint, StepNode, Term};
    pub use crate::teach::steps::{Line, PathStep};
}
pub use problem::{Answer, Kind, Problem, Question};

/// The independent numeric oracle: evaluation of a graph node or of the
/// checked syntax tree on a random instance, which tests and the
/// differential tester compare against.
pub mod oracle {
    pub use crate::numeric::eval::eval;
    pub use crate::numeric::fd::valid_instance;
    pub use crate::numeric::instance::{Instance, Mode};
    pub use crate::numeric::oracle::Oracle;
}

/// The Matrix Cookbook equations matcalc cites (November 2012 edition).
pub mod cookbook {
    pub use crate::core::cookbook::{equation, EQUATIONS};
}

/// The size limits every run is held to (bytes, nesting, tree depth, graph
/// and e-graph nodes, constant digits, matrix entries, numeric work),
/// adjustable per run with [`limits::with`] (the CLI's `--limit
/// NAME=VALUE`); a hit limit is an error that names it. The parser's step
/// budget per byte, which only stops pathological backtracking, is fixed.
pub mod limits {
    pub use crate::core::limits::{current, names, with, Limits};
    pub use crate::syntax::parse::{PARSER_CALLS_BASE, PARSER_CALLS_PER_BYTE};
}

/// Engine internals that the project's own tests reach into (the graph,
/// the typed context, the simplifier's equality proof). Not a stable API.
#[doc(hidden)]
pub mod internals {
    pub use crate::check::{TExpr, Typed};
    pub use crate::ir::{Graph, Id};
    pub use crate::print::to_latex;
    pub use crate::print::tokens::token_count;
    pub use crate::simplify::{provably_equal, Limits};
    pub use crate::syntax::parse::parse_expression;
}

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

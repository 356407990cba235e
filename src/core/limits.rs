//! Every size limit in one place, adjustable per run: the CLI's
//! `--limit NAME=VALUE` and the library's [`with`]. Limits are in input
//! size (bytes, nodes, entries, digits, operations), never in time; a hit
//! limit is an error that names it, and its name here is the one to raise.

use std::cell::Cell;

/// The limits of one run. [`Limits::default`] is what the CLI uses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// `input`: largest document or answer, in bytes.
    pub input: usize,
    /// `nesting`: deepest bracket nesting.
    pub nesting: usize,
    /// `commands`: most LaTeX commands in one document.
    pub commands: usize,
    /// `depth`: deepest expression tree after parsing.
    pub depth: usize,
    /// `graph-nodes`: largest expression graph.
    pub graph_nodes: usize,
    /// `digits`: longest exact constant, in decimal digits.
    pub digits: usize,
    /// `egraph-nodes`: largest e-graph of one simplification.
    pub egraph_nodes: usize,
    /// `egraph-iterations`: most rewrite iterations of one simplification.
    pub egraph_iterations: usize,
    /// `entries`: largest matrix a numeric check evaluates.
    pub entries: usize,
    /// `work`: most floating-point operations of one numeric evaluation.
    pub work: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            input: 1024 * 1024,
            nesting: 64,
            commands: 65_536,
            depth: 10_000,
            graph_nodes: 200_000,
            digits: 1000,
            egraph_nodes: 20_000,
            egraph_iterations: 8,
            entries: 1 << 20,
            work: 1e10,
        }
    }
}

/// Each limit's `--limit` name, what it bounds, and its field (`work`, the
/// one count kept as a float, is stored through [`Limits::set`]).
type Field = fn(&mut Limits) -> &mut usize;
const FIELDS: [(&str, &str, Option<Field>); 10] = [
    (
        "input",
        "bytes of a document or answer",
        Some(|l| &mut l.input),
    ),
    ("nesting", "bracket nesting depth", Some(|l| &mut l.nesting)),
    (
        "commands",
        "LaTeX commands in a document",
        Some(|l| &mut l.commands),
    ),
    ("depth", "expression tree depth", Some(|l| &mut l.depth)),
    (
        "graph-nodes",
        "nodes of the expression graph",
        Some(|l| &mut l.graph_nodes),
    ),
    (
        "digits",
        "decimal digits of an exact constant",
        Some(|l| &mut l.digits),
    ),
    (
        "egraph-nodes",
        "e-nodes of one simplification",
        Some(|l| &mut l.egraph_nodes),
    ),
    (
        "egraph-iterations",
        "rewrite iterations of one simplification",
        Some(|l| &mut l.egraph_iterations),
    ),
    (
        "entries",
        "entries of a matrix evaluated numerically",
        Some(|l| &mut l.entries),
    ),
    (
        "work",
        "floating-point operations of one numeric evaluation",
        None,
    ),
];

/// The names `--limit` takes, with what each bounds.
pub fn names() -> impl Iterator<Item = (&'static str, &'static str)> {
    FIELDS.iter().map(|(n, what, _)| (*n, *what))
}

impl Limits {
    /// Set the limit `name` (one of [`names`]) from its text.
    ///
    /// ```
    /// let mut l = matcalc::limits::Limits::default();
    /// l.set("work", "1e12").unwrap();
    /// l.set("depth", "20000").unwrap();
    /// assert_eq!(l.depth, 20000);
    /// assert!(l.set("speed", "1").is_err());
    /// ```
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let Some((_, _, field)) = FIELDS.iter().find(|(n, _, _)| *n == name) else {
            let all: Vec<&str> = names().map(|(n, _)| n).collect();
            return Err(format!(
                "no limit is named {name:?}; the limits are {}",
                all.join(", ")
            ));
        };
        let count = match value.trim().parse::<f64>() {
            Ok(v) if v >= 1.0 && v.fract() == 0.0 && v <= usize::MAX as f64 => v,
            _ => {
                return Err(format!(
                    "the limit {name} must be a whole number of at least 1, not {value:?}"
                ))
            }
        };
        match field {
            Some(f) => *f(self) = count as usize,
            None => self.work = count,
        }
        Ok(())
    }

    /// Read `NAME=VALUE` (the CLI's `--limit`).
    pub fn set_assignment(&mut self, assignment: &str) -> Result<(), String> {
        let (name, value) = assignment
            .split_once('=')
            .ok_or_else(|| format!("--limit takes NAME=VALUE, not {assignment:?}"))?;
        self.set(name.trim(), value)
    }

    /// Bits of the longest exact constant (numerator or denominator).
    pub(crate) fn constant_bits(&self) -> u64 {
        (self.digits as f64 * std::f64::consts::LOG2_10).ceil() as u64
    }
}

/// The limit error for `name` (one of [`names`]): `message`, and a note on
/// how to raise it.
pub fn hit(name: &str, message: impl Into<String>) -> crate::core::diagnostic::Diagnostic {
    crate::core::diagnostic::Diagnostic::new(crate::core::diagnostic::ErrorKind::Limit, message)
        .note(format!(
            "the limit is `{name}`; raise it with --limit {name}=VALUE"
        ))
}

thread_local! {
    static CURRENT: Cell<Limits> = Cell::new(Limits::default());
}

/// The limits in force on this thread.
pub fn current() -> Limits {
    CURRENT.with(Cell::get)
}

/// Run `f` under `limits` on this thread (the previous ones come back
/// after it, also when it panics).
///
/// ```
/// use matcalc::limits::{with, Limits};
/// let tight = Limits { work: 10.0, ..Limits::default() };
/// let doc = "A \\in \\mathbb{R}^{n \\times n}\nf = \\log|A|\n\\nabla_A f";
/// let answers = with(tight, || matcalc::Problem::new(doc).and_then(|mut p| p.answers()));
/// assert!(answers.is_ok());
/// ```
pub fn with<R>(limits: Limits, f: impl FnOnce() -> R) -> R {
    struct Restore(Limits);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.replace(limits)));
    f()
}

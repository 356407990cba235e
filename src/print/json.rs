//! The JSON documents matcalc prints (docs/INTERFACE.md, `--format json`).
//! Each function takes what a command already computed and returns the
//! document; the commands decide nothing here. Every document is an object
//! with `"version": 1` at top level, so a reader can tell a future layout
//! from this one.
//!
//! Keys come out sorted (serde_json's map is ordered by key), so the same
//! data always prints byte for byte the same.

use serde::Serialize;
use serde_json::{json, Map, Value};

/// The layout version every document carries as `"version"`.
pub const VERSION: u64 = 1;

/// One answer of `grad`.
#[derive(Clone, Debug, Serialize)]
pub struct GradResult {
    /// The objective, in identifier form (`L_1`).
    pub of: String,
    /// The variable, in identifier form (`W_1`).
    pub wrt: String,
    /// The query in LaTeX as `--format latex` prints it: `\nabla_{W} L`.
    pub query: String,
    /// `gradient`, `jacobian` or `hessian`.
    pub kind: String,
    /// Dimension symbols; `[]` is a scalar, `["n"]` a column vector.
    pub shape: Vec<String>,
    /// The answer in LaTeX.
    pub latex: String,
    /// The answer in Unicode text.
    pub text: String,
    /// The answer as one NumPy function (or a `# not available` comment).
    pub numpy: String,
}

/// One answer of `check`.
#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    /// The objective, in identifier form.
    pub of: String,
    /// The variable, in identifier form.
    pub wrt: String,
    /// The checked answer in LaTeX.
    pub latex: String,
    /// The largest relative difference from finite differences over the
    /// instances tried.
    pub rel_error: f64,
    /// The largest part of it beyond the finite differences' own error
    /// estimate: `ok` is this under the tolerance.
    pub beyond_noise: f64,
    /// Whether the error is under the tolerance.
    pub ok: bool,
    /// Remarks of the check (directions sampled, instances skipped).
    pub notes: Vec<String>,
}

/// One expression of `simplify`.
#[derive(Clone, Debug, Serialize)]
pub struct SimplifyResult {
    /// The simplified expression in LaTeX.
    pub latex: String,
    /// The simplified expression in Unicode text.
    pub text: String,
    /// Its shape, as dimension symbols.
    pub shape: Vec<String>,
}

/// `value` with `"version"` added at top level. A value that is not an
/// object (none of matcalc's are) is put under `"results"` so the version
/// still has a place.
fn versioned(value: Value) -> Value {
    let mut map = match value {
        Value::Object(map) => map,
        other => {
            let mut map = Map::new();
            map.insert("results".into(), other);
            map
        }
    };
    map.insert("version".into(), json!(VERSION));
    Value::Object(map)
}

/// Any serialisable value as JSON; serialising matcalc's own plain structs
/// cannot fail, and `null` is a visible stand-in if it ever did.
fn value<T: Serialize + ?Sized>(data: &T) -> Value {
    serde_json::to_value(data).unwrap_or(Value::Null)
}

/// `grad`'s document: `{"version", "results", "notes"}`.
pub fn grad(results: &[GradResult], notes: &[String]) -> Value {
    versioned(json!({"results": value(results), "notes": notes}))
}

/// `check`'s document: `{"version", "results", "notes"}` (no document-wide
/// notes yet; each result carries its own).
pub fn check(results: &[CheckResult]) -> Value {
    versioned(json!({"results": value(results), "notes": []}))
}

/// `simplify`'s document: `{"version", "results", "notes"}`.
pub fn simplify(results: &[SimplifyResult], notes: &[String]) -> Value {
    versioned(json!({"results": value(results), "notes": notes}))
}

/// `grade`'s document: the verdict's fields (`verdict`, `method`,
/// `max_abs_diff`, `max_rel_diff`, `notes`, `expected`, `diagnosis`,
/// `span`) and `version`.
pub fn grade<V: Serialize>(verdict: &V) -> Value {
    versioned(value(verdict))
}

/// `steps`'s document: `{"version", "derivations"}`, one derivation per query.
pub fn steps<S: Serialize>(derivations: &[S]) -> Value {
    versioned(json!({"derivations": value(derivations)}))
}

/// `graph`'s document: the drawing's fields (`nodes`, `edges`) and `version`.
/// `grade-class`: the graded answers.
pub fn grade_class<R: Serialize>(rows: &[R]) -> Value {
    versioned(json!({"results": value(rows)}))
}

/// `graph`
pub fn graph<G: Serialize>(view: &G) -> Value {
    versioned(value(view))
}

/// An error's document: `{"version", "error": {"kind", "message", "notes",
/// "source", "line", "column"}}`. `position` is the 1-based (line, column)
/// of the error's span start in the text named `source`; without one, both
/// are `null`.
pub fn error(
    kind: &str,
    message: &str,
    notes: &[String],
    source: &str,
    position: Option<(usize, usize)>,
    end: Option<(usize, usize)>,
) -> Value {
    let at = |p: Option<(usize, usize)>| match p {
        Some((l, c)) => (json!(l), json!(c)),
        None => (Value::Null, Value::Null),
    };
    let ((line, column), (end_line, end_column)) = (at(position), at(end));
    versioned(json!({"error": {
        "kind": kind,
        "message": message,
        "notes": notes,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "source": source,
    }}))
}

/// A document as matcalc prints it: pretty, with a final new line.
pub fn to_string(doc: &Value) -> String {
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn error_example() {
        let v = crate::print::json::error(
            "parse",
            "expected an expression",
            &[],
            "<expr>",
            Some((2, 5)),
            Some((2, 9)),
        );
        assert_eq!(v["error"]["line"], 2);
        assert_eq!(v["version"], 1);
    }
}

//! Grading a class: a TOML gradebook of problems and students' answers
//! (the format of the homework's answer key) graded answer by answer, and
//! the report in Markdown, CSV or JSON.
//!
//! Each problem is parsed and each of its questions derived once; every
//! answer is then graded like `matcalc grade` grades one. An answer that
//! does not parse, or names what the problem does not have, is a verdict of
//! its own (`unreadable`), never an error: one student's typo does not stop
//! the class. A gradebook that is itself wrong (TOML, a missing field, a
//! problem that does not parse, an answer for an unknown problem) is an
//! error naming the place.

use crate::core::diagnostic::{Diagnostic, ErrorKind, Result};
use crate::core::span::Span;
use crate::problem::Problem;
use crate::teach::grade::{grade_answer, Judgement, Method, INSTANCES};
use serde::Deserialize;

/// Largest gradebook, in bytes: a class of hundreds of answers fits; each
/// problem and answer inside is held to the language's own limits.
pub const MAX_GRADEBOOK: usize = 16 * 1024 * 1024;

#[derive(Deserialize)]
struct Book {
    #[serde(default)]
    problem: Vec<BookProblem>,
    #[serde(default)]
    answer: Vec<toml::Spanned<BookAnswer>>,
}

#[derive(Deserialize)]
struct BookProblem {
    id: String,
    text: String,
}

#[derive(Deserialize)]
struct BookAnswer {
    problem: String,
    wrt: String,
    of: Option<String>,
    latex: String,
    student: Option<String>,
    seed: Option<String>,
    verdict: Option<String>,
}

/// The verdicts a gradebook row can have (`unreadable`: the answer does
/// not parse or names something the problem does not have).
pub const VERDICTS: [&str; 4] = [
    "equivalent",
    "not equivalent",
    "shape mismatch",
    "unreadable",
];

/// One graded answer of a gradebook.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GradedAnswer {
    /// The student: the answer's `student`, else its `seed`.
    pub student: String,
    /// The problem's id.
    pub problem: String,
    /// The variable, in identifier form (`W_1`).
    pub wrt: String,
    /// The objective the answer was graded against, resolved as `grade
    /// --wrt` resolves it, in identifier form (`L_1`).
    pub of: String,
    /// The question in LaTeX (`\nabla_{W} \mathcal{L}`).
    pub query: String,
    /// The student's answer as written.
    pub answer: String,
    /// One of [`VERDICTS`].
    pub verdict: String,
    /// `symbolic`, `numeric`, `shape` or `names`; `null` when unreadable.
    pub method: Option<String>,
    /// What differs, or why the answer could not be read; `null` when none.
    pub diagnosis: Option<String>,
    /// The derived answer in LaTeX.
    pub expected: String,
    /// The verdict the gradebook expected, when it gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_verdict: Option<String>,
    /// Whether the verdict agrees with the expected one (present when one
    /// was given): `not equivalent` agrees with `shape mismatch` and
    /// `unreadable` too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agrees: Option<bool>,
    /// Largest difference found on random instances, when decided numerically.
    pub max_abs_diff: Option<f64>,
    /// That difference relative to the values' largest entry.
    pub max_rel_diff: Option<f64>,
}

/// Whether a verdict agrees with the one a gradebook expected.
///
/// ```
/// use matcalc::gradebook::agrees;
/// assert!(agrees("not equivalent", "unreadable"));
/// assert!(!agrees("equivalent", "shape mismatch"));
/// ```
pub fn agrees(expected: &str, got: &str) -> bool {
    expected == got || (expected == "not equivalent" && got != "equivalent")
}

/// Grade every answer of the gradebook `toml_text`, in the gradebook's order.
///
/// ```
/// let book = r#"
/// [[problem]]
/// id = "quad"
/// text = 'x \in \mathbb{R}^{n}; f = x^T x'
///
/// [[answer]]
/// student = "ada"
/// problem = "quad"
/// wrt = "x"
/// latex = '2 x'
/// verdict = "equivalent"
/// "#;
/// let rows = matcalc::gradebook::grade_class(book).unwrap();
/// assert_eq!(rows[0].verdict, "equivalent");
/// assert_eq!(rows[0].agrees, Some(true));
/// ```
pub fn grade_class(toml_text: &str) -> Result<Vec<GradedAnswer>> {
    if toml_text.len() > MAX_GRADEBOOK {
        return Err(Diagnostic::new(
            ErrorKind::Limit,
            format!(
                "the gradebook is {} bytes; the limit is {MAX_GRADEBOOK} bytes",
                toml_text.len()
            ),
        ));
    }
    let book: Book = toml::from_str(toml_text).map_err(|e| {
        let d = Diagnostic::new(ErrorKind::Parse, e.message().trim().to_string());
        match e.span() {
            Some(r) => d.at(Span::new(r.start, r.end)),
            None => d,
        }
    })?;
    let mut problems: Vec<(String, Problem)> = Vec::new();
    for bp in &book.problem {
        if problems.iter().any(|(id, _)| id == &bp.id) {
            return Err(Diagnostic::new(
                ErrorKind::Name,
                format!("the gradebook defines problem `{}` twice", bp.id),
            ));
        }
        let p = Problem::new(&bp.text).map_err(|d| in_problem(d, &bp.id, &bp.text))?;
        problems.push((bp.id.clone(), p));
    }
    let mut rows = Vec::with_capacity(book.answer.len());
    for (k, spanned) in book.answer.iter().enumerate() {
        let place = Span::new(spanned.span().start, spanned.span().end);
        let a = spanned.get_ref();
        let at = |d: Diagnostic| d.at(place);
        let student = a
            .student
            .clone()
            .or_else(|| a.seed.clone())
            .ok_or_else(|| {
                at(Diagnostic::new(
                    ErrorKind::Parse,
                    format!("answer {} has neither `student` nor `seed`", k + 1),
                ))
            })?;
        if let Some(v) = &a.verdict {
            if !VERDICTS.contains(&v.as_str()) {
                return Err(at(Diagnostic::new(
                    ErrorKind::Parse,
                    format!(
                        "answer {} expects the verdict `{v}`; a verdict is one of {}",
                        k + 1,
                        VERDICTS.join(", ")
                    ),
                )));
            }
        }
        let Some((_, p)) = problems.iter_mut().find(|(id, _)| id == &a.problem) else {
            return Err(at(Diagnostic::new(
                ErrorKind::Name,
                format!(
                    "answer {} is for problem `{}`, which the gradebook does not define",
                    k + 1,
                    a.problem
                ),
            )));
        };
        let text = p.src.clone();
        let q = p
            .question(&a.wrt, a.of.as_deref())
            .map_err(|d| at(d.note(format!("in answer {} (student `{student}`)", k + 1))))?;
        let answer = p
            .answer_once(&q)
            .map_err(|d| in_problem(d, &a.problem, &text))?;
        let expected = p.latex(&answer, Default::default());
        let mut row = GradedAnswer {
            student,
            problem: a.problem.clone(),
            wrt: q.wrt.ident(),
            of: q.of.ident(),
            query: p.query_latex(&q),
            answer: a.latex.clone(),
            verdict: String::new(),
            method: None,
            diagnosis: None,
            expected,
            expected_verdict: a.verdict.clone(),
            agrees: None,
            max_abs_diff: None,
            max_rel_diff: None,
        };
        match grade_answer(p, &answer, &a.latex) {
            Ok(v) if v.verdict == Judgement::UnknownName => {
                row.verdict = "unreadable".into();
                row.diagnosis = v.diagnosis;
            }
            Ok(v) => {
                row.verdict = v.verdict.as_str().into();
                row.method = Some(method_name(v.method).into());
                row.diagnosis = v.diagnosis;
                row.max_abs_diff = v.max_abs_diff;
                row.max_rel_diff = v.max_rel_diff;
            }
            // A bug is reported, never filed as a student's mistake.
            Err(d) if d.kind == ErrorKind::Internal => return Err(d),
            Err(d) => {
                row.verdict = "unreadable".into();
                row.diagnosis = Some(unreadable(&d, &a.latex));
            }
        }
        row.agrees = row
            .expected_verdict
            .as_deref()
            .map(|e| agrees(e, &row.verdict));
        rows.push(row);
    }
    Ok(rows)
}

/// An error in a problem of the gradebook, rendered against its text.
fn in_problem(d: Diagnostic, id: &str, text: &str) -> Diagnostic {
    let d = if d.origin.is_none() {
        d.in_source(&format!("problem `{id}`"), text)
    } else {
        d
    };
    d.note(format!("in problem `{id}` of the gradebook"))
}

/// Why an answer could not be read, with the place in it.
fn unreadable(d: &Diagnostic, latex: &str) -> String {
    match d.position(latex) {
        Some((_, col)) if d.origin.is_none() => {
            format!("{} (at column {col} of the answer)", d.message)
        }
        _ => d.message.clone(),
    }
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Symbolic => "symbolic",
        Method::Numeric => "numeric",
        Method::Shape => "shape",
        Method::Names => "names",
    }
}

/// How a verdict was reached, in words.
fn decided(r: &GradedAnswer) -> String {
    match (r.method.as_deref(), r.max_abs_diff) {
        (Some("symbolic"), _) => "proven symbolically".into(),
        (Some("numeric"), Some(d)) => format!(
            "numerically on {INSTANCES} random instances, largest absolute difference {d:.1e}"
        ),
        (Some("numeric"), None) => format!("numerically on {INSTANCES} random instances"),
        (Some("shape"), _) => "by shapes".into(),
        (Some("names"), _) => "by names".into(),
        _ => "the answer could not be read".into(),
    }
}

/// The report in Markdown: a summary, then per student, per answer, the
/// verdict, how it was decided, the diagnosis, the answer and the expected
/// answer (LaTeX between `$`, as KaTeX and pandoc read it).
pub fn markdown(rows: &[GradedAnswer]) -> String {
    let mut out = String::from("# Grades\n\n");
    let count = |v: &str| rows.iter().filter(|r| r.verdict == v).count();
    let mut students: Vec<&str> = Vec::new();
    for r in rows {
        if !students.contains(&r.student.as_str()) {
            students.push(&r.student);
        }
    }
    out.push_str(&format!(
        "{} answers from {} students: {} equivalent, {} not equivalent, {} shape mismatch, {} unreadable.\n",
        rows.len(),
        students.len(),
        count("equivalent"),
        count("not equivalent"),
        count("shape mismatch"),
        count("unreadable"),
    ));
    let given: Vec<&GradedAnswer> = rows.iter().filter(|r| r.agrees.is_some()).collect();
    if !given.is_empty() {
        let agree = given.iter().filter(|r| r.agrees == Some(true)).count();
        out.push_str(&format!(
            "{agree} of {} expected verdicts agree.\n",
            given.len()
        ));
    }
    for s in students {
        out.push_str(&format!("\n## {s}\n"));
        for r in rows.iter().filter(|r| r.student == s) {
            out.push_str(&format!(
                "\n### {}: ${}$: {}\n\n",
                r.problem, r.query, r.verdict
            ));
            out.push_str(&format!("- answer: ${}$\n", r.answer.trim()));
            out.push_str(&format!("- decided: {}\n", decided(r)));
            if let Some(d) = &r.diagnosis {
                out.push_str(&format!("- diagnosis: {d}\n"));
            }
            out.push_str(&format!("- expected: ${}$\n", r.expected));
            if let (Some(e), Some(a)) = (&r.expected_verdict, r.agrees) {
                let word = if a { "agrees" } else { "DISAGREES" };
                out.push_str(&format!("- gradebook expected: {e} ({word})\n"));
            }
        }
    }
    out
}

/// One CSV field, quoted when it must be (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The report as CSV: a header row, then one row per answer.
pub fn csv(rows: &[GradedAnswer]) -> String {
    let mut out = String::from(
        "student,problem,wrt,of,verdict,method,diagnosis,answer,expected,expected_verdict,agrees\n",
    );
    for r in rows {
        let fields = [
            r.student.clone(),
            r.problem.clone(),
            r.wrt.clone(),
            r.of.clone(),
            r.verdict.clone(),
            r.method.clone().unwrap_or_default(),
            r.diagnosis.clone().unwrap_or_default(),
            r.answer.trim().to_string(),
            r.expected.clone(),
            r.expected_verdict.clone().unwrap_or_default(),
            r.agrees.map(|a| a.to_string()).unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

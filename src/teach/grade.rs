//! Grading a student's answer against the derived gradient: symbolically
//! first (one e-graph, proven equal), then numerically on seeded instances,
//! with a diagnosis of what differs where one can be said.

use crate::core::diagnostic::{ErrorKind, Result};
use crate::core::op::Op;
use crate::core::span::Span;
use crate::ir::{Graph, Id};
use crate::numeric::eval::{
    eval, eval_with_magnitude, max_work, too_much_work, work, HEAVY_WORK, M,
};
use crate::numeric::fd::{valid_instance, valid_instance_with};
use crate::numeric::instance::Instance;
use crate::numeric::oracle::Oracle;
use crate::print::to_latex;
use crate::problem::{Answer, Problem, Question};
use crate::simplify::provably_equal;
use crate::syntax::ast::Name;
use std::collections::BTreeMap;

/// Instances compared in a numeric decision.
pub const INSTANCES: u64 = 5;
/// Relative tolerance of a numeric decision.
pub const TOLERANCE: f64 = 1e-8;

/// The judgement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Judgement {
    /// Equal to the derived gradient.
    #[serde(rename = "equivalent")]
    Equivalent,
    /// Not equal.
    #[serde(rename = "not equivalent")]
    NotEquivalent,
    /// The answer's shape is not the gradient's (or the answer is ill-shaped).
    #[serde(rename = "shape mismatch")]
    ShapeMismatch,
    /// The answer names something the problem does not have.
    #[serde(rename = "unknown name")]
    UnknownName,
}

impl Judgement {
    /// The verdict's words.
    pub fn as_str(self) -> &'static str {
        match self {
            Judgement::Equivalent => "equivalent",
            Judgement::NotEquivalent => "not equivalent",
            Judgement::ShapeMismatch => "shape mismatch",
            Judgement::UnknownName => "unknown name",
        }
    }
}

/// How the judgement was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The rewrite rules proved the answer equal to the gradient.
    Symbolic,
    /// Seeded random instances decided.
    Numeric,
    /// Shapes decided (no evaluation needed).
    Shape,
    /// Names decided.
    Names,
}

/// A verdict on one answer.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Verdict {
    /// The judgement.
    pub verdict: Judgement,
    /// How it was decided.
    pub method: Method,
    /// Largest absolute entry difference found (numeric decisions).
    pub max_abs_diff: Option<f64>,
    /// That difference relative to the largest entry of the two values on
    /// the same instance (numeric decisions).
    pub max_rel_diff: Option<f64>,
    /// Leniencies applied and other remarks.
    pub notes: Vec<String>,
    /// The derived gradient, in LaTeX.
    pub expected: String,
    /// What differs, where it can be said ("the path through `W^T` is missing").
    pub diagnosis: Option<String>,
    /// The span of the answer a shape or name verdict concerns.
    pub span: Option<Span>,
}

fn close(a: &M, b: &M, floor: f64) -> bool {
    let scale = a.amax().max(b.amax()).max(floor).max(1.0);
    a.shape() == b.shape() && (a - b).amax() <= TOLERANCE * scale
}

/// Grade `latex` as an answer to `q`.
///
/// ```
/// let src = "x \\in \\mathbb{R}^{n}\nA \\in \\mathbb{R}^{n \\times n}\nf = x^T A x\n\\nabla_x f";
/// let mut p = matcalc::Problem::new(src).unwrap();
/// let q = p.questions()[0].clone();
/// let v = matcalc::grade(&mut p, &q, "A^T x + A x").unwrap();
/// assert_eq!(v.verdict.as_str(), "equivalent");
/// let v = matcalc::grade(&mut p, &q, "2 A x").unwrap();
/// assert_eq!(v.verdict.as_str(), "not equivalent");
/// ```
pub fn grade(p: &mut Problem, q: &Question, latex: &str) -> Result<Verdict> {
    let answer = p.answer(q)?;
    grade_answer(p, &answer, latex)
}

/// Grade against an already derived answer.
pub fn grade_answer(p: &mut Problem, answer: &Answer, latex: &str) -> Result<Verdict> {
    let expected = p.latex(answer, Default::default());
    let (expr, bindings) = crate::syntax::parse::parse_answer(latex)?;
    let mut verdict = Verdict {
        verdict: Judgement::Equivalent,
        method: Method::Symbolic,
        max_abs_diff: None,
        max_rel_diff: None,
        notes: Vec::new(),
        expected,
        diagnosis: None,
        span: None,
    };
    let (t, typed) = match p.typed.type_answer(&expr, &bindings, true, None) {
        Ok(x) => x,
        Err(d) if d.kind == ErrorKind::Shape => {
            verdict.verdict = Judgement::ShapeMismatch;
            verdict.method = Method::Shape;
            verdict.diagnosis = Some(d.message.clone());
            verdict.span = d.span;
            mend_shapes(p, answer, &expr, latex, &mut verdict);
            return Ok(verdict);
        }
        Err(d) if d.kind == ErrorKind::Name => {
            verdict.verdict = Judgement::UnknownName;
            verdict.method = Method::Names;
            verdict.diagnosis = Some(d.message.clone());
            verdict.span = d.span;
            return Ok(verdict);
        }
        Err(d) => return Err(d),
    };
    for (span, note) in &typed.lenient_notes {
        let text = span.text(latex);
        verdict.notes.push(format!("`{text}`: {note}"));
    }
    let got_shape = typed.shape(&t);
    // An answer whose sizes are open (a bare `I`) takes the gradient's shape.
    let (t, typed) = if got_shape != answer.shape {
        match p
            .typed
            .type_answer(&expr, &bindings, true, Some(&answer.shape))
        {
            Ok(x) => x,
            Err(_) => {
                verdict.verdict = Judgement::ShapeMismatch;
                verdict.method = Method::Shape;
                verdict.diagnosis = Some(format!(
                    "the answer is {got_shape}, but the {} with respect to {} is {}",
                    answer.kind.noun(),
                    answer.question.wrt.latex(),
                    answer.shape
                ));
                verdict.span = Some(expr.span);
                mend_shapes(p, answer, &expr, latex, &mut verdict);
                return Ok(verdict);
            }
        }
    } else {
        (t, typed)
    };
    // The adjoints the answer names are its own definitions, in the graph
    // only while it is built.
    let mut named = Vec::new();
    for b in &bindings {
        let adj = Name::adjoint(&b.of, &b.wrt);
        if let Some((_, body)) = typed.defs.iter().find(|(n, _)| *n == adj) {
            let id = p.graph.lower(&typed, body)?;
            p.graph.defs.insert(adj.clone(), id);
            named.push(adj);
        }
    }
    let student = p.graph.lower(&typed, &t);
    for n in &named {
        p.graph.defs.remove(n);
    }
    let student = student?;
    let limits = p.limits.clone();
    let proven = student == answer.id
        || student == answer.unsimplified
        || provably_equal(&mut p.graph, student, answer.id, &limits)
        || provably_equal(&mut p.graph, student, answer.unsimplified, &limits);
    // The numbers: the answer read from its own checked tree by the
    // independent oracle, the gradient from the graph (which was verified
    // against the oracle when it was derived).
    let mut pairs: Vec<(M, M)> = Vec::new();
    let mut instances = Vec::new();
    let mut heavy = false;
    let mut magnitude: f64 = 0.0;
    // The largest intermediate value of the gradient on each instance.
    let mut magnitudes: Vec<f64> = Vec::new();
    for k in 0..INSTANCES {
        if heavy {
            break;
        }
        let mut pair = None;
        let found = valid_instance_with(&p.graph, 1000 + k, &mut |inst| {
            let w = work(&p.graph, &inst.sizes, student) + work(&p.graph, &inst.sizes, answer.id);
            if w > max_work() {
                return Err(too_much_work(w));
            }
            heavy = w > HEAVY_WORK;
            let s = Oracle::new(&typed, inst, &BTreeMap::new()).eval(&t)?;
            let (e, big) = eval_with_magnitude(&p.graph, inst, answer.id)?;
            magnitude = magnitude.max(big);
            pair = Some((s, e, big));
            Ok(())
        });
        let (inst, notes) = match found {
            // Too large to evaluate: a proof stands on its own.
            Err(e) if proven && matches!(e.kind, ErrorKind::Limit | ErrorKind::Domain) => {
                verdict
                    .notes
                    .push(format!("not confirmed numerically: {}", e.message));
                return Ok(verdict);
            }
            r => r?,
        };
        if k == 0 {
            verdict.notes.extend(notes);
        }
        if let Some((s, e, big)) = pair {
            pairs.push((s, e));
            magnitudes.push(big);
            instances.push(inst);
        }
    }
    if let Some((s, e)) = pairs.iter().find(|(s, e)| s.shape() != e.shape()) {
        verdict.verdict = Judgement::ShapeMismatch;
        verdict.method = Method::Shape;
        verdict.diagnosis = Some(format!(
            "the answer evaluates to a {}×{} value, but the {} is {}×{}",
            s.nrows(),
            s.ncols(),
            answer.kind.noun(),
            e.nrows(),
            e.ncols()
        ));
        return Ok(verdict);
    }
    let max_diff = pairs
        .iter()
        .map(|(s, e)| (s - e).amax())
        .fold(0.0, f64::max);
    let max_rel = pairs
        .iter()
        .map(|(s, e)| (s - e).amax() / s.amax().max(e.amax()).max(f64::MIN_POSITIVE))
        .fold(0.0, f64::max);
    let equal = pairs.iter().all(|(s, e)| close(s, e, 1.0));
    // A proof stands when the numbers agree up to the rounding of the
    // gradient's own intermediate values (large terms that cancel).
    if proven && (equal || pairs.iter().all(|(s, e)| close(s, e, magnitude))) {
        return Ok(verdict);
    }
    verdict.method = Method::Numeric;
    verdict.max_abs_diff = Some(max_diff);
    verdict.max_rel_diff = Some(max_rel);
    if equal {
        verdict.notes.push(format!(
            "no symbolic proof was found; equal on {} random instance{} (largest difference {max_diff:.1e})",
            pairs.len(),
            if pairs.len() == 1 { "" } else { "s" }
        ));
        return Ok(verdict);
    }
    // Values computed through intermediates far larger than themselves
    // carry those intermediates' rounding: on such an instance (more than
    // 1e4 times the values) the numbers can neither confirm nor refute.
    // The answer is equal if it agrees on every other instance (to the
    // rounding of that instance's intermediates), and there is one.
    let mut undecided = 0;
    let mut refuted = false;
    for ((s, e), &m) in pairs.iter().zip(&magnitudes) {
        let resolvable = m <= 1e4 * s.amax().max(e.amax()).max(1.0);
        if close(s, e, 1.0) || (resolvable && close(s, e, m)) {
            continue;
        }
        if resolvable {
            refuted = true;
        } else {
            undecided += 1;
        }
    }
    if !refuted && undecided < pairs.len() {
        verdict.notes.push(format!(
            "no symbolic proof was found; equal on {} random instance{} up to the rounding of their intermediate values; {undecided} instance{} with intermediates over 1e4 times the values could not decide",
            pairs.len() - undecided,
            if pairs.len() - undecided == 1 { "" } else { "s" },
            if undecided == 1 { "" } else { "s" }
        ));
        return Ok(verdict);
    }
    if proven {
        verdict.notes.push(
            "a symbolic proof was found but the numbers disagree; the numbers decide (please report this)"
                .into(),
        );
    }
    verdict.verdict = Judgement::NotEquivalent;
    verdict.diagnosis = Some(diagnose(p, answer, &pairs, &instances)?);
    // The entry fallback names no term: one changed term that makes the
    // answer right is the better diagnosis.
    // (Not for heavy evaluations: each candidate is evaluated anew.)
    if !heavy
        && verdict
            .diagnosis
            .as_deref()
            .is_some_and(|d| d.starts_with("the answer differs"))
    {
        let values: Vec<(&Instance, &M)> =
            instances.iter().zip(pairs.iter().map(|(_, g)| g)).collect();
        if let Some((d, span)) = repair(p, answer, &expr, latex, &values) {
            verdict.diagnosis = Some(d);
            verdict.span = Some(span);
        }
    }
    Ok(verdict)
}

/// Most nodes of an answer tried one by one by [`repair`].
const MAX_REPAIR_SITES: usize = 200;

/// Most characters [`repair`] reads back in all (each candidate is the
/// whole answer again): a long answer gets fewer candidates.
const MAX_REPAIR_CHARS: usize = 1_000_000;

/// One wrong term, named in the answer's own text: the answer becomes
/// right (equal to the gradient on every instance in `values`) when a
/// single piece of it changes: a transpose dropped or added, `^T` written
/// for `^{-1}` or the other way, an inverse dropped or added. Each change
/// is made in the text and read back through the parser and the checker,
/// so only well-shaped answers are evaluated; this also finds the one
/// change that mends an answer whose shapes do not fit. Returns the
/// diagnosis and the piece's span.
fn repair(
    p: &Problem,
    answer: &Answer,
    expr: &crate::syntax::ast::Expr,
    latex: &str,
    values: &[(&Instance, &M)],
) -> Option<(String, Span)> {
    use crate::syntax::ast::{Expr, ExprKind};
    fn sites<'a>(e: &'a Expr, budget: usize, out: &mut Vec<&'a Expr>) {
        if out.len() >= budget {
            return;
        }
        out.push(e);
        for c in e.children() {
            sites(c, budget, out);
        }
    }
    if values.is_empty() {
        return None;
    }
    // A piece's text, bracketed when it is more than one token.
    let shown = |s: Span| {
        let text = s.text(latex).trim();
        if text.contains(' ') && !(text.starts_with('(') && text.ends_with(')')) {
            format!("({text})")
        } else {
            text.to_string()
        }
    };
    let right = |candidate: &str| -> bool {
        let Ok((e, bindings)) = crate::syntax::parse::parse_answer(candidate) else {
            return false;
        };
        let Ok((mt, typed)) = p
            .typed
            .type_answer(&e, &bindings, true, Some(&answer.shape))
        else {
            return false;
        };
        values.iter().all(|(inst, g)| {
            Oracle::new(&typed, inst, &BTreeMap::new())
                .eval(&mt)
                .is_ok_and(|v| v.shape() == g.shape() && close(&v, g, 1.0))
        })
    };
    let budget = (MAX_REPAIR_CHARS / (2 * latex.len().max(1))).min(MAX_REPAIR_SITES);
    let mut all = Vec::new();
    sites(expr, budget, &mut all);
    for node in all {
        let span = node.span;
        let text = span.text(latex).trim();
        if text.is_empty() {
            continue;
        }
        let inverse_of = match &node.kind {
            ExprKind::Power(x, k) if k.span.text(latex).trim().trim_matches(['{', '}']) == "-1" => {
                Some(x)
            }
            _ => None,
        };
        let mut tries: Vec<(String, String)> = Vec::new();
        match (&node.kind, inverse_of) {
            (ExprKind::Transpose(x), _) => {
                let xs = shown(x.span);
                tries.push((
                    xs.clone(),
                    format!("`{text}` should not be transposed: `{xs}` belongs there"),
                ));
                tries.push((
                    format!("{xs}^{{-1}}"),
                    format!("`{text}` is written where `{xs}^{{-1}}` belongs"),
                ));
            }
            (_, Some(x)) => {
                let xs = shown(x.span);
                tries.push((
                    format!("{xs}^T"),
                    format!("`{text}` is written where `{xs}^T` belongs"),
                ));
                tries.push((
                    xs.clone(),
                    format!("`{text}` is written where `{xs}` belongs (no inverse)"),
                ));
            }
            _ => {
                let ns = shown(span);
                tries.push((
                    format!("{ns}^T"),
                    format!("a transpose is missing on `{text}`: `{ns}^T` belongs there"),
                ));
                tries.push((
                    format!("{ns}^{{-1}}"),
                    format!("an inverse is missing on `{text}`: `{ns}^{{-1}}` belongs there"),
                ));
            }
        }
        for (with, message) in tries {
            let candidate = format!("{}{with}{}", &latex[..span.start], &latex[span.end..]);
            if right(&candidate) {
                return Some((message, span));
            }
        }
    }
    None
}

/// The gradient's values on a few instances, for [`repair`] when the
/// answer's shapes stopped grading before any number was computed.
fn gradient_values(p: &Problem, answer: &Answer) -> Vec<(Instance, M)> {
    (0..3)
        .filter_map(|k| {
            let (inst, _) = valid_instance(&p.graph, 1000 + k, &[answer.id]).ok()?;
            let w = work(&p.graph, &inst.sizes, answer.id);
            if w > HEAVY_WORK {
                return None;
            }
            let v = eval(&p.graph, &inst, answer.id).ok()?;
            Some((inst, v))
        })
        .collect()
}

/// A shape mismatch that one changed piece mends: its diagnosis and span.
fn mend_shapes(
    p: &Problem,
    answer: &Answer,
    expr: &crate::syntax::ast::Expr,
    latex: &str,
    verdict: &mut Verdict,
) {
    let values = gradient_values(p, answer);
    let refs: Vec<(&Instance, &M)> = values.iter().map(|(i, v)| (i, v)).collect();
    if let Some((d, span)) = repair(p, answer, expr, latex, &refs) {
        verdict.diagnosis = Some(d);
        verdict.span = Some(span);
    }
}

/// What differs: a constant factor, or paths missing or counted twice.
/// `pairs` are (answer, gradient) values on the instances compared.
fn diagnose(
    p: &mut Problem,
    answer: &Answer,
    pairs: &[(M, M)],
    instances: &[Instance],
) -> Result<String> {
    // A constant factor c: student = c · gradient on every instance.
    let (s0, g0) = &pairs[0];
    let gg = g0.dot(g0);
    if gg > 0.0 {
        let c = s0.dot(g0) / gg;
        if c.abs() > 1e-12 && pairs.iter().all(|(s, gr)| close(s, &(gr * c), 1.0)) {
            return Ok(if (c + 1.0).abs() < 1e-9 {
                "the sign is wrong".to_string()
            } else {
                format!("off by a factor {}", pretty(c))
            });
        }
        if c.abs() <= 1e-12 && pairs.iter().all(|(s, _)| s.amax() < 1e-12) {
            return Ok("the answer is zero".into());
        }
    }
    // Paths: student = Σ k_i · (the term of path i), k_i ∈ {0, 1, 2}
    // (a gradient's; a Jacobian's paths carry the seed, not its values).
    let target = answer
        .derivation
        .target
        .filter(|_| answer.kind == crate::problem::Kind::Gradient);
    let contributions = target
        .and_then(|t| answer.derivation.adjoints.get(&t))
        .cloned()
        .unwrap_or_default();
    let n = contributions.len();
    if (2..=5).contains(&n) {
        let mut term_values: Vec<Vec<M>> = Vec::new();
        for inst in instances {
            let mut row = Vec::new();
            for c in &contributions {
                let v = eval(&p.graph, inst, c.term.1)? * crate::numeric::eval::qf(&c.term.0);
                row.push(v);
            }
            term_values.push(row);
        }
        let combos = 3usize.pow(n as u32);
        for code in 0..combos {
            let ks: Vec<usize> = (0..n).map(|i| code / 3usize.pow(i as u32) % 3).collect();
            if ks.iter().all(|&k| k == 1) {
                continue;
            }
            let fits = pairs.iter().zip(&term_values).all(|((s, _), terms)| {
                let mut sum = M::zeros(s.nrows(), s.ncols());
                for (k, t) in ks.iter().zip(terms) {
                    sum += t * (*k as f64);
                }
                close(s, &sum, 1.0)
            });
            if fits {
                let mut parts = Vec::new();
                for (k, c) in ks.iter().zip(&contributions) {
                    let via = via_label(&mut p.graph, c.from);
                    match k {
                        0 => parts.push(format!("the path through `{via}` is missing")),
                        2 => parts.push(format!("the path through `{via}` is counted twice")),
                        _ => {}
                    }
                }
                return Ok(parts.join("; "));
            }
        }
    }
    // The instance of the headline's largest difference, so the two
    // numbers a student reads are one number.
    let (s0, g0) = pairs
        .iter()
        .max_by(|a, b| (&a.0 - &a.1).amax().total_cmp(&(&b.0 - &b.1).amax()))
        .unwrap_or(&pairs[0]);
    let diff = s0 - g0;
    let (mut bi, mut bj, mut best) = (0, 0, -1.0);
    for i in 0..diff.nrows() {
        for j in 0..diff.ncols() {
            if diff[(i, j)].abs() > best {
                best = diff[(i, j)].abs();
                (bi, bj) = (i, j);
            }
        }
    }
    Ok(format!(
        "the answer differs from the {}; the largest absolute difference, {best:.2e}, is at entry ({}, {})",
        answer.kind.noun(),
        bi + 1,
        bj + 1
    ))
}

fn pretty(c: f64) -> String {
    for q in 1..=12i64 {
        let p = c * q as f64;
        if (p - p.round()).abs() < 1e-9 {
            let p = p.round() as i64;
            return if q == 1 {
                p.to_string()
            } else {
                format!("{p}/{q}")
            };
        }
    }
    format!("{c:.4}")
}

/// A short name for the node a path arrives through.
pub fn via_label(g: &mut Graph, id: Id) -> String {
    let s = match g.op(id) {
        Op::Def(n) => n.latex(),
        _ => to_latex(g, id, Default::default()),
    };
    if s.chars().count() > 40 {
        let cut: String = s.chars().take(37).collect();
        format!("{cut}...")
    } else {
        s
    }
}

//! Judging one generated problem: the engine's answers against finite
//! differences of the generator's own evaluator, and the round trip of the
//! printed answers. Uses `gen` and the `engine` adapter only.
#![allow(dead_code)]

use super::engine::Kind;
use super::engine::{self, Answered, Run};
use super::gen::{ident_of, Bad, Gen, M};

/// Outcome classes, worst first.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    Panic,
    Internal,
    Wrong,
    Roundtrip,
    Numpy,
    Refused(String),
}

impl Class {
    pub fn tag(&self) -> String {
        match self {
            Class::Panic => "panic".into(),
            Class::Internal => "internal".into(),
            Class::Wrong => "wrong".into(),
            Class::Roundtrip => "roundtrip".into(),
            Class::Numpy => "numpy".into(),
            Class::Refused(_) => "refused".into(),
        }
    }
}

/// The judgement of one problem.
#[derive(Clone, Debug)]
pub struct Judged {
    /// Failure classes with one line of detail each (empty: ok).
    pub failures: Vec<(Class, String)>,
    /// Answers (for the NumPy pass and the failure report).
    pub answers: Vec<Answered>,
    /// The NumPy module, if asked.
    pub numpy: Option<Result<String, String>>,
    /// Answers not checked because finite differences left the domain.
    pub skipped: usize,
}

impl Judged {
    pub fn primary(&self) -> Option<&Class> {
        self.failures.iter().map(|(c, _)| c).min()
    }
    pub fn has(&self, c: &Class) -> bool {
        self.failures.iter().any(|(k, _)| k == c)
    }
}

/// A refusal reason: the kind and the first words of the message, with
/// quoted parts and numbers blanked so that reasons group.
pub fn reason(kind: &str, msg: &str) -> String {
    let mut s = String::new();
    let mut in_q = false;
    for ch in msg.chars() {
        if ch == '`' {
            in_q = !in_q;
            if in_q {
                s.push('…');
            }
            continue;
        }
        if in_q {
            continue;
        }
        s.push(if ch.is_ascii_digit() { '#' } else { ch });
    }
    let words: Vec<&str> = s.split_whitespace().take(7).collect();
    format!("{kind}: {}", words.join(" "))
}

fn max_abs(m: &M) -> f64 {
    m.iter().fold(0.0f64, |a, x| a.max(x.abs()))
}

/// Relative difference of two matrices of the same shape.
pub fn rel_diff(a: &M, b: &M) -> f64 {
    if a.shape() != b.shape() {
        return f64::INFINITY;
    }
    let d = max_abs(&(a - b));
    d / max_abs(a).max(max_abs(b)).max(1.0)
}

pub const TOL: f64 = 1e-5;

/// Run the engine on `g` and judge it.
pub fn judge(g: &Gen, want_numpy: bool) -> Judged {
    let doc = g.latex();
    let run = engine::run(&doc, &g.sizes(), &g.values_by_ident(), g.seed, want_numpy);
    let mut j = Judged {
        failures: vec![],
        answers: vec![],
        numpy: None,
        skipped: 0,
    };
    match run {
        Run::Panic(m) => j.failures.push((Class::Panic, m)),
        Run::Internal(m) => j.failures.push((Class::Internal, m)),
        Run::Refused(k, m) => j
            .failures
            .push((Class::Refused(reason(&k, &m)), format!("{k}: {m}"))),
        Run::Answered(answers, np) => {
            for a in &answers {
                check_answer(g, a, &mut j);
            }
            j.answers = answers;
            j.numpy = np;
        }
    }
    j
}

fn fmt_m(m: &M) -> String {
    let rows: Vec<String> = (0..m.nrows())
        .map(|i| {
            let r: Vec<String> = (0..m.ncols())
                .map(|k| format!("{:.6}", m[(i, k)]))
                .collect();
            r.join(" ")
        })
        .collect();
    format!("[{}]", rows.join("; "))
}

fn check_answer(g: &Gen, a: &Answered, j: &mut Judged) {
    let Some(vi) = g.vars.iter().position(|v| v.ident == a.wrt) else {
        j.failures.push((
            Class::Wrong,
            format!("answer for unknown variable {}", a.wrt),
        ));
        return;
    };
    // 1. the value against finite differences of our own evaluator
    let fd = |h: f64| -> Result<M, Bad> {
        match a.kind {
            Kind::Gradient => g.fd_gradient(vi, h),
            Kind::Hessian => g.fd_hessian(vi, h),
            Kind::Jacobian => match g.defs.iter().position(|(n, _)| ident_of(n) == a.of) {
                Some(d) => g.fd_jacobian(d, vi, h),
                None => Err(Bad(format!("no definition {}", a.of))),
            },
        }
    };
    // Second differences need larger steps.
    let steps: [f64; 4] = if a.kind == Kind::Hessian {
        [1e-2, 3e-3, 1e-3, 3e-4]
    } else {
        [1e-3, 1e-4, 1e-5, 1e-6]
    };
    let label = match a.kind {
        Kind::Gradient => format!("∇_{}", a.wrt),
        Kind::Jacobian => format!("∂{}/∂{}", a.of, a.wrt),
        Kind::Hessian => format!("∇²_{}", a.wrt),
    };
    match &a.value {
        Err(e) => j.failures.push((
            Class::Wrong,
            format!("{label} = {} does not evaluate: {e}", a.latex),
        )),
        Ok(v) => match fd(steps[0]) {
            Err(_) => j.skipped += 1,
            Ok(fd0) => {
                let e1 = rel_diff(v, &fd0);
                if e1 > TOL {
                    // Confirm at smaller steps: wrong only when two steps
                    // agree with each other on the derivative and both
                    // disagree with the engine (an oscillating objective can
                    // make finite differences wander).
                    let mut prev = fd0.clone();
                    let mut verdict = None;
                    for &h in &steps[1..] {
                        let Ok(next) = fd(h) else {
                            break;
                        };
                        let e = rel_diff(v, &next);
                        if e <= TOL {
                            verdict = Some(None);
                            break;
                        }
                        if rel_diff(&next, &prev) < 1e-4 {
                            verdict = Some(Some((e, next)));
                            break;
                        }
                        prev = next;
                    }
                    match verdict {
                        Some(None) => {}
                        None => j.skipped += 1,
                        Some(Some((e2, fd2))) => j.failures.push((
                            Class::Wrong,
                            format!(
                                "{label} = {}: rel. error {:.3e} (step {:.0e}), {:.3e} (settled smaller step); engine {} vs fd {}",
                                a.latex,
                                e1,
                                steps[0],
                                e2,
                                fmt_m(v),
                                fmt_m(&fd2)
                            ),
                        )),
                    }
                }
            }
        },
    }
    // 2. round trip: printed LaTeX parsed back, and graded against the answer
    match (&a.reparsed, &a.value) {
        (Err(e), _) => j.failures.push((
            Class::Roundtrip,
            format!("{label} printed `{}`: {e}", a.latex),
        )),
        (Ok(r), Ok(v)) => {
            let d = rel_diff(r, v);
            if d > 1e-8 {
                j.failures.push((
                    Class::Roundtrip,
                    format!(
                        "{label} printed `{}` reads back to a different value (rel. {d:.3e})",
                        a.latex
                    ),
                ));
            }
        }
        _ => {}
    }
    match &a.verdict {
        Ok(v) if v == "equivalent" => {}
        Ok(v) => j.failures.push((
            Class::Roundtrip,
            format!("{label} printed `{}` grades `{v}` against itself", a.latex),
        )),
        Err(e) => j.failures.push((
            Class::Roundtrip,
            format!("{label} printed `{}` fails to grade: {e}", a.latex),
        )),
    }
}

/// Greedy shrinking: keep the smallest variant that still fails with `class`.
/// Returns the smallest problem and the number of engine runs spent.
pub fn shrink(g: &Gen, class: &Class, budget: usize) -> (Gen, usize) {
    let mut best = g.clone();
    let mut runs = 0;
    'outer: loop {
        let mut cands = best.shrink_candidates();
        cands.sort_by_key(|c| c.size_measure());
        let cur = best.size_measure();
        for c in cands {
            if c.size_measure() >= cur {
                continue;
            }
            if runs >= budget {
                break 'outer;
            }
            runs += 1;
            let j = judge(&c, false);
            if j.has(class) {
                best = c;
                continue 'outer;
            }
        }
        break;
    }
    (best, runs)
}

/// JSON-ish literal of a matrix for Python (vectors as columns).
pub fn py_value(m: &M, scalar: bool) -> String {
    if scalar {
        return format!("{:e}", m[(0, 0)]);
    }
    let rows: Vec<String> = (0..m.nrows())
        .map(|i| {
            let r: Vec<String> = (0..m.ncols()).map(|k| format!("{:e}", m[(i, k)])).collect();
            format!("[{}]", r.join(", "))
        })
        .collect();
    format!("[{}]", rows.join(", "))
}

/// The Python runner for a batch of NumPy cases: each case is
/// (id, module, inputs, dims, [(function, expected)]). Prints one line per
/// function: `id fn ok|skip|FAIL detail`.
pub const PY_RUNNER: &str = r#"
import inspect, sys, traceback
import numpy as np
def run(cases):
    for cid, mod, inputs, dims, fns in cases:
        ns = {}
        try:
            exec(mod, ns)
        except Exception as e:
            print(cid, "-", "FAIL", "module does not load:", repr(e).replace("\n", " ")); continue
        pool = {}
        for k, v in inputs.items():
            val = float(v) if isinstance(v, float) else np.array(v, dtype=float)
            pool[k] = val; pool[k + "_"] = val
        for k, v in dims.items():
            pool[k] = int(v)
        for fn, expected, scalar in fns:
            try:
                f = ns[fn]
                params = list(inspect.signature(f).parameters)
                missing = [p for p in params if p not in pool]
                if missing:
                    print(cid, fn, "skip", "missing", missing); continue
                r = f(**{p: pool[p] for p in params})
                exp = np.array(expected, dtype=float)
                r = np.asarray(r, dtype=float)
                if scalar:
                    r = r.reshape(-1)[0:1]; exp = exp.reshape(-1)[0:1]
                if r.shape != exp.shape:
                    print(cid, fn, "FAIL", "shape", r.shape, "expected", exp.shape); continue
                d = float(np.max(np.abs(r - exp))) if r.size else 0.0
                scale = max(1.0, float(np.max(np.abs(exp))) if exp.size else 1.0)
                if d / scale > 1e-8:
                    print(cid, fn, "FAIL", "max abs diff %.3e" % d)
                else:
                    print(cid, fn, "ok")
            except Exception as e:
                print(cid, fn, "FAIL", repr(e).replace("\n", " ")[:300])
"#;

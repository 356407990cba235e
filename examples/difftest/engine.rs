//! The ONLY module that calls into the `matcalc` library. Everything it
//! returns is plain data (strings and matrices), so when the library's API is
//! reorganised, only this file has to change.
#![allow(dead_code)]

use matcalc::grade_answer;
use matcalc::numpy::{module, Function};
use matcalc::oracle::eval;
use matcalc::oracle::Instance;
pub use matcalc::Kind;
use matcalc::{ErrorKind, Problem};
use nalgebra::DMatrix;
use std::collections::BTreeMap;

pub type M = DMatrix<f64>;

/// One answered query, evaluated on our instance.
#[derive(Clone, Debug)]
pub struct Answered {
    /// The objective, identifier form (`L`, `z_1`).
    pub of: String,
    /// `gradient`, `jacobian` or `hessian`.
    pub kind: Kind,
    /// The variable, identifier form (`W_1`, `alpha`).
    pub wrt: String,
    /// The printed answer.
    pub latex: String,
    /// The answer's value on our instance, or the evaluator's error.
    pub value: Result<M, String>,
    /// The printed answer parsed back (with the answer's shape) and evaluated.
    pub reparsed: Result<M, String>,
    /// grade_answer(printed) verdict, or the error.
    pub verdict: Result<String, String>,
    /// Python function name in the NumPy module.
    pub py_fn: String,
}

/// What the engine did with one document.
#[derive(Clone, Debug)]
pub enum Run {
    /// Exit-2 style error (kind label, message).
    Refused(String, String),
    /// ErrorKind::Internal.
    Internal(String),
    /// A panic (its message).
    Panic(String),
    /// Answers, plus the NumPy module if asked for (or its error).
    Answered(Vec<Answered>, Option<Result<String, String>>),
}

/// Silence the default panic hook (panics are caught and counted).
pub fn silence_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !IN_ENGINE.with(|c| c.get()) {
            default(info);
        }
    }));
}

thread_local! {
    static IN_ENGINE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn panic_message(e: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = e.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = e.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}

fn classify(d: &matcalc::Diagnostic) -> Run {
    if d.kind == ErrorKind::Internal {
        Run::Internal(d.message.clone())
    } else {
        Run::Refused(d.kind.label().to_string(), d.message.clone())
    }
}

/// Run the whole pipeline on `doc`: answers, their values on the instance
/// given by `sizes`/`values` (by identifier) and `seed`, the round trip through
/// the printed LaTeX, the grade of the printed answer, and the NumPy module.
pub fn run(
    doc: &str,
    sizes: &BTreeMap<String, usize>,
    values: &BTreeMap<String, M>,
    seed: u64,
    want_numpy: bool,
) -> Run {
    IN_ENGINE.with(|c| c.set(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_inner(doc, sizes, values, seed, want_numpy)
    }));
    IN_ENGINE.with(|c| c.set(false));
    match r {
        Ok(x) => x,
        Err(e) => Run::Panic(panic_message(e)),
    }
}

fn run_inner(
    doc: &str,
    sizes: &BTreeMap<String, usize>,
    values: &BTreeMap<String, M>,
    seed: u64,
    want_numpy: bool,
) -> Run {
    let mut p = match Problem::new(doc) {
        Ok(p) => p,
        Err(d) => return classify(&d),
    };
    let answers = match p.answers() {
        Ok(a) => a,
        Err(d) => return classify(&d),
    };
    let mut inst = Instance {
        sizes: sizes.clone(),
        values: BTreeMap::new(),
        upstream: BTreeMap::new(),
        seed,
    };
    for (name, info) in &p.graph.vars {
        if let Some(v) = values.get(&name.ident()) {
            inst.values.insert(name.clone(), v.clone());
        } else if info.is_dim {
            let n = sizes.get(&name.ident()).copied().unwrap_or(1);
            inst.values
                .insert(name.clone(), M::from_element(1, 1, n as f64));
        }
    }
    let mut out = Vec::new();
    let mut fns = Vec::new();
    for a in &answers {
        let value =
            eval(&p.graph, &inst, a.id).map_err(|d| format!("{}: {}", d.kind.label(), d.message));
        let latex = p.latex(a, Default::default());
        let reparsed = match p.expression(&latex, false, Some(&a.shape)) {
            Ok(id) => eval(&p.graph, &inst, id)
                .map_err(|d| format!("eval {}: {}", d.kind.label(), d.message)),
            Err(d) => Err(format!("parse back {}: {}", d.kind.label(), d.message)),
        };
        let verdict = match grade_answer(&mut p, a, &latex) {
            Ok(v) => Ok(v.verdict.as_str().to_string()),
            Err(d) => Err(format!("{}: {}", d.kind.label(), d.message)),
        };
        let py_fn = format!(
            "{}_{}_{}",
            a.kind.prefix(),
            a.question.of.ident(),
            a.question.wrt.ident()
        );
        fns.push(Function {
            name: py_fn.clone(),
            id: a.id,
        });
        out.push(Answered {
            of: a.question.of.ident(),
            kind: a.kind,
            wrt: a.question.wrt.ident(),
            latex,
            value,
            reparsed,
            verdict,
            py_fn,
        });
    }
    let np = if want_numpy {
        Some(module(&p.graph, &fns).map_err(|d| format!("{}: {}", d.kind.label(), d.message)))
    } else {
        None
    };
    Run::Answered(out, np)
}

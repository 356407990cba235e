//! `matcalc._matcalc`: the native half of the Python package. It keeps a
//! [`Session`] per problem and answers in the CLI's documented JSON
//! (docs/INTERFACE.md); `python/matcalc/__init__.py` turns that into
//! Python objects. Errors become exceptions under `MatcalcError`.

use clap::ValueEnum;
use matcalc::cli::{
    CheckArgs, CheckFormat, Common, GradArgs, GradFormat, GradeArgs, GradeClassFormat, GradeFormat,
    GraphArgs, GraphFormat, Outcome, Session, StepsArgs, StepsFormat, Transpose,
};
use matcalc::limits::{self, Limits};
use matcalc::{Diagnostic, ErrorKind};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use std::collections::HashMap;
use std::sync::Mutex;

create_exception!(
    _matcalc,
    MatcalcError,
    PyException,
    "Any error matcalc reports; `.kind` names it as the CLI does."
);
create_exception!(
    _matcalc,
    ParseError,
    MatcalcError,
    "The text is not in the language."
);
create_exception!(
    _matcalc,
    ShapeError,
    MatcalcError,
    "Operands whose shapes do not fit."
);
create_exception!(
    _matcalc,
    UnknownNameError,
    MatcalcError,
    "A name that is unknown, used two ways, or declared twice."
);
create_exception!(
    _matcalc,
    UnsupportedError,
    MatcalcError,
    "A construct matcalc cannot differentiate or evaluate yet."
);
create_exception!(
    _matcalc,
    LimitError,
    MatcalcError,
    "An input bound was hit (size, depth, parser work, term count)."
);

/// The stack the engine runs on, as the binary's (parsing and printing
/// recurse on the expression tree, whose depth the parser bounds).
const STACK: usize = 256 * 1024 * 1024;

/// The exception for a diagnostic: its class by kind; `str(e)` is the
/// rendered code frame; `.kind`, `.message`, `.line`, `.column` as
/// documented in python/README.md.
fn to_py(py: Python<'_>, d: &Diagnostic, name: &str, src: &str) -> PyErr {
    let rendered = d.render(name, src);
    let err = match d.kind {
        ErrorKind::Parse => ParseError::new_err(rendered),
        ErrorKind::Shape => ShapeError::new_err(rendered),
        ErrorKind::Name => UnknownNameError::new_err(rendered),
        ErrorKind::Unsupported => UnsupportedError::new_err(rendered),
        ErrorKind::Limit => LimitError::new_err(rendered),
        _ => MatcalcError::new_err(rendered),
    };
    let (line, column) = match d.position(src) {
        Some((l, c)) => (Some(l), Some(c)),
        None => (None, None),
    };
    let v = err.value(py);
    // Setting attributes on a fresh exception object cannot fail.
    let _ = v.setattr("kind", d.kind.name());
    let _ = v.setattr("message", d.message.clone());
    let _ = v.setattr("line", line);
    let _ = v.setattr("column", column);
    err
}

/// Run `f` on a thread with the engine's stack; a panic (a bug) becomes an
/// internal error instead of unwinding into Python. Called without the GIL.
fn engine<T: Send>(f: impl FnOnce() -> matcalc::Result<T> + Send) -> matcalc::Result<T> {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .stack_size(STACK)
            .spawn_scoped(scope, f);
        match worker.map(|h| h.join()) {
            Ok(Ok(r)) => r,
            _ => Err(Diagnostic::new(
                ErrorKind::Internal,
                "matcalc crashed; please report this input",
            )),
        }
    })
}

/// A `--format` value by its CLI name (`markdown`, `json`, …), or a
/// ValueError listing the names `what` accepts.
fn format_named<T: ValueEnum>(name: &str, what: &str) -> PyResult<T> {
    T::from_str(name, false).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        PyValueError::new_err(format!(
            "{what} format must be one of {}, not {name:?}",
            names.join(", ")
        ))
    })
}

fn common(wrt: Option<String>, of: Option<String>, transpose: &str, seed: u64) -> PyResult<Common> {
    let transpose = match transpose {
        "T" => Transpose::T,
        "top" => Transpose::Top,
        t => {
            return Err(PyValueError::new_err(format!(
                "transpose must be \"T\" or \"top\", not {t:?}"
            )))
        }
    };
    Ok(Common {
        file: None,
        inline: None,
        wrt,
        of,
        transpose,
        seed,
    })
}

/// A parsed, checked problem with the answers derived so far. Calls from
/// several Python threads take turns; the lock is taken without the GIL,
/// so a waiting thread never holds it against the running one.
#[pyclass(module = "matcalc._matcalc")]
struct NativeProblem {
    session: Mutex<Session>,
    src: String,
    limits: Limits,
}

/// The limits a `limits={"name": value}` dict asks for (the defaults, with
/// each entry applied); a ValueError names a bad name or value.
fn limits_from(given: Option<HashMap<String, f64>>) -> PyResult<Limits> {
    let mut l = Limits::default();
    for (name, value) in given.unwrap_or_default() {
        l.set(&name, &value.to_string())
            .map_err(PyValueError::new_err)?;
    }
    Ok(l)
}

impl NativeProblem {
    fn run(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Session) -> matcalc::Result<Outcome> + Send,
    ) -> PyResult<(String, i32)> {
        let limits = self.limits;
        let done = py.detach(|| {
            // A panic is caught on the worker, so the lock is never poisoned;
            // recover the guard anyway rather than panic here.
            let mut session = self.session.lock().unwrap_or_else(|e| e.into_inner());
            let session = &mut *session;
            engine(move || limits::with(limits, || f(session)))
        });
        match done {
            Ok(o) => Ok((o.stdout, o.code)),
            Err(d) => Err(to_py(py, &d, "<problem>", &self.src)),
        }
    }
}

#[pymethods]
impl NativeProblem {
    /// Parse and check `text`, then derive the document's own queries,
    /// under `limits` (names as the CLI's `--limit`).
    #[new]
    #[pyo3(signature = (text, limits=None))]
    fn new(py: Python<'_>, text: String, limits: Option<HashMap<String, f64>>) -> PyResult<Self> {
        let limits = limits_from(limits)?;
        let src = text.clone();
        let made = py.detach(move || {
            engine(move || {
                limits::with(limits, || {
                    let mut s = Session::new(&src)?;
                    let qs = s.problem.questions();
                    for q in &qs {
                        s.answer(q)?;
                    }
                    Ok(s)
                })
            })
        });
        match made {
            Ok(session) => Ok(NativeProblem {
                session: Mutex::new(session),
                src: text,
                limits,
            }),
            Err(d) => Err(to_py(py, &d, "<problem>", &text)),
        }
    }

    /// The source text.
    #[getter]
    fn text(&self) -> String {
        self.src.clone()
    }

    /// `grad --format json` (or `numpy`): (document, exit status).
    #[pyo3(signature = (wrt=None, of=None, transpose="T", numpy=false))]
    fn grad(
        &self,
        py: Python<'_>,
        wrt: Option<String>,
        of: Option<String>,
        transpose: &str,
        numpy: bool,
    ) -> PyResult<(String, i32)> {
        let args = GradArgs {
            format: if numpy {
                GradFormat::Numpy
            } else {
                GradFormat::Json
            },
            common: common(wrt, of, transpose, 1)?,
        };
        self.run(py, move |s| s.grad(&args))
    }

    /// `grade --format json`: (document, exit status). An error in the
    /// answer is rendered against the answer.
    #[pyo3(signature = (answer, wrt=None, of=None))]
    fn grade(
        &self,
        py: Python<'_>,
        answer: String,
        wrt: Option<String>,
        of: Option<String>,
    ) -> PyResult<(String, i32)> {
        let args = GradeArgs {
            answer,
            format: GradeFormat::Json,
            common: common(wrt, of, "T", 1)?,
        };
        self.run(py, move |s| s.grade(&args))
    }

    /// `check --format json`: (document, exit status).
    #[pyo3(signature = (wrt=None, of=None, seed=1))]
    fn check(
        &self,
        py: Python<'_>,
        wrt: Option<String>,
        of: Option<String>,
        seed: u64,
    ) -> PyResult<(String, i32)> {
        let args = CheckArgs {
            format: CheckFormat::Json,
            common: common(wrt, of, "T", seed)?,
        };
        self.run(py, move |s| s.check(&args))
    }

    /// `steps --format FORMAT [--standalone]`: the document.
    #[pyo3(signature = (format, wrt=None, of=None, standalone=false))]
    fn steps(
        &self,
        py: Python<'_>,
        format: &str,
        wrt: Option<String>,
        of: Option<String>,
        standalone: bool,
    ) -> PyResult<String> {
        let args = StepsArgs {
            format: format_named::<StepsFormat>(format, "steps")?,
            standalone,
            common: common(wrt, of, "T", 1)?,
        };
        Ok(self.run(py, move |s| s.steps(&args))?.0)
    }

    /// `graph --format FORMAT`: the document.
    #[pyo3(signature = (format, wrt=None, of=None))]
    fn graph(
        &self,
        py: Python<'_>,
        format: &str,
        wrt: Option<String>,
        of: Option<String>,
    ) -> PyResult<String> {
        let args = GraphArgs {
            format: format_named::<GraphFormat>(format, "graph")?,
            common: common(wrt, of, "T", 1)?,
        };
        Ok(self.run(py, move |s| s.graph(&args))?.0)
    }
}

/// `grade-class --format FORMAT` on gradebook text: (report, exit status).
#[pyfunction]
fn grade_class(py: Python<'_>, gradebook: String, format: &str) -> PyResult<(String, i32)> {
    let format = format_named::<GradeClassFormat>(format, "grade_class")?;
    let book = &gradebook;
    match py.detach(move || engine(move || matcalc::cli::grade_class(book, format))) {
        Ok(o) => Ok((o.stdout, o.code)),
        Err(d) => Err(to_py(py, &d, "<gradebook>", &gradebook)),
    }
}

/// The native module; the package `matcalc` re-exports what users call.
#[pymodule]
fn _matcalc(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<NativeProblem>()?;
    m.add_function(wrap_pyfunction!(grade_class, m)?)?;
    m.add("MatcalcError", py.get_type::<MatcalcError>())?;
    m.add("ParseError", py.get_type::<ParseError>())?;
    m.add("ShapeError", py.get_type::<ShapeError>())?;
    m.add("UnknownNameError", py.get_type::<UnknownNameError>())?;
    m.add("UnsupportedError", py.get_type::<UnsupportedError>())?;
    m.add("LimitError", py.get_type::<LimitError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

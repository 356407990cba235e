//! The command line (docs/INTERFACE.md): one function per command, each
//! with its own `--format` values. Each returns the text for standard
//! output and the exit status, or a diagnostic; the printing itself lives
//! in `print/` (JSON documents, SVG) and `teach/`.

use crate::core::diagnostic::{Diagnostic, ErrorKind, Result};
use crate::print::json::{self, CheckResult, GradResult, SimplifyResult};
use crate::print::numpy;
use crate::print::TransposeStyle;
use crate::problem::{Answer, Kind, Problem, Question};
use std::io::Read;

/// Largest relative error `check` accepts.
pub const CHECK_TOLERANCE: f64 = 1e-6;
/// Instances `check` tries per answer.
pub const CHECK_INSTANCES: u64 = 3;

mod args;
pub use args::*;

/// What a command produced.
pub struct Outcome {
    /// Standard output.
    pub stdout: String,
    /// Exit status (0 or 1; errors are 2).
    pub code: i32,
}

/// Read the document: `-e`, a file, or `-` for standard input. Returns
/// (name for messages, text).
pub fn read_source(c: &Common) -> Result<(String, String)> {
    if let Some(t) = &c.inline {
        return Ok(("<expr>".into(), t.clone()));
    }
    match c.file.as_deref() {
        None => Err(Diagnostic::new(
            ErrorKind::Usage,
            "no document: give a FILE, `-` for standard input, or -e 'TEXT'",
        )),
        Some(path) => read_file(path, crate::core::limits::current().input),
    }
}

/// Read a file (`-`: standard input) of at most `limit` bytes of UTF-8.
/// Returns (name for messages, text).
pub fn read_file(path: &str, limit: usize) -> Result<(String, String)> {
    if path == "-" {
        let mut s = String::new();
        std::io::stdin()
            .take(limit as u64 + 1)
            .read_to_string(&mut s)
            .map_err(|e| {
                Diagnostic::new(ErrorKind::Usage, format!("cannot read standard input: {e}"))
            })?;
        return Ok(("<stdin>".into(), s));
    }
    let meta = std::fs::metadata(path)
        .map_err(|e| Diagnostic::new(ErrorKind::Usage, format!("cannot read `{path}`: {e}")))?;
    if meta.len() > limit as u64 {
        return Err(Diagnostic::new(
            ErrorKind::Limit,
            format!(
                "`{path}` is {} bytes; the limit is {limit} bytes",
                meta.len()
            ),
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| Diagnostic::new(ErrorKind::Usage, format!("cannot read `{path}`: {e}")))?;
    let s = String::from_utf8(bytes)
        .map_err(|_| Diagnostic::new(ErrorKind::Parse, format!("`{path}` is not UTF-8 text")))?;
    Ok((path.to_string(), s))
}

/// A problem document with the answers derived so far: each command runs
/// on one, and a front end that keeps it (the Python package) grades many
/// answers, draws steps and checks without deriving anything twice.
pub struct Session {
    /// The parsed and checked document (it keeps the answers it derived).
    pub problem: Problem,
}

impl Session {
    /// Parse and check a document.
    ///
    /// ```
    /// use matcalc::cli::{Session, GradArgs, GradFormat, Common, Transpose};
    /// let mut s = Session::new("x \\in \\mathbb{R}^{n}\nf = x^T x\n\\nabla_x f").unwrap();
    /// let common = Common { file: None, inline: None, wrt: None, of: None,
    ///                       transpose: Transpose::T, seed: 1 };
    /// let out = s.grad(&GradArgs { format: GradFormat::Text, common }).unwrap();
    /// assert_eq!(out.stdout, "∇_x f = 2 x\n");
    /// ```
    pub fn new(src: &str) -> Result<Session> {
        Ok(Session {
            problem: Problem::new(src)?,
        })
    }

    /// The answer to one question, derived on first asking.
    pub fn answer(&mut self, q: &Question) -> Result<Answer> {
        self.problem.answer_once(q)
    }

    /// The answers a command line asks for: the one --wrt/--of name, else
    /// every query of the document.
    pub fn answers(&mut self, c: &Common) -> Result<Vec<Answer>> {
        if let Some(w) = &c.wrt {
            let q = self.problem.question(w, c.of.as_deref())?;
            return Ok(vec![self.answer(&q)?]);
        }
        if c.of.is_some() {
            return Err(Diagnostic::new(ErrorKind::Usage, "--of needs --wrt"));
        }
        let qs = self.problem.questions();
        if qs.is_empty() {
            // The message the library gives for a document without queries.
            return self.problem.answers();
        }
        qs.iter().map(|q| self.answer(q)).collect()
    }
}

fn tstyle(c: &Common) -> TransposeStyle {
    match c.transpose {
        Transpose::T => TransposeStyle::T,
        Transpose::Top => TransposeStyle::Top,
    }
}

fn fn_name(a: &Answer) -> String {
    let prefix = match a.kind {
        Kind::Gradient => "grad",
        Kind::Jacobian => "jac",
        Kind::Hessian => "hess",
    };
    format!(
        "{prefix}_{}_{}",
        a.question.of.ident(),
        a.question.wrt.ident()
    )
}

/// `∇_W L`, the text form of a query.
fn query_text(a: &Answer) -> String {
    let (of, wrt) = (a.question.of.text(), a.question.wrt.text());
    match a.kind {
        Kind::Gradient => format!("∇_{wrt} {of}"),
        Kind::Jacobian => format!("∂{of}/∂{wrt}"),
        Kind::Hessian => format!("∇²_{wrt} {of}"),
    }
}

/// `gradient`, `jacobian` or `hessian`, as the answer's kind serialises.
fn kind_name(a: &Answer) -> String {
    match serde_json::to_value(a.kind) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{:?}", a.kind).to_lowercase(),
    }
}

/// The remarks JSON carries for a set of answers: simplifier runs that hit a
/// bound, then each answer's own notes.
fn answer_notes(ans: &[Answer]) -> Vec<String> {
    let mut notes: Vec<String> = ans
        .iter()
        .filter(|a| a.simplify_stop != "saturated")
        .map(|a| {
            format!(
                "simplification of ∇_{} {} stopped at the {} ({} e-nodes); the answer is correct but may not be simplest",
                a.question.wrt.ident(),
                a.question.of.ident(),
                a.simplify_stop,
                a.egraph_nodes
            )
        })
        .collect();
    for a in ans {
        for n in &a.notes {
            notes.push(format!(
                "∇_{} {}: {n}",
                a.question.wrt.ident(),
                a.question.of.ident()
            ));
        }
    }
    notes
}

fn the_question(p: &Problem, c: &Common) -> Result<crate::problem::Question> {
    if let Some(w) = &c.wrt {
        return p.question(w, c.of.as_deref());
    }
    let qs = p.questions();
    match qs.as_slice() {
        [q] => Ok(q.clone()),
        [] => Err(Diagnostic::new(
            ErrorKind::Usage,
            "the document asks nothing: pass --wrt (and --of)",
        )),
        _ => {
            let of = c.of.as_deref().and_then(crate::syntax::ast::Name::from_cli);
            let matching: Vec<_> = qs
                .iter()
                .filter(|q| of.as_ref().is_none_or(|o| &q.of == o))
                .collect();
            match matching.as_slice() {
                [q] => Ok((*q).clone()),
                _ => Err(Diagnostic::new(
                    ErrorKind::Usage,
                    "the document asks several things: choose one with --wrt and --of",
                )),
            }
        }
    }
}

/// The questions `steps` and `graph` draw: the one --wrt/--of choose, else
/// every query of the document.
fn drawn_questions(p: &Problem, c: &Common) -> Result<Vec<crate::problem::Question>> {
    if c.wrt.is_some() {
        Ok(vec![the_question(p, c)?])
    } else {
        Ok(p.questions())
    }
}

impl Session {
    /// `matcalc grad`.
    pub fn grad(&mut self, a: &GradArgs) -> Result<Outcome> {
        let c = &a.common;
        let ans = self.answers(c)?;
        let p = &mut self.problem;
        let mut out = String::new();
        match a.format {
            GradFormat::Latex => {
                for a in &ans {
                    let l = p.latex(a, tstyle(c));
                    let q = p.query_latex(&a.question).replace("^T", "");
                    out.push_str(&format!("{q} = {l}\n"));
                }
            }
            GradFormat::Text => {
                for a in &ans {
                    out.push_str(&format!("{} = {}\n", query_text(a), p.text(a)));
                }
            }
            GradFormat::Numpy => {
                let fns: Vec<numpy::Function> = ans
                    .iter()
                    .map(|a| numpy::Function {
                        name: fn_name(a),
                        id: a.id,
                    })
                    .collect();
                out = numpy::module(&p.graph, &fns)?;
            }
            GradFormat::Json => {
                let mut results = Vec::new();
                for a in &ans {
                    let f = numpy::Function {
                        name: fn_name(a),
                        id: a.id,
                    };
                    // One answer NumPy cannot express leaves the others
                    // usable; each is a whole module, runnable on its own.
                    let np = numpy::module(&p.graph, std::slice::from_ref(&f))
                        .unwrap_or_else(|e| format!("# not available: {}", e.message));
                    results.push(GradResult {
                        of: a.question.of.ident(),
                        wrt: a.question.wrt.ident(),
                        query: p.query_latex(&a.question).replace("^T", ""),
                        kind: kind_name(a),
                        shape: a.shape.to_list(),
                        latex: p.latex(a, tstyle(c)),
                        text: p.text(a),
                        numpy: np,
                    });
                }
                out = json::to_string(&json::grad(&results, &answer_notes(&ans)));
            }
        }
        Ok(Outcome {
            stdout: out,
            code: 0,
        })
    }

    /// `matcalc check`.
    pub fn check(&mut self, args: &CheckArgs) -> Result<Outcome> {
        let c = &args.common;
        let ans = self.answers(c)?;
        let p = &mut self.problem;
        let mut out = String::new();
        let mut failed = false;
        let mut rows = Vec::new();
        for a in &ans {
            let mut worst: f64 = 0.0;
            let mut difference: f64 = 0.0;
            let mut notes = Vec::new();
            let mut instances = 0;
            let mut inconclusive = None;
            // Instances on which finite differences cannot judge are passed
            // over (and said so); none judged at all is an error naming why.
            for k in 0..CHECK_INSTANCES * 3 {
                if instances == CHECK_INSTANCES {
                    break;
                }
                let r = match p.check(a, c.seed.wrapping_add(k * 7919)) {
                    Ok(r) => r,
                    Err(e) if e.kind == ErrorKind::Domain => {
                        inconclusive = Some(e);
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                worst = worst.max(r.rel_error);
                difference = difference.max(r.difference);
                notes.extend(r.notes);
                instances += 1;
                if r.heavy {
                    break;
                }
            }
            if let Some(e) = inconclusive {
                if instances == 0 {
                    return Err(e);
                }
                notes.push(format!("an instance was passed over: {}", e.message));
            }
            let ok = worst < CHECK_TOLERANCE;
            failed |= !ok;
            let l = p.latex(a, tstyle(c));
            let line = match args.format {
                CheckFormat::Text => format!("{} = {}", query_text(a), p.text(a)),
                _ => format!("{} = {l}", p.query_latex(&a.question)),
            };
            // The plain difference is what a reader expects; the decision is on
            // the part of it beyond the differences' own noise.
            let beyond = if ok {
                String::new()
            } else {
                format!(" ({worst:.1e} beyond the differences' noise)")
            };
            out.push_str(&format!(
                "{} {line}: relative error {difference:.1e}{beyond} over {instances} instance{}\n",
                if ok { "ok  " } else { "FAIL" },
                if instances == 1 { "" } else { "s" }
            ));
            rows.push(CheckResult {
                of: a.question.of.ident(),
                wrt: a.question.wrt.ident(),
                latex: l,
                rel_error: difference,
                beyond_noise: worst,
                ok,
                notes,
            });
        }
        if args.format == CheckFormat::Json {
            out = json::to_string(&json::check(&rows));
        }
        Ok(Outcome {
            stdout: out,
            code: if failed { 1 } else { 0 },
        })
    }

    /// `matcalc simplify`.
    pub fn simplify(&mut self, args: &SimplifyArgs) -> Result<Outcome> {
        let c = &args.common;
        let p = &mut self.problem;
        let results = p.simplify_expressions()?;
        let mut out = String::new();
        let mut rows = Vec::new();
        let mut notes = Vec::new();
        for (id, stop) in &results {
            let latex = crate::print::to_latex(&mut p.graph, *id, tstyle(c));
            let text = crate::print::to_text(&mut p.graph, *id);
            match args.format {
                SimplifyFormat::Text => out.push_str(&format!("{text}\n")),
                _ => out.push_str(&format!("{latex}\n")),
            }
            if stop != "saturated" {
                notes.push(format!("simplification stopped at the {stop}"));
            }
            rows.push(SimplifyResult {
                latex,
                text,
                shape: p.graph.shape(*id).to_list(),
            });
        }
        match args.format {
            SimplifyFormat::Json => {
                out = json::to_string(&json::simplify(&rows, &notes));
            }
            SimplifyFormat::Numpy => {
                let fns: Vec<numpy::Function> = results
                    .iter()
                    .enumerate()
                    .map(|(i, (id, _))| numpy::Function {
                        name: format!("expr_{i}"),
                        id: *id,
                    })
                    .collect();
                out = numpy::module(&p.graph, &fns)?;
            }
            SimplifyFormat::Latex | SimplifyFormat::Text => {}
        }
        Ok(Outcome {
            stdout: out,
            code: 0,
        })
    }

    /// `matcalc grade`.
    pub fn grade(&mut self, a: &GradeArgs) -> Result<Outcome> {
        use crate::teach::grade::{grade_answer, Judgement, Method, INSTANCES};
        let c = &a.common;
        let q = the_question(&self.problem, c)?;
        let ans = self.answer(&q)?;
        let p = &mut self.problem;
        let v = match grade_answer(p, &ans, &a.answer) {
            Ok(v) => v,
            Err(d) if d.origin.is_none() && d.kind != ErrorKind::Internal => {
                return Err(d.in_source("<answer>", &a.answer));
            }
            Err(d) => return Err(d),
        };
        if v.verdict == Judgement::UnknownName {
            let mut d = Diagnostic::new(ErrorKind::Name, v.diagnosis.clone().unwrap_or_default())
                .in_source("<answer>", &a.answer);
            d.span = v.span;
            return Err(d);
        }
        let code = if v.verdict == Judgement::Equivalent {
            0
        } else {
            1
        };
        let out = match a.format {
            GradeFormat::Json => json::to_string(&json::grade(&v)),
            GradeFormat::Latex | GradeFormat::Text => {
                let method = match v.method {
                    Method::Symbolic => "proven symbolically".to_string(),
                    Method::Numeric => format!(
                        "decided numerically on {INSTANCES} random instances, largest absolute difference {:.1e}, relative {:.1e}",
                        v.max_abs_diff.unwrap_or(0.0),
                        v.max_rel_diff.unwrap_or(0.0)
                    ),
                    Method::Shape => "decided by shapes".into(),
                    Method::Names => "decided by names".into(),
                };
                let mut s = format!(
                    "{} ({method})\nexpected: {}\n",
                    v.verdict.as_str(),
                    v.expected
                );
                if let Some(d) = &v.diagnosis {
                    s.push_str(&format!("diagnosis: {d}\n"));
                }
                for n in &v.notes {
                    s.push_str(&format!("note: {n}\n"));
                }
                s
            }
        };
        Ok(Outcome { stdout: out, code })
    }

    /// `matcalc steps`.
    pub fn steps(&mut self, a: &StepsArgs) -> Result<Outcome> {
        use crate::teach::render::StepsFormat as Render;
        use crate::teach::steps as derivation;
        let p = &mut self.problem;
        let qs = drawn_questions(p, &a.common)?;
        if qs.is_empty() {
            return Err(Diagnostic::new(
                ErrorKind::Usage,
                "the document asks nothing: pass --wrt (and --of)",
            ));
        }
        if a.standalone && a.format != StepsFormat::Latex {
            return Err(Diagnostic::new(
                ErrorKind::Usage,
                "--standalone makes a LaTeX document: it goes with --format latex",
            ));
        }
        let mut all = Vec::new();
        for q in &qs {
            all.push(derivation::steps_styled(p, q, tstyle(&a.common))?);
        }
        let render = |f: Render| {
            all.iter()
                .map(|s| s.render(f))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let out = match a.format {
            StepsFormat::Json => json::to_string(&json::steps(&all)),
            StepsFormat::Latex if a.standalone => crate::teach::render::standalone(&all),
            StepsFormat::Latex => render(Render::Latex),
            StepsFormat::Markdown => render(Render::Markdown),
            StepsFormat::Text => render(Render::Text),
        };
        Ok(Outcome {
            stdout: out,
            code: 0,
        })
    }

    /// `matcalc graph`.
    pub fn graph(&mut self, a: &GraphArgs) -> Result<Outcome> {
        let p = &mut self.problem;
        let qs = drawn_questions(p, &a.common)?;
        let (of, wrt): (Vec<_>, Vec<_>) = if qs.is_empty() {
            (p.graph.def_order.clone(), Vec::new())
        } else {
            (
                qs.iter().map(|q| q.of.clone()).collect(),
                qs.iter().map(|q| q.wrt.clone()).collect(),
            )
        };
        let view = crate::teach::graph::graph(&mut p.graph, &of, &wrt);
        let out = match a.format {
            GraphFormat::Dot => view.to_dot(),
            GraphFormat::Json => json::to_string(&json::graph(&view)),
            GraphFormat::Svg => crate::print::svg::render(&view.to_dot())?,
        };
        Ok(Outcome {
            stdout: out,
            code: 0,
        })
    }
}

/// `matcalc grade-class`: exit 1 when a verdict disagrees with the
/// gradebook's expected one.
pub fn grade_class(src: &str, format: GradeClassFormat) -> Result<Outcome> {
    use crate::teach::gradebook;
    let rows = gradebook::grade_class(src)?;
    let code = if rows.iter().any(|r| r.agrees == Some(false)) {
        1
    } else {
        0
    };
    let stdout = match format {
        GradeClassFormat::Markdown => gradebook::markdown(&rows),
        GradeClassFormat::Csv => gradebook::csv(&rows),
        GradeClassFormat::Json => json::to_string(&json::grade_class(&rows)),
    };
    Ok(Outcome { stdout, code })
}

/// A failed run: the human rendering for standard error, and with
/// `--format json` the JSON error document for standard output, so a
/// program reading standard output always gets JSON.
fn failure(e: &Diagnostic, name: &str, src: &str, json_out: bool) -> (String, String, i32) {
    let stdout = if json_out {
        let (source, _) = e.source(name, src);
        json::to_string(&json::error(
            e.kind.name(),
            &e.message,
            &e.notes,
            source,
            e.position(src),
            e.end_position(src),
        ))
    } else {
        String::new()
    };
    (stdout, e.render(name, src), 2)
}

/// Run a command line given as its arguments after `matcalc`, without a
/// terminal or a process to exit (the web playground's entry): help and
/// version text go to standard output with status 0; a refused command
/// line is clap's message on standard error, status 2, with the JSON error
/// document on standard output when it asks for `--format json`.
/// Returns (stdout, stderr, exit status).
pub fn run_args<I: IntoIterator<Item = String>>(args: I) -> (String, String, i32) {
    use clap::Parser;
    let argv: Vec<String> = std::iter::once("matcalc".to_string()).chain(args).collect();
    match Cli::try_parse_from(&argv) {
        Ok(cli) => run(&cli),
        Err(e) => {
            let rendered = e.render().to_string();
            if !e.use_stderr() {
                return (rendered, String::new(), 0);
            }
            let doc = argument_error_json(&e, &argv).unwrap_or_default();
            (doc, rendered, 2)
        }
    }
}

/// Build the rewrite rules `cli`'s command will use on a thread of their
/// own, so that their construction (about a sixth of a small `grad`
/// process) overlaps reading, checking and deriving the document instead
/// of following it. The rule sets are built once per process either way
/// (whichever thread asks first builds them; the other waits), so the
/// output does not depend on which wins. For the binary only: threads are
/// not available everywhere the library runs (WebAssembly).
pub fn warm_rules(cli: &Cli) {
    let proofs = matches!(cli.command, Command::Grade(_) | Command::GradeClass(_));
    let _ = std::thread::Builder::new().spawn(move || {
        crate::simplify::rules::all_once();
        if proofs {
            crate::simplify::rules::for_proofs_once();
        }
    });
}

/// Run a parsed command line; errors are rendered against the source.
/// Returns (stdout, stderr, exit status).
pub fn run(cli: &Cli) -> (String, String, i32) {
    crate::core::limits::with(cli.limits(), || run_command(cli))
}

fn run_command(cli: &Cli) -> (String, String, i32) {
    let json_out = cli.command.json();
    let Some(common) = cli.command.common() else {
        let Command::GradeClass(a) = &cli.command else {
            unreachable!("only grade-class has no document")
        };
        let (name, src) = match read_file(&a.file, crate::gradebook::MAX_GRADEBOOK) {
            Ok(x) => x,
            Err(e) => return failure(&e, "<input>", "", json_out),
        };
        return match grade_class(&src, a.format) {
            Ok(o) => (o.stdout, String::new(), o.code),
            Err(e) => failure(&e, &name, &src, json_out),
        };
    };
    let (name, src) = match read_source(common) {
        Ok(x) => x,
        Err(e) => return failure(&e, "<input>", "", json_out),
    };
    let r = match &cli.command {
        Command::Grad(a) => Session::new(&src).and_then(|mut s| s.grad(a)),
        Command::Check(a) => Session::new(&src).and_then(|mut s| s.check(a)),
        Command::Simplify(a) => Session::new(&src).and_then(|mut s| s.simplify(a)),
        Command::Grade(a) => Session::new(&src).and_then(|mut s| s.grade(a)),
        Command::Steps(a) => Session::new(&src).and_then(|mut s| s.steps(a)),
        Command::Graph(a) => Session::new(&src).and_then(|mut s| s.graph(a)),
        Command::GradeClass(_) => unreachable!("handled above"),
    };
    match r {
        Ok(o) => (o.stdout, String::new(), o.code),
        Err(e) => failure(&e, &name, &src, json_out),
    }
}

/// What the binary prints when a command panicked (a bug: no input should
/// get here): the JSON error document when `json` is set, a one-line
/// message on standard error, and exit code 2.
pub fn crashed(json: bool) -> (String, String, i32) {
    let message = "matcalc crashed; please report this input";
    let doc = json::error(
        ErrorKind::Internal.name(),
        message,
        &[],
        "<input>",
        None,
        None,
    );
    let out = if json {
        json::to_string(&doc)
    } else {
        String::new()
    };
    (out, format!("error[internal error]: {message}\n"), 2)
}

/// The JSON error document for a command line clap refused, when the
/// arguments ask for `--format json` (`--format json` or `--format=json`);
/// `None` for help and version output, which are not errors, and for other
/// formats. The arguments did not parse, so the format is read from them
/// as written.
pub fn argument_error_json<I, T>(err: &clap::Error, args: I) -> Option<String>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString>,
{
    if !err.use_stderr() {
        return None;
    }
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let wants_json = args.iter().enumerate().any(|(i, a)| {
        a == "--format=json" || (a == "--format" && args.get(i + 1).is_some_and(|b| b == "json"))
    });
    if !wants_json {
        return None;
    }
    // clap's rendering on one line, without its "error: " prefix, its usage
    // line and its pointer to --help.
    let rendered = err.render().to_string();
    let message = rendered
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("For more information") && !l.starts_with("Usage:")
        })
        .map(|l| l.strip_prefix("error: ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join(" ");
    let doc = json::error(
        ErrorKind::Usage.name(),
        &message,
        &[],
        "<arguments>",
        None,
        None,
    );
    Some(json::to_string(&doc))
}

//! The command line (INTERFACE.md): one function per command. Each returns
//! the text for standard output and the exit status, or a diagnostic.

use crate::core::diagnostic::{Diagnostic, ErrorKind, Result};
use crate::print::numpy;
use crate::print::TransposeStyle;
use crate::problem::{Answer, Problem};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::Read;

/// Largest relative error `check` accepts.
pub const CHECK_TOLERANCE: f64 = 1e-6;
/// Instances `check` tries per answer.
pub const CHECK_INSTANCES: u64 = 3;

/// matcalc: derive, check and print gradients of matrix expressions written in LaTeX.
#[derive(Parser, Debug)]
#[command(name = "matcalc", version, about)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Answer every query of a document (or the one given by --wrt/--of).
    Grad(Common),
    /// Check every answer against central finite differences; exit 1 on a failure.
    Check(Common),
    /// Simplify an expression (declarations may precede it).
    Simplify(Common),
    /// Judge an answer; exit 0 equivalent, 1 not equivalent or shape mismatch.
    Grade(GradeArgs),
    /// The derivation step by step (`--format latex|markdown|text|json`).
    Steps(Common),
    /// The computational graph (`--format dot|svg|json`; DOT by default).
    Graph(Common),
}

/// `grade`'s options.
#[derive(Args, Debug, Clone)]
pub struct GradeArgs {
    /// The answer to judge, in LaTeX.
    #[arg(long, allow_hyphen_values = true)]
    pub answer: String,
    /// The common options.
    #[command(flatten)]
    pub common: Common,
}

/// Output notations.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// LaTeX.
    Latex,
    /// Plain Unicode text.
    Text,
    /// One JSON document.
    Json,
    /// A NumPy module.
    Numpy,
    /// Markdown with LaTeX (`steps`).
    Markdown,
    /// Graphviz DOT (`graph`).
    Dot,
    /// SVG through Graphviz's `dot` (`graph`).
    Svg,
}

/// Transpose notation.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Transpose {
    /// `A^T`.
    #[value(name = "T")]
    T,
    /// `A^\top`.
    Top,
}

/// Options every command takes.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// The problem document; `-` reads standard input.
    pub file: Option<String>,
    /// The document inline.
    #[arg(
        short = 'e',
        long = "expr",
        value_name = "TEXT",
        allow_hyphen_values = true
    )]
    pub inline: Option<String>,
    /// The variable (`W_1`, `W_{1}`, `\alpha`); the document's own queries are then ignored.
    #[arg(long)]
    pub wrt: Option<String>,
    /// The objective (`L`, `\mathcal{L}_1`).
    #[arg(long)]
    pub of: Option<String>,
    /// Output notation.
    #[arg(long, value_enum, default_value = "latex")]
    pub format: Format,
    /// Transpose notation in LaTeX.
    #[arg(long, value_enum, default_value = "T")]
    pub transpose: Transpose,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// What a command produced.
pub struct Outcome {
    /// Standard output.
    pub stdout: String,
    /// Exit status (0 or 1; errors are 2).
    pub code: i32,
}

/// Pretty JSON with a final new line.
fn json_out<T: serde::Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
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
        Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .take(crate::syntax::parse::MAX_INPUT as u64 + 1)
                .read_to_string(&mut s)
                .map_err(|e| {
                    Diagnostic::new(ErrorKind::Usage, format!("cannot read standard input: {e}"))
                })?;
            Ok(("<stdin>".into(), s))
        }
        Some(path) => {
            let meta = std::fs::metadata(path).map_err(|e| {
                Diagnostic::new(ErrorKind::Usage, format!("cannot read `{path}`: {e}"))
            })?;
            if meta.len() > crate::syntax::parse::MAX_INPUT as u64 {
                return Err(Diagnostic::new(
                    ErrorKind::Limit,
                    format!(
                        "`{path}` is {} bytes; the limit is {} bytes",
                        meta.len(),
                        crate::syntax::parse::MAX_INPUT
                    ),
                ));
            }
            let bytes = std::fs::read(path).map_err(|e| {
                Diagnostic::new(ErrorKind::Usage, format!("cannot read `{path}`: {e}"))
            })?;
            let s = String::from_utf8(bytes).map_err(|_| {
                Diagnostic::new(ErrorKind::Parse, format!("`{path}` is not UTF-8 text"))
            })?;
            Ok((path.to_string(), s))
        }
    }
}

fn answers(p: &mut Problem, c: &Common) -> Result<Vec<Answer>> {
    if let Some(w) = &c.wrt {
        let q = p.question(w, c.of.as_deref())?;
        return Ok(vec![p.answer(&q)?]);
    }
    if c.of.is_some() {
        return Err(Diagnostic::new(ErrorKind::Usage, "--of needs --wrt"));
    }
    p.answers()
}

fn tstyle(c: &Common) -> TransposeStyle {
    match c.transpose {
        Transpose::T => TransposeStyle::T,
        Transpose::Top => TransposeStyle::Top,
    }
}

fn fn_name(a: &Answer) -> String {
    format!("grad_{}_{}", a.question.of.ident(), a.question.wrt.ident())
}

/// `matcalc grad`.
pub fn grad(src: &str, c: &Common) -> Result<Outcome> {
    let mut p = Problem::new(src)?;
    let ans = answers(&mut p, c)?;
    let mut out = String::new();
    match c.format {
        f @ (Format::Markdown | Format::Dot | Format::Svg) => {
            return Err(unsupported_format("grad", f))
        }
        Format::Latex => {
            for a in &ans {
                let l = p.latex(a, tstyle(c));
                let q = p.query_latex(&a.question).replace("^T", "");
                out.push_str(&format!("{q} = {l}\n"));
            }
        }
        Format::Text => {
            for a in &ans {
                let t = p.text(a);
                out.push_str(&format!(
                    "∇_{} {} = {t}\n",
                    a.question.wrt.text(),
                    a.question.of.text()
                ));
            }
        }
        Format::Numpy => {
            let fns: Vec<numpy::Function> = ans
                .iter()
                .map(|a| numpy::Function {
                    name: fn_name(a),
                    id: a.id,
                })
                .collect();
            out = numpy::module(&p.graph, &fns)?;
        }
        Format::Json => {
            let mut results = Vec::new();
            for a in &ans {
                let np = numpy::function(
                    &p.graph,
                    &numpy::Function {
                        name: fn_name(a),
                        id: a.id,
                    },
                )
                .unwrap_or_else(|e| format!("# not available: {}", e.message));
                results.push(serde_json::json!({
                    "of": a.question.of.ident(),
                    "wrt": a.question.wrt.ident(),
                    "kind": a.kind,
                    "shape": a.shape.to_list(),
                    "latex": p.latex(a, tstyle(c)),
                    "text": p.text(a),
                    "numpy": np,
                }));
            }
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
            for a in &ans {
                for n in &a.notes {
                    notes.push(format!(
                        "∇_{} {}: {n}",
                        a.question.wrt.ident(),
                        a.question.of.ident()
                    ));
                }
            }
            let doc = serde_json::json!({"results": results, "notes": notes});
            out = json_out(&doc);
        }
    }
    Ok(Outcome {
        stdout: out,
        code: 0,
    })
}

/// `matcalc check`.
pub fn check(src: &str, c: &Common) -> Result<Outcome> {
    let mut p = Problem::new(src)?;
    let ans = answers(&mut p, c)?;
    let mut out = String::new();
    let mut failed = false;
    let mut rows = Vec::new();
    for a in &ans {
        let mut worst: f64 = 0.0;
        let mut notes = Vec::new();
        let mut instances = 0;
        for k in 0..CHECK_INSTANCES {
            let r = p.check(a, c.seed.wrapping_add(k * 7919))?;
            worst = worst.max(r.rel_error);
            notes.extend(r.notes);
            instances += 1;
            if r.heavy {
                break;
            }
        }
        let ok = worst < CHECK_TOLERANCE;
        failed |= !ok;
        let q = p.query_latex(&a.question);
        let l = p.latex(a, tstyle(c));
        rows.push(serde_json::json!({
            "of": a.question.of.ident(), "wrt": a.question.wrt.ident(),
            "latex": l, "rel_error": worst, "ok": ok, "notes": notes,
        }));
        out.push_str(&format!(
            "{} {q} = {l}: relative error {worst:.1e} over {instances} instance{}\n",
            if ok { "ok  " } else { "FAIL" },
            if instances == 1 { "" } else { "s" }
        ));
    }
    if c.format == Format::Json {
        out = json_out(&serde_json::json!({"results": rows, "notes": []}));
    }
    Ok(Outcome {
        stdout: out,
        code: if failed { 1 } else { 0 },
    })
}

/// `matcalc simplify`.
pub fn simplify(src: &str, c: &Common) -> Result<Outcome> {
    let mut p = Problem::new(src)?;
    let results = p.simplify_expressions()?;
    let mut out = String::new();
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for (id, stop) in &results {
        let latex = crate::print::to_latex(&mut p.graph, *id, tstyle(c));
        let text = crate::print::to_text(&mut p.graph, *id);
        match c.format {
            Format::Text => out.push_str(&format!("{text}\n")),
            _ => out.push_str(&format!("{latex}\n")),
        }
        if stop != "saturated" {
            notes.push(format!("simplification stopped at the {stop}"));
        }
        rows.push(serde_json::json!({
            "latex": latex, "text": text, "shape": p.graph.shape(*id).to_list(),
        }));
    }
    match c.format {
        Format::Json => {
            out = json_out(&serde_json::json!({"results": rows, "notes": notes}));
        }
        Format::Numpy => {
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
        _ => {}
    }
    Ok(Outcome {
        stdout: out,
        code: 0,
    })
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

fn unsupported_format(cmd: &str, f: Format) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Usage,
        format!("`{cmd}` does not write --format {f:?}").to_lowercase(),
    )
}

/// `matcalc grade`.
pub fn grade(src: &str, a: &GradeArgs) -> Result<Outcome> {
    use crate::teach::grade::{grade_answer, Judgement};
    let c = &a.common;
    let mut p = Problem::new(src)?;
    let q = the_question(&p, c)?;
    let ans = p.answer(&q)?;
    let v = match grade_answer(&mut p, &ans, &a.answer) {
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
    let out = match c.format {
        Format::Json => json_out(&v),
        Format::Latex | Format::Text | Format::Markdown => {
            let method = match v.method {
                crate::teach::grade::Method::Symbolic => "proven symbolically".to_string(),
                crate::teach::grade::Method::Numeric => format!(
                    "decided numerically on {} random instances, largest difference {:.1e}",
                    crate::teach::grade::INSTANCES,
                    v.max_abs_diff.unwrap_or(0.0)
                ),
                crate::teach::grade::Method::Shape => "decided by shapes".into(),
                crate::teach::grade::Method::Names => "decided by names".into(),
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
        f => return Err(unsupported_format("grade", f)),
    };
    Ok(Outcome { stdout: out, code })
}

/// `matcalc steps`.
pub fn steps(src: &str, c: &Common) -> Result<Outcome> {
    use crate::teach::steps::{steps, StepsFormat};
    let mut p = Problem::new(src)?;
    let qs = if c.wrt.is_some() {
        vec![the_question(&p, c)?]
    } else {
        p.questions()
    };
    if qs.is_empty() {
        return Err(Diagnostic::new(
            ErrorKind::Usage,
            "the document asks nothing: pass --wrt (and --of)",
        ));
    }
    let mut all = Vec::new();
    for q in &qs {
        all.push(steps(&mut p, q)?);
    }
    let out = match c.format {
        Format::Json => json_out(&all),
        Format::Latex | Format::Markdown | Format::Text => {
            let f = match c.format {
                Format::Latex => StepsFormat::Latex,
                Format::Markdown => StepsFormat::Markdown,
                _ => StepsFormat::Text,
            };
            all.iter()
                .map(|s| s.render(f))
                .collect::<Vec<_>>()
                .join("\n")
        }
        f => return Err(unsupported_format("steps", f)),
    };
    Ok(Outcome {
        stdout: out,
        code: 0,
    })
}

/// `matcalc graph`.
pub fn graph(src: &str, c: &Common) -> Result<Outcome> {
    let mut p = Problem::new(src)?;
    let qs = if c.wrt.is_some() {
        vec![the_question(&p, c)?]
    } else {
        p.questions()
    };
    let (of, wrt): (Vec<_>, Vec<_>) = if qs.is_empty() {
        (p.graph.def_order.clone(), Vec::new())
    } else {
        (
            qs.iter().map(|q| q.of.clone()).collect(),
            qs.iter().map(|q| q.wrt.clone()).collect(),
        )
    };
    let view = crate::teach::graph::graph(&mut p.graph, &of, &wrt);
    let out = match c.format {
        Format::Latex | Format::Dot => view.to_dot(),
        Format::Json => json_out(&view),
        Format::Svg => svg(&view.to_dot())?,
        f => return Err(unsupported_format("graph", f)),
    };
    Ok(Outcome {
        stdout: out,
        code: 0,
    })
}

/// Render DOT to SVG with Graphviz's `dot`.
pub fn svg(dot: &str) -> Result<String> {
    use std::io::Write;
    use std::process::{Command as Proc, Stdio};
    let mut child = Proc::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|_| Diagnostic::new(ErrorKind::Unsupported, "--format svg needs Graphviz's `dot`, which is not installed (the DOT output works without it)"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(dot.as_bytes())
            .map_err(|e| Diagnostic::new(ErrorKind::Internal, format!("writing to dot: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Diagnostic::new(ErrorKind::Internal, format!("running dot: {e}")))?;
    if !out.status.success() {
        return Err(Diagnostic::new(
            ErrorKind::Internal,
            format!("dot failed: {}", String::from_utf8_lossy(&out.stderr)),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Run a parsed command line; errors are rendered against the source.
/// Returns (stdout, stderr, exit status).
pub fn run(cli: &Cli) -> (String, String, i32) {
    let (Command::Grad(c)
    | Command::Check(c)
    | Command::Simplify(c)
    | Command::Steps(c)
    | Command::Graph(c)
    | Command::Grade(GradeArgs { common: c, .. })) = &cli.command;
    let (name, src) = match read_source(c) {
        Ok(x) => x,
        Err(e) => return (String::new(), e.render("<input>", ""), 2),
    };
    let r = match &cli.command {
        Command::Grad(c) => grad(&src, c),
        Command::Check(c) => check(&src, c),
        Command::Simplify(c) => simplify(&src, c),
        Command::Grade(a) => grade(&src, a),
        Command::Steps(c) => steps(&src, c),
        Command::Graph(c) => graph(&src, c),
    };
    match r {
        Ok(o) => (o.stdout, String::new(), o.code),
        Err(e) => (String::new(), e.render(&name, &src), 2),
    }
}

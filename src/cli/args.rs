//! The command line's shape: commands, their options and the `--format`
//! values each accepts (clap derives parsing and `--help` from these).

use clap::{Args, Parser, Subcommand, ValueEnum};

/// matcalc: derive, check and print gradients of matrix expressions written in LaTeX.
#[derive(Parser, Debug)]
#[command(name = "matcalc", version, about)]
pub struct Cli {
    /// Raise (or lower) a size limit for this run, as NAME=VALUE: input,
    /// nesting, commands, depth, graph-nodes, digits, egraph-nodes,
    /// egraph-iterations, entries, work (repeatable; a hit limit's message
    /// names the one to raise).
    #[arg(long = "limit", value_name = "NAME=VALUE", global = true, value_parser = parse_limit)]
    pub limits: Vec<(String, String)>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// `NAME=VALUE` of `--limit`, checked against the limits' names and kinds.
fn parse_limit(s: &str) -> Result<(String, String), String> {
    let mut probe = crate::core::limits::Limits::default();
    probe.set_assignment(s)?;
    let (name, value) = s.split_once('=').unwrap_or((s, ""));
    Ok((name.trim().to_string(), value.to_string()))
}

impl Cli {
    /// The limits this command line asks for (the defaults, with each
    /// `--limit` applied in order).
    pub fn limits(&self) -> crate::core::limits::Limits {
        let mut l = crate::core::limits::Limits::default();
        for (name, value) in &self.limits {
            // Checked by `parse_limit` already.
            let _ = l.set(name, value);
        }
        l
    }
}

/// The commands. Each takes only the `--format` values it can write; clap
/// refuses any other (exit 2) and lists the allowed ones.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Answer every query of a document (or the one given by --wrt/--of).
    ///
    /// Prints one `query = answer` line per query: the gradient of the
    /// objective with respect to the variable, simplified, with defined
    /// names kept. --format chooses LaTeX (the default), Unicode text, one
    /// JSON document (each answer in LaTeX, text and NumPy, with its shape)
    /// or a self-contained NumPy module with one function per query.
    #[command(after_help = "\
Exit status: 0 every query answered; 2 bad input (parse, shape, name, cycle,
unsupported, limit, usage), with the message on standard error (and, with
--format json, a JSON error object on standard output).

Example:
  matcalc grad examples/autoencoder.tex --format text")]
    Grad(GradArgs),
    /// Check every answer against central finite differences; exit 1 on a failure.
    ///
    /// Derives each answer, then compares it with Richardson-extrapolated
    /// central finite differences on seeded random instances (--seed) and
    /// prints the largest relative error of each, `ok` or `FAIL`. --format
    /// chooses LaTeX lines (the default), Unicode text lines or one JSON
    /// document.
    #[command(after_help = "\
Exit status: 0 every answer agrees with finite differences; 1 some answer
does not; 2 bad input, with the message on standard error (and, with
--format json, a JSON error object on standard output).

Example:
  matcalc check examples/gplvm.tex --seed 7")]
    Check(CheckArgs),
    /// Simplify an expression (declarations may precede it).
    ///
    /// Every bare expression of the document is simplified with the same
    /// rules as answers and printed one per line. --format chooses LaTeX
    /// (the default), Unicode text, one JSON document, or a NumPy module
    /// with one function `expr_<i>` per expression.
    #[command(after_help = "\
Exit status: 0 simplified; 2 bad input, with the message on standard error
(and, with --format json, a JSON error object on standard output).

Example:
  matcalc simplify -e 'A \\in \\mathbb{R}^{n \\times n}; (A^T)^T + A'")]
    Simplify(SimplifyArgs),
    /// Judge an answer; exit 0 equivalent, 1 not equivalent or shape mismatch.
    ///
    /// Compares the LaTeX given with --answer with the derived gradient of
    /// the document's one query (or the one --wrt/--of choose):
    /// symbolically first, numerically on random instances only when no
    /// proof is found, and it says which. --format chooses a verdict in
    /// words with the expected answer in LaTeX (`latex`, the default, or
    /// `text`) or one JSON document.
    #[command(after_help = "\
Exit status: 0 equivalent; 1 not equivalent or shape mismatch; 2 bad input
in the document or the answer, with the message on standard error (and,
with --format json, a JSON error object on standard output).

Example:
  matcalc grade examples/autoencoder.tex --answer '2 W (W^T W x - x) x^T'")]
    Grade(GradeArgs),
    /// The derivation step by step, as a model solution.
    ///
    /// The computational graph's nodes, each local gradient with its
    /// identity, every path to the variable and its contribution, their
    /// sum, the simplification rules used, and the answer. --format chooses
    /// a LaTeX `align*` (the default), Markdown with inline LaTeX, Unicode
    /// text, or one JSON document.
    #[command(after_help = "\
Exit status: 0 derived; 2 bad input, with the message on standard error
(and, with --format json, a JSON error object on standard output).

Example:
  matcalc steps examples/autoencoder.tex --format markdown")]
    Steps(StepsArgs),
    /// The computational graph of the document's objectives.
    ///
    /// Shared subexpressions are drawn once, the variables of the queries
    /// and the objectives marked. --format chooses Graphviz DOT (the
    /// default), SVG rendered by Graphviz's `dot` program (which must be
    /// installed), or one JSON document of nodes and edges.
    #[command(after_help = "\
Exit status: 0 drawn; 2 bad input, or --format svg without Graphviz, with
the message on standard error (and, with --format json, a JSON error
object on standard output).

Example:
  matcalc graph examples/swish-mlp.tex --format svg > swish-mlp.svg")]
    Graph(GraphArgs),
    /// Grade a whole class from a TOML gradebook; exit 1 when a verdict
    /// disagrees with the one the gradebook expects.
    ///
    /// The gradebook has the format of the homework's answer key:
    /// `[[problem]]` tables with `id` and `text`, `[[answer]]` tables with
    /// `problem`, `wrt`, optional `of`, `latex`, the student in `student` (or
    /// `seed`) and optionally the expected `verdict`. Each problem is derived
    /// once and every answer graded as `grade` would; an answer that cannot
    /// be read is the verdict `unreadable`. --format chooses a Markdown
    /// report per student (the default), CSV, or one JSON document.
    #[command(after_help = "\
Exit status: 0 every expected verdict agrees (or none is given); 1 some
verdict disagrees; 2 a bad gradebook (TOML, a missing field, a problem that
does not parse), with the message on standard error (and, with --format
json, a JSON error object on standard output).

Example:
  matcalc grade-class examples/homework-gradebook.toml --format csv")]
    GradeClass(GradeClassArgs),
}

impl Command {
    /// The options the commands on one document share (`grade-class`
    /// reads a gradebook instead).
    pub fn common(&self) -> Option<&Common> {
        match self {
            Command::Grad(a) => Some(&a.common),
            Command::Check(a) => Some(&a.common),
            Command::Simplify(a) => Some(&a.common),
            Command::Grade(a) => Some(&a.common),
            Command::Steps(a) => Some(&a.common),
            Command::Graph(a) => Some(&a.common),
            Command::GradeClass(_) => None,
        }
    }

    /// Whether the command writes JSON (so its errors are JSON too).
    pub fn json(&self) -> bool {
        match self {
            Command::Grad(a) => a.format == GradFormat::Json,
            Command::Check(a) => a.format == CheckFormat::Json,
            Command::Simplify(a) => a.format == SimplifyFormat::Json,
            Command::Grade(a) => a.format == GradeFormat::Json,
            Command::Steps(a) => a.format == StepsFormat::Json,
            Command::Graph(a) => a.format == GraphFormat::Json,
            Command::GradeClass(a) => a.format == GradeClassFormat::Json,
        }
    }
}

/// `grad`'s notations.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum GradFormat {
    /// `query = answer` lines in LaTeX.
    Latex,
    /// `∇_W L = answer` lines in Unicode text.
    Text,
    /// One JSON document: each answer in LaTeX, text and NumPy, with its shape.
    Json,
    /// A self-contained NumPy module, one function per query.
    Numpy,
}

/// `check`'s notations.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum CheckFormat {
    /// One line per answer, the answer in LaTeX.
    Latex,
    /// One line per answer, the answer in Unicode text.
    Text,
    /// One JSON document: each answer's relative error and verdict.
    Json,
}

/// `simplify`'s notations.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum SimplifyFormat {
    /// One LaTeX line per expression.
    Latex,
    /// One Unicode text line per expression.
    Text,
    /// One JSON document: each expression in LaTeX and text, with its shape.
    Json,
    /// A NumPy module, one function `expr_<i>` per expression.
    Numpy,
}

/// `grade`'s notations.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum GradeFormat {
    /// The verdict in words, the expected answer in LaTeX.
    Latex,
    /// The same as `latex` (the verdict is words; the expected answer stays LaTeX).
    Text,
    /// One JSON document: verdict, method, largest difference, notes, expected answer.
    Json,
}

/// `steps`'s notations.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum StepsFormat {
    /// A LaTeX `align*` derivation.
    Latex,
    /// Markdown with inline LaTeX.
    Markdown,
    /// Plain Unicode text.
    Text,
    /// One JSON document, one derivation per query.
    Json,
}

/// `graph`'s notations.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// SVG, rendered by Graphviz's `dot` program.
    Svg,
    /// One JSON document of nodes and edges.
    Json,
}

/// `grade-class`'s notations.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum GradeClassFormat {
    /// A report per student: verdict, how decided, diagnosis, expected answer.
    Markdown,
    /// One row per answer.
    Csv,
    /// One JSON document: the graded answers.
    Json,
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
    /// Transpose notation in LaTeX.
    #[arg(long, value_enum, default_value = "T")]
    pub transpose: Transpose,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// `grad`'s options.
#[derive(Args, Debug, Clone)]
pub struct GradArgs {
    /// Output notation.
    #[arg(long, value_enum, default_value_t = GradFormat::Latex)]
    pub format: GradFormat,
    /// The common options.
    #[command(flatten)]
    pub common: Common,
}

/// `check`'s options.
#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// Output notation.
    #[arg(long, value_enum, default_value_t = CheckFormat::Latex)]
    pub format: CheckFormat,
    /// The common options.
    #[command(flatten)]
    pub common: Common,
}

/// `simplify`'s options.
#[derive(Args, Debug, Clone)]
pub struct SimplifyArgs {
    /// Output notation.
    #[arg(long, value_enum, default_value_t = SimplifyFormat::Latex)]
    pub format: SimplifyFormat,
    /// The common options.
    #[command(flatten)]
    pub common: Common,
}

/// `grade`'s options.
#[derive(Args, Debug, Clone)]
pub struct GradeArgs {
    /// The answer to judge, in LaTeX.
    #[arg(long, allow_hyphen_values = true)]
    pub answer: String,
    /// Output notation.
    #[arg(long, value_enum, default_value_t = GradeFormat::Latex)]
    pub format: GradeFormat,
    /// The common options.
    #[command(flatten)]
    pub common: Common,
}

/// `steps`'s options.
#[derive(Args, Debug, Clone)]
pub struct StepsArgs {
    /// Output notation.
    #[arg(long, value_enum, default_value_t = StepsFormat::Latex)]
    pub format: StepsFormat,
    /// With `--format latex`: a complete document (`\documentclass` to
    /// `\end{document}`) that `pdflatex` compiles, rather than a fragment.
    #[arg(long)]
    pub standalone: bool,
    /// The common options.
    #[command(flatten)]
    pub common: Common,
}

/// `graph`'s options.
#[derive(Args, Debug, Clone)]
pub struct GraphArgs {
    /// Output notation.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// The common options.
    #[command(flatten)]
    pub common: Common,
}

/// `grade-class`'s options.
#[derive(Args, Debug, Clone)]
pub struct GradeClassArgs {
    /// The gradebook (TOML); `-` reads standard input.
    pub file: String,
    /// Output notation.
    #[arg(long, value_enum, default_value_t = GradeClassFormat::Markdown)]
    pub format: GradeClassFormat,
}

//! The parser's bounds, named and stated in input size (bytes, bracket
//! depth, commands, parser steps per byte, tree depth), and how pest's
//! errors become diagnostics.

use super::ast::Expr;
use super::parse::Rule;
use crate::core::diagnostic::{Diagnostic, ErrorKind, Result};
use crate::core::limits::hit;
use crate::core::span::Span;

// Sizes (bytes, bracket nesting, commands, tree depth) are
// `core::limits`, adjustable per run; the parser-step budget is not: it
// only stops pathological backtracking.
/// Parser steps allowed per input byte before giving up (pathological
/// backtracking, such as runs of `|` that could each open or close a
/// determinant). Real documents take at most about 55 steps per byte (the
/// fixtures and homework seeds, measured); the bound is four times that.
pub const PARSER_CALLS_PER_BYTE: usize = 200;
/// Parser steps always allowed, whatever the input's length.
pub const PARSER_CALLS_BASE: usize = 20_000;

/// The parser-step budget of an input of `len` bytes.
pub fn parser_calls(len: usize) -> usize {
    PARSER_CALLS_BASE + PARSER_CALLS_PER_BYTE * len
}

pub(super) fn check_bounds(src: &str) -> Result<()> {
    let limits = crate::core::limits::current();
    if src.len() > limits.input {
        return Err(hit(
            "input",
            format!(
                "input is {} bytes; the limit is {} bytes",
                src.len(),
                limits.input
            ),
        ));
    }
    let mut depth = 0usize;
    let mut commands = 0usize;
    for (i, c) in src.char_indices() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                if depth > limits.nesting {
                    return Err(hit(
                        "nesting",
                        format!("brackets nested deeper than {} levels", limits.nesting),
                    )
                    .at(Span::new(i, i + 1)));
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '\\' => {
                commands += 1;
                if commands > limits.commands {
                    return Err(hit(
                        "commands",
                        format!(
                            "more than {} LaTeX commands in one document",
                            limits.commands
                        ),
                    )
                    .at(Span::new(i, i + 1)));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

pub(super) fn pest_error(src: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    let (start, end) = match e.location {
        pest::error::InputLocation::Pos(p) => (p, p),
        pest::error::InputLocation::Span((a, b)) => (a, b),
    };
    let msg = e.variant.message().to_string();
    if msg.contains("call limit") {
        return Diagnostic::new(
            ErrorKind::Limit,
            format!(
                "the parser took more than {} steps on {} bytes (limit: {PARSER_CALLS_BASE} + {PARSER_CALLS_PER_BYTE} per byte); the input backtracks pathologically, for example through a run of `|` bars: write determinants as \\det(A)",
                parser_calls(src.len()),
                src.len()
            ),
        );
    }
    // Point at the offending character, not an empty span.
    let end = if end > start {
        end
    } else {
        src[start..]
            .chars()
            .next()
            .map(|c| start + c.len_utf8())
            .unwrap_or(start)
    };
    let at_line_end = src[start.min(src.len())..]
        .chars()
        .next()
        .is_none_or(|c| c == '\n' || c == '\r');
    // A statement cut short with a bracket still open: name the bracket
    // and where it was opened (the usual cause: `\frac{1}{2 x^T x`).
    if at_line_end || src[start.min(src.len())..].trim().is_empty() {
        if let Some((open, at)) = unclosed(src, start.min(src.len())) {
            let close = match open {
                '(' => ')',
                '[' => ']',
                _ => '}',
            };
            let (line, column) = crate::core::diagnostic::line_column(src, at);
            return Diagnostic::new(
                ErrorKind::Parse,
                format!("unclosed `{open}` opened at line {line}, column {column}"),
            )
            .at(Span::new(start, end))
            .label(
                Span::new(at, at + 1),
                format!("this `{open}` is never closed"),
            )
            .note(format!("expected `{close}` before the end of the line"));
        }
    }
    let found = if src[start.min(src.len())..].trim().is_empty() {
        "unexpected end of input".to_string()
    } else if at_line_end {
        "unexpected end of line".to_string()
    } else if start < src.len() {
        let t: String = src[start..]
            .chars()
            .take_while(|c| *c != '\n')
            .take(12)
            .collect();
        format!("unexpected `{t}`")
    } else {
        "unexpected end of input".to_string()
    };
    let expected = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => describe_expected(positives),
        _ => String::new(),
    };
    // An unknown command is named, with what to write instead where the
    // usual intent is known.
    let rest = &src[start.min(src.len())..];
    if let Some(cmd) = command_at(rest) {
        if !known_command(cmd) || instead_of(cmd).is_some() {
            let what = if known_command(cmd) {
                format!("`\\{cmd}` cannot be used here")
            } else {
                format!("unknown command `\\{cmd}`")
            };
            let mut d =
                Diagnostic::new(ErrorKind::Parse, what).at(Span::new(start, start + 1 + cmd.len()));
            if let Some(hint) = instead_of(cmd) {
                d = d.note(hint.to_string());
            } else {
                d = d.note("docs/LANGUAGE.md lists the commands matcalc reads".to_string());
            }
            return d;
        }
    }
    let mut d = Diagnostic::new(ErrorKind::Parse, found).at(Span::new(start, end));
    if !expected.is_empty() {
        d = d.note(format!("expected {expected}"));
    }
    // `KL = …`: a multi-letter name written bare.
    let line_start = src[..start.min(src.len())].rfind('\n').map_or(0, |i| i + 1);
    let line = &src[line_start..];
    let word: String = line
        .trim_start()
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    let after = line.trim_start()[word.len()..].trim_start();
    if word.len() >= 2 && (after.starts_with('=') || after.starts_with("\\in")) {
        d = d.note(format!(
            "a name of several letters is written `\\mathrm{{{word}}}`; `{word}` alone is a product of one-letter names"
        ));
    }
    d
}

/// The command (without its backslash) that `s` starts with, if any.
fn command_at(s: &str) -> Option<&str> {
    let t = s.strip_prefix('\\')?;
    let n = t.chars().take_while(char::is_ascii_alphabetic).count();
    (n > 0).then(|| &t[..n])
}

/// Whether the grammar spells `\cmd` anywhere (or knows it as a Greek letter).
fn known_command(cmd: &str) -> bool {
    const GRAMMAR: &str = include_str!("../../grammar/matcalc.pest");
    let greek = GRAMMAR
        .split_once("greek_word = _{")
        .and_then(|(_, r)| r.split_once('}'))
        .map_or("", |(g, _)| g);
    GRAMMAR.contains(&format!("\"\\\\{cmd}")) || greek.contains(&format!("\"{cmd}\""))
}

/// What to write instead of a command the language does not have.
fn instead_of(cmd: &str) -> Option<&'static str> {
    Some(match cmd {
        "sum" => "no index sums: write `\\mathbf{1}^T x` for a sum of entries, `x^T x` for a sum of squares, `\\mathrm{sum}(A)`",
        "prod" => "products over an index are not part of the language: write `\\exp(\\mathbf{1}^T \\log(x))` for the product of positive entries",
        "max" | "min" | "argmax" | "argmin" => "a maximum or minimum is not differentiable where entries tie and is not supported; `\\mathrm{logsumexp}(z)` is the smooth maximum",
        "cdots" | "ldots" | "dots" | "vdots" => "write the whole expression: vectors and matrices stand for their entries",
        "int" | "lim" => "integrals and limits are not part of the language",
        "left" | "right" => "`\\left` and `\\right` go before a bracket: `\\left( … \\right)`",
        _ => return None,
    })
}

/// The innermost bracket still open at byte `pos` on its line, and where
/// it opened (`\{` and `\}` are literal braces, not brackets).
fn unclosed(src: &str, pos: usize) -> Option<(char, usize)> {
    let line_start = src[..pos].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut escaped = false;
    for (i, c) in src[line_start..pos].char_indices() {
        let at = line_start + i;
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '(' | '[' | '{' => stack.push((c, at)),
            ')' | ']' | '}' => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.pop()
}

pub(super) fn describe_expected(rules: &[Rule]) -> String {
    let mut words: Vec<&str> = rules
        .iter()
        .map(|r| match r {
            Rule::expr
            | Rule::term
            | Rule::product
            | Rule::unary
            | Rule::factor
            | Rule::expr_nb
            | Rule::term_nb
            | Rule::product_nb
            | Rule::unary_nb
            | Rule::factor_nb => "an expression",
            Rule::name | Rule::letter => "a name",
            Rule::addop => "`+` or `-`",
            Rule::hadop => "`\\odot` or `\\otimes`",
            Rule::mulop => "a product",
            Rule::space => "a space such as `\\mathbb{R}^{n}`",
            Rule::dims | Rule::dim => "dimensions",
            Rule::EOI => "end of input",
            Rule::transpose | Rule::power | Rule::inv_t | Rule::odot_pow | Rule::prime => {
                "a superscript"
            }
            Rule::norm_sub => "a norm subscript",
            _ => "a statement separator or operator",
        })
        .collect();
    words.sort();
    words.dedup();
    words.join(", ")
}

/// Later stages recurse on the tree: bound its depth.
pub(super) fn check_depth(e: &Expr) -> Result<()> {
    let max = crate::core::limits::current().depth;
    if e.depth() > max {
        return Err(hit(
            "depth",
            format!("expression nested deeper than {max} levels"),
        )
        .at(e.span));
    }
    Ok(())
}

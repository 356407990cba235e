//! One error type for every stage: a kind, a message, the spans involved,
//! and notes. Rendered with a code frame by [`Diagnostic::render`].

use crate::core::span::Span;
use std::fmt;

/// What went wrong, by stage. Every kind maps to exit status 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The text is not in the language: `\nabla_{W}` with nothing after it.
    Parse,
    /// Operands whose shapes do not fit: `W x` with `W` 2×3 and `x` 2.
    Shape,
    /// A name that is unknown, used two ways, or declared twice.
    Name,
    /// Definitions that refer to each other: `a = b`, `b = a`.
    Cycle,
    /// A construct matcalc understands but cannot differentiate or evaluate yet.
    Unsupported,
    /// A bound was hit: input size, nesting depth, parser steps, term count.
    Limit,
    /// A constant with no value in the problem: `\frac{1}{0}`, `\log(0)`,
    /// `\sqrt{-4}`.
    Undefined,
    /// No valid numeric instance could be sampled (e.g. `\log` of a negative).
    Domain,
    /// A command-line mistake: `--wrt` names nothing, a query is missing.
    Usage,
    /// matcalc disagreed with itself: a bug, reported rather than hidden.
    Internal,
}

impl ErrorKind {
    /// A short label used in rendered messages.
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::Parse => "parse error",
            ErrorKind::Shape => "shape error",
            ErrorKind::Name => "name error",
            ErrorKind::Cycle => "cyclic definition",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Limit => "limit reached",
            ErrorKind::Undefined => "undefined",
            ErrorKind::Domain => "no valid instance",
            ErrorKind::Usage => "usage error",
            ErrorKind::Internal => "internal error",
        }
    }

    /// The kind's name in machine-readable output (`"kind"` of a JSON
    /// error, docs/INTERFACE.md): the variant in snake case, as serde
    /// writes it, so the two never disagree.
    ///
    /// ```
    /// use matcalc::ErrorKind;
    /// assert_eq!(ErrorKind::Parse.name(), "parse");
    /// assert_eq!(ErrorKind::Cycle.name(), "cycle");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Parse => "parse",
            ErrorKind::Shape => "shape",
            ErrorKind::Name => "name",
            ErrorKind::Cycle => "cycle",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Limit => "limit",
            ErrorKind::Undefined => "undefined",
            ErrorKind::Domain => "domain",
            ErrorKind::Usage => "usage",
            ErrorKind::Internal => "internal",
        }
    }
}

/// The 1-based (line, column) of byte offset `byte` in `src`. A line ends
/// at `\r\n`, `\n` or a lone `\r`, as in the problem language; the column
/// counts characters, not bytes, as the rendered code frame does. An offset
/// past the end (or inside a character) is clamped.
pub fn line_column(src: &str, byte: usize) -> (usize, usize) {
    let (mut line, mut column) = (1, 1);
    let mut chars = src.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if i >= byte {
            break;
        }
        // In `\r\n` the `\n` ends the line, so the pair counts once.
        let lone_cr = c == '\r' && chars.peek().is_none_or(|&(_, d)| d != '\n');
        if c == '\n' || lone_cr {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

/// An error with the spans it concerns.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Diagnostic {
    /// The kind of error.
    pub kind: ErrorKind,
    /// One line saying what is wrong, naming the names and shapes involved.
    pub message: String,
    /// The main span, if the error has a place in the source.
    pub span: Option<Span>,
    /// Further labelled spans (both operands of a shape mismatch).
    pub labels: Vec<(Span, String)>,
    /// Hints and explanations.
    pub notes: Vec<String>,
    /// The text the spans refer to, when it is not the document (an answer
    /// being graded): (name, text).
    pub origin: Option<Box<(String, String)>>,
}

/// The result type of every stage.
pub type Result<T> = std::result::Result<T, Diagnostic>;

impl Diagnostic {
    /// A new error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Diagnostic {
            kind,
            message: message.into(),
            span: None,
            labels: Vec::new(),
            notes: Vec::new(),
            origin: None,
        }
    }
    /// Say which text the spans refer to.
    pub fn in_source(mut self, name: &str, text: &str) -> Self {
        self.origin = Some(Box::new((name.to_string(), text.to_string())));
        self
    }
    /// Attach the main span.
    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }
    /// Attach a labelled span.
    pub fn label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push((span, text.into()));
        self
    }
    /// Attach a note.
    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.notes.push(text.into());
        self
    }

    /// The main span: the span itself, else the first label's.
    fn main_span(&self) -> Option<Span> {
        self.span.or_else(|| self.labels.first().map(|l| l.0))
    }

    /// The text the spans refer to: the error's own origin (an answer being
    /// graded) if it has one, else `(source_name, src)`.
    pub fn source<'a>(&'a self, source_name: &'a str, src: &'a str) -> (&'a str, &'a str) {
        match self.origin.as_deref() {
            Some((n, t)) => (n.as_str(), t.as_str()),
            None => (source_name, src),
        }
    }

    /// The 1-based (line, column) where the main span starts, in the text
    /// [`Diagnostic::source`] names; `None` when the error has no place.
    pub fn position(&self, src: &str) -> Option<(usize, usize)> {
        let (_, text) = self.source("", src);
        self.main_span().map(|s| line_column(text, s.start))
    }

    /// The 1-based (line, column) just past the main span's end, counted as
    /// [`Diagnostic::position`] counts; `None` when the error has no place.
    pub fn end_position(&self, src: &str) -> Option<(usize, usize)> {
        let (_, text) = self.source("", src);
        self.main_span()
            .map(|s| line_column(text, s.end.max(s.start)))
    }

    /// Render with a code frame over `src` (no colour, so output is stable).
    pub fn render(&self, source_name: &str, src: &str) -> String {
        use ariadne::{Config, Label, Report, ReportKind, Source};
        let (source_name, src) = self.source(source_name, src);
        let mut out = Vec::new();
        let main = self.main_span();
        let Some(main) = main else {
            let mut s = format!("error[{}]: {}\n", self.kind.label(), self.message);
            for n in &self.notes {
                s.push_str(&format!("  = note: {n}\n"));
            }
            return s;
        };
        let clamp = |s: Span| {
            let len = src.chars().count();
            let a = char_index(src, s.start).min(len);
            let b = char_index(src, s.end).min(len).max(a);
            (source_name, a..b)
        };
        let mut report = Report::build(ReportKind::Error, clamp(main))
            .with_config(Config::default().with_color(false))
            .with_message(format!("{}: {}", self.kind.label(), self.message));
        if self.span.is_some() {
            report = report.with_label(Label::new(clamp(main)).with_message("here"));
        }
        for (s, text) in &self.labels {
            report = report.with_label(Label::new(clamp(*s)).with_message(text));
        }
        for n in &self.notes {
            report = report.with_note(n);
        }
        if report
            .finish()
            .write((source_name, Source::from(src)), &mut out)
            .is_err()
        {
            return format!("error[{}]: {}\n", self.kind.label(), self.message);
        }
        clip_frame(&String::from_utf8_lossy(&out))
    }
}

/// Widest code frame printed whole; wider ones (a document on one long
/// line) are cut to this many columns around the marks.
pub const MAX_FRAME_WIDTH: usize = 160;

/// Cut a rendered code frame wider than [`MAX_FRAME_WIDTH`] to a window of
/// that width around its marks, the same window on every line of the frame
/// so the marks stay under the text they point at; `…` shows a cut.
/// Headers and notes are kept whole.
fn clip_frame(rendered: &str) -> String {
    let lines: Vec<&str> = rendered.lines().collect();
    let width = |l: &str| l.chars().count();
    // A frame line is a gutter (`   │ ` or ` 3 │ `) and then columns of
    // the source; the gutter is everything up to its bar and a space.
    let gutter = |l: &str| -> Option<usize> {
        let bar = l.chars().take(12).position(|c| c == '│')?;
        let head: String = l.chars().take(bar).collect();
        head.chars()
            .all(|c| c == ' ' || c.is_ascii_digit())
            .then_some(bar + 2)
    };
    let wide = |l: &&str| gutter(l).is_some() && width(l) > MAX_FRAME_WIDTH;
    if !lines.iter().any(wide) {
        return rendered.to_string();
    }
    // The leftmost mark: the first non-blank column of a frame line that
    // holds no digits in its gutter (a line of marks, not of source).
    let leftmost = lines
        .iter()
        .filter_map(|l| {
            let g = gutter(l)?;
            let head: String = l.chars().take(g).collect();
            if head.chars().any(|c| c.is_ascii_digit()) {
                return None;
            }
            l.chars().skip(g).position(|c| c != ' ')
        })
        .min()
        .unwrap_or(0);
    let start = leftmost.saturating_sub(MAX_FRAME_WIDTH / 4);
    let mut out = String::new();
    for l in lines {
        match gutter(l) {
            Some(g) if width(l) > g => {
                let body: Vec<char> = l.chars().skip(g).collect();
                out.extend(l.chars().take(g));
                out.push(if start > 0 { '…' } else { ' ' });
                let end = (start + MAX_FRAME_WIDTH).min(body.len());
                if start < end {
                    out.extend(&body[start..end]);
                }
                if body.len() > start + MAX_FRAME_WIDTH {
                    out.push('…');
                }
                let trimmed = out.trim_end_matches(' ').len();
                out.truncate(trimmed);
            }
            _ => out.push_str(l),
        }
        out.push('\n');
    }
    out
}

/// ariadne counts characters, pest counts bytes.
fn char_index(src: &str, byte: usize) -> usize {
    let byte = byte.min(src.len());
    src.char_indices().take_while(|(i, _)| *i < byte).count()
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.label(), self.message)?;
        if let Some(s) = self.span {
            write!(f, " (at {}..{})", s.start, s.end)?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

#[cfg(test)]
mod tests {
    #[test]
    fn line_column_example() {
        use crate::core::diagnostic::line_column;
        assert_eq!(line_column("ab\r\ncd", 5), (2, 2));
        assert_eq!(line_column("é\nx", 3), (2, 1));
        assert_eq!(line_column("éa", 3), (1, 3));
    }

    /// A mark far along a long line: the frame is cut to a window around
    /// it, its marks still under the marked text, and a narrow frame is
    /// printed whole.
    #[test]
    fn wide_frames_are_cut_around_the_marks() {
        use crate::core::diagnostic::{Diagnostic, ErrorKind, MAX_FRAME_WIDTH};
        use crate::core::span::Span;
        for (pad, cut) in [(5000, true), (10, false)] {
            let src = format!("f = {}WRONG + {}", "a + ".repeat(pad), "b + ".repeat(pad));
            let at = src.find("WRONG").unwrap();
            let d = Diagnostic::new(ErrorKind::Parse, "bad").at(Span::new(at, at + 5));
            let out = d.render("<expr>", &src);
            let lines: Vec<&str> = out.lines().collect();
            let code = lines.iter().position(|l| l.contains("WRONG")).unwrap();
            let marks = lines[code + 1];
            let col = |l: &str, c: char| l.chars().position(|x| x == c).unwrap();
            // The first mark is under the W.
            let first_mark = marks.chars().skip(6).position(|c| c != ' ').unwrap() + 6;
            assert_eq!(first_mark, col(lines[code], 'W'), "{out}");
            assert!(
                out.contains(&format!(":1:{}", at + 1)),
                "the header keeps the column: {out}"
            );
            let widest = lines.iter().map(|l| l.chars().count()).max().unwrap();
            let frame_widest = lines
                .iter()
                .filter(|l| l.contains('│'))
                .map(|l| l.chars().count())
                .max()
                .unwrap();
            if cut {
                assert!(frame_widest <= MAX_FRAME_WIDTH + 8, "{out}");
            } else {
                assert!(widest < MAX_FRAME_WIDTH, "{out}");
            }
            assert_eq!(out.contains('…'), cut, "{out}");
        }
    }
}

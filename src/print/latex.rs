//! LaTeX and plain Unicode text, with the fewest parentheses the grammar's
//! precedence allows (sum < ⊙/⊗ < product < unary minus < postfix < atom).

use crate::core::op::Func;
use crate::core::op::Op;
use crate::core::shape::{Dim, Q};
use crate::ir::{Graph, Id};
use crate::syntax::ast::Name;
use num_traits::{One, Signed};

/// How transposes are written in LaTeX.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TransposeStyle {
    /// `A^T`.
    #[default]
    T,
    /// `A^\top`.
    Top,
}

/// Output notation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// LaTeX in the style of the documented answers.
    Latex(TransposeStyle),
    /// Plain Unicode text.
    Text,
}

const SUM: u8 = 0;
const HAD: u8 = 1;
const PROD: u8 = 2;
const NEG: u8 = 3;
const POST: u8 = 4;
const ATOM: u8 = 5;

/// LaTeX of node `id`.
pub fn to_latex(g: &mut Graph, id: Id, t: TransposeStyle) -> String {
    Printer {
        style: Style::Latex(t),
        sized: needs_sizes(g, id),
        ones_sized: false,
    }
    .expr(g, id)
    .0
}

/// LaTeX of node `id` read on its own, out of the sum or product that gave
/// its identities and ones their size: they are written sized (`I_{N}`),
/// so the line parses alone (a computational graph's node `z_4 I_{N}`).
pub fn to_latex_sized(g: &mut Graph, id: Id, t: TransposeStyle) -> String {
    Printer {
        style: Style::Latex(t),
        sized: true,
        ones_sized: true,
    }
    .expr(g, id)
    .0
}

/// Unicode text of node `id`.
pub fn to_text(g: &mut Graph, id: Id) -> String {
    Printer {
        style: Style::Text,
        sized: needs_sizes(g, id),
        ones_sized: false,
    }
    .expr(g, id)
    .0
}

/// LaTeX of an answer: node `id`, then the adjoints it names,
/// `… \quad \text{where} \quad \frac{\partial f}{\partial z_2} = …`.
pub fn answer_latex(g: &mut Graph, id: Id, t: TransposeStyle) -> String {
    answer(
        g,
        id,
        Style::Latex(t),
        (" \\quad \\text{where} \\quad ", ", \\quad "),
    )
}

/// Unicode text of an answer: node `id`, then the adjoints it names.
pub fn answer_text(g: &mut Graph, id: Id) -> String {
    answer(g, id, Style::Text, ("  where ", ", "))
}

/// An answer and its named adjoints in one notation. One walk finds the
/// adjoints and whether sizes are needed (a walk per adjoint would cost the
/// graph's size each: quadratic in a chain of a thousand definitions).
fn answer(g: &mut Graph, id: Id, style: Style, (first, next): (&str, &str)) -> String {
    let below = printed(g, id, true);
    let p = Printer {
        style,
        sized: below.iter().any(|&n| sizes_needed_by(g.op(n))),
        ones_sized: false,
    };
    let mut out = p.expr(g, id).0;
    let named = below
        .into_iter()
        .filter(|&n| matches!(g.op(n), Op::Def(name) if name.adjoint_parts().is_some()));
    for (i, n) in named.collect::<Vec<_>>().into_iter().enumerate() {
        let sep = if i == 0 { first } else { next };
        let body = g.kids(n)[0];
        let (name, value) = (p.expr(g, n).0, p.expr(g, body).0);
        out.push_str(&format!("{sep}{name} = {value}"));
    }
    out
}

struct Printer {
    style: Style,
    /// Identities carry their size (`I_{n}`): in Kronecker products and
    /// vecs a bare `I` could be read back at another size.
    sized: bool,
    /// Ones vectors carry their size: inside a reduction to a scalar
    /// nothing outside fixes the outer length of a `\mathbf{1}`.
    ones_sized: bool,
}

/// Whether the expression at `id` needs sized identities.
fn needs_sizes(g: &Graph, id: Id) -> bool {
    printed(g, id, false)
        .into_iter()
        .any(|n| sizes_needed_by(g.op(n)))
}

/// The nodes printing `id` writes, children first: a defined name is
/// written as its name, so its body is not walked (a name's printed length
/// is asked of every name, and its body may be a chain of thousands);
/// with `adjoints`, named adjoints' values are walked too (the where
/// clause writes them).
fn printed(g: &Graph, id: Id, adjoints: bool) -> Vec<Id> {
    g.postorder_by(&[id], |g, n| {
        let walk = match g.op(n) {
            Op::Def(name) => adjoints && name.adjoint_parts().is_some(),
            _ => true,
        };
        if walk {
            g.kids(n).to_vec()
        } else {
            Vec::new()
        }
    })
}

/// Operators beside which a bare `I` could be read back at another size.
fn sizes_needed_by(op: &Op) -> bool {
    matches!(
        op,
        Op::Kron | Op::Vec | Op::Unvec | Op::Commutation(..) | Op::KronL | Op::KronR
    )
}

/// `q = m 10^k` with `m` one digit and `|k| ≥ 4` (positive `q`), if there
/// is such a form.
fn scientific(q: &Q) -> Option<(u64, i64)> {
    use num_traits::ToPrimitive;
    let ten = Q::from_integer(10.into());
    let mut k = 0i64;
    let mut x = q.clone();
    // Scale to an integer (denominators of 2s and 5s only), then strip zeros.
    while !x.is_integer() {
        if k < -40 {
            return None;
        }
        x *= ten.clone();
        k -= 1;
    }
    let mut n = x.to_integer();
    let big_ten = num_bigint::BigInt::from(10);
    while k < 40
        && (&n % &big_ten) == num_bigint::BigInt::from(0)
        && n != num_bigint::BigInt::from(0)
    {
        n /= &big_ten;
        k += 1;
    }
    let m = n.to_u64()?;
    (m < 10 && k.abs() >= 4).then_some((m, k))
}

fn sup_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            '9' => '⁹',
            '-' => '⁻',
            '/' => 'ᐟ',
            c => c,
        })
        .collect()
}

impl Printer {
    fn latex(&self) -> bool {
        matches!(self.style, Style::Latex(_))
    }

    /// The operator's spelling in this style (`core::op`'s table).
    fn spelled(&self, op: &Op) -> &'static str {
        let s = op.spelling();
        if self.latex() {
            s.latex
        } else {
            s.text
        }
    }

    fn name(&self, n: &Name) -> String {
        if self.latex() {
            n.latex()
        } else {
            n.text()
        }
    }

    fn number(&self, q: &Q) -> String {
        let q = q.abs();
        // `10^{-7}`, `2 \cdot 10^{-7}`, `3 \cdot 10^{6}`, not `\frac{1}{5000000}`:
        // one significant digit, from 10^{±4} on.
        if let Some((m, k)) = scientific(&q) {
            let p = if self.latex() {
                format!("10^{{{k}}}")
            } else {
                format!("10^{k}")
            };
            return match (m == 1, self.latex()) {
                (true, _) => p,
                (false, true) => format!("{m} \\cdot {p}"),
                (false, false) => format!("{m}·{p}"),
            };
        }
        if q.is_integer() {
            q.to_integer().to_string()
        } else if self.latex() {
            format!("\\frac{{{}}}{{{}}}", q.numer(), q.denom())
        } else {
            format!("{}/{}", q.numer(), q.denom())
        }
    }

    fn exponent(q: &Q) -> String {
        if q.is_integer() {
            q.to_integer().to_string()
        } else {
            format!("{}/{}", q.numer(), q.denom())
        }
    }

    fn wrap(&self, (s, p): (String, u8), min: u8) -> String {
        if p < min {
            if self.latex() {
                format!("\\left({s}\\right)")
            } else {
                format!("({s})")
            }
        } else {
            s
        }
    }

    fn paren(&self, (s, p): (String, u8), min: u8) -> String {
        if p < min && self.latex() && s.starts_with("\\frac{\\partial") {
            // Brackets as tall as the gradient they hold.
            format!("\\left({s}\\right)")
        } else if p < min {
            format!("({s})")
        } else {
            s
        }
    }

    fn sup(&self, base: String, latex_sup: &str, text_sup: &str) -> (String, u8) {
        if self.latex() {
            // One-token superscripts go without braces: `^T`, `^\top`.
            let sup = match latex_sup {
                "T" => "T".to_string(),
                "\\top" => "\\top".to_string(),
                s => format!("{{{s}}}"),
            };
            (format!("{base}^{sup}"), POST)
        } else {
            (format!("{base}{text_sup}"), POST)
        }
    }

    fn tee(&self) -> &'static str {
        match self.style {
            Style::Latex(TransposeStyle::Top) => "\\top",
            Style::Latex(TransposeStyle::T) => "T",
            Style::Text => "ᵀ",
        }
    }

    fn call(&self, f: &str, arg: String) -> (String, u8) {
        (format!("{f}({arg})"), ATOM)
    }

    /// A signed product: coefficient and factors; the sign is returned apart.
    /// Scalars with negative powers become a fraction (`\frac{2}{N} X^T r`,
    /// `\frac{x - a}{\|x - a\|}`).
    fn product(&self, g: &mut Graph, id: Id) -> (bool, String) {
        let (coef, scalars, mats) = g.factors(id);
        let neg = coef.is_negative();
        let c = coef.abs();
        let mut num_scalars = Vec::new();
        let mut den = Vec::new();
        for s in scalars {
            if let Op::Pow(p) = g.op(s).clone() {
                if p.is_negative() {
                    let base = g.kids(s)[0];
                    let inv = g.pow(base, -p);
                    den.push(inv);
                    continue;
                }
            }
            num_scalars.push(s);
        }
        let single = mats.len() == 1;
        let mut parts = Vec::new();
        // Text keeps powers (`N⁻¹`), and so does `\beta^{-1} I`.
        let structural = single && matches!(g.op(mats[0]), Op::Identity | Op::Ones);
        if !den.is_empty() && (!self.latex() || structural) {
            return self.product_plain(g, id);
        }
        if !den.is_empty() {
            let mut d = Vec::new();
            if !c.denom().is_one() {
                d.push(c.denom().to_string());
            }
            let alone = den.len() == 1 && d.is_empty();
            for x in den {
                let p = self.expr(g, x);
                d.push(if alone { p.0 } else { self.paren(p, NEG) });
            }
            let numer_int = c.numer().to_string();
            if num_scalars.is_empty() && single && numer_int == "1" {
                // \frac{M}{d}
                let m = self.expr(g, mats[0]).0;
                return (neg, format!("\\frac{{{m}}}{{{}}}", d.join(" ")));
            }
            let mut n = Vec::new();
            if numer_int != "1" || num_scalars.is_empty() {
                n.push(numer_int);
            }
            // A numerator of one factor needs no brackets: `\frac{u^T x}{\alpha}`.
            let alone = n.is_empty() && num_scalars.len() == 1;
            for x in num_scalars {
                let p = self.expr(g, x);
                n.push(if alone { p.0 } else { self.paren(p, NEG) });
            }
            parts.push(format!("\\frac{{{}}}{{{}}}", n.join(" "), d.join(" ")));
        } else if self.latex()
            && !c.is_integer()
            && num_scalars.len() == 1
            && matches!(g.op(num_scalars[0]), Op::Var(n) | Op::Def(n) if n.adjoint_parts().is_none())
        {
            // `-\frac{N}{2} \Lambda^{-1}`, not `-\frac{1}{2} N \Lambda^{-1}`.
            let n = self.expr(g, num_scalars[0]).0;
            let k = c.numer().to_string();
            let top = if k == "1" { n } else { format!("{k} {n}") };
            parts.push(format!("\\frac{{{top}}}{{{}}}", c.denom()));
        } else {
            if !c.is_one() || (num_scalars.is_empty() && mats.is_empty()) {
                parts.push(self.number(&coef));
            }
            // A lone inner product after a number needs no brackets:
            // `\frac{1}{2} x^T x`.
            let lone = mats.is_empty() && num_scalars.len() == 1;
            for f in num_scalars {
                let p = self.expr(g, f);
                if lone && p.1 == PROD && g.op(f) == &Op::Mul {
                    parts.push(p.0);
                } else {
                    parts.push(self.paren(p, NEG));
                }
            }
        }
        for f in mats {
            let p = self.expr(g, f);
            // `c (a \odot b)` is `c a \odot b`: scalars commute with ⊙.
            if single && p.1 == HAD && g.op(f) == &Op::Had {
                parts.push(p.0);
            } else {
                parts.push(self.paren(p, NEG));
            }
        }
        (neg, parts.join(" "))
    }

    fn product_plain(&self, g: &mut Graph, id: Id) -> (bool, String) {
        let (coef, scalars, mats) = g.factors(id);
        let neg = coef.is_negative();
        let mut parts = Vec::new();
        if !coef.abs().is_one() || (scalars.is_empty() && mats.is_empty()) {
            parts.push(self.number(&coef));
        }
        for f in scalars.into_iter().chain(mats) {
            let p = self.expr(g, f);
            parts.push(self.paren(p, NEG));
        }
        (neg, parts.join(" "))
    }

    fn expr(&self, g: &mut Graph, id: Id) -> (String, u8) {
        let node = g.node(id).clone();
        let kid = |i: usize| node.kids[i];
        match &node.op {
            // A fraction `\frac{\partial L}{\partial z}` is bracketed under a
            // superscript: `(\frac{\partial L}{\partial z})^T`.
            Op::Var(n) | Op::Def(n) if n.adjoint_parts().is_some() => (self.name(n), POST),
            Op::Var(n) | Op::Def(n) => (self.name(n), ATOM),
            Op::Const(q) => {
                let s = self.number(q);
                if q.is_negative() {
                    (format!("-{s}"), NEG)
                } else if q.is_integer() {
                    (s, ATOM)
                } else {
                    (s, if self.latex() { ATOM } else { PROD })
                }
            }
            Op::Identity => {
                let size = node.shape.rows.subscript();
                match size {
                    // Only a size with a dimension's letter reads back as one.
                    Some(s) if self.sized && s.chars().any(|c| c.is_ascii_alphabetic()) => {
                        let n = Name {
                            base: "I".into(),
                            kind: crate::syntax::ast::NameKind::Latin,
                            sub: Some(s),
                        };
                        (self.name(&n), ATOM)
                    }
                    _ => ("I".into(), ATOM),
                }
            }
            Op::Ones => {
                let ones = if self.latex() { "\\mathbf{1}" } else { "𝟏" };
                match node.shape.rows.subscript() {
                    // Sized where a bare one could be read back at another
                    // size, as identities are.
                    Some(s)
                        if (self.sized || self.ones_sized)
                            && s.chars().any(|c| c.is_ascii_alphabetic()) =>
                    {
                        if self.latex() {
                            (format!("{ones}_{{{s}}}"), ATOM)
                        } else {
                            (format!("{ones}_{s}"), ATOM)
                        }
                    }
                    _ => (ones.into(), ATOM),
                }
            }
            Op::Zero => ("0".into(), ATOM),
            Op::Commutation(m, n) => {
                let sub =
                    |d: &crate::core::shape::Dim| d.subscript().unwrap_or_else(|| d.to_string());
                let (m, n) = (sub(m), sub(n));
                if self.latex() {
                    (format!("\\mathbf{{K}}_{{{m},{n}}}"), ATOM)
                } else {
                    (format!("K_({m},{n})"), ATOM)
                }
            }
            Op::Upstream(of) => {
                let a = kid(0);
                let arg = match g.op(a) {
                    Op::Var(n) | Op::Def(n) => self.name(n),
                    _ => {
                        let p = self.expr(g, a);
                        format!("({})", p.0)
                    }
                };
                if self.latex() {
                    (
                        format!("\\frac{{\\partial {}}}{{\\partial {arg}}}", self.name(of)),
                        POST,
                    )
                } else {
                    (format!("∂{}/∂{arg}", self.name(of)), POST)
                }
            }
            Op::Add => {
                let mut terms = g.terms(id);
                // `A + A^T`, not `A^T + A`.
                let mut i = 0;
                while i < terms.len() {
                    let t = terms[i].1;
                    let later = (i + 1..terms.len())
                        .find(|&j| *g.op(t) == Op::Transpose && g.kids(t)[0] == terms[j].1);
                    match later {
                        Some(j) => {
                            let x = terms.remove(j);
                            terms.insert(i, x);
                            i += 2;
                        }
                        None => i += 1,
                    }
                }
                // A sum reads better opening with a positive term.
                if terms[0].0.is_negative() {
                    if let Some(i) = terms.iter().position(|(c, _)| !c.is_negative()) {
                        let t = terms.remove(i);
                        terms.insert(0, t);
                    }
                }
                let mut s = String::new();
                for (i, (c, t)) in terms.iter().enumerate() {
                    let x = g.scale(c.abs(), *t);
                    let (neg_inner, body) = self.signed(g, x);
                    let neg = c.is_negative() ^ neg_inner;
                    if i == 0 {
                        if neg {
                            s.push('-');
                        }
                    } else {
                        s.push_str(if neg { " - " } else { " + " });
                    }
                    s.push_str(&body);
                }
                (s, SUM)
            }
            Op::Mul => {
                let (neg, body) = self.product(g, id);
                if neg {
                    (format!("-{body}"), PROD)
                } else {
                    (body, PROD)
                }
            }
            Op::Had | Op::Kron => {
                let op = node.op.clone();
                let mut parts = Vec::new();
                let mut stack = vec![id];
                let mut order = Vec::new();
                while let Some(x) = stack.pop() {
                    if *g.op(x) == op {
                        stack.push(g.kids(x)[1]);
                        stack.push(g.kids(x)[0]);
                    } else {
                        order.push(x);
                    }
                }
                for x in order {
                    let p = self.expr(g, x);
                    // `c (a \odot b)` prints as `c a \odot b`, which is
                    // ambiguous beside `\otimes`: keep its parentheses there.
                    let scaled_had = op == Op::Kron && matches!(g.op(x), Op::Mul) && {
                        let (_, _, mats) = g.factors(x);
                        mats.len() == 1 && g.op(mats[0]) == &Op::Had
                    };
                    if scaled_had {
                        parts.push(format!("({})", p.0));
                    } else {
                        parts.push(self.paren(p, PROD));
                    }
                }
                let sym = match (&op, self.latex()) {
                    (Op::Had, true) => " \\odot ",
                    (Op::Had, false) => " ⊙ ",
                    (_, true) => " \\otimes ",
                    _ => " ⊗ ",
                };
                (parts.join(sym), HAD)
            }
            Op::Transpose => {
                let b = self.expr(g, kid(0));
                let b = self.paren(b, ATOM);
                let t = self.tee();
                self.sup(b, t, t)
            }
            Op::Inv => {
                let k = kid(0);
                if *g.op(k) == Op::Transpose {
                    let b = self.expr(g, g.kids(k)[0]);
                    let b = self.paren(b, ATOM);
                    let t = format!("-{}", self.tee());
                    let tt = format!("⁻{}", self.tee());
                    return self.sup(b, &t, &tt);
                }
                let b = self.expr(g, k);
                let b = self.paren(b, ATOM);
                self.sup(b, "-1", "⁻¹")
            }
            Op::MatPow(k) => {
                let b = self.expr(g, kid(0));
                let b = self.paren(b, ATOM);
                self.sup(b, &k.to_string(), &sup_digits(&k.to_string()))
            }
            Op::Pow(p) => {
                let b = self.expr(g, kid(0));
                let b = self.paren(b, ATOM);
                let e = Self::exponent(p);
                if g.is_scalar(id) {
                    self.sup(b, &e, &sup_digits(&e))
                } else if self.latex() {
                    self.sup(b, &format!("\\odot {e}"), "")
                } else {
                    (format!("{b}^⊙{e}"), POST)
                }
            }
            Op::Trace | Op::Det => {
                let a = self.reduced(g, kid(0));
                let f = self.spelled(&node.op);
                self.call(f, a)
            }
            Op::LogDet => {
                let a = self.reduced(g, kid(0));
                // A bar inside bars does not read back (the grammar closes
                // `|…|` at the first bare bar): the inner one is `\det(…)`.
                let bare_bar = a
                    .char_indices()
                    .any(|(i, c)| c == '|' && !a[..i].ends_with('\\'));
                if self.latex() && bare_bar {
                    (format!("\\log\\det({a})"), ATOM)
                } else if self.latex() {
                    (format!("\\log|{a}|"), ATOM)
                } else {
                    (format!("log|{a}|"), ATOM)
                }
            }
            Op::Norm | Op::NormSq => {
                let k = kid(0);
                let a = self.reduced(g, k);
                let frob =
                    !g.shape(k).is_vector() && !g.is_scalar(k) && g.shape(k).cols != Dim::One;
                let sq = node.op == Op::NormSq;
                // A norm inside a norm's bars is parenthesised: `\|\|v\| C q\|`
                // would read back with its bars paired the other way.
                let inner = if self.latex() { "\\|" } else { "‖" };
                let a = if a.contains(inner) {
                    format!("({a})")
                } else {
                    a
                };
                if self.latex() {
                    let sub = if frob { "_F" } else { "" };
                    let s = format!("\\|{a}\\|{sub}{}", if sq { "^2" } else { "" });
                    (s, if sq { POST } else { ATOM })
                } else {
                    let sub = if frob { "_F" } else { "" };
                    (
                        format!("‖{a}‖{sub}{}", if sq { "²" } else { "" }),
                        if sq { POST } else { ATOM },
                    )
                }
            }
            Op::Func(f) => {
                let a = self.expr(g, kid(0)).0;
                match (f, self.latex()) {
                    (Func::Sqrt, true) => (format!("\\sqrt{{{a}}}"), ATOM),
                    (Func::Step, true) => (format!("\\mathbb{{1}}[{a} > 0]"), ATOM),
                    (Func::Step, false) => (format!("𝟙[{a} > 0]"), ATOM),
                    _ => {
                        let name = self.spelled(&node.op);
                        self.call(name, a)
                    }
                }
            }
            Op::Call(f) | Op::Opaque(f) => {
                let a = self.expr(g, kid(0)).0;
                let n = self.name(f);
                self.call(&n, a)
            }
            Op::Sum | Op::LogSumExp => {
                let a = self.reduced(g, kid(0));
                let f = self.spelled(&node.op);
                self.call(f, a)
            }
            Op::Diag | Op::DiagPart | Op::Vec | Op::Unvec | Op::Softmax => {
                let a = self.expr(g, kid(0)).0;
                let f = self.spelled(&node.op);
                self.call(f, a)
            }
            Op::KronL | Op::KronR => {
                let a = self.expr(g, kid(0)).0;
                let b = self.expr(g, kid(1)).0;
                let f = self.spelled(&node.op);
                (format!("{f}({a}, {b})"), ATOM)
            }
        }
    }

    /// The argument of a reduction to a scalar (sum, trace, determinant,
    /// norm): nothing outside fixes its outer sizes, so its ones vectors
    /// carry their size (`\mathrm{sum}(B^T \mathbf{1} \mathbf{1}_{n}^T)`;
    /// a bare `\mathbf{1}^T` there would read back at any length).
    fn reduced(&self, g: &mut Graph, id: Id) -> String {
        Printer {
            style: self.style,
            sized: self.sized,
            ones_sized: true,
        }
        .expr(g, id)
        .0
    }

    /// A term of a sum: its sign and its unsigned body.
    fn signed(&self, g: &mut Graph, id: Id) -> (bool, String) {
        match g.op(id).clone() {
            Op::Mul => self.product(g, id),
            Op::Const(q) => (q.is_negative(), self.number(&q)),
            _ => {
                let p = self.expr(g, id);
                (false, self.wrap(p, HAD))
            }
        }
    }
}

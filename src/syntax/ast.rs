//! The spanned syntax tree of a problem document, as written (no meaning yet:
//! whether `f(z)` is an application or a product is decided by `shape`).

use super::span::Span;
use num_rational::BigRational;
use std::fmt;

/// How a name is spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum NameKind {
    /// One Latin letter: `W`, `x`.
    Latin,
    /// A Greek letter command without its backslash: `alpha`, `Sigma`, `ell`.
    Greek,
    /// A multi-letter word from `\mathrm{}`/`\text{}`: `swish`, `loss`.
    Word,
    /// The gradient of one name in another, `\frac{\partial f}{\partial z_1}`,
    /// as a name of its own: `base` is the objective's LaTeX, `sub` the
    /// variable's (see [`Name::adjoint`]).
    Adjoint,
}

/// A name: a letter or word and an optional subscript. Decorations are dropped.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Name {
    /// The letter or word (`W`, `alpha`, `swish`).
    pub base: String,
    /// How the base is spelled.
    pub kind: NameKind,
    /// The subscript text, if any (`1` in `W_1`).
    pub sub: Option<String>,
}

impl Name {
    /// A Latin name without subscript.
    pub fn latin(c: &str) -> Name {
        Name {
            base: c.to_string(),
            kind: NameKind::Latin,
            sub: None,
        }
    }

    /// The name of the gradient of `of` in `wrt` (an adjoint that an answer
    /// names instead of repeating it): `\frac{\partial f}{\partial z_1}`,
    /// identifier `df_dz_1`.
    pub fn adjoint(of: &Name, wrt: &Name) -> Name {
        Name {
            base: of.latex(),
            kind: NameKind::Adjoint,
            sub: Some(wrt.latex()),
        }
    }

    /// The objective and variable of an adjoint name.
    pub fn adjoint_parts(&self) -> Option<(Name, Name)> {
        if self.kind != NameKind::Adjoint {
            return None;
        }
        Some((
            Name::from_cli(&self.base)?,
            Name::from_cli(self.sub.as_deref()?)?,
        ))
    }

    /// Identifier form: `W_1`, `alpha`, `L_1`, `swish`.
    pub fn ident(&self) -> String {
        if let Some((of, wrt)) = self.adjoint_parts() {
            return format!("d{}_d{}", of.ident(), wrt.ident());
        }
        let sub = self
            .sub
            .as_deref()
            .map(|s| s.replace('\\', "").replace(',', "_"));
        match sub {
            Some(s) => format!("{}_{}", self.base, s),
            None => self.base.clone(),
        }
    }

    /// LaTeX form: `W_1`, `\alpha`, `\mathrm{swish}`, `x_{ij}`.
    pub fn latex(&self) -> String {
        let base = match self.kind {
            NameKind::Adjoint => {
                let wrt = self.sub.as_deref().unwrap_or_default();
                return format!("\\frac{{\\partial {}}}{{\\partial {wrt}}}", self.base);
            }
            NameKind::Latin => self.base.clone(),
            NameKind::Greek => format!("\\{}", self.base),
            NameKind::Word => format!("\\mathrm{{{}}}", self.base),
        };
        match &self.sub {
            Some(s) if s.chars().count() == 1 => format!("{base}_{s}"),
            Some(s) => format!("{base}_{{{s}}}"),
            None => base,
        }
    }

    /// Plain-text form with Unicode letters: `W₁`, `α`, `swish`.
    pub fn text(&self) -> String {
        if let Some((of, wrt)) = self.adjoint_parts() {
            return format!("∂{}/∂{}", of.text(), wrt.text());
        }
        let base = match self.kind {
            NameKind::Greek => greek_unicode(&self.base)
                .map(str::to_string)
                .unwrap_or_else(|| self.base.clone()),
            _ => self.base.clone(),
        };
        match &self.sub {
            Some(s) if s.chars().all(|c| c.is_ascii_digit()) => {
                let digits: String = s
                    .chars()
                    .map(|c| char::from_u32(0x2080 + c.to_digit(10).unwrap_or(0)).unwrap_or(c))
                    .collect();
                format!("{base}{digits}")
            }
            Some(s) => format!("{base}_{s}"),
            None => base,
        }
    }

    /// Upper-case Latin or Greek capital: a matrix by convention.
    pub fn is_upper(&self) -> bool {
        self.base
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_uppercase())
    }

    /// Parse an identifier or LaTeX spelling (`W_{1}`, `W_1`, `\mathcal{L}_1`,
    /// `alpha`) into a name, as `--wrt` and `--of` take them.
    pub fn from_cli(s: &str) -> Option<Name> {
        let s = s.trim();
        let mut t = s.to_string();
        for deco in [
            "\\mathcal",
            "\\mathbf",
            "\\boldsymbol",
            "\\bm",
            "\\vec",
            "\\mathrm",
            "\\text",
            "\\operatorname",
        ] {
            t = t.replace(deco, "");
        }
        let t: String = t
            .chars()
            .filter(|c| !matches!(c, '{' | '}' | ' '))
            .collect();
        let t = t.trim_start_matches('\\');
        let (base, sub) = match t.split_once('_') {
            Some((b, s)) => (b, Some(s.to_string())),
            None => (t, None),
        };
        if base.is_empty() || !base.chars().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        let kind = if base.len() == 1 {
            NameKind::Latin
        } else if is_greek(base) {
            NameKind::Greek
        } else {
            NameKind::Word
        };
        Some(Name {
            base: base.to_string(),
            kind,
            sub: sub.filter(|s| !s.is_empty()),
        })
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.latex())
    }
}

const GREEK: &[(&str, &str)] = &[
    ("alpha", "α"),
    ("beta", "β"),
    ("gamma", "γ"),
    ("delta", "δ"),
    ("epsilon", "ϵ"),
    ("varepsilon", "ε"),
    ("zeta", "ζ"),
    ("eta", "η"),
    ("theta", "θ"),
    ("vartheta", "ϑ"),
    ("iota", "ι"),
    ("kappa", "κ"),
    ("lambda", "λ"),
    ("mu", "μ"),
    ("nu", "ν"),
    ("xi", "ξ"),
    ("pi", "π"),
    ("varpi", "ϖ"),
    ("rho", "ρ"),
    ("varrho", "ϱ"),
    ("sigma", "σ"),
    ("varsigma", "ς"),
    ("tau", "τ"),
    ("upsilon", "υ"),
    ("phi", "ϕ"),
    ("varphi", "φ"),
    ("chi", "χ"),
    ("psi", "ψ"),
    ("omega", "ω"),
    ("ell", "ℓ"),
    ("Gamma", "Γ"),
    ("Delta", "Δ"),
    ("Theta", "Θ"),
    ("Lambda", "Λ"),
    ("Xi", "Ξ"),
    ("Pi", "Π"),
    ("Sigma", "Σ"),
    ("Upsilon", "Υ"),
    ("Phi", "Φ"),
    ("Psi", "Ψ"),
    ("Omega", "Ω"),
];

/// The Unicode letter of a Greek command name.
pub fn greek_unicode(name: &str) -> Option<&'static str> {
    GREEK.iter().find(|(n, _)| *n == name).map(|(_, u)| *u)
}

/// Whether `name` is a Greek letter command (without backslash).
pub fn is_greek(name: &str) -> bool {
    greek_unicode(name).is_some()
}

/// A dimension in a declaration: `n`, `3`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum DimAst {
    /// A positive integer.
    Int(u64),
    /// A dimension symbol.
    Sym(Name, Span),
    /// A product of dimensions: `\mathbb{R}^{m p}`.
    Prod(Vec<DimAst>),
}

/// The space of a declaration: `\mathbb{R}^{m \times n}`, `\mathbb{S}_{++}^n`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Space {
    /// Rows (`None` for a scalar).
    pub rows: Option<DimAst>,
    /// Columns (`None` for a column vector or scalar).
    pub cols: Option<DimAst>,
    /// `\mathbb{S}`: symmetric.
    pub symmetric: bool,
    /// `\mathbb{S}_{++}`: symmetric positive definite.
    pub spd: bool,
    /// `\mathbb{R}_{+}`: a positive scalar.
    pub positive: bool,
}

/// What a query asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum QueryOrder {
    /// `\nabla_W L`, `\frac{\partial L}{\partial W}`: a gradient, or a Jacobian
    /// when the objective is not scalar.
    First,
    /// `\nabla^2_x f`, `\frac{\partial^2 f}{\partial x \partial x^T}`.
    Second,
}

/// One query statement.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Query {
    /// First or second order.
    pub order: QueryOrder,
    /// The objective.
    pub of: Name,
    /// The variable.
    pub wrt: Name,
    /// Where it was written.
    pub span: Span,
}

/// One statement of a document.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum Stmt {
    /// `x, y \in \mathbb{R}^n`.
    Decl {
        /// The declared names with their spans.
        names: Vec<(Name, Span)>,
        /// The space they live in.
        space: Space,
        /// The whole statement.
        span: Span,
    },
    /// `K = \alpha X X^T + \beta^{-1} I`.
    Def {
        /// The defined name.
        name: Name,
        /// Where the name is written.
        name_span: Span,
        /// The definition.
        body: Expr,
    },
    /// `\mathrm{swish}(k) = k \sigma(k)`.
    FnDef {
        /// The function's name.
        name: Name,
        /// Its scalar parameter.
        param: Name,
        /// Its body.
        body: Expr,
        /// The whole statement.
        span: Span,
    },
    /// `\nabla_W L`.
    Query(Query),
    /// A bare expression (simplify, grading).
    Expr(Expr),
}

/// A parsed document.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Document {
    /// The statements in order.
    pub stmts: Vec<Stmt>,
}

/// An operator between two factors of a product chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum MulOp {
    /// Juxtaposition: `A B`.
    Juxt,
    /// `\cdot`, `*`.
    Dot,
    /// `\times` (between scalars).
    Times,
    /// `/` (by a scalar).
    Div,
}

/// A built-in function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Builtin {
    /// `\exp`.
    Exp,
    /// `\log`, `\ln`.
    Log,
    /// `\tanh`.
    Tanh,
    /// `\sin`.
    Sin,
    /// `\cos`.
    Cos,
    /// `\sqrt` or `\mathrm{sqrt}`.
    Sqrt,
    /// `\mathrm{relu}`.
    Relu,
    /// `\sigma` applied, `\mathrm{sigmoid}`.
    Sigmoid,
    /// `\det`.
    Det,
    /// `\mathrm{tr}`.
    Trace,
    /// `\mathrm{sum}`.
    Sum,
    /// `\mathrm{diag}`.
    Diag,
    /// `\mathrm{vec}`.
    Vec,
    /// `\mathrm{softmax}`.
    Softmax,
    /// `\mathrm{logsumexp}`.
    LogSumExp,
    /// `\mathrm{inv}`.
    Inv,
    /// `\mathrm{unvec}(v)`: the inverse of `\mathrm{vec}`, into the shape
    /// the context fixes.
    Unvec,
    /// `\mathrm{kronl}(G, B)`: entry (i, j) is the inner product of block
    /// (i, j) of G with B (the gradient of `⟨G, A ⊗ B⟩` in A).
    KronL,
    /// `\mathrm{kronr}(A, G)`: the sum of G's blocks weighted by A's
    /// entries (the gradient of `⟨G, A ⊗ B⟩` in B).
    KronR,
}

/// Which norm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum NormKind {
    /// `\|x\|`, `\|x\|_2`.
    Two,
    /// `\|A\|_F`.
    Frobenius,
    /// Any other subscript (`_1`, `_\infty`): parsed, refused later.
    Other,
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is written.
    pub span: Span,
}

/// The expression forms, as written.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum ExprKind {
    /// An exact number: `2`, `0.5`.
    Num(#[serde(serialize_with = "ser_rational")] BigRational),
    /// A name (value, function or reserved: resolved later).
    Name(Name),
    /// `\mathbf{1}`.
    Ones,
    /// `\mathbb{1}[z > 0]`.
    Indicator(Box<Expr>),
    /// `\frac{\partial L}{\partial z}`, `\nabla_z L` inside an expression.
    Upstream {
        /// The objective.
        of: Name,
        /// The variable.
        wrt: Name,
    },
    /// `a + b`.
    Add(Box<Expr>, Box<Expr>),
    /// `a - b`.
    Sub(Box<Expr>, Box<Expr>),
    /// `-a`.
    Neg(Box<Expr>),
    /// A product chain `a b \cdot c / d`; the first operator is always `Juxt`.
    Chain(Vec<(MulOp, Expr)>),
    /// `a \odot b`.
    Hadamard(Box<Expr>, Box<Expr>),
    /// `a \otimes b`.
    Kron(Box<Expr>, Box<Expr>),
    /// `\frac{a}{b}`.
    Frac(Box<Expr>, Box<Expr>),
    /// `a^T`, `a'`.
    Transpose(Box<Expr>),
    /// `a^{-T}`.
    InvTranspose(Box<Expr>),
    /// `a^{k}`, `e^{t}`.
    Power(Box<Expr>, Box<Expr>),
    /// `a^{\odot k}`.
    ElemPower(Box<Expr>, Box<Expr>),
    /// A built-in function applied: `\log(x)`, `\mathrm{tr} A`.
    Apply(Builtin, Box<Expr>),
    /// A built-in function of two arguments: `\mathrm{kronl}(G, B)`.
    Apply2(Builtin, Box<Expr>, Box<Expr>),
    /// `\|x\|`, `\|A\|_F`.
    Norm(Box<Expr>, NormKind),
    /// `|A|`.
    Det(Box<Expr>),
    /// A parenthesised group: `(a)`, `[a]`.
    Group(Box<Expr>),
    /// A name applied to a parenthesised argument, `\sigma(z)`, `f(x)`.
    /// The parser reads `f (x)` as a product; the checker makes this node
    /// once it knows `f` is a function, binding the application tighter
    /// than the postfix operators written after it (`\sigma(x)^T`).
    Call(Name, Box<Expr>),
}

fn ser_rational<S: serde::Serializer>(q: &BigRational, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&q.to_string())
}

impl Expr {
    /// The operand under postfix operators: `(x)` in `(x)^T`, `(x)^{2}`.
    pub fn postfix_base(&self) -> &Expr {
        match &self.kind {
            ExprKind::Transpose(a)
            | ExprKind::InvTranspose(a)
            | ExprKind::Power(a, _)
            | ExprKind::ElemPower(a, _) => a.postfix_base(),
            _ => self,
        }
    }

    /// `f` applied to this expression's postfix base, when that base is a
    /// parenthesised group, with the postfix operators kept outside:
    /// `(x)^T` → `f(x)^T`.
    pub fn applied_by(&self, f: &Name, f_span: Span) -> Option<Expr> {
        let span = f_span.join(self.span);
        let wrap = |kind| Some(Expr { kind, span });
        match &self.kind {
            ExprKind::Group(arg) => wrap(ExprKind::Call(f.clone(), arg.clone())),
            ExprKind::Transpose(a) => wrap(ExprKind::Transpose(Box::new(a.applied_by(f, f_span)?))),
            ExprKind::InvTranspose(a) => {
                wrap(ExprKind::InvTranspose(Box::new(a.applied_by(f, f_span)?)))
            }
            ExprKind::Power(a, x) => wrap(ExprKind::Power(
                Box::new(a.applied_by(f, f_span)?),
                x.clone(),
            )),
            ExprKind::ElemPower(a, x) => wrap(ExprKind::ElemPower(
                Box::new(a.applied_by(f, f_span)?),
                x.clone(),
            )),
            _ => None,
        }
    }

    /// The depth of the tree (bounded before later stages recurse on it).
    pub fn depth(&self) -> usize {
        1 + self.children().iter().map(|c| c.depth()).max().unwrap_or(0)
    }

    /// The direct sub-expressions.
    pub fn children(&self) -> Vec<&Expr> {
        use ExprKind::*;
        match &self.kind {
            Num(_) | Name(_) | Ones | Upstream { .. } => vec![],
            Indicator(a)
            | Neg(a)
            | Transpose(a)
            | InvTranspose(a)
            | Apply(_, a)
            | Norm(a, _)
            | Det(a)
            | Group(a)
            | Call(_, a) => vec![a],
            Add(a, b)
            | Sub(a, b)
            | Hadamard(a, b)
            | Kron(a, b)
            | Frac(a, b)
            | Power(a, b)
            | ElemPower(a, b)
            | Apply2(_, a, b) => vec![a, b],
            Chain(items) => items.iter().map(|(_, e)| e).collect(),
        }
    }
}

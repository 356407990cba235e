//! The spanned syntax tree of a problem document, as written (no meaning yet:
//! whether `f(z)` is an application or a product is decided by `shape`).

pub use crate::core::name::{Name, NameKind};
use crate::core::span::Span;
use num_rational::BigRational;

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
    /// `\Delta^{n}`: a probability vector (positive entries summing to one).
    pub simplex: bool,
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
    /// `\cosh`.
    Cosh,
    /// `\sinh`.
    Sinh,
    /// `\arctan`.
    Arctan,
    /// `\mathrm{softplus}`.
    Softplus,
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
    /// `\mathbf{1}`, with the subscript of `\mathbf{1}_{n}` (a size).
    Ones(Option<String>),
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
            Num(_) | Name(_) | Ones(_) | Upstream { .. } => vec![],
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

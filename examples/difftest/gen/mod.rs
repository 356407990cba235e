//! Random well-shaped matcalc problems and an INDEPENDENT evaluator.
//!
//! One random typed tree gives (a) the LaTeX problem document and (b) this
//! file's own evaluation of the objective over `nalgebra::DMatrix<f64>`.
//! Nothing from `matcalc` is imported here: no parser, checker, IR or
//! evaluator. The only shared convention is the opaque stand-in
//! `ℓ(v) = Σ a∘sin(v) + ½ b∘v∘v` (coefficients drawn from the instance seed
//! and the name), which is re-implemented below from its documented formula.
#![allow(dead_code)]

use nalgebra::DMatrix;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};

mod build;
mod evaluate;
mod latex;
mod shrink;

pub(crate) use evaluate::*;
pub(crate) use shrink::*;

pub type M = DMatrix<f64>;

/// Dimension symbols and their sizes (distinct so that transposition errors show).
pub const DIMS: [(&str, usize); 3] = [("m", 2), ("n", 3), ("p", 4)];

/// A dimension: an ordered product of dimension symbols (empty = 1).
pub type Dim = Vec<u8>;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shape {
    pub r: Dim,
    pub c: Dim,
}

impl Shape {
    pub fn new(r: Dim, c: Dim) -> Shape {
        Shape { r, c }
    }
    pub fn scalar() -> Shape {
        Shape::new(vec![], vec![])
    }
    pub fn is_scalar(&self) -> bool {
        self.r.is_empty() && self.c.is_empty()
    }
    pub fn is_vector(&self) -> bool {
        self.c.is_empty() && !self.r.is_empty()
    }
    pub fn is_simple(&self) -> bool {
        self.r.len() <= 1 && self.c.len() <= 1
    }
    pub fn is_square(&self) -> bool {
        self.r == self.c && !self.r.is_empty()
    }
    pub fn t(&self) -> Shape {
        Shape::new(self.c.clone(), self.r.clone())
    }
    pub fn rows(&self) -> usize {
        size(&self.r)
    }
    pub fn cols(&self) -> usize {
        size(&self.c)
    }
}

pub fn size(d: &Dim) -> usize {
    d.iter().map(|&i| DIMS[i as usize].1).product()
}

/// How a variable's values are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarKind {
    /// Entries ±[0.3, 1] (away from 0, for relu).
    General,
    /// Entries in [0.5, 1.5] (declared plainly; positivity is the instance's).
    Positive,
    /// `\mathbb{R}_{+}` scalar.
    PosScalar,
    /// `\mathbb{S}^{n}`.
    Sym,
    /// `\mathbb{S}_{++}^{n}`.
    Spd,
}

#[derive(Clone, Debug)]
pub struct Var {
    /// LaTeX spelling (`x`, `\alpha`, `W_1`).
    pub latex: String,
    /// Identifier form (`x`, `alpha`, `W_1`): what matcalc's `Name::ident` gives.
    pub ident: String,
    pub shape: Shape,
    pub kind: VarKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum F {
    Exp,
    EPow,
    Log,
    Ln,
    Sigma,
    Tanh,
    Sin,
    Cos,
    Sqrt,
    Relu,
}

impl F {
    /// The function's name as written (`e^{x}` for the exponential power).
    pub fn latex(self) -> &'static str {
        match self {
            F::Exp => "\\exp",
            F::EPow => "e^{x}",
            F::Log => "\\log",
            F::Ln => "\\ln",
            F::Sigma => "\\sigma",
            F::Tanh => "\\tanh",
            F::Sin => "\\sin",
            F::Cos => "\\cos",
            F::Sqrt => "\\sqrt",
            F::Relu => "\\mathrm{relu}",
        }
    }
}

/// User functions (scalar, applied elementwise).
pub const USER: [(&str, &str); 4] = [
    ("swish", "k \\sigma(k)"),
    ("softplus", "\\log(1 + e^{k})"),
    ("quad", "\\frac{1}{2} k^2 + \\sin(k)"),
    ("gelu", "k \\sigma(\\frac{17}{10} k)"),
];

fn sigm(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn user_eval(u: usize, k: f64) -> f64 {
    match u {
        0 => k * sigm(k),
        1 => (1.0 + k.exp()).ln(),
        2 => 0.5 * k * k + k.sin(),
        _ => k * sigm(1.7 * k),
    }
}

/// Opaque functions: `\ell` and `f`, identifiers `ell` and `f`.
pub const OPAQUE: [(&str, &str); 2] = [("\\ell", "ell"), ("f", "f")];

#[derive(Clone, Debug)]
pub enum E {
    Var(usize),
    Def(usize),
    Num(i64, i64),
    DimSym(u8),
    Eye,
    Add(Box<N>, Box<N>),
    Sub(Box<N>, Box<N>),
    Neg(Box<N>),
    /// Matrix product or scalar scaling (either side 1×1); spelling 0 juxtaposition, 1 `\cdot`, 2 `*`.
    Mul(Box<N>, Box<N>, u8),
    /// Broadcast: scalar ± matrix. (scalar, matrix, minus, scalar_first)
    BAdd(Box<N>, Box<N>, bool, bool),
    Had(Box<N>, Box<N>),
    Kron(Box<N>, Box<N>),
    /// A / c: frac spelling (true) or slash.
    Div(Box<N>, Box<N>, bool),
    T(Box<N>, u8),
    Inv(Box<N>),
    InvT(Box<N>),
    /// Scalar power p/q; sqrt spelling for 1/2 when flag.
    Pow(Box<N>, i64, i64, bool),
    HadPow(Box<N>, i64, i64),
    MatPow(Box<N>, i32),
    Tr(Box<N>, u8),
    Det(Box<N>, u8),
    LogDet(Box<N>, u8),
    /// Norm: squared?, spelling.
    Norm(Box<N>, bool, u8),
    Func(F, Box<N>),
    Sum(Box<N>),
    OnesT(Box<N>),
    Diag(Box<N>),
    DiagPart(Box<N>),
    Vec(Box<N>),
    Softmax(Box<N>),
    Lse(Box<N>),
    User(usize, Box<N>),
    Opaque(usize, Box<N>),
}

#[derive(Clone, Debug)]
pub struct N {
    pub e: E,
    pub s: Shape,
}

fn bx(n: N) -> Box<N> {
    Box::new(n)
}

/// A generated problem.
#[derive(Clone, Debug)]
pub struct Gen {
    pub vars: Vec<Var>,
    /// Definitions `z_1 = ...`; the last is the objective `L`.
    pub defs: Vec<(String, N)>,
    /// Variables asked about (indices into vars).
    pub queries: Vec<usize>,
    /// Seed of the instance (opaque stand-ins).
    pub seed: u64,
    /// Values of every variable.
    pub values: Vec<M>,
    /// Print order of the definitions (a permutation).
    pub order: Vec<usize>,
    /// Spelling choices for the document (objective name, query style, decl style).
    pub style: u64,
    /// Second-order and vector-valued queries beside the gradients.
    pub extra: Vec<Extra>,
}

/// A query beyond a gradient of the objective.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extra {
    /// The Hessian of the objective in a variable.
    Hessian(usize),
    /// The Jacobian of a vector-valued definition (index) in a variable.
    Jacobian(usize, usize),
}

/// The identifier matcalc gives a LaTeX name: `\mathcal{L}` is `L`, `z_{1}` is `z_1`.
pub fn ident_of(latex: &str) -> String {
    latex
        .replace("\\mathcal", "")
        .chars()
        .filter(|c| !matches!(c, '{' | '}' | '\\'))
        .collect()
}

// ---------------------------------------------------------------- generation

const SCALARS: [(&str, &str); 7] = [
    ("\\alpha", "alpha"),
    ("\\beta", "beta"),
    ("\\gamma", "gamma"),
    ("\\lambda", "lambda"),
    ("\\tau", "tau"),
    ("t", "t"),
    ("s", "s"),
];
const VECTORS: [&str; 10] = ["a", "b", "c", "u", "v", "w", "x", "y", "h", "q"];
const MATRICES: [&str; 12] = ["A", "B", "C", "W", "X", "Y", "M", "P", "Q", "R", "U", "V"];
const SYMS: [(&str, &str); 4] = [("S", "S"), ("K", "K"), ("\\Sigma", "Sigma"), ("H", "H")];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dom {
    Any,
    Pos,
}

pub struct Generator {
    pub rng: ChaCha8Rng,
    vars: Vec<Var>,
    defs: Vec<(String, N)>,
    used_names: BTreeSet<String>,
    max_defs: usize,
}

fn pick_name(
    used: &BTreeSet<String>,
    pool: &[(&str, &str)],
    rng: &mut ChaCha8Rng,
) -> (String, String) {
    let free: Vec<&(&str, &str)> = pool.iter().filter(|(_, i)| !used.contains(*i)).collect();
    if let Some((l, i)) = free.choose(rng) {
        return (l.to_string(), i.to_string());
    }
    // Pool exhausted: subscripts.
    for k in 1..100 {
        let (l, i) = pool[rng.gen_range(0..pool.len())];
        let ident = format!("{i}_{k}");
        if !used.contains(&ident) {
            return (format!("{l}_{{{k}}}"), ident);
        }
    }
    unreachable!()
}

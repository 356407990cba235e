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

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            vars: Vec::new(),
            defs: Vec::new(),
            used_names: BTreeSet::new(),
            max_defs: 3,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    fn dim(&mut self) -> Dim {
        vec![self.rng.gen_range(0..3u8)]
    }

    /// A variable of a simple shape and kind; reuse an existing one often.
    fn var(&mut self, s: &Shape, kind: VarKind) -> N {
        if s.r.is_empty() && !s.c.is_empty() {
            let v = self.var(&s.t(), kind);
            let sp = self.rng.gen_range(0..4);
            return N {
                e: E::T(bx(v), sp),
                s: s.clone(),
            };
        }
        let existing: Vec<usize> = (0..self.vars.len())
            .filter(|&i| self.vars[i].shape == *s && self.vars[i].kind == kind)
            .collect();
        if !existing.is_empty() && self.chance(0.5) {
            let i = *existing.choose(&mut self.rng).unwrap();
            return N {
                e: E::Var(i),
                s: s.clone(),
            };
        }
        let (latex, ident) = if s.is_scalar() {
            let pool: Vec<(&str, &str)> = SCALARS.to_vec();
            pick_name(&self.used_names, &pool, &mut self.rng)
        } else if matches!(kind, VarKind::Sym | VarKind::Spd) {
            pick_name(&self.used_names, &SYMS, &mut self.rng)
        } else if s.c.is_empty() {
            let pool: Vec<(&str, &str)> = VECTORS.iter().map(|v| (*v, *v)).collect();
            pick_name(&self.used_names, &pool, &mut self.rng)
        } else {
            let pool: Vec<(&str, &str)> = MATRICES.iter().map(|v| (*v, *v)).collect();
            pick_name(&self.used_names, &pool, &mut self.rng)
        };
        self.used_names.insert(ident.clone());
        self.vars.push(Var {
            latex,
            ident,
            shape: s.clone(),
            kind,
        });
        N {
            e: E::Var(self.vars.len() - 1),
            s: s.clone(),
        }
    }

    fn leaf(&mut self, s: &Shape, dom: Dom) -> N {
        if !s.is_simple() {
            return self.compound(s, 0, dom);
        }
        if s.is_scalar() {
            let k = self.rng.gen_range(0..10);
            return match (k, dom) {
                (0 | 1, _) => {
                    let (p, q) = *[(2, 1), (3, 1), (1, 2), (3, 2), (1, 3)]
                        .choose(&mut self.rng)
                        .unwrap();
                    N {
                        e: E::Num(p, q),
                        s: s.clone(),
                    }
                }
                (2, _) => N {
                    e: E::DimSym(self.rng.gen_range(0..3)),
                    s: s.clone(),
                },
                (3 | 4, _) | (_, Dom::Pos) => self.var(s, VarKind::PosScalar),
                _ => self.var(s, VarKind::General),
            };
        }
        if s.r.is_empty() {
            // A row: transpose of a column variable.
            let v = self.leaf(&s.t(), dom);
            let sp = self.rng.gen_range(0..4);
            return N {
                e: E::T(bx(v), sp),
                s: s.clone(),
            };
        }
        if s.is_square() && self.chance(0.3) {
            let kind = if self.chance(0.5) {
                VarKind::Sym
            } else {
                VarKind::Spd
            };
            if dom == Dom::Any {
                // Symmetric values may be negative: only in Any.
                return self.var(s, kind);
            }
        }
        let kind = if dom == Dom::Pos || self.chance(0.2) {
            VarKind::Positive
        } else {
            VarKind::General
        };
        self.var(s, kind)
    }

    /// A shape with a product dimension: vec, Kronecker, or elementwise around them.
    fn compound(&mut self, s: &Shape, depth: u32, dom: Dom) -> N {
        if depth > 0 && dom == Dom::Any {
            match self.rng.gen_range(0..8) {
                0 => {
                    let a = self.compound(s, depth - 1, dom);
                    let b = self.compound(s, depth - 1, dom);
                    return N {
                        e: E::Add(bx(a), bx(b)),
                        s: s.clone(),
                    };
                }
                1 => {
                    let a = self.compound(s, depth - 1, dom);
                    let b = self.compound(s, depth - 1, dom);
                    return N {
                        e: E::Had(bx(a), bx(b)),
                        s: s.clone(),
                    };
                }
                2 => {
                    let a = self.compound(s, depth - 1, dom);
                    let f = *[F::Sin, F::Tanh, F::Sigma].choose(&mut self.rng).unwrap();
                    return N {
                        e: E::Func(f, bx(a)),
                        s: s.clone(),
                    };
                }
                _ => {}
            }
        }
        if s.r.is_empty() {
            let v = self.compound(&s.t(), depth, dom);
            return N {
                e: E::T(bx(v), self.rng.gen_range(0..4)),
                s: s.clone(),
            };
        }
        if s.c.is_empty() && s.r.len() == 2 && self.chance(0.5) {
            let inner = Shape::new(vec![s.r[0]], vec![s.r[1]]);
            let a = self.gen(&inner, depth.saturating_sub(1), dom);
            return N {
                e: E::Vec(bx(a)),
                s: s.clone(),
            };
        }
        let split = |d: &Dim| -> (Dim, Dim) {
            match d.len() {
                0 => (vec![], vec![]),
                1 => (d.clone(), vec![]),
                _ => (vec![d[0]], d[1..].to_vec()),
            }
        };
        let (r1, r2) = split(&s.r);
        let (c1, c2) = split(&s.c);
        let a = self.gen(&Shape::new(r1, c1), depth.saturating_sub(1), dom);
        let b = self.gen(&Shape::new(r2, c2), depth.saturating_sub(1), dom);
        N {
            e: E::Kron(bx(a), bx(b)),
            s: s.clone(),
        }
    }

    /// An invertible square matrix (positive determinant, well conditioned).
    fn invertible(&mut self, d: &Dim, depth: u32) -> N {
        let s = Shape::new(d.clone(), d.clone());
        let n = match self.rng.gen_range(0..6) {
            0 | 1 => self.var(&s, VarKind::Spd),
            2 => {
                // X + c I with c large.
                let x = self.var(&s, VarKind::General);
                let c = N {
                    e: E::Num(self.rng.gen_range(4..7), 1),
                    s: Shape::scalar(),
                };
                let i = if self.chance(0.5) {
                    N {
                        e: E::Mul(
                            bx(c),
                            bx(N {
                                e: E::Eye,
                                s: s.clone(),
                            }),
                            0,
                        ),
                        s: s.clone(),
                    }
                } else {
                    N {
                        e: E::Mul(
                            bx(c),
                            bx(N {
                                e: E::Eye,
                                s: s.clone(),
                            }),
                            1,
                        ),
                        s: s.clone(),
                    }
                };
                N {
                    e: E::Add(bx(x), bx(i)),
                    s: s.clone(),
                }
            }
            3 | 4 => {
                // G^T G + I or G G^T + α I.
                let k = self.dim();
                let g = self.gen(
                    &Shape::new(k.clone(), d.clone()),
                    depth.saturating_sub(1).min(1),
                    Dom::Any,
                );
                let gt = N {
                    e: E::T(bx(g.clone()), self.rng.gen_range(0..4)),
                    s: g.s.t(),
                };
                let prod = N {
                    e: E::Mul(bx(gt), bx(g), 0),
                    s: s.clone(),
                };
                let eye = N {
                    e: E::Eye,
                    s: s.clone(),
                };
                let id = if self.chance(0.5) {
                    eye
                } else {
                    let a = self.var(&Shape::scalar(), VarKind::PosScalar);
                    N {
                        e: E::Mul(bx(a), bx(eye), 0),
                        s: s.clone(),
                    }
                };
                N {
                    e: E::Add(bx(prod), bx(id)),
                    s: s.clone(),
                }
            }
            _ => {
                // S + c I with a symmetric S.
                let x = self.var(&s, VarKind::Sym);
                let c = N {
                    e: E::Num(self.rng.gen_range(4..7), 1),
                    s: Shape::scalar(),
                };
                let i = N {
                    e: E::Mul(
                        bx(c),
                        bx(N {
                            e: E::Eye,
                            s: s.clone(),
                        }),
                        0,
                    ),
                    s: s.clone(),
                };
                N {
                    e: E::Add(bx(i), bx(x)),
                    s: s.clone(),
                }
            }
        };
        self.maybe_def(n, 0.35)
    }

    /// Turn a non-leaf node into a definition sometimes.
    fn maybe_def(&mut self, n: N, p: f64) -> N {
        if matches!(
            n.e,
            E::Var(_) | E::Num(..) | E::Eye | E::DimSym(_) | E::Def(_)
        ) {
            return n;
        }
        if self.defs.len() + 1 < self.max_defs && self.chance(p) {
            let k = self.defs.len() + 1;
            let name = if self.chance(0.5) {
                format!("z_{k}")
            } else {
                format!("z_{{{k}}}")
            };
            let s = n.s.clone();
            self.defs.push((name, n));
            return N {
                e: E::Def(self.defs.len() - 1),
                s,
            };
        }
        n
    }

    /// A name-valued argument (for opaque functions): a variable or a definition.
    fn named(&mut self, s: &Shape, depth: u32) -> N {
        let n = self.gen(s, depth, Dom::Any);
        if matches!(n.e, E::Var(_) | E::Def(_)) {
            return n;
        }
        if self.defs.len() + 1 < self.max_defs + 1 {
            let k = self.defs.len() + 1;
            let name = format!("z_{k}");
            let s = n.s.clone();
            self.defs.push((name, n));
            return N {
                e: E::Def(self.defs.len() - 1),
                s,
            };
        }
        if s.is_simple() {
            let kind = if s.is_scalar() {
                VarKind::PosScalar
            } else {
                VarKind::General
            };
            return self.var(s, kind);
        }
        self.leaf(s, Dom::Any)
    }

    fn num(&mut self) -> N {
        let (p, q) = *[(2, 1), (3, 1), (1, 2), (3, 2), (1, 3), (2, 3)]
            .choose(&mut self.rng)
            .unwrap();
        N {
            e: E::Num(p, q),
            s: Shape::scalar(),
        }
    }

    /// A random node of shape `s` in domain `dom`.
    pub fn gen(&mut self, s: &Shape, depth: u32, dom: Dom) -> N {
        if !s.is_simple() {
            return self.compound(s, depth, dom);
        }
        if depth == 0 {
            return self.leaf(s, dom);
        }
        let d = depth - 1;
        let n = if dom == Dom::Pos {
            self.gen_pos(s, d)
        } else {
            self.gen_any(s, d)
        };
        self.maybe_def(n, 0.2)
    }

    fn gen_pos(&mut self, s: &Shape, d: u32) -> N {
        let sc = s.is_scalar();
        loop {
            let k = self.rng.gen_range(0..14);
            let e = match k {
                0 => {
                    // 1 + x^{⊙2} or c + t^2
                    let x = self.gen(s, d, Dom::Any);
                    let c = N {
                        e: E::Num(1, 1),
                        s: Shape::scalar(),
                    };
                    if sc {
                        let p = N {
                            e: E::Pow(bx(x), 2, 1, false),
                            s: s.clone(),
                        };
                        E::Add(bx(c), bx(p))
                    } else {
                        let p = N {
                            e: E::HadPow(bx(x), 2, 1),
                            s: s.clone(),
                        };
                        E::BAdd(bx(c), bx(p), false, self.chance(0.7))
                    }
                }
                1 => E::Func(
                    if self.chance(0.7) { F::Exp } else { F::EPow },
                    bx(self.gen(s, d, Dom::Any)),
                ),
                2 => E::Func(F::Sigma, bx(self.gen(s, d, Dom::Any))),
                3 => E::Func(F::Sqrt, bx(self.gen(s, d, Dom::Pos))),
                4 => {
                    let (p, q) = *[(1, 2), (3, 2), (-1, 1), (2, 1), (-1, 2)]
                        .choose(&mut self.rng)
                        .unwrap();
                    let b = self.gen(s, d, Dom::Pos);
                    if sc {
                        E::Pow(bx(b), p, q, p == 1 && q == 2 && self.chance(0.5))
                    } else {
                        E::HadPow(bx(b), p, q)
                    }
                }
                5 if !sc => E::Had(bx(self.gen(s, d, Dom::Pos)), bx(self.gen(s, d, Dom::Pos))),
                6 => E::Add(bx(self.gen(s, d, Dom::Pos)), bx(self.gen(s, d, Dom::Pos))),
                7 => {
                    let a = if self.chance(0.5) {
                        self.num()
                    } else {
                        self.gen(&Shape::scalar(), d, Dom::Pos)
                    };
                    E::Mul(bx(a), bx(self.gen(s, d, Dom::Pos)), 0)
                }
                8 => E::Div(
                    bx(self.gen(s, d, Dom::Pos)),
                    bx(self.gen(&Shape::scalar(), d, Dom::Pos)),
                    self.chance(0.5),
                ),
                9 if !sc && s.c.is_empty() => E::Softmax(bx(self.gen(s, d, Dom::Any))),
                10 if sc => {
                    // norms (positive almost surely), squared plus one
                    let ds = self.dim();
                    let v = self.gen(&Shape::new(ds, vec![]), d, Dom::Any);
                    E::Norm(bx(v), false, self.rng.gen_range(0..3))
                }
                11 if sc => {
                    let dd = self.dim();
                    E::Det(bx(self.invertible(&dd, d)), self.rng.gen_range(0..3))
                }
                12 if sc => E::User(1, bx(self.gen(s, d, Dom::Any))),
                13 => return self.leaf(s, Dom::Pos),
                _ => continue,
            };
            return N { e, s: s.clone() };
        }
    }

    fn gen_any(&mut self, s: &Shape, d: u32) -> N {
        let sc = s.is_scalar();
        let vector = !s.r.is_empty() && s.c.is_empty();
        let square = s.is_square();
        loop {
            let k = self.rng.gen_range(0..43);
            let e = match k {
                0 | 1 => E::Add(bx(self.gen(s, d, Dom::Any)), bx(self.gen(s, d, Dom::Any))),
                2 => E::Sub(bx(self.gen(s, d, Dom::Any)), bx(self.gen(s, d, Dom::Any))),
                3 => E::Neg(bx(self.gen(s, d, Dom::Any))),
                4..=7 => {
                    // matrix product through an inner dimension
                    let inner = match self.rng.gen_range(0..8) {
                        0 => vec![],
                        1 if sc => {
                            let a = self.rng.gen_range(0..3u8);
                            let b = self.rng.gen_range(0..3u8);
                            vec![a, b]
                        }
                        _ => self.dim(),
                    };
                    if inner.is_empty() && sc {
                        continue;
                    }
                    let a = self.gen(&Shape::new(s.r.clone(), inner.clone()), d, Dom::Any);
                    let b = self.gen(&Shape::new(inner, s.c.clone()), d, Dom::Any);
                    let sp = *[0, 0, 0, 1, 2].choose(&mut self.rng).unwrap();
                    E::Mul(bx(a), bx(b), sp)
                }
                8 | 9 if !sc => {
                    // scaling by a scalar (often an inner product)
                    let scal = if self.chance(0.5) {
                        let dd = self.dim();
                        let x = self.gen(&Shape::new(vec![], dd.clone()), d.min(1), Dom::Any);
                        let y = self.gen(&Shape::new(dd, vec![]), d.min(1), Dom::Any);
                        N {
                            e: E::Mul(bx(x), bx(y), 0),
                            s: Shape::scalar(),
                        }
                    } else {
                        self.gen(&Shape::scalar(), d, Dom::Any)
                    };
                    let m = self.gen(s, d, Dom::Any);
                    if self.chance(0.6) {
                        E::Mul(bx(scal), bx(m), 0)
                    } else {
                        E::Mul(bx(m), bx(scal), 0)
                    }
                }
                10 if !sc => {
                    let c = if self.chance(0.5) {
                        N {
                            e: E::Num(1, 1),
                            s: Shape::scalar(),
                        }
                    } else {
                        self.gen(&Shape::scalar(), d, Dom::Any)
                    };
                    let f = self.gen(s, d, Dom::Any);
                    E::BAdd(bx(c), bx(f), self.chance(0.5), self.chance(0.7))
                }
                11 | 12 if !sc => {
                    E::Had(bx(self.gen(s, d, Dom::Any)), bx(self.gen(s, d, Dom::Any)))
                }
                13 => E::Div(
                    bx(self.gen(s, d, Dom::Any)),
                    bx(self.gen(&Shape::scalar(), d, Dom::Pos)),
                    self.chance(0.6),
                ),
                14 if !sc => E::Mul(bx(self.num()), bx(self.gen(s, d, Dom::Any)), 0),
                15 | 16 => E::T(bx(self.gen(&s.t(), d, Dom::Any)), self.rng.gen_range(0..4)),
                17 if square => {
                    if self.chance(0.5) {
                        E::Inv(bx(self.invertible(&s.r, d)))
                    } else {
                        E::InvT(bx(self.invertible(&s.r, d)))
                    }
                }
                18 if square => {
                    let k = *[2, 2, 3, -1, -2].choose(&mut self.rng).unwrap();
                    if k < 0 {
                        E::MatPow(bx(self.invertible(&s.r, d)), k)
                    } else {
                        E::MatPow(bx(self.gen(s, d, Dom::Any)), k)
                    }
                }
                19 | 20 => {
                    let f = *[F::Exp, F::EPow, F::Sigma, F::Sigma, F::Tanh, F::Sin, F::Cos]
                        .choose(&mut self.rng)
                        .unwrap();
                    E::Func(f, bx(self.gen(s, d, Dom::Any)))
                }
                21 => {
                    let f = *[F::Log, F::Ln, F::Sqrt].choose(&mut self.rng).unwrap();
                    E::Func(f, bx(self.gen(s, d, Dom::Pos)))
                }
                22 => {
                    if s.is_scalar() || !s.is_simple() {
                        continue;
                    }
                    // relu only on a variable (values away from 0)
                    E::Func(F::Relu, bx(self.var(s, VarKind::General)))
                }
                23 => E::User(self.rng.gen_range(0..4), bx(self.gen(s, d, Dom::Any))),
                24 if !sc => {
                    let (p, q) = *[(2, 1), (3, 1), (2, 1)].choose(&mut self.rng).unwrap();
                    E::HadPow(bx(self.gen(s, d, Dom::Any)), p, q)
                }
                25 if !sc => {
                    let (p, q) = *[(1, 2), (-1, 1), (3, 2), (-1, 2)]
                        .choose(&mut self.rng)
                        .unwrap();
                    E::HadPow(bx(self.gen(s, d, Dom::Pos)), p, q)
                }
                26 if square => {
                    E::Diag(bx(self.gen(&Shape::new(s.r.clone(), vec![]), d, Dom::Any)))
                }
                27 if vector => E::DiagPart(bx(self.gen(
                    &Shape::new(s.r.clone(), s.r.clone()),
                    d,
                    Dom::Any,
                ))),
                28 if vector => E::Softmax(bx(self.gen(s, d, Dom::Any))),
                29 if square => {
                    // I as a summand
                    let eye = N {
                        e: E::Eye,
                        s: s.clone(),
                    };
                    let f = self.gen(s, d, Dom::Any);
                    if self.chance(0.5) {
                        E::Add(bx(f), bx(eye))
                    } else {
                        E::Sub(bx(eye), bx(f))
                    }
                }
                // scalar-only productions
                30 if sc => {
                    let dd = self.dim();
                    E::Tr(
                        bx(self.gen(&Shape::new(dd.clone(), dd), d, Dom::Any)),
                        self.rng.gen_range(0..5),
                    )
                }
                31 if sc => {
                    let dd = self.dim();
                    E::Det(
                        bx(self.gen(&Shape::new(dd.clone(), dd), d.min(1), Dom::Any)),
                        self.rng.gen_range(0..3),
                    )
                }
                32 | 33 if sc => {
                    let dd = self.dim();
                    E::LogDet(bx(self.invertible(&dd, d)), self.rng.gen_range(0..4))
                }
                34 if sc => {
                    let r = self.dim();
                    let c = if self.chance(0.5) { vec![] } else { self.dim() };
                    let x = self.gen(&Shape::new(r, c.clone()), d, Dom::Any);
                    E::Norm(bx(x), self.chance(0.6), self.rng.gen_range(0..3))
                }
                35 if sc => {
                    let r = self.dim();
                    let c = if self.chance(0.5) { vec![] } else { self.dim() };
                    E::Sum(bx(self.gen(&Shape::new(r, c), d, Dom::Any)))
                }
                36 if sc => {
                    let r = self.dim();
                    E::OnesT(bx(self.gen(&Shape::new(r, vec![]), d, Dom::Any)))
                }
                37 if sc => {
                    let r = self.dim();
                    E::Lse(bx(self.gen(&Shape::new(r, vec![]), d, Dom::Any)))
                }
                38 if sc => {
                    let r = self.dim();
                    let c = if self.chance(0.5) { vec![] } else { self.dim() };
                    let sh = if self.chance(0.4) {
                        Shape::scalar()
                    } else {
                        Shape::new(r, c)
                    };
                    let a = self.named(&sh, d);
                    E::Opaque(self.rng.gen_range(0..2), bx(a))
                }
                40 if sc => {
                    // quadratic form with an inverse or a matrix power: x^T A^{-1} y
                    let dd = self.dim();
                    let sq = Shape::new(dd.clone(), dd.clone());
                    let mid = match self.rng.gen_range(0..5) {
                        4 => N {
                            e: E::Diag(bx(self.gen(
                                &Shape::new(dd.clone(), vec![]),
                                d.min(1),
                                Dom::Any,
                            ))),
                            s: sq.clone(),
                        },
                        0 => N {
                            e: E::Inv(bx(self.invertible(&dd, d))),
                            s: sq.clone(),
                        },
                        1 => N {
                            e: E::InvT(bx(self.invertible(&dd, d))),
                            s: sq.clone(),
                        },
                        2 => N {
                            e: E::MatPow(
                                bx(self.invertible(&dd, d)),
                                -*[1, 2].choose(&mut self.rng).unwrap(),
                            ),
                            s: sq.clone(),
                        },
                        _ => N {
                            e: E::MatPow(
                                bx(self.gen(&sq, d.min(1), Dom::Any)),
                                *[2, 3].choose(&mut self.rng).unwrap(),
                            ),
                            s: sq.clone(),
                        },
                    };
                    if self.chance(0.4) {
                        E::Tr(bx(mid), self.rng.gen_range(0..5))
                    } else {
                        let x = self.gen(&Shape::new(vec![], dd.clone()), d.min(1), Dom::Any);
                        let y = self.gen(&Shape::new(dd, vec![]), d.min(1), Dom::Any);
                        let xm = N {
                            e: E::Mul(bx(x), bx(mid), 0),
                            s: Shape::new(vec![], sq.c.clone()),
                        };
                        E::Mul(bx(xm), bx(y), 0)
                    }
                }
                41 if sc => {
                    // scalar times scalar, a scalar power of an application
                    let a = self.gen(s, d, Dom::Any);
                    let b = self.gen(s, d, Dom::Any);
                    if self.chance(0.5) {
                        E::Mul(bx(a), bx(b), 0)
                    } else {
                        let (p, q) = *[(1, 2), (1, 2), (-1, 1), (3, 2)]
                            .choose(&mut self.rng)
                            .unwrap();
                        E::Pow(
                            bx(self.gen(s, d, Dom::Pos)),
                            p,
                            q,
                            p == 1 && q == 2 && self.chance(0.7),
                        )
                    }
                }
                42 if square => {
                    // the transpose of a symmetric variable (its gradient is the unconstrained one)
                    let kind = if self.chance(0.5) {
                        VarKind::Sym
                    } else {
                        VarKind::Spd
                    };
                    E::T(bx(self.var(s, kind)), self.rng.gen_range(0..4))
                }
                39 if sc => {
                    let (p, q) = *[(2, 1), (2, 1), (3, 1)].choose(&mut self.rng).unwrap();
                    E::Pow(bx(self.gen(s, d, Dom::Any)), p, q, false)
                }
                39 if !sc => {
                    // a scalar-shaped opaque or reduction times a matrix: \log|S| X
                    let dd = self.dim();
                    let l = N {
                        e: E::LogDet(bx(self.invertible(&dd, 0)), self.rng.gen_range(0..4)),
                        s: Shape::scalar(),
                    };
                    E::Mul(bx(l), bx(self.gen(s, d, Dom::Any)), 0)
                }
                _ => continue,
            };
            return N { e, s: s.clone() };
        }
    }

    /// A whole problem.
    pub fn problem(seed: u64) -> Gen {
        let mut attempt = 0u64;
        loop {
            let mut g = Generator::new(seed.wrapping_mul(0x9e3779b97f4a7c15).wrapping_add(attempt));
            g.max_defs = g.rng.gen_range(1..4);
            let depth = g.rng.gen_range(2..5);
            let obj = g.gen(&Shape::scalar(), depth, Dom::Any);
            if matches!(obj.e, E::Var(_) | E::Num(..) | E::DimSym(_)) {
                attempt += 1;
                continue;
            }
            let style = g.rng.gen();
            let ngdefs = g.defs.len();
            let mut defs = std::mem::take(&mut g.defs);
            let lname = if g.chance(0.7) {
                "L".to_string()
            } else {
                "\\mathcal{L}".to_string()
            };
            defs.push((lname, obj));
            let mut order: Vec<usize> = (0..defs.len()).collect();
            if g.chance(0.2) {
                order[..ngdefs].shuffle(&mut g.rng);
            }
            let mut p = Gen {
                vars: g.vars.clone(),
                defs,
                queries: vec![],
                seed: g.rng.gen_range(1..1_000_000),
                values: vec![],
                order,
                style,
            };
            p.values = p.vars.iter().map(|v| draw(v, &mut g.rng)).collect();
            let used = p.used_vars();
            let mut cands: Vec<usize> = used.into_iter().collect();
            if cands.is_empty() {
                attempt += 1;
                continue;
            }
            cands.shuffle(&mut g.rng);
            // Symmetric variables first: the unconstrained gradient is a known weak spot.
            cands.sort_by_key(|&i| {
                !matches!(p.vars[i].kind, VarKind::Sym | VarKind::Spd) || g.chance(0.5)
            });
            let nq = g.rng.gen_range(1..=3).min(cands.len());
            p.queries = cands[..nq].to_vec();
            p.queries.sort();
            if p.valid() {
                return p;
            }
            attempt += 1;
        }
    }
}

fn draw(v: &Var, rng: &mut ChaCha8Rng) -> M {
    let (r, c) = (v.shape.rows(), v.shape.cols());
    let gen_sign = |rng: &mut ChaCha8Rng| {
        let x: f64 = rng.gen_range(0.3..1.0);
        if rng.gen_bool(0.5) {
            x
        } else {
            -x
        }
    };
    match v.kind {
        VarKind::General => M::from_fn(r, c, |_, _| gen_sign(rng)),
        VarKind::Positive | VarKind::PosScalar => M::from_fn(r, c, |_, _| rng.gen_range(0.5..1.5)),
        VarKind::Sym => {
            let a = M::from_fn(r, c, |_, _| gen_sign(rng));
            (&a + a.transpose()) * 0.5
        }
        VarKind::Spd => {
            let a = M::from_fn(r, c, |_, _| gen_sign(rng));
            (&a * a.transpose()) * (1.0 / r as f64) + M::identity(r, r)
        }
    }
}

// ---------------------------------------------------------------- evaluation

/// Re-implementation of the opaque stand-in's coefficients (ChaCha8 from a
/// FNV-1a hash of the identifier, mixed with the instance seed).
pub fn opaque_coeffs(ident: &str, seed: u64, extra: u64, r: usize, c: usize) -> M {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in ident.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    let s = h ^ seed.rotate_left(17) ^ extra.wrapping_mul(0x9e3779b97f4a7c15);
    let mut rng = ChaCha8Rng::seed_from_u64(s);
    M::from_fn(r, c, |_, _| rng.gen_range(0.5..1.5))
}

fn opaque(ident: &str, seed: u64, v: &M) -> f64 {
    let (r, c) = (v.nrows(), v.ncols());
    let a = opaque_coeffs(ident, seed, 1 + (r * 31 + c) as u64, r, c);
    let b = opaque_coeffs(ident, seed, 2 + (r * 31 + c) as u64, r, c);
    a.component_mul(&v.map(f64::sin)).sum() + 0.5 * b.component_mul(&v.component_mul(v)).sum()
}

/// Evaluation failure: out of domain or not finite.
#[derive(Debug)]
pub struct Bad(pub String);

struct Ev<'a> {
    p: &'a Gen,
    vals: &'a [M],
    memo: Vec<Option<M>>,
    max: f64,
}

fn sc(x: f64) -> M {
    M::from_element(1, 1, x)
}

impl<'a> Ev<'a> {
    fn ev(&mut self, n: &N) -> Result<M, Bad> {
        let v = self.ev_inner(n)?;
        if v.iter().any(|x| !x.is_finite()) {
            return Err(Bad("not finite".into()));
        }
        let m = v.iter().fold(0.0f64, |a, x| a.max(x.abs()));
        self.max = self.max.max(m);
        if v.nrows() != n.s.rows() || v.ncols() != n.s.cols() {
            return Err(Bad(format!("internal shape {:?} vs {:?}", v.shape(), n.s)));
        }
        Ok(v)
    }

    fn ev_inner(&mut self, n: &N) -> Result<M, Bad> {
        Ok(match &n.e {
            E::Var(i) => self.vals[*i].clone(),
            E::Def(i) => {
                if let Some(v) = &self.memo[*i] {
                    return Ok(v.clone());
                }
                let v = self.ev(&self.p.defs[*i].1.clone())?;
                self.memo[*i] = Some(v.clone());
                v
            }
            E::Num(p, q) => sc(*p as f64 / *q as f64),
            E::DimSym(d) => sc(DIMS[*d as usize].1 as f64),
            E::Eye => M::identity(n.s.rows(), n.s.cols()),
            E::Add(a, b) => self.ev(a)? + self.ev(b)?,
            E::Sub(a, b) => self.ev(a)? - self.ev(b)?,
            E::Neg(a) => -self.ev(a)?,
            E::Mul(a, b, _) => {
                let (x, y) = (self.ev(a)?, self.ev(b)?);
                if a.s.is_scalar() {
                    y * x[(0, 0)]
                } else if b.s.is_scalar() {
                    x * y[(0, 0)]
                } else {
                    x * y
                }
            }
            E::BAdd(s, a, minus, sfirst) => {
                let c = self.ev(s)?[(0, 0)];
                let x = self.ev(a)?;
                match (minus, sfirst) {
                    (false, _) => x.map(|v| v + c),
                    (true, true) => x.map(|v| c - v),
                    (true, false) => x.map(|v| v - c),
                }
            }
            E::Had(a, b) => self.ev(a)?.component_mul(&self.ev(b)?),
            E::Kron(a, b) => self.ev(a)?.kronecker(&self.ev(b)?),
            E::Div(a, c, _) => {
                let d = self.ev(c)?[(0, 0)];
                if d.abs() < 1e-3 {
                    return Err(Bad("division by ~0".into()));
                }
                self.ev(a)? / d
            }
            E::T(a, _) => self.ev(a)?.transpose(),
            E::Inv(a) => inv(self.ev(a)?)?,
            E::InvT(a) => inv(self.ev(a)?)?.transpose(),
            E::Pow(a, p, q, _) | E::HadPow(a, p, q) => {
                let x = self.ev(a)?;
                let e = *p as f64 / *q as f64;
                let mut out = x.clone();
                for v in out.iter_mut() {
                    if *q != 1 && *v <= 1e-3 {
                        return Err(Bad("fractional power of non-positive".into()));
                    }
                    if *p < 0 && v.abs() < 1e-2 {
                        return Err(Bad("negative power near 0".into()));
                    }
                    *v = if *q == 1 {
                        v.powi(*p as i32)
                    } else {
                        v.powf(e)
                    };
                }
                out
            }
            E::MatPow(a, k) => {
                let x = self.ev(a)?;
                let base = if *k < 0 { inv(x)? } else { x };
                let mut acc = M::identity(base.nrows(), base.ncols());
                for _ in 0..k.unsigned_abs() {
                    acc = &acc * &base;
                }
                acc
            }
            E::Tr(a, _) => sc(self.ev(a)?.trace()),
            E::Det(a, _) => {
                // a singular argument makes the gradient formula undefined: not a fair problem
                let x = self.ev(a)?;
                well_conditioned(&x)?;
                sc(x.determinant())
            }
            E::LogDet(a, _) => {
                let x = self.ev(a)?;
                well_conditioned(&x)?;
                sc(x.determinant().abs().ln())
            }
            E::Norm(a, sq, _) => {
                let x = self.ev(a)?;
                let n2 = x.norm_squared();
                if *sq {
                    sc(n2)
                } else {
                    if n2 < 1e-4 {
                        return Err(Bad("norm near 0".into()));
                    }
                    sc(n2.sqrt())
                }
            }
            E::Func(f, a) => {
                let x = self.ev(a)?;
                let mut out = x.clone();
                for v in out.iter_mut() {
                    *v = match f {
                        F::Exp | F::EPow => {
                            if *v > 8.0 {
                                return Err(Bad("exp saturates".into()));
                            }
                            v.exp()
                        }
                        F::Log | F::Ln => {
                            if *v <= 1e-3 {
                                return Err(Bad("log of non-positive".into()));
                            }
                            v.ln()
                        }
                        F::Sigma => {
                            if v.abs() > 8.0 {
                                return Err(Bad("sigma saturates".into()));
                            }
                            sigm(*v)
                        }
                        F::Tanh => {
                            if v.abs() > 5.0 {
                                return Err(Bad("tanh saturates".into()));
                            }
                            v.tanh()
                        }
                        F::Sin => v.sin(),
                        F::Cos => v.cos(),
                        F::Sqrt => {
                            if *v <= 1e-3 {
                                return Err(Bad("sqrt of non-positive".into()));
                            }
                            v.sqrt()
                        }
                        F::Relu => {
                            if v.abs() < 0.05 {
                                return Err(Bad("relu near 0".into()));
                            }
                            v.max(0.0)
                        }
                    };
                }
                out
            }
            E::Sum(a) => sc(self.ev(a)?.sum()),
            E::OnesT(a) => sc(self.ev(a)?.sum()),
            E::Diag(a) => M::from_diagonal(&self.ev(a)?.column(0).into_owned()),
            E::DiagPart(a) => {
                let x = self.ev(a)?;
                M::from_fn(x.nrows(), 1, |i, _| x[(i, i)])
            }
            E::Vec(a) => {
                let x = self.ev(a)?;
                // column-major stacking, done by hand
                let mut out = M::zeros(x.len(), 1);
                let mut k = 0;
                for j in 0..x.ncols() {
                    for i in 0..x.nrows() {
                        out[(k, 0)] = x[(i, j)];
                        k += 1;
                    }
                }
                out
            }
            E::Softmax(a) => {
                let x = self.ev(a)?;
                let m = x.max();
                let e = x.map(|v| (v - m).exp());
                let s = e.sum();
                e / s
            }
            E::Lse(a) => {
                let x = self.ev(a)?;
                let m = x.max();
                sc(m + x.map(|v| (v - m).exp()).sum().ln())
            }
            E::User(u, a) => self.ev(a)?.map(|v| user_eval(*u, v)),
            E::Opaque(f, a) => {
                let x = self.ev(a)?;
                sc(opaque(OPAQUE[*f].1, self.p.seed, &x))
            }
        })
    }
}

fn well_conditioned(x: &M) -> Result<(), Bad> {
    let sv = x.clone().singular_values();
    if sv.min() < 1e-2 * sv.max().max(1e-12) || sv.min() < 1e-3 {
        return Err(Bad("ill-conditioned".into()));
    }
    Ok(())
}

fn inv(x: M) -> Result<M, Bad> {
    well_conditioned(&x)?;
    x.try_inverse().ok_or_else(|| Bad("singular".into()))
}

impl Gen {
    /// The objective's value at the given variable values.
    pub fn eval_with(&self, vals: &[M]) -> Result<f64, Bad> {
        self.eval_max(vals).map(|x| x.0)
    }

    fn eval_max(&self, vals: &[M]) -> Result<(f64, f64), Bad> {
        let mut ev = Ev {
            p: self,
            vals,
            memo: vec![None; self.defs.len()],
            max: 0.0,
        };
        let obj = self.defs.last().unwrap().1.clone();
        let v = ev.ev(&obj)?;
        Ok((v[(0, 0)], ev.max))
    }

    pub fn eval(&self) -> Result<f64, Bad> {
        self.eval_with(&self.values)
    }

    /// In domain, finite, moderate, and every definition is reachable.
    pub fn valid(&self) -> bool {
        match self.eval_max(&self.values) {
            Ok((v, mx)) => v.is_finite() && v.abs() < 1e5 && mx < 1e4,
            Err(_) => false,
        }
    }

    /// Central differences with Richardson extrapolation, entry-wise, of the
    /// objective in variable `vi` (every entry on its own, also for symmetric
    /// matrices), at base step `h`.
    pub fn fd_gradient(&self, vi: usize, h: f64) -> Result<M, Bad> {
        let base = &self.values[vi];
        let mut g = M::zeros(base.nrows(), base.ncols());
        let mut vals = self.values.clone();
        for i in 0..base.nrows() {
            for j in 0..base.ncols() {
                let x0 = base[(i, j)];
                let step = h * x0.abs().max(1.0);
                let mut d = |hh: f64| -> Result<f64, Bad> {
                    vals[vi][(i, j)] = x0 + hh;
                    let fp = self.eval_with(&vals)?;
                    vals[vi][(i, j)] = x0 - hh;
                    let fm = self.eval_with(&vals)?;
                    vals[vi][(i, j)] = x0;
                    Ok((fp - fm) / (2.0 * hh))
                };
                let d1 = d(step)?;
                let d2 = d(step / 2.0)?;
                g[(i, j)] = (4.0 * d2 - d1) / 3.0;
            }
        }
        Ok(g)
    }

    /// Variables that occur in the objective (through definitions).
    pub fn used_vars(&self) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        let mut seen_defs = BTreeSet::new();
        let mut stack = vec![self.defs.len() - 1];
        while let Some(d) = stack.pop() {
            if !seen_defs.insert(d) {
                continue;
            }
            walk(&self.defs[d].1, &mut |n| match &n.e {
                E::Var(i) => {
                    out.insert(*i);
                }
                E::Def(i) => stack.push(*i),
                _ => {}
            });
        }
        out
    }

    fn used_defs(&self) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![self.defs.len() - 1];
        while let Some(d) = stack.pop() {
            if !seen.insert(d) {
                continue;
            }
            walk(&self.defs[d].1, &mut |n| {
                if let E::Def(i) = &n.e {
                    stack.push(*i)
                }
            });
        }
        seen
    }

    /// Features (operators, functions, spellings) the problem uses.
    pub fn features(&self) -> BTreeSet<&'static str> {
        let mut f = BTreeSet::new();
        let used = self.used_defs();
        for &d in &used {
            walk(&self.defs[d].1, &mut |n| {
                feature(n, &self.vars, &mut f);
            });
        }
        if used.len() > 1 {
            f.insert("definition");
        }
        for &v in &self.used_vars() {
            match self.vars[v].kind {
                VarKind::Sym => f.insert("decl S^n"),
                VarKind::Spd => f.insert("decl S_++^n"),
                VarKind::PosScalar => f.insert("decl R_+"),
                _ => false,
            };
        }
        for &q in &self.queries {
            if matches!(self.vars[q].kind, VarKind::Sym | VarKind::Spd) {
                f.insert("grad wrt symmetric");
            }
        }
        if self.queries.len() > 1 {
            f.insert("several queries");
        }
        f
    }

    // ------------------------------------------------------------ printing

    /// The LaTeX problem document.
    pub fn latex(&self) -> String {
        let mut out = String::new();
        let used = self.used_vars();
        let used_defs = self.used_defs();
        // declarations
        let dims_used: BTreeSet<u8> = used
            .iter()
            .flat_map(|&i| {
                self.vars[i]
                    .shape
                    .r
                    .iter()
                    .chain(self.vars[i].shape.c.iter())
                    .copied()
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut scalars_r = Vec::new();
        for &i in &used {
            let v = &self.vars[i];
            let dm = |d: &Dim| DIMS[d[0] as usize].0;
            let line = match v.kind {
                VarKind::PosScalar => format!("{} \\in \\mathbb{{R}}_{{+}}", v.latex),
                VarKind::Sym => format!("{} \\in \\mathbb{{S}}^{{{}}}", v.latex, dm(&v.shape.r)),
                VarKind::Spd => format!(
                    "{} \\in \\mathbb{{S}}_{{++}}^{{{}}}",
                    v.latex,
                    dm(&v.shape.r)
                ),
                _ if v.shape.is_scalar() => {
                    scalars_r.push(v.latex.clone());
                    continue;
                }
                _ if v.shape.c.is_empty() => {
                    format!("{} \\in \\mathbb{{R}}^{{{}}}", v.latex, dm(&v.shape.r))
                }
                _ => format!(
                    "{} \\in \\mathbb{{R}}^{{{} \\times {}}}",
                    v.latex,
                    dm(&v.shape.r),
                    dm(&v.shape.c)
                ),
            };
            out.push_str(&line);
            out.push('\n');
        }
        if !scalars_r.is_empty() {
            out.push_str(&format!("{} \\in \\mathbb{{R}}\n", scalars_r.join(", ")));
        }
        // A dimension used as a scalar must be declared somewhere: dummy declaration if needed.
        let mut dim_scalars = BTreeSet::new();
        for &d in &used_defs {
            walk(&self.defs[d].1, &mut |n| {
                if let E::DimSym(k) = n.e {
                    dim_scalars.insert(k);
                }
            });
        }
        for k in dim_scalars {
            if !dims_used.contains(&k) {
                // carried by an otherwise unused vector
                out.push_str(&format!(
                    "o_{{{}}} \\in \\mathbb{{R}}^{{{}}}\n",
                    DIMS[k as usize].0, DIMS[k as usize].0
                ));
            }
        }
        // user functions
        let mut users = BTreeSet::new();
        for &d in &used_defs {
            walk(&self.defs[d].1, &mut |n| {
                if let E::User(u, _) = n.e {
                    users.insert(u);
                }
            });
        }
        for u in users {
            out.push_str(&format!("\\mathrm{{{}}}(k) = {}\n", USER[u].0, USER[u].1));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.style);
        for &d in &self.order {
            if !used_defs.contains(&d) {
                continue;
            }
            let (name, n) = &self.defs[d];
            let body = Printer {
                p: self,
                rng: &mut rng,
            }
            .top(n);
            out.push_str(&format!("{name} = {body}\n"));
        }
        let lname = &self.defs.last().unwrap().0;
        let qs: Vec<String> = self
            .queries
            .iter()
            .map(|&q| {
                let v = &self.vars[q].latex;
                match rng.gen_range(0..4) {
                    0 => format!("\\frac{{\\partial {lname}}}{{\\partial {v}}}"),
                    1 if !v.contains('{') && !v.contains('_') => format!("\\nabla_{v} {lname}"),
                    _ => format!("\\nabla_{{{v}}} {lname}"),
                }
            })
            .collect();
        out.push_str(&qs.join(", "));
        out.push('\n');
        out
    }

    /// Sizes of the dimension symbols.
    pub fn sizes(&self) -> BTreeMap<String, usize> {
        DIMS.iter().map(|(n, s)| (n.to_string(), *s)).collect()
    }

    /// Values by identifier (variables, and dimension symbols used as scalars).
    pub fn values_by_ident(&self) -> BTreeMap<String, M> {
        let mut m: BTreeMap<String, M> = BTreeMap::new();
        for (v, x) in self.vars.iter().zip(&self.values) {
            m.insert(v.ident.clone(), x.clone());
        }
        for (n, s) in DIMS {
            m.entry(n.to_string()).or_insert_with(|| sc(s as f64));
        }
        for (n, s) in DIMS {
            m.insert(format!("o_{n}"), M::from_element(s, 1, 0.7));
        }
        m
    }

    /// A short one-line summary for logs.
    pub fn summary(&self) -> String {
        format!(
            "{} vars, {} defs, {} queries",
            self.vars.len(),
            self.defs.len(),
            self.queries.len()
        )
    }

    // ------------------------------------------------------------ shrinking

    /// Smaller variants: a node replaced by a same-shaped child, a definition
    /// inlined, a query dropped. Only valid ones (in domain) are returned.
    pub fn shrink_candidates(&self) -> Vec<Gen> {
        let mut out = Vec::new();
        if self.queries.len() > 1 {
            for k in 0..self.queries.len() {
                let mut g = self.clone();
                g.queries.remove(k);
                out.push(g);
            }
        }
        for d in 0..self.defs.len() {
            let count = count_nodes(&self.defs[d].1);
            for pos in 0..count {
                let node = nth(&self.defs[d].1, pos).clone();
                let mut repl: Vec<N> = Vec::new();
                children(&node, &mut |c| {
                    // a child with `I` in it may leave the size of `I` undetermined
                    let mut has_eye = false;
                    walk(c, &mut |x| has_eye |= matches!(x.e, E::Eye));
                    if c.s == node.s && !has_eye {
                        repl.push(c.clone());
                    }
                });
                if let E::Def(i) = node.e {
                    repl.push(self.defs[i].1.clone());
                }
                for r in repl {
                    let mut g = self.clone();
                    replace_nth(&mut g.defs[d].1, pos, r);
                    out.push(g);
                }
            }
        }
        for g in &mut out {
            let used = g.used_vars();
            g.queries.retain(|q| used.contains(q));
        }
        out.retain(|g| {
            !g.queries.is_empty()
                && g.valid()
                && !matches!(
                    g.defs.last().unwrap().1.e,
                    E::Var(_) | E::Num(..) | E::DimSym(_)
                )
        });
        out
    }

    pub fn size_measure(&self) -> usize {
        let used = self.used_defs();
        used.iter()
            .map(|&d| count_nodes(&self.defs[d].1))
            .sum::<usize>()
            + self.queries.len()
    }
}

/// Calls `$f` on each child of `$e` (an `&E` or `&mut E`): one list of
/// arms for the shared and the mutable walk.
macro_rules! each_child {
    ($e:expr, $f:ident) => {
        match $e {
            E::Var(_) | E::Def(_) | E::Num(..) | E::DimSym(_) | E::Eye => {}
            E::Add(a, b)
            | E::Sub(a, b)
            | E::Mul(a, b, _)
            | E::BAdd(a, b, _, _)
            | E::Had(a, b)
            | E::Kron(a, b)
            | E::Div(a, b, _) => {
                $f(a);
                $f(b)
            }
            E::Neg(a)
            | E::T(a, _)
            | E::Inv(a)
            | E::InvT(a)
            | E::Pow(a, ..)
            | E::HadPow(a, ..)
            | E::MatPow(a, _)
            | E::Tr(a, _)
            | E::Det(a, _)
            | E::LogDet(a, _)
            | E::Norm(a, ..)
            | E::Func(_, a)
            | E::Sum(a)
            | E::OnesT(a)
            | E::Diag(a)
            | E::DiagPart(a)
            | E::Vec(a)
            | E::Softmax(a)
            | E::Lse(a)
            | E::User(_, a)
            | E::Opaque(_, a) => $f(a),
        }
    };
}

fn children(n: &N, f: &mut dyn FnMut(&N)) {
    each_child!(&n.e, f)
}

fn children_mut(n: &mut N, f: &mut dyn FnMut(&mut N)) {
    each_child!(&mut n.e, f)
}

fn walk(n: &N, f: &mut dyn FnMut(&N)) {
    f(n);
    children(n, &mut |c| walk(c, f));
}

fn count_nodes(n: &N) -> usize {
    let mut k = 0;
    walk(n, &mut |_| k += 1);
    k
}

fn nth(n: &N, pos: usize) -> &N {
    fn go<'a>(n: &'a N, pos: &mut usize, out: &mut Option<&'a N>) {
        if out.is_some() {
            return;
        }
        if *pos == 0 {
            *out = Some(n);
            return;
        }
        *pos -= 1;
        let mut kids: Vec<&'a N> = Vec::new();
        let mut push = |c: &'a N| kids.push(c);
        each_child!(&n.e, push);
        for k in kids {
            go(k, pos, out);
        }
    }
    let mut p = pos;
    let mut out = None;
    go(n, &mut p, &mut out);
    out.expect("position in range")
}

fn replace_nth(n: &mut N, pos: usize, r: N) {
    fn go(n: &mut N, pos: &mut isize, r: &mut Option<N>) {
        if r.is_none() {
            return;
        }
        if *pos == 0 {
            *n = r.take().unwrap();
            *pos -= 1;
            return;
        }
        *pos -= 1;
        children_mut(n, &mut |c| go(c, pos, r));
    }
    let mut p = pos as isize;
    let mut rr = Some(r);
    go(n, &mut p, &mut rr);
}

fn feature(n: &N, vars: &[Var], f: &mut BTreeSet<&'static str>) {
    let t = match &n.e {
        E::Var(_) | E::Def(_) => return,
        E::Num(_, q) => {
            if *q != 1 {
                "number fraction"
            } else {
                "number"
            }
        }
        E::DimSym(_) => "dimension as scalar",
        E::Eye => "I",
        E::Add(..) => "+",
        E::Sub(..) => "-",
        E::Neg(_) => "negation",
        E::Mul(a, b, sp) => {
            if a.s.is_scalar() && b.s.is_scalar() && !matches!(a.e, E::Num(..)) {
                f.insert("scalar*scalar");
            }
            if !n.s.is_scalar() && (a.s.is_scalar() || b.s.is_scalar()) {
                let other = if a.s.is_scalar() { a } else { b };
                if matches!(other.e, E::Mul(..)) {
                    f.insert("inner product as factor");
                } else {
                    f.insert("scaling");
                }
            } else if n.s.is_scalar() && !a.s.is_scalar() {
                f.insert("inner product");
            } else if !a.s.is_scalar() {
                f.insert("matrix product");
            }
            match sp {
                1 => "\\cdot",
                2 => "*",
                _ => "juxtaposition",
            }
        }
        E::BAdd(..) => "broadcast scalar +",
        E::Had(..) => "\\odot",
        E::Kron(..) => "\\otimes",
        E::Div(_, _, fr) => {
            if *fr {
                "\\frac{A}{c}"
            } else {
                "A / c"
            }
        }
        E::T(a, sp) => {
            if let E::Var(i) = a.e {
                if matches!(vars[i].kind, VarKind::Sym | VarKind::Spd) {
                    f.insert("transpose of symmetric");
                }
            }
            if is_app(a) {
                f.insert("postfix on application");
            }
            match sp {
                0 => "^T",
                1 => "^{T}",
                2 => "^\\top",
                _ => "'",
            }
        }
        E::Inv(_) => "^{-1}",
        E::InvT(_) => "^{-T}",
        E::Pow(a, p, q, sq) => {
            if is_app(a) {
                f.insert("postfix on application");
            }
            if *sq {
                "\\sqrt{t}"
            } else if *q != 1 {
                "t^{p/q}"
            } else if *p < 0 {
                "t^{-k}"
            } else {
                "t^k"
            }
        }
        E::HadPow(_, _, q) => {
            if *q != 1 {
                "x^{\\odot p/q}"
            } else {
                "x^{\\odot k}"
            }
        }
        E::MatPow(_, k) => {
            if *k < 0 {
                "X^{-k}"
            } else {
                "X^k"
            }
        }
        E::Tr(..) => "\\mathrm{tr}",
        E::Det(_, sp) => {
            if *sp == 2 {
                "|A|"
            } else {
                "\\det"
            }
        }
        E::LogDet(_, sp) => match sp {
            0 => "\\log|A|",
            1 => "\\log\\det(A)",
            2 => "\\ln|A|",
            _ => "\\log \\det A",
        },
        E::Norm(a, sq, _) => match (a.s.c.is_empty(), sq) {
            (true, false) => "\\|x\\|",
            (true, true) => "\\|x\\|^2",
            (false, false) => "\\|A\\|_F",
            (false, true) => "\\|A\\|_F^2",
        },
        E::Func(fu, _) => match fu {
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
        },
        E::Sum(_) => "\\mathrm{sum}",
        E::OnesT(_) => "\\mathbf{1}^T x",
        E::Diag(_) => "\\mathrm{diag}(x)",
        E::DiagPart(_) => "\\mathrm{diag}(A)",
        E::Vec(_) => "\\mathrm{vec}",
        E::Softmax(_) => "\\mathrm{softmax}",
        E::Lse(_) => "\\mathrm{logsumexp}",
        E::User(..) => "user function",
        E::Opaque(..) => "opaque \\ell",
    };
    f.insert(t);
}

fn is_app(n: &N) -> bool {
    matches!(
        n.e,
        E::Func(..)
            | E::User(..)
            | E::Opaque(..)
            | E::LogDet(..)
            | E::Tr(..)
            | E::Det(..)
            | E::Sum(_)
            | E::Lse(_)
            | E::Softmax(_)
    )
}

// ---------------------------------------------------------------- printer

const SUM: u8 = 0;
const HAD: u8 = 1;
const PROD: u8 = 2;
const NEG: u8 = 3;
const POST: u8 = 4;
const ATOM: u8 = 5;

struct Printer<'a, 'r> {
    p: &'a Gen,
    rng: &'r mut ChaCha8Rng,
}

impl<'a, 'r> Printer<'a, 'r> {
    fn top(&mut self, n: &N) -> String {
        self.pr(n).0
    }

    fn paren(&mut self, s: String) -> String {
        match self.rng.gen_range(0..8) {
            0 => format!("\\left( {s} \\right)"),
            1 => format!("[{s}]"),
            _ => format!("({s})"),
        }
    }

    /// A child printed so that it binds at least as tightly as `min`;
    /// sometimes with redundant parentheses anyway.
    fn child(&mut self, n: &N, min: u8) -> String {
        let (s, p) = self.pr(n);
        if p < min || (p < ATOM && self.rng.gen_bool(0.1)) || (p == ATOM && self.rng.gen_bool(0.05))
        {
            self.paren(s)
        } else {
            s
        }
    }

    fn right(&mut self, n: &N, min: u8) -> String {
        let s = self.child(n, min);
        if s.starts_with('-') {
            self.paren(s)
        } else {
            s
        }
    }

    fn arg(&mut self, n: &N) -> String {
        let s = self.pr(n).0;
        if self.rng.gen_bool(0.15) {
            format!("\\left({s}\\right)")
        } else {
            format!("({s})")
        }
    }

    fn pr(&mut self, n: &N) -> (String, u8) {
        let p = self.p;
        match &n.e {
            E::Var(i) => (p.vars[*i].latex.clone(), ATOM),
            E::Def(i) => (p.defs[*i].0.clone(), ATOM),
            E::Num(a, b) => {
                if *b == 1 {
                    (format!("{a}"), ATOM)
                } else if *a == 1 && *b == 2 && self.rng.gen_bool(0.3) {
                    ("0.5".into(), ATOM)
                } else if self.rng.gen_bool(0.2) {
                    (format!("\\frac{a}{b}"), ATOM)
                } else {
                    (format!("\\frac{{{a}}}{{{b}}}"), ATOM)
                }
            }
            E::DimSym(d) => (DIMS[*d as usize].0.to_string(), ATOM),
            E::Eye => ("I".into(), ATOM),
            E::Add(a, b) => {
                let l = self.child(a, SUM);
                let r = self.right(b, HAD);
                (format!("{l} + {r}"), SUM)
            }
            E::Sub(a, b) => {
                let l = self.child(a, SUM);
                let r = self.right(b, HAD);
                (format!("{l} - {r}"), SUM)
            }
            E::Neg(a) => {
                let s = self.right(a, POST);
                (format!("-{s}"), NEG)
            }
            E::Mul(a, b, sp) => {
                // A scalar-valued product used as a factor of a non-scalar is parenthesized.
                let l = if matches!(a.e, E::Div(_, _, false))
                    || (a.s.is_scalar()
                        && !n.s.is_scalar()
                        && matches!(a.e, E::Mul(..) | E::OnesT(_)))
                {
                    let s = self.pr(a).0;
                    self.paren(s)
                } else {
                    self.child(a, PROD)
                };
                let r = self.right(b, POST);
                let op = match sp {
                    1 => " \\cdot ",
                    2 => " * ",
                    _ => {
                        if r.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
                            " \\cdot "
                        } else {
                            " "
                        }
                    }
                };
                (format!("{l}{op}{r}"), PROD)
            }
            E::BAdd(s, a, minus, sfirst) => {
                let op = if *minus { "-" } else { "+" };
                if *sfirst {
                    let l = self.child(s, SUM);
                    let r = self.right(a, HAD);
                    (format!("{l} {op} {r}"), SUM)
                } else {
                    let l = self.child(a, SUM);
                    let r = self.right(s, HAD);
                    (format!("{l} {op} {r}"), SUM)
                }
            }
            E::Had(a, b) => {
                let l = self.child(a, HAD);
                let r = self.right(b, PROD);
                let op = if self.rng.gen_bool(0.8) {
                    "\\odot"
                } else {
                    "\\circ"
                };
                (format!("{l} {op} {r}"), HAD)
            }
            E::Kron(a, b) => {
                let l = self.child(a, HAD);
                let r = self.right(b, PROD);
                (format!("{l} \\otimes {r}"), HAD)
            }
            E::Div(a, c, frac) => {
                if *frac {
                    let x = self.pr(a).0;
                    let y = self.pr(c).0;
                    (format!("\\frac{{{x}}}{{{y}}}"), ATOM)
                } else {
                    let x = self.child(a, POST);
                    let y = self.right(c, POST);
                    (format!("{x} / {y}"), PROD)
                }
            }
            E::T(a, sp) => {
                let b = self.child(a, ATOM);
                let t = match sp {
                    0 => "^T",
                    1 => "^{T}",
                    2 => "^\\top",
                    _ => "'",
                };
                (format!("{b}{t}"), POST)
            }
            E::Inv(a) => (format!("{}^{{-1}}", self.child(a, ATOM)), POST),
            E::InvT(a) => (format!("{}^{{-T}}", self.child(a, ATOM)), POST),
            E::Pow(a, pp, q, sq) => {
                if *sq {
                    let x = self.pr(a).0;
                    return (format!("\\sqrt{{{x}}}"), ATOM);
                }
                let b = self.child(a, ATOM);
                let e = if *q != 1 {
                    format!("{{{pp}/{q}}}")
                } else if *pp >= 0 && *pp < 10 && self.rng.gen_bool(0.6) {
                    format!("{pp}")
                } else {
                    format!("{{{pp}}}")
                };
                (format!("{b}^{e}"), POST)
            }
            E::HadPow(a, pp, q) => {
                let b = self.child(a, ATOM);
                let e = if *q != 1 {
                    format!("{pp}/{q}")
                } else {
                    format!("{pp}")
                };
                (format!("{b}^{{\\odot {e}}}"), POST)
            }
            E::MatPow(a, k) => {
                let b = self.child(a, ATOM);
                let e = if *k > 0 && self.rng.gen_bool(0.5) {
                    format!("{k}")
                } else {
                    format!("{{{k}}}")
                };
                (format!("{b}^{e}"), POST)
            }
            E::Tr(a, sp) => {
                let name = [
                    "\\mathrm{tr}",
                    "\\operatorname{tr}",
                    "\\mathrm{Tr}",
                    "\\tr",
                    "\\text{tr}",
                ][*sp as usize];
                if matches!(a.e, E::Var(_) | E::Def(_)) && self.rng.gen_bool(0.3) {
                    // `\mathrm{tr}\,A` is parenthesized inside products (`\mathrm{tr}\,A B` is ambiguous).
                    return (format!("\\mathrm{{tr}}\\,{}", self.pr(a).0), HAD);
                }
                (format!("{name}{}", self.arg(a)), ATOM)
            }
            E::Det(a, sp) => {
                let inner = self.pr(a).0;
                match sp {
                    2 if !inner.contains('|') => (format!("|{inner}|"), ATOM),
                    1 if matches!(a.e, E::Var(_) | E::Def(_)) => (format!("\\det {inner}"), HAD),
                    _ => (format!("\\det({inner})"), ATOM),
                }
            }
            E::LogDet(a, sp) => {
                let inner = self.pr(a).0;
                let bar = !inner.contains('|');
                match sp {
                    0 if bar => (format!("\\log|{inner}|"), ATOM),
                    2 if bar => (format!("\\ln|{inner}|"), ATOM),
                    3 if matches!(a.e, E::Var(_) | E::Def(_)) => {
                        (format!("\\log \\det {inner}"), HAD)
                    }
                    _ => (format!("\\log\\det({inner})"), ATOM),
                }
            }
            E::Norm(a, sq, sp) => {
                let inner = self.pr(a).0;
                let vector = a.s.c.is_empty() || a.s.r.is_empty();
                let (l, r) = if inner.contains('|') || *sp == 2 {
                    ("\\lVert ", " \\rVert")
                } else {
                    ("\\|", "\\|")
                };
                let sub = if !vector {
                    "_F"
                } else if *sp == 1 {
                    "_2"
                } else {
                    ""
                };
                if *sq {
                    (format!("{l}{inner}{r}{sub}^2"), POST)
                } else {
                    (format!("{l}{inner}{r}{sub}"), ATOM)
                }
            }
            E::Func(f, a) => match f {
                F::EPow => {
                    let x = self.pr(a).0;
                    (format!("e^{{{x}}}"), POST)
                }
                F::Sqrt => {
                    let x = self.pr(a).0;
                    (format!("\\sqrt{{{x}}}"), ATOM)
                }
                _ => {
                    let name = match f {
                        F::Exp => "\\exp",
                        F::Log => "\\log",
                        F::Ln => "\\ln",
                        F::Sigma => "\\sigma",
                        F::Tanh => "\\tanh",
                        F::Sin => "\\sin",
                        F::Cos => "\\cos",
                        _ => {
                            if self.rng.gen_bool(0.7) {
                                "\\mathrm{relu}"
                            } else {
                                "\\mathrm{ReLU}"
                            }
                        }
                    };
                    (format!("{name}{}", self.arg(a)), ATOM)
                }
            },
            E::Sum(a) => (format!("\\mathrm{{sum}}{}", self.arg(a)), ATOM),
            E::OnesT(a) => {
                let r = self.right(a, POST);
                let one = if self.rng.gen_bool(0.8) {
                    "\\mathbf{1}"
                } else {
                    "\\mathbb{1}"
                };
                (format!("{one}^T {r}"), PROD)
            }
            E::Diag(a) | E::DiagPart(a) => (format!("\\mathrm{{diag}}{}", self.arg(a)), ATOM),
            E::Vec(a) => (format!("\\mathrm{{vec}}{}", self.arg(a)), ATOM),
            E::Softmax(a) => (format!("\\mathrm{{softmax}}{}", self.arg(a)), ATOM),
            E::Lse(a) => (format!("\\mathrm{{logsumexp}}{}", self.arg(a)), ATOM),
            E::User(u, a) => (format!("\\mathrm{{{}}}{}", USER[*u].0, self.arg(a)), ATOM),
            E::Opaque(f, a) => (format!("{}({})", OPAQUE[*f].0, self.pr(a).0), ATOM),
        }
    }
}

//! Seeded random instances: a size for every dimension symbol and a value for
//! every free input, respecting declared structure (symmetric, positive
//! definite, positive) and, on retry, positivity for `\log` and `\sqrt`.

use crate::core::shape::{Dim, Shape};
use crate::ir::Graph;
use crate::syntax::ast::Name;
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, HashMap};

/// A numeric instance of a document.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Size of each dimension symbol.
    pub sizes: BTreeMap<String, usize>,
    /// Value of each free input.
    pub values: BTreeMap<Name, DMatrix<f64>>,
    /// Values of upstream-gradient atoms that are inputs, keyed by (of, arg node).
    pub upstream: BTreeMap<(Name, usize), DMatrix<f64>>,
    /// The seed the instance came from (for opaque stand-ins).
    pub seed: u64,
}

/// How values are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Standard normal entries.
    General,
    /// Entries in [0.5, 1.5] (for `\log`, `\sqrt`, fractional powers).
    Positive,
}

/// Small sizes that keep finite differences cheap, distinct where possible
/// so that a transposition error shows.
const SIZES: [usize; 4] = [3, 2, 4, 5];

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box–Muller: rand's distributions crate is not needed for one normal.
    let u1: f64 = rng.gen_range(1e-12..1.0);
    let u2: f64 = rng.gen_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Resolve a dimension to a size.
pub fn size_of(d: &Dim, sizes: &BTreeMap<String, usize>) -> usize {
    match d {
        Dim::One => 1,
        Dim::Num(n) => usize::try_from(*n).unwrap_or(usize::MAX),
        Dim::Sym(s) => sizes.get(s).copied().unwrap_or(3),
        Dim::Mul(a, b) => size_of(a, sizes).saturating_mul(size_of(b, sizes)),
    }
}

/// Rows and columns of a shape.
pub fn dims_of(s: &Shape, sizes: &BTreeMap<String, usize>) -> (usize, usize) {
    (size_of(&s.rows, sizes), size_of(&s.cols, sizes))
}

fn collect_syms(d: &Dim, out: &mut Vec<String>) {
    match d {
        Dim::Sym(s) if !out.contains(s) => out.push(s.clone()),
        Dim::Mul(a, b) => {
            collect_syms(a, out);
            collect_syms(b, out);
        }
        _ => {}
    }
}

impl Instance {
    /// Draw an instance for `g` from `seed` in `mode`.
    pub fn sample(g: &Graph, seed: u64, mode: Mode) -> Instance {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut syms = Vec::new();
        for v in g.vars.values() {
            collect_syms(&v.shape.rows, &mut syms);
            collect_syms(&v.shape.cols, &mut syms);
        }
        for i in 0..g.len() {
            let s = g.shape(i);
            collect_syms(&s.rows, &mut syms);
            collect_syms(&s.cols, &mut syms);
        }
        syms.sort();
        let mut sizes = BTreeMap::new();
        let offset = rng.gen_range(0..SIZES.len());
        for (i, s) in syms.iter().enumerate() {
            sizes.insert(s.clone(), SIZES[(i + offset) % SIZES.len()]);
        }
        let mut values = BTreeMap::new();
        for (name, info) in &g.vars {
            let (r, c) = dims_of(&info.shape, &sizes);
            if r.saturating_mul(c) > crate::core::limits::current().entries {
                // Too large to sample: evaluation reports the limit by name.
                continue;
            }
            let v = if info.is_dim {
                let n = sizes.get(&name.ident()).copied().unwrap_or(3);
                DMatrix::from_element(1, 1, n as f64)
            } else if info.shape.is_scalar() {
                DMatrix::from_element(1, 1, rng.gen_range(0.5..1.5))
            } else if info.simplex {
                // A probability vector: positive entries summing to one.
                let a = DMatrix::from_fn(r, c, |_, _| rng.gen_range(0.5..1.5));
                let total = a.sum();
                a / total
            } else if info.spd {
                let a = DMatrix::from_fn(r, c, |_, _| normal(&mut rng));
                &a * a.transpose() + DMatrix::identity(r, r) * (r as f64)
            } else if info.symmetric {
                let a = DMatrix::from_fn(r, c, |_, _| normal(&mut rng));
                let s = (&a + a.transpose()) * 0.5;
                if mode == Mode::Positive {
                    s.map(|x| x.abs() + 0.5) + DMatrix::identity(r, r) * (r as f64)
                } else {
                    s + DMatrix::identity(r, r) * 2.0
                }
            } else {
                let mut a = match mode {
                    Mode::General => DMatrix::from_fn(r, c, |_, _| normal(&mut rng)),
                    Mode::Positive => DMatrix::from_fn(r, c, |_, _| rng.gen_range(0.5..1.5)),
                };
                if r == c && r > 1 {
                    // Keep square inputs comfortably invertible.
                    a += DMatrix::identity(r, r) * (r as f64);
                }
                a
            };
            values.insert(name.clone(), v);
        }
        Instance {
            sizes,
            values,
            upstream: BTreeMap::new(),
            seed,
        }
    }

    /// A stable per-name seed for opaque stand-ins and upstream inputs.
    pub fn sub_seed(&self, name: &Name, extra: u64) -> u64 {
        let mut h: u64 = 0xcbf29ce484222325;
        for b in name.ident().bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
        h ^ self.seed.rotate_left(17) ^ extra.wrapping_mul(0x9e3779b97f4a7c15)
    }

    /// The value of an upstream-gradient atom `\frac{\partial of}{\partial arg}`
    /// that is an input (no opaque function defines it).
    pub fn upstream_value(&self, of: &Name, arg: &Name, r: usize, c: usize) -> DMatrix<f64> {
        let mut h: u64 = 7;
        for b in arg.ident().bytes() {
            h = h.wrapping_mul(31).wrapping_add(b as u64);
        }
        self.coeffs(of, h, r, c).map(|x| x - 1.0)
    }

    /// Deterministic pseudo-random coefficients of `shape`.
    pub fn coeffs(&self, name: &Name, extra: u64, r: usize, c: usize) -> DMatrix<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.sub_seed(name, extra));
        DMatrix::from_fn(r, c, |_, _| rng.gen_range(0.5..1.5))
    }
}

/// Overrides of node values (finite differences in a defined name).
pub type Overrides = HashMap<usize, DMatrix<f64>>;

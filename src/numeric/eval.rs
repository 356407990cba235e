//! Evaluation of graph nodes on an instance.

use super::instance::{dims_of, size_of, Instance, Overrides};
use crate::core::diagnostic::{Diagnostic, ErrorKind, Result};
use crate::core::op::Func;
use crate::core::op::Op;
use crate::core::shape::Q;
use crate::ir::{Graph, Id};
use nalgebra::DMatrix;
use num_traits::ToPrimitive;
use std::collections::HashMap;

/// Floating-point operations of one evaluation beyond which a check uses
/// one instance and one random direction.
pub const HEAVY_WORK: f64 = 1e8;

/// Floating-point operations of one evaluation beyond which numbers are
/// refused with a named limit (`work` in `core::limits`).
pub fn max_work() -> f64 {
    crate::core::limits::current().work
}

/// The limit error for a value of `r` × `c` entries (`entries` in
/// `core::limits`).
pub fn too_many_entries(r: usize, c: usize) -> Diagnostic {
    crate::core::limits::hit(
        "entries",
        format!(
            "a value of {r} × {c} entries exceeds the evaluation limit of {} entries",
            crate::core::limits::current().entries
        ),
    )
}

/// An estimate of the floating-point operations of evaluating `root` on an
/// instance with `sizes` (products r·k·c, factorisations n³, the rest one
/// per entry).
pub fn work(g: &Graph, sizes: &std::collections::BTreeMap<String, usize>, root: Id) -> f64 {
    let size = |id: Id| {
        let (r, c) = dims_of(g.shape(id), sizes);
        (r as f64, c as f64)
    };
    g.postorder(root)
        .into_iter()
        .map(|id| {
            let (r, c) = size(id);
            match g.op(id) {
                Op::Mul => {
                    let (_, k) = size(g.kids(id)[0]);
                    r * c * k.max(1.0)
                }
                Op::Inv | Op::Det | Op::LogDet => {
                    let (n, _) = size(g.kids(id)[0]);
                    n * n * n
                }
                Op::MatPow(k) => f64::from(*k) * r * r * r,
                _ => r * c,
            }
        })
        .sum()
}

/// The limit error for a declared variable with more entries than the
/// `entries` limit (sampling skips it).
pub fn too_large_to_sample(n: &crate::core::name::Name) -> Diagnostic {
    crate::core::limits::hit(
        "entries",
        format!(
            "`{}` has more entries than the evaluation limit of {} entries",
            n.latex(),
            crate::core::limits::current().entries
        ),
    )
}

/// The limit error for evaluations beyond [`max_work`].
pub fn too_much_work(w: f64) -> Diagnostic {
    crate::core::limits::hit(
        "work",
        format!(
            "numeric evaluation would take about {w:.1e} floating-point operations, over the limit of {:.0e}",
            max_work()
        ),
    )
}

/// Beyond this magnitude a sine or cosine has lost the digits a comparison
/// needs: an argument computed through a few products carries a relative
/// error near 1e-13, so at 1e5 the value is good to about 1e-8 and at 1e8
/// (a determinant of a 5×5 product) to about 1e-5, which two evaluators of
/// the same expression then disagree by. No value to judge by.
pub const MAX_TRIG_ARG: f64 = 1e5;
/// Why such an instance is passed over.
pub const TRIG_PRECISION: &str =
    "a sine or cosine of a number beyond 1e5 has no accurate value to compare (its argument's rounding error is amplified by the period)";

/// A value: every scalar is a 1×1 matrix.
pub type M = DMatrix<f64>;

fn domain(msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(ErrorKind::Domain, msg)
}

/// Float value of a rational.
pub fn qf(q: &Q) -> f64 {
    q.to_f64().unwrap_or(f64::NAN)
}

/// The opaque stand-in: ℓ(v) = Σ a∘sin(v) + ½ b∘v∘v, with a, b fixed per name.
pub fn opaque_value(inst: &Instance, f: &crate::syntax::ast::Name, v: &M) -> (f64, M) {
    let (r, c) = (v.nrows(), v.ncols());
    let a = inst.coeffs(f, 1 + (r * 31 + c) as u64, r, c);
    let b = inst.coeffs(f, 2 + (r * 31 + c) as u64, r, c);
    let val =
        a.component_mul(&v.map(f64::sin)).sum() + 0.5 * b.component_mul(&v.component_mul(v)).sum();
    let grad = a.component_mul(&v.map(f64::cos)) + b.component_mul(v);
    (val, grad)
}

/// Evaluates nodes with memoisation.
pub struct Evaluator<'a> {
    g: &'a Graph,
    inst: &'a Instance,
    memo: HashMap<Id, M>,
    max_entries: usize,
}

impl<'a> Evaluator<'a> {
    /// An evaluator over `g` on `inst`, with node values overridden.
    pub fn new(g: &'a Graph, inst: &'a Instance, overrides: &Overrides) -> Self {
        Evaluator {
            g,
            inst,
            memo: overrides.clone(),
            max_entries: crate::core::limits::current().entries,
        }
    }

    fn scalar(m: &M) -> f64 {
        m[(0, 0)]
    }

    /// The value of node `id`.
    pub fn eval(&mut self, id: Id) -> Result<M> {
        // Iterative, children first, so deep graphs cannot overflow the
        // stack; the walk stops at values already known, so evaluating many
        // nodes of one graph costs the graph once, not once per node.
        let mut stack = vec![(id, false)];
        let mut seen = std::collections::HashSet::new();
        while let Some((n, done)) = stack.pop() {
            if done {
                let v = self.eval_node(n)?;
                if v.iter().any(|x| !x.is_finite()) {
                    return Err(domain("a value is not finite on this instance"));
                }
                self.memo.insert(n, v);
                continue;
            }
            if self.memo.contains_key(&n) || !seen.insert(n) {
                continue;
            }
            stack.push((n, true));
            for &k in self.g.kids(n).iter().rev() {
                if !self.memo.contains_key(&k) && !seen.contains(&k) {
                    stack.push((k, false));
                }
            }
        }
        self.memo
            .get(&id)
            .cloned()
            .ok_or_else(|| Diagnostic::new(ErrorKind::Internal, "node not evaluated"))
    }

    fn kid(&self, id: Id, i: usize) -> &M {
        &self.memo[&self.g.kids(id)[i]]
    }

    fn eval_node(&mut self, id: Id) -> Result<M> {
        let g = self.g;
        let node = g.node(id);
        let (r, c) = dims_of(&node.shape, &self.inst.sizes);
        if r.saturating_mul(c) > self.max_entries {
            return Err(too_many_entries(r, c));
        }
        Ok(match &node.op {
            Op::Var(n) => match self.inst.values.get(n) {
                Some(v) => v.clone(),
                // A dimension symbol used as a scalar is its size.
                None if self.inst.sizes.contains_key(&n.ident()) => {
                    M::from_element(1, 1, self.inst.sizes[&n.ident()] as f64)
                }
                // A function parameter evaluated on its own (never in a check).
                None => M::zeros(r, c),
            },
            Op::Def(_) => self.kid(id, 0).clone(),
            Op::Const(q) => M::from_element(1, 1, qf(q)),
            Op::Identity => M::identity(r, c),
            // Row i n + j holds the 1 of entry (i, j) of an m × n matrix.
            Op::Commutation(m, n) => {
                let (m, n) = (size_of(m, &self.inst.sizes), size_of(n, &self.inst.sizes));
                let mut k = M::zeros(r, c);
                for i in 0..m {
                    for j in 0..n {
                        k[(i * n + j, j * m + i)] = 1.0;
                    }
                }
                k
            }
            Op::Ones => M::from_element(r, c, 1.0),
            Op::Zero => M::zeros(r, c),
            Op::Upstream(of) => {
                let arg = g.kids(id)[0];
                // The gradient of an opaque function applied to this argument.
                let mut found = None;
                for i in 0..g.len() {
                    if let Op::Opaque(f) = g.op(i) {
                        let names_it = g.def_of_body(i) == Some(of) && g.opaque_defs.contains(of);
                        if g.kids(i)[0] == arg && (f == of || names_it) {
                            found = Some(f.clone());
                            break;
                        }
                    }
                }
                match found {
                    Some(f) => {
                        let v = self.kid(id, 0).clone();
                        opaque_value(self.inst, &f, &v).1
                    }
                    None => match (self.inst.upstream.get(&(of.clone(), arg)), g.op(arg)) {
                        (Some(v), _) => v.clone(),
                        (None, Op::Var(n) | Op::Def(n)) => self.inst.upstream_value(of, n, r, c),
                        (None, _) => self.inst.upstream_value(of, of, r, c),
                    },
                }
            }
            Op::Add => {
                let (a, b) = (self.kid(id, 0), self.kid(id, 1));
                if a.shape() == b.shape() {
                    a + b
                } else if a.shape() == (1, 1) {
                    b.map(|x| x + Self::scalar(a))
                } else {
                    a.map(|x| x + Self::scalar(b))
                }
            }
            Op::Mul => {
                let (a, b) = (self.kid(id, 0), self.kid(id, 1));
                if a.shape() == (1, 1) && g.is_scalar(g.kids(id)[0]) {
                    b * Self::scalar(a)
                } else if b.shape() == (1, 1) && g.is_scalar(g.kids(id)[1]) {
                    a * Self::scalar(b)
                } else if a.ncols() == b.nrows() {
                    a * b
                } else {
                    return Err(Diagnostic::new(
                        ErrorKind::Internal,
                        format!("product of {:?} and {:?}", a.shape(), b.shape()),
                    ));
                }
            }
            Op::Had => self.kid(id, 0).component_mul(self.kid(id, 1)),
            Op::Kron => self.kid(id, 0).kronecker(self.kid(id, 1)),
            Op::Transpose => self.kid(id, 0).transpose(),
            Op::Inv => {
                let a = self.kid(id, 0);
                let inv = super::lu::Lu::new(a)
                    .inverse()
                    .ok_or_else(|| domain("a matrix to invert is singular on this instance"))?;
                // Ill-conditioned counts as singular: finite differences
                // through it are noise. The 1-norm condition number comes
                // from the inverse already computed; an SVD for the 2-norm
                // one cost ten LU factorisations (a third of `check` on a
                // 1000 × 1000 log-determinant).
                let norm1 = |m: &M| {
                    m.column_iter()
                        .map(|c| c.iter().map(|x| x.abs()).sum::<f64>())
                        .fold(0.0, f64::max)
                };
                let cond = norm1(a) * norm1(&inv);
                if !cond.is_finite() || cond >= 1e8 {
                    return Err(domain("a matrix to invert is singular on this instance"));
                }
                inv
            }
            Op::MatPow(k) => {
                let a = self.kid(id, 0);
                let mut acc = M::identity(a.nrows(), a.ncols());
                for _ in 0..*k {
                    acc = &acc * a;
                }
                acc
            }
            Op::Pow(p) => {
                let a = self.kid(id, 0);
                let pf = qf(p);
                let integer = p.is_integer();
                let mut out = a.clone();
                for x in out.iter_mut() {
                    if !integer && *x <= 0.0 {
                        return Err(domain("a fractional power of a non-positive number"));
                    }
                    if pf < 0.0 && *x == 0.0 {
                        return Err(domain("a negative power of zero"));
                    }
                    *x = if integer {
                        x.powi(pf as i32)
                    } else {
                        x.powf(pf)
                    };
                }
                out
            }
            Op::Trace => M::from_element(1, 1, self.kid(id, 0).trace()),
            Op::Det => M::from_element(1, 1, super::lu::Lu::new(self.kid(id, 0)).determinant()),
            // Through the pivots: no overflow of the determinant itself.
            Op::LogDet => {
                let l = super::lu::Lu::new(self.kid(id, 0))
                    .log_abs_det()
                    .ok_or_else(|| domain("a determinant is zero on this instance"))?;
                M::from_element(1, 1, l)
            }
            Op::Norm => {
                let n = self.kid(id, 0).norm();
                if n == 0.0 {
                    return Err(domain("a norm is zero (not differentiable there)"));
                }
                M::from_element(1, 1, n)
            }
            Op::NormSq => M::from_element(1, 1, self.kid(id, 0).norm_squared()),
            Op::Func(f) => {
                let a = self.kid(id, 0);
                let mut out = a.clone();
                for x in out.iter_mut() {
                    *x = match f {
                        Func::Exp => x.exp(),
                        Func::Log => {
                            if *x <= 0.0 {
                                return Err(domain("\\log of a non-positive number"));
                            }
                            x.ln()
                        }
                        Func::Sigmoid => 1.0 / (1.0 + (-*x).exp()),
                        Func::Tanh => x.tanh(),
                        Func::Cosh => x.cosh(),
                        Func::Sinh => x.sinh(),
                        Func::Arctan => x.atan(),
                        // log(1 + e^x) without overflow: max(x, 0) + log1p(e^{-|x|}).
                        Func::Softplus => x.max(0.0) + (-x.abs()).exp().ln_1p(),
                        Func::Sin | Func::Cos if x.abs() > MAX_TRIG_ARG => {
                            return Err(domain(TRIG_PRECISION));
                        }
                        Func::Sin => x.sin(),
                        Func::Cos => x.cos(),
                        Func::Sqrt => {
                            if *x <= 0.0 {
                                return Err(domain("\\sqrt of a non-positive number"));
                            }
                            x.sqrt()
                        }
                        Func::Relu => x.max(0.0),
                        Func::Step => {
                            if *x > 0.0 {
                                1.0
                            } else {
                                0.0
                            }
                        }
                    };
                }
                out
            }
            Op::Call(f) => {
                let Some((param, body)) = g.fns.get(f).cloned() else {
                    return Err(Diagnostic::new(ErrorKind::Internal, "unknown function"));
                };
                let a = self.kid(id, 0).clone();
                let mut out = a.clone();
                for x in out.iter_mut() {
                    let mut inst = self.inst.clone();
                    inst.values.insert(param.clone(), M::from_element(1, 1, *x));
                    let mut ev = Evaluator::new(g, &inst, &HashMap::new());
                    *x = Self::scalar(&ev.eval(body)?);
                }
                out
            }
            Op::Opaque(f) => {
                let v = self.kid(id, 0).clone();
                M::from_element(1, 1, opaque_value(self.inst, f, &v).0)
            }
            Op::Sum => M::from_element(1, 1, self.kid(id, 0).sum()),
            Op::Diag => M::from_diagonal(&self.kid(id, 0).column(0).into_owned()),
            Op::DiagPart => {
                let a = self.kid(id, 0);
                M::from_fn(a.nrows(), 1, |i, _| a[(i, i)])
            }
            Op::Vec => {
                let a = self.kid(id, 0);
                M::from_column_slice(a.len(), 1, a.as_slice())
            }
            Op::Unvec => {
                let a = self.kid(id, 0);
                M::from_column_slice(r, c, a.as_slice())
            }
            Op::Softmax => softmax(self.kid(id, 0)),
            Op::LogSumExp => {
                let a = self.kid(id, 0);
                let m = a.max();
                M::from_element(1, 1, m + a.map(|x| (x - m).exp()).sum().ln())
            }
            Op::KronL => {
                let (gm, b) = (self.kid(id, 0), self.kid(id, 1));
                let (p, qn) = (b.nrows(), b.ncols());
                M::from_fn(r, c, |i, j| {
                    gm.view((i * p, j * qn), (p, qn)).component_mul(b).sum()
                })
            }
            Op::KronR => {
                let (a, gm) = (self.kid(id, 0), self.kid(id, 1));
                let mut out = M::zeros(r, c);
                for i in 0..a.nrows() {
                    for j in 0..a.ncols() {
                        out += gm.view((i * r, j * c), (r, c)) * a[(i, j)];
                    }
                }
                out
            }
        })
    }
}

/// Numerically stable softmax of a column.
pub fn softmax(a: &M) -> M {
    let m = a.max();
    let e = a.map(|x| (x - m).exp());
    let s = e.sum();
    e / s
}

/// Evaluate `id` on `inst`.
pub fn eval(g: &Graph, inst: &Instance, id: Id) -> Result<M> {
    Evaluator::new(g, inst, &HashMap::new()).eval(id)
}

/// The value of node `id` and the largest magnitude of any value met on the
/// way: the size that rounding in the result is relative to (a gradient that
/// is a difference of large equal terms is zero only up to their rounding).
pub fn eval_with_magnitude(g: &Graph, inst: &Instance, id: Id) -> Result<(M, f64)> {
    let mut e = Evaluator::new(g, inst, &HashMap::new());
    let v = e.eval(id)?;
    let big = e.memo.values().map(|m| m.amax()).fold(0.0, f64::max);
    Ok((v, big))
}

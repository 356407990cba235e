//! The independent oracle: the objective evaluated from the checked syntax
//! tree, before lowering, folding or canonicalisation, by code that neither
//! differentiation nor the graph evaluator uses. A mistake in building the
//! graph or in its canonical form therefore shows up as a disagreement
//! between a derived gradient and finite differences of this evaluation,
//! instead of being confirmed by them.

use super::eval::{opaque_value, qf, too_many_entries, M};
use super::instance::{size_of, Instance};
use crate::check::{TExpr, Typed};
use crate::core::diagnostic::{Diagnostic, ErrorKind, Result};
use crate::core::op::{Func, Op};
use crate::core::shape::Shape;
use crate::syntax::ast::Name;
use std::collections::{BTreeMap, BTreeSet, HashMap};

fn domain(msg: &str) -> Diagnostic {
    Diagnostic::new(ErrorKind::Domain, msg)
}

/// What evaluations of one document share across instances of the same
/// sizes: each expression's numeric shape, and the definitions each name
/// needs. Finite differences evaluate the objective dozens of times on one
/// instance; working these out on every evaluation was a fifth of a small
/// `grad` process.
#[derive(Default)]
pub struct Shared {
    /// The sizes `dims` were worked out for.
    sizes: BTreeMap<String, usize>,
    dims: HashMap<*const TExpr, (usize, usize)>,
    /// By name and the names overridden.
    reachable: HashMap<(Name, Vec<Name>), BTreeSet<Name>>,
}

/// Evaluates typed expressions of one document on one instance.
pub struct Oracle<'a> {
    typed: &'a Typed,
    inst: &'a Instance,
    /// Values given to defined names instead of their bodies (finite
    /// differences in a defined name).
    overrides: &'a BTreeMap<Name, M>,
    defs: HashMap<Name, M>,
    shapes: HashMap<*const TExpr, Shape>,
    /// A user function's parameter while its body is evaluated.
    param: Option<(Name, f64)>,
    shared: Option<&'a std::cell::RefCell<Shared>>,
}

impl<'a> Oracle<'a> {
    /// An oracle over `typed` on `inst`, with defined names overridden.
    pub fn new(typed: &'a Typed, inst: &'a Instance, overrides: &'a BTreeMap<Name, M>) -> Self {
        Oracle {
            typed,
            inst,
            overrides,
            defs: HashMap::new(),
            shapes: HashMap::new(),
            param: None,
            shared: None,
        }
    }

    /// [`Oracle::new`] keeping what does not change between evaluations in
    /// `shared` (the document's tree must stay the same while it is used).
    /// Values given in `overrides` may be of inputs too.
    pub fn with_shared(
        typed: &'a Typed,
        inst: &'a Instance,
        overrides: &'a BTreeMap<Name, M>,
        shared: &'a std::cell::RefCell<Shared>,
    ) -> Self {
        {
            let mut sh = shared.borrow_mut();
            if sh.sizes != inst.sizes {
                sh.sizes = inst.sizes.clone();
                sh.dims.clear();
            }
        }
        Oracle {
            shared: Some(shared),
            ..Oracle::new(typed, inst, overrides)
        }
    }

    /// The value of the defined name `n`.
    pub fn def(&mut self, n: &Name) -> Result<M> {
        if let Some(v) = self.overrides.get(n) {
            return Ok(v.clone());
        }
        if let Some(v) = self.defs.get(n) {
            return Ok(v.clone());
        }
        // Definitions are evaluated in dependency order, so that a long
        // chain of names never recurses through names.
        let needed = match self.shared {
            Some(sh) => {
                let key = (
                    n.clone(),
                    self.overrides.keys().cloned().collect::<Vec<_>>(),
                );
                let cached = sh.borrow().reachable.get(&key).cloned();
                match cached {
                    Some(r) => r,
                    None => {
                        let r = self.reachable(n);
                        sh.borrow_mut().reachable.insert(key, r.clone());
                        r
                    }
                }
            }
            None => self.reachable(n),
        };
        let typed = self.typed;
        for (name, body) in &typed.defs {
            if !needed.contains(name) || self.defs.contains_key(name) {
                continue;
            }
            let v = match self.overrides.get(name) {
                Some(v) => v.clone(),
                None => self.eval(body)?,
            };
            self.defs.insert(name.clone(), v);
        }
        self.defs.get(n).cloned().ok_or_else(|| {
            Diagnostic::new(ErrorKind::Name, format!("`{}` is not defined", n.latex()))
        })
    }

    /// The definitions `n` depends on, itself included.
    fn reachable(&self, n: &Name) -> BTreeSet<Name> {
        let bodies: HashMap<&Name, &TExpr> = self.typed.defs.iter().map(|(k, v)| (k, v)).collect();
        let mut seen = BTreeSet::new();
        let mut stack = vec![n.clone()];
        while let Some(x) = stack.pop() {
            if !seen.insert(x.clone()) || self.overrides.contains_key(&x) {
                continue;
            }
            let Some(body) = bodies.get(&x) else { continue };
            let mut todo = vec![*body];
            while let Some(e) = todo.pop() {
                if let Op::Def(m) = &e.op {
                    stack.push(m.clone());
                }
                todo.extend(e.args.iter());
            }
        }
        seen
    }

    /// The opaque function whose gradient `\frac{\partial of}{\partial arg}`
    /// is: `of` itself applied to `arg`, or the one that defines `of`.
    fn opaque_of(&self, of: &Name, arg: &Name) -> Option<Name> {
        let applied_to_arg = |e: &TExpr| {
            e.args
                .first()
                .is_some_and(|a| matches!(&a.op, Op::Var(n) | Op::Def(n) if n == arg))
        };
        let mut found = None;
        for (name, body) in &self.typed.defs {
            let mut todo = vec![body];
            while let Some(e) = todo.pop() {
                if let Op::Opaque(f) = &e.op {
                    let defines_of =
                        name == of && std::ptr::eq(e, crate::check::peel_unit_wrappers(body));
                    if (f == of || defines_of) && applied_to_arg(e) {
                        found = Some(f.clone());
                    }
                }
                todo.extend(e.args.iter());
            }
        }
        found
    }

    fn shape(&mut self, e: &TExpr) -> (usize, usize) {
        if let Some(sh) = self.shared {
            let key = e as *const TExpr;
            if let Some(&d) = sh.borrow().dims.get(&key) {
                return d;
            }
            let s = self.typed.shape(e);
            let d = (
                size_of(&s.rows, &self.inst.sizes),
                size_of(&s.cols, &self.inst.sizes),
            );
            sh.borrow_mut().dims.insert(key, d);
            return d;
        }
        let s = self
            .shapes
            .entry(e as *const TExpr)
            .or_insert_with(|| self.typed.shape(e));
        (
            size_of(&s.rows, &self.inst.sizes),
            size_of(&s.cols, &self.inst.sizes),
        )
    }

    /// The value of a typed expression.
    pub fn eval(&mut self, e: &TExpr) -> Result<M> {
        let (r, c) = self.shape(e);
        if r.saturating_mul(c) > crate::core::limits::current().entries {
            return Err(too_many_entries(r, c));
        }
        let mut args = Vec::with_capacity(e.args.len());
        for a in &e.args {
            args.push(self.eval(a)?);
        }
        let v = self.apply(e, args)?;
        if v.iter().any(|x| !x.is_finite()) {
            return Err(domain(
                "a value of the objective is not finite on this instance",
            ));
        }
        Ok(v)
    }

    fn apply(&mut self, e: &TExpr, mut args: Vec<M>) -> Result<M> {
        let s1 = |m: &M| m.nrows() == 1 && m.ncols() == 1;
        Ok(match &e.op {
            Op::Var(n) => match (&self.param, self.inst.values.get(n)) {
                (Some((p, x)), _) if p == n => M::from_element(1, 1, *x),
                // An input set for a finite difference.
                _ if self.overrides.contains_key(n) => self.overrides[n].clone(),
                (_, Some(v)) => v.clone(),
                // A dimension symbol used as a scalar is its size.
                _ if self.inst.sizes.contains_key(&n.ident()) => {
                    M::from_element(1, 1, self.inst.sizes[&n.ident()] as f64)
                }
                // Sampling skips a variable over the entries limit.
                _ => return Err(super::eval::too_large_to_sample(n)),
            },
            Op::Def(n) => self.def(n)?,
            Op::Const(q) => M::from_element(1, 1, qf(q)),
            Op::Identity => {
                let (r, c) = self.shape(e);
                M::identity(r, c)
            }
            // By its definition: column p of K is vec(E^T) for the matrix
            // E with one 1 at vec position p.
            Op::Commutation(m, n) => {
                let (m, n) = (size_of(m, &self.inst.sizes), size_of(n, &self.inst.sizes));
                let mut k = M::zeros(m * n, m * n);
                for p in 0..m * n {
                    let mut e = M::zeros(m, n);
                    e[(p % m, p / m)] = 1.0;
                    let et = e.transpose();
                    for (q, v) in et.iter().enumerate() {
                        k[(q, p)] = *v;
                    }
                }
                k
            }
            Op::Ones => {
                let (r, c) = self.shape(e);
                M::from_element(r, c, 1.0)
            }
            Op::Zero => {
                let (r, c) = self.shape(e);
                M::zeros(r, c)
            }
            Op::Upstream(of) => {
                let (r, c) = self.shape(e);
                let arg = match &e.args[0].op {
                    Op::Var(n) | Op::Def(n) => n.clone(),
                    _ => of.clone(),
                };
                // The gradient of an opaque function the document applies
                // to this argument (`L = \ell(z_2)` makes ∂L/∂z_2 its
                // gradient); otherwise an input of its own.
                match self.opaque_of(of, &arg) {
                    Some(f) => opaque_value(self.inst, &f, &pop(&mut args)?).1,
                    None => self.inst.upstream_value(of, &arg, r, c),
                }
            }
            Op::Add => {
                let b = pop(&mut args)?;
                let a = pop(&mut args)?;
                if a.shape() == b.shape() {
                    a + b
                } else if s1(&a) {
                    b.add_scalar(a[(0, 0)])
                } else if s1(&b) {
                    a.add_scalar(b[(0, 0)])
                } else {
                    return Err(mismatch("a sum", &a, &b));
                }
            }
            Op::Mul | Op::Had => {
                let b = pop(&mut args)?;
                let a = pop(&mut args)?;
                if s1(&a) {
                    b * a[(0, 0)]
                } else if s1(&b) {
                    a * b[(0, 0)]
                } else if e.op == Op::Had && a.shape() == b.shape() {
                    a.component_mul(&b)
                } else if e.op == Op::Mul && a.ncols() == b.nrows() {
                    a * b
                } else {
                    return Err(mismatch("a product", &a, &b));
                }
            }
            Op::Kron => args[0].kronecker(&args[1]),
            Op::Transpose => args[0].transpose(),
            Op::Inv => inverse(&args[0])?,
            Op::MatPow(k) => {
                let a = &args[0];
                let mut acc = M::identity(a.nrows(), a.ncols());
                for _ in 0..*k {
                    acc = &acc * a;
                }
                acc
            }
            Op::Pow(p) => {
                let pf = qf(p);
                let integer = p.is_integer();
                let mut out = pop(&mut args)?;
                for x in out.iter_mut() {
                    if (!integer && *x <= 0.0) || (pf < 0.0 && *x == 0.0) {
                        return Err(domain("a power outside its domain"));
                    }
                    *x = if integer {
                        x.powi(pf as i32)
                    } else {
                        x.powf(pf)
                    };
                }
                out
            }
            Op::Trace => M::from_element(1, 1, args[0].trace()),
            Op::Det => M::from_element(1, 1, super::lu::Lu::new(&args[0]).determinant()),
            Op::LogDet => M::from_element(1, 1, log_abs_det(&args[0])?),
            Op::Norm => {
                let n = args[0].norm();
                if n == 0.0 {
                    return Err(domain("a norm is zero"));
                }
                M::from_element(1, 1, n)
            }
            Op::NormSq => M::from_element(1, 1, args[0].norm_squared()),
            Op::Func(f) => {
                let mut out = pop(&mut args)?;
                for x in out.iter_mut() {
                    *x = scalar_fn(*f, *x)?;
                }
                out
            }
            Op::Call(f) => {
                let Some(tf) = self.typed.fns.get(f) else {
                    return Err(Diagnostic::new(ErrorKind::Internal, "unknown function"));
                };
                let mut out = pop(&mut args)?;
                let saved = self.param.take();
                for x in out.iter_mut() {
                    self.param = Some((tf.param.clone(), *x));
                    let v = self.eval(&tf.body);
                    *x = match v {
                        Ok(v) => v[(0, 0)],
                        Err(err) => {
                            self.param = saved;
                            return Err(err);
                        }
                    };
                }
                self.param = saved;
                out
            }
            Op::Opaque(f) => M::from_element(1, 1, opaque_value(self.inst, f, &args[0]).0),
            Op::Sum => M::from_element(1, 1, args[0].sum()),
            Op::Diag => M::from_diagonal(&args[0].column(0).into_owned()),
            Op::DiagPart => {
                let a = &args[0];
                M::from_fn(a.nrows().min(a.ncols()), 1, |i, _| a[(i, i)])
            }
            Op::Vec => M::from_column_slice(args[0].len(), 1, args[0].as_slice()),
            Op::Softmax => {
                let a = &args[0];
                let m = a.max();
                let ex = a.map(|x| (x - m).exp());
                let s = ex.sum();
                ex / s
            }
            Op::Unvec => {
                let (r, c) = self.shape(e);
                if r * c != args[0].len() {
                    return Err(mismatch("an unvec", &args[0], &M::zeros(r, c)));
                }
                M::from_column_slice(r, c, args[0].as_slice())
            }
            // kronl(G, B)_{ij} = Σ_kl G_{(i,k),(j,l)} B_kl
            Op::KronL => {
                let (r, c) = self.shape(e);
                let (g, b) = (&args[0], &args[1]);
                let (p, q) = (b.nrows(), b.ncols());
                let mut out = M::zeros(r, c);
                for i in 0..r {
                    for j in 0..c {
                        let mut acc = 0.0;
                        for k in 0..p {
                            for l in 0..q {
                                acc += g[(i * p + k, j * q + l)] * b[(k, l)];
                            }
                        }
                        out[(i, j)] = acc;
                    }
                }
                out
            }
            // kronr(A, G)_{kl} = Σ_ij A_ij G_{(i,k),(j,l)}
            Op::KronR => {
                let (p, q) = self.shape(e);
                let (a, g) = (&args[0], &args[1]);
                let mut out = M::zeros(p, q);
                for i in 0..a.nrows() {
                    for j in 0..a.ncols() {
                        for k in 0..p {
                            for l in 0..q {
                                out[(k, l)] += a[(i, j)] * g[(i * p + k, j * q + l)];
                            }
                        }
                    }
                }
                out
            }
            Op::LogSumExp => {
                let a = &args[0];
                let m = a.max();
                M::from_element(1, 1, m + a.map(|x| (x - m).exp()).sum().ln())
            }
        })
    }
}

fn pop(args: &mut Vec<M>) -> Result<M> {
    args.pop()
        .ok_or_else(|| Diagnostic::new(ErrorKind::Internal, "an operation without its operand"))
}

fn mismatch(what: &str, a: &M, b: &M) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Internal,
        format!(
            "the oracle met {what} of a {}×{} and a {}×{} value",
            a.nrows(),
            a.ncols(),
            b.nrows(),
            b.ncols()
        ),
    )
}

fn scalar_fn(f: Func, x: f64) -> Result<f64> {
    Ok(match f {
        Func::Exp => x.exp(),
        Func::Log if x <= 0.0 => return Err(domain("\\log of a non-positive number")),
        Func::Log => x.ln(),
        Func::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        Func::Tanh => x.tanh(),
        Func::Cosh => x.cosh(),
        Func::Sinh => x.sinh(),
        Func::Arctan => x.atan(),
        // Written as its definition, log(1 + e^x), on the stable side.
        Func::Softplus if x > 30.0 => x + (-x).exp().ln_1p(),
        Func::Softplus => x.exp().ln_1p(),
        // The same physical limit as the graph's evaluator, restated here.
        Func::Sin | Func::Cos if x.abs() > 1e5 => {
            return Err(domain(
                "a sine or cosine of a number beyond 1e5 has no accurate value to compare",
            ))
        }
        Func::Sin => x.sin(),
        Func::Cos => x.cos(),
        Func::Sqrt if x <= 0.0 => return Err(domain("\\sqrt of a non-positive number")),
        Func::Sqrt => x.sqrt(),
        Func::Relu => x.max(0.0),
        Func::Step => {
            if x > 0.0 {
                1.0
            } else {
                0.0
            }
        }
    })
}

/// The inverse of a well-conditioned square matrix.
pub fn inverse(a: &M) -> Result<M> {
    let inv = super::lu::Lu::new(a)
        .inverse()
        .ok_or_else(|| domain("a matrix to invert is singular on this instance"))?;
    // Conditioning in the 1-norm: far from singular, or no instance.
    let n1 = |m: &M| {
        (0..m.ncols())
            .map(|j| m.column(j).iter().map(|x| x.abs()).sum::<f64>())
            .fold(0.0, f64::max)
    };
    if n1(a) * n1(&inv) > 1e8 {
        return Err(domain(
            "a matrix to invert is nearly singular on this instance",
        ));
    }
    Ok(inv)
}

/// `\log|\det A|` through an LU factorisation: the sum of the logs of the
/// pivots' magnitudes, which neither overflows nor underflows.
pub fn log_abs_det(a: &M) -> Result<f64> {
    super::lu::Lu::new(a)
        .log_abs_det()
        .ok_or_else(|| domain("a determinant is zero on this instance"))
}

//! The independent evaluation of the objective over nalgebra, and its
//! finite differences.

use super::*;

pub(crate) fn draw(v: &Var, rng: &mut ChaCha8Rng) -> M {
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

pub(crate) fn opaque(ident: &str, seed: u64, v: &M) -> f64 {
    let (r, c) = (v.nrows(), v.ncols());
    let a = opaque_coeffs(ident, seed, 1 + (r * 31 + c) as u64, r, c);
    let b = opaque_coeffs(ident, seed, 2 + (r * 31 + c) as u64, r, c);
    a.component_mul(&v.map(f64::sin)).sum() + 0.5 * b.component_mul(&v.component_mul(v)).sum()
}

/// Evaluation failure: out of domain or not finite.
#[derive(Debug)]
pub struct Bad(pub String);

pub(crate) struct Ev<'a> {
    p: &'a Gen,
    vals: &'a [M],
    memo: Vec<Option<M>>,
    max: f64,
}

pub(crate) fn sc(x: f64) -> M {
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

pub(crate) fn well_conditioned(x: &M) -> Result<(), Bad> {
    let sv = x.clone().singular_values();
    if sv.min() < 1e-2 * sv.max().max(1e-12) || sv.min() < 1e-3 {
        return Err(Bad("ill-conditioned".into()));
    }
    Ok(())
}

pub(crate) fn inv(x: M) -> Result<M, Bad> {
    well_conditioned(&x)?;
    x.try_inverse().ok_or_else(|| Bad("singular".into()))
}

impl Gen {
    /// The objective's value at the given variable values.
    pub fn eval_with(&self, vals: &[M]) -> Result<f64, Bad> {
        self.eval_max(vals).map(|x| x.0)
    }

    pub(crate) fn eval_max(&self, vals: &[M]) -> Result<(f64, f64), Bad> {
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

    /// The value of definition `d` at the given variable values.
    pub fn eval_def_with(&self, d: usize, vals: &[M]) -> Result<M, Bad> {
        let mut ev = Ev {
            p: self,
            vals,
            memo: vec![None; self.defs.len()],
            max: 0.0,
        };
        let body = self.defs[d].1.clone();
        ev.ev(&body)
    }

    /// Central differences with Richardson extrapolation of definition `d`
    /// in variable `vi`: the Jacobian, columns in column-major order of the
    /// variable's entries (the layout of `\mathrm{vec}`).
    pub fn fd_jacobian(&self, d: usize, vi: usize, h: f64) -> Result<M, Bad> {
        let base = self.values[vi].clone();
        let rows = self.defs[d].1.s.rows() * self.defs[d].1.s.cols();
        let mut j = M::zeros(rows, base.len());
        let mut vals = self.values.clone();
        for k in 0..base.len() {
            let x0 = base[k];
            let step = h * x0.abs().max(1.0);
            let mut diff = |hh: f64| -> Result<M, Bad> {
                vals[vi][k] = x0 + hh;
                let fp = self.eval_def_with(d, &vals)?;
                vals[vi][k] = x0 - hh;
                let fm = self.eval_def_with(d, &vals)?;
                vals[vi][k] = x0;
                Ok((fp - fm) / (2.0 * hh))
            };
            let d1 = diff(step)?;
            let d2 = diff(step / 2.0)?;
            let col = (d2 * 4.0 - d1) / 3.0;
            for r in 0..rows {
                j[(r, k)] = col[r];
            }
        }
        Ok(j)
    }

    /// Second central differences with Richardson extrapolation of the
    /// objective in variable `vi`: the Hessian over the variable's entries
    /// in column-major order.
    pub fn fd_hessian(&self, vi: usize, h: f64) -> Result<M, Bad> {
        let base = self.values[vi].clone();
        let n = base.len();
        let mut hm = M::zeros(n, n);
        let mut vals = self.values.clone();
        for a in 0..n {
            for b in 0..n {
                let step = h * base[a].abs().max(base[b].abs()).max(1.0);
                let mut f = |da: f64, db: f64| -> Result<f64, Bad> {
                    vals[vi] = base.clone();
                    vals[vi][a] += da;
                    vals[vi][b] += db;
                    let y = self.eval_with(&vals);
                    vals[vi] = base.clone();
                    y
                };
                let mut d = |hh: f64| -> Result<f64, Bad> {
                    let pp = f(hh, hh)?;
                    let pm = f(hh, -hh)?;
                    let mp = f(-hh, hh)?;
                    let mm = f(-hh, -hh)?;
                    Ok((pp - pm - mp + mm) / (4.0 * hh * hh))
                };
                let d1 = d(step)?;
                let d2 = d(step / 2.0)?;
                hm[(a, b)] = (4.0 * d2 - d1) / 3.0;
            }
        }
        Ok(hm)
    }

    /// Variables definition `d` reads (through other definitions).
    pub fn vars_of_def(&self, d: usize) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut stack = vec![d];
        while let Some(d) = stack.pop() {
            if !seen.insert(d) {
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
        self.vars_of_def(self.defs.len() - 1)
    }

    pub(crate) fn used_defs(&self) -> BTreeSet<usize> {
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
        for e in &self.extra {
            f.insert(match e {
                Extra::Hessian(_) => "Hessian query",
                Extra::Jacobian(..) => "Jacobian query",
            });
        }
        f
    }
}

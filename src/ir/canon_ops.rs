//! The canonical form, part 2: transposes, inverses, powers, functions,
//! traces and the other unary operations.

use super::*;

impl Graph {
    /// `out` with the factors taken out of an operand put back in front:
    /// `c s_1 s_2 … out`.
    fn refactor(&mut self, coef: Q, scalars: &[Id], out: Id) -> Id {
        let mut out = self.scale(coef, out);
        for &s in scalars {
            out = self.mul(s, out);
        }
        out
    }

    /// Whether `id` is a vector or matrix of ones (`\mathbf{1}`, `\mathbf{1}\mathbf{1}^T`).
    pub fn is_ones(&self, id: Id) -> bool {
        match &self.nodes[id].op {
            Op::Ones => true,
            Op::Transpose => self.is_ones(self.nodes[id].kids[0]),
            Op::Mul => {
                let k = &self.nodes[id].kids;
                self.is_ones(k[0]) && self.is_ones(k[1])
            }
            _ => false,
        }
    }

    /// `\mathrm{diag}(A)` of a matrix; `\mathrm{diag}(a b^T) = a \odot b`.
    pub fn diag_part(&mut self, a: Id) -> Id {
        // diag(A^T) = diag(A).
        if self.nodes[a].op == Op::Transpose {
            let k = self.nodes[a].kids[0];
            return self.diag_part(k);
        }
        if self.nodes[a].op == Op::Identity {
            let s = Shape {
                rows: self.nodes[a].shape.rows.clone(),
                cols: Dim::One,
            };
            return self.ones(&s);
        }
        let (coef, scalars, mats) = self.factors(a);
        // diag(s I) = s 1: the size stays with the ones, not an unsized I.
        if let [i] = mats.as_slice() {
            if self.nodes[*i].op == Op::Identity {
                let s = Shape {
                    rows: self.nodes[*i].shape.rows.clone(),
                    cols: Dim::One,
                };
                let mut out = self.ones(&s);
                out = self.refactor(coef, &scalars, out);
                return out;
            }
        }
        if let [u, vt] = mats.as_slice() {
            if self.shape(*u).cols == Dim::One && self.shape(*vt).rows == Dim::One {
                let v = self.t(*vt);
                let h = self.had(*u, v);
                let out = self.refactor(coef, &scalars, h);
                return out;
            }
        }
        let rows = self.shape(a).rows.clone();
        self.op_node(
            Op::DiagPart,
            vec![a],
            Shape {
                rows,
                cols: Dim::One,
            },
        )
    }

    /// Whether `id` is symmetric (declared, or by structure: `X X^T`,
    /// `A + A^T`, `K^{-1} Y Y^T K^{-1}`, inverses and sums of symmetric terms).
    pub fn is_symmetric(&mut self, id: Id) -> bool {
        if let Some(&b) = self.sym_cache.borrow().get(&id) {
            return b;
        }
        let node = self.nodes[id].clone();
        let r = if node.shape.is_scalar() {
            true
        } else if !node.shape.is_square() {
            false
        } else {
            match &node.op {
                Op::Var(n) => self.point_symmetry && self.vars.get(n).is_some_and(|v| v.symmetric),
                Op::Def(_) | Op::Inv | Op::MatPow(_) => self.is_symmetric(node.kids[0]),
                Op::Identity | Op::Zero | Op::Diag => true,
                Op::Commutation(m, n) => m == n,
                Op::Func(_) | Op::Call(_) | Op::Pow(_) => self.is_symmetric(node.kids[0]),
                Op::Had | Op::Kron => {
                    self.is_symmetric(node.kids[0]) && self.is_symmetric(node.kids[1])
                }
                Op::Transpose => self.is_symmetric(node.kids[0]),
                Op::Add => {
                    let terms = self.terms(id);
                    if terms.iter().all(|(_, t)| self.is_symmetric(*t)) {
                        true
                    } else {
                        // A + A^T: the transposed terms are the same multiset.
                        let mut tt: Vec<(Q, Id)> = terms
                            .iter()
                            .map(|(c, t)| (c.clone(), self.t_nosym(*t)))
                            .collect();
                        let mut orig = terms.clone();
                        tt.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
                        orig.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
                        tt == orig
                    }
                }
                Op::Mul => {
                    let (_, _, mats) = self.factors(id);
                    let k = mats.len();
                    if k == 0 {
                        true
                    } else {
                        let mut ok = true;
                        for i in 0..k.div_ceil(2) {
                            let j = k - 1 - i;
                            if i == j {
                                ok &= self.is_symmetric(mats[i]);
                            } else {
                                let ti = self.t(mats[i]);
                                ok &= ti == mats[j];
                            }
                            if !ok {
                                break;
                            }
                        }
                        ok
                    }
                }
                _ => false,
            }
        };
        self.sym_cache.borrow_mut().insert(id, r);
        r
    }

    /// Transpose without consulting symmetry of `id` itself (for the A + A^T test).
    pub(super) fn t_nosym(&mut self, id: Id) -> Id {
        let node = self.nodes[id].clone();
        if node.shape.is_scalar() {
            return id;
        }
        match &node.op {
            Op::Mul | Op::Transpose | Op::Inv | Op::Had | Op::Kron | Op::MatPow(_) => self.t(id),
            Op::Identity | Op::Diag => id,
            Op::Commutation(m, n) => self.commutation(&n.clone(), &m.clone()),
            Op::Var(n) if self.point_symmetry && self.vars.get(n).is_some_and(|v| v.symmetric) => {
                id
            }
            _ => {
                let s = node.shape.t();
                self.raw(Op::Transpose, vec![id], s)
            }
        }
    }

    /// `a^T`, pushed to the leaves.
    pub fn t(&mut self, a: Id) -> Id {
        let node = self.nodes[a].clone();
        if node.shape.is_scalar() {
            return a;
        }
        match &node.op {
            Op::Transpose => return node.kids[0],
            Op::Identity | Op::Diag | Op::Zero if node.shape.is_square() => return a,
            // K_{m,n}^T = K_{n,m} (Magnus & Neudecker).
            Op::Commutation(m, n) => return self.commutation(n, m),
            Op::Zero => {
                let s = node.shape.t();
                return self.zero(&s);
            }
            Op::Mul => {
                let (coef, scalars, mats) = self.factors(a);
                let mut tm = Vec::new();
                for m in mats.into_iter().rev() {
                    tm.push(self.t(m));
                }
                let s = node.shape.t();
                return self.build_product(coef, scalars, tm, &s);
            }
            Op::Inv => {
                let k = node.kids[0];
                let tk = self.t(k);
                return self.inv(tk);
            }
            Op::MatPow(p) => {
                let tk = self.t(node.kids[0]);
                return self.raw(Op::MatPow(*p), vec![tk], node.shape.t());
            }
            Op::Had => {
                let (x, y) = (self.t(node.kids[0]), self.t(node.kids[1]));
                return self.had(x, y);
            }
            Op::Kron => {
                let (x, y) = (self.t(node.kids[0]), self.t(node.kids[1]));
                return self.kron(x, y);
            }
            _ => {}
        }
        if node.shape.is_square() && self.is_symmetric(a) {
            return a;
        }
        let s = node.shape.t();
        self.raw(Op::Transpose, vec![a], s)
    }

    /// `a^{-1}`.
    pub fn inv(&mut self, a: Id) -> Id {
        let node = self.nodes[a].clone();
        if node.shape.is_scalar() {
            return self.pow(a, -Q::one());
        }
        match &node.op {
            Op::Inv => return node.kids[0],
            Op::Identity => return a,
            Op::Mul => {
                let (coef, scalars, mats) = self.factors(a);
                if mats.len() == 1 && (!coef.is_one() || !scalars.is_empty()) && !coef.is_zero() {
                    let inner = self.inv(mats[0]);
                    let mut out = self.scale(Q::one() / coef, inner);
                    for s in scalars {
                        let si = self.pow(s, -Q::one());
                        out = self.mul(si, out);
                    }
                    return out;
                }
            }
            _ => {}
        }
        self.raw(Op::Inv, vec![a], node.shape.clone())
    }

    /// `a^{q}` (scalar) or `a^{\odot q}` (elementwise).
    pub fn pow(&mut self, a: Id, p: Q) -> Id {
        if p.is_one() {
            return a;
        }
        // A power of a defined root or power is a power of its name.
        if self.folding {
            if let Some((name, r)) = self.root_defs.get(&a).cloned() {
                let k = p.clone() / r;
                if k.is_integer() && !k.is_zero() {
                    if let Some(d) = self.def_node(&name) {
                        return self.pow(d, k);
                    }
                }
            }
        }
        // `(1 + \exp(-u))^{-1} = \sigma(u)`, scalar or elementwise.
        if p == -Q::one() {
            if let Some(m) = self.one_plus_exp(a) {
                if let (Op::Mul, Some(c)) = (&self.nodes[m].op, self.nodes[m].kids.first()) {
                    let (c, u) = (*c, self.nodes[m].kids[1]);
                    if self.const_value(c).is_some_and(|c| *c == -Q::one()) {
                        return self.func(Func::Sigmoid, u);
                    }
                }
            }
        }
        let node = self.nodes[a].clone();
        if let Op::Const(c) = &node.op {
            if p.is_integer() {
                if let Some(k) = p.to_integer().to_i32().filter(|k| k.abs() <= 64) {
                    if !(c.is_zero() && k < 0) {
                        let v = num_traits::pow::pow(c.clone(), k.unsigned_abs() as usize);
                        return self.konst(if k < 0 { Q::one() / v } else { v });
                    }
                }
            }
        }
        if p.is_zero() && node.shape.is_scalar() {
            return self.one();
        }
        if node.op == Op::Zero && p.is_positive() {
            return a;
        }
        if let Op::Pow(p0) = &node.op {
            if p.is_integer() {
                return self.pow(node.kids[0], p0 * &p);
            }
        }
        // (c t)^k = c^k t^k for an integer k: `\frac{2}{2 N}` is `\frac{1}{N}`.
        if p.is_integer() && p.abs() <= Q::from_integer(64.into()) {
            let (c, t) = self.split_coef(a);
            if t != a && !c.is_zero() {
                let ck = self.konst(c);
                let ck = self.pow(ck, p.clone());
                let tk = self.pow(t, p);
                return self.mul(ck, tk);
            }
        }
        self.raw(Op::Pow(p), vec![a], node.shape.clone())
    }

    /// An elementwise built-in function.
    pub fn func(&mut self, f: Func, a: Id) -> Id {
        let s = self.nodes[a].shape.clone();
        // Exact values at exact points: f(0) and \log(1).
        if let Some(c) = self.const_value(a).cloned() {
            let v = match f {
                Func::Exp | Func::Cos | Func::Cosh if c.is_zero() => Some(Q::one()),
                Func::Sin | Func::Tanh | Func::Sqrt | Func::Step | Func::Sinh | Func::Arctan
                    if c.is_zero() =>
                {
                    Some(Q::zero())
                }
                Func::Sigmoid if c.is_zero() => Some(Q::new(1.into(), 2.into())),
                Func::Relu => Some(if c.is_negative() {
                    Q::zero()
                } else {
                    c.clone()
                }),
                Func::Log if c.is_one() => Some(Q::zero()),
                _ => None,
            };
            if let Some(v) = v {
                return self.konst(v);
            }
        }
        // Of a zero matrix: the function's value at 0 in every entry, so
        // that no zero of an unstated size is printed inside a function.
        if self.nodes[a].op == Op::Zero {
            match f {
                Func::Exp | Func::Cos | Func::Cosh => return self.ones(&s),
                Func::Sigmoid => {
                    let ones = self.ones(&s);
                    return self.scale(Q::new(1.into(), 2.into()), ones);
                }
                Func::Tanh
                | Func::Sin
                | Func::Relu
                | Func::Step
                | Func::Sqrt
                | Func::Sinh
                | Func::Arctan => return self.zero(&s),
                // log 2 is not exact: the scalar application, broadcast.
                Func::Softplus => {
                    let zero = self.konst(Q::zero());
                    let at0 = self.raw(Op::Func(f), vec![zero], Shape::scalar());
                    let ones = self.ones(&s);
                    return self.mul(at0, ones);
                }
                Func::Log => {}
            }
        }
        self.raw(Op::Func(f), vec![a], s)
    }

    /// `\mathrm{tr}(a)`, with scalar factors pulled out.
    pub fn trace(&mut self, a: Id) -> Id {
        if self.is_scalar(a) {
            return a;
        }
        match self.nodes[a].op {
            Op::Identity => {
                let d = self.nodes[a].shape.rows.clone();
                return self.dim_scalar(&d);
            }
            // tr(A ⊗ B) = tr(A) tr(B)
            Op::Kron
                if self.nodes[a]
                    .kids
                    .iter()
                    .all(|k| self.nodes[*k].shape.is_square()) =>
            {
                let (x, y) = (self.nodes[a].kids[0], self.nodes[a].kids[1]);
                let (tx, ty) = (self.trace(x), self.trace(y));
                return self.mul(tx, ty);
            }
            _ => {}
        }
        let (coef, scalars, mats) = self.factors(a);
        if !coef.is_one() || !scalars.is_empty() {
            let shape = self.nodes[a].shape.clone();
            let m = self.build_product(Q::one(), vec![], mats, &shape);
            let tr = self.trace(m);
            let out = self.refactor(coef, &scalars, tr);
            return out;
        }
        self.raw(Op::Trace, vec![a], Shape::scalar())
    }

    /// The user function `f` applied elementwise to `a`; of a zero matrix,
    /// `f(0)` in every entry (so no zero of an unstated size is printed
    /// inside an application).
    pub fn call(&mut self, f: &Name, a: Id) -> Result<Id> {
        let s = self.nodes[a].shape.clone();
        if self.nodes[a].op == Op::Zero {
            if let Some((param, body)) = self.fns.get(f).cloned() {
                let zero = self.konst(Q::zero());
                let at0 = self.substitute(body, &param, zero)?;
                let constant = self
                    .postorder(at0)
                    .iter()
                    .all(|&n| !matches!(self.nodes[n].op, Op::Var(_)));
                if constant {
                    let ones = self.ones(&s);
                    return Ok(self.mul(at0, ones));
                }
            }
        }
        Ok(self.raw(Op::Call(f.clone()), vec![a], s))
    }

    /// `\mathrm{sum}(a)`; the sum of a matrix of ones is its number of
    /// entries (`\mathrm{sum}(\mathbf{1}) = n`).
    pub fn sum(&mut self, a: Id) -> Id {
        if self.is_scalar(a) {
            return a;
        }
        if self.is_ones(a) {
            let s = self.nodes[a].shape.clone();
            let (r, c) = (self.dim_scalar(&s.rows), self.dim_scalar(&s.cols));
            return self.mul(r, c);
        }
        if self.nodes[a].op == Op::Identity {
            let d = self.nodes[a].shape.rows.clone();
            return self.dim_scalar(&d);
        }
        // sum(c u v^T) = c sum(u) sum(v): an outer product's entries.
        let (coef, scalars, mats) = self.factors(a);
        if let [x] = mats.as_slice() {
            // Scalars come out of a sum: sum(c s X) = c s sum(X).
            if *x != a && (self.is_ones(*x) || self.nodes[*x].op == Op::Identity) {
                let mut out = self.sum(*x);
                out = self.refactor(coef, &scalars, out);
                return out;
            }
        }
        // The same with a chain after the column: sum(u R) = sum(u) sum(R)
        // when R is one row (so the sizes stay with sum(u), never with an
        // unsized ones vector).
        if mats.len() > 2 && self.shape(mats[0]).cols == Dim::One {
            let rest = self.mul_all(&mats[1..]);
            let (su, sr) = (self.sum(mats[0]), self.sum(rest));
            let mut out = self.mul(su, sr);
            out = self.refactor(coef, &scalars, out);
            return out;
        }
        if let [u, vt] = mats.as_slice() {
            if self.shape(*u).cols == Dim::One && self.shape(*vt).rows == Dim::One {
                let v = self.t(*vt);
                let (su, sv) = (self.sum(*u), self.sum(v));
                let mut out = self.mul(su, sv);
                out = self.refactor(coef, &scalars, out);
                return out;
            }
        }
        self.raw(Op::Sum, vec![a], Shape::scalar())
    }

    /// `\mathrm{unvec}(v)` into `shape`: `\mathrm{unvec}(\mathrm{vec}(X)) = X`,
    /// `\mathrm{unvec}(a \otimes b) = b a^T` (vec of an outer product) and
    /// `\mathrm{unvec}(c (A \otimes B) \mathrm{vec}(X)) = c B X A^T`
    /// (Matrix Cookbook eq. 520, read backwards), where the shapes say so.
    pub fn unvec(&mut self, v: Id, shape: Shape) -> Id {
        let node = self.nodes[v].clone();
        if node.op == Op::Mul {
            let (coef, scalars, mats) = self.factors(v);
            if let [k, x] = mats.as_slice() {
                let (k, x) = (*k, *x);
                if self.nodes[k].op == Op::Kron && self.nodes[x].op == Op::Vec {
                    let (a, b) = (self.nodes[k].kids[0], self.nodes[k].kids[1]);
                    let xm = self.nodes[x].kids[0];
                    let (sa, sb, sx) = (
                        self.nodes[a].shape.clone(),
                        self.nodes[b].shape.clone(),
                        self.nodes[xm].shape.clone(),
                    );
                    if sb.rows == shape.rows
                        && sa.rows == shape.cols
                        && sx.rows == sb.cols
                        && sx.cols == sa.cols
                    {
                        let at = self.t(a);
                        let bx = self.mul(b, xm);
                        let m = self.mul(bx, at);
                        let c = self.konst(coef);
                        let m = self.mul(c, m);
                        return scalars.iter().fold(m, |acc, &s| self.mul(s, acc));
                    }
                }
            }
        }
        match &node.op {
            Op::Vec if self.nodes[node.kids[0]].shape == shape => return node.kids[0],
            Op::Kron => {
                let (a, b) = (node.kids[0], node.kids[1]);
                let (sa, sb) = (self.nodes[a].shape.clone(), self.nodes[b].shape.clone());
                if sa.cols == Dim::One
                    && sb.cols == Dim::One
                    && sb.rows == shape.rows
                    && sa.rows == shape.cols
                {
                    let at = self.t(a);
                    return self.mul(b, at);
                }
            }
            _ => {}
        }
        self.raw(Op::Unvec, vec![v], shape)
    }

    /// A node of a structural operation. Linear ones of a zero operand are
    /// zero (`\mathrm{vec}(0) = 0`), and `\mathrm{softmax}(0) = \frac{1}{n}
    /// \mathbf{1}`, so that no zero of a vector shape is printed where a
    /// reader cannot tell its size.
    pub fn op_node(&mut self, op: Op, kids: Vec<Id>, shape: Shape) -> Id {
        let zero_kid = kids.iter().any(|&k| self.nodes[k].op == Op::Zero);
        let linear = matches!(
            op,
            Op::KronL | Op::KronR | Op::Unvec | Op::Vec | Op::Diag | Op::DiagPart
        );
        if zero_kid && linear {
            return self.zero(&shape);
        }
        // \log|s I_n| = n \log|s|: the size stays with `n`, not an unsized I.
        if op == Op::LogDet && kids.len() == 1 && !self.is_scalar(kids[0]) {
            let (coef, scalars, mats) = self.factors(kids[0]);
            if let [i] = mats.as_slice() {
                if self.nodes[*i].op == Op::Identity {
                    let d = self.nodes[*i].shape.rows.clone();
                    let one = self.one();
                    let s = scalars.iter().fold(one, |acc, &f| self.mul(acc, f));
                    let s = self.scale(coef, s);
                    let l = self.raw(Op::LogDet, vec![s], Shape::scalar());
                    let n = self.dim_scalar(&d);
                    return self.mul(n, l);
                }
            }
        }
        if op == Op::Diag && kids.len() == 1 && self.nodes[kids[0]].op == Op::Ones {
            return self.identity(&shape.rows);
        }
        // logsumexp of a zero vector of length n is \log n (a bare `0`
        // would lose the length, and read back as a scalar).
        if zero_kid && op == Op::LogSumExp {
            let rows = self.nodes[kids[0]].shape.rows.clone();
            let n = self.dim_scalar(&rows);
            return self.func(Func::Log, n);
        }
        if zero_kid && op == Op::Softmax {
            let n = self.dim_scalar(&shape.rows);
            let inv = self.pow(n, -Q::one());
            let ones = self.ones(&shape);
            return self.mul(inv, ones);
        }
        self.raw(op, kids, shape)
    }

    /// A node of a fixed scalar-valued or shape-preserving operation.
    pub fn unary(&mut self, op: Op, a: Id, shape: Shape) -> Id {
        self.op_node(op, vec![a], shape)
    }
}

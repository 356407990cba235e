//! The canonical form, part 1: leaves, sums and products (the identities
//! are listed in the module docs of [`crate::ir`]).

use super::*;

impl Graph {
    /// An exact scalar.
    pub fn konst(&mut self, c: Q) -> Id {
        let bits = self.max_constant_bits;
        if c.numer().bits() > bits || c.denom().bits() > bits {
            // Exact arithmetic on huge literals is unbounded work: stop here
            // and let `check` report the limit by name.
            self.big_constant = true;
            return self.raw(Op::Const(Q::one()), vec![], Shape::scalar());
        }
        self.raw(Op::Const(c), vec![], Shape::scalar())
    }

    /// The scalar 1.
    pub fn one(&mut self) -> Id {
        self.konst(Q::one())
    }

    /// Zero of `shape`.
    pub fn zero(&mut self, shape: &Shape) -> Id {
        if shape.is_scalar() {
            self.konst(Q::zero())
        } else {
            self.raw(Op::Zero, vec![], shape.clone())
        }
    }

    /// Identity of size `d`.
    pub fn identity(&mut self, d: &Dim) -> Id {
        if *d == Dim::One {
            return self.one();
        }
        self.raw(
            Op::Identity,
            vec![],
            Shape {
                rows: d.clone(),
                cols: d.clone(),
            },
        )
    }

    /// The commutation matrix `K_{m,n}`; `K_{m,1} = K_{1,n} = I`.
    pub fn commutation(&mut self, m: &Dim, n: &Dim) -> Id {
        let mn = Dim::mul(m, n);
        if *m == Dim::One || *n == Dim::One {
            return self.identity(&mn);
        }
        self.raw(
            Op::Commutation(m.clone(), n.clone()),
            vec![],
            Shape {
                rows: mn.clone(),
                cols: mn,
            },
        )
    }

    /// A matrix (or vector) of ones of `shape`.
    pub fn ones(&mut self, shape: &Shape) -> Id {
        if shape.is_scalar() {
            return self.one();
        }
        let col = |g: &mut Graph, d: &Dim| {
            g.raw(
                Op::Ones,
                vec![],
                Shape {
                    rows: d.clone(),
                    cols: Dim::One,
                },
            )
        };
        if shape.rows == Dim::One {
            let c = col(self, &shape.cols);
            return self.t(c);
        }
        let r = col(self, &shape.rows);
        if shape.cols == Dim::One {
            return r;
        }
        let c = col(self, &shape.cols);
        let ct = self.t(c);
        self.mul(r, ct)
    }

    /// A free input.
    pub fn var(&mut self, name: &Name, shape: Shape) -> Id {
        self.raw(Op::Var(name.clone()), vec![], shape)
    }

    /// The constant value of a scalar constant node.
    pub fn const_value(&self, id: Id) -> Option<&Q> {
        match &self.nodes[id].op {
            Op::Const(c) => Some(c),
            _ => None,
        }
    }

    /// `(c, t)` with `id = c · t` and `t` free of a leading constant.
    pub fn split_coef(&mut self, id: Id) -> (Q, Id) {
        match &self.nodes[id].op {
            Op::Const(c) => {
                let c = c.clone();
                (c, self.one())
            }
            Op::Mul => {
                let (a, b) = (self.nodes[id].kids[0], self.nodes[id].kids[1]);
                match self.const_value(a) {
                    Some(c) => (c.clone(), b),
                    None => (Q::one(), id),
                }
            }
            _ => (Q::one(), id),
        }
    }

    /// The summands of `id` with their coefficients.
    pub fn terms(&mut self, id: Id) -> Vec<(Q, Id)> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(x) = stack.pop() {
            if self.nodes[x].op == Op::Add {
                stack.push(self.nodes[x].kids[1]);
                stack.push(self.nodes[x].kids[0]);
            } else {
                out.push(self.split_coef(x));
            }
        }
        out
    }

    /// `c · t`.
    pub fn scale(&mut self, c: Q, t: Id) -> Id {
        if c.is_zero() {
            let s = self.nodes[t].shape.clone();
            return self.zero(&s);
        }
        if self.const_value(t).is_some_and(|v| v.is_one()) {
            return self.konst(c);
        }
        if c.is_one() {
            return t;
        }
        let k = self.konst(c);
        self.mul(k, t)
    }

    /// The sum of coefficient–term pairs, like terms collected, in order.
    pub fn sum_terms(&mut self, terms: &[(Q, Id)], shape: &Shape) -> Id {
        let mut merged: Vec<(Q, Id)> = Vec::new();
        // Like terms found by hashing, so a sum of n terms costs O(n).
        let mut index: std::collections::HashMap<Vec<Id>, usize> = std::collections::HashMap::new();
        for (c, t) in terms {
            for (c2, t2) in self.terms(*t) {
                let c = c * &c2;
                // A ones term is the scalar 1 added to every entry: `\mathbf{1}
                // - p` and `1 - p` are one sum.
                let t2 = if self.nodes[t2].op == Op::Ones && !shape.is_scalar() {
                    self.one()
                } else {
                    t2
                };
                let key = self.term_key(t2);
                match index.get(&key) {
                    Some(&i) => merged[i].0 += c,
                    None => {
                        index.insert(key, merged.len());
                        merged.push((c, t2));
                    }
                }
            }
        }
        merged.retain(|(c, t)| !c.is_zero() && !matches!(self.nodes[*t].op, Op::Zero));
        let mut acc: Option<Id> = None;
        for (c, t) in merged {
            let x = self.scale(c, t);
            acc = Some(match acc {
                None => x,
                Some(a) => {
                    let sa = self.nodes[a].shape.clone();
                    let sx = self.nodes[x].shape.clone();
                    let s = if sa.is_scalar() { sx } else { sa };
                    self.raw(Op::Add, vec![a, x], s)
                }
            });
        }
        match acc {
            // Only broadcast scalars are left (`\alpha + x - x`): the sum
            // keeps its shape, `\alpha \mathbf{1}`.
            Some(a) if self.is_scalar(a) && !shape.is_scalar() => {
                let ones = self.ones(shape);
                self.mul(a, ones)
            }
            Some(a) => a,
            None => self.zero(shape),
        }
    }

    /// `a + b`.
    pub fn add(&mut self, a: Id, b: Id) -> Id {
        let sa = self.nodes[a].shape.clone();
        let sb = self.nodes[b].shape.clone();
        let s = if sa.is_scalar() { sb } else { sa };
        self.sum_terms(&[(Q::one(), a), (Q::one(), b)], &s)
    }

    /// `-a`.
    pub fn neg(&mut self, a: Id) -> Id {
        self.scale(-Q::one(), a)
    }

    pub(super) fn factor_into(
        &mut self,
        id: Id,
        top: bool,
        coef: &mut Q,
        scalars: &mut Vec<Id>,
        mats: &mut Vec<Id>,
    ) {
        let node = self.nodes[id].clone();
        match &node.op {
            Op::Const(c) => *coef *= c.clone(),
            Op::Mul => {
                let (a, b) = (node.kids[0], node.kids[1]);
                let inner_product =
                    node.shape.is_scalar() && !self.is_scalar(a) && !self.is_scalar(b);
                // A 1×1 product of matrices (an inner product) is one scalar
                // factor of any product it enters, never part of its matrix
                // chain; only at the top (printing its own factors) is it
                // opened.
                if top || !inner_product {
                    self.factor_into(a, false, coef, scalars, mats);
                    self.factor_into(b, false, coef, scalars, mats);
                } else {
                    // An inner product is one scalar factor; its own scalars
                    // and constant come out (`(s x^T)(A x)` is `s x^T A x`).
                    let (mut c2, mut s2, mut m2) = (Q::one(), Vec::new(), Vec::new());
                    self.factor_into(a, false, &mut c2, &mut s2, &mut m2);
                    self.factor_into(b, false, &mut c2, &mut s2, &mut m2);
                    if c2.is_one() && s2.is_empty() {
                        scalars.push(id);
                    } else {
                        *coef *= c2;
                        scalars.extend(s2);
                        let ip = self.build_product(Q::one(), vec![], m2, &Shape::scalar());
                        scalars.push(ip);
                    }
                }
            }
            _ if node.shape.is_scalar() => scalars.push(id),
            _ => mats.push(id),
        }
    }

    /// The canonical factors of a product: coefficient, scalar factors
    /// (sorted), matrix factors (in order).
    pub fn factors(&mut self, id: Id) -> (Q, Vec<Id>, Vec<Id>) {
        let mut coef = Q::one();
        let (mut s, mut m) = (Vec::new(), Vec::new());
        self.factor_into(id, true, &mut coef, &mut s, &mut m);
        (coef, s, m)
    }

    /// The factors of `id` as an operand of a larger product: an inner
    /// product stays one scalar factor (identity: (x^T a) B is a scaling).
    pub(super) fn operand_factors(&mut self, id: Id) -> (Q, Vec<Id>, Vec<Id>) {
        let mut coef = Q::one();
        let (mut s, mut m) = (Vec::new(), Vec::new());
        self.factor_into(id, false, &mut coef, &mut s, &mut m);
        (coef, s, m)
    }

    /// Sort key of a scalar factor: names first, alphabetically ignoring case.
    pub(super) fn scalar_key(&self, id: Id) -> (u8, String, Id) {
        match &self.nodes[id].op {
            Op::Var(n) | Op::Def(n) => (0, n.ident().to_lowercase(), id),
            _ => (1, String::new(), id),
        }
    }

    /// A matrix factor as (base, integer exponent): `X^{-1}` is (X, -1),
    /// `X^3` is (X, 3), `(X^{-1})^2` is (X, -2).
    pub(super) fn mat_power(&self, id: Id) -> (Id, i64) {
        let n = &self.nodes[id];
        match &n.op {
            Op::Inv => {
                let k = n.kids[0];
                match &self.nodes[k].op {
                    Op::MatPow(p) => (self.nodes[k].kids[0], -(*p as i64)),
                    _ => (k, -1),
                }
            }
            Op::MatPow(p) => {
                let k = n.kids[0];
                match &self.nodes[k].op {
                    Op::Inv => (self.nodes[k].kids[0], -(*p as i64)),
                    _ => (k, *p as i64),
                }
            }
            _ => (id, 1),
        }
    }

    pub(super) fn power_node(&mut self, base: Id, e: i64) -> Id {
        let s = self.nodes[base].shape.clone();
        let mag = e.unsigned_abs().min(u32::MAX as u64) as u32;
        let b = if e < 0 {
            self.raw(Op::Inv, vec![base], s.clone())
        } else {
            base
        };
        if mag == 1 {
            b
        } else {
            self.raw(Op::MatPow(mag), vec![b], s)
        }
    }

    /// Merge adjacent powers of the same matrix (`X^{-1} X = I`, `X X = X^2`).
    pub(super) fn merge_powers(&mut self, mats: &[Id]) -> Vec<Id> {
        let mut stack: Vec<(Id, i64)> = Vec::new();
        for &m in mats {
            let (b, e) = self.mat_power(m);
            // Only a square base has powers: X X = X^2 needs cols = rows.
            let square = self.nodes[b].shape.is_square();
            match stack.last_mut() {
                Some(top) if top.0 == b && square => {
                    top.1 += e;
                    if top.1 == 0 {
                        stack.pop();
                    }
                }
                _ => stack.push((b, e)),
            }
        }
        stack
            .into_iter()
            .map(|(b, e)| self.power_node(b, e))
            .collect()
    }

    /// `(A B C)^{-1}` of square factors as `C^{-1} B^{-1} A^{-1}`, or `None`.
    pub(super) fn expand_inverse(&mut self, id: Id) -> Option<Vec<Id>> {
        if self.nodes[id].op != Op::Inv {
            return None;
        }
        let k = self.nodes[id].kids[0];
        if self.nodes[k].op != Op::Mul {
            return None;
        }
        let (coef, scalars, mats) = self.factors(k);
        if !coef.is_one() || !scalars.is_empty() || mats.len() < 2 {
            return None;
        }
        if !mats.iter().all(|m| self.nodes[*m].shape.is_square()) {
            return None;
        }
        Some(mats.into_iter().rev().map(|m| self.inv(m)).collect())
    }

    pub(super) fn build_product(
        &mut self,
        mut coef: Q,
        scalars: Vec<Id>,
        mats: Vec<Id>,
        shape: &Shape,
    ) -> Id {
        if coef.is_zero() || mats.iter().any(|m| self.nodes[*m].op == Op::Zero) {
            return self.zero(shape);
        }
        // `\mathbf{1}^T \mathbf{1} = n` wherever the pair meets in a chain.
        let mut mats = mats;
        let mut scalars = scalars;
        let mut i = 0;
        while i + 1 < mats.len() {
            let (l, r) = (mats[i], mats[i + 1]);
            let ones_t = self.nodes[l].op == Op::Transpose && self.nodes[l].kids[0] == r;
            if ones_t && self.nodes[r].op == Op::Ones {
                let d = self.nodes[r].shape.rows.clone();
                let n = self.dim_scalar(&d);
                match self.const_value(n) {
                    Some(c) => coef *= c.clone(),
                    None => scalars.push(n),
                }
                mats.drain(i..i + 2);
            } else if self.point_symmetry
                && (self.is_ones_row(l) && self.is_simplex_var(r)
                    || self.is_ones_col(r)
                        && self.nodes[l].op == Op::Transpose
                        && self.is_simplex_var(self.nodes[l].kids[0]))
            {
                // `\mathbf{1}^T y = y^T \mathbf{1} = 1` for a probability
                // vector, at the points answers are evaluated at (never
                // inside the function).
                mats.drain(i..i + 2);
            } else if let Some(rest) = self.reciprocal_inner(l, r) {
                // `u^T (u^{\odot -1} \odot v) = \mathbf{1}^T v`: one scalar factor.
                scalars.push(rest);
                mats.drain(i..i + 2);
            } else {
                i += 1;
            }
        }
        // Scalars: sorted by base, equal bases merged into one power.
        let mut sc: Vec<(Id, Q)> = scalars
            .iter()
            .map(|&s| match &self.nodes[s].op {
                Op::Pow(q) => (self.nodes[s].kids[0], q.clone()),
                _ => (s, Q::one()),
            })
            .collect();
        sc.sort_by_key(|(b, _)| self.scalar_key(*b));
        let mut merged: Vec<(Id, Q)> = Vec::new();
        for (b, q) in sc {
            match merged.last_mut() {
                Some(top) if top.0 == b => top.1 += q,
                _ => merged.push((b, q)),
            }
        }
        let mut scalars = Vec::new();
        for (b, q) in merged {
            if !q.is_zero() {
                scalars.push(self.pow(b, q));
            }
        }
        let n = mats.len();
        let plain: Vec<Id> = mats
            .iter()
            .copied()
            .filter(|m| !(n > 1 && self.nodes[*m].op == Op::Identity))
            .collect();
        let mut mats2 = self.merge_powers(&plain);
        // Expand an inverse of a product only where factors then cancel.
        if plain.iter().any(|m| self.nodes[*m].op == Op::Inv) {
            let mut expanded = Vec::new();
            for &m in &plain {
                match self.expand_inverse(m) {
                    Some(xs) => expanded.extend(xs),
                    None => expanded.push(m),
                }
            }
            if expanded.len() != plain.len() {
                let e = self.merge_powers(&expanded);
                if e.len() < mats2.len() {
                    mats2 = e;
                }
            }
        }
        if mats2.is_empty() && n > 0 {
            // Only identities: keep one, of the product's shape.
            let id = self.identity(&shape.rows);
            mats2.push(id);
        }
        debug_assert!(
            mats2
                .windows(2)
                .all(|w| self.nodes[w[0]].shape.cols == self.nodes[w[1]].shape.rows),
            "a matrix chain whose shapes do not fit"
        );
        // A chain that makes a column is grouped right to left, as a
        // textbook draws it (`W^T (W x)`), unless a partial product would be
        // 1×1 (an inner product is a scalar factor of its own).
        let rightward = mats2.len() > 2
            && shape.cols == Dim::One
            && shape.rows != Dim::One
            && mats2[1..]
                .iter()
                .all(|&m| self.nodes[m].shape.rows != Dim::One);
        let mut chain: Option<Id> = None;
        if rightward {
            for &f in mats2.iter().rev() {
                chain = Some(match chain {
                    None => f,
                    Some(b) => self.raw_product(f, b),
                });
            }
            mats2 = chain.into_iter().collect();
        }
        let mut acc: Option<Id> = None;
        for f in scalars.into_iter().chain(mats2) {
            acc = Some(match acc {
                None => f,
                Some(a) => self.raw_product(a, f),
            });
        }
        let Some(body) = acc else {
            return self.konst(coef);
        };
        if let Some(c) = self.const_value(body).cloned() {
            return self.konst(coef * c);
        }
        if coef.is_one() {
            return body;
        }
        let k = self.konst(coef);
        let s = self.nodes[body].shape.clone();
        self.raw(Op::Mul, vec![k, body], s)
    }

    /// `\mathbf{1}^T`, a row of ones.
    fn is_ones_row(&self, id: Id) -> bool {
        self.nodes[id].op == Op::Transpose && self.is_ones_col(self.nodes[id].kids[0])
    }

    /// `\mathbf{1}`, a column of ones.
    fn is_ones_col(&self, id: Id) -> bool {
        self.nodes[id].op == Op::Ones
    }

    /// A variable declared a probability vector (`y \in \Delta^{C}`).
    fn is_simplex_var(&self, id: Id) -> bool {
        matches!(&self.nodes[id].op, Op::Var(n) if self.vars.get(n).is_some_and(|v| v.simplex))
    }

    /// `a b` as one node, no identity applied.
    fn raw_product(&mut self, a: Id, f: Id) -> Id {
        let (sa, sf) = (self.nodes[a].shape.clone(), self.nodes[f].shape.clone());
        let s = Shape::product(&sa, &sf).unwrap_or(Shape {
            rows: sa.rows,
            cols: sf.cols,
        });
        self.raw(Op::Mul, vec![a, f], s)
    }

    /// A dimension used as a scalar (`\mathrm{tr}(I_n) = n`).
    pub fn dim_scalar(&mut self, d: &Dim) -> Id {
        match d {
            Dim::One => self.one(),
            Dim::Num(n) => self.konst(Q::from_integer(BigInt::from(*n))),
            Dim::Mul(a, b) => {
                let (x, y) = (self.dim_scalar(a), self.dim_scalar(b));
                self.mul(x, y)
            }
            Dim::Sym(s) => {
                let name = match Name::from_cli(s) {
                    Some(n) if n.ident() == *s => n,
                    _ => Name {
                        base: s.clone(),
                        kind: crate::syntax::ast::NameKind::Word,
                        sub: None,
                    },
                };
                self.vars.entry(name.clone()).or_insert(VarInfo {
                    shape: Shape::scalar(),
                    symmetric: false,
                    spd: false,
                    positive: true,
                    simplex: false,
                    is_dim: true,
                    declared: false,
                });
                self.var(&name, Shape::scalar())
            }
        }
    }

    /// `a b`: matrix product, or scaling when either is 1×1.
    pub fn mul(&mut self, a: Id, b: Id) -> Id {
        let (sa, sb) = (self.nodes[a].shape.clone(), self.nodes[b].shape.clone());
        let shape = Shape::product(&sa, &sb).unwrap_or(Shape {
            rows: sa.rows,
            cols: sb.cols,
        });
        let (mut coef, mut s, mut m) = self.operand_factors(a);
        let (c2, s2, m2) = self.operand_factors(b);
        coef *= c2;
        s.extend(s2);
        m.extend(m2);
        self.build_product(coef, s, m, &shape)
    }

    /// Product of many factors, left to right.
    pub fn mul_all(&mut self, xs: &[Id]) -> Id {
        let mut acc = self.one();
        for &x in xs {
            acc = self.mul(acc, x);
        }
        acc
    }

    /// `a \odot b`; a 1×1 operand scales.
    pub fn had(&mut self, a: Id, b: Id) -> Id {
        if self.is_scalar(a) || self.is_scalar(b) {
            return self.mul(a, b);
        }
        if self.nodes[a].op == Op::Zero || self.nodes[b].op == Op::Zero {
            let s = self.nodes[a].shape.clone();
            return self.zero(&s);
        }
        if self.is_ones(a) {
            return b;
        }
        if self.is_ones(b) {
            return a;
        }
        // `(s \mathbf{1}) \odot B = s B` for a scalar `s`.
        for (x, y) in [(a, b), (b, a)] {
            if let Some(s) = self.scaled_ones(x) {
                return self.mul(s, y);
            }
        }
        let (ca, a) = self.split_coef(a);
        let (cb, b) = self.split_coef(b);
        let s = self.nodes[a].shape.clone();
        // Operands as (base, elementwise power); equal bases merge
        // (`x \odot x^{\odot -1}` is ones), first occurrence keeps its place.
        let mut ops: Vec<(Id, Q)> = Vec::new();
        for x in self.had_operands(a).into_iter().chain(self.had_operands(b)) {
            let (base, q) = match &self.nodes[x].op {
                Op::Pow(q) => (self.nodes[x].kids[0], q.clone()),
                _ => (x, Q::one()),
            };
            match ops.iter_mut().find(|(bb, _)| *bb == base) {
                Some(slot) => slot.1 += q,
                None => ops.push((base, q)),
            }
        }
        self.sigmoid_pairs(&mut ops);
        let mut acc: Option<Id> = None;
        for (base, q) in ops {
            if q.is_zero() {
                continue;
            }
            let x = self.pow(base, q);
            acc = Some(match acc {
                None => x,
                Some(y) => self.raw(Op::Had, vec![y, x], s.clone()),
            });
        }
        let h = match acc {
            Some(h) => h,
            None => self.ones(&s),
        };
        self.scale(ca * cb, h)
    }

    /// `s` when `id` is `s \mathbf{1}` (a scalar times the ones).
    fn scaled_ones(&mut self, id: Id) -> Option<Id> {
        if self.nodes[id].op != Op::Mul {
            return None;
        }
        let (coef, scalars, mats) = self.factors(id);
        if mats.len() != 1 || !self.is_ones(mats[0]) {
            return None;
        }
        let mut s = self.konst(coef);
        for x in scalars {
            s = self.mul(s, x);
        }
        Some(s)
    }

    /// `\mathbf{1}^T v` when `l r` is `u^T (u^{\odot -1} \odot v)` for column
    /// vectors (the softmax cross-entropy's `s^T (s^{\odot -1} \odot y)`).
    fn reciprocal_inner(&mut self, l: Id, r: Id) -> Option<Id> {
        if self.nodes[l].op != Op::Transpose || self.nodes[r].op != Op::Had {
            return None;
        }
        let u = self.nodes[l].kids[0];
        if self.nodes[u].shape.cols != Dim::One || self.nodes[r].shape.cols != Dim::One {
            return None;
        }
        let ops = self.had_operands(r);
        let k = ops
            .iter()
            .position(|&x| self.nodes[x].op == Op::Pow(-Q::one()) && self.nodes[x].kids[0] == u)?;
        let rest: Vec<Id> = ops
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != k)
            .map(|(_, &x)| x)
            .collect();
        let mut v = *rest.first()?;
        for &x in &rest[1..] {
            v = self.had(v, x);
        }
        let s = self.nodes[u].shape.clone();
        let ones = self.ones(&s);
        let ot = self.t(ones);
        Some(self.mul(ot, v))
    }

    /// `u` where `id` is `1 + \exp(u)` (the one a scalar or the ones).
    pub(super) fn one_plus_exp(&mut self, id: Id) -> Option<Id> {
        if self.nodes[id].op != Op::Add {
            return None;
        }
        let terms = self.terms(id);
        let [(c1, t1), (c2, t2)] = terms.as_slice() else {
            return None;
        };
        if !c1.is_one() || !c2.is_one() {
            return None;
        }
        let is_one = |g: &Self, t: Id| g.const_value(t).is_some_and(|c| c.is_one()) || g.is_ones(t);
        let e = if is_one(self, *t1) {
            *t2
        } else if is_one(self, *t2) {
            *t1
        } else {
            return None;
        };
        match self.nodes[e].op {
            Op::Func(Func::Exp) => Some(self.nodes[e].kids[0]),
            _ => None,
        }
    }

    /// `\exp(u) \odot (1 + \exp(u))^{\odot -1} = \sigma(u)` and
    /// `\exp(u) \odot \sigma(-u) = \sigma(u)` among Hadamard operands (base,
    /// power): the pair becomes one operand `\sigma(u)`.
    fn sigmoid_pairs(&mut self, ops: &mut Vec<(Id, Q)>) {
        let mut i = 0;
        while i < ops.len() {
            let (base, q) = ops[i].clone();
            // `\sinh(u) \odot \cosh(u)^{\odot -1} = \tanh(u)`.
            if let (Op::Func(Func::Sinh), true) = (&self.nodes[base].op, q.is_one()) {
                let u = self.nodes[base].kids[0];
                let cosh = (0..ops.len()).find(|&j| {
                    ops[j].1 == -Q::one()
                        && self.nodes[ops[j].0].op == Op::Func(Func::Cosh)
                        && self.nodes[ops[j].0].kids[0] == u
                });
                if let Some(j) = cosh {
                    ops[i] = (self.func(Func::Tanh, u), Q::one());
                    ops.remove(j);
                    i = 0;
                    continue;
                }
            }
            let u = match (&self.nodes[base].op, q.is_one()) {
                (Op::Func(Func::Exp), true) => self.nodes[base].kids[0],
                _ => {
                    i += 1;
                    continue;
                }
            };
            // `(1 + \exp(u))^{\odot -1}`, or `\sigma(-u)` (the constructor's own
            // form of `(1 + \exp(u))^{-1}` when `u` is a negation).
            let neg_u = self.neg(u);
            let partner = (0..ops.len()).find(|&j| {
                j != i
                    && ((ops[j].1 == -Q::one() && self.one_plus_exp(ops[j].0) == Some(u))
                        || (ops[j].1.is_one()
                            && self.nodes[ops[j].0].op == Op::Func(Func::Sigmoid)
                            && self.nodes[ops[j].0].kids[0] == neg_u))
            });
            match partner {
                Some(j) => {
                    let sig = self.func(Func::Sigmoid, u);
                    ops[i] = (sig, Q::one());
                    ops.remove(j);
                    if j < i {
                        i -= 1;
                    }
                    i += 1;
                }
                None => i += 1,
            }
        }
    }

    pub(super) fn had_operands(&self, id: Id) -> Vec<Id> {
        if self.nodes[id].op == Op::Had {
            let k = &self.nodes[id].kids;
            let mut v = self.had_operands(k[0]);
            v.extend(self.had_operands(k[1]));
            v
        } else {
            vec![id]
        }
    }

    /// The identity of a term up to the order of Hadamard operands.
    pub(super) fn term_key(&self, id: Id) -> Vec<Id> {
        if self.nodes[id].op == Op::Had {
            let mut v = self.had_operands(id);
            v.sort();
            v
        } else {
            vec![id]
        }
    }

    /// `a \otimes b`.
    pub fn kron(&mut self, a: Id, b: Id) -> Id {
        if self.is_scalar(a) || self.is_scalar(b) {
            return self.mul(a, b);
        }
        let (sa, sb) = (self.nodes[a].shape.clone(), self.nodes[b].shape.clone());
        let (ca, a) = self.split_coef(a);
        let (cb, b) = self.split_coef(b);
        let s = Shape::kron(&sa, &sb);
        if self.nodes[a].op == Op::Zero || self.nodes[b].op == Op::Zero {
            return self.zero(&s);
        }
        // I_m ⊗ I_n = I_{mn}.
        if self.nodes[a].op == Op::Identity && self.nodes[b].op == Op::Identity {
            let i = self.identity(&s.rows);
            return self.scale(ca * cb, i);
        }
        let k = self.raw(Op::Kron, vec![a, b], s);
        self.scale(ca * cb, k)
    }
}

//! Dimension unification: union-find over dimension variables, each
//! bound to 1, a number, a symbol or a product of two.

use super::*;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum DimBound {
    Free,
    One,
    Num(u64),
    Sym(usize),
    Mul(DVar, DVar),
}

/// Union-find over dimension variables.
#[derive(Clone, Debug, Default)]
pub(super) struct Unifier {
    pub(super) parent: Vec<DVar>,
    pub(super) bound: Vec<DimBound>,
    pub(super) syms: Vec<String>,
}

impl Unifier {
    pub(super) fn fresh(&mut self) -> DVar {
        self.parent.push(self.parent.len());
        self.bound.push(DimBound::Free);
        self.parent.len() - 1
    }
    pub(super) fn one(&mut self) -> DVar {
        let v = self.fresh();
        self.bound[v] = DimBound::One;
        v
    }
    pub(super) fn num(&mut self, n: u64) -> DVar {
        if n == 1 {
            return self.one();
        }
        let v = self.fresh();
        self.bound[v] = DimBound::Num(n);
        v
    }
    pub(super) fn sym(&mut self, s: &str) -> DVar {
        let i = match self.syms.iter().position(|x| x == s) {
            Some(i) => i,
            None => {
                self.syms.push(s.to_string());
                self.syms.len() - 1
            }
        };
        let v = self.fresh();
        self.bound[v] = DimBound::Sym(i);
        v
    }
    pub(super) fn mul(&mut self, a: DVar, b: DVar) -> DVar {
        if self.is_one(a) {
            return b;
        }
        if self.is_one(b) {
            return a;
        }
        // Known numbers multiply out: `2 \cdot 2` is the dimension 4.
        if let (Some((x, sx)), Some((y, sy))) = (self.monomial(a), self.monomial(b)) {
            if sx.is_empty() && sy.is_empty() {
                if let Some(n) = x.checked_mul(y) {
                    return self.num(n);
                }
            }
        }
        let v = self.fresh();
        self.bound[v] = DimBound::Mul(a, b);
        v
    }
    pub(super) fn find(&mut self, v: DVar) -> DVar {
        let mut r = v;
        while self.parent[r] != r {
            r = self.parent[r];
        }
        let mut c = v;
        while self.parent[c] != r {
            let n = self.parent[c];
            self.parent[c] = r;
            c = n;
        }
        r
    }
    pub(super) fn is_one(&mut self, v: DVar) -> bool {
        let r = self.find(v);
        self.bound[r] == DimBound::One
    }
    /// A fully known dimension as number × sorted symbols (`None` while any
    /// part is open): the one form two products are compared in, so that
    /// `m n = n m` and `2 \cdot 2 = 4`.
    pub(super) fn monomial(&mut self, v: DVar) -> Option<(u64, Vec<usize>)> {
        let r = self.find(v);
        match self.bound[r] {
            DimBound::Free => None,
            DimBound::One => Some((1, vec![])),
            DimBound::Num(n) => Some((n, vec![])),
            DimBound::Sym(i) => Some((1, vec![i])),
            DimBound::Mul(a, b) => {
                let (x, mut sx) = self.monomial(a)?;
                let (y, sy) = self.monomial(b)?;
                sx.extend(sy);
                sx.sort_unstable();
                Some((x.checked_mul(y)?, sx))
            }
        }
    }
    /// Unify; false on a conflict.
    pub(super) fn unify(&mut self, a: DVar, b: DVar) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return true;
        }
        let (ba, bb) = (self.bound[ra], self.bound[rb]);
        // Two known dimensions are equal when their canonical forms are.
        if let (Some(ma), Some(mb)) = (self.monomial(ra), self.monomial(rb)) {
            if ma != mb {
                return false;
            }
            self.parent[rb] = ra;
            return true;
        }
        // A product with one open factor against a known size: the factor
        // is the quotient (`d n = n p` gives `d = p`, the size of the `I`
        // in `I \otimes A`).
        let free = |b: DimBound| matches!(b, DimBound::Free);
        if !free(ba) && !free(bb) {
            if let Some(ok) = self.solve_product(ra, rb) {
                return ok;
            }
        }
        // Occurs check: `d = d n` has no finite solution (but n = 1), and
        // binding it would make every later read of `d` recurse forever.
        if (free(ba) && self.occurs(ra, rb)) || (free(bb) && self.occurs(rb, ra)) {
            return false;
        }
        let merged = match (ba, bb) {
            (DimBound::Free, x) | (x, DimBound::Free) => x,
            (DimBound::One, DimBound::One) => DimBound::One,
            (DimBound::Num(x), DimBound::Num(y)) if x == y => ba,
            (DimBound::Sym(x), DimBound::Sym(y)) if x == y => ba,
            (DimBound::Mul(a1, b1), DimBound::Mul(a2, b2)) => {
                if !(self.unify(a1, a2) && self.unify(b1, b2)) {
                    return false;
                }
                ba
            }
            _ => return false,
        };
        let (ra, rb) = (self.find(ra), self.find(rb));
        self.parent[rb] = ra;
        self.bound[ra] = merged;
        true
    }
}

impl Unifier {
    /// Whether the root `r` occurs inside the dimension `v` (as a factor of
    /// a product), `v` itself excluded.
    fn occurs(&mut self, r: DVar, v: DVar) -> bool {
        let rv = self.find(v);
        match self.bound[rv] {
            DimBound::Mul(a, b) => {
                let (ra, rb) = (self.find(a), self.find(b));
                ra == r || rb == r || self.occurs(r, a) || self.occurs(r, b)
            }
            _ => false,
        }
    }

    /// Coefficient, symbols and open variables of a dimension.
    fn partial(&mut self, v: DVar, open: &mut Vec<DVar>) -> Option<(u64, Vec<usize>)> {
        let r = self.find(v);
        match self.bound[r] {
            DimBound::Free => {
                open.push(r);
                Some((1, vec![]))
            }
            DimBound::One => Some((1, vec![])),
            DimBound::Num(n) => Some((n, vec![])),
            DimBound::Sym(i) => Some((1, vec![i])),
            DimBound::Mul(a, b) => {
                let (x, mut sx) = self.partial(a, open)?;
                let (y, sy) = self.partial(b, open)?;
                sx.extend(sy);
                sx.sort_unstable();
                Some((x.checked_mul(y)?, sx))
            }
        }
    }

    /// `Some(result)` when exactly one side has exactly one open factor:
    /// that factor is bound to the quotient (false when there is none);
    /// `None` leaves the pair to structural unification.
    fn solve_product(&mut self, a: DVar, b: DVar) -> Option<bool> {
        let (mut oa, mut ob) = (Vec::new(), Vec::new());
        let ka = self.partial(a, &mut oa)?;
        let kb = self.partial(b, &mut ob)?;
        let (open, (kc, ks), (tc, ts)) = match (oa.as_slice(), ob.as_slice()) {
            ([x], []) => (*x, ka, kb),
            ([], [x]) => (*x, kb, ka),
            _ => return None,
        };
        if kc == 0 || tc % kc != 0 {
            return Some(false);
        }
        let mut rest = ts;
        for s in ks {
            match rest.iter().position(|&t| t == s) {
                Some(i) => {
                    rest.remove(i);
                }
                None => return Some(false),
            }
        }
        let mut q = self.num(tc / kc);
        for s in rest {
            let name = self.syms[s].clone();
            let sv = self.sym(&name);
            q = self.mul(q, sv);
        }
        Some(self.unify(open, q))
    }
}

pub(super) fn shape_of(u: &mut Unifier, names: &HashMap<DVar, String>, d: (DVar, DVar)) -> Shape {
    Shape {
        rows: dim_of(u, names, d.0),
        cols: dim_of(u, names, d.1),
    }
}

pub(super) fn dim_of(u: &mut Unifier, names: &HashMap<DVar, String>, v: DVar) -> Dim {
    let r = u.find(v);
    match u.bound[r] {
        DimBound::One => Dim::One,
        DimBound::Num(n) => Dim::Num(n),
        DimBound::Sym(i) => Dim::Sym(u.syms[i].clone()),
        DimBound::Mul(a, b) => Dim::mul(&dim_of(u, names, a), &dim_of(u, names, b)),
        DimBound::Free => Dim::Sym(names.get(&r).cloned().unwrap_or_else(|| format!("n{r}"))),
    }
}

pub(super) fn dim_names(d: &DimAst) -> Vec<&Name> {
    match d {
        DimAst::Sym(n, _) => vec![n],
        DimAst::Int(_) => vec![],
        DimAst::Prod(ds) => ds.iter().flat_map(dim_names).collect(),
    }
}

pub(super) fn dim_var(u: &mut Unifier, d: &DimAst) -> DVar {
    match d {
        DimAst::Int(k) => u.num(*k),
        DimAst::Sym(s, _) => u.sym(&s.ident()),
        DimAst::Prod(ds) => {
            let mut acc = u.one();
            for x in ds {
                let v = dim_var(u, x);
                acc = u.mul(acc, v);
            }
            acc
        }
    }
}

//! Stage 3: the typed, hash-consed expression graph every later stage shares.
//!
//! Nodes are built only through smart constructors that keep a canonical
//! form, so that equal expressions are the same node. Construction never
//! changes meaning: every identity the constructors apply is listed here,
//! and each has a named test that evaluates both sides on random instances
//! (`tests/canon.rs`, with the non-goals beside the goals).
//!
//! | identity | constructor |
//! |---|---|
//! | `c (s A) (t B) = (c s t) A B`: scalars and constants to the front, sorted | `mul` |
//! | an inner product `(x^T a)` is one scalar factor, never opened into a chain | `mul` |
//! | `A I = A` between matrices; `I I = I` | `mul` |
//! | `X X = X^2`, `X^{-1} X = I` for a square base only | `mul` |
//! | `(A B)^{-1} = B^{-1} A^{-1}` only where factors then cancel | `mul` |
//! | `\mathbf{1}^T \mathbf{1} = n` | `mul` |
//! | `s^p s^q = s^{p+q}` for scalar factors | `mul` |
//! | like terms collected, zero terms dropped, in first-seen order | `add` |
//! | a sum whose matrix terms cancel keeps its shape: `\alpha + x - x = \alpha \mathbf{1}` | `add` |
//! | `(A B)^T = B^T A^T`, `(A^T)^T = A`, `(A^{-1})^T = (A^T)^{-1}`, `(A \odot B)^T`, `(A \otimes B)^T` | `t` |
//! | `K^T = K` for structurally symmetric `K` (`X X^T`, `A + A^T`, palindromic products); for a declared `\mathbb{S}` input only in answers | `t` |
//! | `(A^{-1})^{-1} = A`, `I^{-1} = I`, `(c s A)^{-1} = c^{-1} s^{-1} A^{-1}` | `inv` |
//! | `(x^p)^k = x^{pk}` for integer `k`; exact powers of constants | `pow` |
//! | `s \odot A = s A`; `\mathbf{1} \odot B = B`; `x^{\odot p} \odot x^{\odot q} = x^{\odot (p+q)}`; `0 \odot B = 0` | `had` |
//! | `s \otimes A = s A`; constants out; `0 \otimes B = 0` | `kron` |
//! | `\mathrm{tr}(s) = s`, `\mathrm{tr}(I_n) = n`, `\mathrm{tr}(A \otimes B) = \mathrm{tr} A\, \mathrm{tr} B`, scalars out | `trace` |
//! | `\mathrm{sum}` of ones, of `I`, of an outer product `u v^T = \mathrm{sum}(u)\,\mathrm{sum}(v)`, scalars out | `sum` |
//! | `\mathrm{diag}(u v^T) = u \odot v`, `\mathrm{diag}(I) = \mathbf{1}`, `\mathrm{diag}(\mathbf{1}) = I` | `diag_part`, `op_node` |
//! | `\mathrm{unvec}(\mathrm{vec}\, X) = X`, `\mathrm{unvec}(a \otimes b) = b a^T` | `unvec` |
//! | linear operations of 0 are 0; `f(0)` of a zero matrix is `f(0) \mathbf{1}`; `\exp(0) = 1`, `\log(1) = 0`, … | `func`, `call`, `op_node` |
//! | a subexpression equal to a definition's body is that defined name | `intern` |
//!
//! Non-goals (never applied): commutativity of matrix products, `(AB)^T =
//! A^T B^T`, `\mathrm{tr}(AB) = \mathrm{tr} A\, \mathrm{tr} B`, `S^T = S` for a
//! declared symmetric input inside the function being differentiated,
//! merging equal vectors into a "power", splicing an inner product into a
//! chain.

use crate::check::{TExpr, TFn, Typed, VarInfo};
use crate::core::diagnostic::{Diagnostic, ErrorKind, Result};
use crate::core::op::{Func, Op};
use crate::core::shape::{Dim, Shape, Q};
use crate::syntax::ast::Name;
use num_bigint::BigInt;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

/// A node index.
pub type Id = usize;

/// One node: an operation, its children and its shape.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Node {
    /// The operation.
    pub op: Op,
    /// Children.
    pub kids: Vec<Id>,
    /// Shape.
    pub shape: Shape,
}

/// Largest graph, in nodes.
pub const MAX_NODES: usize = 200_000;

/// Largest exact constant, in bits of numerator or denominator (1000 digits).
pub const MAX_CONST_BITS: u64 = 3322;

/// The expression graph of one document.
#[derive(Clone, Debug)]
pub struct Graph {
    nodes: Vec<Node>,
    memo: HashMap<Node, Id>,
    /// Definitions' bodies, by name.
    pub defs: BTreeMap<Name, Id>,
    /// Definitions in dependency order.
    pub def_order: Vec<Name>,
    def_of_body: HashMap<Id, Name>,
    folding: bool,
    /// Free inputs with their facts.
    pub vars: BTreeMap<Name, VarInfo>,
    /// User functions: parameter and body.
    pub fns: BTreeMap<Name, (Name, Id)>,
    sym_cache: RefCell<HashMap<Id, bool>>,
    /// Whether a declared symmetric input may be treated as symmetric
    /// (`S^T = S`). Off while the document's own expressions are built: the
    /// function differentiated is the one written, and its gradient is the
    /// unconstrained one. On for answers, which are values at a symmetric
    /// point.
    point_symmetry: bool,
    overflow: bool,
    big_constant: bool,
}

impl Graph {
    /// An empty graph over the given inputs.
    pub fn new(vars: BTreeMap<Name, VarInfo>) -> Graph {
        Graph {
            nodes: Vec::new(),
            memo: HashMap::new(),
            defs: BTreeMap::new(),
            def_order: Vec::new(),
            def_of_body: HashMap::new(),
            folding: false,
            vars,
            fns: BTreeMap::new(),
            sym_cache: RefCell::new(HashMap::new()),
            point_symmetry: false,
            overflow: false,
            big_constant: false,
        }
    }

    /// Build the graph of a typed document: definitions (folded so that their
    /// bodies read as their names wherever they occur) and functions.
    pub fn from_typed(t: &Typed) -> Result<Graph> {
        let mut g = Graph::new(t.vars.clone());
        for (name, f) in &t.fns {
            let TFn { param, body } = f;
            let b = g.lower(t, body)?;
            g.fns.insert(name.clone(), (param.clone(), b));
        }
        for (name, body) in &t.defs {
            let b = g.lower(t, body)?;
            g.defs.insert(name.clone(), b);
            g.def_order.push(name.clone());
        }
        g.enable_folding();
        g.check()?;
        g.set_point_symmetry(true);
        Ok(g)
    }

    /// Allow (or forbid) declared symmetry of inputs in what is built next.
    pub fn set_point_symmetry(&mut self, on: bool) {
        if self.point_symmetry != on {
            self.point_symmetry = on;
            self.sym_cache.borrow_mut().clear();
        }
    }

    /// Register definitions for folding and re-fold their bodies.
    fn enable_folding(&mut self) {
        for name in self.def_order.clone() {
            let b = self.defs[&name];
            if !self.is_trivial(b) && !self.def_of_body.contains_key(&b) {
                self.def_of_body.insert(b, name.clone());
            }
        }
        self.folding = true;
        let mut memo = HashMap::new();
        let mut new_bodies: BTreeMap<Name, Id> = BTreeMap::new();
        for name in self.def_order.clone() {
            let b = self.defs[&name];
            let nb = self.refold(b, Some(b), &mut memo, &new_bodies);
            new_bodies.insert(name.clone(), nb);
        }
        // Keep the body→name map pointing at the re-folded bodies.
        let old: Vec<(Id, Name)> = self.def_of_body.drain().collect();
        for (_, name) in old {
            if let Some(nb) = new_bodies.get(&name) {
                self.def_of_body.insert(*nb, name);
            }
        }
        self.defs = new_bodies;
    }

    fn refold(
        &mut self,
        id: Id,
        root: Option<Id>,
        memo: &mut HashMap<Id, Id>,
        bodies: &BTreeMap<Name, Id>,
    ) -> Id {
        if Some(id) != root {
            if let Some(&m) = memo.get(&id) {
                return m;
            }
        }
        let node = self.nodes[id].clone();
        let out = match &node.op {
            Op::Def(name) => match bodies.get(name) {
                Some(&b) => self.raw(Op::Def(name.clone()), vec![b], node.shape.clone()),
                None => id,
            },
            _ => {
                let kids: Vec<Id> = node
                    .kids
                    .iter()
                    .map(|&k| self.refold(k, None, memo, bodies))
                    .collect();
                let n = Node {
                    op: node.op.clone(),
                    kids,
                    shape: node.shape.clone(),
                };
                if Some(id) == root {
                    self.intern_nofold(n)
                } else {
                    self.intern(n)
                }
            }
        };
        if Some(id) != root {
            memo.insert(id, out);
        }
        out
    }

    fn is_trivial(&self, id: Id) -> bool {
        matches!(
            self.nodes[id].op,
            Op::Var(_)
                | Op::Def(_)
                | Op::Const(_)
                | Op::Identity
                | Op::Ones
                | Op::Zero
                | Op::Upstream(_)
        )
    }

    /// Fail if a bound was hit while building.
    pub fn check(&self) -> Result<()> {
        if self.big_constant {
            return Err(Diagnostic::new(
                ErrorKind::Limit,
                "an exact constant grew past 1000 digits",
            ));
        }
        if self.overflow {
            return Err(Diagnostic::new(
                ErrorKind::Limit,
                format!("the expression graph grew past {MAX_NODES} nodes"),
            ));
        }
        Ok(())
    }

    /// The node `id`.
    pub fn node(&self, id: Id) -> &Node {
        &self.nodes[id]
    }
    /// The operation of `id`.
    pub fn op(&self, id: Id) -> &Op {
        &self.nodes[id].op
    }
    /// The children of `id`.
    pub fn kids(&self, id: Id) -> &[Id] {
        &self.nodes[id].kids
    }
    /// The shape of `id`.
    pub fn shape(&self, id: Id) -> &Shape {
        &self.nodes[id].shape
    }
    /// Whether `id` is 1×1.
    pub fn is_scalar(&self, id: Id) -> bool {
        self.nodes[id].shape.is_scalar()
    }
    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }
    /// Whether the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
    /// `id`, or the defined name whose body it is (so that local gradients
    /// that reuse a node's value read `h` rather than `\sigma(W x)`).
    pub fn folded(&mut self, id: Id) -> Id {
        match self.def_of_body.get(&id).cloned() {
            Some(name) => self.def_node(&name).unwrap_or(id),
            None => id,
        }
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
        if self.nodes[a].op == Op::Identity {
            let s = Shape {
                rows: self.nodes[a].shape.rows.clone(),
                cols: Dim::One,
            };
            return self.ones(&s);
        }
        let (coef, scalars, mats) = self.factors(a);
        if let [u, vt] = mats.as_slice() {
            if self.shape(*u).cols == Dim::One && self.shape(*vt).rows == Dim::One {
                let v = self.t(*vt);
                let h = self.had(*u, v);
                let mut out = self.scale(coef, h);
                for s in scalars {
                    out = self.mul(s, out);
                }
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

    /// The name a node folds to, if it is a definition's body.
    pub fn def_of_body(&self, id: Id) -> Option<&Name> {
        self.def_of_body.get(&id)
    }

    fn intern_nofold(&mut self, n: Node) -> Id {
        if let Some(&id) = self.memo.get(&n) {
            return id;
        }
        if self.nodes.len() >= MAX_NODES {
            self.overflow = true;
        }
        let id = self.nodes.len();
        self.nodes.push(n.clone());
        self.memo.insert(n, id);
        id
    }

    fn intern(&mut self, n: Node) -> Id {
        let id = self.intern_nofold(n);
        if self.folding {
            if let Some(name) = self.def_of_body.get(&id).cloned() {
                let shape = self.nodes[id].shape.clone();
                return self.intern_nofold(Node {
                    op: Op::Def(name),
                    kids: vec![id],
                    shape,
                });
            }
        }
        id
    }

    /// Intern a node as is, never folding it into a defined name (teaching
    /// views that show one operation per node).
    pub fn raw_unfolded(&mut self, op: Op, kids: Vec<Id>, shape: Shape) -> Id {
        self.intern_nofold(Node { op, kids, shape })
    }

    /// Intern a node as is (no normalisation).
    pub fn raw(&mut self, op: Op, kids: Vec<Id>, shape: Shape) -> Id {
        self.intern(Node { op, kids, shape })
    }

    // ------------------------------------------------------------ leaves

    /// An exact scalar.
    pub fn konst(&mut self, c: Q) -> Id {
        if c.numer().bits() > MAX_CONST_BITS || c.denom().bits() > MAX_CONST_BITS {
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

    // ------------------------------------------------------------ sums

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
        let mut keys: Vec<Vec<Id>> = Vec::new();
        for (c, t) in terms {
            for (c2, t2) in self.terms(*t) {
                let c = c * &c2;
                let key = self.term_key(t2);
                match keys.iter().position(|k| *k == key) {
                    Some(i) => merged[i].0 += c,
                    None => {
                        merged.push((c, t2));
                        keys.push(key);
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

    // ------------------------------------------------------------ products

    fn factor_into(
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
    fn operand_factors(&mut self, id: Id) -> (Q, Vec<Id>, Vec<Id>) {
        let mut coef = Q::one();
        let (mut s, mut m) = (Vec::new(), Vec::new());
        self.factor_into(id, false, &mut coef, &mut s, &mut m);
        (coef, s, m)
    }

    /// Sort key of a scalar factor: names first, alphabetically ignoring case.
    fn scalar_key(&self, id: Id) -> (u8, String, Id) {
        match &self.nodes[id].op {
            Op::Var(n) | Op::Def(n) => (0, n.ident().to_lowercase(), id),
            _ => (1, String::new(), id),
        }
    }

    /// A matrix factor as (base, integer exponent): `X^{-1}` is (X, -1),
    /// `X^3` is (X, 3), `(X^{-1})^2` is (X, -2).
    fn mat_power(&self, id: Id) -> (Id, i64) {
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

    fn power_node(&mut self, base: Id, e: i64) -> Id {
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
    fn merge_powers(&mut self, mats: &[Id]) -> Vec<Id> {
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
    fn expand_inverse(&mut self, id: Id) -> Option<Vec<Id>> {
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

    fn build_product(&mut self, mut coef: Q, scalars: Vec<Id>, mats: Vec<Id>, shape: &Shape) -> Id {
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
        let mut acc: Option<Id> = None;
        for f in scalars.into_iter().chain(mats2) {
            acc = Some(match acc {
                None => f,
                Some(a) => {
                    let (sa, sf) = (self.nodes[a].shape.clone(), self.nodes[f].shape.clone());
                    let s = if sa.is_scalar() {
                        sf
                    } else if sf.is_scalar() {
                        sa
                    } else {
                        Shape {
                            rows: sa.rows,
                            cols: sf.cols,
                        }
                    };
                    self.raw(Op::Mul, vec![a, f], s)
                }
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
        let shape = if sa.is_scalar() {
            sb
        } else if sb.is_scalar() {
            sa
        } else {
            Shape {
                rows: sa.rows,
                cols: sb.cols,
            }
        };
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

    fn had_operands(&self, id: Id) -> Vec<Id> {
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
    fn term_key(&self, id: Id) -> Vec<Id> {
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
        let s = Shape {
            rows: dim_mul(&sa.rows, &sb.rows),
            cols: dim_mul(&sa.cols, &sb.cols),
        };
        if self.nodes[a].op == Op::Zero || self.nodes[b].op == Op::Zero {
            return self.zero(&s);
        }
        let k = self.raw(Op::Kron, vec![a, b], s);
        self.scale(ca * cb, k)
    }

    // ------------------------------------------------------------ transpose, inverse

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
    fn t_nosym(&mut self, id: Id) -> Id {
        let node = self.nodes[id].clone();
        if node.shape.is_scalar() {
            return id;
        }
        match &node.op {
            Op::Mul | Op::Transpose | Op::Inv | Op::Had | Op::Kron | Op::MatPow(_) => self.t(id),
            Op::Identity | Op::Diag => id,
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
        self.raw(Op::Pow(p), vec![a], node.shape.clone())
    }

    /// An elementwise built-in function.
    pub fn func(&mut self, f: Func, a: Id) -> Id {
        let s = self.nodes[a].shape.clone();
        // Exact values at exact points: f(0) and \log(1).
        if let Some(c) = self.const_value(a).cloned() {
            let v = match f {
                Func::Exp | Func::Cos if c.is_zero() => Some(Q::one()),
                Func::Sin | Func::Tanh | Func::Sqrt | Func::Step if c.is_zero() => Some(Q::zero()),
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
                Func::Exp | Func::Cos => return self.ones(&s),
                Func::Sigmoid => {
                    let ones = self.ones(&s);
                    return self.scale(Q::new(1.into(), 2.into()), ones);
                }
                Func::Tanh | Func::Sin | Func::Relu | Func::Step | Func::Sqrt => {
                    return self.zero(&s)
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
            let mut out = self.scale(coef, tr);
            for s in scalars {
                out = self.mul(s, out);
            }
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
                out = self.scale(coef, out);
                for y in scalars {
                    out = self.mul(y, out);
                }
                return out;
            }
        }
        if let [u, vt] = mats.as_slice() {
            if self.shape(*u).cols == Dim::One && self.shape(*vt).rows == Dim::One {
                let v = self.t(*vt);
                let (su, sv) = (self.sum(*u), self.sum(v));
                let mut out = self.mul(su, sv);
                out = self.scale(coef, out);
                for x in scalars {
                    out = self.mul(x, out);
                }
                return out;
            }
        }
        self.raw(Op::Sum, vec![a], Shape::scalar())
    }

    /// `\mathrm{unvec}(v)` into `shape`: `\mathrm{unvec}(\mathrm{vec}(X)) = X`
    /// and `\mathrm{unvec}(a \otimes b) = b a^T` (vec of an outer product,
    /// Matrix Cookbook eq. 520).
    pub fn unvec(&mut self, v: Id, shape: Shape) -> Id {
        let node = self.nodes[v].clone();
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
        if op == Op::Diag && kids.len() == 1 && self.nodes[kids[0]].op == Op::Ones {
            return self.identity(&shape.rows);
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

    /// The definition node of `name` (its body as child).
    pub fn def_node(&mut self, name: &Name) -> Option<Id> {
        let b = *self.defs.get(name)?;
        let s = self.nodes[b].shape.clone();
        Some(self.intern_nofold(Node {
            op: Op::Def(name.clone()),
            kids: vec![b],
            shape: s,
        }))
    }

    // ------------------------------------------------------------ lowering

    /// Lower a typed expression into the graph.
    pub fn lower(&mut self, t: &Typed, e: &TExpr) -> Result<Id> {
        let shape = t.shape(e);
        let mut kids = Vec::with_capacity(e.args.len());
        for a in &e.args {
            kids.push(self.lower(t, a)?);
        }
        let k = |i: usize| kids[i];
        let id = match &e.op {
            Op::Var(n) => self.var(n, shape),
            Op::Def(n) => match self.defs.get(n) {
                Some(&b) => {
                    let s = self.nodes[b].shape.clone();
                    self.intern_nofold(Node {
                        op: Op::Def(n.clone()),
                        kids: vec![b],
                        shape: s,
                    })
                }
                None => {
                    return Err(Diagnostic::new(
                        ErrorKind::Internal,
                        format!("definition `{}` used before it was built", n.latex()),
                    )
                    .at(e.span))
                }
            },
            Op::Const(c) => self.konst(c.clone()),
            Op::Identity => self.identity(&shape.rows),
            Op::Ones => self.raw(Op::Ones, vec![], shape),
            Op::Zero => self.zero(&shape),
            Op::Upstream(n) => self.raw(Op::Upstream(n.clone()), vec![k(0)], shape),
            Op::Add => self.add(k(0), k(1)),
            Op::Mul => self.mul(k(0), k(1)),
            Op::Had => self.had(k(0), k(1)),
            Op::Kron => self.kron(k(0), k(1)),
            Op::Transpose => self.t(k(0)),
            Op::Inv => self.inv(k(0)),
            Op::MatPow(p) => self.raw(Op::MatPow(*p), vec![k(0)], shape),
            Op::Pow(p) => self.pow(k(0), p.clone()),
            Op::Trace => self.trace(k(0)),
            Op::Det => self.raw(Op::Det, vec![k(0)], shape),
            Op::LogDet => self.raw(Op::LogDet, vec![k(0)], shape),
            Op::Norm => self.raw(Op::Norm, vec![k(0)], shape),
            Op::NormSq => self.raw(Op::NormSq, vec![k(0)], shape),
            Op::Func(f) => self.func(*f, k(0)),
            Op::Call(n) => self.call(n, k(0))?,
            Op::Opaque(n) => self.raw(Op::Opaque(n.clone()), vec![k(0)], shape),
            Op::Sum => self.sum(k(0)),
            Op::Diag => self.op_node(Op::Diag, vec![k(0)], shape),
            Op::DiagPart => self.diag_part(k(0)),
            Op::Vec => self.op_node(Op::Vec, vec![k(0)], shape),
            Op::Softmax => self.op_node(Op::Softmax, vec![k(0)], shape),
            Op::LogSumExp => self.raw(Op::LogSumExp, vec![k(0)], shape),
            Op::Unvec => self.unvec(k(0), shape),
            Op::KronL => self.op_node(Op::KronL, vec![k(0), k(1)], shape),
            Op::KronR => self.op_node(Op::KronR, vec![k(0), k(1)], shape),
        };
        if self.overflow || self.big_constant {
            return Err(self
                .check()
                .err()
                .unwrap_or_else(|| {
                    Diagnostic::new(ErrorKind::Internal, "a graph bound without its message")
                })
                .at(e.span));
        }
        if let Some(why) = self.undefined_constant(&e.op, &kids) {
            return Err(Diagnostic::new(
                ErrorKind::Undefined,
                format!("this expression has no value: {why}"),
            )
            .at(e.span));
        }
        Ok(id)
    }

    /// Why an operation on constant operands has no value, if it has none.
    fn undefined_constant(&self, op: &Op, kids: &[Id]) -> Option<String> {
        let c = self.const_value(*kids.first()?)?;
        let zero = c.is_zero();
        let neg = c.is_negative();
        match op {
            Op::Pow(p) if zero && p.is_negative() => {
                Some(format!("0 to the power {p} (division by zero)"))
            }
            Op::Pow(p) if neg && !p.is_integer() => Some(format!(
                "a negative number ({c}) to the fractional power {p}"
            )),
            Op::Inv if zero => Some("the inverse of 0".into()),
            Op::Func(Func::Log) if zero || neg => Some(format!("\\log({c})")),
            Op::Func(Func::Sqrt) if neg => Some(format!("\\sqrt{{{c}}}")),
            Op::LogDet if zero => Some("\\log|0|".into()),
            _ => None,
        }
    }

    /// Replace the free input `param` (a scalar) by `arg` in `body`, applying
    /// scalar operations elementwise where `arg` is not scalar.
    pub fn substitute(&mut self, body: Id, param: &Name, arg: Id) -> Result<Id> {
        let mut memo = HashMap::new();
        self.subst_rec(body, param, arg, &mut memo)
    }

    fn subst_rec(
        &mut self,
        id: Id,
        param: &Name,
        arg: Id,
        memo: &mut HashMap<Id, Id>,
    ) -> Result<Id> {
        if let Some(&m) = memo.get(&id) {
            return Ok(m);
        }
        let node = self.nodes[id].clone();
        let mut kids = Vec::new();
        for &k in &node.kids {
            kids.push(self.subst_rec(k, param, arg, memo)?);
        }
        let out = match &node.op {
            Op::Var(n) if n == param => arg,
            Op::Var(_) | Op::Const(_) => id,
            Op::Add => self.add(kids[0], kids[1]),
            Op::Mul => {
                if self.is_scalar(kids[0]) || self.is_scalar(kids[1]) {
                    self.mul(kids[0], kids[1])
                } else {
                    self.had(kids[0], kids[1])
                }
            }
            Op::Had => self.had(kids[0], kids[1]),
            Op::Pow(p) => self.pow(kids[0], p.clone()),
            Op::Func(f) => self.func(*f, kids[0]),
            Op::Call(f) => self.call(f, kids[0])?,
            other => {
                return Err(Diagnostic::new(
                    ErrorKind::Unsupported,
                    format!("a user function body may use only scalar arithmetic and elementwise functions, not {other:?}"),
                ))
            }
        };
        memo.insert(id, out);
        Ok(out)
    }

    /// `id` with the nodes of `map` replaced by their images (same shapes),
    /// rebuilt as is; definitions not in `map` are kept whole.
    pub fn replace(&mut self, id: Id, map: &HashMap<Id, Id>) -> Id {
        if map.is_empty() {
            return id;
        }
        let mut memo: HashMap<Id, Id> = map.clone();
        // Iterative, children first: replaced regions may be deep.
        let mut stack = vec![(id, false)];
        while let Some((n, expanded)) = stack.pop() {
            if memo.contains_key(&n) && !expanded {
                continue;
            }
            let node = self.nodes[n].clone();
            if matches!(node.op, Op::Def(_)) {
                memo.insert(n, n);
                continue;
            }
            if !expanded {
                stack.push((n, true));
                stack.extend(node.kids.iter().map(|&k| (k, false)));
                continue;
            }
            let kids: Vec<Id> = node.kids.iter().map(|k| memo[k]).collect();
            let out = if kids == node.kids {
                n
            } else {
                self.intern_nofold(Node { kids, ..node })
            };
            memo.insert(n, out);
        }
        memo[&id]
    }

    /// Every node reachable from `root`, children before parents.
    pub fn postorder(&self, root: Id) -> Vec<Id> {
        let mut out = Vec::new();
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![(root, false)];
        while let Some((id, done)) = stack.pop() {
            if done {
                out.push(id);
                continue;
            }
            if seen[id] {
                continue;
            }
            seen[id] = true;
            stack.push((id, true));
            for &k in self.nodes[id].kids.iter().rev() {
                if !seen[k] {
                    stack.push((k, false));
                }
            }
        }
        out
    }
}

fn dim_mul(a: &Dim, b: &Dim) -> Dim {
    match (a, b) {
        (Dim::One, x) | (x, Dim::One) => x.clone(),
        (Dim::Num(x), Dim::Num(y)) => Dim::Num(x * y),
        _ => Dim::Mul(Box::new(a.clone()), Box::new(b.clone())),
    }
}

//! The checker's document-level work: declarations, names, definitions
//! (typed in document order, so a chain never nests), user functions,
//! queries, and the resolved output.

use super::*;

impl Checker {
    pub(super) fn finish(mut self, queries: Vec<TQuery>, exprs: Vec<TExpr>) -> Result<Typed> {
        // Name undetermined dimensions after the names that carry them.
        let mut counter = 0usize;
        let mut taken: BTreeSet<String> = self.u.syms.iter().cloned().collect();
        let free: Vec<(Name, (DVar, DVar))> = self
            .free
            .iter()
            .map(|(n, (d, _))| (n.clone(), *d))
            .collect();
        for (_, (r, c)) in &free {
            for v in [*r, *c] {
                let root = self.u.find(v);
                if self.u.bound[root] == DimBound::Free && !self.anon_names.contains_key(&root) {
                    loop {
                        counter += 1;
                        let cand = format!("n{counter}");
                        if taken.insert(cand.clone()) {
                            self.anon_names.insert(root, cand);
                            break;
                        }
                    }
                }
            }
        }
        // Every size still open is now a size of its own: an answer read
        // later in this context cannot unify it with another (`x` of size
        // n1 is not a vector of size H because the gradient is).
        for v in 0..self.u.parent.len() {
            let root = self.u.find(v);
            if self.u.bound[root] == DimBound::Free {
                let name = self
                    .anon_names
                    .get(&root)
                    .cloned()
                    .unwrap_or_else(|| format!("n{root}"));
                let sym = self.u.sym(&name);
                let sym_root = self.u.find(sym);
                self.u.bound[root] = self.u.bound[sym_root];
            }
        }
        let mut vars = BTreeMap::new();
        let names = self.anon_names.clone();
        for (n, d) in &self.decls {
            vars.insert(
                n.clone(),
                VarInfo {
                    shape: shape_of(&mut self.u, &names, d.dims),
                    symmetric: d.symmetric || d.spd,
                    spd: d.spd,
                    positive: d.positive,
                    simplex: d.simplex,
                    is_dim: false,
                    declared: true,
                },
            );
        }
        for (n, (d, _)) in &self.free {
            let is_dim = self.dim_syms.contains(n);
            vars.insert(
                n.clone(),
                VarInfo {
                    shape: shape_of(&mut self.u, &names, *d),
                    symmetric: false,
                    spd: false,
                    simplex: false,
                    positive: is_dim,
                    is_dim,
                    declared: false,
                },
            );
        }
        let mut defs = Vec::new();
        for n in &self.def_order {
            if let Some(DefState::Done(t)) = self.defs.get(n) {
                defs.push((n.clone(), t.clone()));
            }
        }
        Ok(Typed {
            defs,
            fns: self.fns.clone(),
            queries,
            exprs,
            vars,
            opaque: self.opaque.clone(),
            lenient_notes: self.lenient_notes.clone(),
            ctx: self,
        })
    }

    pub(super) fn declare(&mut self, n: &Name, space: &Space, span: Span) -> Result<()> {
        if self.decls.contains_key(n) {
            return Err(Diagnostic::new(
                ErrorKind::Name,
                format!("`{}` is declared twice", n.latex()),
            )
            .at(span));
        }
        let dim = |d: &Option<DimAst>, this: &mut Self| -> DVar {
            match d {
                None => this.u.one(),
                Some(d) => dim_var(&mut this.u, d),
            }
        };
        let rows = dim(&space.rows, self);
        let cols = dim(&space.cols, self);
        for d in [&space.rows, &space.cols].into_iter().flatten() {
            for s in dim_names(d) {
                if s == n {
                    return Err(Diagnostic::new(
                        ErrorKind::Name,
                        format!("`{}` is used as its own dimension", n.latex()),
                    )
                    .at(span));
                }
                self.dim_syms.insert(s.clone());
                if let Some(other) = self.decls.get(s) {
                    let (r, c) = other.dims;
                    if !(self.u.is_one(r) && self.u.is_one(c)) {
                        return Err(Diagnostic::new(
                            ErrorKind::Name,
                            format!(
                                "`{}` is a dimension, so it is a positive scalar; it cannot also be declared a vector or matrix",
                                s.latex()
                            ),
                        )
                        .at(other.span));
                    }
                }
            }
        }
        if self.dim_syms.contains(n) && !(space.rows.is_none() && space.cols.is_none()) {
            return Err(Diagnostic::new(
                ErrorKind::Name,
                format!(
                    "`{}` is a dimension, so it is a positive scalar; it cannot also be declared a vector or matrix",
                    n.latex()
                ),
            )
            .at(span));
        }
        if space.simplex && space.cols.is_some() {
            return Err(Diagnostic::new(
                ErrorKind::Shape,
                format!(
                    "`{}` is declared in a simplex `\\Delta^{{n}}`, which holds vectors (probability vectors): write one dimension",
                    n.latex()
                ),
            )
            .at(span));
        }
        if space.symmetric {
            let ok = self.u.unify(rows, cols);
            if !ok {
                return Err(Diagnostic::new(
                    ErrorKind::Shape,
                    format!("symmetric `{}` must be square", n.latex()),
                )
                .at(span));
            }
        }
        self.decls.insert(
            n.clone(),
            Decl {
                dims: (rows, cols),
                symmetric: space.symmetric,
                spd: space.spd,
                positive: space.positive,
                simplex: space.simplex,
                span,
            },
        );
        Ok(())
    }

    pub(super) fn dim_of_shape(&mut self, d: &Dim) -> DVar {
        match d {
            Dim::One => self.u.one(),
            Dim::Num(n) => self.u.num(*n),
            Dim::Sym(s) => {
                // A generated name refers to its anonymous class.
                if let Some((&v, _)) = self.anon_names.iter().find(|(_, n)| *n == s) {
                    return v;
                }
                self.u.sym(s)
            }
            Dim::Mul(a, b) => {
                let (x, y) = (self.dim_of_shape(a), self.dim_of_shape(b));
                self.u.mul(x, y)
            }
        }
    }

    /// The dimensions of `K_{m,n}` when every letter of its subscript is a
    /// dimension of the document.
    fn commutation_dims(&self, n: &Name) -> Option<(Dim, Dim)> {
        if n.kind != NameKind::Latin || n.base != "K" {
            return None;
        }
        let (a, b) = n.sub.as_deref()?.split_once(',')?;
        let is_dim = |c: char| self.dim_syms.contains(&Name::latin(&c.to_string()));
        Some((
            Dim::from_subscript(a, is_dim)?,
            Dim::from_subscript(b, is_dim)?,
        ))
    }

    /// The size of `I_{n}` (`I_{mn}`, `I_{2n}`) when its subscript names at
    /// least one dimension of the document and nothing else (`I_1`, `I_2`
    /// stay ordinary names).
    fn sized_identity(&self, n: &Name) -> Option<Dim> {
        if n.kind != NameKind::Latin || n.base != "I" {
            return None;
        }
        self.sized(n.sub.as_deref()?)
    }

    /// A size written as a subscript (`n`, `np`, `2n`), with at least one of
    /// the document's one-letter dimensions.
    pub(super) fn sized(&self, s: &str) -> Option<Dim> {
        if !s.chars().any(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        let is_dim = |c: char| self.dim_syms.contains(&Name::latin(&c.to_string()));
        Dim::from_subscript(s, is_dim)
    }

    pub(super) fn is_value(&self, n: &Name) -> bool {
        self.decls.contains_key(n)
            || self.defs.contains_key(n)
            || self.dim_syms.contains(n)
            // `K_{m,n} (A \otimes B)` is a product, not an application.
            || self.commutation_dims(n).is_some()
            || self.sized_identity(n).is_some()
    }

    pub(super) fn node(&self, op: Op, args: Vec<TExpr>, dims: (DVar, DVar), span: Span) -> TExpr {
        TExpr {
            op,
            args,
            dims,
            span,
        }
    }

    pub(super) fn scalar_dims(&mut self) -> (DVar, DVar) {
        (self.u.one(), self.u.one())
    }

    pub(super) fn is_scalar(&mut self, e: &TExpr) -> bool {
        self.u.is_one(e.dims.0) && self.u.is_one(e.dims.1)
    }

    pub(super) fn is_vector(&mut self, e: &TExpr) -> bool {
        self.u.is_one(e.dims.1) && !self.u.is_one(e.dims.0)
    }

    pub(super) fn describe(&mut self, e: &TExpr) -> String {
        let names = self.anon_names.clone();
        shape_of(&mut self.u, &names, e.dims).to_string()
    }

    pub(super) fn shape_err(&mut self, msg: &str, a: &TExpr, b: &TExpr, src: Span) -> Diagnostic {
        let (sa, sb) = (self.describe(a), self.describe(b));
        Diagnostic::new(
            ErrorKind::Shape,
            format!("{msg}: the left operand is {sa}, the right operand is {sb}"),
        )
        .at(src)
        .label(a.span, format!("this is {sa}"))
        .label(b.span, format!("this is {sb}"))
    }

    pub(super) fn require_square(&mut self, e: &TExpr, what: &str) -> Result<()> {
        if !self.u.unify(e.dims.0, e.dims.1) {
            let s = self.describe(e);
            return Err(Diagnostic::new(
                ErrorKind::Shape,
                format!("{what} needs a square matrix, but its argument is {s}"),
            )
            .at(e.span));
        }
        Ok(())
    }

    pub(super) fn require_scalar(&mut self, e: &TExpr, what: &str) -> Result<()> {
        let (one_r, one_c) = (self.u.one(), self.u.one());
        if !(self.u.unify(e.dims.0, one_r) && self.u.unify(e.dims.1, one_c)) {
            let s = self.describe(e);
            return Err(Diagnostic::new(
                ErrorKind::Shape,
                format!("{what} must be a scalar, but it is {s}"),
            )
            .at(e.span));
        }
        Ok(())
    }

    pub(super) fn function(&mut self, n: &Name, span: Span) -> Result<()> {
        if self.fns.contains_key(n) {
            return Ok(());
        }
        if self.fn_visiting.contains(n) {
            return Err(Diagnostic::new(
                ErrorKind::Cycle,
                format!("function `{}` is defined in terms of itself", n.latex()),
            )
            .at(span));
        }
        let Some((param, body, fspan)) = self.fn_asts.get(n).cloned() else {
            return Ok(());
        };
        self.fn_visiting.insert(n.clone());
        let saved = self.param.replace(param.clone());
        let t = self.expr(&body);
        self.param = saved;
        self.fn_visiting.remove(n);
        let t = t?;
        if !self.is_scalar(&t) {
            let s = self.describe(&t);
            return Err(Diagnostic::new(
                ErrorKind::Shape,
                format!(
                    "function `{}` must be scalar-valued, but its body is {s}",
                    n.latex()
                ),
            )
            .at(fspan));
        }
        self.fns.insert(n.clone(), TFn { param, body: t });
        Ok(())
    }

    pub(super) fn def(&mut self, n: &Name, use_span: Span) -> Result<TExpr> {
        match self.defs.get(n).cloned() {
            Some(DefState::Done(t)) => Ok(self.node(Op::Def(n.clone()), vec![], t.dims, use_span)),
            Some(DefState::Visiting) => {
                let start = self.visiting.iter().position(|v| v == n).unwrap_or(0);
                let mut cycle: Vec<String> =
                    self.visiting[start..].iter().map(|v| v.latex()).collect();
                cycle.push(n.latex());
                let span = self.def_spans.get(n).copied().unwrap_or(use_span);
                Err(Diagnostic::new(
                    ErrorKind::Cycle,
                    format!("definitions form a cycle: {}", cycle.join(" → ")),
                )
                .at(span))
            }
            Some(DefState::Pending(body)) => {
                if self.param.is_some() {
                    return Err(Diagnostic::new(
                        ErrorKind::Unsupported,
                        format!(
                            "a function body may use only its parameter; `{}` is a defined name",
                            n.latex()
                        ),
                    )
                    .at(use_span));
                }
                self.defs.insert(n.clone(), DefState::Visiting);
                self.visiting.push(n.clone());
                let t = self.expr(&body);
                self.visiting.pop();
                let t = match t {
                    Ok(t) => t,
                    Err(e) => {
                        self.defs.insert(n.clone(), DefState::Pending(body));
                        return Err(e);
                    }
                };
                let dims = t.dims;
                self.defs.insert(n.clone(), DefState::Done(t));
                self.def_order.push(n.clone());
                Ok(self.node(Op::Def(n.clone()), vec![], dims, use_span))
            }
            None => Err(Diagnostic::new(ErrorKind::Internal, "unknown definition").at(use_span)),
        }
    }

    pub(super) fn query(&mut self, q: &Query) -> Result<TQuery> {
        if !self.defs.contains_key(&q.of) {
            let what = if self.is_value(&q.of) {
                "is not defined (it is declared, so it does not depend on anything)"
            } else {
                "is not defined"
            };
            return Err(Diagnostic::new(
                ErrorKind::Name,
                format!("the objective `{}` {what}", q.of.latex()),
            )
            .at(q.span));
        }
        if !self.is_value(&q.wrt) && !self.free.contains_key(&q.wrt) {
            return Err(Diagnostic::new(
                ErrorKind::Name,
                format!(
                    "the variable `{}` does not occur in the document",
                    q.wrt.latex()
                ),
            )
            .at(q.span));
        }
        Ok(TQuery {
            order: q.order,
            of: q.of.clone(),
            wrt: q.wrt.clone(),
            span: q.span,
        })
    }

    /// A name used as a value.
    pub(super) fn name(&mut self, n: &Name, span: Span) -> Result<TExpr> {
        if self.param.as_ref() == Some(n) {
            let d = self.scalar_dims();
            return Ok(self.node(Op::Var(n.clone()), vec![], d, span));
        }
        if let Some(d) = self.decls.get(n) {
            if self.param.is_some() {
                return Err(Diagnostic::new(
                    ErrorKind::Unsupported,
                    format!(
                        "a function body may use only its parameter; `{}` is a declared name",
                        n.latex()
                    ),
                )
                .at(span));
            }
            let dims = d.dims;
            return Ok(self.node(Op::Var(n.clone()), vec![], dims, span));
        }
        if self.defs.contains_key(n) {
            return self.def(n, span);
        }
        if self.dim_syms.contains(n) {
            let d = self.scalar_dims();
            self.free.entry(n.clone()).or_insert((d, span));
            return Ok(self.node(Op::Var(n.clone()), vec![], d, span));
        }
        if self.fn_asts.contains_key(n) || self.applied_only.contains(n) {
            return Err(Diagnostic::new(
                ErrorKind::Name,
                format!(
                    "`{}` is a function; apply it to an argument in parentheses",
                    n.latex()
                ),
            )
            .at(span));
        }
        // `K_{m,n}` (or `\mathbf{K}_{m,n}`) over dimensions of the document,
        // not itself declared or defined: the commutation matrix.
        if let Some((m, k)) = self.commutation_dims(n) {
            let mk = Dim::mul(&m, &k);
            let r = self.dim_of_shape(&mk);
            return Ok(self.node(Op::Commutation(m, k), vec![], (r, r), span));
        }
        // `I_{n}`: the identity of a size the document names.
        if let Some(d) = self.sized_identity(n) {
            let r = self.dim_of_shape(&d);
            return Ok(self.node(Op::Identity, vec![], (r, r), span));
        }
        let is_reserved = |s: &str| n.kind == NameKind::Latin && n.sub.is_none() && n.base == s;
        if is_reserved("I") {
            let r = self.u.fresh();
            return Ok(self.node(Op::Identity, vec![], (r, r), span));
        }
        if is_reserved("e") {
            let d = self.scalar_dims();
            let one = self.node(Op::Const(Q::one()), vec![], d, span);
            let d2 = self.scalar_dims();
            return Ok(self.node(Op::Func(Func::Exp), vec![one], d2, span));
        }
        if self.param.is_some() {
            return Err(Diagnostic::new(
                ErrorKind::Unsupported,
                format!(
                    "a function body may use only its parameter; `{}` is another name",
                    n.latex()
                ),
            )
            .at(span));
        }
        if let Some((d, _)) = self.free.get(n) {
            let d = *d;
            return Ok(self.node(Op::Var(n.clone()), vec![], d, span));
        }
        if self.closed {
            return Err(Diagnostic::new(
                ErrorKind::Name,
                format!(
                    "unknown name `{}`: it does not occur in the problem",
                    n.latex()
                ),
            )
            .at(span));
        }
        // Undeclared: the convention decides its kind, unification its sizes.
        let d = match n.kind {
            NameKind::Latin if n.is_upper() => (self.u.fresh(), self.u.fresh()),
            NameKind::Latin => (self.u.fresh(), self.u.one()),
            NameKind::Greek if n.is_upper() => (self.u.fresh(), self.u.fresh()),
            _ => self.scalar_dims(),
        };
        self.free.insert(n.clone(), (d, span));
        Ok(self.node(Op::Var(n.clone()), vec![], d, span))
    }

    pub(super) fn constant(&self, e: &Expr) -> Option<Q> {
        match &e.kind {
            ExprKind::Num(q) => Some(q.clone()),
            ExprKind::Neg(a) => self.constant(a).map(|q| -q),
            ExprKind::Group(a) => self.constant(a),
            ExprKind::Frac(a, b) => {
                let (a, b) = (self.constant(a)?, self.constant(b)?);
                (!b.is_zero()).then(|| a / b)
            }
            ExprKind::Chain(items) => {
                let mut acc = Q::one();
                for (op, it) in items {
                    let v = self.constant(it)?;
                    if *op == MulOp::Div {
                        if v.is_zero() {
                            return None;
                        }
                        acc /= v;
                    } else {
                        acc *= v;
                    }
                }
                Some(acc)
            }
            ExprKind::Add(a, b) => Some(self.constant(a)? + self.constant(b)?),
            ExprKind::Sub(a, b) => Some(self.constant(a)? - self.constant(b)?),
            _ => None,
        }
    }
}

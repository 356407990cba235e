//! Typing expressions: what each operator means (matrix product or
//! scaling, application or product) and the shapes it requires.

use super::*;

impl Checker {
    pub(super) fn expr(&mut self, e: &Expr) -> Result<TExpr> {
        self.depth += 1;
        let max = max_type_depth();
        if self.depth > max {
            self.depth -= 1;
            return Err(crate::core::limits::hit(
                "depth",
                format!("expression nested deeper than {max} levels"),
            )
            .at(e.span));
        }
        let r = self.expr_inner(e);
        self.depth -= 1;
        r
    }

    pub(super) fn expr_inner(&mut self, e: &Expr) -> Result<TExpr> {
        let span = e.span;
        match &e.kind {
            ExprKind::Num(q) => {
                let d = self.scalar_dims();
                Ok(self.node(Op::Const(q.clone()), vec![], d, span))
            }
            ExprKind::Name(n) => self.name(n, span),
            ExprKind::Ones(size) => {
                let rows = match size {
                    None => self.u.fresh(),
                    Some(s) => {
                        let d = self.sized(s).ok_or_else(|| {
                            Diagnostic::new(
                                ErrorKind::Name,
                                format!(
                                    "`\\mathbf{{1}}_{{{s}}}`: the subscript is not a size made of this document's one-letter dimensions"
                                ),
                            )
                            .at(span)
                        })?;
                        self.dim_of_shape(&d)
                    }
                };
                let d = (rows, self.u.one());
                Ok(self.node(Op::Ones, vec![], d, span))
            }
            ExprKind::Indicator(a) => {
                let a = self.expr(a)?;
                let d = a.dims;
                Ok(self.node(Op::Func(Func::Step), vec![a], d, span))
            }
            ExprKind::Upstream { of, wrt } => {
                // An adjoint the answer names in its `where` clause.
                let adj = Name::adjoint(of, wrt);
                if matches!(self.defs.get(&adj), Some(DefState::Done(_))) {
                    return self.def(&adj, span);
                }
                if self.lenient {
                    self.lenient_notes.push((
                        span,
                        format!(
                            "read as the upstream gradient \\frac{{\\partial {}}}{{\\partial {}}}",
                            of.latex(),
                            wrt.latex()
                        ),
                    ));
                }
                let w = self.name(wrt, span)?;
                let d = w.dims;
                Ok(self.node(Op::Upstream(of.clone()), vec![w], d, span))
            }
            ExprKind::Add(a, b) => {
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                self.add(a, b, span)
            }
            ExprKind::Sub(a, b) => {
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                let b = self.neg(b);
                self.add(a, b, span)
            }
            ExprKind::Neg(a) => {
                let a = self.expr(a)?;
                Ok(self.neg(a))
            }
            ExprKind::Chain(items) => self.chain(items, span),
            ExprKind::Hadamard(a, b) => {
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                if self.is_scalar(&a) || self.is_scalar(&b) {
                    return self.mul(a, b, span);
                }
                if !(self.u.unify(a.dims.0, b.dims.0) && self.u.unify(a.dims.1, b.dims.1)) {
                    return Err(self.shape_err(
                        "a Hadamard product needs operands of the same shape",
                        &a,
                        &b,
                        span,
                    ));
                }
                let d = a.dims;
                Ok(self.node(Op::Had, vec![a, b], d, span))
            }
            ExprKind::Kron(a, b) => {
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                let r = self.u.mul(a.dims.0, b.dims.0);
                let c = self.u.mul(a.dims.1, b.dims.1);
                Ok(self.node(Op::Kron, vec![a, b], (r, c), span))
            }
            ExprKind::Frac(a, b) => {
                if let Some(q) = self.constant(e) {
                    let d = self.scalar_dims();
                    return Ok(self.node(Op::Const(q), vec![], d, span));
                }
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                self.div(a, b, span)
            }
            ExprKind::Transpose(a) => {
                let a = self.expr(a)?;
                let d = (a.dims.1, a.dims.0);
                Ok(self.node(Op::Transpose, vec![a], d, span))
            }
            ExprKind::InvTranspose(a) => {
                let a = self.expr(a)?;
                self.require_square(&a, "an inverse")?;
                let d = (a.dims.1, a.dims.0);
                let t = self.node(Op::Transpose, vec![a], d, span);
                Ok(self.node(Op::Inv, vec![t], d, span))
            }
            ExprKind::Power(base, ex) => self.power(base, ex, span),
            ExprKind::ElemPower(base, ex) => {
                let b = self.expr(base)?;
                let q = self.constant(ex).ok_or_else(|| {
                    Diagnostic::new(
                        ErrorKind::Unsupported,
                        "an elementwise power must be a constant number",
                    )
                    .at(ex.span)
                })?;
                let d = b.dims;
                Ok(self.node(Op::Pow(q), vec![b], d, span))
            }
            ExprKind::Apply(f, a) => self.apply(*f, a, span),
            ExprKind::Apply2(f, a, b) => self.apply2(*f, a, b, span),
            ExprKind::Norm(a, kind) => {
                let a = self.expr(a)?;
                let vec_like = self.u.is_one(a.dims.1) || self.u.is_one(a.dims.0);
                match kind {
                    NormKind::Two if !vec_like => {
                        return Err(Diagnostic::new(
                            ErrorKind::Unsupported,
                            "`\\|A\\|` or `\\|A\\|_2` of a matrix is its spectral norm, which is not supported: for the Frobenius norm write `\\|A\\|_F`, and `\\|A\\|_F^2` for its square (`\\mathrm{tr}(A^T A)`)",
                        )
                        .at(span))
                    }
                    NormKind::Other => {
                        return Err(Diagnostic::new(
                            ErrorKind::Unsupported,
                            "only the 2-norm of a vector and the Frobenius norm are supported",
                        )
                        .at(span))
                    }
                    _ => {}
                }
                let d = self.scalar_dims();
                Ok(self.node(Op::Norm, vec![a], d, span))
            }
            ExprKind::Det(a) => {
                let a = self.expr(a)?;
                if self.is_scalar(&a) {
                    return Err(Diagnostic::new(
                        ErrorKind::Unsupported,
                        "`|t|` of a scalar (absolute value) is not supported; `|A|` is the determinant of a square matrix",
                    )
                    .at(span));
                }
                self.require_square(&a, "a determinant")?;
                let d = self.scalar_dims();
                Ok(self.node(Op::Det, vec![a], d, span))
            }
            ExprKind::Call(n, arg) => self.try_call(n, arg, span)?.ok_or_else(|| {
                Diagnostic::new(
                    ErrorKind::Name,
                    format!("`{}` is not a function", n.latex()),
                )
                .at(span)
            }),
            ExprKind::Group(a) => {
                // The group's span includes its brackets.
                let mut t = self.expr(a)?;
                t.span = span;
                Ok(t)
            }
        }
    }

    pub(super) fn neg(&mut self, a: TExpr) -> TExpr {
        let span = a.span;
        let d = self.scalar_dims();
        let m1 = self.node(Op::Const(-Q::one()), vec![], d, span);
        let dims = a.dims;
        self.node(Op::Mul, vec![m1, a], dims, span)
    }

    pub(super) fn add(&mut self, a: TExpr, b: TExpr, span: Span) -> Result<TExpr> {
        let (sa, sb) = (self.is_scalar(&a), self.is_scalar(&b));
        let dims = if sa && !sb {
            b.dims
        } else if sb && !sa {
            a.dims
        } else {
            if !(self.u.unify(a.dims.0, b.dims.0) && self.u.unify(a.dims.1, b.dims.1)) {
                return Err(self.shape_err("a sum needs operands of the same shape", &a, &b, span));
            }
            a.dims
        };
        Ok(self.node(Op::Add, vec![a, b], dims, span))
    }

    pub(super) fn mul(&mut self, a: TExpr, b: TExpr, span: Span) -> Result<TExpr> {
        if self.is_scalar(&a) {
            let d = b.dims;
            return Ok(self.node(Op::Mul, vec![a, b], d, span));
        }
        if self.is_scalar(&b) {
            let d = a.dims;
            return Ok(self.node(Op::Mul, vec![a, b], d, span));
        }
        if self.is_vector(&a) && self.is_vector(&b) {
            let (sa, sb) = (self.describe(&a), self.describe(&b));
            return Err(Diagnostic::new(
                ErrorKind::Shape,
                format!("juxtaposition of two vectors ({sa} and {sb}) is not a product"),
            )
            .at(span)
            .label(a.span, format!("this is {sa}"))
            .label(b.span, format!("this is {sb}"))
            .note("for an elementwise product write `a \\odot b`; for an inner product `a^T b`; for an outer product `a b^T`"));
        }
        if !self.u.unify(a.dims.1, b.dims.0) {
            return Err(self.shape_err(
                "a matrix product needs the left operand's columns to match the right operand's rows",
                &a,
                &b,
                span,
            ));
        }
        let d = (a.dims.0, b.dims.1);
        Ok(self.node(Op::Mul, vec![a, b], d, span))
    }

    pub(super) fn div(&mut self, a: TExpr, b: TExpr, span: Span) -> Result<TExpr> {
        // A vector or matrix divisor divides elementwise, as a textbook
        // reader reads `\frac{1}{1 + e^{-z}}`: `a \odot b^{\odot -1}`.
        if !self.is_scalar(&b) {
            let bs = b.span;
            let d = b.dims;
            let inv = self.node(Op::Pow(-Q::one()), vec![b], d, bs);
            if self.is_scalar(&a) {
                return self.mul(a, inv, span);
            }
            if !(self.u.unify(a.dims.0, d.0) && self.u.unify(a.dims.1, d.1)) {
                return Err(self.shape_err(
                    "an elementwise division needs a scalar numerator or operands of the same shape",
                    &a,
                    &inv,
                    span,
                ));
            }
            return Ok(self.node(Op::Had, vec![a, inv], d, span));
        }
        self.require_scalar(&b, "a divisor")?;
        let bs = b.span;
        let d = self.scalar_dims();
        let inv = self.node(Op::Pow(-Q::one()), vec![b], d, bs);
        self.mul(a, inv, span)
    }

    pub(super) fn chain(&mut self, items: &[(MulOp, Expr)], span: Span) -> Result<TExpr> {
        // Merge `f (arg)` into applications where `f` is a function.
        let mut merged: Vec<(MulOp, TExpr)> = Vec::new();
        let mut i = 0;
        while i < items.len() {
            let (op, it) = &items[i];
            if let (Some((n, negs)), Some((MulOp::Juxt, next))) =
                (signed_name(it), items.get(i + 1))
            {
                // Application binds tighter than postfix operators and
                // unary minus: `\sigma(x)^T y` is `(\sigma(x))^T y`,
                // `-\ell(x)` is `-(\ell(x))`.
                if self.is_callable(n) {
                    if let Some(call) = next.applied_by(n, it.span) {
                        let mut t = self.expr(&call)?;
                        for _ in 0..negs {
                            t = self.neg(t);
                        }
                        merged.push((*op, t));
                        i += 2;
                        continue;
                    }
                }
            }
            merged.push((*op, self.expr(it)?));
            i += 1;
        }
        if self.lenient
            && merged
                .iter()
                .all(|(op, _)| matches!(op, MulOp::Juxt | MulOp::Dot))
        {
            let factors: Vec<TExpr> = merged.into_iter().map(|(_, t)| t).collect();
            return self.lenient_chain(factors);
        }
        let mut it = merged.into_iter();
        let Some((_, mut acc)) = it.next() else {
            return Err(Diagnostic::new(ErrorKind::Internal, "empty product").at(span));
        };
        for (op, t) in it {
            let s = acc.span.join(t.span);
            acc = match op {
                MulOp::Div => self.div(acc, t, s)?,
                MulOp::Times => {
                    if !(self.is_scalar(&acc) || self.is_scalar(&t)) {
                        return Err(self
                            .shape_err("`\\times` multiplies scalars; write a matrix product by juxtaposition or use `\\otimes`", &acc, &t, s));
                    }
                    self.mul(acc, t, s)?
                }
                MulOp::Juxt | MulOp::Dot => self.mul(acc, t, s)?,
            };
        }
        Ok(acc)
    }

    /// Whether `n` followed by a group is an application (what
    /// [`Checker::try_call`] accepts).
    pub(super) fn is_callable(&self, n: &Name) -> bool {
        if self.is_value(n) || self.param.as_ref() == Some(n) {
            return false;
        }
        let is_sigma = n.kind == NameKind::Greek && n.base == "sigma" && n.sub.is_none();
        self.fn_asts.contains_key(n)
            || (is_sigma && !self.free.contains_key(n))
            || self.applied_only.contains(n)
    }

    pub(super) fn try_call(&mut self, n: &Name, arg: &Expr, span: Span) -> Result<Option<TExpr>> {
        if self.is_value(n) || self.param.as_ref() == Some(n) {
            return Ok(None);
        }
        let is_sigma = n.kind == NameKind::Greek && n.base == "sigma" && n.sub.is_none();
        if self.fn_asts.contains_key(n) {
            self.function(n, span)?;
            let a = self.expr(arg)?;
            let d = a.dims;
            return Ok(Some(self.node(Op::Call(n.clone()), vec![a], d, span)));
        }
        if is_sigma && !self.free.contains_key(n) {
            let a = self.expr(arg)?;
            let d = a.dims;
            return Ok(Some(self.node(Op::Func(Func::Sigmoid), vec![a], d, span)));
        }
        if self.applied_only.contains(n) {
            let a = self.expr(arg)?;
            self.opaque.insert(n.clone());
            let d = self.scalar_dims();
            return Ok(Some(self.node(Op::Opaque(n.clone()), vec![a], d, span)));
        }
        Ok(None)
    }

    pub(super) fn power(&mut self, base: &Expr, ex: &Expr, span: Span) -> Result<TExpr> {
        // e^{t}: the exponential, unless `e` is declared or defined.
        if let ExprKind::Name(n) = &base.kind {
            if n.kind == NameKind::Latin
                && n.base == "e"
                && n.sub.is_none()
                && !self.is_value(n)
                && self.param.as_ref() != Some(n)
            {
                let a = self.expr(ex)?;
                let d = a.dims;
                return Ok(self.node(Op::Func(Func::Exp), vec![a], d, span));
            }
        }
        let q = self.constant(ex).ok_or_else(|| {
            Diagnostic::new(
                ErrorKind::Unsupported,
                "an exponent must be a constant number (write `e^{t}` or `\\exp(t)` for exponentials)",
            )
            .at(ex.span)
        })?;
        // \|x\|^2: the squared norm, differentiated as one operation.
        if q == Q::from_integer(BigInt::from(2)) {
            if let ExprKind::Norm(_, _) = &base.kind {
                let nrm = self.expr(base)?;
                let d = nrm.dims;
                let inner =
                    nrm.args.into_iter().next().ok_or_else(|| {
                        Diagnostic::new(ErrorKind::Internal, "norm without argument")
                    })?;
                return Ok(self.node(Op::NormSq, vec![inner], d, span));
            }
        }
        let b = self.expr(base)?;
        if self.is_scalar(&b) {
            let d = b.dims;
            return Ok(self.node(Op::Pow(q), vec![b], d, span));
        }
        if self.is_vector(&b) || !self.u.unify(b.dims.0, b.dims.1) {
            let s = self.describe(&b);
            return Err(Diagnostic::new(
                ErrorKind::Shape,
                format!("a matrix power needs a square matrix, but the base is {s}"),
            )
            .at(span)
            .note("for an elementwise power write `x^{\\odot 2}`"));
        }
        if !q.is_integer() {
            return Err(Diagnostic::new(
                ErrorKind::Unsupported,
                "fractional powers of a matrix are not supported",
            )
            .at(ex.span));
        }
        let k = q.to_integer();
        let mag = k.abs().to_u32().filter(|m| *m <= 64).ok_or_else(|| {
            Diagnostic::new(ErrorKind::Limit, "matrix powers are limited to |k| ≤ 64").at(ex.span)
        })?;
        let d = b.dims;
        let base_t = if k.is_negative() {
            self.node(Op::Inv, vec![b], d, span)
        } else {
            b
        };
        Ok(match mag {
            0 => self.node(Op::Identity, vec![], d, span),
            1 => base_t,
            m => self.node(Op::MatPow(m), vec![base_t], d, span),
        })
    }

    /// `\mathrm{kronl}(G, B)` (A's shape) and `\mathrm{kronr}(A, G)` (B's
    /// shape), where G has the shape of A ⊗ B.
    pub(super) fn apply2(&mut self, f: Builtin, a: &Expr, b: &Expr, span: Span) -> Result<TExpr> {
        let (x, y) = (self.expr(a)?, self.expr(b)?);
        let (p, q) = (self.u.fresh(), self.u.fresh());
        let (op, g, known, out) = match f {
            Builtin::KronL => (Op::KronL, &x, &y, true),
            Builtin::KronR => (Op::KronR, &y, &x, false),
            _ => {
                return Err(
                    Diagnostic::new(ErrorKind::Shape, "this function takes one argument").at(span),
                )
            }
        };
        // G is (p·k_r) × (q·k_c) for kronl (p × q out), (k_r·p) × (k_c·q) for kronr.
        let (rows, cols) = if out {
            (self.u.mul(p, known.dims.0), self.u.mul(q, known.dims.1))
        } else {
            (self.u.mul(known.dims.0, p), self.u.mul(known.dims.1, q))
        };
        let (gr, gc) = g.dims;
        if !(self.u.unify(gr, rows) && self.u.unify(gc, cols)) {
            return Err(self.shape_err(
                "the first argument of `\\mathrm{kronl}` (the second of `\\mathrm{kronr}`) must have the shape of a Kronecker product with the other",
                &x,
                &y,
                span,
            ));
        }
        Ok(self.node(op, vec![x, y], (p, q), span))
    }

    pub(super) fn apply(&mut self, f: Builtin, a: &Expr, span: Span) -> Result<TExpr> {
        let inner = strip_group(a);
        // \log|A|, \log\det A: the log-determinant (log of |det|).
        if f == Builtin::Log {
            let det_arg = match &inner.kind {
                ExprKind::Det(x) => Some(x),
                ExprKind::Apply(Builtin::Det, x) => Some(x),
                _ => None,
            };
            if let Some(x) = det_arg {
                let x = self.expr(x)?;
                self.require_square(&x, "a log-determinant")?;
                let d = self.scalar_dims();
                return Ok(self.node(Op::LogDet, vec![x], d, span));
            }
        }
        let x = self.expr(a)?;
        let elementwise = |fu: Func, c: &mut Checker, x: TExpr| {
            let d = x.dims;
            Ok(c.node(Op::Func(fu), vec![x], d, span))
        };
        match f {
            Builtin::Exp => elementwise(Func::Exp, self, x),
            Builtin::Log => elementwise(Func::Log, self, x),
            Builtin::Tanh => elementwise(Func::Tanh, self, x),
            Builtin::Cosh => elementwise(Func::Cosh, self, x),
            Builtin::Sinh => elementwise(Func::Sinh, self, x),
            Builtin::Arctan => elementwise(Func::Arctan, self, x),
            Builtin::Softplus => elementwise(Func::Softplus, self, x),
            Builtin::Sin => elementwise(Func::Sin, self, x),
            Builtin::Cos => elementwise(Func::Cos, self, x),
            Builtin::Sqrt => elementwise(Func::Sqrt, self, x),
            Builtin::Relu => elementwise(Func::Relu, self, x),
            Builtin::Sigmoid => elementwise(Func::Sigmoid, self, x),
            Builtin::Det => {
                self.require_square(&x, "a determinant")?;
                let d = self.scalar_dims();
                Ok(self.node(Op::Det, vec![x], d, span))
            }
            Builtin::Trace => {
                self.require_square(&x, "a trace")?;
                let d = self.scalar_dims();
                Ok(self.node(Op::Trace, vec![x], d, span))
            }
            Builtin::Sum => {
                let d = self.scalar_dims();
                Ok(self.node(Op::Sum, vec![x], d, span))
            }
            Builtin::Inv => {
                self.require_square(&x, "an inverse")?;
                let d = x.dims;
                Ok(self.node(Op::Inv, vec![x], d, span))
            }
            Builtin::Diag => {
                if self.is_scalar(&x) {
                    return Err(Diagnostic::new(
                        ErrorKind::Shape,
                        "`\\mathrm{diag}` takes a vector or a square matrix, not a scalar",
                    )
                    .at(span));
                }
                if self.is_vector(&x) {
                    let d = (x.dims.0, x.dims.0);
                    Ok(self.node(Op::Diag, vec![x], d, span))
                } else {
                    self.require_square(&x, "`\\mathrm{diag}` of a matrix")?;
                    let d = (x.dims.0, self.u.one());
                    Ok(self.node(Op::DiagPart, vec![x], d, span))
                }
            }
            Builtin::Vec => {
                let r = self.u.mul(x.dims.0, x.dims.1);
                let d = (r, self.u.one());
                Ok(self.node(Op::Vec, vec![x], d, span))
            }
            Builtin::Unvec => {
                if !self.is_vector(&x) {
                    let s = self.describe(&x);
                    return Err(Diagnostic::new(
                        ErrorKind::Shape,
                        format!("`\\mathrm{{unvec}}` takes a vector, but the argument is {s}"),
                    )
                    .at(span));
                }
                let (r, c) = (self.u.fresh(), self.u.fresh());
                let rc = self.u.mul(r, c);
                if !self.u.unify(x.dims.0, rc) {
                    return Err(Diagnostic::new(
                        ErrorKind::Shape,
                        "the length of `\\mathrm{unvec}`'s argument is not a product of two sizes",
                    )
                    .at(span));
                }
                Ok(self.node(Op::Unvec, vec![x], (r, c), span))
            }
            Builtin::KronL | Builtin::KronR => Err(Diagnostic::new(
                ErrorKind::Shape,
                "`\\mathrm{kronl}` and `\\mathrm{kronr}` take two arguments: `\\mathrm{kronl}(G, B)`",
            )
            .at(span)),
            Builtin::Softmax | Builtin::LogSumExp => {
                if !self.is_vector(&x) {
                    let s = self.describe(&x);
                    return Err(Diagnostic::new(
                        ErrorKind::Shape,
                        format!("softmax and logsumexp take a vector, but the argument is {s}"),
                    )
                    .at(span));
                }
                if f == Builtin::Softmax {
                    let d = x.dims;
                    Ok(self.node(Op::Softmax, vec![x], d, span))
                } else {
                    let d = self.scalar_dims();
                    Ok(self.node(Op::LogSumExp, vec![x], d, span))
                }
            }
        }
    }
}

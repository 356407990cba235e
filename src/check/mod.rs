//! Stage 2: names and shapes. Resolves every name (declared, defined,
//! dimension symbol, reserved, function, free), decides what each operator
//! means (matrix product or scaling, application or product), and infers
//! shapes by unification over dimension variables. Output: a typed tree.

use crate::core::diagnostic::{Diagnostic, ErrorKind, Result};
use crate::core::op::{Func, Op};
use crate::core::shape::{Dim, Shape, Q};
use crate::core::span::Span;
use crate::syntax::ast::*;
use crate::syntax::parse::Binding;
use num_bigint::BigInt;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use unify::{dim_names, dim_var, shape_of, DimBound, Unifier};

mod checker;
mod expr;
mod lenient;
mod unify;

/// A dimension variable of the unifier.
pub type DVar = usize;

/// A typed expression: meaning decided, shape as dimension variables.
#[derive(Clone, Debug)]
pub struct TExpr {
    /// What it means.
    pub op: Op,
    /// Its operands.
    pub args: Vec<TExpr>,
    /// Rows and columns (resolve with [`Typed::shape`]).
    pub dims: (DVar, DVar),
    /// Where it is written.
    pub span: Span,
}

/// Facts about a free input.
#[derive(Clone, Debug, serde::Serialize)]
pub struct VarInfo {
    /// Its resolved shape.
    pub shape: Shape,
    /// Declared in `\mathbb{S}`.
    pub symmetric: bool,
    /// Declared in `\mathbb{S}_{++}`.
    pub spd: bool,
    /// A positive scalar (`\mathbb{R}_{+}` or a dimension symbol).
    pub positive: bool,
    /// A probability vector (`\Delta^{n}`): `\mathbf{1}^T y = 1` at every
    /// point answers are evaluated at.
    pub simplex: bool,
    /// A dimension symbol used as a scalar (`D` in `-\frac{D}{2}`).
    pub is_dim: bool,
    /// Declared (rather than inferred).
    pub declared: bool,
}

impl VarInfo {
    /// An inferred input of `shape` with no declared facts (the stand-ins
    /// derivations introduce: a Jacobian's seed, a node's label, an adjoint).
    pub fn free(shape: Shape) -> VarInfo {
        VarInfo {
            shape,
            symmetric: false,
            spd: false,
            positive: false,
            simplex: false,
            is_dim: false,
            declared: false,
        }
    }
}

/// A user-defined scalar function.
#[derive(Clone, Debug)]
pub struct TFn {
    /// Its parameter.
    pub param: Name,
    /// Its body, typed with the parameter a scalar.
    pub body: TExpr,
}

/// A typed query.
#[derive(Clone, Debug)]
pub struct TQuery {
    /// First or second order.
    pub order: QueryOrder,
    /// The objective (a defined name).
    pub of: Name,
    /// The variable (a free input or a defined name).
    pub wrt: Name,
    /// Where it was asked.
    pub span: Span,
}

#[derive(Clone, Debug)]
struct Decl {
    dims: (DVar, DVar),
    symmetric: bool,
    spd: bool,
    positive: bool,
    simplex: bool,
    span: Span,
}

/// The typed document: everything later stages need.
#[derive(Clone, Debug)]
pub struct Typed {
    /// Definitions in dependency order (a definition after all it uses).
    pub defs: Vec<(Name, TExpr)>,
    /// User-defined scalar functions.
    pub fns: BTreeMap<Name, TFn>,
    /// Queries in document order.
    pub queries: Vec<TQuery>,
    /// Bare expressions in document order.
    pub exprs: Vec<TExpr>,
    /// Every free input with its facts.
    pub vars: BTreeMap<Name, VarInfo>,
    /// Names of opaque functions.
    pub opaque: BTreeSet<Name>,
    /// Answer leniencies applied (span, what was read how).
    pub lenient_notes: Vec<(Span, String)>,
    ctx: Checker,
}

impl Typed {
    /// The opaque function a definition names, when its body is one opaque
    /// application (up to transposes and unit factors): `L = \ell(z)` makes
    /// `\frac{\partial L}{\partial z}` that function's gradient.
    pub fn opaque_definition(&self, name: &Name) -> Option<&Name> {
        let (_, body) = self.defs.iter().find(|(n, _)| n == name)?;
        match &peel_unit_wrappers(body).op {
            Op::Opaque(f) => Some(f),
            _ => None,
        }
    }

    /// The resolved shape of a typed node.
    pub fn shape(&self, e: &TExpr) -> Shape {
        Shape {
            rows: self.dim(e.dims.0),
            cols: self.dim(e.dims.1),
        }
    }

    /// A resolved dimension, read without touching the unifier.
    fn dim(&self, v: DVar) -> Dim {
        let u = &self.ctx.u;
        let mut r = v;
        while u.parent[r] != r {
            r = u.parent[r];
        }
        match u.bound[r] {
            DimBound::One => Dim::One,
            DimBound::Num(n) => Dim::Num(n),
            DimBound::Sym(i) => Dim::Sym(u.syms[i].clone()),
            DimBound::Mul(a, b) => Dim::mul(&self.dim(a), &self.dim(b)),
            DimBound::Free => Dim::Sym(
                self.ctx
                    .anon_names
                    .get(&r)
                    .cloned()
                    .unwrap_or_else(|| format!("n{r}")),
            ),
        }
    }

    /// The shape of a defined name or free input.
    pub fn shape_of_name(&self, n: &Name) -> Option<Shape> {
        if let Some(v) = self.vars.get(n) {
            return Some(v.shape.clone());
        }
        self.defs
            .iter()
            .find(|(d, _)| d == n)
            .map(|(_, e)| self.shape(e))
    }

    /// Type one more expression in this document's context (an answer to
    /// grade, an expression to simplify). `lenient` enables the answer
    /// leniencies of docs/LANGUAGE.md (vector juxtaposition read as `\odot`).
    pub fn type_expr(
        &self,
        e: &Expr,
        lenient: bool,
        expected: Option<&Shape>,
    ) -> Result<(TExpr, Typed)> {
        self.type_answer(e, &[], lenient, expected)
    }

    /// Type an answer and the adjoints it names (each a definition of its
    /// own, with the shape of its variable, readable by those after it).
    pub fn type_answer(
        &self,
        e: &Expr,
        bindings: &[Binding],
        lenient: bool,
        expected: Option<&Shape>,
    ) -> Result<(TExpr, Typed)> {
        let mut ctx = self.ctx.clone();
        ctx.lenient = lenient;
        ctx.closed = true;
        let mut usage = Usage::default();
        usage.scan(e);
        for b in bindings {
            usage.scan(&b.value);
        }
        for b in bindings {
            let adj = Name::adjoint(&b.of, &b.wrt);
            if ctx.defs.contains_key(&adj) {
                return Err(Diagnostic::new(
                    ErrorKind::Name,
                    format!("`{}` is given twice", adj.latex()),
                )
                .at(b.span));
            }
            let w = ctx.name(&b.wrt, b.span)?;
            let t = ctx.expr(&b.value)?;
            if !(ctx.u.unify(t.dims.0, w.dims.0) && ctx.u.unify(t.dims.1, w.dims.1)) {
                let (got, want) = (ctx.describe(&t), ctx.describe(&w));
                return Err(Diagnostic::new(
                    ErrorKind::Shape,
                    format!(
                        "`{}` is {got}, but `{}` is {want}",
                        adj.latex(),
                        b.wrt.latex()
                    ),
                )
                .at(b.value.span));
            }
            ctx.defs.insert(adj.clone(), DefState::Done(t));
            ctx.def_order.push(adj);
        }
        for n in usage.applied.iter() {
            if !ctx.is_value(n) && !ctx.fns.contains_key(n) && !usage.values.contains(n) {
                ctx.applied_only.insert(n.clone());
            }
        }
        let zero_literal = matches!(&strip_group(e).kind, ExprKind::Num(q) if q.is_zero());
        let t = match expected {
            // A printed `0` is the zero of whatever shape the answer has.
            Some(want) if zero_literal && !want.is_scalar() => {
                let d = (ctx.u.fresh(), ctx.u.fresh());
                ctx.node(Op::Zero, vec![], d, e.span)
            }
            _ => ctx.expr(e)?,
        };
        if let Some(want) = expected {
            // A free `I` or `0` takes the shape the answer must have.
            let (r, c) = (ctx.dim_of_shape(&want.rows), ctx.dim_of_shape(&want.cols));
            let ok = ctx.u.unify(t.dims.0, r) && ctx.u.unify(t.dims.1, c);
            if !ok {
                let got = ctx.describe(&t);
                return Err(Diagnostic::new(
                    ErrorKind::Shape,
                    format!("the expression is {got}, but {want} is expected"),
                )
                .at(t.span));
            }
        }
        let typed = ctx.finish(Vec::new(), vec![t.clone()])?;
        Ok((t, typed))
    }
}

/// Which names are used as values and which only applied, over the document.
#[derive(Default)]
struct Usage {
    values: BTreeSet<Name>,
    applied: BTreeSet<Name>,
}

impl Usage {
    fn scan(&mut self, e: &Expr) {
        if let ExprKind::Chain(items) = &e.kind {
            for (i, (_, it)) in items.iter().enumerate() {
                if let Some((n, _)) = signed_name(it) {
                    let next_is_group = items.get(i + 1).is_some_and(|(op, nx)| {
                        *op == MulOp::Juxt && matches!(nx.postfix_base().kind, ExprKind::Group(_))
                    });
                    if next_is_group {
                        self.applied.insert(n.clone());
                    } else {
                        self.values.insert(n.clone());
                    }
                } else {
                    self.scan(it);
                }
            }
            return;
        }
        if let ExprKind::Name(n) = &e.kind {
            self.values.insert(n.clone());
            return;
        }
        if let ExprKind::Upstream { wrt, .. } = &e.kind {
            self.values.insert(wrt.clone());
            return;
        }
        for c in e.children() {
            self.scan(c);
        }
    }
}

#[derive(Clone, Debug)]
enum DefState {
    Pending(Expr),
    Visiting,
    Done(TExpr),
}

/// The checker's state; kept inside [`Typed`] so answers can be typed later.
#[derive(Clone, Debug)]
struct Checker {
    u: Unifier,
    decls: HashMap<Name, Decl>,
    dim_syms: BTreeSet<Name>,
    defs: BTreeMap<Name, DefState>,
    def_spans: HashMap<Name, Span>,
    def_order: Vec<Name>,
    fn_asts: HashMap<Name, (Name, Expr, Span)>,
    fns: BTreeMap<Name, TFn>,
    fn_visiting: BTreeSet<Name>,
    free: BTreeMap<Name, ((DVar, DVar), Span)>,
    opaque: BTreeSet<Name>,
    applied_only: BTreeSet<Name>,
    visiting: Vec<Name>,
    param: Option<Name>,
    lenient: bool,
    /// No new free names (answers are read in the problem's context).
    closed: bool,
    /// Leniencies applied while reading an answer, with their spans.
    lenient_notes: Vec<(Span, String)>,
    anon_names: HashMap<DVar, String>,
    /// Recursion depth guard.
    depth: usize,
}

/// The parser bounds a tree's depth already (in input size); this guard
/// only keeps the checker's recursion from ever outrunning it.
fn max_type_depth() -> usize {
    crate::core::limits::current().depth + 2
}

/// Type-check a parsed document.
pub fn check(doc: &Document) -> Result<Typed> {
    let mut c = Checker {
        u: Unifier::default(),
        decls: HashMap::new(),
        dim_syms: BTreeSet::new(),
        defs: BTreeMap::new(),
        def_spans: HashMap::new(),
        def_order: Vec::new(),
        fn_asts: HashMap::new(),
        fns: BTreeMap::new(),
        fn_visiting: BTreeSet::new(),
        free: BTreeMap::new(),
        opaque: BTreeSet::new(),
        applied_only: BTreeSet::new(),
        visiting: Vec::new(),
        param: None,
        lenient: false,
        closed: false,
        lenient_notes: Vec::new(),
        anon_names: HashMap::new(),
        depth: 0,
    };
    // Pass 1: declarations, definitions, functions, usage.
    let mut usage = Usage::default();
    let mut queries = Vec::new();
    let mut bare = Vec::new();
    for s in &doc.stmts {
        match s {
            Stmt::Decl { names, space, .. } => {
                for (n, sp) in names {
                    c.declare(n, space, *sp)?;
                }
            }
            Stmt::Def {
                name,
                name_span,
                body,
            } => {
                if c.defs.contains_key(name) || c.decls.contains_key(name) {
                    return Err(Diagnostic::new(
                        ErrorKind::Name,
                        format!("`{}` is defined or declared twice", name.latex()),
                    )
                    .at(*name_span));
                }
                usage.scan(body);
                c.defs.insert(name.clone(), DefState::Pending(body.clone()));
                c.def_spans.insert(name.clone(), *name_span);
            }
            Stmt::FnDef {
                name,
                param,
                body,
                span,
            } => {
                if c.fn_asts.contains_key(name) {
                    return Err(Diagnostic::new(
                        ErrorKind::Name,
                        format!("function `{}` is defined twice", name.latex()),
                    )
                    .at(*span));
                }
                // One rule for every built-in, `\sigma` included: it keeps
                // its meaning, and a definition of it is an error.
                if is_builtin_name(name) {
                    return Err(Diagnostic::new(
                        ErrorKind::Name,
                        format!(
                            "`{}` is a built-in function and cannot be redefined; give yours another name, such as `\\mathrm{{my{}}}`",
                            name.latex(),
                            name.base
                        ),
                    )
                    .at(*span));
                }
                usage.scan(body);
                c.fn_asts
                    .insert(name.clone(), (param.clone(), body.clone(), *span));
            }
            Stmt::Query(q) => queries.push(q.clone()),
            Stmt::Expr(e) => {
                usage.scan(e);
                bare.push(e.clone());
            }
        }
    }
    for n in &usage.applied {
        if !c.is_value(n) && !c.fn_asts.contains_key(n) && !usage.values.contains(n) {
            c.applied_only.insert(n.clone());
        }
    }
    for (n, (_, _, span)) in c.fn_asts.clone() {
        if c.is_value(&n) {
            return Err(Diagnostic::new(
                ErrorKind::Name,
                format!("`{}` is both a function and a value", n.latex()),
            )
            .at(span));
        }
        c.function(&n, span)?;
    }
    // Document order: definitions usually come after what they use, so
    // typing one rarely recurses into another (a chain of a thousand links
    // must not nest a thousand deep).
    let names: Vec<Name> = doc
        .stmts
        .iter()
        .filter_map(|s| match s {
            Stmt::Def { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    for n in names {
        let span = c.def_spans.get(&n).copied().unwrap_or_default();
        c.def(&n, span)?;
    }
    let mut tqs = Vec::new();
    for q in &queries {
        tqs.push(c.query(q)?);
    }
    let mut texprs = Vec::new();
    for e in &bare {
        texprs.push(c.expr(e)?);
    }
    c.finish(tqs, texprs)
}

/// Whether `n` names a built-in function (`\sigma`, `\mathrm{tr}`, …).
fn is_builtin_name(n: &Name) -> bool {
    const WORDS: [&str; 22] = [
        "trace",
        "tr",
        "Tr",
        "relu",
        "ReLU",
        "sum",
        "diag",
        "vec",
        "softmax",
        "logsumexp",
        "LSE",
        "inv",
        "exp",
        "log",
        "tanh",
        "sigmoid",
        "det",
        "sqrt",
        "unvec",
        "kronl",
        "kronr",
        "ln",
    ];
    match n.kind {
        NameKind::Greek => n.base == "sigma" && n.sub.is_none(),
        NameKind::Word => n.sub.is_none() && WORDS.contains(&n.base.as_str()),
        _ => false,
    }
}

/// A name under zero or more unary minus signs: (`f`, 1) for `-f`.
fn signed_name(e: &Expr) -> Option<(&Name, usize)> {
    match &e.kind {
        ExprKind::Name(n) => Some((n, 0)),
        ExprKind::Neg(a) => signed_name(a).map(|(n, k)| (n, k + 1)),
        _ => None,
    }
}

fn strip_group(e: &Expr) -> &Expr {
    match &e.kind {
        ExprKind::Group(a) => strip_group(a),
        _ => e,
    }
}

/// `e` without what leaves a scalar's value unchanged around it: its
/// transposes, and constant factors whose product is 1 (`-(-f(x))`).
pub fn peel_unit_wrappers(e: &TExpr) -> &TExpr {
    fn peel(e: &TExpr) -> (&TExpr, Q) {
        match (&e.op, e.args.as_slice()) {
            (Op::Transpose, [a]) => peel(a),
            (Op::Mul, [k, x]) | (Op::Mul, [x, k]) if matches!(k.op, Op::Const(_)) => {
                let (inner, c) = peel(x);
                match &k.op {
                    Op::Const(q) => (inner, c * q),
                    _ => (inner, c),
                }
            }
            _ => (e, num_traits::One::one()),
        }
    }
    match peel(e) {
        (inner, c) if num_traits::One::is_one(&c) => inner,
        _ => e,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn check_example() {
        use crate::{check::check, syntax::parse::parse_document};
        let doc = parse_document(
            "W \\in \\mathbb{R}^{m \\times n}\nL = \\mathrm{tr}(W^T W)\n\\nabla_W L",
        )
        .unwrap();
        let typed = check(&doc).unwrap();
        assert_eq!(typed.queries.len(), 1);
    }
}

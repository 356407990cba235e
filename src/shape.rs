//! Stage 2: names and shapes. Resolves every name (declared, defined,
//! dimension symbol, reserved, function, free), decides what each operator
//! means (matrix product or scaling, application or product), and infers
//! shapes by unification over dimension variables. Output: a typed tree.

use crate::diagnostic::{Diagnostic, ErrorKind, Result};
use crate::syntax::ast::*;
use crate::syntax::parse::Binding;
use crate::syntax::span::Span;
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

/// An exact rational constant.
pub type Q = BigRational;

/// A resolved dimension.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Dim {
    /// Size 1 (scalars, the columns of vectors).
    One,
    /// A positive integer other than 1.
    Num(u64),
    /// A dimension symbol: `n`, `D`, or a generated `n1` for undeclared sizes.
    Sym(String),
    /// A product of two dimensions (Kronecker products, `\mathrm{vec}`).
    Mul(Box<Dim>, Box<Dim>),
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::One => f.write_str("1"),
            Dim::Num(n) => write!(f, "{n}"),
            Dim::Sym(s) => f.write_str(s),
            Dim::Mul(a, b) => write!(f, "{a} {b}"),
        }
    }
}

/// A resolved shape: rows × cols. Scalars are 1×1, vectors n×1.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Shape {
    /// Rows.
    pub rows: Dim,
    /// Columns.
    pub cols: Dim,
}

impl Shape {
    /// The scalar shape.
    pub fn scalar() -> Shape {
        Shape {
            rows: Dim::One,
            cols: Dim::One,
        }
    }
    /// Whether this is 1×1.
    pub fn is_scalar(&self) -> bool {
        self.rows == Dim::One && self.cols == Dim::One
    }
    /// Whether this is a column vector (n×1, n ≠ 1).
    pub fn is_vector(&self) -> bool {
        self.cols == Dim::One && self.rows != Dim::One
    }
    /// Whether rows and cols are the same dimension.
    pub fn is_square(&self) -> bool {
        self.rows == self.cols
    }
    /// Transposed shape.
    pub fn t(&self) -> Shape {
        Shape {
            rows: self.cols.clone(),
            cols: self.rows.clone(),
        }
    }
    /// JSON form: `[]`, `["n"]`, `["m", "n"]`.
    pub fn to_list(&self) -> Vec<String> {
        if self.is_scalar() {
            vec![]
        } else if self.cols == Dim::One {
            vec![self.rows.to_string()]
        } else {
            vec![self.rows.to_string(), self.cols.to_string()]
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_scalar() {
            f.write_str("scalar")
        } else if self.cols == Dim::One {
            write!(f, "vector {}", self.rows)
        } else {
            write!(f, "{} × {}", self.rows, self.cols)
        }
    }
}

/// An elementwise scalar function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Func {
    /// `\exp`.
    Exp,
    /// `\log`.
    Log,
    /// Logistic sigmoid `\sigma`.
    Sigmoid,
    /// `\tanh`.
    Tanh,
    /// `\sin`.
    Sin,
    /// `\cos`.
    Cos,
    /// `\sqrt`.
    Sqrt,
    /// `\mathrm{relu}`.
    Relu,
    /// `\mathbb{1}[z > 0]`.
    Step,
}

/// What a typed node means. Children are in [`TExpr::args`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TOp {
    /// A free input (declared or undeclared name, dimension symbol, function parameter).
    Var(Name),
    /// A defined name (its body is in [`Typed::defs`]).
    Def(Name),
    /// An exact scalar.
    Const(Q),
    /// `I` of the node's (square) shape.
    Identity,
    /// `\mathbf{1}` of the node's shape.
    Ones,
    /// Zero of the node's shape.
    Zero,
    /// `\frac{\partial of}{\partial arg}`: an upstream-gradient atom; the one
    /// child is the variable, for its shape and value (not differentiated).
    Upstream(Name),
    /// Sum, with a scalar operand broadcast to every entry.
    Add,
    /// Matrix product, or scaling when either side is 1×1.
    Mul,
    /// Hadamard product.
    Had,
    /// Kronecker product.
    Kron,
    /// Transpose.
    Transpose,
    /// Matrix inverse.
    Inv,
    /// Integer matrix power ≥ 2.
    MatPow(u32),
    /// Scalar or elementwise rational power.
    Pow(Q),
    /// Trace.
    Trace,
    /// Determinant.
    Det,
    /// `\log|\det A|`.
    LogDet,
    /// 2-norm of a vector, Frobenius norm of a matrix.
    Norm,
    /// Squared 2-/Frobenius norm.
    NormSq,
    /// An elementwise built-in function.
    Func(Func),
    /// A user-defined scalar function, applied elementwise.
    Call(Name),
    /// An opaque scalar-valued function of unknown form.
    Opaque(Name),
    /// Sum of all entries.
    Sum,
    /// Vector → diagonal matrix.
    Diag,
    /// Matrix → vector of its diagonal.
    DiagPart,
    /// Column-stacking.
    Vec,
    /// `\mathrm{softmax}` of a vector.
    Softmax,
    /// `\mathrm{logsumexp}` of a vector.
    LogSumExp,
    /// `\mathrm{unvec}` of a vector into the node's shape.
    Unvec,
    /// `\mathrm{kronl}(G, B)`.
    KronL,
    /// `\mathrm{kronr}(A, G)`.
    KronR,
}

/// A dimension variable of the unifier.
pub type DVar = usize;

/// A typed expression: meaning decided, shape as dimension variables.
#[derive(Clone, Debug)]
pub struct TExpr {
    /// What it means.
    pub op: TOp,
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
    /// A dimension symbol used as a scalar (`D` in `-\frac{D}{2}`).
    pub is_dim: bool,
    /// Declared (rather than inferred).
    pub declared: bool,
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

#[derive(Clone, Copy, Debug, PartialEq)]
enum DimBound {
    Free,
    One,
    Num(u64),
    Sym(usize),
    Mul(DVar, DVar),
}

/// Union-find over dimension variables.
#[derive(Clone, Debug, Default)]
struct Unifier {
    parent: Vec<DVar>,
    bound: Vec<DimBound>,
    syms: Vec<String>,
}

impl Unifier {
    fn fresh(&mut self) -> DVar {
        self.parent.push(self.parent.len());
        self.bound.push(DimBound::Free);
        self.parent.len() - 1
    }
    fn one(&mut self) -> DVar {
        let v = self.fresh();
        self.bound[v] = DimBound::One;
        v
    }
    fn num(&mut self, n: u64) -> DVar {
        if n == 1 {
            return self.one();
        }
        let v = self.fresh();
        self.bound[v] = DimBound::Num(n);
        v
    }
    fn sym(&mut self, s: &str) -> DVar {
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
    fn mul(&mut self, a: DVar, b: DVar) -> DVar {
        if self.is_one(a) {
            return b;
        }
        if self.is_one(b) {
            return a;
        }
        let v = self.fresh();
        self.bound[v] = DimBound::Mul(a, b);
        v
    }
    fn find(&mut self, v: DVar) -> DVar {
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
    fn is_one(&mut self, v: DVar) -> bool {
        let r = self.find(v);
        self.bound[r] == DimBound::One
    }
    /// Unify; false on a conflict.
    fn unify(&mut self, a: DVar, b: DVar) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return true;
        }
        let (ba, bb) = (self.bound[ra], self.bound[rb]);
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

#[derive(Clone, Debug)]
struct Decl {
    dims: (DVar, DVar),
    symmetric: bool,
    spd: bool,
    positive: bool,
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
            DimBound::Mul(a, b) => Dim::Mul(Box::new(self.dim(a)), Box::new(self.dim(b))),
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
                ctx.node(TOp::Zero, vec![], d, e.span)
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

fn shape_of(u: &mut Unifier, names: &HashMap<DVar, String>, d: (DVar, DVar)) -> Shape {
    Shape {
        rows: dim_of(u, names, d.0),
        cols: dim_of(u, names, d.1),
    }
}

fn dim_of(u: &mut Unifier, names: &HashMap<DVar, String>, v: DVar) -> Dim {
    let r = u.find(v);
    match u.bound[r] {
        DimBound::One => Dim::One,
        DimBound::Num(n) => Dim::Num(n),
        DimBound::Sym(i) => Dim::Sym(u.syms[i].clone()),
        DimBound::Mul(a, b) => {
            Dim::Mul(Box::new(dim_of(u, names, a)), Box::new(dim_of(u, names, b)))
        }
        DimBound::Free => Dim::Sym(names.get(&r).cloned().unwrap_or_else(|| format!("n{r}"))),
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

const MAX_TYPE_DEPTH: usize = 400;

/// Type-check a parsed document.
///
/// ```
/// use matcalc::{syntax::parse::parse_document, shape::check};
/// let doc = parse_document("W \\in \\mathbb{R}^{m \\times n}\nL = \\mathrm{tr}(W^T W)\n\\nabla_W L").unwrap();
/// let typed = check(&doc).unwrap();
/// assert_eq!(typed.queries.len(), 1);
/// ```
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

fn dim_names(d: &DimAst) -> Vec<&Name> {
    match d {
        DimAst::Sym(n, _) => vec![n],
        DimAst::Int(_) => vec![],
        DimAst::Prod(ds) => ds.iter().flat_map(dim_names).collect(),
    }
}

fn dim_var(u: &mut Unifier, d: &DimAst) -> DVar {
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

impl Checker {
    fn finish(mut self, queries: Vec<TQuery>, exprs: Vec<TExpr>) -> Result<Typed> {
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

    fn declare(&mut self, n: &Name, space: &Space, span: Span) -> Result<()> {
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
                span,
            },
        );
        Ok(())
    }

    fn dim_of_shape(&mut self, d: &Dim) -> DVar {
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

    fn is_value(&self, n: &Name) -> bool {
        self.decls.contains_key(n) || self.defs.contains_key(n) || self.dim_syms.contains(n)
    }

    fn node(&self, op: TOp, args: Vec<TExpr>, dims: (DVar, DVar), span: Span) -> TExpr {
        TExpr {
            op,
            args,
            dims,
            span,
        }
    }

    fn scalar_dims(&mut self) -> (DVar, DVar) {
        (self.u.one(), self.u.one())
    }

    fn is_scalar(&mut self, e: &TExpr) -> bool {
        self.u.is_one(e.dims.0) && self.u.is_one(e.dims.1)
    }

    fn is_vector(&mut self, e: &TExpr) -> bool {
        self.u.is_one(e.dims.1) && !self.u.is_one(e.dims.0)
    }

    fn describe(&mut self, e: &TExpr) -> String {
        let names = self.anon_names.clone();
        shape_of(&mut self.u, &names, e.dims).to_string()
    }

    fn shape_err(&mut self, msg: &str, a: &TExpr, b: &TExpr, src: Span) -> Diagnostic {
        let (sa, sb) = (self.describe(a), self.describe(b));
        Diagnostic::new(
            ErrorKind::Shape,
            format!("{msg}: the left operand is {sa}, the right operand is {sb}"),
        )
        .at(src)
        .label(a.span, format!("this is {sa}"))
        .label(b.span, format!("this is {sb}"))
    }

    fn require_square(&mut self, e: &TExpr, what: &str) -> Result<()> {
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

    fn require_scalar(&mut self, e: &TExpr, what: &str) -> Result<()> {
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

    fn function(&mut self, n: &Name, span: Span) -> Result<()> {
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

    fn def(&mut self, n: &Name, use_span: Span) -> Result<TExpr> {
        match self.defs.get(n).cloned() {
            Some(DefState::Done(t)) => Ok(self.node(TOp::Def(n.clone()), vec![], t.dims, use_span)),
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
                Ok(self.node(TOp::Def(n.clone()), vec![], dims, use_span))
            }
            None => Err(Diagnostic::new(ErrorKind::Internal, "unknown definition").at(use_span)),
        }
    }

    fn query(&mut self, q: &Query) -> Result<TQuery> {
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
    fn name(&mut self, n: &Name, span: Span) -> Result<TExpr> {
        if self.param.as_ref() == Some(n) {
            let d = self.scalar_dims();
            return Ok(self.node(TOp::Var(n.clone()), vec![], d, span));
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
            return Ok(self.node(TOp::Var(n.clone()), vec![], dims, span));
        }
        if self.defs.contains_key(n) {
            return self.def(n, span);
        }
        if self.dim_syms.contains(n) {
            let d = self.scalar_dims();
            self.free.entry(n.clone()).or_insert((d, span));
            return Ok(self.node(TOp::Var(n.clone()), vec![], d, span));
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
        let is_reserved = |s: &str| n.kind == NameKind::Latin && n.sub.is_none() && n.base == s;
        if is_reserved("I") {
            let r = self.u.fresh();
            return Ok(self.node(TOp::Identity, vec![], (r, r), span));
        }
        if is_reserved("e") {
            let d = self.scalar_dims();
            let one = self.node(TOp::Const(Q::one()), vec![], d, span);
            let d2 = self.scalar_dims();
            return Ok(self.node(TOp::Func(Func::Exp), vec![one], d2, span));
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
            return Ok(self.node(TOp::Var(n.clone()), vec![], d, span));
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
        Ok(self.node(TOp::Var(n.clone()), vec![], d, span))
    }

    fn constant(&self, e: &Expr) -> Option<Q> {
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

    fn expr(&mut self, e: &Expr) -> Result<TExpr> {
        self.depth += 1;
        if self.depth > MAX_TYPE_DEPTH {
            self.depth -= 1;
            return Err(Diagnostic::new(
                ErrorKind::Limit,
                format!("expression nested deeper than {MAX_TYPE_DEPTH} levels"),
            )
            .at(e.span));
        }
        let r = self.expr_inner(e);
        self.depth -= 1;
        r
    }

    fn expr_inner(&mut self, e: &Expr) -> Result<TExpr> {
        let span = e.span;
        match &e.kind {
            ExprKind::Num(q) => {
                let d = self.scalar_dims();
                Ok(self.node(TOp::Const(q.clone()), vec![], d, span))
            }
            ExprKind::Name(n) => self.name(n, span),
            ExprKind::Ones => {
                let d = (self.u.fresh(), self.u.one());
                Ok(self.node(TOp::Ones, vec![], d, span))
            }
            ExprKind::Indicator(a) => {
                let a = self.expr(a)?;
                let d = a.dims;
                Ok(self.node(TOp::Func(Func::Step), vec![a], d, span))
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
                Ok(self.node(TOp::Upstream(of.clone()), vec![w], d, span))
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
                Ok(self.node(TOp::Had, vec![a, b], d, span))
            }
            ExprKind::Kron(a, b) => {
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                let r = self.u.mul(a.dims.0, b.dims.0);
                let c = self.u.mul(a.dims.1, b.dims.1);
                Ok(self.node(TOp::Kron, vec![a, b], (r, c), span))
            }
            ExprKind::Frac(a, b) => {
                if let Some(q) = self.constant(e) {
                    let d = self.scalar_dims();
                    return Ok(self.node(TOp::Const(q), vec![], d, span));
                }
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                self.div(a, b, span)
            }
            ExprKind::Transpose(a) => {
                let a = self.expr(a)?;
                let d = (a.dims.1, a.dims.0);
                Ok(self.node(TOp::Transpose, vec![a], d, span))
            }
            ExprKind::InvTranspose(a) => {
                let a = self.expr(a)?;
                self.require_square(&a, "an inverse")?;
                let d = (a.dims.1, a.dims.0);
                let t = self.node(TOp::Transpose, vec![a], d, span);
                Ok(self.node(TOp::Inv, vec![t], d, span))
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
                Ok(self.node(TOp::Pow(q), vec![b], d, span))
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
                            "the spectral norm `\\|A\\|_2` of a matrix is not supported; write `\\|A\\|_F` for the Frobenius norm",
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
                Ok(self.node(TOp::Norm, vec![a], d, span))
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
                Ok(self.node(TOp::Det, vec![a], d, span))
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

    fn neg(&mut self, a: TExpr) -> TExpr {
        let span = a.span;
        let d = self.scalar_dims();
        let m1 = self.node(TOp::Const(-Q::one()), vec![], d, span);
        let dims = a.dims;
        self.node(TOp::Mul, vec![m1, a], dims, span)
    }

    fn add(&mut self, a: TExpr, b: TExpr, span: Span) -> Result<TExpr> {
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
        Ok(self.node(TOp::Add, vec![a, b], dims, span))
    }

    fn mul(&mut self, a: TExpr, b: TExpr, span: Span) -> Result<TExpr> {
        if self.is_scalar(&a) {
            let d = b.dims;
            return Ok(self.node(TOp::Mul, vec![a, b], d, span));
        }
        if self.is_scalar(&b) {
            let d = a.dims;
            return Ok(self.node(TOp::Mul, vec![a, b], d, span));
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
        Ok(self.node(TOp::Mul, vec![a, b], d, span))
    }

    fn div(&mut self, a: TExpr, b: TExpr, span: Span) -> Result<TExpr> {
        self.require_scalar(&b, "a divisor")?;
        let bs = b.span;
        let d = self.scalar_dims();
        let inv = self.node(TOp::Pow(-Q::one()), vec![b], d, bs);
        self.mul(a, inv, span)
    }

    fn chain(&mut self, items: &[(MulOp, Expr)], span: Span) -> Result<TExpr> {
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

    /// Answers only: read a product chain choosing, for each adjacent pair,
    /// a matrix product or (two same-length vectors) a Hadamard product, so
    /// that the whole chain type-checks; fewest Hadamard products wins.
    fn lenient_chain(&mut self, factors: Vec<TExpr>) -> Result<TExpr> {
        // Concrete shapes of the factors, as now known.
        let names = self.anon_names.clone();
        let shapes: Vec<Shape> = factors
            .iter()
            .map(|f| shape_of(&mut self.u, &names, f.dims))
            .collect();
        let n = factors.len();
        // best[i][j]: (hadamards, shape, tree) for factors i..=j.
        #[derive(Clone)]
        enum Tree {
            Leaf(usize),
            Node(bool, Box<Tree>, Box<Tree>),
        }
        type Cell = Option<(usize, Shape, Tree)>;
        let mut best: Vec<Vec<Cell>> = vec![vec![None; n]; n];
        for (i, s) in shapes.iter().enumerate() {
            best[i][i] = Some((0, s.clone(), Tree::Leaf(i)));
        }
        for len in 2..=n {
            for i in 0..=n - len {
                let j = i + len - 1;
                let mut cell: Cell = None;
                for k in i..j {
                    let (Some((ha, sa, ta)), Some((hb, sb, tb))) =
                        (best[i][k].clone(), best[k + 1][j].clone())
                    else {
                        continue;
                    };
                    let mut cands = Vec::new();
                    if sa.is_scalar() {
                        cands.push((ha + hb, sb.clone(), false));
                    } else if sb.is_scalar() {
                        cands.push((ha + hb, sa.clone(), false));
                    } else if sa.cols == sb.rows && !(sa.is_vector() && sb.is_vector()) {
                        cands.push((
                            ha + hb,
                            Shape {
                                rows: sa.rows.clone(),
                                cols: sb.cols.clone(),
                            },
                            false,
                        ));
                    }
                    if sa.is_vector() && sa == sb {
                        cands.push((ha + hb + 1, sa.clone(), true));
                    }
                    for (h, s, had) in cands {
                        if cell.as_ref().is_none_or(|c| h < c.0) {
                            cell = Some((
                                h,
                                s,
                                Tree::Node(had, Box::new(ta.clone()), Box::new(tb.clone())),
                            ));
                        }
                    }
                }
                best[i][j] = cell;
            }
        }
        let Some((_, _, tree)) = best[0][n - 1].clone() else {
            // No reading type-checks: report with the strict reading's error.
            let mut it = factors.into_iter();
            let mut acc = it
                .next()
                .ok_or_else(|| Diagnostic::new(ErrorKind::Internal, "empty product"))?;
            for t in it {
                let s = acc.span.join(t.span);
                acc = self.mul(acc, t, s)?;
            }
            return Ok(acc);
        };
        let hads = best[0][n - 1].as_ref().map(|c| c.0).unwrap_or(0);
        if hads > 0 {
            let span = factors[0].span.join(factors[n - 1].span);
            let what = if hads == 1 {
                "an elementwise product".to_string()
            } else {
                format!("{hads} elementwise products")
            };
            self.lenient_notes.push((
                span,
                format!("juxtaposed vectors were read as {what} (\\odot), the one reading that fits the shapes"),
            ));
        }
        let mut slots: Vec<Option<TExpr>> = factors.into_iter().map(Some).collect();
        fn build(c: &mut Checker, t: &Tree, slots: &mut Vec<Option<TExpr>>) -> Result<TExpr> {
            match t {
                Tree::Leaf(i) => slots[*i]
                    .take()
                    .ok_or_else(|| Diagnostic::new(ErrorKind::Internal, "factor used twice")),
                Tree::Node(had, a, b) => {
                    let a = build(c, a, slots)?;
                    let b = build(c, b, slots)?;
                    let s = a.span.join(b.span);
                    if *had {
                        c.u.unify(a.dims.0, b.dims.0);
                        let d = a.dims;
                        Ok(c.node(TOp::Had, vec![a, b], d, s))
                    } else {
                        c.mul(a, b, s)
                    }
                }
            }
        }
        build(self, &tree, &mut slots)
    }

    /// Whether `n` followed by a group is an application (what
    /// [`Checker::try_call`] accepts).
    fn is_callable(&self, n: &Name) -> bool {
        if self.is_value(n) || self.param.as_ref() == Some(n) {
            return false;
        }
        let is_sigma = n.kind == NameKind::Greek && n.base == "sigma" && n.sub.is_none();
        self.fn_asts.contains_key(n)
            || (is_sigma && !self.free.contains_key(n))
            || self.applied_only.contains(n)
    }

    fn try_call(&mut self, n: &Name, arg: &Expr, span: Span) -> Result<Option<TExpr>> {
        if self.is_value(n) || self.param.as_ref() == Some(n) {
            return Ok(None);
        }
        let is_sigma = n.kind == NameKind::Greek && n.base == "sigma" && n.sub.is_none();
        if self.fn_asts.contains_key(n) {
            self.function(n, span)?;
            let a = self.expr(arg)?;
            let d = a.dims;
            return Ok(Some(self.node(TOp::Call(n.clone()), vec![a], d, span)));
        }
        if is_sigma && !self.free.contains_key(n) {
            let a = self.expr(arg)?;
            let d = a.dims;
            return Ok(Some(self.node(TOp::Func(Func::Sigmoid), vec![a], d, span)));
        }
        if self.applied_only.contains(n) {
            let a = self.expr(arg)?;
            self.opaque.insert(n.clone());
            let d = self.scalar_dims();
            return Ok(Some(self.node(TOp::Opaque(n.clone()), vec![a], d, span)));
        }
        Ok(None)
    }

    fn power(&mut self, base: &Expr, ex: &Expr, span: Span) -> Result<TExpr> {
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
                return Ok(self.node(TOp::Func(Func::Exp), vec![a], d, span));
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
                return Ok(self.node(TOp::NormSq, vec![inner], d, span));
            }
        }
        let b = self.expr(base)?;
        if self.is_scalar(&b) {
            let d = b.dims;
            return Ok(self.node(TOp::Pow(q), vec![b], d, span));
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
            self.node(TOp::Inv, vec![b], d, span)
        } else {
            b
        };
        Ok(match mag {
            0 => self.node(TOp::Identity, vec![], d, span),
            1 => base_t,
            m => self.node(TOp::MatPow(m), vec![base_t], d, span),
        })
    }

    /// `\mathrm{kronl}(G, B)` (A's shape) and `\mathrm{kronr}(A, G)` (B's
    /// shape), where G has the shape of A ⊗ B.
    fn apply2(&mut self, f: Builtin, a: &Expr, b: &Expr, span: Span) -> Result<TExpr> {
        let (x, y) = (self.expr(a)?, self.expr(b)?);
        let (p, q) = (self.u.fresh(), self.u.fresh());
        let (op, g, known, out) = match f {
            Builtin::KronL => (TOp::KronL, &x, &y, true),
            Builtin::KronR => (TOp::KronR, &y, &x, false),
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

    fn apply(&mut self, f: Builtin, a: &Expr, span: Span) -> Result<TExpr> {
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
                return Ok(self.node(TOp::LogDet, vec![x], d, span));
            }
        }
        let x = self.expr(a)?;
        let elementwise = |fu: Func, c: &mut Checker, x: TExpr| {
            let d = x.dims;
            Ok(c.node(TOp::Func(fu), vec![x], d, span))
        };
        match f {
            Builtin::Exp => elementwise(Func::Exp, self, x),
            Builtin::Log => elementwise(Func::Log, self, x),
            Builtin::Tanh => elementwise(Func::Tanh, self, x),
            Builtin::Sin => elementwise(Func::Sin, self, x),
            Builtin::Cos => elementwise(Func::Cos, self, x),
            Builtin::Sqrt => elementwise(Func::Sqrt, self, x),
            Builtin::Relu => elementwise(Func::Relu, self, x),
            Builtin::Sigmoid => elementwise(Func::Sigmoid, self, x),
            Builtin::Det => {
                self.require_square(&x, "a determinant")?;
                let d = self.scalar_dims();
                Ok(self.node(TOp::Det, vec![x], d, span))
            }
            Builtin::Trace => {
                self.require_square(&x, "a trace")?;
                let d = self.scalar_dims();
                Ok(self.node(TOp::Trace, vec![x], d, span))
            }
            Builtin::Sum => {
                let d = self.scalar_dims();
                Ok(self.node(TOp::Sum, vec![x], d, span))
            }
            Builtin::Inv => {
                self.require_square(&x, "an inverse")?;
                let d = x.dims;
                Ok(self.node(TOp::Inv, vec![x], d, span))
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
                    Ok(self.node(TOp::Diag, vec![x], d, span))
                } else {
                    self.require_square(&x, "`\\mathrm{diag}` of a matrix")?;
                    let d = (x.dims.0, self.u.one());
                    Ok(self.node(TOp::DiagPart, vec![x], d, span))
                }
            }
            Builtin::Vec => {
                let r = self.u.mul(x.dims.0, x.dims.1);
                let d = (r, self.u.one());
                Ok(self.node(TOp::Vec, vec![x], d, span))
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
                Ok(self.node(TOp::Unvec, vec![x], (r, c), span))
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
                    Ok(self.node(TOp::Softmax, vec![x], d, span))
                } else {
                    let d = self.scalar_dims();
                    Ok(self.node(TOp::LogSumExp, vec![x], d, span))
                }
            }
        }
    }
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

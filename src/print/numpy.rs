//! A self-contained NumPy module: one function per answer, parameters the
//! free inputs the answer depends on (sorted), defined names computed inside,
//! dimension symbols read from the arrays' shapes.

use crate::core::diagnostic::{Diagnostic, ErrorKind, Result};
use crate::core::op::Func;
use crate::core::op::Op;
use crate::core::shape::{Dim, Q};
use crate::ir::{Graph, Id};
use crate::syntax::ast::Name;
use std::collections::{BTreeMap, BTreeSet, HashMap};

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield", "np",
];

/// A name as a Python identifier (`\lambda` → `lambda_`).
pub fn py_ident(n: &Name) -> String {
    let s = n.ident();
    if KEYWORDS.contains(&s.as_str()) {
        format!("{s}_")
    } else {
        s
    }
}

/// The parameter name of an upstream-gradient atom: `dL_dz_2`.
pub fn upstream_ident(g: &Graph, of: &Name, arg: Id) -> String {
    let a = match g.op(arg) {
        Op::Var(n) | Op::Def(n) => n.ident(),
        _ => format!("node{arg}"),
    };
    format!("d{}_d{}", of.ident(), a)
}

/// One function to emit: its name and the answer's node.
pub struct Function {
    /// `grad_L_W`.
    pub name: String,
    /// The answer.
    pub id: Id,
}

/// The helpers a module may call, each with the name it is called by.
const HELPERS: [(&str, &str); 6] = [
    // tanh form: finite for any x (1 / (1 + e^{-x}) overflows below -709).
    ("_sigmoid(", "def _sigmoid(x):\n    return 0.5 * (1.0 + np.tanh(0.5 * x))\n"),
    ("_softplus(", "def _softplus(x):\n    return np.logaddexp(0.0, x)\n"),
    ("_softmax(", "def _softmax(z):\n    e = np.exp(z - np.max(z))\n    return e / np.sum(e)\n"),
    ("_logsumexp(", "def _logsumexp(z):\n    m = np.max(z)\n    return m + np.log(np.sum(np.exp(z - m)))\n"),
    ("_kron_grad_a(", "def _kron_grad_a(G, B):\n    p, q = B.shape\n    m, n = G.shape[0] // p, G.shape[1] // q\n    return np.array([[np.sum(G[i*p:(i+1)*p, j*q:(j+1)*q] * B) for j in range(n)] for i in range(m)])\n"),
    ("_kron_grad_b(", "def _kron_grad_b(A, G):\n    m, n = A.shape\n    p, q = G.shape[0] // m, G.shape[1] // n\n    return sum(A[i, j] * G[i*p:(i+1)*p, j*q:(j+1)*q] for i in range(m) for j in range(n))\n"),
];

/// A whole module with the given functions: `import numpy as np`, the
/// helpers and user functions the code calls (and only those), then the
/// functions.
pub fn module(g: &Graph, fns: &[Function]) -> Result<String> {
    let mut body = String::new();
    for f in fns {
        body.push_str("\n\n");
        body.push_str(&function(g, f)?);
    }
    // User functions may call helpers and each other: take those called,
    // until nothing new is called (a call is a name followed by `(`; a
    // false match only keeps a definition that is not needed).
    let mut defs = Vec::new();
    for (f, (param, def)) in &g.fns {
        let mut e = Emitter::new(g);
        let code = e.expr(*def)?;
        let name = py_ident(f);
        defs.push((
            format!("{name}("),
            format!("\n\ndef {name}({}):\n    return {code}\n", py_ident(param)),
        ));
    }
    let mut taken = vec![false; defs.len()];
    let mut called = body.clone();
    loop {
        let mut more = false;
        for (i, (call, def)) in defs.iter().enumerate() {
            if !taken[i] && called.contains(call.as_str()) {
                taken[i] = true;
                called.push_str(def);
                more = true;
            }
        }
        if !more {
            break;
        }
    }
    let users: String = defs
        .iter()
        .zip(&taken)
        .filter(|(_, t)| **t)
        .map(|((_, d), _)| d.as_str())
        .collect();
    let mut s = String::from("import numpy as np\n");
    for (call, def) in HELPERS {
        if called.contains(call) {
            s.push_str("\n\n");
            s.push_str(def);
        }
    }
    s.push_str(&users);
    s.push_str(&body);
    Ok(s)
}

/// One function's source.
pub fn function(g: &Graph, f: &Function) -> Result<String> {
    let mut e = Emitter::new(g);
    e.count_uses(f.id);
    let ret = e.expr(f.id)?;
    let ret = if g.is_scalar(f.id) {
        format!("float(np.asarray({ret}).reshape(-1)[0])")
    } else {
        ret
    };
    // Parameters: free inputs (not dimension symbols) and upstream atoms.
    let mut params: BTreeSet<String> = BTreeSet::new();
    let mut carriers: Vec<(String, Dim, Dim)> = Vec::new();
    for n in &e.vars {
        let Some(info) = g.vars.get(n) else { continue };
        if info.is_dim {
            continue;
        }
        params.insert(py_ident(n));
        carriers.push((
            py_ident(n),
            info.shape.rows.clone(),
            info.shape.cols.clone(),
        ));
    }
    for (p, (r, c)) in &e.upstreams {
        params.insert(p.clone());
        carriers.push((p.clone(), r.clone(), c.clone()));
    }
    carriers.sort_by(|a, b| a.0.cmp(&b.0));
    // Dimensions: read from a parameter's shape, or else a parameter of their own.
    let mut dim_lines = Vec::new();
    let mut int_params = Vec::new();
    for d in &e.dims {
        let mut found = None;
        for (p, r, c) in &carriers {
            if let Dim::Sym(s) = r {
                if s == d {
                    found = Some(format!("{p}.shape[0]"));
                    break;
                }
            }
            if let Dim::Sym(s) = c {
                if s == d {
                    found = Some(format!("{p}.shape[1]"));
                    break;
                }
            }
        }
        match found {
            Some(x) => dim_lines.push(format!("    {} = {x}\n", dim_var(d))),
            None => {
                // A dimension no parameter carries is an integer parameter.
                dim_lines.push(format!("    {} = int({d})\n", dim_var(d)));
                int_params.push(d.clone());
            }
        }
    }
    let mut all: Vec<String> = params.into_iter().collect();
    all.extend(int_params);
    all.sort();
    let mut body = String::new();
    body.push_str(&dim_lines.concat());
    for n in &e.dim_scalars {
        body.push_str(&format!(
            "    {} = float({})\n",
            py_ident(n),
            dim_var(&n.ident())
        ));
    }
    for (n, code) in &e.def_lines {
        body.push_str(&format!("    {n} = {code}\n"));
    }
    Ok(format!(
        "def {}({}):\n{}    return {}\n",
        f.name,
        all.join(", "),
        body,
        ret
    ))
}

fn dim_var(d: &str) -> String {
    format!("_dim_{d}")
}

struct Emitter<'a> {
    g: &'a Graph,
    vars: BTreeSet<Name>,
    dim_scalars: BTreeSet<Name>,
    upstreams: BTreeMap<String, (Dim, Dim)>,
    dims: BTreeSet<String>,
    /// Lines before the return, in order: definitions and shared
    /// subexpressions (each computed once).
    def_lines: Vec<(String, String)>,
    defs_done: BTreeSet<Name>,
    /// How many parents use each node (sharing in the graph).
    uses: HashMap<Id, usize>,
    /// Shared subexpressions already given a line: their variable.
    temps: HashMap<Id, String>,
}

impl<'a> Emitter<'a> {
    fn new(g: &'a Graph) -> Self {
        Emitter {
            g,
            vars: BTreeSet::new(),
            dim_scalars: BTreeSet::new(),
            upstreams: BTreeMap::new(),
            dims: BTreeSet::new(),
            def_lines: Vec::new(),
            defs_done: BTreeSet::new(),
            uses: HashMap::new(),
            temps: HashMap::new(),
        }
    }

    /// Count each node's parents under `root` (definitions' bodies included).
    fn count_uses(&mut self, root: Id) {
        for id in self.g.postorder(root) {
            for &k in self.g.kids(id) {
                *self.uses.entry(k).or_default() += 1;
            }
        }
    }

    /// Whether a node used twice is worth a line of its own.
    fn shareable(&self, id: Id) -> bool {
        let node = self.g.node(id);
        let leafy = node.kids.is_empty()
            || matches!(node.op, Op::Def(_) | Op::Upstream(_) | Op::Const(_))
            || (node.op == Op::Transpose && self.g.kids(node.kids[0]).is_empty());
        !leafy && self.uses.get(&id).copied().unwrap_or(0) > 1
    }

    /// `A` if `id` is `A^{-1}`; `(s, A)` if it is `s A^{-1}` with `s` scalar.
    fn inverse_of(&self, id: Id) -> Option<(Option<Id>, Id)> {
        let g = self.g;
        match g.op(id) {
            Op::Inv => Some((None, g.kids(id)[0])),
            Op::Mul if g.is_scalar(g.kids(id)[0]) && *g.op(g.kids(id)[1]) == Op::Inv => {
                Some((Some(g.kids(id)[0]), g.kids(g.kids(id)[1])[0]))
            }
            _ => None,
        }
    }

    /// `A^{-1} B` as `np.linalg.solve(A, B)`, `B A^{-1}` as
    /// `np.linalg.solve(A.T, B.T).T`: an inverse applied, never formed.
    fn solve(&mut self, a: Id, b: Id) -> Result<Option<String>> {
        let g = self.g;
        if g.is_scalar(a) || g.is_scalar(b) {
            return Ok(None);
        }
        let (s, x) = if let Some((s, m)) = self.inverse_of(a) {
            let (m, rhs) = (self.expr(m)?, self.expr(b)?);
            (s, format!("np.linalg.solve({m}, {rhs})"))
        } else if let Some((s, m)) = self.inverse_of(b) {
            let (lhs, m) = (self.expr(a)?, self.expr(m)?);
            (s, format!("np.linalg.solve({m}.T, {lhs}.T).T"))
        } else {
            return Ok(None);
        };
        Ok(Some(match s {
            Some(s) => format!("({} * {x})", self.expr(s)?),
            None => x,
        }))
    }

    fn dim(&mut self, d: &Dim) -> String {
        match d {
            Dim::One => "1".into(),
            Dim::Num(n) => n.to_string(),
            Dim::Sym(s) => {
                self.dims.insert(s.clone());
                dim_var(s)
            }
            Dim::Mul(a, b) => format!("({} * {})", self.dim(a), self.dim(b)),
        }
    }

    fn num(q: &Q) -> String {
        if q.is_integer() {
            format!("{}.0", q.to_integer())
        } else {
            format!("({}.0 / {}.0)", q.numer(), q.denom())
        }
    }

    fn expr(&mut self, id: Id) -> Result<String> {
        if let Some(t) = self.temps.get(&id) {
            return Ok(t.clone());
        }
        let code = self.code(id)?;
        if !self.shareable(id) {
            return Ok(code);
        }
        let t = format!("_t{}", self.temps.len() + 1);
        self.def_lines.push((t.clone(), code));
        self.temps.insert(id, t.clone());
        Ok(t)
    }

    fn code(&mut self, id: Id) -> Result<String> {
        let g = self.g;
        let node = g.node(id).clone();
        if node.op == Op::Mul {
            if let Some(s) = self.solve(node.kids[0], node.kids[1])? {
                return Ok(s);
            }
        }
        let mut k = Vec::new();
        // Children of a definition are emitted as their own line.
        if !matches!(node.op, Op::Def(_) | Op::Upstream(_)) {
            for &c in &node.kids {
                k.push(self.expr(c)?);
            }
        }
        let (r, c) = (node.shape.rows.clone(), node.shape.cols.clone());
        Ok(match &node.op {
            Op::Var(n) => {
                if g.vars.get(n).is_some_and(|v| v.is_dim) {
                    self.dims.insert(n.ident());
                    self.dim_scalars.insert(n.clone());
                } else if g.vars.contains_key(n) {
                    self.vars.insert(n.clone());
                }
                py_ident(n)
            }
            Op::Def(n) => {
                if !self.defs_done.contains(n) {
                    let code = self.expr(node.kids[0])?;
                    self.defs_done.insert(n.clone());
                    self.def_lines.push((py_ident(n), code));
                }
                py_ident(n)
            }
            Op::Const(q) => Self::num(q),
            Op::Identity => format!("np.eye({})", self.dim(&r)),
            // Row i n + j of K_{m,n} is row j m + i of the identity.
            Op::Commutation(m, n) => {
                let (m, n) = (self.dim(m), self.dim(n));
                format!("np.eye({m} * {n})[np.arange({m} * {n}).reshape({n}, {m}).T.ravel()]")
            }
            Op::Ones => format!("np.ones(({}, 1))", self.dim(&r)),
            Op::Zero => format!("np.zeros(({}, {}))", self.dim(&r), self.dim(&c)),
            Op::Upstream(of) => {
                let p = upstream_ident(g, of, node.kids[0]);
                self.upstreams.insert(p.clone(), (r, c));
                p
            }
            Op::Add => format!("({} + {})", k[0], k[1]),
            Op::Mul => {
                if g.is_scalar(node.kids[0]) || g.is_scalar(node.kids[1]) {
                    format!("({} * {})", k[0], k[1])
                } else {
                    format!("({} @ {})", k[0], k[1])
                }
            }
            Op::Had => format!("({} * {})", k[0], k[1]),
            Op::Kron | Op::KronL | Op::KronR => {
                format!("{}({}, {})", node.op.spelling().numpy, k[0], k[1])
            }
            Op::Transpose => format!("{}.T", k[0]),
            Op::Inv | Op::Trace | Op::Det | Op::Sum | Op::Diag | Op::Softmax | Op::LogSumExp => {
                format!("{}({})", node.op.spelling().numpy, k[0])
            }
            Op::MatPow(p) => format!("np.linalg.matrix_power({}, {p})", k[0]),
            Op::Pow(p) => format!("({} ** {})", k[0], Self::num(p)),
            Op::LogDet => format!("np.linalg.slogdet({})[1]", k[0]),
            Op::Norm => format!("np.linalg.norm({})", k[0]),
            Op::NormSq => format!("(np.linalg.norm({}) ** 2)", k[0]),
            Op::Func(Func::Relu) => format!("np.maximum({}, 0.0)", k[0]),
            Op::Func(Func::Step) => format!("np.where({} > 0, 1.0, 0.0)", k[0]),
            Op::Func(f) => format!("{}({})", f.spelling().numpy, k[0]),
            Op::Call(f) => format!("{}({})", py_ident(f), k[0]),
            Op::Opaque(f) => {
                return Err(Diagnostic::new(
                    ErrorKind::Unsupported,
                    format!(
                        "the opaque function `{}` cannot be evaluated in NumPy",
                        f.latex()
                    ),
                ))
            }
            Op::DiagPart => format!("np.diag({}).reshape(-1, 1)", k[0]),
            Op::Vec => format!("{}.reshape(-1, 1, order='F')", k[0]),
            Op::Unvec => format!(
                "{}.reshape(({}, {}), order='F')",
                k[0],
                self.dim(&r),
                self.dim(&c)
            ),
        })
    }
}

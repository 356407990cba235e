//! Stage 5: simplification by equality saturation (egg). The answer's graph
//! becomes an e-graph whose analysis carries shape, symmetry and constants;
//! rule groups (`rules/`) grow it within bounds; the cheapest form by printed
//! length is extracted back into the canonical graph. The pipeline
//! (`problem.rs`) checks what comes out against the independent oracle
//! before anyone sees it; this stage does no numerics.

pub mod analysis;
pub mod cost;
pub mod elementwise;
pub mod lang;
pub mod rules;

use crate::core::diagnostic::{Diagnostic, ErrorKind, Result};
use crate::core::op::Op;
use crate::core::shape::Q;
use crate::ir::{Graph, Id as NodeId};
use analysis::{AtomFacts, Facts, EG};
use egg::{CostFunction, Id, Language, RecExpr, Runner, StopReason, Symbol};
use lang::{Mat, Rat};
use num_traits::One;
use std::collections::HashMap;

/// Bounds of one simplification run.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Most e-nodes.
    pub nodes: usize,
    /// Most iterations.
    pub iters: usize,
    /// The printed length of a node kept whole (a name, a function
    /// application): extraction minimises the answer's printed length. The
    /// pipeline hands in the printer's count; this stage prints nothing.
    pub atom_tokens: fn(&mut Graph, NodeId) -> usize,
}

/// Without a printer, every atom counts one token.
fn one_token(_: &mut Graph, _: NodeId) -> usize {
    1
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            nodes: crate::core::limits::current().egraph_nodes,
            iters: crate::core::limits::current().egraph_iterations,
            atom_tokens: one_token,
        }
    }
}

/// A simplified answer and how the run ended.
#[derive(Clone, Debug)]
pub struct Simplified {
    /// The simplified node.
    pub id: NodeId,
    /// Why egg stopped: `saturated`, `node limit 20000`, ….
    pub stop: String,
    /// E-graph size at the end.
    pub egraph_nodes: usize,
}

struct Convert<'g> {
    g: &'g mut Graph,
    atoms: HashMap<Symbol, AtomFacts>,
    memo: HashMap<NodeId, Id>,
    expr: RecExpr<Mat>,
    /// Defined names met, with their bodies: (atom, body node).
    defs: Vec<(Id, NodeId)>,
    /// An atom's printed length.
    tokens: fn(&mut Graph, NodeId) -> usize,
}

impl Convert<'_> {
    fn atom(&mut self, id: NodeId) -> Id {
        let sym = Symbol::from(format!("n{id}"));
        if !self.atoms.contains_key(&sym) {
            let shape = self.g.shape(id).clone();
            let symmetric = shape.is_square() && self.g.is_symmetric(id);
            let identity = *self.g.op(id) == Op::Identity;
            let tokens = (self.tokens)(self.g, id).max(1);
            self.atoms.insert(
                sym,
                AtomFacts {
                    shape,
                    symmetric,
                    identity,
                    tokens,
                },
            );
        }
        self.expr.add(Mat::Atom(sym))
    }

    /// A sum of `terms` in order: nested to the left as the graph nests it
    /// when short, balanced when long, so that the e-graph's depth (which
    /// extraction's passes follow) grows with the logarithm of the length.
    fn sum(&mut self, terms: &[Id]) -> Id {
        const SHORT: usize = 8;
        if terms.len() <= SHORT {
            let mut acc = terms[0];
            for &t in &terms[1..] {
                acc = self.expr.add(Mat::Add([acc, t]));
            }
            return acc;
        }
        let (l, r) = terms.split_at(terms.len() / 2);
        let (a, b) = (self.sum(l), self.sum(r));
        self.expr.add(Mat::Add([a, b]))
    }

    fn add(&mut self, id: NodeId) -> Id {
        if let Some(&e) = self.memo.get(&id) {
            return e;
        }
        let node = self.g.node(id).clone();
        let k = node.kids.clone();
        let e = match &node.op {
            Op::Add => {
                // The terms of the whole sum, in order (iteratively: a sum of
                // thousands of terms nests that deep in the graph).
                let mut leaves = Vec::new();
                let mut stack = vec![id];
                while let Some(x) = stack.pop() {
                    if *self.g.op(x) == Op::Add {
                        let kx = self.g.kids(x);
                        stack.push(kx[1]);
                        stack.push(kx[0]);
                    } else {
                        leaves.push(x);
                    }
                }
                let terms: Vec<Id> = leaves.into_iter().map(|l| self.add(l)).collect();
                self.sum(&terms)
            }
            Op::Mul => {
                let (a, b) = (self.add(k[0]), self.add(k[1]));
                self.expr.add(Mat::Mul([a, b]))
            }
            Op::Had => {
                let (a, b) = (self.add(k[0]), self.add(k[1]));
                self.expr.add(Mat::Had([a, b]))
            }
            Op::Kron => {
                let (a, b) = (self.add(k[0]), self.add(k[1]));
                self.expr.add(Mat::Kron([a, b]))
            }
            Op::Transpose => {
                let a = self.add(k[0]);
                self.expr.add(Mat::T(a))
            }
            Op::Inv => {
                let a = self.add(k[0]);
                self.expr.add(Mat::Inv(a))
            }
            Op::Trace => {
                let a = self.add(k[0]);
                self.expr.add(Mat::Trace(a))
            }
            Op::Det => {
                let a = self.add(k[0]);
                self.expr.add(Mat::Det(a))
            }
            Op::LogDet => {
                let a = self.add(k[0]);
                self.expr.add(Mat::LogDet(a))
            }
            Op::Const(q) => self.expr.add(Mat::Num(Rat(q.clone()))),
            // A named adjoint is given on its own line: an atom here.
            Op::Def(n) if n.adjoint_parts().is_some() => self.atom(id),
            Op::Def(_) => {
                let a = self.atom(id);
                self.defs.push((a, k[0]));
                a
            }
            // Everything else (names, functions, norms) is an atom.
            _ => self.atom(id),
        };
        self.memo.insert(id, e);
        e
    }
}

/// The e-graph of `roots`: each root, and every defined name met unioned with
/// its body (a defined name is the same class as its definition, so
/// extraction can choose the name). Returns the e-graph, the roots' classes,
/// each root as a standalone expression, and atom symbols → graph nodes.
fn build(
    g: &mut Graph,
    roots: &[NodeId],
    explanations: bool,
    limits: &Limits,
) -> (EG, Vec<Id>, Vec<RecExpr<Mat>>, HashMap<Symbol, NodeId>) {
    let mut conv = Convert {
        g,
        atoms: HashMap::new(),
        memo: HashMap::new(),
        expr: RecExpr::default(),
        defs: Vec::new(),
        tokens: limits.atom_tokens,
    };
    let root_ids: Vec<Id> = roots.iter().map(|&r| conv.add(r)).collect();
    let mut unions = Vec::new();
    let mut done = std::collections::HashSet::new();
    while let Some((atom, body)) = conv.defs.pop() {
        if done.insert(atom) {
            let b = conv.add(body);
            unions.push((atom, b));
        }
    }
    let Convert { atoms, expr, .. } = conv;
    let atom_ids: HashMap<Symbol, NodeId> = atoms
        .keys()
        .map(|s| (*s, s.as_str()[1..].parse::<NodeId>().unwrap_or(usize::MAX)))
        .collect();
    let standalone: Vec<RecExpr<Mat>> = root_ids
        .iter()
        .map(|&r| expr[r].build_recexpr(|i| expr[i].clone()))
        .collect();
    let mut eg = EG::new(Facts {
        atoms,
        unsound: None,
    });
    if explanations {
        eg = eg.with_explanations_enabled();
    }
    let nodes = expr.as_ref().to_vec();
    let mut map: Vec<Id> = Vec::with_capacity(nodes.len());
    for n in nodes {
        let n = n.map_children(|c| map[usize::from(c)]);
        map.push(eg.add(n));
    }
    for (a, b) in unions {
        eg.union(map[usize::from(a)], map[usize::from(b)]);
    }
    frozen(|| eg.rebuild());
    let classes = root_ids.iter().map(|r| map[usize::from(*r)]).collect();
    (eg, classes, standalone, atom_ids)
}

fn back(g: &mut Graph, expr: &RecExpr<Mat>, atoms: &HashMap<Symbol, NodeId>) -> Result<NodeId> {
    let nodes = expr.as_ref();
    // A sum is rebuilt whole, its terms collected through the nested `+`
    // nodes, so n terms cost O(n): a `+` used only inside other sums is
    // not built on its own.
    let is_add = |i: Id| matches!(nodes[usize::from(i)], Mat::Add(_));
    let mut in_sum_only = vec![false; nodes.len()];
    let mut elsewhere = vec![false; nodes.len()];
    for n in nodes {
        let inside = matches!(n, Mat::Add(_));
        for &c in n.children() {
            if inside && is_add(c) {
                in_sum_only[usize::from(c)] = true;
            } else {
                elsewhere[usize::from(c)] = true;
            }
        }
    }
    let mut ids: Vec<NodeId> = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        let c = |i: &Id| ids[usize::from(*i)];
        let id = match node {
            Mat::Add(_) if in_sum_only[i] && !elsewhere[i] && i + 1 != nodes.len() => {
                // Never read: its parent sum collects its terms.
                usize::MAX
            }
            Mat::Add(_) => {
                let mut terms = Vec::new();
                let mut stack = vec![Id::from(i)];
                while let Some(x) = stack.pop() {
                    match &nodes[usize::from(x)] {
                        Mat::Add([a, b]) => {
                            stack.push(*b);
                            stack.push(*a);
                        }
                        _ => terms.push((Q::one(), ids[usize::from(x)])),
                    }
                }
                let shape = terms
                    .iter()
                    .map(|&(_, t)| g.shape(t).clone())
                    .find(|s| !s.is_scalar())
                    .unwrap_or_else(crate::core::shape::Shape::scalar);
                g.sum_terms(&terms, &shape)
            }
            Mat::Mul([a, b]) => g.mul(c(a), c(b)),
            Mat::Had([a, b]) => g.had(c(a), c(b)),
            Mat::Kron([a, b]) => g.kron(c(a), c(b)),
            Mat::T(a) => g.t(c(a)),
            Mat::Inv(a) => g.inv(c(a)),
            Mat::Trace(a) => g.trace(c(a)),
            Mat::Det(a) => g.raw(Op::Det, vec![c(a)], crate::core::shape::Shape::scalar()),
            Mat::LogDet(a) => g.raw(Op::LogDet, vec![c(a)], crate::core::shape::Shape::scalar()),
            Mat::Eye(a) => {
                let d = g.shape(c(a)).rows.clone();
                g.identity(&d)
            }
            Mat::Num(q) => g.konst(q.0.clone()),
            Mat::Atom(s) => *atoms.get(s).ok_or_else(|| {
                Diagnostic::new(ErrorKind::Internal, format!("extracted unknown atom {s}"))
            })?,
        };
        ids.push(id);
    }
    ids.last()
        .copied()
        .ok_or_else(|| Diagnostic::new(ErrorKind::Internal, "empty extraction"))
}

fn describe(r: &Option<StopReason>) -> String {
    match r {
        Some(StopReason::Saturated) => "saturated".into(),
        Some(StopReason::IterationLimit(n)) => format!("iteration limit {n}"),
        Some(StopReason::NodeLimit(n)) => format!("node limit {n}"),
        Some(StopReason::TimeLimit(t)) => format!("time limit {t}s"),
        Some(StopReason::Other(s)) => s.clone(),
        None => "not run".into(),
    }
}

/// A runner over `eg` within `limits` (the one place bounds are applied):
/// e-nodes and iterations, never time, so that the same input gives the
/// same answer on a loaded machine too.
fn runner(eg: EG, limits: &Limits) -> Runner<Mat, Facts> {
    Runner::<Mat, Facts>::new(Facts::default())
        .with_egraph(eg)
        .with_node_limit(limits.nodes)
        .with_iter_limit(limits.iters)
}

/// Run `f` on a clock that never advances. egg times its runs and its
/// rebuilds with `quanta`, whose global clock calibrates itself on first
/// use (spinning on the system clock: 0.65 ms median, 200 ms at worst,
/// half of a whole `grad` process); a frozen mock clock costs nothing, and
/// egg's time limit, which would make the answer depend on the machine's
/// load, can never be what stops a run. Every egg call that reads the
/// clock goes through here.
fn frozen<R>(f: impl FnOnce() -> R) -> R {
    thread_local! {
        static FROZEN: quanta::Clock = quanta::Clock::mock().0;
    }
    FROZEN.with(|clock| quanta::with_clock(clock, f))
}

fn run(runner: Runner<Mat, Facts>, rules: &[egg::Rewrite<Mat, Facts>]) -> Runner<Mat, Facts> {
    frozen(|| runner.run(rules))
}

/// egg's greedy extraction (the cheapest node per class, to a fixed
/// point), with the classes visited in id order: the e-graph is built
/// children first, so a deep expression settles in a pass or two. egg's own
/// `Extractor` visits them in hash order and needs about one pass per level
/// (a 1,000-layer net: a third of the whole run). Ties keep the first node
/// of a class, as egg's do; the order is fixed, so the result is too.
fn extract(eg: &EG, root: Id, mut cf: cost::Tokens<'_>) -> RecExpr<Mat> {
    let mut ids: Vec<Id> = eg.classes().map(|c| c.id).collect();
    ids.sort();
    let mut best: HashMap<Id, (usize, Mat)> = HashMap::new();
    loop {
        let mut changed = false;
        for &id in &ids {
            let choice = eg[id]
                .iter()
                .filter(|n| n.all(|c| best.contains_key(&eg.find(c))))
                .map(|n| (cf.cost(n, |c| best[&eg.find(c)].0), n))
                .min_by_key(|(c, _)| *c);
            let Some((c, n)) = choice else { continue };
            if best.get(&id).is_none_or(|(old, _)| c < *old) {
                best.insert(id, (c, n.clone()));
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    best[&eg.find(root)]
        .1
        .build_recexpr(|id| best[&eg.find(id)].1.clone())
}

/// Simplify `id` (an answer) by the rule groups.
///
/// ```
/// let mut p = matcalc::Problem::new("x \\in \\mathbb{R}^{n}\nB \\in \\mathbb{R}^{n \\times n}\nf = x^T B x\n\\nabla_x f").unwrap();
/// let a = p.answers().unwrap();
/// assert_eq!(p.latex(&a[0], Default::default()), "(B + B^T) x");
/// ```
pub fn simplify(g: &mut Graph, id: NodeId, limits: &Limits) -> Result<Simplified> {
    let id = elementwise::cancel(g, id);
    let (eg, classes, _, atom_ids) = build(g, &[id], false, limits);
    let runner = run(
        runner(eg, limits).with_hook(|r| match &r.egraph.analysis.unsound {
            Some(m) => Err(format!("unsound merge: {m}")),
            None => Ok(()),
        }),
        rules::all_once(),
    );
    if let Some(m) = &runner.egraph.analysis.unsound {
        return Err(Diagnostic::new(
            ErrorKind::Internal,
            format!("the simplifier merged unequal facts ({m}); this is a bug, please report it"),
        ));
    }
    let root = runner.egraph.find(classes[0]);
    let best = extract(
        &runner.egraph,
        root,
        cost::Tokens {
            egraph: &runner.egraph,
        },
    );
    let out = back(g, &best, &atom_ids)?;
    Ok(Simplified {
        id: out,
        stop: describe(&runner.stop_reason),
        egraph_nodes: runner.egraph.total_number_of_nodes(),
    })
}

/// Whether the rules (with commutativity) can prove `a = b` in one e-graph.
pub fn provably_equal(g: &mut Graph, a: NodeId, b: NodeId, limits: &Limits) -> bool {
    let (eg, classes, _, _) = build(g, &[a, b], false, limits);
    let (ra, rb) = (classes[0], classes[1]);
    if eg.find(ra) == eg.find(rb) {
        return eg.analysis.unsound.is_none();
    }
    let runner = run(
        runner(eg, limits).with_hook(move |r| {
            if r.egraph.analysis.unsound.is_some() || r.egraph.find(ra) == r.egraph.find(rb) {
                Err("decided".into())
            } else {
                Ok(())
            }
        }),
        rules::for_proofs_once(),
    );
    runner.egraph.analysis.unsound.is_none() && runner.egraph.find(ra) == runner.egraph.find(rb)
}

/// Largest pair of expressions (in e-nodes) whose simplification is traced
/// rule by rule: egg's explanations grow much faster than the e-graph (a
/// product of 300 factors took a minute), so beyond it none is given.
pub const MAX_EXPLAINED: usize = 600;

/// What [`explain`] found.
pub enum Explanation {
    /// The rewrite rules that take `from` to `to`, in order.
    Rules(Vec<String>),
    /// The rules alone do not connect them (the graph's canonical form did
    /// the work).
    Canonical,
    /// Too large to trace: the two expressions' size in e-nodes.
    TooLarge(usize),
}

/// The rewrite rules that take `from` to `to`, in order (egg's explanation).
pub fn explain(g: &mut Graph, from: NodeId, to: NodeId, limits: &Limits) -> Explanation {
    if from == to {
        return Explanation::Rules(Vec::new());
    }
    let (eg, classes, exprs, _) = build(g, &[from, to], true, limits);
    let size: usize = exprs.iter().map(|e| e.as_ref().len()).sum();
    if size > MAX_EXPLAINED {
        return Explanation::TooLarge(size);
    }
    let (a, b) = (classes[0], classes[1]);
    let mut runner = run(
        runner(eg, limits).with_hook(move |r| {
            if r.egraph.find(a) == r.egraph.find(b) {
                Err("connected".into())
            } else {
                Ok(())
            }
        }),
        rules::all_once(),
    );
    if runner.egraph.find(a) != runner.egraph.find(b) {
        return Explanation::Canonical;
    }
    let mut exp = runner.explain_equivalence(&exprs[0], &exprs[1]);
    let mut names = Vec::new();
    fn walk(t: &egg::FlatTerm<Mat>, names: &mut Vec<String>) {
        for r in [&t.forward_rule, &t.backward_rule].into_iter().flatten() {
            let s = r.as_str().to_string();
            if !names.contains(&s) {
                names.push(s);
            }
        }
        for c in &t.children {
            walk(c, names);
        }
    }
    for t in exp.make_flat_explanation() {
        walk(t, &mut names);
    }
    Explanation::Rules(names)
}

//! The backward pass as a model solution writes it: the objective's nodes,
//! named once per document, each with its operation over its operands'
//! names and its shape; then, parents first, each node's adjoint
//! `\frac{\partial L}{\partial a}`: what every node it feeds passes back
//! (the local gradient with its identity, a transposed path transposed
//! back, a symmetry used named), and its value, simplified, in the
//! document's defined names.
//!
//! Values are accumulated once per node (reverse mode, summed where paths
//! meet); the per-path view is `steps`'s own.

use super::steps::Line;
use crate::check::VarInfo;
use crate::core::diagnostic::Result;
use crate::core::op::Op;
use crate::core::shape::{Dim, Shape, Q};
use crate::diff::local;
use crate::ir::{Graph, Id};
use crate::print::{to_latex, to_text, TransposeStyle};
use crate::syntax::ast::{Name, NameKind};
use std::collections::{BTreeSet, HashMap};

/// Most nodes whose adjoint values are worked out: each is simplified on its
/// own, so a larger graph gets its recurrences only (and a note).
pub const MAX_VALUED: usize = 150;

/// Longest value printed (characters): past it, the recurrence stands alone.
pub const MAX_VALUE_CHARS: usize = 4000;

/// One node of the computational graph.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StepNode {
    /// Its name, identifier form (`z_1`, `W`, `K`).
    pub name: String,
    /// Its name in LaTeX.
    pub name_latex: String,
    /// Its name in Unicode text.
    pub name_text: String,
    /// Its operation over its operands' names (`W x`); an input, its name.
    pub latex: String,
    /// The same in Unicode text.
    pub text: String,
    /// Dimension symbols as in `grad`'s JSON: `[]`, `["n"]`, `["m", "n"]`.
    pub shape: Vec<String>,
    /// Its space in LaTeX: `\mathbb{R}^{m \times n}`.
    pub space_latex: String,
    /// Its space in Unicode text: `ℝ^{m×n}`.
    pub space_text: String,
    /// `input`, `operation` or `objective`.
    pub role: String,
    /// Whether it lies on a path from the objective to the variable.
    pub on_path: bool,
    /// Whether it is symmetric (declared, or by structure: `X X^T + c I`).
    pub symmetric: bool,
    /// `\frac{\partial L}{\partial a}` (its value), LaTeX; `null` past the
    /// bounds (`MAX_VALUED`, `MAX_VALUE_CHARS`).
    pub adjoint: Option<String>,
    /// The same in Unicode text.
    pub adjoint_text: Option<String>,
}

/// What one node passes back to one operand.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Term {
    /// The node it comes from (LaTeX name).
    pub from: String,
    /// The same in Unicode text.
    pub from_text: String,
    /// The local gradient applied to that node's adjoint, with its identity.
    pub rule: Line,
    /// The rule as its identity writes it, where a symmetry then changed it
    /// (`\frac{\partial L}{\partial f} K^{-T}`); the note names the symmetry.
    pub literal: Option<Line>,
    /// Whether the node is a transpose: its adjoint is transposed back.
    pub transposed_back: bool,
    /// The term's value (simplified), when the node has more than one term.
    pub value: Option<Line>,
}

/// One node's adjoint.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Adjoint {
    /// The node (LaTeX name).
    pub node: String,
    /// The adjoint's symbol: `\frac{\partial L}{\partial z_1}`.
    pub symbol: Line,
    /// One term per use of the node.
    pub terms: Vec<Term>,
    /// The value, simplified.
    pub value: Option<Line>,
}

/// The backward pass over one objective.
#[derive(Clone, Debug)]
pub struct Pass {
    /// The nodes, children first (inputs included).
    pub nodes: Vec<StepNode>,
    /// The adjoints on paths to the variable, parents first, the variable's
    /// last (the objective's own, the seed, is not listed).
    pub adjoints: Vec<Adjoint>,
    /// The user functions whose nodes are on the paths.
    pub calls: Vec<Name>,
    /// Remarks (bounds hit).
    pub notes: Vec<String>,
}

/// The document's names for its operation nodes: a definition's body by
/// the definition's name, every other operation `z_1, z_2, …` in the order
/// the definitions are written (children first), with a letter no name of
/// the document uses as its base. The same node has the same name in every
/// derivation of the document.
#[derive(Clone, Debug)]
pub struct Naming {
    names: HashMap<Id, Name>,
    letter: String,
    next: usize,
    taken: BTreeSet<String>,
}

/// Which nodes are drawn inline in their parents' operations, never named:
/// constants, dimensions, expressions of them, and scalings by a constant
/// (`-x`, `\frac{1}{2} g`) that are not a definition's body.
#[derive(Clone, Debug, Default)]
pub struct Inline {
    constant: std::collections::HashSet<Id>,
}

impl Inline {
    /// Classify the nodes of `post` (children first).
    pub fn of(g: &Graph, post: &[Id]) -> Inline {
        let mut me = Inline::default();
        me.add(g, post);
        me
    }

    /// Classify more nodes (children first).
    pub fn add(&mut self, g: &Graph, post: &[Id]) {
        for &id in post {
            if g.def_of_body(id).is_some() {
                continue;
            }
            let c = match g.op(id) {
                Op::Const(_) | Op::Identity | Op::Ones | Op::Zero | Op::Commutation(..) => true,
                Op::Var(n) => g.vars.get(n).is_some_and(|v| v.is_dim),
                Op::Def(_) | Op::Upstream(_) => false,
                _ => {
                    let kids = g.kids(id);
                    !kids.is_empty() && kids.iter().all(|k| self.constant.contains(k))
                }
            };
            if c {
                self.constant.insert(id);
            }
        }
    }

    /// A constant: drawn inside its parents.
    pub fn constant(&self, id: Id) -> bool {
        self.constant.contains(&id)
    }

    /// A scaling by a constant: written inside its parent, its operand a
    /// node of its own.
    pub fn scaling(&self, g: &Graph, id: Id) -> bool {
        *g.op(id) == Op::Mul
            && g.def_of_body(id).is_none()
            && matches!(g.op(g.kids(id)[0]), Op::Const(_))
            && !self.constant(g.kids(id)[1])
    }
}

/// The nodes under `roots`, children first, in the order a textbook
/// computes them: a product that makes a column takes its right operand
/// first (`W x` before `W^T` in `W^T (W x)`).
pub fn computing_order(g: &Graph, roots: &[Id]) -> Vec<Id> {
    g.postorder_by(roots, |g, id| {
        let mut kids = g.kids(id).to_vec();
        if *g.op(id) == Op::Mul && g.shape(id).cols == Dim::One {
            kids.reverse();
        }
        kids
    })
}

/// A definition's body (the node a name stands for).
fn body(g: &Graph, id: Id) -> Id {
    match g.op(id) {
        Op::Def(_) => g.kids(id)[0],
        _ => id,
    }
}

impl Naming {
    /// Names for every operation node of `g`'s definitions and functions.
    pub fn of_document(g: &mut Graph) -> Naming {
        let mut taken: BTreeSet<String> = BTreeSet::new();
        let mut bases: BTreeSet<String> = BTreeSet::new();
        let mut all: Vec<Name> = g.vars.keys().cloned().collect();
        all.extend(g.defs.keys().cloned());
        for (f, (param, _)) in &g.fns {
            all.push(f.clone());
            all.push(param.clone());
        }
        for n in &all {
            taken.insert(n.ident());
            bases.insert(n.base.clone());
        }
        let letter = ["z", "u", "t", "s", "r", "q", "p", "e"]
            .into_iter()
            .find(|l| !bases.contains(*l))
            .unwrap_or("n")
            .to_string();
        let mut naming = Naming {
            names: HashMap::new(),
            letter,
            next: 0,
            taken,
        };
        let mut roots = Vec::new();
        for name in g.def_order.clone() {
            if let Some(d) = g.def_node(&name) {
                let b = body(g, d);
                if !matches!(g.op(b), Op::Var(_)) {
                    naming.names.entry(b).or_insert(name);
                }
                roots.push(d);
            }
        }
        roots.extend(g.fns.values().map(|(_, b)| *b));
        let post = computing_order(g, &roots);
        let inline = Inline::of(g, &post);
        for id in post {
            naming.name(g, id, &inline);
        }
        naming
    }

    /// The name of node `id`: an input's own, a definition's, the
    /// document's, or a fresh one (nodes a derivation makes: a Hessian's
    /// gradient). `None` for inline nodes and scalings.
    pub fn name(&mut self, g: &Graph, id: Id, inline: &Inline) -> Option<Name> {
        let id = body(g, id);
        if let Some(n) = self.names.get(&id) {
            return Some(n.clone());
        }
        if inline.constant(id) || inline.scaling(g, id) {
            return None;
        }
        match g.op(id) {
            Op::Var(n) => return Some(n.clone()),
            Op::Upstream(_) => return None,
            _ => {}
        }
        let n = self.fresh();
        self.names.insert(id, n.clone());
        Some(n)
    }

    /// A name for a node of a derivation's own (`g`, `v`): `preferred` if the
    /// document does not use it.
    pub fn reserve(&mut self, preferred: &str) -> Name {
        if self.taken.insert(preferred.to_string()) {
            return Name::latin(preferred);
        }
        self.fresh()
    }

    fn fresh(&mut self) -> Name {
        loop {
            self.next += 1;
            let n = Name {
                base: self.letter.clone(),
                kind: NameKind::Latin,
                sub: Some(self.next.to_string()),
            };
            if self.taken.insert(n.ident()) {
                return n;
            }
        }
    }
}

/// `\mathbb{R}^{m \times n}` and `ℝ^{m×n}`.
pub fn space(s: &Shape) -> (String, String) {
    if s.is_scalar() {
        ("\\mathbb{R}".into(), "ℝ".into())
    } else if s.cols == Dim::One {
        (
            format!("\\mathbb{{R}}^{{{}}}", s.rows),
            format!("ℝ^{}", s.rows),
        )
    } else {
        (
            format!("\\mathbb{{R}}^{{{} \\times {}}}", s.rows, s.cols),
            format!("ℝ^{{{}×{}}}", s.rows, s.cols),
        )
    }
}

/// How adjoints are written: `\frac{\partial L}{\partial a}` for a
/// gradient's; `\bar{a}` (the adjoint of `v^T f`) for a Jacobian's.
#[derive(Clone, Debug)]
pub enum Notation {
    /// `\frac{\partial L}{\partial a}`, of the named objective.
    Partial(Name),
    /// `\bar{a}`.
    Bar,
}

impl Notation {
    /// The adjoint of the node named `n`, as a name.
    pub fn of(&self, n: &Name, latex: bool) -> Name {
        match self {
            Notation::Partial(of) => Name::adjoint(of, n),
            Notation::Bar => bar(n, latex),
        }
    }
}

/// The adjoint's name: the bar over the letter, the subscript after it
/// (`\bar{z}_2`, `z̄₂`), as a textbook sets it.
pub fn bar(n: &Name, latex: bool) -> Name {
    let letter = Name {
        sub: None,
        ..n.clone()
    };
    let base = if latex {
        format!("\\bar{{{}}}", letter.latex())
    } else {
        format!("{}\u{0304}", letter.text())
    };
    Name {
        base,
        kind: NameKind::Latin,
        sub: n.sub.clone(),
    }
}

/// Node `id`'s operation written over stand-ins (`stand`: drawn node →
/// free input of its name, in `gr`), constants and scalings inline:
/// `z_3 - x`, `W x`.
pub fn over(gr: &mut Graph, g: &Graph, stand: &HashMap<Id, Id>, id: Id, top: bool) -> Id {
    let b = body(g, id);
    if !top {
        if let Some(&v) = stand.get(&b) {
            return v;
        }
    }
    if g.kids(b).is_empty() {
        return b;
    }
    let n = g.node(b).clone();
    let kids: Vec<Id> = n
        .kids
        .iter()
        .map(|&k| over(gr, g, stand, k, false))
        .collect();
    gr.raw_unfolded(n.op, kids, n.shape)
}

/// A copy of `g` where each drawn operation node is a free input of its
/// name (symmetric where `symmetric` says), and the map to them.
pub fn stand_ins(
    g: &Graph,
    drawn: &[Id],
    names: &HashMap<Id, Name>,
    symmetric: impl Fn(Id) -> bool,
) -> (Graph, HashMap<Id, Id>) {
    let mut gr = g.clone();
    let mut map = HashMap::new();
    for &id in drawn {
        if matches!(g.op(id), Op::Var(_)) {
            map.insert(id, id);
            continue;
        }
        let n = names[&id].clone();
        let s = g.shape(id).clone();
        gr.vars.insert(
            n.clone(),
            VarInfo {
                symmetric: symmetric(id),
                ..VarInfo::free(s.clone())
            },
        );
        let v = gr.var(&n, s);
        map.insert(id, v);
    }
    (gr, map)
}

/// The nodes drawn, children first, with their names: definitions as their
/// bodies; constants and scalings inside their parents. `root`, if given,
/// is drawn under its own name whatever it is.
pub fn drawn_nodes(
    g: &Graph,
    naming: &mut Naming,
    post: &[Id],
    inline: &Inline,
    root: Option<(Id, &Name)>,
) -> (Vec<Id>, HashMap<Id, Name>) {
    let root = root.map(|(r, n)| (body(g, r), n));
    let mut drawn: Vec<Id> = Vec::new();
    let mut names: HashMap<Id, Name> = HashMap::new();
    for &id in post {
        let b = body(g, id);
        let is_root = root.is_some_and(|(r, _)| r == b);
        if b != id || names.contains_key(&b) {
            continue;
        }
        if !is_root && (inline.constant(b) || inline.scaling(g, b)) {
            continue;
        }
        let name = match root {
            Some((r, n)) if r == b => n.clone(),
            _ => match naming.name(g, b, inline) {
                Some(n) => n,
                None => continue,
            },
        };
        names.insert(b, name);
        drawn.push(b);
    }
    (drawn, names)
}

/// The drawn node an operand `k` stands for, through definitions and
/// scalings by a constant (which are written inside their parent), with
/// the scalings passed on the way.
pub fn operand(g: &Graph, inline: &Inline, drawn: impl Fn(Id) -> bool, k: Id) -> (Id, Vec<Id>) {
    let mut hops = Vec::new();
    let mut k = body(g, k);
    while inline.scaling(g, k) && !drawn(k) {
        hops.push(k);
        k = body(g, g.kids(k)[1]);
    }
    (k, hops)
}

/// The inputs for one backward pass.
pub struct Setup<'a> {
    /// The objective (or function body, or a Hessian's gradient).
    pub root: Id,
    /// The variable.
    pub target: Id,
    /// The objective's name (the root's label).
    pub root_name: Name,
    /// The root's adjoint: `1`, or a free vector `v`.
    pub seed: Id,
    /// How adjoints are written.
    pub notation: Notation,
    /// Transposes in LaTeX.
    pub style: TransposeStyle,
    /// The simplifier's bounds.
    pub limits: &'a crate::simplify::Limits,
    /// The variable's adjoint as the answer gives it (simplified and
    /// verified), where there is one: printed as the variable's value.
    pub answer: Option<Id>,
}

/// Why each operator's local gradient holds.
fn identity_of(g: &Graph, id: Id) -> Option<(&'static str, &'static str)> {
    let scaling = *g.op(id) == Op::Mul && g.kids(id).iter().any(|k| g.is_scalar(*k));
    if scaling {
        return Some((
            "∂(cX) = c ∂X, and ∂(cX)/∂c = tr(G^T X)",
            r"\partial(cX) = c\, \partial X",
        ));
    }
    g.op(id).citation().map(|c| (c.text, c.latex))
}

/// One use of a node: the parent, which operand, and the scalings between.
struct Use {
    parent: Id,
    index: usize,
    hops: Vec<Id>,
}

/// Simplified and printed, or `None` past the bounds.
fn shown(
    g: &mut Graph,
    id: Id,
    style: TransposeStyle,
    limits: &crate::simplify::Limits,
) -> Option<Line> {
    let id = crate::simplify::simplify(g, id, limits)
        .map(|s| s.id)
        .unwrap_or(id);
    // Every node written prints at least one character: past the bound,
    // the tree (exponential in a chain's length) is not printed at all.
    if g.written_size(id) > MAX_VALUE_CHARS {
        return None;
    }
    // Read alone (`-\frac{1}{2} I_{N}`): identities and ones carry their size.
    let latex = crate::print::to_latex_sized(g, id, style);
    if latex.len() > MAX_VALUE_CHARS {
        return None;
    }
    Some(Line {
        latex,
        text: to_text(g, id),
        cites: None,
        cites_latex: None,
    })
}

/// The backward pass of `setup` over `g` (values) with node names from
/// `naming`.
pub fn backward(g: &mut Graph, naming: &mut Naming, setup: &Setup) -> Result<Pass> {
    let Setup {
        root,
        target,
        seed,
        style,
        limits,
        ..
    } = *setup;
    let (_, dep) = crate::diff::dependents(g, root, target);
    let post = computing_order(g, &[root]);
    let inline = Inline::of(g, &post);
    let (drawn, names) = drawn_nodes(g, naming, &post, &inline, Some((root, &setup.root_name)));
    let root_b = body(g, root);
    let on_path = |id: Id| dep.get(&id).copied().unwrap_or(false);
    // Uses: for each drawn node, the drawn parents and operand positions
    // that reach it (through scalings).
    let mut uses: HashMap<Id, Vec<Use>> = HashMap::new();
    for &p in &drawn {
        if g.op(p).is_input() {
            continue;
        }
        for (i, &k) in g.kids(p).to_vec().iter().enumerate() {
            let (k, hops) = operand(g, &inline, |x| names.contains_key(&x), k);
            if names.contains_key(&k) {
                uses.entry(k).or_default().push(Use {
                    parent: p,
                    index: i,
                    hops,
                });
            }
        }
    }
    // Two stand-in graphs for the rules: every drawn node a free input of
    // its name, symmetric where the node is (`sym`) or never (`plain`: the
    // identities as written).
    let mut symmetric: HashMap<Id, bool> = HashMap::new();
    for &id in &drawn {
        let s = g.shape(id).clone();
        let is_sym = !s.is_scalar() && s.is_square() && g.is_symmetric(id);
        symmetric.insert(id, is_sym);
    }
    let (mut sym, stand_sym) = stand_ins(g, &drawn, &names, |id| symmetric[&id]);
    let (mut plain, stand_plain) = stand_ins(g, &drawn, &names, |_| false);
    plain.set_point_symmetry(false);
    let mut nodes = Vec::new();
    for &id in &drawn {
        let name = names[&id].clone();
        let (latex, text) = if matches!(g.op(id), Op::Upstream(_)) {
            // An upstream gradient given a name: the name stands for it.
            (to_latex(g, id, style), to_text(g, id))
        } else if g.op(id).is_input() {
            (name.latex(), name.text())
        } else {
            let l = over(&mut sym, g, &stand_sym, id, true);
            (
                crate::print::to_latex_sized(&mut sym, l, style),
                to_text(&mut sym, l),
            )
        };
        let shape = g.shape(id).clone();
        let (space_latex, space_text) = space(&shape);
        let role = if id == root_b {
            "objective"
        } else if g.op(id).is_input() {
            "input"
        } else {
            "operation"
        };
        nodes.push(StepNode {
            name: name.ident(),
            name_latex: name.latex(),
            name_text: name.text(),
            latex,
            text,
            shape: shape.to_list(),
            space_latex,
            space_text,
            role: role.into(),
            on_path: on_path(id),
            symmetric: symmetric[&id],
            adjoint: None,
            adjoint_text: None,
        });
    }
    // Values, parents first: each node's adjoint is the sum of what its
    // uses pass back, accumulated once (linear in the graph).
    let valued = drawn.len() <= MAX_VALUED;
    let mut notes = Vec::new();
    if !valued {
        notes.push(format!(
            "the graph has {} nodes, over the bound of {MAX_VALUED} whose adjoints' values are worked out: the recurrences stand alone",
            drawn.len()
        ));
    }
    let mut value: HashMap<Id, Id> = HashMap::from([(root_b, seed)]);
    let mut term_values: HashMap<Id, Vec<Id>> = HashMap::new();
    for &id in drawn.iter().rev() {
        if id == root_b {
            continue;
        }
        let mut terms = Vec::new();
        let mut parts = Vec::new();
        for u in uses.get(&id).map(Vec::as_slice).unwrap_or(&[]) {
            let Some(&gt) = value.get(&u.parent) else {
                continue;
            };
            let t = pass_back(g, u, gt)?;
            parts.push(t);
            terms.push((Q::from_integer(1.into()), t));
        }
        let s = g.shape(id).clone();
        let total = g.sum_terms(&terms, &s);
        value.insert(id, total);
        term_values.insert(id, parts);
    }
    let mut shown_value: HashMap<Id, Line> = HashMap::new();
    if valued {
        for (k, &id) in drawn.iter().enumerate() {
            let v = if let (true, Some(a)) = (id == target, setup.answer) {
                Some(Line {
                    latex: crate::print::to_latex_sized(g, a, style),
                    text: to_text(g, a),
                    cites: None,
                    cites_latex: None,
                })
            } else if id == root_b {
                Some(Line {
                    latex: to_latex(g, seed, style),
                    text: to_text(g, seed),
                    cites: None,
                    cites_latex: None,
                })
            } else {
                shown(g, value[&id], style, limits)
            };
            if let Some(v) = v {
                nodes[k].adjoint = Some(v.latex.clone());
                nodes[k].adjoint_text = Some(v.text.clone());
                shown_value.insert(id, v);
            }
        }
    }
    // The rows: the nodes on paths to the variable, parents first.
    let notation = &setup.notation;
    let mut adjoints = Vec::new();
    let mut calls: Vec<Name> = Vec::new();
    for &id in drawn.iter().rev() {
        if id == root_b || !on_path(id) {
            continue;
        }
        if let Op::Call(f) = g.op(id) {
            if !calls.contains(f) {
                calls.push(f.clone());
            }
        }
        let me = &names[&id];
        let symbol = Line {
            latex: notation.of(me, true).latex(),
            text: notation.of(me, false).text(),
            cites: None,
            cites_latex: None,
        };
        let mut terms = Vec::new();
        let list = uses.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        let many = list.len() > 1;
        for (j, u) in list.iter().enumerate() {
            let pn = names[&u.parent].clone();
            let transposed_back = *g.op(u.parent) == Op::Transpose;
            let rule_in = |gr: &mut Graph, stand: &HashMap<Id, Id>, latex: bool| -> Result<Id> {
                let p = over(gr, g, stand, u.parent, true);
                let a = notation.of(&pn, latex);
                let s = g.shape(u.parent).clone();
                gr.vars
                    .entry(a.clone())
                    .or_insert_with(|| VarInfo::free(s.clone()));
                let gt = gr.var(&a, s);
                // Through the scalings between, over stand-ins too.
                let (mut at, mut index, mut adj) = (p, u.index, gt);
                for hop in 0..=u.hops.len() {
                    let ts = local(gr, at, index, adj)?;
                    let k = gr.kids(at)[index];
                    let ks = gr.shape(k).clone();
                    adj = gr.sum_terms(&ts, &ks);
                    if hop < u.hops.len() {
                        (at, index) = (k, 1);
                    }
                }
                Ok(adj)
            };
            let r_sym = rule_in(&mut sym, &stand_sym, true)?;
            let r_sym_t = rule_in(&mut sym, &stand_sym, false)?;
            let r_plain = rule_in(&mut plain, &stand_plain, true)?;
            let (sl, st) = (to_latex(&mut sym, r_sym, style), to_text(&mut sym, r_sym_t));
            let pl = to_latex(&mut plain, r_plain, style);
            let (cites, cites_latex) = match identity_of(g, u.parent) {
                Some((t, l)) => (Some(t.to_string()), Some(l.to_string())),
                None => (None, None),
            };
            let (cites, cites_latex) = if transposed_back {
                (
                    Some(format!(
                        "{}: the adjoint of {}ᵀ is transposed back",
                        cites.unwrap_or_default(),
                        me.text()
                    )),
                    Some(format!(
                        "{} \\text{{: transposed back}}",
                        cites_latex.unwrap_or_default()
                    )),
                )
            } else {
                (cites, cites_latex)
            };
            let literal = (pl != sl).then(|| {
                let syms: Vec<Name> = std::iter::once(u.parent)
                    .chain(g.kids(u.parent).iter().map(|&k| body(g, k)))
                    .filter(|k| symmetric.get(k).copied().unwrap_or(false))
                    .filter_map(|k| names.get(&k).cloned())
                    .collect();
                let (t, l) = symmetry_note(&syms);
                Line {
                    latex: pl.clone(),
                    text: to_text(&mut plain, r_plain),
                    cites: Some(t),
                    cites_latex: Some(l),
                }
            });
            let value = if many && valued {
                term_values
                    .get(&id)
                    .and_then(|v| v.get(j).copied())
                    .and_then(|t| shown(g, t, style, limits))
            } else {
                None
            };
            terms.push(Term {
                from: pn.latex(),
                from_text: pn.text(),
                rule: Line {
                    latex: sl,
                    text: st,
                    cites,
                    cites_latex,
                },
                literal,
                transposed_back,
                value,
            });
        }
        adjoints.push(Adjoint {
            node: me.latex(),
            symbol,
            terms,
            value: shown_value.get(&id).cloned(),
        });
    }
    Ok(Pass {
        nodes,
        adjoints,
        calls,
        notes,
    })
}

/// `K is symmetric (K^T = K)`, in both notations.
fn symmetry_note(names: &[Name]) -> (String, String) {
    if names.is_empty() {
        return (
            "by symmetry (X^T = X)".into(),
            "\\text{by symmetry } (X^T = X)".into(),
        );
    }
    let t: Vec<String> = names
        .iter()
        .map(|n| format!("{}ᵀ = {}", n.text(), n.text()))
        .collect();
    let l: Vec<String> = names
        .iter()
        .map(|n| format!("{}^T = {}", n.latex(), n.latex()))
        .collect();
    let who_t: Vec<String> = names.iter().map(Name::text).collect();
    let who_l: Vec<String> = names.iter().map(Name::latex).collect();
    let verb = if names.len() == 1 { "is" } else { "are" };
    // No `$` inside: Markdown readers end the math at the first one.
    (
        format!("{} {verb} symmetric ({})", who_t.join(", "), t.join(", ")),
        format!(
            "{} \\text{{ {verb} symmetric: }} {}",
            who_l.join(", "),
            l.join(",\\ ")
        ),
    )
}

/// What `u.parent`'s adjoint `gt` passes back to the node (through any
/// scalings between), as one expression.
fn pass_back(g: &mut Graph, u: &Use, gt: Id) -> Result<Id> {
    let mut terms = local(g, u.parent, u.index, gt)?;
    let mut at = g.kids(u.parent)[u.index];
    for &h in &u.hops {
        let s = g.shape(at).clone();
        let sum = g.sum_terms(&terms, &s);
        terms = local(g, h, 1, sum)?;
        at = g.kids(h)[1];
    }
    let s = g.shape(at).clone();
    Ok(g.sum_terms(&terms, &s))
}

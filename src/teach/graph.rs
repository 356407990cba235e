//! The computational graph of a document's objectives (data; DOT in `print::dot`): shared
//! subexpressions drawn once (the graph is hash-consed), variables and
//! objectives marked.

use crate::core::op::Func;
use crate::core::op::Op;
use crate::ir::{Graph, Id};
use crate::print::dot::{digraph, DotRole};
use crate::print::to_text;
use crate::syntax::ast::Name;
use std::collections::{BTreeMap, BTreeSet};

/// One drawn node.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GraphNode {
    /// Its index in the drawing.
    pub index: usize,
    /// Its label.
    pub label: String,
    /// `variable`, `objective`, `input` or `operation`.
    pub role: String,
}

/// A drawable computational graph.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GraphView {
    /// Nodes, inputs first.
    pub nodes: Vec<GraphNode>,
    /// Edges (from child, to parent): data flows upward.
    pub edges: Vec<(usize, usize)>,
}

fn op_label(g: &mut Graph, id: Id) -> String {
    let node = g.node(id).clone();
    // Exhaustive, so that a new operator gets a label.
    match &node.op {
        Op::Var(_)
        | Op::Const(_)
        | Op::Identity
        | Op::Ones
        | Op::Zero
        | Op::Commutation(..)
        | Op::Upstream(_) => to_text(g, id),
        Op::Add => "+".into(),
        Op::Mul => {
            if node.kids.iter().any(|k| g.is_scalar(*k)) {
                "·".into()
            } else {
                "×".into()
            }
        }
        Op::Had => "⊙".into(),
        Op::Kron => "⊗".into(),
        Op::Transpose => "ᵀ".into(),
        Op::Inv => "⁻¹".into(),
        Op::MatPow(k) => format!("^{k}"),
        Op::Pow(q) => format!("^{q}"),
        Op::Trace => "tr".into(),
        Op::Det => "det".into(),
        Op::LogDet => "log|det|".into(),
        Op::Norm => "‖·‖".into(),
        Op::NormSq => "‖·‖²".into(),
        Op::Func(f) => match f {
            Func::Exp => "exp",
            Func::Log => "log",
            Func::Sigmoid => "σ",
            Func::Tanh => "tanh",
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Sqrt => "√",
            Func::Relu => "relu",
            Func::Step => "𝟙[·>0]",
        }
        .into(),
        Op::Call(f) | Op::Opaque(f) => f.text(),
        Op::Sum => "sum".into(),
        Op::Diag | Op::DiagPart => "diag".into(),
        Op::Vec => "vec".into(),
        Op::Unvec => "unvec".into(),
        Op::Softmax => "softmax".into(),
        Op::LogSumExp => "logsumexp".into(),
        Op::KronL | Op::KronR => "kron-grad".into(),
        Op::Def(n) => n.text(),
    }
}

/// The graph of the objectives `of`, marking the variables `wrt`.
///
/// ```
/// let src = "x \\in \\mathbb{R}^{n}\nW \\in \\mathbb{R}^{m \\times n}\nL = \\|W x\\|^2\n\\nabla_W L";
/// let mut p = matcalc::Problem::new(src).unwrap();
/// let q = p.questions()[0].clone();
/// let view = matcalc::graph(&mut p.graph, &[q.of], &[q.wrt]);
/// assert!(view.nodes.iter().any(|n| n.role == "variable" && n.label == "W"));
/// assert!(view.to_dot().starts_with("digraph"));
/// ```
pub fn graph(g: &mut Graph, of: &[Name], wrt: &[Name]) -> GraphView {
    let mut order: Vec<Id> = Vec::new();
    let mut seen = BTreeSet::new();
    let roots: Vec<Id> = of.iter().filter_map(|n| g.def_node(n)).collect();
    for &r in &roots {
        for id in g.postorder(r) {
            if seen.insert(id) {
                order.push(id);
            }
        }
    }
    // A definition is drawn as its body, labelled with its name.
    let mut rep: BTreeMap<Id, Id> = BTreeMap::new();
    let mut def_name: BTreeMap<Id, Name> = BTreeMap::new();
    for &id in &order {
        if let Op::Def(n) = g.op(id).clone() {
            let body = g.kids(id)[0];
            rep.insert(id, body);
            def_name.entry(body).or_insert(n);
        }
    }
    let canon = |id: Id| *rep.get(&id).unwrap_or(&id);
    let mut index: BTreeMap<Id, usize> = BTreeMap::new();
    let mut nodes = Vec::new();
    let objective_bodies: BTreeSet<Id> = roots.iter().map(|&r| canon(r)).collect();
    for &id in &order {
        if rep.contains_key(&id) {
            continue;
        }
        let label = match def_name.get(&id) {
            Some(n) if !matches!(g.op(id), Op::Var(_)) => {
                format!("{} = {}", n.text(), op_label(g, id))
            }
            _ => op_label(g, id),
        };
        let role = match g.op(id) {
            Op::Var(n) if wrt.contains(n) => "variable",
            _ if def_name.get(&id).is_some_and(|n| wrt.contains(n)) => "variable",
            _ if objective_bodies.contains(&id) => "objective",
            op if op.is_input() => "input",
            _ => "operation",
        };
        index.insert(id, nodes.len());
        nodes.push(GraphNode {
            index: nodes.len(),
            label,
            role: role.to_string(),
        });
    }
    let mut edges = BTreeSet::new();
    for &id in &order {
        if rep.contains_key(&id) || matches!(g.op(id), Op::Upstream(_)) {
            continue;
        }
        for &k in g.kids(id) {
            if let (Some(&a), Some(&b)) = (index.get(&canon(k)), index.get(&id)) {
                edges.insert((a, b));
            }
        }
    }
    GraphView {
        nodes,
        edges: edges.into_iter().collect(),
    }
}

impl GraphView {
    /// Graphviz DOT.
    pub fn to_dot(&self) -> String {
        let nodes: Vec<(usize, &str, DotRole)> = self
            .nodes
            .iter()
            .map(|n| {
                let role = match n.role.as_str() {
                    "variable" => DotRole::Variable,
                    "objective" => DotRole::Objective,
                    "input" => DotRole::Input,
                    _ => DotRole::Operation,
                };
                (n.index, n.label.as_str(), role)
            })
            .collect();
        digraph(&nodes, &self.edges)
    }
}

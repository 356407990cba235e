//! The computational graph of a document's objectives (data; DOT in
//! `print::dot`), drawn as `steps` writes it: the same node names (the
//! document's, `z_1 = W x`), each node's operation over its operands'
//! names and its shape; constants and scalings written inside the node
//! that uses them (so `z_3 - x` is one subtraction node and no constant is
//! shared between objectives); each edge into a product or a difference
//! labelled with the operand's place.

use crate::core::op::Op;
use crate::ir::{Graph, Id};
use crate::print::dot::{digraph, DotRole};
use crate::print::to_text;
use crate::syntax::ast::Name;
use crate::teach::backward::{
    computing_order, drawn_nodes, operand, over, space, stand_ins, Inline, Naming,
};
use std::collections::{BTreeMap, BTreeSet};

/// One drawn node.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GraphNode {
    /// Its index in the drawing.
    pub index: usize,
    /// Its label: `z₁ = W x`, then its space `∈ ℝ^m` on a second line.
    pub label: String,
    /// `variable`, `objective`, `input` or `operation`.
    pub role: String,
    /// Its name, identifier form (`z_1`, `W`, `L`), as `steps` names it.
    pub name: String,
    /// Its operation over its operands' names in LaTeX (`W x`); an input,
    /// its name.
    pub latex: String,
    /// Dimension symbols: `[]`, `["n"]`, `["m", "n"]`.
    pub shape: Vec<String>,
}

/// A drawable computational graph.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GraphView {
    /// Nodes, children first.
    pub nodes: Vec<GraphNode>,
    /// Edges (from operand, to the node using it): data flows upward.
    pub edges: Vec<(usize, usize)>,
    /// Each edge's label, in `edges`' order: `left` or `right` for an
    /// operand of a matrix (or Kronecker) product, `−` for the subtracted
    /// term of a difference, empty otherwise.
    pub edge_labels: Vec<String>,
}

/// The edge label of operand `i` of `id`.
fn place(g: &Graph, inline: &Inline, id: Id, i: usize) -> &'static str {
    let kids = g.kids(id);
    match g.op(id) {
        Op::Mul | Op::Kron if kids.len() == 2 && !g.is_scalar(kids[0]) && !g.is_scalar(kids[1]) => {
            if i == 0 {
                "left"
            } else {
                "right"
            }
        }
        Op::Add => {
            let k = kids[i];
            let negative = inline.scaling(g, k)
                && g.const_value(g.kids(k)[0])
                    .is_some_and(|c| c < &crate::core::shape::Q::from_integer(0.into()));
            if negative {
                "−"
            } else {
                ""
            }
        }
        _ => "",
    }
}

/// The graph of the objectives `of`, marking the variables `wrt`.
///
/// ```
/// let src = "x \\in \\mathbb{R}^{n}\nW \\in \\mathbb{R}^{m \\times n}\nL = \\|W x\\|^2\n\\nabla_W L";
/// let mut p = matcalc::Problem::new(src).unwrap();
/// let q = p.questions()[0].clone();
/// let view = matcalc::graph(&mut p.graph, &[q.of], &[q.wrt]);
/// assert!(view.nodes.iter().any(|n| n.role == "variable" && n.label.starts_with("W ∈")));
/// assert!(view.nodes.iter().any(|n| n.latex == "W x"));
/// assert!(view.to_dot().starts_with("digraph"));
/// ```
pub fn graph(g: &mut Graph, of: &[Name], wrt: &[Name]) -> GraphView {
    let mut naming = Naming::of_document(g);
    let roots: Vec<Id> = of.iter().filter_map(|n| g.def_node(n)).collect();
    let objectives: BTreeSet<Id> = roots.iter().map(|&r| g.kids(r)[0]).collect();
    let post = computing_order(g, &roots);
    let inline = Inline::of(g, &post);
    let (drawn, names) = drawn_nodes(g, &mut naming, &post, &inline, None);
    let (mut stand, map) = stand_ins(g, &drawn, &names, |_| false);
    let mut index: BTreeMap<Id, usize> = BTreeMap::new();
    let mut nodes = Vec::new();
    for &id in &drawn {
        let name = names[&id].clone();
        let shape = g.shape(id).clone();
        let (_, space_t) = space(&shape);
        let input = g.op(id).is_input();
        let (latex, label) = if input {
            (name.latex(), format!("{} ∈ {space_t}", name.text()))
        } else {
            let l = over(&mut stand, g, &map, id, true);
            (
                crate::print::to_latex_sized(&mut stand, l, Default::default()),
                format!("{} = {}\n∈ {space_t}", name.text(), to_text(&mut stand, l)),
            )
        };
        let role = if wrt.contains(&name) {
            "variable"
        } else if objectives.contains(&id) {
            "objective"
        } else if input {
            "input"
        } else {
            "operation"
        };
        index.insert(id, nodes.len());
        nodes.push(GraphNode {
            index: nodes.len(),
            label,
            role: role.to_string(),
            name: name.ident(),
            latex,
            shape: shape.to_list(),
        });
    }
    let mut edges = Vec::new();
    let mut edge_labels = Vec::new();
    let mut seen = BTreeSet::new();
    for &id in &drawn {
        if g.op(id).is_input() {
            continue;
        }
        for (i, &k) in g.kids(id).to_vec().iter().enumerate() {
            let (k, _) = operand(g, &inline, |x| index.contains_key(&x), k);
            let (Some(&a), Some(&b)) = (index.get(&k), index.get(&id)) else {
                continue;
            };
            let label = place(g, &inline, id, i).to_string();
            if seen.insert((a, b, label.clone())) {
                edges.push((a, b));
                edge_labels.push(label);
            }
        }
    }
    GraphView {
        nodes,
        edges,
        edge_labels,
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
        digraph(&nodes, &self.edges, &self.edge_labels)
    }
}

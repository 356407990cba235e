//! Graphviz DOT for a computational graph: boxes for operations, ellipses
//! for inputs, the variable and the objective filled; data flows upward.

/// How a node is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DotRole {
    /// The variable differentiated with respect to.
    Variable,
    /// The objective.
    Objective,
    /// Any other free input.
    Input,
    /// An operation.
    Operation,
}

/// A `digraph` of `(index, label, role)` nodes and `(from, to)` edges, each
/// with its label (empty: none). A line break in a label is kept (`\\n`).
pub fn digraph(
    nodes: &[(usize, &str, DotRole)],
    edges: &[(usize, usize)],
    edge_labels: &[String],
) -> String {
    let esc = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('\n', "\\n")
            .replace('"', "\\\"")
    };
    let mut s = String::from("digraph matcalc {\n  rankdir=BT;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
    for (index, label, role) in nodes {
        let style = match role {
            DotRole::Variable => ", style=\"rounded,filled\", fillcolor=\"#cce5ff\", peripheries=2",
            DotRole::Objective => {
                ", style=\"rounded,filled\", fillcolor=\"#ffe0b3\", peripheries=2"
            }
            DotRole::Input => ", shape=ellipse, style=solid",
            DotRole::Operation => "",
        };
        s.push_str(&format!("  n{index} [label=\"{}\"{style}];\n", esc(label)));
    }
    for (k, (a, b)) in edges.iter().enumerate() {
        match edge_labels.get(k).filter(|l| !l.is_empty()) {
            Some(l) => s.push_str(&format!(
                "  n{a} -> n{b} [label=\"{}\", fontsize=10];\n",
                esc(l)
            )),
            None => s.push_str(&format!("  n{a} -> n{b};\n")),
        }
    }
    s.push_str("}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_roles_drawn() {
        let s = digraph(
            &[
                (0, "x", DotRole::Variable),
                (1, "\"a\\b\"", DotRole::Operation),
            ],
            &[(0, 1)],
            &[String::new()],
        );
        assert!(s.contains("n1 [label=\"\\\"a\\\\b\\\"\"];"), "{s}");
        assert!(
            s.contains("n0 [label=\"x\", style=\"rounded,filled\""),
            "{s}"
        );
        assert!(s.contains("n0 -> n1;"), "{s}");
    }
}

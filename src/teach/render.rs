//! Rendering a derivation ([`Steps`], plain data) in the three notations:
//! LaTeX `align*` blocks, Markdown with inline LaTeX, Unicode text.

use super::steps::Steps;
use crate::syntax::ast::Name;

/// Output notations for a derivation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepsFormat {
    /// LaTeX `align*`.
    Latex,
    /// Markdown with inline LaTeX.
    Markdown,
    /// Plain Unicode text.
    Text,
}

impl Steps {
    /// Render in one of the notations.
    pub fn render(&self, f: StepsFormat) -> String {
        let of = Name::from_cli(&self.of)
            .map(|n| n.latex())
            .unwrap_or_else(|| self.of.clone());
        let wrt = Name::from_cli(&self.wrt)
            .map(|n| n.latex())
            .unwrap_or_else(|| self.wrt.clone());
        let of_t = Name::from_cli(&self.of)
            .map(|n| n.text())
            .unwrap_or_else(|| self.of.clone());
        let wrt_t = Name::from_cli(&self.wrt)
            .map(|n| n.text())
            .unwrap_or_else(|| self.wrt.clone());
        let cite = |c: &Option<String>| c.as_ref().map(|c| format!(" [{c}]")).unwrap_or_default();
        let mut s = String::new();
        match f {
            StepsFormat::Latex => {
                s.push_str(&format!("% Derivation of \\nabla_{{{wrt}}} {of}\n% Computational graph\n\\begin{{align*}}\n"));
                for n in &self.nodes {
                    s.push_str(&format!("  {} \\\\\n", n.latex.replacen(" = ", " &= ", 1)));
                }
                s.push_str(
                    "\\end{align*}\n% Local gradients (adjoints, parents first)\n\\begin{align*}\n",
                );
                s.push_str(&format!("  \\bar{{{of}}} &= 1 \\\\\n"));
                for l in &self.local {
                    let c = l
                        .cites_latex
                        .as_ref()
                        .map(|c| format!(" && {c}"))
                        .unwrap_or_default();
                    s.push_str(&format!(
                        "  {}{c} \\\\\n",
                        l.latex.replacen(" \\mathrel{+}= ", " &\\mathrel{+}= ", 1)
                    ));
                }
                s.push_str(&format!(
                    "\\end{{align*}}\n% Paths from {of} to {wrt}: {}\n\\begin{{align*}}\n",
                    self.path_count
                ));
                for (i, p) in self.paths.iter().enumerate() {
                    s.push_str(&format!(
                        "  &\\text{{path {}: }} {} : && {} \\\\\n",
                        i + 1,
                        p.nodes.join(" \\to "),
                        p.contribution.latex
                    ));
                }
                s.push_str(&format!("\\end{{align*}}\n% Sum of the paths (law of total derivative)\n\\begin{{align*}}\n  \\nabla_{{{wrt}}} {of} &= {} \\\\\n", self.sum.latex));
                for r in &self.simplification {
                    let c = r
                        .cites_latex
                        .as_ref()
                        .map(|c| format!(": {c}"))
                        .unwrap_or_default();
                    s.push_str(&format!("  &\\quad \\text{{{}}}{c} \\\\\n", r.latex));
                }
                if self.answer.latex != self.sum.latex {
                    s.push_str(&format!("  &= {}\n", self.answer.latex));
                }
                s.push_str("\\end{align*}\n");
            }
            StepsFormat::Markdown => {
                s.push_str(&format!(
                    "# Derivation of $\\nabla_{{{wrt}}} {of}$\n\n## Computational graph\n\n"
                ));
                for n in &self.nodes {
                    s.push_str(&format!("- ${}$\n", n.latex));
                }
                s.push_str(&format!("\n## Local gradients\n\nStarting from $\\bar{{{of}}} = 1$, each node passes its adjoint to its children:\n\n"));
                for l in &self.local {
                    s.push_str(&format!("- ${}${}\n", l.latex, cite(&l.cites)));
                }
                s.push_str(&format!(
                    "\n## Paths from ${of}$ to ${wrt}$ ({} in all)\n\n",
                    self.path_count
                ));
                for (i, p) in self.paths.iter().enumerate() {
                    s.push_str(&format!(
                        "{}. ${}$: ${}$\n",
                        i + 1,
                        p.nodes.join(" \\to "),
                        p.contribution.latex
                    ));
                }
                s.push_str(&format!("\n## Sum of the paths\n\nBy the law of total derivative the contributions add:\n\n$$\\nabla_{{{wrt}}} {of} = {}$$\n", self.sum.latex));
                if !self.simplification.is_empty() {
                    s.push_str("\n## Simplification\n\n");
                    for r in &self.simplification {
                        s.push_str(&format!("- `{}`{}\n", r.latex, cite(&r.cites)));
                    }
                }
                s.push_str(&format!(
                    "\n## Answer\n\n$$\\nabla_{{{wrt}}} {of} = {}$$\n",
                    self.answer.latex
                ));
            }
            StepsFormat::Text => {
                s.push_str(&format!(
                    "Derivation of ∇_{wrt_t} {of_t}\n\nComputational graph:\n"
                ));
                for n in &self.nodes {
                    s.push_str(&format!("  {}\n", n.text));
                }
                s.push_str(&format!(
                    "\nLocal gradients (from {of_t}̄ = 1, parents first):\n"
                ));
                for l in &self.local {
                    s.push_str(&format!("  {}{}\n", l.text, cite(&l.cites)));
                }
                s.push_str(&format!(
                    "\nPaths from {of_t} to {wrt_t} ({} in all):\n",
                    self.path_count
                ));
                for (i, p) in self.paths.iter().enumerate() {
                    let names: Vec<String> = p
                        .nodes
                        .iter()
                        .map(|n| {
                            Name::from_cli(n)
                                .map(|x| x.text())
                                .unwrap_or_else(|| n.clone())
                        })
                        .collect();
                    s.push_str(&format!(
                        "  {}. {}: {}\n",
                        i + 1,
                        names.join(" → "),
                        p.contribution.text
                    ));
                }
                s.push_str(&format!(
                    "\nSum of the paths (law of total derivative):\n  ∇_{wrt_t} {of_t} = {}\n",
                    self.sum.text
                ));
                if !self.simplification.is_empty() {
                    s.push_str("\nSimplification:\n");
                    for r in &self.simplification {
                        s.push_str(&format!("  {}{}\n", r.text, cite(&r.cites)));
                    }
                }
                s.push_str(&format!(
                    "\nAnswer:\n  ∇_{wrt_t} {of_t} = {}\n",
                    self.answer.text
                ));
            }
        }
        s
    }
}

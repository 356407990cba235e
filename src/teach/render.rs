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
        // Paths start at the node differentiated (a Hessian's gradient).
        let (of, of_t) = (&self.root.latex, &self.root.text);
        let wrt = Name::from_cli(&self.wrt)
            .map(|n| n.latex())
            .unwrap_or_else(|| self.wrt.clone());
        let wrt_t = Name::from_cli(&self.wrt)
            .map(|n| n.text())
            .unwrap_or_else(|| self.wrt.clone());
        // Past `MAX_PATHS` paths, only the first are listed.
        let shown = if self.paths.len() < self.path_count {
            format!(", the first {} shown", self.paths.len())
        } else {
            String::new()
        };
        let cite = |c: &Option<String>| c.as_ref().map(|c| format!(" [{c}]")).unwrap_or_default();
        let mut s = String::new();
        match f {
            StepsFormat::Latex => {
                s.push_str(&format!("% Derivation of {}\n", self.query.latex));
                if let Some(gr) = &self.gradient {
                    s.push_str(&format!(
                        "% First the gradient; the Hessian is its Jacobian\n\\begin{{align*}}\n  {} \\\\\n\\end{{align*}}\n",
                        gr.latex.replacen(" = ", " &= ", 1)
                    ));
                }
                s.push_str("% Computational graph\n\\begin{align*}\n");
                for n in &self.nodes {
                    s.push_str(&format!("  {} \\\\\n", n.latex.replacen(" = ", " &= ", 1)));
                }
                s.push_str(
                    "\\end{align*}\n% Local gradients (adjoints, parents first)\n\\begin{align*}\n",
                );
                let c = self
                    .seed
                    .cites_latex
                    .as_ref()
                    .map(|c| format!(" && {c}"))
                    .unwrap_or_default();
                s.push_str(&format!(
                    "  {}{c} \\\\\n",
                    self.seed.latex.replacen(" = ", " &= ", 1)
                ));
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
                    "\\end{{align*}}\n% Paths from {of} to {wrt}: {}{shown}\n\\begin{{align*}}\n",
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
                s.push_str(&format!("\\end{{align*}}\n% Sum of the paths (law of total derivative)\n\\begin{{align*}}\n  {} &= {} \\\\\n", self.sum_of.latex, self.sum.latex));
                if let Some(j) = &self.identification {
                    let c = j
                        .cites_latex
                        .as_ref()
                        .map(|c| format!(" && {c}"))
                        .unwrap_or_default();
                    s.push_str(&format!("  {} &= {}{c} \\\\\n", self.query.latex, j.latex));
                }
                for r in &self.simplification {
                    let c = r
                        .cites_latex
                        .as_ref()
                        .map(|c| format!(": {c}"))
                        .unwrap_or_default();
                    s.push_str(&format!("  &\\quad \\text{{{}}}{c} \\\\\n", r.latex));
                }
                let last = self.identification.as_ref().unwrap_or(&self.sum);
                if self.answer.latex != last.latex {
                    s.push_str(&format!("  &= {}\n", self.answer.latex));
                }
                s.push_str("\\end{align*}\n");
            }
            StepsFormat::Markdown => {
                s.push_str(&format!("# Derivation of ${}$\n\n", self.query.latex));
                if let Some(gr) = &self.gradient {
                    s.push_str(&format!(
                        "## The gradient\n\nThe Hessian is the Jacobian of the gradient:\n\n$${}$$\n\n",
                        gr.latex
                    ));
                }
                s.push_str("## Computational graph\n\n");
                for n in &self.nodes {
                    s.push_str(&format!("- ${}$\n", n.latex));
                }
                s.push_str(&format!(
                    "\n## Local gradients\n\nStarting from ${}${}, each node passes its adjoint to its children:\n\n",
                    self.seed.latex,
                    cite(&self.seed.cites)
                ));
                for l in &self.local {
                    s.push_str(&format!("- ${}${}\n", l.latex, cite(&l.cites)));
                }
                s.push_str(&format!(
                    "\n## Paths from ${of}$ to ${wrt}$ ({} in all{shown})\n\n",
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
                s.push_str(&format!("\n## Sum of the paths\n\nBy the law of total derivative the contributions add:\n\n$${} = {}$$\n", self.sum_of.latex, self.sum.latex));
                if let Some(j) = &self.identification {
                    s.push_str(&format!(
                        "\n## Reading off the {}\n\n{}:\n\n$${} = {}$$\n",
                        self.kind.noun(),
                        j.cites.clone().unwrap_or_default(),
                        self.query.latex,
                        j.latex
                    ));
                }
                if !self.simplification.is_empty() {
                    s.push_str("\n## Simplification\n\n");
                    for r in &self.simplification {
                        s.push_str(&format!("- `{}`{}\n", r.latex, cite(&r.cites)));
                    }
                }
                s.push_str(&format!(
                    "\n## Answer\n\n$${} = {}$$\n",
                    self.query.latex, self.answer.latex
                ));
            }
            StepsFormat::Text => {
                s.push_str(&format!("Derivation of {}\n\n", self.query.text));
                if let Some(gr) = &self.gradient {
                    s.push_str(&format!(
                        "The gradient (the Hessian is its Jacobian):\n  {}\n\n",
                        gr.text
                    ));
                }
                s.push_str("Computational graph:\n");
                for n in &self.nodes {
                    s.push_str(&format!("  {}\n", n.text));
                }
                s.push_str(&format!(
                    "\nLocal gradients (from {}{}, parents first):\n",
                    self.seed.text,
                    cite(&self.seed.cites)
                ));
                for l in &self.local {
                    s.push_str(&format!("  {}{}\n", l.text, cite(&l.cites)));
                }
                s.push_str(&format!(
                    "\nPaths from {of_t} to {wrt_t} ({} in all{shown}):\n",
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
                    "\nSum of the paths (law of total derivative):\n  {} = {}\n",
                    self.sum_of.text, self.sum.text
                ));
                if let Some(j) = &self.identification {
                    s.push_str(&format!(
                        "\nReading off the {} ({}):\n  {} = {}\n",
                        self.kind.noun(),
                        j.cites.clone().unwrap_or_default(),
                        self.query.text,
                        j.text
                    ));
                }
                if !self.simplification.is_empty() {
                    s.push_str("\nSimplification:\n");
                    for r in &self.simplification {
                        s.push_str(&format!("  {}{}\n", r.text, cite(&r.cites)));
                    }
                }
                s.push_str(&format!(
                    "\nAnswer:\n  {} = {}\n",
                    self.query.text, self.answer.text
                ));
            }
        }
        s
    }
}

//! Rendering a derivation ([`Steps`], plain data) in the three notations:
//! LaTeX (a fragment of `\section*`s and `align*` blocks, or a complete
//! document), Markdown with `$…$` math (KaTeX and pandoc read it: no
//! Unicode mathematics outside it), Unicode text.

use super::backward::{Adjoint, StepNode};
use super::steps::{Line, Steps};
use crate::syntax::ast::Name;

/// Output notations for a derivation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepsFormat {
    /// LaTeX: `\section*` per query, `align*` blocks.
    Latex,
    /// Markdown with inline LaTeX.
    Markdown,
    /// Plain Unicode text.
    Text,
}

/// A complete LaTeX document of the derivations (`steps --standalone`):
/// the fragments between a preamble and `\end{document}`; `pdflatex`
/// compiles it with the standard `amsmath` and `amssymb` alone.
pub fn standalone(derivations: &[Steps]) -> String {
    let mut s = String::from(
        "\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\allowdisplaybreaks\n\\begin{document}\n\n",
    );
    for d in derivations {
        s.push_str(&d.render(StepsFormat::Latex));
        s.push('\n');
    }
    s.push_str("\\end{document}\n");
    s
}

/// Unicode mathematics as TeX math (`∂` → `\partial`), or `""`.
fn math_of(c: char) -> &'static str {
    match c {
        '∂' => "\\partial",
        '∘' => "\\circ",
        '⊙' => "\\odot",
        '⊗' => "\\otimes",
        '×' => "\\times",
        '‖' => "\\|",
        'ℝ' => "\\mathbb{R}",
        'σ' => "\\sigma",
        'Σ' => "\\Sigma",
        '√' => "\\surd",
        'ᵀ' => "^T",
        '²' => "^2",
        '¹' => "^1",
        '⁻' => "^-",
        '₁' => "_1",
        '₂' => "_2",
        '→' => "\\to",
        '·' => "\\cdot",
        '≥' => "\\geq",
        '≤' => "\\leq",
        '∈' => "\\in",
        '𝟙' | '𝟏' => "\\mathbf{1}",
        '′' => "'",
        _ => "",
    }
}

/// Plain text in Markdown: Unicode mathematics as `$…$` math, which pandoc
/// and KaTeX read (pandoc's PDF route fails on a bare `∂`).
pub fn md_text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match math_of(c) {
            "" => out.push(c),
            m => out.push_str(&format!("${m}$")),
        }
    }
    out
}

/// Plain text made safe inside LaTeX's `\text{}`: Unicode mathematics as
/// math, TeX's special characters escaped.
pub fn tex_text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let m = math_of(c);
        if !m.is_empty() {
            out.push_str(&format!("${m}$"));
            continue;
        }
        match c {
            '§' => out.push_str("\\S{}"),
            '–' | '—' => out.push_str("--"),
            '…' => out.push_str("\\ldots{}"),
            '_' | '%' | '&' | '#' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '^' => out.push_str("\\^{}"),
            '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\textbackslash{}"),
            c if c.is_ascii() => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// An `align*` block of rows (no trailing `\\`: no empty last row).
fn align(rows: &[String]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    format!(
        "\\begin{{align*}}\n  {}\n\\end{{align*}}\n",
        rows.join(" \\\\\n  ")
    )
}

/// `&& \text{…}`-column text of a citation.
fn tag(c: &Option<String>) -> String {
    c.as_ref().map(|c| format!(" && {c}")).unwrap_or_default()
}

fn name_latex(ident: &str) -> String {
    Name::from_cli(ident)
        .map(|n| n.latex())
        .unwrap_or_else(|| ident.to_string())
}

fn name_text(ident: &str) -> String {
    Name::from_cli(ident)
        .map(|n| n.text())
        .unwrap_or_else(|| ident.to_string())
}

/// The graph's rows in LaTeX: `z_1 &= W x && \in \mathbb{R}^{m}`.
fn latex_nodes(nodes: &[StepNode]) -> Vec<String> {
    nodes
        .iter()
        .map(|n| {
            if n.role == "input" {
                format!(
                    "{} &\\in {} && \\text{{input}}",
                    n.name_latex, n.space_latex
                )
            } else {
                let sym = if n.symmetric {
                    "\\text{, symmetric}"
                } else {
                    ""
                };
                format!(
                    "{} &= {} && \\in {}{sym}",
                    n.name_latex, n.latex, n.space_latex
                )
            }
        })
        .collect()
}

/// The backward pass's rows in LaTeX.
fn latex_adjoints(adjoints: &[Adjoint]) -> Vec<String> {
    let mut rows = Vec::new();
    for a in adjoints {
        let many = a.terms.len() > 1;
        for (i, t) in a.terms.iter().enumerate() {
            let lead = if i == 0 {
                format!("{} &= ", a.symbol.latex)
            } else {
                "&\\quad + ".to_string()
            };
            let from = if many {
                format!("\\text{{from }} {}\\text{{: }} ", t.from)
            } else {
                String::new()
            };
            let cite = t.rule.cites_latex.clone().unwrap_or_default();
            match &t.literal {
                // The identity as written, then the symmetry that changes it.
                Some(l) => {
                    rows.push(format!("{lead}{} && {from}{cite}", l.latex));
                    let note = l.cites_latex.clone().unwrap_or_default();
                    let value = match (&t.value, many) {
                        (Some(v), true) => format!(" = {}", v.latex),
                        _ => String::new(),
                    };
                    rows.push(format!("&= {}{value} && {note}", t.rule.latex));
                }
                None => {
                    let value = match (&t.value, many) {
                        (Some(v), true) if v.latex != t.rule.latex => format!(" = {}", v.latex),
                        _ => String::new(),
                    };
                    rows.push(format!("{lead}{}{value} && {from}{cite}", t.rule.latex));
                }
            }
        }
        if a.terms.is_empty() {
            rows.push(format!("{} &= 0", a.symbol.latex));
        }
        if let Some(v) = &a.value {
            let single = a.terms.len() == 1 && a.terms[0].rule.latex == v.latex;
            if !single {
                let why = if many {
                    " && \\text{the law of total derivative: the terms add}"
                } else {
                    ""
                };
                rows.push(format!("&= {}{why}", v.latex));
            }
        }
    }
    rows
}

/// A citation in Markdown: its LaTeX form as math, so pandoc and KaTeX
/// both read it.
fn md_cite(l: &Line) -> String {
    l.cites_latex
        .as_ref()
        .map(|c| format!(" [${c}$]"))
        .unwrap_or_default()
}

fn md_adjoints(s: &mut String, adjoints: &[Adjoint]) {
    for a in adjoints {
        let sum: Vec<String> = a
            .terms
            .iter()
            .map(|t| t.literal.as_ref().unwrap_or(&t.rule).latex.clone())
            .collect();
        let sum = if sum.is_empty() {
            "0".to_string()
        } else {
            sum.join(" + ")
        };
        let value = match &a.value {
            Some(v) if v.latex != sum => format!(" = {}", v.latex),
            _ => String::new(),
        };
        s.push_str(&format!("- ${} = {sum}{value}$\n", a.symbol.latex));
        for t in &a.terms {
            let lit = t.literal.as_ref();
            let rule = match lit {
                Some(l) => format!(
                    "${} = {}$, since {}",
                    l.latex,
                    t.rule.latex,
                    l.cites_latex
                        .as_ref()
                        .map(|c| format!("${c}$"))
                        .unwrap_or_default()
                ),
                None => format!("${}$", t.rule.latex),
            };
            let value = t
                .value
                .as_ref()
                .map(|v| format!(" $= {}$", v.latex))
                .unwrap_or_default();
            s.push_str(&format!(
                "  - from ${}$: {rule}{value}{}\n",
                t.from,
                md_cite(&t.rule)
            ));
        }
    }
}

fn text_adjoints(s: &mut String, adjoints: &[Adjoint]) {
    for a in adjoints {
        let sum: Vec<String> = a
            .terms
            .iter()
            .map(|t| t.literal.as_ref().unwrap_or(&t.rule).text.clone())
            .collect();
        let sum = if sum.is_empty() {
            "0".to_string()
        } else {
            sum.join(" + ")
        };
        let value = match &a.value {
            Some(v) if v.text != sum => format!(" = {}", v.text),
            _ => String::new(),
        };
        s.push_str(&format!("  {} = {sum}{value}\n", a.symbol.text));
        for t in &a.terms {
            let sym = match &t.literal {
                Some(l) => format!(
                    " = {}, since {}",
                    t.rule.text,
                    l.cites.clone().unwrap_or_default()
                ),
                None => String::new(),
            };
            let value = t
                .value
                .as_ref()
                .map(|v| format!(" = {}", v.text))
                .unwrap_or_default();
            let rule = t.literal.as_ref().unwrap_or(&t.rule);
            s.push_str(&format!(
                "    from {}: {}{sym}{value}{}\n",
                t.from_text,
                rule.text,
                t.rule
                    .cites
                    .as_ref()
                    .map(|c| format!(" [{c}]"))
                    .unwrap_or_default()
            ));
        }
    }
}

impl Steps {
    /// Render in one of the notations.
    pub fn render(&self, f: StepsFormat) -> String {
        match f {
            StepsFormat::Latex => self.latex(),
            StepsFormat::Markdown => self.markdown(),
            StepsFormat::Text => self.text(),
        }
    }

    fn shown(&self) -> String {
        // Past `MAX_PATHS` paths, only the first are listed.
        if self.paths.len() < self.path_count {
            format!(", the first {} shown", self.paths.len())
        } else {
            String::new()
        }
    }

    fn latex(&self) -> String {
        let (of, wrt) = (&self.root.latex, name_latex(&self.wrt));
        let mut s = format!("\\section*{{Derivation of ${}$}}\n\n", self.query.latex);
        if let Some(gr) = &self.gradient {
            s.push_str(
                "\\subsection*{The gradient}\nThe Hessian is the Jacobian of the gradient:\n",
            );
            s.push_str(&align(&[gr.latex.replacen(" = ", " &= ", 1)]));
            s.push('\n');
        }
        s.push_str("\\subsection*{Computational graph}\nEach node is one operation on the nodes it is drawn from.\n");
        s.push_str(&align(&latex_nodes(&self.nodes)));
        s.push_str(&format!(
            "\n\\subsection*{{Backward pass}}\nStarting from ${}${}, each node's adjoint is the sum of what the nodes it feeds pass back, each by its local gradient.\n",
            self.seed.latex,
            self.seed
                .cites_latex
                .as_ref()
                .map(|c| format!(" (${c}$)"))
                .unwrap_or_default()
        ));
        s.push_str(&align(&latex_adjoints(&self.adjoints)));
        for f in &self.functions {
            s.push_str(&format!(
                "\n\\subsection*{{The derivative of ${}$}}\n${}$, node by node:\n",
                name_latex(&f.name),
                f.definition.latex
            ));
            s.push_str(&align(&latex_nodes(&f.nodes)));
            let mut rows = latex_adjoints(&f.adjoints);
            rows.push(format!(
                "{} && \\text{{applied elementwise}}",
                f.derivative.latex.replacen(" = ", " &= ", 1)
            ));
            s.push_str(&align(&rows));
        }
        s.push_str(&format!(
            "\n\\subsection*{{Paths from ${of}$ to ${wrt}$}}\n{} in all{}; each contributes the product of the local gradients along it.\n",
            self.path_count,
            self.shown()
        ));
        let rows: Vec<String> = self
            .paths
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(
                    "&\\text{{path {}: }} {} : && {}",
                    i + 1,
                    p.nodes.join(" \\to "),
                    p.contribution.latex
                )
            })
            .collect();
        s.push_str(&align(&rows));
        s.push_str("\n\\subsection*{Sum of the paths}\nBy the law of total derivative the contributions add:\n");
        let mut rows = vec![format!("{} &= {}", self.sum_of.latex, self.sum.latex)];
        if let Some(j) = &self.identification {
            rows.push(format!(
                "{} &= {}{}",
                self.query.latex,
                j.latex,
                tag(&j.cites_latex)
            ));
        }
        s.push_str(&align(&rows));
        if !self.simplification.is_empty() {
            s.push_str("\n\\subsection*{Simplification}\n\\begin{itemize}\n");
            for r in &self.simplification {
                let c = r
                    .cites
                    .as_ref()
                    .map(|c| format!(": {}", tex_text(c)))
                    .unwrap_or_default();
                s.push_str(&format!("  \\item \\texttt{{{}}}{c}\n", tex_text(&r.text)));
            }
            s.push_str("\\end{itemize}\n");
        }
        s.push_str("\n\\subsection*{Answer}\n");
        s.push_str(&align(&[format!(
            "{} &= {}",
            self.query.latex, self.answer.latex
        )]));
        for n in &self.notes {
            s.push_str(&format!("\n\\paragraph{{Note.}} {}\n", tex_text(n)));
        }
        s
    }

    fn markdown(&self) -> String {
        let (of, wrt) = (&self.root.latex, name_latex(&self.wrt));
        let mut s = format!("# Derivation of ${}$\n\n", self.query.latex);
        if let Some(gr) = &self.gradient {
            s.push_str(&format!(
                "## The gradient\n\nThe Hessian is the Jacobian of the gradient:\n\n$${}$$\n\n",
                gr.latex
            ));
        }
        s.push_str("## Computational graph\n\n");
        for n in &self.nodes {
            md_node(&mut s, n);
        }
        s.push_str(&format!(
            "\n## Backward pass\n\nStarting from ${}${}, each node's adjoint is the sum of what the nodes it feeds pass back, each by its local gradient:\n\n",
            self.seed.latex,
            md_cite(&self.seed)
        ));
        md_adjoints(&mut s, &self.adjoints);
        for f in &self.functions {
            s.push_str(&format!(
                "\n## The derivative of ${}$\n\n${}$, node by node:\n\n",
                name_latex(&f.name),
                f.definition.latex
            ));
            for n in &f.nodes {
                md_node(&mut s, n);
            }
            s.push('\n');
            md_adjoints(&mut s, &f.adjoints);
            s.push_str(&format!(
                "\nso, applied elementwise, $${}$$\n",
                f.derivative.latex
            ));
        }
        s.push_str(&format!(
            "\n## Paths from ${of}$ to ${wrt}$ ({} in all{})\n\n",
            self.path_count,
            self.shown()
        ));
        for (i, p) in self.paths.iter().enumerate() {
            s.push_str(&format!(
                "{}. ${}$: ${}$\n",
                i + 1,
                p.nodes.join(" \\to "),
                p.contribution.latex
            ));
        }
        s.push_str(&format!(
            "\n## Sum of the paths\n\nBy the law of total derivative the contributions add:\n\n$${} = {}$$\n",
            self.sum_of.latex, self.sum.latex
        ));
        if let Some(j) = &self.identification {
            s.push_str(&format!(
                "\n## Reading off the {}\n\n$${} = {}$$\n\n{}\n",
                self.kind.noun(),
                self.query.latex,
                j.latex,
                md_cite(j).trim()
            ));
        }
        if !self.simplification.is_empty() {
            s.push_str("\n## Simplification\n\n");
            for r in &self.simplification {
                let c = r
                    .cites
                    .as_ref()
                    .map(|c| format!(" [{}]", md_text(c)))
                    .unwrap_or_default();
                s.push_str(&format!("- `{}`{c}\n", r.latex));
            }
        }
        s.push_str(&format!(
            "\n## Answer\n\n$${} = {}$$\n",
            self.query.latex, self.answer.latex
        ));
        for n in &self.notes {
            s.push_str(&format!("\nNote: {}\n", md_text(n)));
        }
        s
    }

    fn text(&self) -> String {
        let (of, wrt) = (&self.root.text, name_text(&self.wrt));
        let mut s = format!("Derivation of {}\n\n", self.query.text);
        if let Some(gr) = &self.gradient {
            s.push_str(&format!(
                "The gradient (the Hessian is its Jacobian):\n  {}\n\n",
                gr.text
            ));
        }
        s.push_str("Computational graph:\n");
        for n in &self.nodes {
            text_node(&mut s, n);
        }
        s.push_str(&format!(
            "\nBackward pass (from {}{}; each adjoint is the sum of what the nodes it feeds pass back):\n",
            self.seed.text,
            self.seed
                .cites
                .as_ref()
                .map(|c| format!(" [{c}]"))
                .unwrap_or_default()
        ));
        text_adjoints(&mut s, &self.adjoints);
        for f in &self.functions {
            s.push_str(&format!(
                "\nThe derivative of {}, node by node ({}):\n",
                name_text(&f.name),
                f.definition.text
            ));
            for n in &f.nodes {
                text_node(&mut s, n);
            }
            text_adjoints(&mut s, &f.adjoints);
            s.push_str(&format!("  so, elementwise, {}\n", f.derivative.text));
        }
        s.push_str(&format!(
            "\nPaths from {of} to {wrt} ({} in all{}):\n",
            self.path_count,
            self.shown()
        ));
        for (i, p) in self.paths.iter().enumerate() {
            let names: Vec<String> = p.nodes.iter().map(|n| latex_to_text(n)).collect();
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
                let c = r
                    .cites
                    .as_ref()
                    .map(|c| format!(" [{c}]"))
                    .unwrap_or_default();
                s.push_str(&format!("  {}{c}\n", r.text));
            }
        }
        s.push_str(&format!(
            "\nAnswer:\n  {} = {}\n",
            self.query.text, self.answer.text
        ));
        for n in &self.notes {
            s.push_str(&format!("\nNote: {n}\n"));
        }
        s
    }
}

fn md_node(s: &mut String, n: &StepNode) {
    let sym = if n.symmetric { ", symmetric" } else { "" };
    if n.role == "input" {
        s.push_str(&format!(
            "- ${} \\in {}$ (input{sym})\n",
            n.name_latex, n.space_latex
        ));
    } else {
        s.push_str(&format!(
            "- ${} = {} \\in {}${sym}\n",
            n.name_latex, n.latex, n.space_latex
        ));
    }
}

fn text_node(s: &mut String, n: &StepNode) {
    let sym = if n.symmetric { ", symmetric" } else { "" };
    if n.role == "input" {
        s.push_str(&format!(
            "  {} ∈ {} (input{sym})\n",
            n.name_text, n.space_text
        ));
    } else {
        s.push_str(&format!(
            "  {} = {}   ∈ {}{sym}\n",
            n.name_text, n.text, n.space_text
        ));
    }
}

/// A path's node name (LaTeX) in text.
fn latex_to_text(n: &str) -> String {
    Name::from_cli(n)
        .map(|x| x.text())
        .unwrap_or_else(|| n.to_string())
}

//! The derivation as a model solution writes it: the computational graph's
//! nodes, each local gradient with the identity it uses, every path from the
//! objective to the variable with its contribution, their sum (the law of
//! total derivative), the simplification rules, and the answer.

use crate::check::VarInfo;
use crate::core::diagnostic::Result;
use crate::core::op::Op;
use crate::core::shape::{Shape, Q};
use crate::diff::local;
use crate::ir::{Graph, Id};
use crate::print::{to_latex, to_text, TransposeStyle};
use crate::problem::{Kind, Problem, Question};
use crate::simplify::{explain, rules::cite, Explanation, MAX_EXPLAINED};
use crate::syntax::ast::{Name, NameKind};
use num_traits::One;
use std::collections::{BTreeSet, HashMap};

/// Most paths listed one by one.
pub const MAX_PATHS: usize = 24;

/// A line in both notations.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Line {
    /// LaTeX.
    pub latex: String,
    /// Unicode text.
    pub text: String,
    /// The identity used, if any (plain text).
    pub cites: Option<String>,
    /// The identity used, in LaTeX math.
    pub cites_latex: Option<String>,
}

/// One path from the objective to the variable.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PathStep {
    /// Node labels from the objective to the variable.
    pub nodes: Vec<String>,
    /// The path's contribution to the gradient.
    pub contribution: Line,
}

/// A whole derivation.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Steps {
    /// What is derived: `gradient`, `jacobian` or `hessian`.
    pub kind: Kind,
    /// The objective (identifier form).
    pub of: String,
    /// The variable (identifier form).
    pub wrt: String,
    /// The query as written: `\nabla_{x} f`, `\frac{\partial z}{\partial x}`,
    /// `\nabla^2_{x} f`.
    pub query: Line,
    /// The node differentiated, as labelled: the objective, or a Hessian's
    /// gradient.
    pub root: Line,
    /// A Hessian's first step: the gradient it is the Jacobian of, named.
    pub gradient: Option<Line>,
    /// Where reverse mode starts: `\bar{f} = 1` for a gradient; for a
    /// Jacobian (and a Hessian, the Jacobian of the gradient) a free vector
    /// `v` of the differentiated vector's shape, so that the adjoint the
    /// variable receives is `J^T v`.
    pub seed: Line,
    /// The computational graph: one operation per named node.
    pub nodes: Vec<Line>,
    /// Local gradients (adjoints pushed to children), parents first.
    pub local: Vec<Line>,
    /// Every path with its contribution (at most 24, `MAX_PATHS`).
    pub paths: Vec<PathStep>,
    /// How many paths there are in all.
    pub path_count: usize,
    /// What the paths' sum is: the gradient, or `J^T v`.
    pub sum_of: Line,
    /// The sum of the paths' contributions.
    pub sum: Line,
    /// A Jacobian or Hessian read off `J^T v`, which is linear in `v`.
    pub identification: Option<Line>,
    /// Simplification rules used, with their identities.
    pub simplification: Vec<Line>,
    /// The final answer.
    pub answer: Line,
}

/// Why each operator's local gradient holds (Matrix Cookbook numbering):
/// (plain text, LaTeX math), from the operator's own table.
fn identity_of(op: &Op) -> Option<(&'static str, &'static str)> {
    op.citation().map(|c| (c.text, c.latex))
}

const SCALING: (&str, &str) = (
    "∂(cX) = c ∂X, and ∂(cX)/∂c = tr(G^T X)",
    r"\partial(cX) = c\, \partial X",
);

/// Reading a Jacobian off `J^T v`: the adjoint is linear in `v`.
const IDENTIFY: (&str, &str) = (
    "J^T v is linear in v: read J^T off it with vec(AXB) = (B^T ⊗ A) vec(X) (Cookbook 520), then transpose",
    r"\text{$J^T v$ is linear in $v$: } \mathrm{vec}(A X B) = (B^T \otimes A) \mathrm{vec}(X) \text{ (520), then transpose}",
);

struct Labeller {
    used: BTreeSet<String>,
    pool: Vec<String>,
    next: usize,
}

impl Labeller {
    fn new(g: &Graph) -> Self {
        let mut used: BTreeSet<String> = g.vars.keys().map(|n| n.ident()).collect();
        used.extend(g.defs.keys().map(|n| n.ident()));
        let pool = "abcfghkmnpqrstuvw".chars().map(|c| c.to_string()).collect();
        Labeller {
            used,
            pool,
            next: 0,
        }
    }
    /// `s` if no name of the document or label uses it, else a fresh one.
    fn prefer(&mut self, s: &str) -> Name {
        if self.used.insert(s.to_string()) {
            return Name::from_cli(s).unwrap_or_else(|| Name::latin("u"));
        }
        self.fresh()
    }
    fn fresh(&mut self) -> Name {
        loop {
            let s = if self.next < self.pool.len() {
                self.pool[self.next].clone()
            } else {
                format!("u_{}", self.next - self.pool.len() + 1)
            };
            self.next += 1;
            if self.used.insert(s.clone()) {
                return Name::from_cli(&s).unwrap_or_else(|| Name::latin("u"));
            }
        }
    }
}

/// The adjoint's name: the bar over the letter, the subscript after it
/// (`\bar{z}_2`, `z̄₂`), as a textbook sets it.
fn bar(n: &Name, latex: bool) -> Name {
    let (letter, sub) = match n.kind {
        NameKind::Adjoint => (n.clone(), None),
        _ => (
            Name {
                sub: None,
                ..n.clone()
            },
            n.sub.clone(),
        ),
    };
    let base = if latex {
        format!("\\bar{{{}}}", letter.latex())
    } else {
        format!("{}\u{0304}", letter.text())
    };
    Name {
        base,
        kind: NameKind::Latin,
        sub,
    }
}

fn line(
    g: &mut Graph,
    t: TransposeStyle,
    latex_prefix: &str,
    text_prefix: &str,
    id: Id,
    cites: Option<&str>,
) -> Line {
    Line {
        latex: format!("{latex_prefix}{}", to_latex(g, id, t)),
        text: format!("{text_prefix}{}", to_text(g, id)),
        cites: cites.map(str::to_string),
        cites_latex: cites.map(|c| format!("\\text{{{c}}}")),
    }
}

/// Derive `q` step by step.
///
/// ```
/// let src = "x \\in \\mathbb{R}^{n}\nW \\in \\mathbb{R}^{m \\times n}\nL = \\frac{1}{2} \\|W^T W x - x\\|^2\n\\nabla_W L";
/// let mut p = matcalc::Problem::new(src).unwrap();
/// let q = p.questions()[0].clone();
/// let s = matcalc::steps(&mut p, &q).unwrap();
/// assert_eq!(s.path_count, 2);
/// ```
pub fn steps(p: &mut Problem, q: &Question) -> Result<Steps> {
    steps_styled(p, q, TransposeStyle::default())
}

/// [`steps`] with its LaTeX transposes written `t` (`^T` or `^\top`).
pub fn steps_styled(p: &mut Problem, q: &Question, t: TransposeStyle) -> Result<Steps> {
    let answer = p.answer(q)?;
    let kind = answer.kind;
    let query_latex = p.query_latex(q);
    let query_text = match kind {
        Kind::Gradient => format!("∇_{} {}", q.wrt.text(), q.of.text()),
        Kind::Jacobian => format!("∂{}/∂{}", q.of.text(), q.wrt.text()),
        Kind::Hessian => format!("∇²_{} {}", q.wrt.text(), q.of.text()),
    };
    let mut g = p.graph.clone();
    // A Hessian in a symmetric matrix was derived with the point's symmetry
    // off (see `Problem::hessian`); its steps are too.
    let symmetric_wrt = g.vars.get(&q.wrt).is_some_and(|v| v.symmetric);
    if kind == Kind::Hessian && symmetric_wrt {
        g.set_point_symmetry(false);
    }
    let root = answer.derivation.root;
    let target = answer.derivation.target.unwrap_or(root);
    // Nodes that depend on the variable.
    let (post, dep) = crate::diff::dependents(&g, root, target);
    // Labels: defined names for definitions' bodies, fresh letters otherwise.
    let mut labels: HashMap<Id, Name> = HashMap::new();
    for &id in &post {
        if let Op::Def(n) = g.op(id).clone() {
            labels.insert(g.kids(id)[0], n);
        }
    }
    let mut lab = Labeller::new(&g);
    // A Hessian differentiates the gradient, named `g` where free.
    if kind == Kind::Hessian {
        let l = lab.prefer("g");
        labels.insert(root, l);
    }
    let seed_name = (kind != Kind::Gradient).then(|| lab.prefer("v"));
    let teaching: Vec<Id> = post
        .iter()
        .copied()
        .filter(|&id| dep[&id] && id != target && !matches!(g.op(id), Op::Def(_)))
        .collect();
    for &id in &teaching {
        labels.entry(id).or_insert_with(|| lab.fresh());
    }
    // Label variables stand for nodes, with their facts.
    let mut label_var: HashMap<Id, Id> = HashMap::new();
    for &id in &teaching {
        let name = labels[&id].clone();
        let shape = g.shape(id).clone();
        let symmetric = shape.is_square() && g.is_symmetric(id);
        if !g.defs.contains_key(&name) {
            g.vars.insert(
                name.clone(),
                VarInfo {
                    symmetric,
                    ..VarInfo::free(shape.clone())
                },
            );
            label_var.insert(id, g.var(&name, shape));
        } else {
            let d = g.def_node(&name).unwrap_or(id);
            label_var.insert(id, d);
        }
    }
    let resolve = |g: &Graph, k: Id| -> Id {
        // A child as it appears in a labelled node: its label, a defined name, or itself.
        let k2 = match g.op(k) {
            Op::Def(_) => return k,
            _ => k,
        };
        *label_var.get(&k2).unwrap_or(&k2)
    };
    // One operation per node, in terms of labels.
    let mut nodes = Vec::new();
    let mut labelled: HashMap<Id, Id> = HashMap::new();
    for &id in &teaching {
        let n = g.node(id).clone();
        let kids: Vec<Id> = n.kids.iter().map(|&k| resolve(&g, k)).collect();
        let l = g.raw_unfolded(n.op.clone(), kids, n.shape.clone());
        labelled.insert(id, l);
        let name = labels[&id].clone();
        nodes.push(line(
            &mut g,
            t,
            &format!("{} = ", name.latex()),
            &format!("{} = ", name.text()),
            l,
            None,
        ));
    }
    // The objective's label, and the adjoint it starts with.
    let of_name = match kind {
        Kind::Hessian => labels
            .get(&root)
            .cloned()
            .unwrap_or_else(|| Name::latin("g")),
        _ => q.of.clone(),
    };
    let start = match &seed_name {
        Some(v) => {
            let shape = g.shape(root).clone();
            g.vars
                .entry(v.clone())
                .or_insert_with(|| VarInfo::free(shape.clone()));
            g.var(v, shape)
        }
        None => g.one(),
    };
    let seed = match &seed_name {
        Some(v) => Line {
            latex: format!("{} = {}", bar(&of_name, true).latex(), v.latex()),
            text: format!("{} = {}", bar(&of_name, false).text(), v.text()),
            cites: Some(format!(
                "{} is any vector of {}'s shape: the variable's adjoint is then J^T {}",
                v.text(),
                of_name.text(),
                v.text()
            )),
            cites_latex: Some(format!(
                "\\text{{any vector of }} {}\\text{{'s shape: the adjoint reached is }} J^T {}",
                of_name.latex(),
                v.latex()
            )),
        },
        None => Line {
            latex: format!("{} = 1", bar(&of_name, true).latex()),
            text: format!("{} = 1", bar(&of_name, false).text()),
            cites: None,
            cites_latex: None,
        },
    };
    // A Hessian's first step: the gradient it differentiates.
    let gradient = (kind == Kind::Hessian).then(|| {
        let first = format!("\\nabla_{{{}}} {}", q.wrt.latex(), q.of.latex());
        let first_t = format!("∇_{} {}", q.wrt.text(), q.of.text());
        let body = match g.op(root) {
            Op::Vec => g.kids(root)[0],
            _ => root,
        };
        let vec = matches!(g.op(root), Op::Vec);
        let (l, t) = (to_latex(&mut g, body, t), to_text(&mut g, body));
        let (l, t) = if vec {
            (
                format!("\\mathrm{{vec}}({first}) = \\mathrm{{vec}}({l})"),
                format!("vec({first_t}) = vec({t})"),
            )
        } else {
            (format!("{first} = {l}"), format!("{first_t} = {t}"))
        };
        Line {
            latex: format!("{} = {l}", of_name.latex()),
            text: format!("{} = {t}", of_name.text()),
            cites: Some("the Hessian is the Jacobian of the gradient".into()),
            cites_latex: Some("\\text{the Hessian is the Jacobian of the gradient}".into()),
        }
    });
    // Local gradients, parents first.
    let mut local_lines = Vec::new();
    let target_name = match g.op(target) {
        Op::Var(n) | Op::Def(n) => n.clone(),
        _ => q.wrt.clone(),
    };
    let name_of = |id: Id| -> Name {
        if id == target {
            return target_name.clone();
        }
        labels
            .get(&id)
            .cloned()
            .unwrap_or_else(|| target_name.clone())
    };
    for &id in teaching.iter().rev() {
        let l = labelled[&id];
        let me = name_of(id);
        let kids = g.kids(id).to_vec();
        for (i, &k) in kids.iter().enumerate() {
            let k = match g.op(k) {
                Op::Def(_) if k != target => g.kids(k)[0],
                _ => k,
            };
            if dep.get(&k) != Some(&true) {
                continue;
            }
            let kid_name = name_of(k);
            for latex in [true, false] {
                let b = bar(&me, latex);
                let s = g.shape(id).clone();
                g.vars
                    .entry(b.clone())
                    .or_insert_with(|| VarInfo::free(s.clone()));
                let gt = g.var(&b, s);
                let terms = local(&mut g, l, i, gt)?;
                let ks = g.shape(k).clone();
                let sum = g.sum_terms(&terms, &ks);
                let kb = bar(&kid_name, latex);
                let lhs = if latex {
                    format!("{} \\mathrel{{+}}= ", kb.latex())
                } else {
                    format!("{} += ", kb.text())
                };
                let body = if latex {
                    to_latex(&mut g, sum, t)
                } else {
                    to_text(&mut g, sum)
                };
                if latex {
                    let scaling =
                        *g.op(id) == Op::Mul && g.kids(id).iter().any(|k| g.is_scalar(*k));
                    let cites = if scaling {
                        Some(SCALING)
                    } else {
                        identity_of(g.op(id))
                    };
                    local_lines.push(Line {
                        latex: format!("{lhs}{body}"),
                        text: String::new(),
                        cites: cites.map(|c| c.0.to_string()),
                        cites_latex: cites.map(|c| c.1.to_string()),
                    });
                } else if let Some(last) = local_lines.last_mut() {
                    last.text = format!("{lhs}{body}");
                }
            }
        }
    }
    // Paths from the objective to the variable, and what each contributes.
    let mut paths: Vec<Vec<(Id, usize)>> = Vec::new();
    let mut count = 0usize;
    let mut stack: Vec<(Id, Vec<(Id, usize)>)> = vec![(root, Vec::new())];
    while let Some((id, path)) = stack.pop() {
        if id == target {
            count += 1;
            if paths.len() < MAX_PATHS {
                paths.push(path);
            }
            continue;
        }
        if count > 10_000 {
            break;
        }
        let kids = g.kids(id).to_vec();
        for (i, &k) in kids.iter().enumerate().rev() {
            if dep.get(&k) == Some(&true) {
                let mut p2 = path.clone();
                p2.push((id, i));
                stack.push((k, p2));
            }
        }
    }
    // In the order the derivation reached the variable along them.
    let arrivals: Vec<Id> = answer
        .derivation
        .adjoints
        .get(&target)
        .map(|v| v.iter().map(|c| c.from).collect())
        .unwrap_or_default();
    paths.sort_by_key(|p| {
        p.last()
            .and_then(|(n, _)| arrivals.iter().position(|a| a == n))
            .unwrap_or(usize::MAX)
    });
    let mut path_steps = Vec::new();
    let mut sums = Vec::new();
    let target_shape: Shape = g.shape(target).clone();
    for path in &paths {
        let mut gt = start;
        for &(n, i) in path {
            let terms = local(&mut g, n, i, gt)?;
            let k = g.kids(n)[i];
            let s = g.shape(k).clone();
            gt = g.sum_terms(&terms, &s);
        }
        sums.push((Q::one(), gt));
        let mut names = vec![of_name.latex()];
        for &(n, i) in path {
            let k = g.kids(n)[i];
            if matches!(g.op(k), Op::Def(_)) && k != target {
                continue;
            }
            names.push(name_of(k).latex());
        }
        names.dedup();
        path_steps.push(PathStep {
            nodes: names,
            contribution: line(&mut g, t, "", "", gt, None),
        });
    }
    // Past the listed paths, the sum is the reverse pass's own: the paths'
    // contributions added where they meet (the same value, factored).
    let all_listed = paths.len() == count;
    let total = if all_listed {
        g.sum_terms(&sums, &target_shape)
    } else {
        let mut map = HashMap::new();
        if seed_name.is_some() {
            let shape = g.shape(root).clone();
            let internal = g.var(&crate::diff::seed_name(), shape);
            map.insert(internal, start);
        }
        g.replace(answer.derivation.answer, &map)
    };
    // `J^T v` is the vec of a matrix variable's adjoint.
    let ts = g.shape(target).clone();
    let shown = if seed_name.is_some() && ts.cols != crate::core::shape::Dim::One {
        let shape = Shape {
            rows: crate::core::shape::Dim::mul(&ts.rows, &ts.cols),
            cols: crate::core::shape::Dim::One,
        };
        g.op_node(Op::Vec, vec![total], shape)
    } else {
        total
    };
    let sum = line(
        &mut g,
        t,
        "",
        "",
        shown,
        Some(if all_listed {
            "law of total derivative: the paths' contributions add"
        } else {
            "law of total derivative: the paths' contributions add, summed where paths meet"
        }),
    );
    let target_bar = |latex: bool| {
        let b = bar(&target_name, latex);
        let b = if latex { b.latex() } else { b.text() };
        match (g.shape(target).cols == crate::core::shape::Dim::One, latex) {
            (true, _) => b,
            (false, true) => format!("\\mathrm{{vec}}({b})"),
            (false, false) => format!("vec({b})"),
        }
    };
    let sum_of = match &seed_name {
        None => Line {
            latex: query_latex.clone(),
            text: query_text.clone(),
            cites: None,
            cites_latex: None,
        },
        Some(v) => Line {
            latex: format!(
                "{} = \\left({query_latex}\\right)^T {}",
                target_bar(true),
                v.latex()
            ),
            text: format!("{} = ({query_text})^T {}", target_bar(false), v.text()),
            cites: None,
            cites_latex: None,
        },
    };
    // A Jacobian is read off `J^T v`, linear in `v`; if the sum of paths
    // resists, the derivation's own reading (same value) stands in.
    let (from, identification) = match &seed_name {
        None => (total, None),
        Some(_) => {
            let j = match crate::diff::linear_map(&mut g, total, start) {
                Ok(l) => crate::diff::read_jacobian(&mut g, l),
                Err(_) => answer.unsimplified,
            };
            let mut l = line(&mut g, t, "", "", j, None);
            l.cites = Some(IDENTIFY.0.into());
            l.cites_latex = Some(IDENTIFY.1.into());
            (j, Some(l))
        }
    };
    // Simplification: the rules egg used, or the canonical form.
    let mut simplification = Vec::new();
    let limits = p.limits.clone();
    match explain(&mut g, from, answer.id, &limits) {
        Explanation::Rules(rules) if rules.is_empty() => {}
        Explanation::Rules(rules) => {
            for r in rules {
                let c = cite(&r);
                let latex_cite = c.replace('∘', "$\\circ$").replace('⊗', "$\\otimes$").replace('×', "$\\times$");
                simplification.push(Line {
                    latex: r.clone(),
                    text: r,
                    cites: (!c.is_empty()).then(|| c.to_string()),
                    cites_latex: (!c.is_empty()).then(|| format!("\\text{{{latex_cite}}}")),
                });
            }
        }
        Explanation::TooLarge(size) => simplification.push(Line {
            latex: format!("\\text{{the rules used are not traced: the expressions have {size} nodes, over the bound of {MAX_EXPLAINED}}}"),
            text: format!("the rules used are not traced: the expressions have {size} nodes, over the bound of {MAX_EXPLAINED}"),
            cites: None,
            cites_latex: None,
        }),
        Explanation::Canonical => simplification.push(Line {
            latex: "canonical form".into(),
            text: "canonical form".into(),
            cites: Some("transposes pushed to the leaves, scalars in front, like terms collected, A^{-1} A = I".into()),
            cites_latex: Some(r"\text{transposes to the leaves, scalars in front, like terms collected, } A^{-1} A = I".into()),
        }),
    }
    let answer_line = line(&mut g, t, "", "", answer.id, None);
    Ok(Steps {
        kind,
        of: q.of.ident(),
        wrt: q.wrt.ident(),
        query: Line {
            latex: query_latex,
            text: query_text,
            cites: None,
            cites_latex: None,
        },
        root: Line {
            latex: of_name.latex(),
            text: of_name.text(),
            cites: None,
            cites_latex: None,
        },
        gradient,
        seed,
        nodes,
        local: local_lines,
        paths: path_steps,
        path_count: count,
        sum_of,
        sum,
        identification,
        simplification,
        answer: answer_line,
    })
}

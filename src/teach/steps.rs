//! The derivation as a model solution writes it: the computational graph's
//! nodes with their shapes and the backward pass (each node's adjoint, its
//! local gradients with their identities, its value: `backward`), each user
//! function's derivative, every path from the objective to the variable
//! with its contribution, their sum (the law of total derivative), the
//! simplification rules, and the answer.

use crate::check::VarInfo;
use crate::core::diagnostic::Result;
use crate::core::op::Op;
use crate::core::shape::{Shape, Q};
use crate::diff::local;
use crate::ir::{Graph, Id};
use crate::print::{to_latex, to_text, TransposeStyle};
use crate::problem::{Kind, Problem, Question};
use crate::simplify::{explain, rules::cite, Explanation, MAX_EXPLAINED};
use crate::teach::backward::{backward, bar, Adjoint, Naming, Notation, Setup, StepNode};

use num_traits::One;
use std::collections::HashMap;

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
    /// The computational graph: inputs and one operation per named node,
    /// children first, each with its shape and its adjoint's value.
    pub nodes: Vec<StepNode>,
    /// The backward pass: each node's adjoint on the paths to the
    /// variable, parents first, the variable's last.
    pub adjoints: Vec<Adjoint>,
    /// The derivative of each user function the paths go through, worked
    /// out the same way.
    pub functions: Vec<FunctionSteps>,
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
    /// Remarks: bounds hit.
    pub notes: Vec<String>,
}

/// A user function's derivative, worked out by its own backward pass.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FunctionSteps {
    /// The function's name (identifier form).
    pub name: String,
    /// Its definition: `\mathrm{swish}(k) = k \sigma(k)`.
    pub definition: Line,
    /// The body's nodes.
    pub nodes: Vec<StepNode>,
    /// The body's backward pass to the parameter.
    pub adjoints: Vec<Adjoint>,
    /// The result: `\mathrm{swish}'(k) = …`.
    pub derivative: Line,
}

/// Reading a Jacobian off `J^T v`: the adjoint is linear in `v`.
const IDENTIFY: (&str, &str) = (
    "J^T v is linear in v: read J^T off it with vec(AXB) = (B^T ⊗ A) vec(X) (Cookbook 520), then transpose",
    r"J^T v \text{ is linear in } v\text{: } \mathrm{vec}(A X B) = (B^T \otimes A) \mathrm{vec}(X) \text{ (520), then transpose}",
);

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
    // Names: the document's, the same in every derivation of it.
    let mut naming = Naming::of_document(&mut g);
    // A Hessian differentiates the gradient, named `g` where free.
    let of_name = match kind {
        Kind::Hessian => naming.reserve("g"),
        _ => q.of.clone(),
    };
    let seed_name = (kind != Kind::Gradient).then(|| naming.reserve("v"));
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
    let notation = match kind {
        Kind::Gradient => Notation::Partial(of_name.clone()),
        _ => Notation::Bar,
    };
    let limits = p.limits.clone();
    let pass = backward(
        &mut g,
        &mut naming,
        &Setup {
            root,
            target,
            root_name: of_name.clone(),
            seed: start,
            notation: notation.clone(),
            style: t,
            limits: &limits,
            answer: (kind == Kind::Gradient).then_some(answer.id),
        },
    )?;
    let mut notes = pass.notes.clone();
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
            latex: format!("{} = 1", notation.of(&of_name, true).latex()),
            text: format!("{} = 1", notation.of(&of_name, false).text()),
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
    // Each user function on the paths: its derivative, worked out.
    let mut functions = Vec::new();
    for f in &pass.calls {
        let Some((param, fbody)) = g.fns.get(f).cloned() else {
            continue;
        };
        let pv = g.var(&param, Shape::scalar());
        let one = g.one();
        let fpass = backward(
            &mut g,
            &mut naming,
            &Setup {
                root: fbody,
                target: pv,
                root_name: f.clone(),
                seed: one,
                notation: Notation::Partial(f.clone()),
                style: t,
                limits: &limits,
                answer: None,
            },
        )?;
        notes.extend(fpass.notes.iter().cloned());
        let call = |latex: bool| {
            if latex {
                format!("{}({})", f.latex(), param.latex())
            } else {
                format!("{}({})", f.text(), param.text())
            }
        };
        let d = crate::diff::call_derivative(&mut g, f, pv)?;
        let d = crate::simplify::simplify(&mut g, d, &limits)
            .map(|s| s.id)
            .unwrap_or(d);
        functions.push(FunctionSteps {
            name: f.ident(),
            definition: Line {
                latex: format!("{} = {}", call(true), to_latex(&mut g, fbody, t)),
                text: format!("{} = {}", call(false), to_text(&mut g, fbody)),
                cites: None,
                cites_latex: None,
            },
            nodes: fpass.nodes,
            adjoints: fpass.adjoints,
            derivative: Line {
                latex: format!(
                    "{}'({}) = {}",
                    f.latex(),
                    param.latex(),
                    to_latex(&mut g, d, t)
                ),
                text: format!("{}′({}) = {}", f.text(), param.text(), to_text(&mut g, d)),
                cites: None,
                cites_latex: None,
            },
        });
    }
    // Node names on paths: the document's, the objective's own.
    let root_post = g.postorder(root);
    let inline = crate::teach::backward::Inline::of(&g, &root_post);
    let target_name = match g.op(target) {
        Op::Var(n) | Op::Def(n) => n.clone(),
        _ => q.wrt.clone(),
    };
    let (_, dep) = crate::diff::dependents(&g, root, target);
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
            if k == target {
                names.push(target_name.latex());
                continue;
            }
            if let Some(name) = naming.name(&g, k, &inline) {
                names.push(name.latex());
            }
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
    match explain(&mut g, from, answer.id, &limits) {
        Explanation::Rules(rules) if rules.is_empty() => {}
        Explanation::Rules(rules) => {
            for r in rules {
                let c = cite(&r);
                let latex_cite = crate::teach::render::tex_text(c);
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
        nodes: pass.nodes,
        adjoints: pass.adjoints,
        functions,
        paths: path_steps,
        path_count: count,
        sum_of,
        sum,
        identification,
        simplification,
        answer: answer_line,
        notes,
    })
}

//! The pipeline as a library: parse → shapes → graph → derivative → check,
//! print. This is what the CLI and teaching tools call.

use crate::check::{self, Typed};
use crate::core::diagnostic::{Diagnostic, ErrorKind, Result};
use crate::core::op::Op;
use crate::core::shape::Shape;
use crate::core::span::Span;
use crate::diff::{self, Derivation};
use crate::ir::{Graph, Id};
use crate::numeric::fd::{check_derivative, CheckResult, Objective, Probe, ENTRY_BUDGET};
use crate::print::{self, TransposeStyle};
use crate::syntax::ast::{Name, QueryOrder};
use crate::syntax::parse::parse_document;
use std::collections::HashMap;

/// What kind of derivative a query asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Gradient of a scalar.
    Gradient,
    /// Jacobian of a vector.
    Jacobian,
    /// Hessian of a scalar.
    Hessian,
}

impl Kind {
    /// `grad`, `jac`, `hess`: the prefix of the answer's NumPy function.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Gradient => "grad",
            Kind::Jacobian => "jac",
            Kind::Hessian => "hess",
        }
    }

    /// `gradient`, `Jacobian`, `Hessian`: as a sentence names it.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Gradient => "gradient",
            Kind::Jacobian => "Jacobian",
            Kind::Hessian => "Hessian",
        }
    }
}

/// One question: the derivative of `of` with respect to `wrt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// The objective.
    pub of: Name,
    /// The variable.
    pub wrt: Name,
    /// First or second order.
    pub order: QueryOrder,
    /// Where it was asked, if in the document.
    pub span: Option<Span>,
}

/// A derived answer.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The question answered.
    pub question: Question,
    /// Gradient, Jacobian or Hessian.
    pub kind: Kind,
    /// The answer's shape (the variable's, for a gradient).
    pub shape: Shape,
    /// The answer's node in the problem's graph (simplified).
    pub id: Id,
    /// The derived answer before simplification.
    pub unsimplified: Id,
    /// How the simplifier's run ended (`saturated`, `node limit 20000`, …).
    pub simplify_stop: String,
    /// The e-graph's size when the simplifier stopped.
    pub egraph_nodes: usize,
    /// The objective's node.
    pub root: Id,
    /// The derivation behind it.
    pub derivation: Derivation,
    /// Remarks on how the answer was reached (verification, fallbacks).
    pub notes: Vec<String>,
}

/// A parsed and type-checked problem document with its expression graph.
pub struct Problem {
    /// The source text.
    pub src: String,
    /// The typed document.
    pub typed: Typed,
    /// The expression graph.
    pub graph: Graph,
    /// Bounds of each simplification.
    pub limits: crate::simplify::Limits,
    /// Answers [`Problem::answer_once`] derived, by (objective, variable, order).
    derived: Vec<(Question, Answer)>,
}

impl Problem {
    /// Parse and check a problem document.
    ///
    /// ```
    /// let src = "X \\in \\mathbb{R}^{n \\times n}\nf = \\log|X|\n\\nabla_X f";
    /// let mut p = matcalc::Problem::new(src).unwrap();
    /// let answers = p.answers().unwrap();
    /// assert_eq!(p.latex(&answers[0], Default::default()), "X^{-T}");
    /// assert!(p.check(&answers[0], 1).unwrap().rel_error < 1e-6);
    /// ```
    pub fn new(src: &str) -> Result<Problem> {
        let doc = parse_document(src)?;
        let typed = check::check(&doc)?;
        let graph = Graph::from_typed(&typed)?;
        Ok(Problem {
            src: src.to_string(),
            typed,
            graph,
            limits: crate::simplify::Limits {
                atom_tokens: print::tokens::atom_tokens,
                ..Default::default()
            },
            derived: Vec::new(),
        })
    }

    /// The document's own queries.
    pub fn questions(&self) -> Vec<Question> {
        self.typed
            .queries
            .iter()
            .map(|q| Question {
                of: q.of.clone(),
                wrt: q.wrt.clone(),
                order: q.order,
                span: Some(q.span),
            })
            .collect()
    }

    /// A question from `--wrt` and optionally `--of`; with no `--of`, the one
    /// scalar definition (or the last one that depends on the variable).
    pub fn question(&self, wrt: &str, of: Option<&str>) -> Result<Question> {
        let w = Name::from_cli(wrt)
            .ok_or_else(|| Diagnostic::new(ErrorKind::Usage, format!("`{wrt}` is not a name")))?;
        if self.typed.shape_of_name(&w).is_none() {
            return Err(Diagnostic::new(
                ErrorKind::Usage,
                format!(
                    "`{}` (from --wrt) does not occur in the document",
                    w.latex()
                ),
            ));
        }
        let o = match of {
            Some(o) => {
                let n = Name::from_cli(o).ok_or_else(|| {
                    Diagnostic::new(ErrorKind::Usage, format!("`{o}` is not a name"))
                })?;
                if !self.graph.defs.contains_key(&n) {
                    return Err(Diagnostic::new(
                        ErrorKind::Usage,
                        format!("`{}` (from --of) is not defined in the document", n.latex()),
                    ));
                }
                n
            }
            None => {
                let scalars: Vec<&Name> = self
                    .graph
                    .def_order
                    .iter()
                    .filter(|n| {
                        self.graph
                            .defs
                            .get(*n)
                            .is_some_and(|b| self.graph.is_scalar(*b))
                    })
                    .collect();
                match scalars.as_slice() {
                    [one] => (*one).clone(),
                    [] => {
                        return Err(Diagnostic::new(
                            ErrorKind::Usage,
                            "no scalar definition to differentiate; name one with --of",
                        ))
                    }
                    many => {
                        let names: Vec<String> = many.iter().map(|n| n.ident()).collect();
                        return Err(Diagnostic::new(
                            ErrorKind::Usage,
                            format!(
                                "several scalar definitions ({}); choose one with --of",
                                names.join(", ")
                            ),
                        ));
                    }
                }
            }
        };
        Ok(Question {
            of: o,
            wrt: w,
            order: QueryOrder::First,
            span: None,
        })
    }

    /// Answer every query of the document.
    pub fn answers(&mut self) -> Result<Vec<Answer>> {
        let qs = self.questions();
        if qs.is_empty() {
            return Err(Diagnostic::new(
                ErrorKind::Usage,
                "the document asks nothing: add a query such as `\\nabla_{W} L`, or pass --wrt",
            ));
        }
        qs.iter().map(|q| self.answer(q)).collect()
    }

    /// Answer one question, deriving it only the first time it is asked
    /// (under the [`Problem::limits`] of that time): grading a class against
    /// one problem derives each answer once.
    pub fn answer_once(&mut self, q: &Question) -> Result<Answer> {
        let same = |k: &Question| k.of == q.of && k.wrt == q.wrt && k.order == q.order;
        if let Some((_, a)) = self.derived.iter().find(|(k, _)| same(k)) {
            return Ok(a.clone());
        }
        let a = self.answer(q)?;
        self.derived.push((q.clone(), a.clone()));
        Ok(a)
    }

    /// Answer one question.
    pub fn answer(&mut self, q: &Question) -> Result<Answer> {
        let with_span = |d: Diagnostic| match (d.span, q.span) {
            (None, Some(s)) => d.at(s),
            _ => d,
        };
        let root = self.graph.def_node(&q.of).ok_or_else(|| {
            with_span(Diagnostic::new(
                ErrorKind::Name,
                format!("`{}` is not defined", q.of.latex()),
            ))
        })?;
        if self.graph.vars.get(&q.wrt).is_some_and(|v| v.is_dim) {
            return Err(with_span(Diagnostic::new(
                ErrorKind::Name,
                format!(
                    "`{}` is a dimension (a size fixed by the declarations), not a variable: it cannot be differentiated",
                    q.wrt.latex()
                ),
            )));
        }
        match (q.order, self.graph.is_scalar(root)) {
            (QueryOrder::Second, false) => {
                return Err(with_span(Diagnostic::new(
                    ErrorKind::Shape,
                    format!(
                        "`{}` is {}: a Hessian is of a scalar (for a vector, ask for the Jacobian `\\frac{{\\partial {}}}{{\\partial {}}}`)",
                        q.of.latex(),
                        self.graph.shape(root),
                        q.of.latex(),
                        q.wrt.latex()
                    ),
                )))
            }
            (QueryOrder::Second, true) => return self.hessian(q, root).map_err(with_span),
            (QueryOrder::First, false) => return self.jacobian(q, root).map_err(with_span),
            (QueryOrder::First, true) => {}
        }
        let d = diff::gradient(&mut self.graph, root, &q.wrt).map_err(with_span)?;
        let shape = self
            .typed
            .shape_of_name(&q.wrt)
            .unwrap_or_else(|| self.graph.shape(d.answer).clone());
        let simple = self.simplify_named(&d).map_err(with_span)?;
        let mut a = Answer {
            question: q.clone(),
            kind: Kind::Gradient,
            shape,
            id: simple.id,
            unsimplified: d.answer,
            simplify_stop: simple.stop,
            egraph_nodes: simple.egraph_nodes,
            root,
            derivation: d,
            notes: Vec::new(),
        };
        self.verify(&mut a).map_err(with_span)?;
        Ok(a)
    }

    /// The node of the variable `wrt`, or a name error.
    fn target(&mut self, wrt: &Name) -> Result<Id> {
        diff::target_node(&mut self.graph, wrt).ok_or_else(|| {
            Diagnostic::new(
                ErrorKind::Name,
                format!("`{}` is not a variable of this document", wrt.latex()),
            )
        })
    }

    /// The Jacobian of the vector `root` (the definition `q.of`).
    fn jacobian(&mut self, q: &Question, root: Id) -> Result<Answer> {
        let target = self.target(&q.wrt)?;
        let (d, j) = diff::jacobian_at(&mut self.graph, root, target)?;
        self.derivative_answer(q, Kind::Jacobian, root, d, j)
    }

    /// The Hessian of the scalar `root`: the Jacobian of its (verified,
    /// simplified) gradient, with respect to `\mathrm{vec}(X)` for a matrix.
    fn hessian(&mut self, q: &Question, root: Id) -> Result<Answer> {
        let first = Question {
            order: QueryOrder::First,
            ..q.clone()
        };
        let grad = self.answer(&first)?;
        let target = self.target(&q.wrt)?;
        // The gradient's printed form may use the symmetry of a symmetric
        // point (`S^T = S`), true at the point but not in the directions off
        // it that a Hessian in `S` differentiates along: there, the gradient
        // is derived again with the declared symmetry off.
        let symmetric = self.graph.vars.get(&q.wrt).is_some_and(|v| v.symmetric);
        let grad_id = if symmetric {
            self.graph.set_point_symmetry(false);
            let raw = diff::gradient(&mut self.graph, root, &q.wrt).map(|d| d.answer);
            self.graph.set_point_symmetry(true);
            raw?
        } else {
            grad.id
        };
        // An opaque function's gradient is an input to the reverse pass, so
        // a second derivative through it would silently be dropped.
        for id in self.graph.postorder(grad_id) {
            if let Op::Upstream(of) = self.graph.op(id) {
                let k = self.graph.kids(id)[0];
                if self.depends_on(k, target) {
                    let arg = match self.graph.op(k) {
                        Op::Var(n) | Op::Def(n) => n.latex(),
                        _ => "its argument".into(),
                    };
                    return Err(Diagnostic::new(
                        ErrorKind::Unsupported,
                        format!(
                            "the Hessian needs the derivative of `\\frac{{\\partial {}}}{{\\partial {arg}}}`, the gradient of an opaque function, which the document does not give",
                            of.latex()
                        ),
                    ));
                }
            }
        }
        let g = self.graph.shape(grad_id).clone();
        let col = if g.cols == crate::core::shape::Dim::One {
            grad_id
        } else {
            let shape = Shape {
                rows: crate::core::shape::Dim::mul(&g.rows, &g.cols),
                cols: crate::core::shape::Dim::One,
            };
            self.graph.op_node(Op::Vec, vec![grad_id], shape)
        };
        if symmetric {
            self.graph.set_point_symmetry(false);
        }
        let jac = diff::jacobian_at(&mut self.graph, col, target);
        self.graph.set_point_symmetry(true);
        let (d, h) = jac?;
        self.derivative_answer(q, Kind::Hessian, root, d, h)
    }

    /// Whether `id` depends on `target`.
    fn depends_on(&self, id: Id, target: Id) -> bool {
        diff::dependents(&self.graph, id, target)
            .1
            .get(&id)
            .copied()
            .unwrap_or(false)
    }

    /// A Jacobian or Hessian `m`, simplified and verified.
    fn derivative_answer(
        &mut self,
        q: &Question,
        kind: Kind,
        root: Id,
        d: Derivation,
        m: Id,
    ) -> Result<Answer> {
        let simple = crate::simplify::simplify(&mut self.graph, m, &self.limits)?;
        let shape = self.graph.shape(m).clone();
        let mut a = Answer {
            question: q.clone(),
            kind,
            shape,
            id: simple.id,
            unsimplified: m,
            simplify_stop: simple.stop,
            egraph_nodes: simple.egraph_nodes,
            root,
            derivation: d,
            notes: Vec::new(),
        };
        self.verify(&mut a)?;
        Ok(a)
    }

    /// Simplify an answer and the adjoints it names, each on its own, the
    /// named ones first (each may use those before it).
    fn simplify_named(&mut self, d: &Derivation) -> Result<crate::simplify::Simplified> {
        // A name written once says nothing the expression would not: inline
        // it. Count how often each is written when every named adjoint is
        // printed as its name (its body once, in the where clause): a node
        // shared in the graph is written once per parent that writes it.
        let atoms: std::collections::HashSet<Id> = d.named.iter().copied().collect();
        let mut roots = vec![d.answer];
        roots.extend(d.named.iter().map(|&a| self.graph.kids(a)[0]));
        let order = self.graph.postorder_all(&roots);
        let mut uses: HashMap<Id, u64> = HashMap::new();
        for &r in &roots {
            *uses.entry(r).or_default() += 1;
        }
        for &n in order.iter().rev() {
            if atoms.contains(&n) {
                continue;
            }
            let o = uses.get(&n).copied().unwrap_or(0);
            for &k in self.graph.kids(n) {
                let e = uses.entry(k).or_default();
                *e = e.saturating_add(o);
            }
        }
        let mut map: HashMap<Id, Id> = HashMap::new();
        for &atom in &d.named {
            let Op::Def(name) = self.graph.op(atom).clone() else {
                continue;
            };
            let body = self.graph.kids(atom)[0];
            let body = self.graph.replace(body, &map);
            let s = crate::simplify::simplify(&mut self.graph, body, &self.limits)?;
            let new = if uses.get(&atom).copied().unwrap_or(0) > 1 {
                let shape = self.graph.shape(atom).clone();
                self.graph.raw_unfolded(Op::Def(name), vec![s.id], shape)
            } else {
                s.id
            };
            map.insert(atom, new);
        }
        let answer = self.graph.replace(d.answer, &map);
        crate::simplify::simplify(&mut self.graph, answer, &self.limits)
    }

    /// No answer leaves unproven: the simplified answer, or else the derived
    /// one, must agree with finite differences of the independent oracle.
    /// An answer neither passes is refused, never printed.
    fn verify(&mut self, a: &mut Answer) -> Result<()> {
        const TOLERANCE: f64 = 1e-5;
        let mut errors = Vec::new();
        for (k, id) in [a.id, a.unsimplified].into_iter().enumerate() {
            if k == 1 && id == a.id {
                break;
            }
            let mut worst: f64 = 0.0;
            let mut judged = 0;
            let mut why = String::new();
            for seed in [11u64, 23, 37] {
                // Random directions: as sure to catch a wrong gradient as
                // every entry, at a fraction of the evaluations.
                match self.check_node(a, id, seed, 0) {
                    Ok(r) => {
                        worst = worst.max(r.rel_error);
                        judged += 1;
                        if r.heavy || judged == 2 {
                            break;
                        }
                    }
                    // No instance to judge on here: try another; a limit
                    // stays hit on every seed.
                    Err(e) if e.kind == ErrorKind::Domain => {
                        why = e.message;
                    }
                    Err(e) if e.kind == ErrorKind::Limit => {
                        why = e.message;
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            if judged == 0 {
                a.notes.push(format!("not verified numerically: {why}"));
                return Ok(());
            }
            if worst < TOLERANCE {
                if k == 1 {
                    a.notes.push(
                        "the simplified form failed its numeric check; the derived form is shown"
                            .into(),
                    );
                    a.id = id;
                }
                return Ok(());
            }
            errors.push(worst);
        }
        Err(Diagnostic::new(
            ErrorKind::Unsupported,
            format!(
                "the derived {} of {} in {} disagrees with finite differences of the objective (relative error {:.1e}), so it is not shown; this is a bug in matcalc, please report it",
                a.kind.noun(),
                a.question.of.latex(),
                a.question.wrt.latex(),
                errors.last().copied().unwrap_or(f64::NAN)
            ),
        ))
    }

    fn check_node(&mut self, a: &Answer, id: Id, seed: u64, budget: usize) -> Result<CheckResult> {
        let shared = std::cell::RefCell::default();
        let obj = Objective {
            typed: &self.typed,
            of: &a.question.of,
            wrt: &a.question.wrt,
            root: a.root,
            shared: &shared,
        };
        let probe = match a.kind {
            Kind::Gradient => Probe::Gradient,
            Kind::Jacobian => Probe::Jacobian,
            Kind::Hessian => Probe::Hessian,
        };
        check_derivative(obj, probe, &self.graph, id, seed, budget)
    }

    /// Read an expression in this problem's context (names must occur in the
    /// problem) and build it into the graph. `lenient` applies the answer
    /// leniencies of docs/LANGUAGE.md.
    /// With `expected`, the expression must have that shape (and a bare `I`
    /// takes it).
    pub fn expression(
        &mut self,
        latex: &str,
        lenient: bool,
        expected: Option<&Shape>,
    ) -> Result<Id> {
        let expr = crate::syntax::parse::parse_expression(latex)?;
        let (t, typed) = self.typed.type_expr(&expr, lenient, expected)?;
        self.graph.lower(&typed, &t)
    }

    /// Simplify the document's bare expressions (`matcalc simplify`):
    /// (simplified node, stop reason) each.
    pub fn simplify_expressions(&mut self) -> Result<Vec<(Id, String)>> {
        if self.typed.exprs.is_empty() {
            return Err(Diagnostic::new(
                ErrorKind::Usage,
                "nothing to simplify: the document has no bare expression",
            ));
        }
        let exprs = self.typed.exprs.clone();
        let mut out = Vec::new();
        for e in &exprs {
            let id = self.graph.lower(&self.typed, e)?;
            let s =
                crate::simplify::simplify(&mut self.graph, id, &self.limits).map_err(
                    |d| match d.span {
                        None => d.at(e.span),
                        Some(_) => d,
                    },
                )?;
            out.push((s.id, s.stop));
        }
        Ok(out)
    }

    /// The answer in LaTeX.
    pub fn latex(&mut self, a: &Answer, t: TransposeStyle) -> String {
        print::answer_latex(&mut self.graph, a.id, t)
    }

    /// The answer in plain Unicode text.
    pub fn text(&mut self, a: &Answer) -> String {
        print::answer_text(&mut self.graph, a.id)
    }

    /// The query in LaTeX: `\nabla_{W} L`, `\nabla^2_{x} f`, or
    /// `\frac{\partial z}{\partial x}` for a Jacobian.
    pub fn query_latex(&self, q: &Question) -> String {
        let (of, wrt) = (q.of.latex(), q.wrt.latex());
        if q.order == QueryOrder::Second {
            return format!("\\nabla^2_{{{wrt}}} {of}");
        }
        match self.graph.defs.get(&q.of) {
            Some(&b) if !self.graph.is_scalar(b) => {
                format!("\\frac{{\\partial {of}}}{{\\partial {wrt}}}")
            }
            _ => format!("\\nabla_{{{wrt}}} {of}"),
        }
    }

    /// Check an answer against finite differences on the instance from `seed`.
    pub fn check(&mut self, a: &Answer, seed: u64) -> Result<CheckResult> {
        self.check_node(a, a.id, seed, ENTRY_BUDGET)
    }
}

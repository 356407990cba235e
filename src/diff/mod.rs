//! Stage 4: reverse-mode differentiation over the expression graph.
//!
//! Like the homework: start from the objective with adjoint 1, visit nodes
//! parents-first, and push each node's adjoint to its children through the
//! node's local gradient. Adjoints are kept as lists of terms, one per path
//! (like terms merged), so the answer reads as "every path, summed"; past
//! [`MAX_PATHS`] paths, adjoints of defined names where paths meet are named
//! and given once instead.
//! Denominator layout: the gradient of a scalar has the variable's shape.
//! Equation numbers are those of the Matrix Cookbook (Petersen & Pedersen,
//! Nov. 2012).

use crate::core::diagnostic::{Diagnostic, ErrorKind, Result};
use crate::core::op::{Func, Op};
use crate::core::shape::Q;
use crate::ir::{Graph, Id};
use crate::syntax::ast::Name;
use num_traits::One;
use std::collections::HashMap;

mod linear;
mod rules;
pub use linear::linear_map;
pub use rules::{call_derivative, local};

/// Most terms one adjoint may carry before they are summed into one.
pub const MAX_TERMS: usize = 64;

/// Above this many paths from the objective to the variable, the answer is
/// no longer written as the sum of its paths: the adjoint of each defined
/// name where paths meet is named (`\frac{\partial f}{\partial z_3}`) and
/// given once, so the answer grows linearly with the document, not with the
/// number of paths (a definition chain `z_{i+1} = A z_i + \tanh(z_i)` has
/// 2^k paths after k links).
pub const MAX_PATHS: u64 = 64;

/// One contribution to an adjoint: the path it came along and its value.
#[derive(Clone, Debug)]
pub struct Contribution {
    /// The node that passed it on.
    pub from: Id,
    /// Coefficient and term.
    pub term: (Q, Id),
}

/// The result of one differentiation: the answer and the adjoints on the way.
#[derive(Clone, Debug)]
pub struct Derivation {
    /// The node differentiated (the objective, or a Hessian's gradient).
    pub root: Id,
    /// The gradient (unsimplified beyond the graph's canonical form).
    pub answer: Id,
    /// The variable's node.
    pub target: Option<Id>,
    /// Every node visited, parents first.
    pub order: Vec<Id>,
    /// The adjoint terms each node received, with the node they came from.
    pub adjoints: HashMap<Id, Vec<Contribution>>,
    /// Adjoints given names of their own (definition nodes named
    /// [`Name::adjoint`]), objective first; empty unless the paths to the
    /// variable exceed [`MAX_PATHS`].
    pub named: Vec<Id>,
}

/// The node of variable `wrt`: a free input or a defined name.
pub fn target_node(g: &mut Graph, wrt: &Name) -> Option<Id> {
    if g.defs.contains_key(wrt) {
        return g.def_node(wrt);
    }
    let shape = g.vars.get(wrt)?.shape.clone();
    Some(g.var(wrt, shape))
}

/// Gradient of the scalar `root` with respect to `wrt`.
pub fn gradient(g: &mut Graph, root: Id, wrt: &Name) -> Result<Derivation> {
    let Some(target) = target_node(g, wrt) else {
        return Err(Diagnostic::new(
            ErrorKind::Name,
            format!("`{}` is not a variable of this document", wrt.latex()),
        ));
    };
    gradient_at(g, root, target)
}

/// Gradient of the scalar `root` with respect to the node `target`.
pub fn gradient_at(g: &mut Graph, root: Id, target: Id) -> Result<Derivation> {
    if !g.is_scalar(root) {
        return Err(Diagnostic::new(
            ErrorKind::Unsupported,
            format!(
                "the objective is {}, not a scalar: its derivative is a Jacobian",
                g.shape(root)
            ),
        ));
    }
    let one = g.one();
    derive_at(g, root, target, one)
}

/// The free input that seeds a Jacobian's reverse pass: a name no document
/// can write (the grammar's names are ASCII), of the objective's shape.
pub fn seed_name() -> Name {
    Name::latin("\u{22c6}")
}

/// The Jacobian `\frac{\partial z}{\partial x}` of the column vector `root`
/// with respect to the node `target` (with respect to `\mathrm{vec}(X)` for
/// a matrix): rows follow `z`, columns the entries of `x`. Reverse mode
/// seeded with a free `u` gives `G(u) = J^T u` (the gradient of `u^T z`);
/// `J` is the transpose of the matrix read off `G` (see [`linear_map`]).
pub fn jacobian_at(g: &mut Graph, root: Id, target: Id) -> Result<(Derivation, Id)> {
    let rs = g.shape(root).clone();
    if rs.cols != crate::core::shape::Dim::One {
        return Err(Diagnostic::new(
            ErrorKind::Unsupported,
            format!(
                "the objective is {rs}: Jacobians are of column vectors (write \\mathrm{{vec}} of a matrix as a definition of its own)"
            ),
        ));
    }
    let name = seed_name();
    g.vars
        .entry(name.clone())
        .or_insert_with(|| crate::check::VarInfo::free(rs.clone()));
    let seed = g.var(&name, rs);
    let d = derive_at(g, root, target, seed)?;
    let l = linear_map(g, d.answer, seed)?;
    let j = read_jacobian(g, l);
    g.check()?;
    Ok((d, j))
}

/// The Jacobian `L^T` of a linear map's matrix `L`, transposed term by
/// term, commutation matrices moved right ([`linear::commute`]), columns
/// written as in [`jacobian_form`].
pub fn read_jacobian(g: &mut Graph, l: Id) -> Id {
    let j = if *g.op(l) == Op::Add {
        let shape = g.shape(l).t();
        let terms: Vec<(Q, Id)> = g.terms(l).into_iter().map(|(c, t)| (c, g.t(t))).collect();
        g.sum_terms(&terms, &shape)
    } else {
        g.t(l)
    };
    let j = linear::commute(g, j);
    jacobian_form(g, j)
}

/// A Jacobian read off its reverse pass, as printed: a column written
/// `\mathrm{diag}(v) w` is `v \odot w`.
pub fn jacobian_form(g: &mut Graph, j: Id) -> Id {
    match g.op(j) {
        Op::Mul if g.shape(j).cols == crate::core::shape::Dim::One => {
            let (coef, scalars, mats) = g.factors(j);
            match mats.as_slice() {
                [dg, w] if *g.op(*dg) == Op::Diag => {
                    let v = g.kids(*dg)[0];
                    let h = g.had(v, *w);
                    let c = g.konst(coef);
                    let h = g.mul(c, h);
                    scalars.iter().fold(h, |acc, &s| g.mul(s, acc))
                }
                _ => j,
            }
        }
        _ => j,
    }
}

/// Reverse mode from `root`, whose adjoint is `seed` (`1` for a gradient).
pub fn derive_at(g: &mut Graph, root: Id, target: Id, seed: Id) -> Result<Derivation> {
    let shape = g.shape(target).clone();
    // Which nodes depend on the target (the only ones that need adjoints).
    let (post, dep) = dependents(g, root, target);
    let mut adj: HashMap<Id, Vec<Contribution>> = HashMap::new();
    adj.insert(
        root,
        vec![Contribution {
            from: root,
            term: (Q::one(), seed),
        }],
    );
    // Paths from the objective to each node (saturating): too many, and
    // adjoints are named where paths meet.
    let mut paths: HashMap<Id, u64> = HashMap::from([(root, 1)]);
    for &id in post.iter().rev() {
        let p = paths.get(&id).copied().unwrap_or(0);
        for &k in g.kids(id) {
            if dep.get(&k) == Some(&true) {
                let e = paths.entry(k).or_insert(0);
                *e = e.saturating_add(p);
            }
        }
    }
    // Paths from each node down to the target: where more than one leaves
    // a defined name, its adjoint would be written out once per path.
    let mut down: HashMap<Id, u64> = HashMap::from([(target, 1)]);
    for &id in &post {
        if id == target || dep.get(&id) != Some(&true) {
            continue;
        }
        let n = g
            .kids(id)
            .iter()
            .filter_map(|k| down.get(k))
            .fold(0u64, |a, &b| a.saturating_add(b));
        down.insert(id, n);
    }
    let objective = match g.op(root) {
        Op::Def(n) if paths.get(&target).copied().unwrap_or(0) > MAX_PATHS => Some(n.clone()),
        _ => None,
    };
    let mut named = Vec::new();
    let mut order = Vec::new();
    for &id in post.iter().rev() {
        if dep.get(&id) != Some(&true) {
            continue;
        }
        order.push(id);
        if id == target {
            continue;
        }
        let Some(contribs) = adj.get(&id).cloned() else {
            continue;
        };
        let mut terms: Vec<(Q, Id)> = merge(contribs.iter().map(|c| c.term.clone()).collect());
        if terms.len() > MAX_TERMS {
            let s = g.shape(id).clone();
            let sum = g.sum_terms(&terms, &s);
            terms = vec![(Q::one(), sum)];
        }
        // Paths meet at a defined name, or leave it for the variable along
        // more than one way: its adjoint, named, is what flows on (written
        // once, not once per path: a deep net's answer stays linear).
        if let (Some(of), Op::Def(name)) = (&objective, g.op(id).clone()) {
            let branches = down.get(&id).copied().unwrap_or(0) > 1;
            if id != root && (contribs.len() > 1 || branches) && name.adjoint_parts().is_none() {
                let s = g.shape(id).clone();
                let body = g.sum_terms(&terms, &s);
                let atom = g.raw_unfolded(Op::Def(Name::adjoint(of, &name)), vec![body], s);
                named.push(atom);
                terms = vec![(Q::one(), atom)];
            }
        }
        let kids = g.kids(id).to_vec();
        for (i, &k) in kids.iter().enumerate() {
            if dep.get(&k) != Some(&true) {
                continue;
            }
            for (c, gt) in &terms {
                for (c2, t2) in local(g, id, i, *gt)? {
                    let entry = adj.entry(k).or_default();
                    entry.push(Contribution {
                        from: id,
                        term: (c * &c2, t2),
                    });
                }
            }
        }
        g.check()?;
    }
    let final_terms: Vec<(Q, Id)> = adj
        .get(&target)
        .map(|v| merge(v.iter().map(|c| c.term.clone()).collect()))
        .unwrap_or_default();
    let answer = g.sum_terms(&final_terms, &shape);
    g.check()?;
    Ok(Derivation {
        root,
        answer,
        target: Some(target),
        order,
        adjoints: adj,
        named,
    })
}

/// The nodes under `root` (children first) and whether each depends on
/// `target`; an upstream-gradient atom is an input, whatever its argument.
pub fn dependents(g: &Graph, root: Id, target: Id) -> (Vec<Id>, HashMap<Id, bool>) {
    let post = g.postorder(root);
    let mut dep: HashMap<Id, bool> = HashMap::new();
    for &id in &post {
        let d = id == target
            || (!matches!(g.op(id), Op::Upstream(_))
                && g.kids(id).iter().any(|k| dep.get(k) == Some(&true)));
        dep.insert(id, d);
    }
    (post, dep)
}

/// Merge like terms, keeping first-seen order.
fn merge(terms: Vec<(Q, Id)>) -> Vec<(Q, Id)> {
    let mut out: Vec<(Q, Id)> = Vec::new();
    for (c, t) in terms {
        match out.iter_mut().find(|(_, x)| *x == t) {
            Some(slot) => slot.0 += c,
            None => out.push((c, t)),
        }
    }
    out.retain(|(c, _)| *c != Q::from_integer(0.into()));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn gradient_example() {
        use crate::{check::check, diff::gradient, ir::Graph, syntax::parse::parse_document};
        let doc = parse_document("x \\in \\mathbb{R}^n\nf = x^T x\n").unwrap();
        let t = check(&doc).unwrap();
        let mut g = Graph::from_typed(&t).unwrap();
        let root = g.def_node(&t.defs[0].0).unwrap();
        let d = gradient(
            &mut g,
            root,
            &t.queries
                .first()
                .map(|q| q.wrt.clone())
                .unwrap_or_else(|| crate::Name::latin("x")),
        )
        .unwrap();
        assert!(g.shape(d.answer).is_vector());
    }
}

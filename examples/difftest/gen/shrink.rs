//! Shrinking a failing problem, and the tree walks it uses.

use super::*;

impl Gen {
    // ------------------------------------------------------------ shrinking

    /// Smaller variants: a node replaced by a same-shaped child, a definition
    /// inlined, a query dropped. Only valid ones (in domain) are returned.
    pub fn shrink_candidates(&self) -> Vec<Gen> {
        let mut out = Vec::new();
        if self.queries.len() > 1 {
            for k in 0..self.queries.len() {
                let mut g = self.clone();
                g.queries.remove(k);
                out.push(g);
            }
        }
        for d in 0..self.defs.len() {
            let count = count_nodes(&self.defs[d].1);
            for pos in 0..count {
                let node = nth(&self.defs[d].1, pos).clone();
                let mut repl: Vec<N> = Vec::new();
                children(&node, &mut |c| {
                    // a child with `I` in it may leave the size of `I` undetermined
                    let mut has_eye = false;
                    walk(c, &mut |x| has_eye |= matches!(x.e, E::Eye));
                    if c.s == node.s && !has_eye {
                        repl.push(c.clone());
                    }
                });
                if let E::Def(i) = node.e {
                    repl.push(self.defs[i].1.clone());
                }
                for r in repl {
                    let mut g = self.clone();
                    replace_nth(&mut g.defs[d].1, pos, r);
                    out.push(g);
                }
            }
        }
        if !self.extra.is_empty() {
            let mut g = self.clone();
            g.extra.clear();
            out.push(g);
        }
        for g in &mut out {
            let used = g.used_vars();
            g.queries.retain(|q| used.contains(q));
            let defs = g.used_defs();
            let extra: Vec<Extra> = g
                .extra
                .iter()
                .copied()
                .filter(|e| match *e {
                    Extra::Hessian(v) => used.contains(&v),
                    Extra::Jacobian(d, v) => defs.contains(&d) && g.vars_of_def(d).contains(&v),
                })
                .collect();
            g.extra = extra;
        }
        out.retain(|g| {
            !g.queries.is_empty()
                && g.valid()
                && !matches!(
                    g.defs.last().unwrap().1.e,
                    E::Var(_) | E::Num(..) | E::DimSym(_)
                )
        });
        out
    }

    pub fn size_measure(&self) -> usize {
        let used = self.used_defs();
        used.iter()
            .map(|&d| count_nodes(&self.defs[d].1))
            .sum::<usize>()
            + self.queries.len()
            + self.extra.len()
    }
}

/// Calls `$f` on each child of `$e` (an `&E` or `&mut E`): one list of
/// arms for the shared and the mutable walk.
macro_rules! each_child {
    ($e:expr, $f:ident) => {
        match $e {
            E::Var(_) | E::Def(_) | E::Num(..) | E::DimSym(_) | E::Eye => {}
            E::Add(a, b)
            | E::Sub(a, b)
            | E::Mul(a, b, _)
            | E::BAdd(a, b, _, _)
            | E::Had(a, b)
            | E::Kron(a, b)
            | E::Div(a, b, _) => {
                $f(a);
                $f(b)
            }
            E::Neg(a)
            | E::T(a, _)
            | E::Inv(a)
            | E::InvT(a)
            | E::Pow(a, ..)
            | E::HadPow(a, ..)
            | E::MatPow(a, _)
            | E::Tr(a, _)
            | E::Det(a, _)
            | E::LogDet(a, _)
            | E::Norm(a, ..)
            | E::Func(_, a)
            | E::Sum(a)
            | E::OnesT(a)
            | E::Diag(a)
            | E::DiagPart(a)
            | E::Vec(a)
            | E::Softmax(a)
            | E::Lse(a)
            | E::User(_, a)
            | E::Opaque(_, a) => $f(a),
        }
    };
}

pub(crate) fn children(n: &N, f: &mut dyn FnMut(&N)) {
    each_child!(&n.e, f)
}

pub(crate) fn children_mut(n: &mut N, f: &mut dyn FnMut(&mut N)) {
    each_child!(&mut n.e, f)
}

pub(crate) fn walk(n: &N, f: &mut dyn FnMut(&N)) {
    f(n);
    children(n, &mut |c| walk(c, f));
}

pub(crate) fn count_nodes(n: &N) -> usize {
    let mut k = 0;
    walk(n, &mut |_| k += 1);
    k
}

pub(crate) fn nth(n: &N, pos: usize) -> &N {
    fn go<'a>(n: &'a N, pos: &mut usize, out: &mut Option<&'a N>) {
        if out.is_some() {
            return;
        }
        if *pos == 0 {
            *out = Some(n);
            return;
        }
        *pos -= 1;
        let mut kids: Vec<&'a N> = Vec::new();
        let mut push = |c: &'a N| kids.push(c);
        each_child!(&n.e, push);
        for k in kids {
            go(k, pos, out);
        }
    }
    let mut p = pos;
    let mut out = None;
    go(n, &mut p, &mut out);
    out.expect("position in range")
}

pub(crate) fn replace_nth(n: &mut N, pos: usize, r: N) {
    fn go(n: &mut N, pos: &mut isize, r: &mut Option<N>) {
        if r.is_none() {
            return;
        }
        if *pos == 0 {
            *n = r.take().unwrap();
            *pos -= 1;
            return;
        }
        *pos -= 1;
        children_mut(n, &mut |c| go(c, pos, r));
    }
    let mut p = pos as isize;
    let mut rr = Some(r);
    go(n, &mut p, &mut rr);
}

pub(crate) fn feature(n: &N, vars: &[Var], f: &mut BTreeSet<&'static str>) {
    let t = match &n.e {
        E::Var(_) | E::Def(_) => return,
        E::Num(_, q) => {
            if *q != 1 {
                "number fraction"
            } else {
                "number"
            }
        }
        E::DimSym(_) => "dimension as scalar",
        E::Eye => "I",
        E::Add(..) => "+",
        E::Sub(..) => "-",
        E::Neg(_) => "negation",
        E::Mul(a, b, sp) => {
            if a.s.is_scalar() && b.s.is_scalar() && !matches!(a.e, E::Num(..)) {
                f.insert("scalar*scalar");
            }
            if !n.s.is_scalar() && (a.s.is_scalar() || b.s.is_scalar()) {
                let other = if a.s.is_scalar() { a } else { b };
                if matches!(other.e, E::Mul(..)) {
                    f.insert("inner product as factor");
                } else {
                    f.insert("scaling");
                }
            } else if n.s.is_scalar() && !a.s.is_scalar() {
                f.insert("inner product");
            } else if !a.s.is_scalar() {
                f.insert("matrix product");
            }
            match sp {
                1 => "\\cdot",
                2 => "*",
                _ => "juxtaposition",
            }
        }
        E::BAdd(..) => "broadcast scalar +",
        E::Had(..) => "\\odot",
        E::Kron(..) => "\\otimes",
        E::Div(_, _, fr) => {
            if *fr {
                "\\frac{A}{c}"
            } else {
                "A / c"
            }
        }
        E::T(a, sp) => {
            if let E::Var(i) = a.e {
                if matches!(vars[i].kind, VarKind::Sym | VarKind::Spd) {
                    f.insert("transpose of symmetric");
                }
            }
            if is_app(a) {
                f.insert("postfix on application");
            }
            match sp {
                0 => "^T",
                1 => "^{T}",
                2 => "^\\top",
                _ => "'",
            }
        }
        E::Inv(_) => "^{-1}",
        E::InvT(_) => "^{-T}",
        E::Pow(a, p, q, sq) => {
            if is_app(a) {
                f.insert("postfix on application");
            }
            if *sq {
                "\\sqrt{t}"
            } else if *q != 1 {
                "t^{p/q}"
            } else if *p < 0 {
                "t^{-k}"
            } else {
                "t^k"
            }
        }
        E::HadPow(_, _, q) => {
            if *q != 1 {
                "x^{\\odot p/q}"
            } else {
                "x^{\\odot k}"
            }
        }
        E::MatPow(_, k) => {
            if *k < 0 {
                "X^{-k}"
            } else {
                "X^k"
            }
        }
        E::Tr(..) => "\\mathrm{tr}",
        E::Det(_, sp) => {
            if *sp == 2 {
                "|A|"
            } else {
                "\\det"
            }
        }
        E::LogDet(_, sp) => match sp {
            0 => "\\log|A|",
            1 => "\\log\\det(A)",
            2 => "\\ln|A|",
            _ => "\\log \\det A",
        },
        E::Norm(a, sq, _) => match (a.s.c.is_empty(), sq) {
            (true, false) => "\\|x\\|",
            (true, true) => "\\|x\\|^2",
            (false, false) => "\\|A\\|_F",
            (false, true) => "\\|A\\|_F^2",
        },
        E::Func(fu, _) => fu.latex(),
        E::Sum(_) => "\\mathrm{sum}",
        E::OnesT(_) => "\\mathbf{1}^T x",
        E::Diag(_) => "\\mathrm{diag}(x)",
        E::DiagPart(_) => "\\mathrm{diag}(A)",
        E::Vec(_) => "\\mathrm{vec}",
        E::Softmax(_) => "\\mathrm{softmax}",
        E::Lse(_) => "\\mathrm{logsumexp}",
        E::User(..) => "user function",
        E::Opaque(..) => "opaque \\ell",
    };
    f.insert(t);
}

pub(crate) fn is_app(n: &N) -> bool {
    matches!(
        n.e,
        E::Func(..)
            | E::User(..)
            | E::Opaque(..)
            | E::LogDet(..)
            | E::Tr(..)
            | E::Det(..)
            | E::Sum(_)
            | E::Lse(_)
            | E::Softmax(_)
    )
}

// ---------------------------------------------------------------- printer

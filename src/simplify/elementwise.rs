//! Cancellation in elementwise polynomials, a pass before the e-graph.
//!
//! egg has no rule that distributes a product over a sum (it would grow
//! every e-graph and undo `h ⊙ (1 - h)`), so terms that cancel only once
//! expanded stay apart: binary cross-entropy through a sigmoid gives
//! `X^T (σ ⊙ (1 - y)) - X^T ((1 - σ) ⊙ y)`, where a textbook prints
//! `X^T (σ - y)`. This pass groups the terms of a sum by the matrix factors
//! around their (last) Hadamard factor, expands each group's such factors as
//! polynomials in their elementwise operands (sums, Hadamard products,
//! scalings, small integer powers; anything else is an opaque operand),
//! collects like monomials and keeps the result only when it is shorter.
//!
//! Identities used (each exact for real entries, with a 1×1 operand
//! broadcast): `⊙` is commutative and associative and distributes over `+`;
//! a scalar commutes with `⊙` (`(s a) ⊙ b = s (a ⊙ b)`); `1 ⊙ a = a`;
//! `(A ⊙ B)^T = A^T ⊙ B^T`, `(A + B)^T = A^T + B^T`; a 1×1 term is its own
//! transpose;
//! `a^{⊙k}` is `a ⊙ … ⊙ a` for a positive integer `k`; `L a + L b = L (a + b)`
//! for a matrix product `L`. Non-goals: negative powers (`a ⊙ a^{⊙-1} = 1`
//! needs `a ≠ 0`, the canonical form's business), functions of sums, and
//! expanding when nothing cancels.

use crate::core::op::Op;
use crate::core::shape::Q;
use crate::ir::{Graph, Id};
use num_traits::{One, ToPrimitive, Zero};
use std::collections::{HashMap, HashSet};

/// Most monomials an expansion may reach before the pass gives up on a
/// group (a product of sums multiplies their lengths).
const MAX_MONOMIALS: usize = 48;
/// Largest graph the pass looks at (it rebuilds each sum it changes).
const MAX_NODES: usize = 4000;
/// Largest power expanded.
const MAX_POWER: u32 = 3;

/// A monomial: opaque operands with their exponents, sorted by operand.
type Monomial = Vec<(Id, u32)>;

/// A polynomial: monomials with their coefficients, in the order they were
/// first reached (so the result reads in the order of the input).
#[derive(Clone, Default)]
struct Poly {
    terms: Vec<(Monomial, Q)>,
}

impl Poly {
    fn constant(c: Q) -> Poly {
        Poly {
            terms: vec![(Vec::new(), c)],
        }
    }

    fn operand(id: Id) -> Poly {
        Poly {
            terms: vec![(vec![(id, 1)], Q::one())],
        }
    }

    fn add_term(&mut self, m: Monomial, c: Q) {
        match self.terms.iter_mut().find(|(k, _)| *k == m) {
            Some((_, v)) => *v += c,
            None => self.terms.push((m, c)),
        }
    }

    fn add(&mut self, other: Poly, scale: &Q) {
        for (m, c) in other.terms {
            self.add_term(m, c * scale);
        }
    }

    fn mul(&self, other: &Poly) -> Option<Poly> {
        if self.terms.len() * other.terms.len() > MAX_MONOMIALS {
            return None;
        }
        let mut out = Poly::default();
        for (ma, ca) in &self.terms {
            for (mb, cb) in &other.terms {
                out.add_term(merge(ma, mb), ca * cb);
            }
        }
        Some(out)
    }

    fn pruned(mut self) -> Poly {
        self.terms.retain(|(_, c)| !c.is_zero());
        self
    }
}

fn merge(a: &Monomial, b: &Monomial) -> Monomial {
    let mut out = a.clone();
    for &(id, e) in b {
        match out.iter_mut().find(|(k, _)| *k == id) {
            Some((_, x)) => *x += e,
            None => out.push((id, e)),
        }
    }
    out.sort();
    out
}

/// The expansion of `e`, or `None` past the bound; memoised, since the
/// adjoints of a chain nest (each is in the next one's expansion).
fn expand(g: &mut Graph, e: Id, memo: &mut Memo) -> Option<Poly> {
    if let Some(p) = memo.poly.get(&e) {
        return p.clone();
    }
    let p = expand_new(g, e, memo);
    memo.poly.insert(e, p.clone());
    p
}

fn expand_new(g: &mut Graph, e: Id, memo: &mut Memo) -> Option<Poly> {
    match g.op(e).clone() {
        Op::Add => {
            let mut acc = Poly::default();
            for (c, t) in g.terms(e) {
                let p = expand(g, t, memo)?;
                acc.add(p, &c);
                if acc.terms.len() > MAX_MONOMIALS {
                    return None;
                }
            }
            Some(acc)
        }
        Op::Const(c) => Some(Poly::constant(c)),
        Op::Ones => Some(Poly::constant(Q::one())),
        Op::Had => {
            let (a, b) = (g.kids(e)[0], g.kids(e)[1]);
            expand(g, a, memo)?.mul(&expand(g, b, memo)?)
        }
        // A scaling: a 1×1 factor commutes with the entries it scales.
        Op::Mul if g.is_scalar(g.kids(e)[0]) || g.is_scalar(g.kids(e)[1]) => {
            let (a, b) = (g.kids(e)[0], g.kids(e)[1]);
            expand(g, a, memo)?.mul(&expand(g, b, memo)?)
        }
        Op::Pow(q) if q.is_integer() && q > Q::zero() => {
            let k = q.to_integer().to_u32().filter(|&k| k <= MAX_POWER)?;
            let base = expand(g, g.kids(e)[0], memo)?;
            let mut acc = base.clone();
            for _ in 1..k {
                acc = acc.mul(&base)?;
            }
            Some(acc)
        }
        // (A ⊙ B)^T = A^T ⊙ B^T and (A + B)^T = A^T + B^T: the operands are
        // transposed one by one.
        Op::Transpose => {
            let inner = expand(g, g.kids(e)[0], memo)?;
            Some(transposed(g, &inner))
        }
        _ => Some(Poly::operand(e)),
    }
}

/// `p` with every operand transposed: `(A ⊙ B)^T = A^T ⊙ B^T`,
/// `(A + B)^T = A^T + B^T`.
fn transposed(g: &mut Graph, p: &Poly) -> Poly {
    let mut out = Poly::default();
    for (m, c) in &p.terms {
        let mut t: Monomial = m.iter().map(|&(id, k)| (g.t(id), k)).collect();
        t.sort();
        out.add_term(t, c.clone());
    }
    out
}

/// The 1×1 operands every monomial of `p` has (with the least exponent),
/// and `p` without them. Nothing is taken from a lone constant monomial.
fn common_scalars(g: &Graph, p: Poly) -> (Vec<(Id, u32)>, Poly) {
    let Some((first, _)) = p.terms.first() else {
        return (Vec::new(), p);
    };
    let mut common: Vec<(Id, u32)> = first
        .iter()
        .filter(|(id, _)| g.is_scalar(*id))
        .copied()
        .collect();
    for (m, _) in &p.terms[1..] {
        common.retain_mut(|(id, k)| match m.iter().find(|(x, _)| x == id) {
            Some(&(_, e)) => {
                *k = (*k).min(e);
                true
            }
            None => false,
        });
    }
    if common.is_empty() {
        return (common, p);
    }
    let terms = p
        .terms
        .into_iter()
        .map(|(m, c)| {
            let m: Monomial = m
                .into_iter()
                .filter_map(|(id, e)| {
                    let less = common.iter().find(|(x, _)| *x == id).map_or(0, |&(_, k)| k);
                    (e > less).then_some((id, e - less))
                })
                .collect();
            (m, c)
        })
        .collect();
    (common, Poly { terms })
}

/// The node of a polynomial whose monomials have the shape `shape` (a 1×1
/// operand broadcast over it).
fn rebuild(g: &mut Graph, p: &Poly, shape: &crate::core::shape::Shape) -> Id {
    let mut terms = Vec::new();
    for (m, c) in &p.terms {
        // 1×1 operands first: they print as a scaling in front.
        let mut ordered: Vec<(Id, u32)> = m.clone();
        ordered.sort_by_key(|&(id, _)| (!g.is_scalar(id), id));
        let mut acc: Option<Id> = None;
        for (id, e) in ordered {
            for _ in 0..e {
                acc = Some(match acc {
                    None => id,
                    Some(a) if g.is_scalar(a) || g.is_scalar(id) => g.mul(a, id),
                    Some(a) => g.had(a, id),
                });
            }
        }
        let t = match acc {
            Some(t) => t,
            None => g.one(),
        };
        terms.push((c.clone(), t));
    }
    g.sum_terms(&terms, shape)
}

/// The factors of the matrix product `t` (scalings stay inside a factor).
fn factors(g: &Graph, t: Id, out: &mut Vec<Id>) {
    match g.op(t) {
        Op::Mul if !g.is_scalar(g.kids(t)[0]) && !g.is_scalar(g.kids(t)[1]) => {
            let (a, b) = (g.kids(t)[0], g.kids(t)[1]);
            factors(g, a, out);
            factors(g, b, out);
        }
        _ => out.push(t),
    }
}

/// A term as (factors in front, the last factor with a Hadamard product,
/// factors behind): `A (u ⊙ v) B` is `([A], u ⊙ v, [B])`; `None` without a
/// Hadamard product.
fn split(g: &Graph, t: Id, memo: &mut Memo) -> Option<(Vec<Id>, Id, Vec<Id>)> {
    let mut fs = Vec::new();
    factors(g, t, &mut fs);
    let i = fs.iter().rposition(|&f| has_product(g, f, memo))?;
    Some((fs[..i].to_vec(), fs[i], fs[i + 1..].to_vec()))
}

/// A Hadamard product or a small power: what expanding multiplies out.
fn is_product(g: &Graph, n: Id) -> bool {
    match g.op(n) {
        Op::Had => true,
        Op::Pow(q) => {
            q.is_integer()
                && *q > Q::one()
                && q.to_integer().to_u32().is_some_and(|k| k <= MAX_POWER)
        }
        _ => false,
    }
}

/// What the pass knows of nodes (which never change), kept for one walk:
/// terms share their parts, so each part is looked at once.
#[derive(Default)]
struct Memo {
    poly: HashMap<Id, Option<Poly>>,
    product: HashMap<Id, bool>,
    size: HashMap<Id, usize>,
}

/// Whether `id` has a product (see [`is_product`]) in it.
fn has_product(g: &Graph, id: Id, memo: &mut Memo) -> bool {
    if let Some(&b) = memo.product.get(&id) {
        return b;
    }
    // A defined name is a leaf here, as in the walk.
    let b = is_product(g, id)
        || (!matches!(g.op(id), Op::Def(_)) && g.kids(id).iter().any(|&k| has_product(g, k, memo)));
    memo.product.insert(id, b);
    b
}

/// [`Graph::written_size`], memoised across the walk.
fn written(g: &Graph, id: Id, memo: &mut Memo) -> usize {
    g.written_size_memo(id, &mut memo.size)
}

/// The sum `s` with each group of terms that share the factors around their
/// Hadamard factor expanded and collected, when that is shorter; `None`
/// when nothing is.
fn cancel_sum(g: &mut Graph, s: Id, memo: &mut Memo) -> Option<Id> {
    let shape = g.shape(s).clone();
    let terms = g.terms(s);
    // Terms with the same factors around their Hadamard factor, in the
    // order of their first term; a term without one is a group alone.
    // (coefficient, Hadamard factor, whole term)
    type Member = (Q, Id, Id);
    type Key = Option<(Vec<Id>, Vec<Id>)>;
    let mut groups: Vec<(Key, Vec<Member>)> = Vec::new();
    for (c, t) in terms {
        match split(g, t, memo) {
            Some((front, mid, back)) => {
                let key = Some((front, back));
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, v)) => v.push((c, mid, t)),
                    None => groups.push((key, vec![(c, mid, t)])),
                }
            }
            None => groups.push((None, vec![(c, t, t)])),
        }
    }
    let mut changed = false;
    let mut out: Vec<(Q, Id)> = Vec::new();
    for (key, members) in groups {
        let Some((front, back)) = key else {
            out.extend(members.iter().map(|(c, _, t)| (c.clone(), *t)));
            continue;
        };
        let before = members.iter().fold(0usize, |n, (c, _, t)| {
            n.saturating_add(written(g, *t, memo))
                .saturating_add(usize::from(!c.is_one()))
        });
        // The shortest of: as written, expanded and collected, factored.
        let mut best: Option<(usize, Id)> = None;
        for candidate in [
            expanded(g, &members, &front, &back, memo),
            factored(g, &members, &front, &back),
        ]
        .into_iter()
        .flatten()
        {
            let size = written(g, candidate, memo);
            if size < before && best.is_none_or(|(b, _)| size < b) {
                best = Some((size, candidate));
            }
        }
        match best {
            Some((_, new)) => {
                changed = true;
                out.push((Q::one(), new));
            }
            None => out.extend(members.iter().map(|(c, _, t)| (c.clone(), *t))),
        }
    }
    changed.then(|| g.sum_terms(&out, &shape))
}

/// A group's terms expanded as one polynomial, like monomials collected;
/// `None` past the bound.
fn expanded(
    g: &mut Graph,
    members: &[(Q, Id, Id)],
    front: &[Id],
    back: &[Id],
    memo: &mut Memo,
) -> Option<Id> {
    let mut p = Poly::default();
    let mut ok = true;
    for (c, last, _) in members {
        match expand(g, *last, memo) {
            Some(e) if p.terms.len() + e.terms.len() <= MAX_MONOMIALS => p.add(e, c),
            _ => {
                ok = false;
                break;
            }
        }
    }
    if !ok {
        return None;
    }
    let p = p.pruned();
    // 1×1 operands in every monomial go in front of the whole term
    // (`\frac{1}{N} X^T (p - y)`, not `X^T (\frac{p}{N} - \frac{y}{N})`).
    let (common, p) = common_scalars(g, p);
    let last_shape = g.shape(members[0].1).clone();
    let body = rebuild(g, &p, &last_shape);
    let mut new = body;
    for &f in back {
        new = g.mul(new, f);
    }
    for &f in front.iter().rev() {
        new = g.mul(f, new);
    }
    for &(c, k) in &common {
        for _ in 0..k {
            new = g.mul(c, new);
        }
    }
    // A 1×1 term is its own transpose: keep the shorter of the two
    // (`(p^T - y^T) 1` is `1^T (p - y)`).
    if g.is_scalar(new) && !g.is_scalar(body) {
        // (F P B)^T = B^T P^T F^T, built factor by factor (the
        // transpose of a 1×1 node is the node itself).
        let pt = transposed(g, &p);
        let st = g.shape(body).t();
        let mut t = rebuild(g, &pt, &st);
        for &f in front.iter().rev() {
            let ft = g.t(f);
            t = g.mul(t, ft);
        }
        for &f in back {
            let ft = g.t(f);
            t = g.mul(ft, t);
        }
        for &(c, k) in &common {
            for _ in 0..k {
                t = g.mul(c, t);
            }
        }
        if written(g, t, memo) < written(g, new, memo) {
            new = t;
        }
    }
    Some(new)
}

/// The Hadamard factors of `id`: `a ⊙ (b ⊙ c)` is `[a, b, c]`.
fn had_factors(g: &Graph, id: Id, out: &mut Vec<Id>) {
    if matches!(g.op(id), Op::Had) {
        let (a, b) = (g.kids(id)[0], g.kids(id)[1]);
        had_factors(g, a, out);
        had_factors(g, b, out);
    } else {
        out.push(id);
    }
}

/// A group's terms with what they share taken out, without expanding:
/// `c ⊙ A u - c ⊙ A v = c ⊙ A (u - v)` (the Hadamard factors every term
/// has, then a matrix factor every remaining part starts with). `None` when
/// they share no Hadamard factor.
fn factored(g: &mut Graph, members: &[(Q, Id, Id)], front: &[Id], back: &[Id]) -> Option<Id> {
    if members.len() < 2 {
        return None;
    }
    let parts: Vec<Vec<Id>> = members
        .iter()
        .map(|(_, mid, _)| {
            let mut fs = Vec::new();
            had_factors(g, *mid, &mut fs);
            fs
        })
        .collect();
    // Common factors, as a multiset, in the first term's order.
    let mut common = Vec::new();
    let mut rests = parts.clone();
    for &f in &parts[0] {
        if rests.iter().all(|r| r.contains(&f)) {
            common.push(f);
            for r in rests.iter_mut() {
                let i = r.iter().position(|&x| x == f).expect("contains");
                r.remove(i);
            }
        }
    }
    if common.is_empty() {
        return None;
    }
    let shape = g.shape(members[0].1).clone();
    let mut rest_ids = Vec::new();
    for r in &rests {
        let mut acc: Option<Id> = None;
        for &f in r {
            acc = Some(match acc {
                None => f,
                Some(a) => g.had(a, f),
            });
        }
        rest_ids.push(acc.unwrap_or_else(|| g.one()));
    }
    // A matrix factor every remaining part starts with: A u - A v = A (u - v).
    let chains: Vec<Vec<Id>> = rest_ids
        .iter()
        .map(|&r| {
            let mut fs = Vec::new();
            factors(g, r, &mut fs);
            fs
        })
        .collect();
    let lead = chains[0][0];
    let inner = if chains.iter().all(|c| c.len() > 1 && c[0] == lead) {
        let mut terms = Vec::new();
        for ((c, _, _), chain) in members.iter().zip(&chains) {
            let mut acc = chain[chain.len() - 1];
            for &f in chain[1..chain.len() - 1].iter().rev() {
                acc = g.mul(f, acc);
            }
            terms.push((c.clone(), acc));
        }
        let s = g.shape(terms[0].1).clone();
        let sum = g.sum_terms(&terms, &s);
        g.mul(lead, sum)
    } else {
        let terms: Vec<(Q, Id)> = members
            .iter()
            .zip(&rest_ids)
            .map(|((c, _, _), &r)| (c.clone(), r))
            .collect();
        g.sum_terms(&terms, &shape)
    };
    let mut new = inner;
    for &f in common.iter().rev() {
        new = g.had(f, new);
    }
    for &f in back {
        new = g.mul(new, f);
    }
    for &f in front.iter().rev() {
        new = g.mul(f, new);
    }
    Some(new)
}

/// `root` with every outermost sum's cancelling terms collected (see the
/// module docs); `root` itself when nothing is shorter.
pub fn cancel(g: &mut Graph, root: Id) -> Id {
    // A defined name is a leaf of the walk: the simplifier sees it as one,
    // and its body is simplified on its own.
    let order = g.postorder_by(&[root], |g, n| match g.op(n) {
        Op::Def(_) => Vec::new(),
        _ => g.kids(n).to_vec(),
    });
    if order.len() > MAX_NODES || !order.iter().any(|&n| is_product(g, n)) {
        return root;
    }
    // A sum inside a sum is a part of it: only the outermost are grouped.
    let inner: HashSet<Id> = order
        .iter()
        .filter(|&&n| matches!(g.op(n), Op::Add))
        .flat_map(|&n| g.kids(n).to_vec())
        .collect();
    // One walk, children first: each node is rebuilt over its rebuilt
    // children, and each outermost sum is then regrouped.
    let mut memo = Memo::default();
    let mut now: HashMap<Id, Id> = HashMap::new();
    for &n in &order {
        let mut x = if matches!(g.op(n), Op::Def(_)) {
            n
        } else {
            let kids: Vec<Id> = g.kids(n).iter().map(|k| now[k]).collect();
            g.with_kids(n, kids)
        };
        if matches!(g.op(n), Op::Add) && !inner.contains(&n) {
            if let Some(new) = cancel_sum(g, x, &mut memo) {
                x = new;
            }
        }
        now.insert(n, x);
    }
    now[&root]
}

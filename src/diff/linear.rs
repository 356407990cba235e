//! The matrix of a linear map, read off an expression linear in a seed.
//!
//! Reverse mode seeded with a free `u` at a vector objective `z` gives
//! `G(u) = J^T u` (the gradient of `u^T z`), linear in `u`. The Jacobian is
//! the transpose of the matrix `L` with `\mathrm{vec}(G(u)) = L\,
//! \mathrm{vec}(u)`, which this module reads off `G` node by node with the
//! vec–Kronecker identities of the Matrix Cookbook §10.2.1:
//!
//! | expression linear in `u` | `L` |
//! |---|---|
//! | `u` | `I` |
//! | `a + b` (a broadcast scalar `s`: `\mathbf{1} L_s`) | `L_a + L_b` |
//! | `P F S` with only `F` depending on `u` | `(S^T \otimes P) L_F` (eq. 520) |
//! | `s M` with only the scalar `s` depending on `u` | `\mathrm{vec}(M) L_s` |
//! | `w \odot F` | `\mathrm{diag}(\mathrm{vec}\, w) L_F` |
//! | `F^T` for a vector `F` | `L_F` |
//! | `F^T` for an `r × c` matrix `F` | `K_{r,c} L_F` (commutation matrix) |
//!
//! The Jacobian's commutation matrices are then moved right ([`commute`]).
//! | `\mathrm{tr}(F)` | `\mathrm{vec}(I)^T L_F` (eq. 521) |
//! | `\mathrm{diag}(f)` of a vector | `\mathrm{diag}(\mathrm{vec}\, I) (\mathbf{1} \otimes I) L_f` |
//! | `\mathrm{diag}(F)` of a matrix | `(\mathbf{1}^T \otimes I) \mathrm{diag}(\mathrm{vec}\, I) L_F` |
//! | `\mathrm{sum}(F)` | `\mathbf{1}^T L_F` |
//! | `\mathrm{vec}(F)`, `\mathrm{unvec}(F)`, a defined name | `L_F` |
//!
//! Anything else that depends on `u` (a Kronecker factor) is refused as
//! unsupported, never guessed.

use super::*;
use crate::core::shape::{Dim, Shape};

/// `L` with `vec(e) = L vec(seed)` for `e` linear in the node `seed`.
pub fn linear_map(g: &mut Graph, e: Id, seed: Id) -> Result<Id> {
    let m = entries(g.shape(seed));
    let mut memo: HashMap<Id, Option<Id>> = HashMap::new();
    match lin(g, e, seed, &m, &mut memo)? {
        Some(l) => Ok(l),
        None => {
            let s = Shape {
                rows: entries(g.shape(e)),
                cols: m,
            };
            Ok(g.zero(&s))
        }
    }
}

/// The number of entries of a shape, as a dimension.
fn entries(s: &Shape) -> Dim {
    Dim::mul(&s.rows, &s.cols)
}

fn refuse(g: &Graph, id: Id, why: &str) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Unsupported,
        format!(
            "this derivative is not supported yet: reading its matrix off a {} `{}` node {why}",
            g.shape(id),
            g.op(id).spelling().text
        ),
    )
}

/// `vec(x)` as a column: a column itself, a row transposed, a matrix under
/// `\mathrm{vec}`.
fn vec_of(g: &mut Graph, x: Id) -> Id {
    let s = g.shape(x).clone();
    if s.cols == Dim::One {
        x
    } else if s.rows == Dim::One {
        g.t(x)
    } else {
        let shape = Shape {
            rows: entries(&s),
            cols: Dim::One,
        };
        g.op_node(Op::Vec, vec![x], shape)
    }
}

/// A Jacobian with its commutation matrices moved right through the
/// factors after them (Magnus & Neudecker): `K_{p,m} (A \otimes B) = (B
/// \otimes A) K_{q,n}` for `A` m × n and `B` p × q, and `K_{m,n}
/// \mathrm{vec}(A) = \mathrm{vec}(A^T)` for `A` m × n; a `K_{q,1}` that
/// results is `I` and vanishes (`K_{m,n} (x \otimes I) = I \otimes x`).
/// A Kronecker product applied to a vec is folded: `(A \otimes B)
/// \mathrm{vec}(C) = \mathrm{vec}(B C A^T)` (eq. 520).
pub fn commute(g: &mut Graph, id: Id) -> Id {
    match g.op(id) {
        Op::Add => {
            let shape = g.shape(id).clone();
            let terms: Vec<(Q, Id)> = g
                .terms(id)
                .into_iter()
                .map(|(c, t)| (c, commute(g, t)))
                .collect();
            g.sum_terms(&terms, &shape)
        }
        Op::Mul => {
            let (coef, scalars, mut mats) = g.factors(id);
            if !mats
                .iter()
                .any(|&m| matches!(g.op(m), Op::Commutation(..) | Op::Kron))
            {
                return id;
            }
            let mut i = 0;
            while i + 1 < mats.len() {
                let (here, next) = (mats[i], mats[i + 1]);
                match (g.op(here).clone(), g.op(next).clone()) {
                    // (A ⊗ B) vec(C) = vec(B C A^T) (eq. 520).
                    (Op::Kron, Op::Vec) => {
                        let (a, b) = (g.kids(here)[0], g.kids(here)[1]);
                        let c = g.kids(next)[0];
                        let cs = g.shape(c).clone();
                        if cs.rows == g.shape(b).cols && cs.cols == g.shape(a).cols {
                            let at = g.t(a);
                            let bc = g.mul(b, c);
                            let bcat = g.mul(bc, at);
                            mats[i] = vec_of(g, bcat);
                            mats.remove(i + 1);
                            // The factor before may now meet a vec.
                            i = i.saturating_sub(1);
                            continue;
                        }
                    }
                    // K_{p,m} vec(A) = vec(A^T) for A p × m.
                    (Op::Commutation(p, m), Op::Vec) => {
                        let a = g.kids(next)[0];
                        if *g.shape(a) == (Shape { rows: p, cols: m }) {
                            let at = g.t(a);
                            mats[i] = vec_of(g, at);
                            mats.remove(i + 1);
                            // The factor before may now meet a vec.
                            i = i.saturating_sub(1);
                            continue;
                        }
                    }
                    // K_{p,m} (A ⊗ B) = (B ⊗ A) K_{q,n} for A m × n, B p × q.
                    (Op::Commutation(p, m), Op::Kron) => {
                        let (a, b) = (g.kids(next)[0], g.kids(next)[1]);
                        let (sa, sb) = (g.shape(a).clone(), g.shape(b).clone());
                        if sa.rows == m && sb.rows == p {
                            mats[i] = g.kron(b, a);
                            let k = g.commutation(&sb.cols, &sa.cols);
                            if *g.op(k) == Op::Identity {
                                mats.remove(i + 1);
                            } else {
                                mats[i + 1] = k;
                            }
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            let c = g.konst(coef);
            scalars.iter().chain(&mats).fold(c, |acc, &x| g.mul(acc, x))
        }
        _ => id,
    }
}

/// `A \otimes B`, written as a product where the factors allow it:
/// a scalar scales, `a^T \otimes b = b a^T`, `a \otimes b^T = a b^T`,
/// and `I_1` vanishes.
fn kron_nice(g: &mut Graph, a: Id, b: Id) -> Id {
    let (sa, sb) = (g.shape(a).clone(), g.shape(b).clone());
    if sa.is_scalar() || sb.is_scalar() {
        return g.mul(a, b);
    }
    if sa.rows == Dim::One && sb.cols == Dim::One {
        return g.mul(b, a);
    }
    if sa.cols == Dim::One && sb.rows == Dim::One {
        return g.mul(a, b);
    }
    g.kron(a, b)
}

/// The product of `xs` (the identity of size `d` when empty).
fn product_or_identity(g: &mut Graph, xs: &[Id], d: &Dim) -> Id {
    match xs.split_first() {
        None => g.identity(d),
        Some((&first, rest)) => rest.iter().fold(first, |acc, &x| g.mul(acc, x)),
    }
}

fn depends(g: &Graph, id: Id, seed: Id, memo: &mut HashMap<Id, bool>) -> bool {
    if let Some(&d) = memo.get(&id) {
        return d;
    }
    let d = id == seed || g.kids(id).iter().any(|&k| depends(g, k, seed, memo));
    memo.insert(id, d);
    d
}

/// `Some(L)`, or `None` when `e` does not depend on the seed.
fn lin(
    g: &mut Graph,
    e: Id,
    seed: Id,
    m: &Dim,
    memo: &mut HashMap<Id, Option<Id>>,
) -> Result<Option<Id>> {
    if let Some(r) = memo.get(&e) {
        return Ok(*r);
    }
    let r = lin_uncached(g, e, seed, m, memo)?;
    memo.insert(e, r);
    Ok(r)
}

fn lin_uncached(
    g: &mut Graph,
    e: Id,
    seed: Id,
    m: &Dim,
    memo: &mut HashMap<Id, Option<Id>>,
) -> Result<Option<Id>> {
    if e == seed {
        return Ok(Some(g.identity(m)));
    }
    let mut dep = HashMap::new();
    if !depends(g, e, seed, &mut dep) {
        return Ok(None);
    }
    let shape = g.shape(e).clone();
    let kid = |g: &Graph, i: usize| g.kids(e)[i];
    let out = match g.op(e).clone() {
        Op::Def(_) | Op::Vec | Op::Unvec => {
            let k = kid(g, 0);
            lin(g, k, seed, m, memo)?
        }
        Op::Transpose => {
            let k = kid(g, 0);
            let ks = g.shape(k).clone();
            let Some(lk) = lin(g, k, seed, m, memo)? else {
                return Ok(None);
            };
            if ks.rows == Dim::One || ks.cols == Dim::One {
                Some(lk)
            } else {
                // vec(F^T) = K_{r,c} vec(F) for an r × c matrix F; the
                // subscript must spell its dimensions to parse back.
                if ks.rows.subscript().is_none() || ks.cols.subscript().is_none() {
                    return Err(refuse(
                        g,
                        e,
                        "(its commutation matrix's dimensions have no short names)",
                    ));
                }
                let kc = g.commutation(&ks.rows, &ks.cols);
                Some(g.mul(kc, lk))
            }
        }
        Op::Add => {
            let terms = g.terms(e);
            let mut acc: Vec<(Q, Id)> = Vec::new();
            for (c, t) in terms {
                let Some(l) = lin(g, t, seed, m, memo)? else {
                    return Err(refuse(
                        g,
                        e,
                        "(a term does not depend on the seed: not linear)",
                    ));
                };
                // A broadcast scalar term fills every entry.
                let l = if g.is_scalar(t) && !shape.is_scalar() {
                    let ones = g.ones(&Shape {
                        rows: entries(&shape),
                        cols: Dim::One,
                    });
                    g.mul(ones, l)
                } else {
                    l
                };
                acc.push((c, l));
            }
            let s = Shape {
                rows: entries(&shape),
                cols: m.clone(),
            };
            Some(g.sum_terms(&acc, &s))
        }
        Op::Mul => {
            let (coef, scalars, mats) = g.factors(e);
            let ds: Vec<bool> = scalars
                .iter()
                .chain(&mats)
                .map(|&f| depends(g, f, seed, &mut dep))
                .collect();
            if ds.iter().filter(|&&d| d).count() != 1 {
                return Err(refuse(
                    g,
                    e,
                    "(the seed in more than one factor: not linear)",
                ));
            }
            let k = ds.iter().position(|&d| d).unwrap_or(0);
            if k < scalars.len() {
                // s M: vec(s M) = vec(M) s.
                let f = scalars[k];
                let Some(lf) = lin(g, f, seed, m, memo)? else {
                    return Ok(None);
                };
                let mut rest: Vec<Id> = scalars
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| i != k)
                    .map(|(_, &x)| x)
                    .collect();
                rest.extend(&mats);
                let c = g.konst(coef);
                let r = rest.iter().fold(c, |acc, &x| g.mul(acc, x));
                let v = vec_of(g, r);
                Some(g.mul(v, lf))
            } else {
                // P F S: vec(P F S) = (S^T ⊗ P) vec(F) (eq. 520).
                let k = k - scalars.len();
                let f = mats[k];
                let Some(lf) = lin(g, f, seed, m, memo)? else {
                    return Ok(None);
                };
                let fs = g.shape(f).clone();
                let c = g.konst(coef);
                let sc = scalars.iter().fold(c, |acc, &x| g.mul(acc, x));
                let p = product_or_identity(g, &mats[..k], &fs.rows);
                let p = g.mul(sc, p);
                let s = product_or_identity(g, &mats[k + 1..], &fs.cols);
                let st = g.t(s);
                let kr = kron_nice(g, st, p);
                Some(g.mul(kr, lf))
            }
        }
        Op::Had => {
            let (a, b) = (kid(g, 0), kid(g, 1));
            let (da, db) = (depends(g, a, seed, &mut dep), depends(g, b, seed, &mut dep));
            if da && db {
                return Err(refuse(g, e, "(the seed on both sides: not linear)"));
            }
            let (w, f) = if da { (b, a) } else { (a, b) };
            let Some(lf) = lin(g, f, seed, m, memo)? else {
                return Ok(None);
            };
            let v = vec_of(g, w);
            let d = Shape {
                rows: g.shape(v).rows.clone(),
                cols: g.shape(v).rows.clone(),
            };
            let dg = g.op_node(Op::Diag, vec![v], d);
            Some(g.mul(dg, lf))
        }
        // diag(u) for a vector u: vec(diag u) = diag(vec I) (1 ⊗ I) u (the
        // stacked copies of u, masked to the diagonal); diag(M) of a
        // matrix: the transpose of that selection, (1^T ⊗ I) diag(vec I).
        Op::Diag | Op::DiagPart => {
            let k = kid(g, 0);
            let Some(lk) = lin(g, k, seed, m, memo)? else {
                return Ok(None);
            };
            let n = g.shape(k).rows.clone();
            let i = g.identity(&n);
            let vi = vec_of(g, i);
            let nn = g.shape(vi).rows.clone();
            let mask = g.op_node(
                Op::Diag,
                vec![vi],
                Shape {
                    rows: nn.clone(),
                    cols: nn,
                },
            );
            let ones = g.ones(&Shape {
                rows: n.clone(),
                cols: Dim::One,
            });
            let sel = if *g.op(e) == Op::Diag {
                let stack = g.kron(ones, i);
                g.mul(mask, stack)
            } else {
                let ot = g.t(ones);
                let stack = g.kron(ot, i);
                g.mul(stack, mask)
            };
            Some(g.mul(sel, lk))
        }
        // tr(F) = vec(I)^T vec(F) (eq. 521); sum(F) = 1^T vec(F).
        Op::Trace | Op::Sum => {
            let k = kid(g, 0);
            let Some(lf) = lin(g, k, seed, m, memo)? else {
                return Ok(None);
            };
            let ks = g.shape(k).clone();
            let weights = if *g.op(e) == Op::Trace {
                let i = g.identity(&ks.rows);
                vec_of(g, i)
            } else {
                g.ones(&Shape {
                    rows: entries(&ks),
                    cols: Dim::One,
                })
            };
            let row = g.t(weights);
            Some(g.mul(row, lf))
        }
        _ => return Err(refuse(g, e, "(not a linear operation of the seed)")),
    };
    Ok(out)
}

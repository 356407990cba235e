//! The local gradient of each operator: one arm per operator, each the
//! identity that `Op::citation` names (Matrix Cookbook numbering).

use super::*;

/// `⟨a, b⟩`: the scalar gradient of a scaling `a · B` in `a` is `tr(G^T B)`
/// (eq. 100), written `G^T b` for vectors.
fn inner(g: &mut Graph, gt: Id, b: Id) -> Id {
    let gtt = g.t(gt);
    let p = g.mul(gtt, b);
    if g.shape(gt).cols == crate::core::shape::Dim::One {
        p
    } else {
        g.trace(p)
    }
}

/// The contribution to child `i` of node `id` from one adjoint term `gt`,
/// as coefficient–term pairs. One arm per operator.
pub fn local(g: &mut Graph, id: Id, i: usize, gt: Id) -> Result<Vec<(Q, Id)>> {
    let node = g.node(id).clone();
    let kid = node.kids[i];
    // The node's own value, under its defined name if it has one.
    let id = g.folded(id);
    let out: Id = match &node.op {
        // A defined name passes its adjoint to its body.
        Op::Def(_) => gt,
        // eq. 35, ∂(X + Y) = ∂X + ∂Y; a broadcast scalar collects every entry.
        Op::Add => {
            if g.is_scalar(kid) && !g.is_scalar(id) {
                g.sum(gt)
            } else {
                gt
            }
        }
        // eq. 37, ∂(XY) = (∂X)Y + X(∂Y); hence ∂tr(G^T A X)/∂X = A^T G (eq. 101).
        Op::Mul => {
            let (a, b) = (node.kids[0], node.kids[1]);
            let (sa, sb) = (g.is_scalar(a), g.is_scalar(b));
            match (i, sa, sb) {
                (0, true, true) => g.mul(gt, b),
                (1, true, true) => g.mul(a, gt),
                (0, true, false) => inner(g, gt, b),
                (1, true, false) => g.mul(a, gt),
                (0, false, true) => g.mul(b, gt),
                (1, false, true) => inner(g, gt, a),
                (0, _, _) => {
                    let bt = g.t(b);
                    g.mul(gt, bt)
                }
                _ => {
                    let at = g.t(a);
                    g.mul(at, gt)
                }
            }
        }
        // eq. 38, ∂(X ∘ Y) = (∂X) ∘ Y + X ∘ (∂Y): local factor first, then the adjoint.
        Op::Had => {
            let other = node.kids[1 - i];
            g.had(other, gt)
        }
        // eq. 39, ∂(X ⊗ Y) = (∂X) ⊗ Y + X ⊗ (∂Y), contracted block by block.
        Op::Kron => {
            let (a, b) = (node.kids[0], node.kids[1]);
            if i == 0 {
                let s = g.shape(a).clone();
                g.op_node(Op::KronL, vec![gt, b], s)
            } else {
                let s = g.shape(b).clone();
                g.op_node(Op::KronR, vec![a, gt], s)
            }
        }
        // eq. 44, ∂(X^T) = (∂X)^T.
        Op::Transpose => g.t(gt),
        // eq. 40, ∂(X^{-1}) = -X^{-1}(∂X)X^{-1}; hence -X^{-T} G X^{-T} (eq. 61).
        Op::Inv => {
            let it = g.t(id);
            let p = g.mul_all(&[it, gt, it]);
            g.neg(p)
        }
        // ∂(X^k) = Σ_r X^r (∂X) X^{k-1-r} (eq. 37 applied k-1 times).
        Op::MatPow(k) => {
            let xt = g.t(kid);
            let mut terms = Vec::new();
            for r in 0..*k {
                let left = matpow(g, xt, r);
                let right = matpow(g, xt, k - 1 - r);
                let p = g.mul_all(&[left, gt, right]);
                terms.push((Q::one(), p));
            }
            return Ok(split_all(g, &terms));
        }
        // d(x^q) = q x^{q-1} dx, elementwise for vectors and matrices.
        Op::Pow(p) => {
            let pm1 = g.pow(kid, p - Q::one());
            let d = g.scale(p.clone(), pm1);
            g.had(d, gt)
        }
        // eq. 99, ∂tr(X)/∂X = I.
        Op::Trace => {
            let d = g.shape(kid).rows.clone();
            let eye = g.identity(&d);
            g.mul(gt, eye)
        }
        // eq. 49, ∂det(X)/∂X = det(X) X^{-T}.
        Op::Det => {
            let xi = g.inv(kid);
            let xit = g.t(xi);
            g.mul_all(&[gt, id, xit])
        }
        // eq. 57, ∂ln|det(X)|/∂X = X^{-T}.
        Op::LogDet => {
            let xi = g.inv(kid);
            let xit = g.t(xi);
            g.mul(gt, xit)
        }
        // eq. 129 at a = 0 (2-norm), and for the Frobenius norm from eq. 132: ∂‖x‖/∂x = x / ‖x‖.
        Op::Norm => {
            let r = g.pow(id, -Q::one());
            g.mul_all(&[gt, r, kid])
        }
        // eq. 131/136 squared: ∂‖x‖²/∂x = 2x.
        Op::NormSq => {
            let two = g.konst(Q::from_integer(2.into()));
            g.mul_all(&[two, gt, kid])
        }
        // Elementwise functions: f'(x) ∘ G.
        Op::Func(f) => {
            let d = match f {
                Func::Exp => id,
                Func::Log => g.pow(kid, -Q::one()),
                Func::Sigmoid => {
                    let one = g.one();
                    let m = g.neg(id);
                    let om = g.add(one, m);
                    g.had(id, om)
                }
                Func::Tanh => {
                    let one = g.one();
                    let sq = g.pow(id, Q::from_integer(2.into()));
                    let m = g.neg(sq);
                    g.add(one, m)
                }
                Func::Sin => g.func(Func::Cos, kid),
                Func::Cos => {
                    let s = g.func(Func::Sin, kid);
                    g.neg(s)
                }
                Func::Sqrt => {
                    let p = g.pow(kid, Q::new((-1).into(), 2.into()));
                    g.scale(Q::new(1.into(), 2.into()), p)
                }
                Func::Relu => g.func(Func::Step, kid),
                Func::Cosh => g.func(Func::Sinh, kid),
                Func::Sinh => g.func(Func::Cosh, kid),
                // 1 / (1 + z^2), elementwise.
                Func::Arctan => {
                    let one = g.one();
                    let sq = g.pow(kid, Q::from_integer(2.into()));
                    let d = g.add(one, sq);
                    g.pow(d, -Q::one())
                }
                Func::Softplus => g.func(Func::Sigmoid, kid),
                // The indicator is flat almost everywhere.
                Func::Step => return Ok(vec![]),
            };
            g.had(d, gt)
        }
        // A user function: its scalar derivative, applied elementwise.
        Op::Call(f) => {
            let d = call_derivative(g, f, kid)?;
            g.had(d, gt)
        }
        // An opaque function: its gradient is an atom, ∂L/∂z.
        Op::Opaque(f) => {
            // Its gradient is written `\frac{\partial L}{\partial z}`: the
            // argument must have a name to be written (and read back).
            if !matches!(g.op(kid), Op::Var(_) | Op::Def(_)) {
                return Err(Diagnostic::new(
                    ErrorKind::Unsupported,
                    format!(
                        "the gradient of the opaque function `{}` of an expression cannot be written; name its argument with a definition (`z = …`, then `{}(z)`)",
                        f.latex(),
                        f.latex()
                    ),
                ));
            }
            // Named by the definition only when the text defines it as this
            // application, as the oracle reads it.
            let of = match g.op(id) {
                Op::Def(n) if g.opaque_defs.contains(n) => n.clone(),
                _ => f.clone(),
            };
            let s = g.shape(kid).clone();
            let atom = g.raw(Op::Upstream(of), vec![kid], s);
            g.mul(gt, atom)
        }
        // ∂sum(X)/∂X = 1 1^T.
        Op::Sum => {
            let s = g.shape(kid).clone();
            let ones = g.ones(&s);
            g.mul(gt, ones)
        }
        Op::Diag => g.diag_part(gt),
        Op::DiagPart => {
            let s = g.shape(kid).clone();
            g.unary(Op::Diag, gt, s)
        }
        Op::Vec => {
            let s = g.shape(kid).clone();
            g.unvec(gt, s)
        }
        Op::Unvec => {
            let s = g.shape(kid).clone();
            g.unary(Op::Vec, gt, s)
        }
        // J = diag(s) - s s^T, so J^T G = s ∘ G - s (s^T G).
        Op::Softmax => {
            let a = g.had(id, gt);
            let st = g.t(id);
            let b = g.mul_all(&[id, st, gt]);
            return Ok(split_all(g, &[(Q::one(), a), (-Q::one(), b)]));
        }
        // ∂ logsumexp(z)/∂z = softmax(z).
        Op::LogSumExp => {
            let s = g.shape(kid).clone();
            let sm = g.unary(Op::Softmax, kid, s);
            g.mul(gt, sm)
        }
        Op::KronL | Op::KronR => {
            return Err(Diagnostic::new(
                ErrorKind::Unsupported,
                "differentiating through a Kronecker-product gradient (a second derivative) is not supported yet",
            ))
        }
        Op::Var(_)
        | Op::Const(_)
        | Op::Identity
        | Op::Ones
        | Op::Zero
        | Op::Commutation(..)
        | Op::Upstream(_) => {
            return Ok(vec![])
        }
    };
    Ok(split_all(g, &[(Q::one(), out)]))
}

/// Each rule output is one term of its path (a sum stays whole, so that
/// `(W^T W x - x) x^T` is not expanded); only its constant is pulled out.
fn split_all(g: &mut Graph, terms: &[(Q, Id)]) -> Vec<(Q, Id)> {
    terms
        .iter()
        .map(|(c, t)| {
            let (c2, t2) = g.split_coef(*t);
            (c * c2, t2)
        })
        .collect()
}

fn matpow(g: &mut Graph, x: Id, r: u32) -> Id {
    match r {
        0 => {
            let d = g.shape(x).rows.clone();
            g.identity(&d)
        }
        1 => x,
        r => {
            let s = g.shape(x).clone();
            g.raw(Op::MatPow(r), vec![x], s)
        }
    }
}

/// `f'(arg)` for a user function `f`: differentiate its scalar body in its
/// parameter, then substitute the argument (elementwise).
pub fn call_derivative(g: &mut Graph, f: &Name, arg: Id) -> Result<Id> {
    let Some((param, body)) = g.fns.get(f).cloned() else {
        return Err(Diagnostic::new(
            ErrorKind::Internal,
            format!("function `{}` has no body", f.latex()),
        ));
    };
    let p = g.var(&param, crate::core::shape::Shape::scalar());
    let d = gradient_at(g, body, p)?;
    g.substitute(d.answer, &param, arg)
}

//! Trace rules (Matrix Cookbook eqs. 11–16).

use super::*;
use egg::rewrite;

/// The trace group.
#[rustfmt::skip]
pub fn rules() -> Vec<Rewrite> {
    vec![
        // eq. 16: cyclic permutation
        rewrite!("trace-cyclic";          "(tr (* ?a ?b))"        => "(tr (* ?b ?a))" if not_scalar("?a") if not_scalar("?b")),
        // eq. 13: tr(A) = tr(A^T)
        rewrite!("trace-transpose";       "(tr (T ?a))"           => "(tr ?a)"),
        // eq. 14: tr(A + B) = tr(A) + tr(B)
        rewrite!("trace-of-sum";          "(tr (+ ?a ?b))"        => "(+ (tr ?a) (tr ?b))" if not_scalar("?a") if not_scalar("?b")),
        rewrite!("trace-of-scaled";       "(tr (* ?s ?a))"        => "(* ?s (tr ?a))" if is_scalar("?s")),
        // tr(a b^T) = b^T a
        rewrite!("trace-of-outer";        "(tr (* ?a (T ?b)))"    => "(* (T ?b) ?a)" if is_vector("?a") if is_vector("?b")),
        rewrite!("trace-of-scalar";       "(tr ?a)"               => "?a" if is_scalar("?a")),
    ]
}

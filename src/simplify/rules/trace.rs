//! Trace rules (Matrix Cookbook eqs. 11–16).

use super::*;

/// The trace group.
#[rustfmt::skip]
pub fn rules() -> Vec<Rule> {
    vec![
        // eq. 14: cyclic permutation
        rule!("trace-cyclic", "tr(AB) = tr(BA) (eq. 14)";          "(tr (* ?a ?b))"        => "(tr (* ?b ?a))" if not_scalar("?a") if not_scalar("?b")),
        // eq. 13: tr(A) = tr(A^T)
        rule!("trace-transpose", "tr(A) = tr(A^T) (eq. 13)";       "(tr (T ?a))"           => "(tr ?a)"),
        // eq. 15: tr(A + B) = tr(A) + tr(B)
        rule!("trace-of-sum", "tr(A + B) = tr(A) + tr(B) (eq. 15)";          "(tr (+ ?a ?b))"        => "(+ (tr ?a) (tr ?b))" if not_scalar("?a") if not_scalar("?b")),
        rule!("trace-of-scaled", "tr(cA) = c tr(A)";       "(tr (* ?s ?a))"        => "(* ?s (tr ?a))" if is_scalar("?s")),
        // tr(a b^T) = b^T a
        rule!("trace-of-outer", "tr(a b^T) = b^T a";        "(tr (* ?a (T ?b)))"    => "(* (T ?b) ?a)" if is_vector("?a") if is_vector("?b")),
        rule!("trace-of-scalar", "tr(a) = a for a scalar";       "(tr ?a)"               => "?a" if is_scalar("?a")),
    ]
}

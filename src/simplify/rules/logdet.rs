//! Determinants and log-determinants (Matrix Cookbook eqs. 18–25).

use super::*;
use egg::rewrite;

/// The determinant group.
#[rustfmt::skip]
pub fn rules() -> Vec<Rewrite> {
    vec![
        // eq. 18: det(AB) = det(A) det(B)
        rewrite!("det-of-product";        "(det (* ?a ?b))"    => "(* (det ?a) (det ?b))" if both_square("?a", "?b")),
        // eq. 19: det(A^{-1}) = 1/det(A)
        rewrite!("det-of-inverse";        "(det (inv ?a))"     => "(inv (det ?a))"),
        // eq. 20: det(A^T) = det(A)
        rewrite!("det-of-transpose";      "(det (T ?a))"       => "(det ?a)"),
        rewrite!("logdet-of-product";     "(logdet (* ?a ?b))" => "(+ (logdet ?a) (logdet ?b))" if both_square("?a", "?b")),
        rewrite!("logdet-of-inverse";     "(logdet (inv ?a))"  => "(* -1 (logdet ?a))"),
        rewrite!("logdet-of-transpose";   "(logdet (T ?a))"    => "(logdet ?a)"),
    ]
}

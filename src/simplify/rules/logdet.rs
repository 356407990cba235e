//! Determinants and log-determinants (Matrix Cookbook eqs. 18–25).

use super::*;

/// The determinant group.
#[rustfmt::skip]
pub fn rules() -> Vec<Rule> {
    vec![
        // eq. 21: det(AB) = det(A) det(B)
        rule!("det-of-product", "det(AB) = det(A) det(B) (eq. 21)";        "(det (* ?a ?b))"    => "(* (det ?a) (det ?b))" if both_square("?a", "?b")),
        // eq. 22: det(A^{-1}) = 1/det(A)
        rule!("det-of-inverse", "det(A^{-1}) = 1/det(A) (eq. 22)";        "(det (inv ?a))"     => "(inv (det ?a))"),
        // eq. 20: det(A^T) = det(A)
        rule!("det-of-transpose", "det(A^T) = det(A) (eq. 20)";      "(det (T ?a))"       => "(det ?a)"),
        rule!("logdet-of-product", "log|AB| = log|A| + log|B| (by eq. 21)";     "(logdet (* ?a ?b))" => "(+ (logdet ?a) (logdet ?b))" if both_square("?a", "?b")),
        rule!("logdet-of-inverse", "log|A^{-1}| = -log|A| (by eq. 22)";     "(logdet (inv ?a))"  => "(* -1 (logdet ?a))"),
        rule!("logdet-of-transpose", "log|A^T| = log|A| (by eq. 20)";   "(logdet (T ?a))"    => "(logdet ?a)"),
    ]
}

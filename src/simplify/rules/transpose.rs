//! Transpose rules (Matrix Cookbook eqs. 4–6 of §1.1).

use super::*;

/// The transpose group.
#[rustfmt::skip]
pub fn rules() -> Vec<Rule> {
    let mut v = vec![
        rule!("transpose-involution", "(A^T)^T = A";  "(T (T ?a))"       => "?a"),
        // eq. 5: (AB)^T = B^T A^T
        rule!("transpose-of-product", "(AB)^T = B^T A^T (eq. 5)";  "(T (* ?a ?b))"    => "(* (T ?b) (T ?a))"),
        // eq. 4: (A + B)^T = A^T + B^T
        rule!("transpose-of-sum", "(A + B)^T = A^T + B^T (eq. 4)";      "(T (+ ?a ?b))"    => "(+ (T ?a) (T ?b))"),
        rule!("transpose-of-hadamard", "(A ∘ B)^T = A^T ∘ B^T"; "(T (had ?a ?b))"  => "(had (T ?a) (T ?b))"),
        rule!("transpose-of-kronecker", "(A ⊗ B)^T = A^T ⊗ B^T (Kronecker product, §10.2.1)";"(T (kron ?a ?b))" => "(kron (T ?a) (T ?b))"),
        rule!("transpose-of-symmetric", "S^T = S for symmetric S";"(T ?a)"           => "?a" if is_symmetric("?a")),
        rule!("transpose-of-scalar", "a scalar is its own transpose";   "(T ?a)"           => "?a" if is_scalar("?a")),
    ];
    // eq. 3: (A^{-1})^T = (A^T)^{-1}
    v.extend(rules2!("transpose-of-inverse", "(A^T)^{-1} = (A^{-1})^T (eq. 3)"; "(T (inv ?a))" <=> "(inv (T ?a))"));
    v
}

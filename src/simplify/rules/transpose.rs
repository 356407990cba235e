//! Transpose rules (Matrix Cookbook eqs. 4–6 of §1.1).

use super::*;
use egg::rewrite;

/// The transpose group.
#[rustfmt::skip]
pub fn rules() -> Vec<Rewrite> {
    let mut v = vec![
        rewrite!("transpose-involution";  "(T (T ?a))"       => "?a"),
        // eq. 4: (AB)^T = B^T A^T
        rewrite!("transpose-of-product";  "(T (* ?a ?b))"    => "(* (T ?b) (T ?a))"),
        // eq. 5: (A + B)^T = A^T + B^T
        rewrite!("transpose-of-sum";      "(T (+ ?a ?b))"    => "(+ (T ?a) (T ?b))"),
        rewrite!("transpose-of-hadamard"; "(T (had ?a ?b))"  => "(had (T ?a) (T ?b))"),
        rewrite!("transpose-of-kronecker";"(T (kron ?a ?b))" => "(kron (T ?a) (T ?b))"),
        rewrite!("transpose-of-symmetric";"(T ?a)"           => "?a" if is_symmetric("?a")),
        rewrite!("transpose-of-scalar";   "(T ?a)"           => "?a" if is_scalar("?a")),
    ];
    // eq. 6: (A^{-1})^T = (A^T)^{-1}
    v.extend(rewrite!("transpose-of-inverse"; "(T (inv ?a))" <=> "(inv (T ?a))"));
    v
}

//! Inverse rules (Matrix Cookbook §3.1, eqs. 145–146).

use super::*;
use egg::rewrite;

/// The inverse group.
#[rustfmt::skip]
pub fn rules() -> Vec<Rewrite> {
    vec![
        rewrite!("inverse-involution";    "(inv (inv ?a))"    => "?a"),
        rewrite!("inverse-cancel-left";   "(* (inv ?a) ?a)"   => "(eye ?a)" if not_scalar("?a")),
        rewrite!("inverse-cancel-right";  "(* ?a (inv ?a))"   => "(eye ?a)" if not_scalar("?a")),
        // eq. 145: (AB)^{-1} = B^{-1} A^{-1} for square A, B
        rewrite!("inverse-of-product";    "(inv (* ?a ?b))"   => "(* (inv ?b) (inv ?a))" if both_square("?a", "?b")),
        rewrite!("inverse-of-scaled";     "(inv (* ?s ?a))"   => "(* (inv ?s) (inv ?a))" if is_scalar("?s")),
    ]
}

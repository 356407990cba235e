//! Inverse rules (Matrix Cookbook §3.1, eqs. 145–146).

use super::*;

/// The inverse group.
#[rustfmt::skip]
pub fn rules() -> Vec<Rule> {
    vec![
        rule!("inverse-involution", "(A^{-1})^{-1} = A";    "(inv (inv ?a))"    => "?a"),
        rule!("inverse-cancel-left", "A^{-1} A = A A^{-1} = I";   "(* (inv ?a) ?a)"   => "(eye ?a)" if not_scalar("?a")),
        rule!("inverse-cancel-right", "A^{-1} A = A A^{-1} = I";  "(* ?a (inv ?a))"   => "(eye ?a)" if not_scalar("?a")),
        // eq. 1: (AB)^{-1} = B^{-1} A^{-1} for square A, B
        rule!("inverse-of-product", "(AB)^{-1} = B^{-1} A^{-1} (eq. 1)";    "(inv (* ?a ?b))"   => "(* (inv ?b) (inv ?a))" if both_square("?a", "?b")),
        rule!("inverse-of-scaled", "(cA)^{-1} = c^{-1} A^{-1}";     "(inv (* ?s ?a))"   => "(* (inv ?s) (inv ?a))" if is_scalar("?s")),
    ]
}

//! Scalars: a 1×1 factor commutes with everything; products associate when
//! the regrouped product is well shaped.

use super::*;

/// The scalar and product-association group.
#[rustfmt::skip]
pub fn rules() -> Vec<Rule> {
    vec![
        rule!("scalar-commutes", "a 1×1 factor commutes with everything";       "(* ?a ?b)"             => "(* ?b ?a)" if is_scalar("?a")),
        rule!("product-assoc-right", "(AB)C = A(BC)";   "(* (* ?a ?b) ?c)"      => "(* ?a (* ?b ?c))" if can_multiply("?b", "?c")),
        rule!("product-assoc-left", "(AB)C = A(BC)";    "(* ?a (* ?b ?c))"      => "(* (* ?a ?b) ?c)" if can_multiply("?a", "?b")),
        rule!("scalar-out-of-transpose", "(cA)^T = c A^T"; "(T (* ?s ?a))"       => "(* ?s (T ?a))" if is_scalar("?s")),
    ]
}

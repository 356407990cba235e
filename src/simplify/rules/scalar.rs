//! Scalars: a 1×1 factor commutes with everything; products associate when
//! the regrouped product is well shaped.

use super::*;
use egg::rewrite;

/// The scalar and product-association group.
#[rustfmt::skip]
pub fn rules() -> Vec<Rewrite> {
    vec![
        rewrite!("scalar-commutes";       "(* ?a ?b)"             => "(* ?b ?a)" if is_scalar("?a")),
        rewrite!("product-assoc-right";   "(* (* ?a ?b) ?c)"      => "(* ?a (* ?b ?c))" if can_multiply("?b", "?c")),
        rewrite!("product-assoc-left";    "(* ?a (* ?b ?c))"      => "(* (* ?a ?b) ?c)" if can_multiply("?a", "?b")),
        rewrite!("scalar-out-of-transpose"; "(T (* ?s ?a))"       => "(* ?s (T ?a))" if is_scalar("?s")),
    ]
}

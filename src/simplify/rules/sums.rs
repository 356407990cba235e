//! Sums: associate, collect like terms, factor common left and right
//! factors. There is no expansion rule: a product is never distributed.

use super::*;
use egg::rewrite;

/// The sums group.
#[rustfmt::skip]
pub fn rules() -> Vec<Rewrite> {
    let mut v = vec![
        rewrite!("collect-like-terms";    "(+ ?a ?a)"             => "(* 2 ?a)"),
        rewrite!("collect-scaled-left";   "(+ (* ?c ?a) ?a)"      => "(* (+ ?c 1) ?a)" if is_scalar("?c")),
        rewrite!("collect-scaled-both";   "(+ (* ?c ?a) (* ?d ?a))" => "(* (+ ?c ?d) ?a)" if is_scalar("?c") if is_scalar("?d")),
        // A B + A C = A (B + C)
        rewrite!("factor-left";           "(+ (* ?a ?b) (* ?a ?c))" => "(* ?a (+ ?b ?c))" if same_shape("?b", "?c") if not_scalar("?a") if is_simple("?b") if is_simple("?c")),
        // A C + B C = (A + B) C
        rewrite!("factor-right";          "(+ (* ?a ?c) (* ?b ?c))" => "(* (+ ?a ?b) ?c)" if same_shape("?a", "?b") if not_scalar("?c") if is_simple("?a") if is_simple("?b")),
    ];
    v.extend(rewrite!("sum-assoc"; "(+ (+ ?a ?b) ?c)" <=> "(+ ?a (+ ?b ?c))"));
    v
}

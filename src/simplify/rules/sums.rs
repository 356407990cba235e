//! Sums: associate, collect like terms, factor common left and right
//! factors. There is no expansion rule: a product is never distributed.

use super::*;

/// The sums group.
#[rustfmt::skip]
pub fn rules() -> Vec<Rule> {
    let mut v = vec![
        rule!("collect-like-terms", "collect like terms";    "(+ ?a ?a)"             => "(* 2 ?a)"),
        rule!("collect-scaled-left", "collect like terms";   "(+ (* ?c ?a) ?a)"      => "(* (+ ?c 1) ?a)" if is_scalar("?c")),
        rule!("collect-scaled-both", "collect like terms";   "(+ (* ?c ?a) (* ?d ?a))" => "(* (+ ?c ?d) ?a)" if is_scalar("?c") if is_scalar("?d")),
        // A B + A C = A (B + C)
        rule!("factor-left", "A B + A C = A (B + C)";           "(+ (* ?a ?b) (* ?a ?c))" => "(* ?a (+ ?b ?c))" if same_shape("?b", "?c") if not_scalar("?a") if is_simple("?b") if is_simple("?c")),
        // A C + B C = (A + B) C
        rule!("factor-right", "A C + B C = (A + B) C";          "(+ (* ?a ?c) (* ?b ?c))" => "(* (+ ?a ?b) ?c)" if same_shape("?a", "?b") if not_scalar("?c") if is_simple("?a") if is_simple("?b")),
    ];
    v.extend(rules2!("sum-assoc", "(A + B) + C = A + (B + C)"; "(+ (+ ?a ?b) ?c)" <=> "(+ ?a (+ ?b ?c))"));
    v
}

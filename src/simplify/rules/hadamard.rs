//! Hadamard products (Matrix Cookbook eq. 37 context): associative,
//! factoring over sums.

use super::*;
use egg::rewrite;

/// The Hadamard group.
#[rustfmt::skip]
pub fn rules() -> Vec<Rewrite> {
    let mut v = vec![
        rewrite!("hadamard-factor-left";  "(+ (had ?a ?b) (had ?a ?c))" => "(had ?a (+ ?b ?c))"),
        rewrite!("hadamard-factor-right"; "(+ (had ?a ?c) (had ?b ?c))" => "(had (+ ?a ?b) ?c)"),
        rewrite!("hadamard-scalar-out";   "(had (* ?s ?a) ?b)"          => "(* ?s (had ?a ?b))" if is_scalar("?s")),
    ];
    v.extend(rewrite!("hadamard-assoc"; "(had (had ?a ?b) ?c)" <=> "(had ?a (had ?b ?c))"));
    v
}

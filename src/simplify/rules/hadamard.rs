//! Hadamard products (Matrix Cookbook eq. 37 context): associative,
//! factoring over sums.

use super::*;

/// The Hadamard group.
#[rustfmt::skip]
pub fn rules() -> Vec<Rule> {
    let mut v = vec![
        rule!("hadamard-factor-left", "A ∘ B + A ∘ C = A ∘ (B + C)";  "(+ (had ?a ?b) (had ?a ?c))" => "(had ?a (+ ?b ?c))"),
        rule!("hadamard-factor-right", "A ∘ B + A ∘ C = A ∘ (B + C)"; "(+ (had ?a ?c) (had ?b ?c))" => "(had (+ ?a ?b) ?c)"),
        rule!("hadamard-scalar-out", "(cA) ∘ B = c (A ∘ B)";   "(had (* ?s ?a) ?b)"          => "(* ?s (had ?a ?b))" if is_scalar("?s")),
    ];
    v.extend(rules2!("hadamard-assoc", "(A ∘ B) ∘ C = A ∘ (B ∘ C)"; "(had (had ?a ?b) ?c)" <=> "(had ?a (had ?b ?c))"));
    v
}

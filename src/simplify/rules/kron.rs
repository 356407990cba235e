//! Kronecker products (Matrix Cookbook §10.2.1): factoring over sums, as
//! Hessians with respect to `\mathrm{vec}(X)` need (`I \otimes A + I \otimes
//! A^T = I \otimes (A + A^T)`). There is no expansion rule.

use super::*;

/// The Kronecker group.
#[rustfmt::skip]
pub fn rules() -> Vec<Rule> {
    vec![
        rule!("kron-factor-left", "A ⊗ B + A ⊗ C = A ⊗ (B + C) (§10.2.1)";  "(+ (kron ?a ?b) (kron ?a ?c))" => "(kron ?a (+ ?b ?c))" if same_shape("?b", "?c")),
        rule!("kron-factor-right", "A ⊗ C + B ⊗ C = (A + B) ⊗ C (§10.2.1)"; "(+ (kron ?a ?c) (kron ?b ?c))" => "(kron (+ ?a ?b) ?c)" if same_shape("?a", "?b")),
        rule!("kron-scalar-out", "(cA) ⊗ B = c (A ⊗ B) (§10.2.1)";            "(kron (* ?s ?a) ?b)" => "(* ?s (kron ?a ?b))" if is_scalar("?s")),
        rule!("kron-scalar-out-right", "A ⊗ (cB) = c (A ⊗ B) (§10.2.1)";      "(kron ?a (* ?s ?b))" => "(* ?s (kron ?a ?b))" if is_scalar("?s")),
    ]
}

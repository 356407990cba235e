//! Identity and unit laws.

use super::*;

/// The identity group.
#[rustfmt::skip]
pub fn rules() -> Vec<Rule> {
    vec![
        rule!("identity-left", "I A = A I = A";         "(* ?i ?a)"     => "?a" if is_identity("?i") if not_scalar("?a")),
        rule!("identity-right", "I A = A I = A";        "(* ?a ?i)"     => "?a" if is_identity("?i") if not_scalar("?a")),
        rule!("one-times", "1 A = A";             "(* 1 ?a)"      => "?a"),
        rule!("inverse-of-identity", "I^{-1} = I";   "(inv ?i)"      => "?i" if is_identity("?i")),
    ]
}

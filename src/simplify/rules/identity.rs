//! Identity and unit laws.

use super::*;
use egg::rewrite;

/// The identity group.
#[rustfmt::skip]
pub fn rules() -> Vec<Rewrite> {
    vec![
        rewrite!("identity-left";         "(* ?i ?a)"     => "?a" if is_identity("?i") if not_scalar("?a")),
        rewrite!("identity-right";        "(* ?a ?i)"     => "?a" if is_identity("?i") if not_scalar("?a")),
        rewrite!("one-times";             "(* 1 ?a)"      => "?a"),
        rewrite!("inverse-of-identity";   "(inv ?i)"      => "?i" if is_identity("?i")),
    ]
}

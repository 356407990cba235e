//! Rewrite rules in topic groups, one file each; conditions are small
//! factories over the analysis (shape, symmetry).

pub mod hadamard;
pub mod identity;
pub mod inverse;
pub mod kron;
pub mod logdet;
pub mod scalar;
pub mod sums;
pub mod trace;
pub mod transpose;

use super::analysis::{Facts, EG};
use super::lang::Mat;
use egg::{Id, Subst, Var};
use std::collections::HashMap;

/// A rewrite over the matrix language.
pub type Rewrite = egg::Rewrite<Mat, Facts>;

/// One rule and what it says, with its Matrix Cookbook equation where one
/// applies: both written in the rule's own row.
pub struct Rule {
    /// The rewrite.
    pub rewrite: Rewrite,
    /// The identity it applies, as `steps` cites it.
    pub cite: &'static str,
}

/// `rule!("name", "citation"; lhs => rhs [if cond]*)`.
macro_rules! rule {
    ($name:literal, $cite:literal; $($rest:tt)*) => {
        $crate::simplify::rules::Rule {
            rewrite: egg::rewrite!($name; $($rest)*),
            cite: $cite,
        }
    };
}

/// `rules2!("name", "citation"; lhs <=> rhs)`: both directions, one citation.
macro_rules! rules2 {
    ($name:literal, $cite:literal; $($rest:tt)*) => {
        egg::rewrite!($name; $($rest)*)
            .into_iter()
            .map(|rewrite| $crate::simplify::rules::Rule { rewrite, cite: $cite })
    };
}
pub(crate) use {rule, rules2};

fn var(s: &str) -> Var {
    s.parse()
        .unwrap_or_else(|_| panic!("bad pattern variable {s}"))
}

/// `?a` is 1×1.
pub fn is_scalar(a: &str) -> impl Fn(&mut EG, Id, &Subst) -> bool {
    let a = var(a);
    move |eg, _, s| eg[s[a]].data.shape.is_scalar()
}

/// `?a` is not 1×1.
pub fn not_scalar(a: &str) -> impl Fn(&mut EG, Id, &Subst) -> bool {
    let a = var(a);
    move |eg, _, s| !eg[s[a]].data.shape.is_scalar()
}

/// `?a` is known to be symmetric.
pub fn is_symmetric(a: &str) -> impl Fn(&mut EG, Id, &Subst) -> bool {
    let a = var(a);
    move |eg, _, s| eg[s[a]].data.symmetric
}

/// `?a` is an identity matrix.
pub fn is_identity(a: &str) -> impl Fn(&mut EG, Id, &Subst) -> bool {
    let a = var(a);
    move |eg, _, s| eg[s[a]].data.identity
}

/// `?a` and `?b` are square and not 1×1.
pub fn both_square(a: &str, b: &str) -> impl Fn(&mut EG, Id, &Subst) -> bool {
    let (a, b) = (var(a), var(b));
    move |eg, _, s| {
        let (x, y) = (&eg[s[a]].data.shape, &eg[s[b]].data.shape);
        x.is_square() && y.is_square() && !x.is_scalar() && !y.is_scalar()
    }
}

/// `?a ?b` is a well-shaped product (tensat's shape-checking applier).
pub fn can_multiply(a: &str, b: &str) -> impl Fn(&mut EG, Id, &Subst) -> bool {
    let (a, b) = (var(a), var(b));
    move |eg, _, s| {
        let (x, y) = (&eg[s[a]].data.shape, &eg[s[b]].data.shape);
        x.is_scalar() || y.is_scalar() || x.cols == y.rows
    }
}

/// `?a` and `?b` have the same shape.
pub fn same_shape(a: &str, b: &str) -> impl Fn(&mut EG, Id, &Subst) -> bool {
    let (a, b) = (var(a), var(b));
    move |eg, _, s| eg[s[a]].data.shape == eg[s[b]].data.shape
}

/// `?a` is a column vector.
pub fn is_vector(a: &str) -> impl Fn(&mut EG, Id, &Subst) -> bool {
    let a = var(a);
    move |eg, _, s| eg[s[a]].data.shape.is_vector()
}

fn simple_class(eg: &EG, id: Id, depth: usize) -> bool {
    eg[id].nodes.iter().any(|n| match n {
        Mat::Atom(_) | Mat::Num(_) | Mat::Eye(_) => true,
        Mat::T(c) | Mat::Inv(c) => depth > 0 && simple_class(eg, *c, depth - 1),
        Mat::Mul([a, b]) => {
            depth > 0
                && ((eg[*a].data.shape.is_scalar() && simple_class(eg, *b, depth - 1))
                    // an outer product of vectors: b c^T
                    || (eg[*a].data.shape.is_vector()
                        && eg[*b].data.shape.rows == crate::core::shape::Dim::One
                        && simple_class(eg, *a, depth - 1)
                        && simple_class(eg, *b, depth - 1)))
        }
        _ => false,
    })
}

/// `?a` is simple enough to stand in a factored sum: a name, a transpose or
/// inverse of one, a scaled one, or an outer product of vectors. Textbooks
/// factor `(B + B^T) x` but not `K^{-1} (Y Y^T K^{-1} X - D X)`.
pub fn is_simple(a: &str) -> impl Fn(&mut EG, Id, &Subst) -> bool {
    let a = var(a);
    move |eg, _, s| simple_class(eg, s[a], 3)
}

/// For proofs only: commutativity of `+`, `\odot` and the inner product.
/// Simplification leaves these out so that summands and factors keep the
/// order the derivation reached them in.
#[rustfmt::skip]
pub fn commutativity() -> Vec<Rule> {
    vec![
        rule!("sum-commutes", "A + B = B + A";      "(+ ?a ?b)"   => "(+ ?b ?a)"),
        rule!("hadamard-commutes", "A ∘ B = B ∘ A"; "(had ?a ?b)" => "(had ?b ?a)"),
        rule!("inner-product-commutes", "a^T b = b^T a for vectors a, b"; "(* (T ?a) ?b)" => "(* (T ?b) ?a)" if is_vector("?a") if is_vector("?b")),
    ]
}

/// The proof rule set: every group and commutativity.
pub fn for_proofs() -> Vec<Rewrite> {
    let mut v = all();
    v.extend(commutativity().into_iter().map(|r| r.rewrite));
    v
}

/// [`all`], built once per process (parsing the patterns is a tenth of a
/// small call).
pub fn all_once() -> &'static [Rewrite] {
    static RULES: std::sync::LazyLock<Vec<Rewrite>> = std::sync::LazyLock::new(all);
    &RULES
}

/// [`for_proofs`], built once per process.
pub fn for_proofs_once() -> &'static [Rewrite] {
    static RULES: std::sync::LazyLock<Vec<Rewrite>> = std::sync::LazyLock::new(for_proofs);
    &RULES
}

/// What a rule says, with its Matrix Cookbook equation where one applies.
pub fn cite(rule: &str) -> &'static str {
    static TABLE: std::sync::LazyLock<HashMap<String, &'static str>> =
        std::sync::LazyLock::new(|| {
            groups()
                .into_iter()
                .flatten()
                .chain(commutativity())
                .map(|r| (r.rewrite.name.to_string(), r.cite))
                .collect()
        });
    TABLE.get(rule).copied().unwrap_or("")
}

/// Every group with its citations, in a fixed order.
pub fn groups() -> Vec<Vec<Rule>> {
    vec![
        transpose::rules(),
        inverse::rules(),
        trace::rules(),
        scalar::rules(),
        sums::rules(),
        hadamard::rules(),
        kron::rules(),
        logdet::rules(),
        identity::rules(),
    ]
}

/// Every group's rewrites, in a fixed order.
pub fn all() -> Vec<Rewrite> {
    groups().into_iter().flatten().map(|r| r.rewrite).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_cites_what_it_applies() {
        let mut names = std::collections::BTreeSet::new();
        for r in groups().into_iter().flatten().chain(commutativity()) {
            let name = r.rewrite.name.to_string();
            assert!(!r.cite.trim().is_empty(), "rule `{name}` has no citation");
            assert_eq!(cite(&name), r.cite, "rule `{name}`");
            assert!(names.insert(name.clone()), "rule `{name}` is defined twice");
        }
        assert_eq!(cite("no-such-rule"), "");
    }
}

//! Rewrite rules in topic groups, one file each; conditions are small
//! factories over the analysis (shape, symmetry).

pub mod hadamard;
pub mod identity;
pub mod inverse;
pub mod logdet;
pub mod scalar;
pub mod sums;
pub mod trace;
pub mod transpose;

use super::analysis::{Facts, EG};
use super::lang::Mat;
use egg::{Id, Subst, Var};

/// A rewrite over the matrix language.
pub type Rewrite = egg::Rewrite<Mat, Facts>;

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

/// For proofs only: commutativity of `+` and `\odot`. Simplification leaves
/// these out so that summands keep the order the derivation reached them in.
#[rustfmt::skip]
pub fn commutativity() -> Vec<Rewrite> {
    vec![
        egg::rewrite!("sum-commutes";      "(+ ?a ?b)"   => "(+ ?b ?a)"),
        egg::rewrite!("hadamard-commutes"; "(had ?a ?b)" => "(had ?b ?a)"),
    ]
}

/// The proof rule set: every group and commutativity.
pub fn for_proofs() -> Vec<Rewrite> {
    let mut v = all();
    v.extend(commutativity());
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
    match rule {
        "transpose-involution" => "(A^T)^T = A",
        "transpose-of-product" => "(AB)^T = B^T A^T (eq. 4)",
        "transpose-of-sum" => "(A + B)^T = A^T + B^T (eq. 5)",
        "transpose-of-inverse" | "transpose-of-inverse-rev" => "(A^{-1})^T = (A^T)^{-1} (eq. 6)",
        "transpose-of-symmetric" => "S^T = S for symmetric S",
        "transpose-of-scalar" => "a scalar is its own transpose",
        "transpose-of-hadamard" => "(A ∘ B)^T = A^T ∘ B^T",
        "transpose-of-kronecker" => "(A ⊗ B)^T = A^T ⊗ B^T (eq. 508)",
        "inverse-involution" => "(A^{-1})^{-1} = A",
        "inverse-cancel-left" | "inverse-cancel-right" => "A^{-1} A = A A^{-1} = I",
        "inverse-of-product" => "(AB)^{-1} = B^{-1} A^{-1} (eq. 145)",
        "inverse-of-scaled" => "(cA)^{-1} = c^{-1} A^{-1}",
        "trace-cyclic" => "tr(AB) = tr(BA) (eq. 16)",
        "trace-transpose" => "tr(A^T) = tr(A) (eq. 13)",
        "trace-of-sum" => "tr(A + B) = tr(A) + tr(B) (eq. 14)",
        "trace-of-scaled" => "tr(cA) = c tr(A)",
        "trace-of-outer" => "tr(a b^T) = b^T a",
        "trace-of-scalar" => "tr(a) = a for a scalar",
        "scalar-commutes" => "a 1×1 factor commutes with everything",
        "product-assoc-right" | "product-assoc-left" => "(AB)C = A(BC)",
        "scalar-out-of-transpose" => "(cA)^T = c A^T",
        "collect-like-terms" | "collect-scaled-left" | "collect-scaled-both" => {
            "collect like terms"
        }
        "factor-left" => "A B + A C = A (B + C)",
        "factor-right" => "A C + B C = (A + B) C",
        "sum-assoc" | "sum-assoc-rev" => "(A + B) + C = A + (B + C)",
        "hadamard-factor-left" | "hadamard-factor-right" => "A ∘ B + A ∘ C = A ∘ (B + C)",
        "hadamard-scalar-out" => "(cA) ∘ B = c (A ∘ B)",
        "hadamard-assoc" | "hadamard-assoc-rev" => "(A ∘ B) ∘ C = A ∘ (B ∘ C)",
        "det-of-product" => "det(AB) = det(A) det(B) (eq. 18)",
        "det-of-inverse" => "det(A^{-1}) = 1/det(A) (eq. 19)",
        "det-of-transpose" => "det(A^T) = det(A) (eq. 20)",
        "logdet-of-product" => "log|AB| = log|A| + log|B| (eq. 18)",
        "logdet-of-inverse" => "log|A^{-1}| = -log|A| (eq. 19)",
        "logdet-of-transpose" => "log|A^T| = log|A| (eq. 20)",
        "identity-left" | "identity-right" => "I A = A I = A",
        "one-times" => "1 A = A",
        "inverse-of-identity" => "I^{-1} = I",
        "sum-commutes" => "A + B = B + A",
        "hadamard-commutes" => "A ∘ B = B ∘ A",
        _ => "",
    }
}

/// Every group, in a fixed order.
pub fn all() -> Vec<Rewrite> {
    let mut v = Vec::new();
    v.extend(transpose::rules());
    v.extend(inverse::rules());
    v.extend(trace::rules());
    v.extend(scalar::rules());
    v.extend(sums::rules());
    v.extend(hadamard::rules());
    v.extend(logdet::rules());
    v.extend(identity::rules());
    v
}

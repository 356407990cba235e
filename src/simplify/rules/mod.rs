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
                        && eg[*b].data.shape.rows == crate::shape::Dim::One
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

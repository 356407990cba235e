//! Construction is not algebra: every identity the graph's constructors
//! apply (listed in `src/ir/mod.rs`) has a named goal here, evaluated on random
//! instances against the independent oracle reading the same text, and the
//! non-goals beside them: expressions that must stay different nodes with
//! different values.

use matcalc::oracle::eval;
use matcalc::oracle::Oracle;
use matcalc::oracle::{Instance, Mode};
use matcalc::Problem;
use std::collections::BTreeMap;

const DECLS: &str = "x, a, u, v \\in \\mathbb{R}^{n}
y \\in \\mathbb{R}^{m}
A, B, X \\in \\mathbb{R}^{n \\times n}
C \\in \\mathbb{R}^{m \\times m}
W \\in \\mathbb{R}^{m \\times n}
S \\in \\mathbb{S}^{n}
\\alpha, \\beta \\in \\mathbb{R}_{+}
\\mathrm{quad}(k) = \\frac{1}{2} k^2 + \\cos(k)
L = x^T S x
r = \\sqrt{a^T a}";

/// `expr` read in the declarations' context: its graph node (built by the
/// constructors), its checked tree and the typed context of that tree.
fn build(
    p: &mut Problem,
    expr: &str,
) -> (usize, matcalc::internals::TExpr, matcalc::internals::Typed) {
    let parsed = matcalc::internals::parse_expression(expr).expect("parses");
    let (t, typed) = p.typed.type_expr(&parsed, false, None).expect("types");
    let id = p.graph.lower(&typed, &t).expect("lowers");
    (id, t, typed)
}

/// The graph's value of `expr` (built by the constructors) and the oracle's
/// value of its checked tree, on instances from three seeds.
fn both(expr: &str) -> Vec<(nalgebra::DMatrix<f64>, nalgebra::DMatrix<f64>)> {
    let mut p = Problem::new(DECLS).expect("declarations");
    let (id, t, typed) = build(&mut p, expr);
    (0..3u64)
        .map(|seed| {
            let inst = Instance::sample(&p.graph, 40 + seed, Mode::Positive);
            let g = eval(&p.graph, &inst, id).expect("graph value");
            let o = Oracle::new(&typed, &inst, &BTreeMap::new())
                .eval(&t)
                .expect("oracle value");
            (g, o)
        })
        .collect()
}

fn agrees(expr: &str) -> Result<(), String> {
    for (g, o) in both(expr) {
        let scale = g.amax().max(o.amax()).max(1.0);
        if g.shape() != o.shape() || (&g - &o).amax() > 1e-9 * scale {
            return Err(format!("`{expr}`: graph {g} vs oracle {o}"));
        }
    }
    Ok(())
}

/// Goals: (identity name, an expression whose construction applies it).
const GOALS: &[(&str, &str)] = &[
    ("scalars-to-front", "A (2 \\alpha) B (\\beta x)"),
    ("inner-product-is-a-scalar-factor", "W (x^T a) A"),
    ("inner-product-after-a-chain", "(x^T A) (a^T x) B"),
    ("inner-product-between-vectors", "x^T (x^T a) a"),
    ("identity-between-matrices", "A I B I"),
    ("only-identities", "I I"),
    ("square-powers-merge", "X X X^{-1} X"),
    ("inverse-expands-where-factors-cancel", "(A B)^{-1} A"),
    ("column-chain-groups-right-to-left", "(W^T W) x + A (B x) + A B (x^T a) x"),
    ("ones-inner-product", "\\mathbf{1}^T \\mathbf{1} x"),
    ("reciprocal-inner-product", "u^T (u^{\\odot -1} \\odot v) x"),
    ("scalar-powers-merge", "\\alpha^2 \\alpha^{-1/2} \\alpha"),
    ("like-terms", "A x + 2 A x - A x"),
    ("broadcast-keeps-shape", "\\alpha + x - x"),
    ("broadcast-matrix-keeps-shape", "\\beta + A - A"),
    ("transpose-of-product", "(A B x)^T"),
    ("transpose-of-inverse", "(A^{-1})^T"),
    ("transpose-of-hadamard-and-kronecker", "(A \\odot B)^T + (x \\otimes y)^T (x \\otimes y)"),
    ("structural-symmetry", "(X X^T)^T + (A + A^T)^T"),
    ("inverse-of-inverse-and-scaled", "((2 \\alpha A)^{-1})^{-1}"),
    ("power-of-power", "(\\alpha^{1/2})^4"),
    ("constant-out-of-integer-power", "(2 \\alpha)^{-1} + (-3 \\beta)^{3} + \\mathrm{sum}((2 x)^{\\odot 2})"),
    ("hadamard-scalar-ones-powers", "\\alpha \\odot x + \\mathbf{1} \\odot x + x \\odot x^{\\odot -1}"),
    ("hadamard-and-kronecker-of-zero", "(x - x) \\odot a + ((x - x) \\otimes y^T) y"),
    ("kronecker-constants-out", "(2 A) \\otimes (3 C)"),
    ("kronecker-of-identities", "(2 A A^{-1}) \\otimes (C C^{-1}) + A \\otimes C"),
    ("trace-rules", "\\mathrm{tr}(I) + \\mathrm{tr}(A \\otimes B) + \\mathrm{tr}(2 \\alpha A)"),
    ("sum-rules", "\\mathrm{sum}(\\mathbf{1}) + \\mathrm{sum}(I) + \\mathrm{sum}(x y^T) + \\mathrm{sum}(\\alpha A)"),
    ("sigmoid-from-exp", "\\exp(x) \\odot (1 + \\exp(x))^{\\odot -1} + (1 + \\exp(-x))^{\\odot -1} + \\exp(x) \\odot \\sigma(-x) \\odot a"),
    ("tanh-from-sinh-and-cosh", "\\sinh(x) \\odot \\cosh(x)^{\\odot -1} + (\\alpha \\mathbf{1}) \\odot x"),
    ("diag-of-transpose", "\\mathrm{diag}(A^T) + \\mathrm{diag}((W^T W)^T)"),
    ("diag-rules", "\\mathrm{diag}(x a^T) + \\mathrm{diag}(I) + \\mathrm{diag}(\\mathrm{diag}(\\mathbf{1}))"),
    ("logdet-of-scaled-identity", "\\log|3 \\alpha (x^T a) I| x + \\log|I| x + \\log|\\beta A| x"),
    ("sum-of-column-times-row-chain", "\\mathrm{sum}(\\mathbf{1} \\mathbf{1}^T W^T) + \\mathrm{sum}(x a^T A B)"),
    ("diag-of-scaled-identity", "\\mathrm{diag}(3 \\alpha (x^T a) I) + \\mathrm{sum}(\\mathrm{diag}(\\beta I)) x"),
    ("unvec-rules", "\\mathrm{unvec}(\\mathrm{vec}(A)) + \\mathrm{unvec}(x \\otimes a)"),
    ("unvec-of-kronecker-times-vec", "\\mathrm{unvec}(2 (A \\otimes B) \\mathrm{vec}(X)) + X"),
    ("functions-of-zero", "\\exp(x - x) + \\sigma(x - x) + \\cos(0) x + \\mathrm{quad}(x - x)"),
    ("logsumexp-of-zero", "\\mathrm{logsumexp}(x - x) a"),
    ("exact-function-values", "\\log(1) + \\exp(0) + \\sigma(0) + \\mathrm{relu}(-2)"),
    ("definition-folds-back", "x^T S x + 1"),
    ("defined-root-folds-back", "(a^T a)^{-1/2} x + (a^T a)^{3/2} x + (a^T a) x"),
    ("commutation-transpose", "K_{m,n}^T \\mathrm{vec}(W^T)"),
    ("commutation-square-transpose", "\\mathbf{K}_{n,n}^T \\mathrm{vec}(A)"),
    ("commutation-with-a-one", "K_{n,1} x + K_{1,n} x"),
    ("sized-ones-and-identity", "\\mathbf{1}_{m}^T W I_n x + \\mathrm{vec}(I_{n})^T \\mathbf{1}_{nn}"),
];

/// Non-goals: (false identity, left, right, whether the values differ): both
/// sides must build to different nodes, and, where the identity is false
/// at every point, to different values.
const NON_GOALS: &[(&str, &str, &str, bool)] = &[
    ("products-do-not-commute", "A B", "B A", true),
    (
        "kronecker-does-not-commute",
        "A \\otimes C",
        "C \\otimes A",
        true,
    ),
    ("transpose-does-not-keep-order", "(A B)^T", "A^T B^T", true),
    (
        "trace-is-not-multiplicative",
        "\\mathrm{tr}(A B)",
        "\\mathrm{tr}(A) \\mathrm{tr}(B)",
        true,
    ),
    (
        "inverse-is-not-additive",
        "(A + B)^{-1}",
        "A^{-1} + B^{-1}",
        true,
    ),
    ("outer-products-do-not-commute", "x a^T", "a x^T", true),
    ("vectors-are-not-powers", "x^T x x", "x^{\\odot 2}", true),
    ("commutation-is-not-symmetric", "K_{m,n}", "K_{n,m}", true),
    (
        "commutation-is-not-the-identity",
        "K_{n,n} \\mathrm{vec}(A)",
        "\\mathrm{vec}(A)",
        true,
    ),
    (
        "sigmoid-needs-the-negation",
        "(1 + \\exp(x))^{\\odot -1}",
        "\\sigma(x)",
        true,
    ),
    // Equal at a symmetric point, but a different function of S.
    (
        "declared-symmetry-is-not-used-in-functions",
        "u^T S^T v",
        "u^T S v",
        false,
    ),
];

/// A power of a defined root is a power of its name: with `r = \\sqrt{a^T a}`,
/// `(a^T a)^{-1/2}` is `r^{-1}`.
#[test]
fn defined_roots_fold_back() {
    let mut p = Problem::new(DECLS).expect("declarations");
    let (inv, _, _) = build(&mut p, "(a^T a)^{-1/2}");
    let (r_inv, _, _) = build(&mut p, "r^{-1}");
    assert_eq!(inv, r_inv);
}

/// The logistic sigmoid is recognised from its definition: the
/// constructors build `\sigma(x)` itself.
#[test]
fn the_sigmoid_is_recognised() {
    let mut p = Problem::new(DECLS).expect("declarations");
    let (sig, _, _) = build(&mut p, "\\sigma(x)");
    for form in [
        "\\exp(x) \\odot (1 + \\exp(x))^{\\odot -1}",
        "(1 + \\exp(-x))^{\\odot -1}",
        "\\frac{1}{1 + e^{-x}}",
        "\\exp(x) \\odot \\sigma(-x)",
    ] {
        assert_eq!(build(&mut p, form).0, sig, "{form}");
    }
}

/// A chain that makes a column is one node however it was written, and
/// that node is grouped right to left: `(A B) x` contains `B x`.
#[test]
fn column_chains_group_right_to_left() {
    let mut p = Problem::new(DECLS).expect("declarations");
    let (left, _, _) = build(&mut p, "(A B) x");
    let (right, _, _) = build(&mut p, "A (B x)");
    let (bx, _, _) = build(&mut p, "B x");
    assert_eq!(left, right);
    let (a, _, _) = build(&mut p, "A");
    assert_eq!(p.graph.kids(left), &[a, bx]);
    // A 1×1 result keeps its left-to-right grouping (an inner product is one
    // scalar factor of whatever it enters).
    let (q, _, _) = build(&mut p, "x^T A x");
    let (xa, _, _) = build(&mut p, "x^T A");
    assert_eq!(p.graph.kids(q)[0], xa);
}

#[test]
fn every_canonical_identity_agrees_with_the_oracle() {
    let failures: Vec<String> = GOALS
        .iter()
        .filter_map(|(name, e)| agrees(e).err().map(|m| format!("{name}: {m}")))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_false_identity_is_applied() {
    let mut failures = Vec::new();
    for (name, l, r, values_differ) in NON_GOALS {
        let mut p = Problem::new(DECLS).expect("declarations");
        // Build both sides as the document's own expressions would be.
        p.graph.set_point_symmetry(false);
        let (a, b) = (build(&mut p, l).0, build(&mut p, r).0);
        if a == b {
            failures.push(format!("{name}: `{l}` and `{r}` built the same node"));
            continue;
        }
        if !values_differ {
            continue;
        }
        let inst = Instance::sample(&p.graph, 5, Mode::General);
        let (va, vb) = (eval(&p.graph, &inst, a), eval(&p.graph, &inst, b));
        if let (Ok(va), Ok(vb)) = (va, vb) {
            if va.shape() == vb.shape() && (&va - &vb).amax() < 1e-9 {
                failures.push(format!("{name}: `{l}` and `{r}` have equal values"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The oracle's value of `expr` on the instance from `seed`.
fn oracle_value(expr: &str, seed: u64) -> nalgebra::DMatrix<f64> {
    let mut p = Problem::new(DECLS).expect("declarations");
    let (_, t, typed) = build(&mut p, expr);
    let inst = Instance::sample(&p.graph, seed, Mode::General);
    Oracle::new(&typed, &inst, &BTreeMap::new())
        .eval(&t)
        .expect("oracle value")
}

/// The identities a Jacobian is read with after its construction
/// (`diff::linear::commute`), each side evaluated by the oracle.
const READING: &[(&str, &str, &str)] = &[
    (
        "commutation-of-vec",
        "K_{m,n} \\mathrm{vec}(W)",
        "\\mathrm{vec}(W^T)",
    ),
    (
        "commutation-through-kronecker",
        "K_{n,m} (W \\otimes A)",
        "(A \\otimes W) K_{n,n}",
    ),
    (
        "selection-of-a-diagonal-matrix",
        "\\mathrm{vec}(\\mathrm{diag}(x))",
        "\\mathrm{diag}(\\mathrm{vec}(I)) (\\mathbf{1} \\otimes I) x",
    ),
    (
        "selection-of-a-diagonal",
        "\\mathrm{diag}(A)",
        "(\\mathbf{1}^T \\otimes I) \\mathrm{diag}(\\mathrm{vec}(I)) \\mathrm{vec}(A)",
    ),
    (
        "kronecker-times-vec",
        "(W \\otimes A) \\mathrm{vec}(X)",
        "\\mathrm{vec}(A X W^T)",
    ),
];

#[test]
fn jacobian_reading_identities_hold() {
    for (name, l, r) in READING {
        for seed in [1u64, 2] {
            let (a, b) = (oracle_value(l, seed), oracle_value(r, seed));
            let scale = a.amax().max(1.0);
            assert!(
                a.shape() == b.shape() && (&a - &b).amax() < 1e-9 * scale,
                "{name}: `{l}` = {a} but `{r}` = {b}"
            );
        }
    }
}

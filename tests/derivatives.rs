//! Jacobians and Hessians: a fixture corpus of vector-valued, second-order
//! and Kronecker/vec problems (`tests/fixtures/derivatives/`). Every answer
//! agrees with finite differences of the independent oracle, every
//! reference form agrees numerically, most print exactly as the reference,
//! every printed answer parses back and grades equivalent, and broken
//! variants are caught.

mod common;

use matcalc::oracle::{eval, valid_instance};
use matcalc::{grade, grade_answer, steps, Judgement, Kind, Problem, StepsFormat};

fn answered() -> Vec<(String, String, Problem, Vec<matcalc::Answer>)> {
    common::fixtures("derivatives")
        .into_iter()
        .map(|path| {
            let name = common::stem(&path);
            let src = std::fs::read_to_string(&path).expect("read");
            let mut p = Problem::new(&src).unwrap_or_else(|e| panic!("{name}: {e}"));
            let answers = p.answers().unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, src, p, answers)
        })
        .collect()
}

#[test]
fn at_least_forty_jacobians_and_hessians_agree_with_finite_differences() {
    let mut kinds = [0usize; 2];
    let mut failures = Vec::new();
    for (name, _, mut p, answers) in answered() {
        for a in &answers {
            match a.kind {
                Kind::Jacobian => kinds[0] += 1,
                Kind::Hessian => kinds[1] += 1,
                Kind::Gradient => {}
            }
            for seed in [11u64, 12] {
                match p.check(a, seed) {
                    Ok(r) if r.rel_error < 1e-6 => {}
                    Ok(r) => failures.push(format!("{name}: relative error {:.2e}", r.rel_error)),
                    Err(e) => failures.push(format!("{name}: {e}")),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        kinds[0] >= 20 && kinds[1] >= 20,
        "{} Jacobians, {} Hessians",
        kinds[0],
        kinds[1]
    );
}

#[test]
fn references_agree_and_most_print_exactly() {
    let (mut total, mut exact) = (0, 0);
    let mut differ = Vec::new();
    for (name, src, mut p, answers) in answered() {
        for (wrt, reference) in common::references(&src) {
            let a = answers
                .iter()
                .find(|a| a.question.wrt.ident() == wrt)
                .unwrap_or_else(|| panic!("{name}: no query in {wrt}"));
            let r = p
                .expression(&reference, true, Some(&a.shape))
                .unwrap_or_else(|e| panic!("{name}: reference `{reference}`: {e}"));
            let (inst, _) = valid_instance(&p.graph, 3, &[a.id, r]).expect("instance");
            let (x, y) = (
                eval(&p.graph, &inst, a.id).unwrap(),
                eval(&p.graph, &inst, r).unwrap(),
            );
            assert!(
                x.shape() == y.shape() && (&x - &y).amax() <= 1e-8 * x.amax().max(1.0),
                "{name}: the reference `{reference}` has another value"
            );
            total += 1;
            let printed = p.latex(a, Default::default());
            if common::norm(&printed) == common::norm(&reference) {
                exact += 1;
            } else {
                differ.push(format!(
                    "{name}: printed `{printed}`, reference `{reference}`"
                ));
            }
        }
    }
    eprintln!(
        "{exact}/{total} print the reference form; the rest:\n{}",
        differ.join("\n")
    );
    assert!(total >= 40, "only {total} references");
    assert!(
        exact as f64 >= 0.8 * total as f64,
        "only {exact}/{total}:\n{}",
        differ.join("\n")
    );
}

#[test]
fn printed_answers_parse_back_and_grade_equivalent() {
    for (name, _, mut p, answers) in answered() {
        for a in &answers {
            let printed = p.latex(a, Default::default());
            let v = grade_answer(&mut p, a, &printed)
                .unwrap_or_else(|e| panic!("{name}: `{printed}` does not grade: {e}"));
            assert_eq!(
                v.verdict,
                Judgement::Equivalent,
                "{name}: `{printed}` is not equivalent to itself: {:?}",
                v.diagnosis
            );
        }
    }
}

#[test]
fn derivations_read_the_jacobian_off_the_reverse_pass() {
    for (name, _, mut p, answers) in answered() {
        for a in &answers {
            let s = steps(&mut p, &a.question).unwrap_or_else(|e| panic!("{name}: steps: {e}"));
            assert_eq!(s.kind, a.kind, "{name}");
            assert_eq!(s.answer.latex, p.latex(a, Default::default()), "{name}");
            // A Hessian starts from the gradient; both kinds from a free `v`.
            assert_eq!(s.gradient.is_some(), a.kind == Kind::Hessian, "{name}");
            if a.kind == Kind::Gradient {
                assert!(s.identification.is_none(), "{name}");
                continue;
            }
            assert!(s.seed.latex.ends_with("= v"), "{name}: {}", s.seed.latex);
            assert_eq!(s.path_count, s.paths.len(), "{name}: every path listed");
            // The matrix read off the sum of the paths is the answer.
            let j = s.identification.as_ref().expect("identification");
            let v = grade_answer(&mut p, a, &j.latex)
                .unwrap_or_else(|e| panic!("{name}: `{}` does not grade: {e}", j.latex));
            assert_eq!(
                v.verdict,
                Judgement::Equivalent,
                "{name}: `{}` read off the paths is not the answer",
                j.latex
            );
            for f in [StepsFormat::Latex, StepsFormat::Markdown, StepsFormat::Text] {
                let doc = s.render(f);
                let query = if f == StepsFormat::Text {
                    &s.query.text
                } else {
                    &s.query.latex
                };
                assert!(doc.contains(query.as_str()), "{name}: {doc}");
                assert!(
                    !doc.contains('\u{22c6}'),
                    "{name}: the internal seed leaks: {doc}"
                );
            }
        }
    }
}

/// (fixture, broken answer, expected verdict).
const VARIANTS: &[(&str, &str, Judgement)] = &[
    ("hess-quadratic", "A + A", Judgement::NotEquivalent),
    ("hess-quadratic", "(A + A^T)^T", Judgement::Equivalent),
    ("hess-quadratic-symmetric", "2 S^T", Judgement::Equivalent),
    ("jac-softmax", "\\mathrm{diag}(s)", Judgement::NotEquivalent),
    (
        "jac-softmax-logits",
        "\\mathrm{diag}(s) W - s s^T W",
        Judgement::Equivalent,
    ),
    ("hess-least-squares", "A^T A", Judgement::NotEquivalent),
    (
        "hess-logsumexp",
        "\\mathrm{diag}(\\mathrm{softmax}(x))",
        Judgement::NotEquivalent,
    ),
    ("jac-affine", "A^T", Judgement::ShapeMismatch),
    (
        "jac-tanh-layer",
        "W^T \\mathrm{diag}(1 - h^{\\odot 2})",
        Judgement::ShapeMismatch,
    ),
    ("jac-vec-AXB", "B \\otimes A", Judgement::ShapeMismatch),
    ("jac-vec-AXB", "B^T \\otimes A^T", Judgement::ShapeMismatch),
    ("jac-AXb-wrt-X", "b \\otimes A", Judgement::ShapeMismatch),
    (
        "hess-trace-quadratic",
        "(A + A^T) \\otimes I",
        Judgement::NotEquivalent,
    ),
    (
        "hess-trace-quadratic",
        "I \\otimes A + I \\otimes A^T",
        Judgement::Equivalent,
    ),
    ("hess-trace-square", "2 I", Judgement::NotEquivalent),
    ("jac-vec-transpose", "I", Judgement::NotEquivalent),
    (
        "jac-vec-transpose",
        "\\mathbf{K}_{n,m}",
        Judgement::NotEquivalent,
    ),
    (
        "hess-logdet",
        "-(X^{-1} \\otimes X^{-T})",
        Judgement::NotEquivalent,
    ),
    (
        "hess-logdet",
        "-\\mathbf{K}_{n,n} (X^{-T} \\otimes X^{-1})",
        Judgement::Equivalent,
    ),
    ("jac-vec-outer", "x \\otimes I", Judgement::NotEquivalent),
];

#[test]
fn broken_variants_are_caught() {
    let mut by_name: std::collections::BTreeMap<String, (Problem, Vec<matcalc::Answer>)> =
        answered()
            .into_iter()
            .map(|(n, _, p, a)| (n, (p, a)))
            .collect();
    for (name, answer, want) in VARIANTS {
        let (p, answers) = by_name.get_mut(*name).expect("fixture");
        let q = answers[0].question.clone();
        let v = grade(p, &q, answer).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            v.verdict, *want,
            "{name}: `{answer}` graded {:?} ({:?})",
            v.verdict, v.diagnosis
        );
    }
}

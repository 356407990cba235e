//! Simplification: textbook forms, the token-length goal over the corpus,
//! goals and non-goals of the rules, agreement with the unsimplified
//! derivative, and byte-identical output.

mod common;

use matcalc::internals::token_count;
use matcalc::internals::{provably_equal, Limits};
use matcalc::oracle::eval;
use matcalc::oracle::valid_instance;
use matcalc::Problem;

/// (fixture, variable, printed answer, reference) for every reference.
fn printed_with_references() -> Vec<(String, String, String, String, bool)> {
    let mut out = Vec::new();
    for path in common::fixtures("corpus") {
        let src = std::fs::read_to_string(&path).expect("read");
        let textbook = src.contains("% textbook");
        let mut p = Problem::new(&src).expect("parses");
        let answers = p.answers().expect("answers");
        for (wrt, reference) in common::references(&src) {
            let a = answers
                .iter()
                .rfind(|a| a.question.wrt.ident() == wrt)
                .unwrap_or_else(|| panic!("{}: no query in {wrt}", common::stem(&path)));
            let printed = p.latex(a, Default::default());
            out.push((common::stem(&path), wrt, printed, reference, textbook));
        }
    }
    out
}

#[test]
fn textbook_fixtures_print_the_reference_form() {
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (name, wrt, printed, reference, textbook) in printed_with_references() {
        if textbook {
            checked += 1;
            if common::norm(&printed) != common::norm(&reference) {
                wrong.push(format!(
                    "{name} ∇_{wrt}: printed `{printed}`, the textbook form is `{reference}`"
                ));
            }
        }
    }
    assert!(checked >= 60, "only {checked} textbook fixtures");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn ninety_percent_of_answers_are_no_longer_than_the_reference() {
    let rows = printed_with_references();
    let mut longer = Vec::new();
    for (name, wrt, printed, reference, _) in &rows {
        let (a, r) = (token_count(printed), token_count(reference));
        if a > r {
            longer.push(format!(
                "{name} ∇_{wrt}: {a} tokens `{printed}` vs {r} `{reference}`"
            ));
        }
    }
    let ok = rows.len() - longer.len();
    let share = ok as f64 / rows.len() as f64;
    eprintln!(
        "{ok}/{} answers ({:.1}%) no longer than the reference; the rest:\n{}",
        rows.len(),
        100.0 * share,
        longer.join("\n")
    );
    assert!(
        share >= 0.9,
        "only {:.1}%:\n{}",
        100.0 * share,
        longer.join("\n")
    );
    // Length ratios (tokens printed / tokens of the reference): the
    // median at most 1.0, the 90th percentile at most 1.2.
    let mut ratios: Vec<f64> = rows
        .iter()
        .map(|(_, _, p, r, _)| token_count(p) as f64 / token_count(r).max(1) as f64)
        .collect();
    ratios.sort_by(f64::total_cmp);
    let at = |q: f64| ratios[((ratios.len() - 1) as f64 * q).round() as usize];
    let (median, p90) = (at(0.5), at(0.9));
    eprintln!("length ratio to the reference: median {median:.2}, 90th percentile {p90:.2}");
    assert!(median <= 1.0 && p90 <= 1.2, "median {median}, p90 {p90}");
}

#[test]
fn every_simplified_answer_equals_its_derivative() {
    let mut compared = 0;
    for path in common::fixtures("corpus") {
        let src = std::fs::read_to_string(&path).expect("read");
        let mut p = Problem::new(&src).expect("parses");
        for a in p.answers().expect("answers") {
            for seed in [31u64, 32] {
                let (inst, _) =
                    valid_instance(&p.graph, seed, &[a.id, a.unsimplified]).expect("instance");
                let x = eval(&p.graph, &inst, a.id).expect("simplified evaluates");
                let y = eval(&p.graph, &inst, a.unsimplified).expect("derivative evaluates");
                let err = (&x - &y).norm() / x.norm().max(y.norm()).max(1e-12);
                assert!(
                    err < 1e-9,
                    "{}: simplified differs by {err:e}",
                    common::stem(&path)
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 200);
}

#[test]
fn output_is_deterministic_in_process() {
    let render = || -> Vec<String> {
        common::fixtures("corpus")
            .iter()
            .flat_map(|path| {
                let src = std::fs::read_to_string(path).expect("read");
                let mut p = Problem::new(&src).expect("parses");
                let answers = p.answers().expect("answers");
                answers
                    .iter()
                    .map(|a| p.latex(a, Default::default()))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let first = render();
    for _ in 0..3 {
        assert_eq!(render(), first);
    }
}

const CONTEXT: &str =
    "A, B, X \\in \\mathbb{R}^{n \\times n}\nS \\in \\mathbb{S}^{n}\na, b \\in \\mathbb{R}^{n}\n";

fn provable(lhs: &str, rhs: &str) -> bool {
    let mut p = Problem::new(CONTEXT).expect("context");
    let x = p.expression(lhs, false, None).expect("lhs");
    let y = p.expression(rhs, false, None).expect("rhs");
    provably_equal(&mut p.graph, x, y, &Limits::default())
}

#[test]
fn true_identities_are_proven() {
    let goals = [
        ("(A B)^T", "B^T A^T"),
        ("\\mathrm{tr}(A B)", "\\mathrm{tr}(B A)"),
        ("(A^{-1})^T", "(A^T)^{-1}"),
        ("A^{-1} A b", "b"),
        ("\\mathrm{tr}(a b^T)", "b^T a"),
        ("\\det(A B)", "\\det(A) \\det(B)"),
        ("A b + A a", "A (a + b)"),
        ("S^T", "S"),
        ("\\mathrm{tr}(A^T)", "\\mathrm{tr}(A)"),
        ("(A B)^{-1}", "B^{-1} A^{-1}"),
        ("\\log|A^{-1}|", "-\\log|A|"),
        ("(A a + b)^T \\mathbf{1}", "\\mathbf{1}^T (A a + b)"),
    ];
    for (l, r) in goals {
        assert!(provable(l, r), "could not prove {l} = {r}");
    }
}

#[test]
fn false_identities_are_not_proven() {
    let non_goals = [
        ("\\mathrm{tr}(A B)", "\\mathrm{tr}(A) \\mathrm{tr}(B)"),
        ("(A B)^T", "A^T B^T"),
        ("A B", "B A"),
        ("(A + B)^{-1}", "A^{-1} + B^{-1}"),
        ("A^T", "A"),
        ("\\det(A + B)", "\\det(A) + \\det(B)"),
        ("a b^T", "b a^T"),
    ];
    for (l, r) in non_goals {
        assert!(!provable(l, r), "proved the false identity {l} = {r}");
    }
}

/// The elementwise cancellation pass (simplify/elementwise.rs): each goal
/// prints its expected form, each non-goal is left as the canonical form
/// leaves it, and every output equals its input on random instances.
#[test]
fn elementwise_terms_cancel_only_when_shorter() {
    let context = "X \\in \\mathbb{R}^{n \\times n}\na, b, c, y \\in \\mathbb{R}^{n}\n";
    let cases = [
        // binary cross-entropy through a sigmoid
        (
            "X^T (\\sigma(a) \\odot (\\mathbf{1} - y)) - X^T ((\\mathbf{1} - \\sigma(a)) \\odot y)",
            "X^T (\\sigma(a) - y)",
        ),
        // a common factor behind, and a row that reads better as a column
        (
            "(a^T \\odot (1 - y^T)) \\mathbf{1} - ((1 - a^T) \\odot y^T) \\mathbf{1}",
            "\\mathbf{1}^T (a - y)",
        ),
        (
            "(a \\odot b + a) \\odot c - a \\odot b \\odot c",
            "a \\odot c",
        ),
        // a 1×1 factor of every term goes in front of the whole term
        (
            "X^T (\\frac{1}{n} a \\odot (1 - y)) - X^T (\\frac{1}{n} (1 - a) \\odot y)",
            "\\frac{1}{n} X^T (a - y)",
        ),
        (
            "(a + b)^{\\odot 2} - a \\odot a - b \\odot b",
            "2 a \\odot b",
        ),
        // shared factors taken out without expanding
        ("a \\odot X b - a \\odot X c", "a \\odot X (b - c)"),
        // non-goals: nothing cancels, so the factored forms stay
        (
            "\\sigma(a) \\odot (\\mathbf{1} - \\sigma(a))",
            "\\sigma(a) \\odot (1 - \\sigma(a))",
        ),
        (
            "X^T (a \\odot b) + X (a \\odot c)",
            "X^T (a \\odot b) + X (a \\odot c)",
        ),
    ];
    for (input, want) in cases {
        let (out, err, code) = common::run(&["simplify", "-e", &format!("{context}{input}")], None);
        assert_eq!(code, 0, "{input}: {err}");
        assert_eq!(out.trim(), want, "{input}");
        let mut p = Problem::new(context).expect("context");
        let x = p.expression(input, false, None).expect("input");
        let y = p
            .expression(out.trim(), false, None)
            .expect("output reads back");
        for seed in [5u64, 6] {
            let (inst, _) = valid_instance(&p.graph, seed, &[x, y]).expect("instance");
            let (u, v) = (
                eval(&p.graph, &inst, x).expect("input"),
                eval(&p.graph, &inst, y).expect("output"),
            );
            let err = (&u - &v).norm() / u.norm().max(1e-12);
            assert!(err < 1e-12, "{input} = {}: differs by {err:e}", out.trim());
        }
    }
}

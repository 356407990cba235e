//! Properties: random well-shaped expressions differentiate correctly
//! (finite differences agree), and random or mutated text never panics and
//! always ends.

mod common;

use matcalc::ErrorKind;
use matcalc::Problem;
use proptest::prelude::*;

/// A random n×n matrix expression over A, B (constants) and X (the variable).
fn mat_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("X".to_string()),
        Just("X^T".to_string()),
        Just("A".to_string()),
        Just("B^T".to_string()),
        Just("I".to_string()),
    ];
    leaf.prop_recursive(3, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} + {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} - {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} \\odot {b})")),
            inner.clone().prop_map(|a| format!("({a})^T")),
            inner.clone().prop_map(|a| format!("\\alpha ({a})")),
            inner
                .clone()
                .prop_map(|a| format!("\\frac{{1}}{{2}} ({a})")),
            inner.clone().prop_map(|a| format!("\\tanh({a})")),
            inner.clone().prop_map(|a| format!("\\sigma({a})")),
            inner.clone().prop_map(|a| format!("\\sin({a})")),
            inner
                .clone()
                .prop_map(|a| format!("(X + 3 I)^{{-1}} ({a})")),
            inner.prop_map(|a| format!("({a})^2")),
        ]
    })
}

/// A scalar objective of a matrix expression.
fn objective() -> impl Strategy<Value = String> {
    (mat_expr(), 0..7usize).prop_map(|(m, k)| match k {
        0 => format!("\\mathrm{{tr}}({m})"),
        1 => format!("u^T ({m}) \\mathbf{{1}}"),
        2 => format!("\\|{m}\\|_F^2"),
        3 => format!("\\mathrm{{sum}}(\\exp(\\frac{{1}}{{4}} ({m})))"),
        4 => format!("\\log|{m} + 9 I|"),
        5 => format!("\\mathrm{{logsumexp}}(\\mathrm{{vec}}({m}))"),
        _ => format!("\\mathrm{{tr}}(({m}) \\otimes A)"),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, rng_seed: proptest::test_runner::RngSeed::Fixed(20261123), .. ProptestConfig::default() })]

    #[test]
    fn random_expressions_agree_with_finite_differences(obj in objective(), seed in 0u64..1000) {
        let doc = format!(
            "X, A, B \\in \\mathbb{{R}}^{{n \\times n}}\nu \\in \\mathbb{{R}}^{{n}}\n\\alpha \\in \\mathbb{{R}}\nf = {obj}\n\\nabla_X f"
        );
        let mut p = Problem::new(&doc).unwrap_or_else(|e| panic!("{doc}\n{e}"));
        let a = p.answers().map_err(|e| TestCaseError::fail(format!("{doc}\n{e}")))?.remove(0);
        match p.check(&a, seed) {
            Ok(r) => prop_assert!(r.rel_error < 1e-5, "{doc}\nrelative error {}", r.rel_error),
            // An instance where the objective is undefined everywhere tried: skip.
            Err(e) if e.kind == ErrorKind::Domain => {}
            Err(e) => panic!("{doc}\n{e}"),
        }
    }
}

fn corpus_texts() -> Vec<String> {
    common::fixtures("corpus")
        .into_iter()
        .chain(common::fixtures("valid"))
        .map(|p| std::fs::read_to_string(p).expect("read"))
        .collect()
}

const TOKENS: &[&str] = &[
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "|",
    "\\|",
    "^",
    "_",
    "^T",
    "^{-1}",
    "\\frac",
    "\\odot",
    "\\otimes",
    "\\mathrm{tr}",
    "\\log",
    "\\det",
    "\\sigma",
    "\\nabla_",
    "\\partial",
    "=",
    ",",
    ";",
    "\\\\",
    "\n",
    "\\in",
    "\\mathbb{R}^{",
    "\\times",
    "-",
    "+",
    "'",
    "0",
    "1",
    "2",
    "e",
    "I",
    "x",
    "W",
    "\\mathbf{1}",
    "\\sqrt",
    "\\left(",
    "\\right)",
    "%",
    "$",
    "&",
    "\\foo",
    "é",
    "\u{0}",
    "\\alpha",
    "^{\\odot",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, rng_seed: proptest::test_runner::RngSeed::Fixed(20261123), .. ProptestConfig::default() })]

    #[test]
    fn mutated_documents_never_panic(
        doc in 0usize..1000,
        edits in proptest::collection::vec((0usize..10_000, 0usize..TOKENS.len(), 0u8..3), 1..6),
    ) {
        let texts = corpus_texts();
        let text = mutate(&texts[doc % texts.len()], &edits, 8);
        run_everything(&text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        run_everything(&text);
    }
}

/// Apply edits to `text`: insert a token, delete a few characters, or
/// duplicate a segment of `dup` characters.
fn mutate(text: &str, edits: &[(usize, usize, u8)], dup: usize) -> String {
    let mut s: Vec<char> = text.chars().collect();
    for &(pos, tok, kind) in edits {
        let at = if s.is_empty() { 0 } else { pos % (s.len() + 1) };
        match kind {
            0 => {
                let t: Vec<char> = TOKENS[tok].chars().collect();
                s.splice(at..at, t);
            }
            1 => {
                let end = (at + 1 + tok % 5).min(s.len());
                if at < end {
                    s.drain(at..end);
                }
            }
            _ => {
                let end = (at + dup).min(s.len());
                let seg: Vec<char> = s[at..end].to_vec();
                s.splice(at..at, seg);
            }
        }
    }
    s.into_iter().collect()
}

/// The whole pipeline; any outcome but a panic is fine.
fn run_everything(text: &str) {
    if let Ok(mut p) = Problem::new(text) {
        if let Ok(answers) = p.answers() {
            for a in &answers {
                let _ = p.latex(a, Default::default());
                let _ = p.text(a);
                let _ = p.check(a, 1);
            }
        }
    }
}

const HOMEWORK: [&str; 3] = [
    include_str!("../examples/autoencoder.tex"),
    include_str!("../examples/gplvm.tex"),
    include_str!("../examples/swish-mlp.tex"),
];

fn key_answers() -> Vec<String> {
    common::answer_key()
        .lines()
        .filter_map(|l| l.strip_prefix("latex = '"))
        .map(|l| l.trim_end_matches('\'').to_string())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, rng_seed: proptest::test_runner::RngSeed::Fixed(20261123), .. ProptestConfig::default() })]

    #[test]
    fn grading_mutated_answers_never_panics(
        which in 0usize..100,
        problem in 0usize..3,
        edits in proptest::collection::vec((0usize..10_000, 0usize..TOKENS.len(), 0u8..3), 0..4),
    ) {
        let answers = key_answers();
        let answer = mutate(&answers[which % answers.len()], &edits, 6);
        let mut p = Problem::new(HOMEWORK[problem]).expect("homework parses");
        for q in p.questions() {
            // Any verdict or error is fine; a panic is not.
            let _ = matcalc::grade(&mut p, &q, &answer);
        }
    }
}

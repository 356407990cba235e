//! Seeded random differential test: a few hundred generated problems, each
//! with an independent evaluation of its objective (examples/difftest/gen/),
//! checked against matcalc's gradients by finite differences, plus the round
//! trip of every printed answer. Deterministic; writes nothing.
//!
//! The long run is `cargo run --release --example difftest -- --count 20000`.

#[path = "../examples/difftest/check.rs"]
mod check;
#[path = "../examples/difftest/engine.rs"]
mod engine;
#[path = "../examples/difftest/gen/mod.rs"]
mod gen;

use check::{judge, Class};

const COUNT: u64 = 300;
const SEED: u64 = 20_261_123;

#[test]
fn random_problems_have_correct_gradients_and_round_trip() {
    engine::silence_panics();
    let mut failures = Vec::new();
    let mut refused = 0u64;
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    for i in 0..COUNT {
        let g = gen::Generator::problem(SEED.wrapping_mul(1_000_003).wrapping_add(i));
        let j = judge(&g, false);
        for (c, _) in &j.failures {
            *counts.entry(c.tag()).or_default() += 1;
        }
        if j.failures.is_empty() {
            continue;
        }
        if j.failures
            .iter()
            .any(|(c, _)| matches!(c, Class::Refused(_)))
        {
            refused += 1;
        }
        let detail: Vec<String> = j
            .failures
            .iter()
            .map(|(c, d)| format!("  {}: {d}", c.tag()))
            .collect();
        failures.push(format!(
            "--- problem {i}\n{}\n{}",
            detail.join("\n"),
            g.latex()
        ));
    }
    let hard: Vec<&String> = failures
        .iter()
        .filter(|f| !f.contains("\n  refused: "))
        .collect();
    let refused_share = refused as f64 / COUNT as f64;
    assert!(
        hard.is_empty() && refused_share < 0.01,
        "{} of {COUNT} problems failed (by class: {counts:?}; refused {:.1}%, must be < 1%):\n{}",
        failures.len(),
        refused_share * 100.0,
        failures.join("\n")
    );
}

//! Each homework problem from text to printed answers (parse, shapes, graph,
//! derivative, simplification, LaTeX), and the numeric check.

use criterion::{criterion_group, criterion_main, Criterion};
use matcalc::Problem;

const PROBLEMS: [(&str, &str); 3] = [
    ("autoencoder", include_str!("../examples/autoencoder.tex")),
    ("gplvm", include_str!("../examples/gplvm.tex")),
    ("swish-mlp", include_str!("../examples/swish-mlp.tex")),
];

fn parse_to_print(src: &str) -> Vec<String> {
    let mut p = Problem::new(src).expect("example parses");
    let answers = p.answers().expect("example answers");
    answers
        .iter()
        .map(|a| p.latex(a, Default::default()))
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse-to-print");
    for (name, src) in PROBLEMS {
        g.bench_function(name, |b| {
            b.iter(|| parse_to_print(std::hint::black_box(src)))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("check");
    g.sample_size(20);
    for (name, src) in PROBLEMS {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut p = Problem::new(src).expect("parses");
                let answers = p.answers().expect("answers");
                answers
                    .iter()
                    .map(|a| p.check(a, 1).map(|r| r.rel_error).unwrap_or(f64::NAN))
                    .sum::<f64>()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

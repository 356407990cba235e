//! The scaling series of issue 3: an L-layer tanh net, `z_i = W_i h_{i-1} + b_i`,
//! `h_i = \tanh(z_i)`, squared-error loss, gradient with respect to `W_1`,
//! for L = 2, 4, 8, 16, 32 (derivation and simplification, parse to print).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use matcalc::Problem;

include!("families.rs");

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("layers");
    g.sample_size(10);
    for l in [2usize, 4, 8, 16, 32] {
        let src = layered(l);
        g.bench_with_input(BenchmarkId::from_parameter(l), &src, |b, src| {
            b.iter(|| {
                let mut p = Problem::new(src).expect("parses");
                let a = p.answers().expect("answers");
                p.latex(&a[0], Default::default())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

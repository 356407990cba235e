//! The scaling families (benches/families.rs): layered and shared-weight
//! tanh nets, wide sums, product chains and definition chains, each at two
//! sizes an octave apart (parse, derive, simplify, verify, print), and the
//! layered net for L = 2 to 32. The full sizes are in
//! `cargo run --release --example scaling`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use matcalc::Problem;

include!("families.rs");

fn answer(src: &str) -> String {
    let mut p = Problem::new(src).expect("parses");
    let a = p.answers().expect("answers");
    p.latex(&a[0], Default::default())
}

fn layers(c: &mut Criterion) {
    let mut g = c.benchmark_group("layers");
    g.sample_size(10);
    for l in [2usize, 4, 8, 16, 32] {
        let src = layered(l);
        g.bench_with_input(BenchmarkId::from_parameter(l), &src, |b, src| {
            b.iter(|| answer(src))
        });
    }
    g.finish();
}

fn families(c: &mut Criterion) {
    for (name, make, full) in FAMILIES {
        let mut g = c.benchmark_group(name);
        g.sample_size(10);
        for n in [full / 16, full / 8] {
            let src = make(n);
            g.bench_with_input(BenchmarkId::from_parameter(n), &src, |b, src| {
                b.iter(|| answer(src))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, layers, families);
criterion_main!(benches);

//! The scaling series of issue 3: an L-layer tanh net, `z_i = W_i h_{i-1} + b_i`,
//! `h_i = \tanh(z_i)`, squared-error loss, gradient with respect to `W_1`,
//! for L = 2, 4, 8, 16, 32 (derivation and simplification, parse to print).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use matcalc::Problem;

/// The L-layer problem document.
pub fn layered(l: usize) -> String {
    let mut s = String::from("x, y \\in \\mathbb{R}^{D}\n");
    for i in 1..=l {
        s.push_str(&format!(
            "W_{{{i}}} \\in \\mathbb{{R}}^{{D \\times D}}, b_{{{i}}} \\in \\mathbb{{R}}^{{D}}\n"
        ));
    }
    s.push_str("z_{1} = W_{1} x + b_{1}\nh_{1} = \\tanh(z_{1})\n");
    for i in 2..=l {
        s.push_str(&format!(
            "z_{{{i}}} = W_{{{i}}} h_{{{}}} + b_{{{i}}}\nh_{{{i}}} = \\tanh(z_{{{i}}})\n",
            i - 1
        ));
    }
    s.push_str(&format!("L = \\|h_{{{l}}} - y\\|^2\n\\nabla_{{W_1}} L\n"));
    s
}

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

//! Prints the L-layer scaling table (time, graph and e-graph size per L).
//! `cargo run --release --example scaling`

use matcalc::Problem;
use std::time::Instant;

include!("../benches/families.rs");

fn main() {
    println!("| L | time (ms, best of 5) | graph nodes | e-graph nodes | stop |");
    println!("|---|---|---|---|---|");
    for l in [2usize, 4, 8, 16, 32] {
        let src = layered(l);
        let mut best = f64::INFINITY;
        let mut row = (0, 0, String::new());
        for _ in 0..5 {
            let t = Instant::now();
            let mut p = Problem::new(&src).expect("parses");
            let a = p.answers().expect("answers");
            let _ = p.latex(&a[0], Default::default());
            best = best.min(t.elapsed().as_secs_f64() * 1e3);
            row = (p.graph.len(), a[0].egraph_nodes, a[0].simplify_stop.clone());
        }
        println!("| {l} | {best:.2} | {} | {} | {} |", row.0, row.1, row.2);
    }
}

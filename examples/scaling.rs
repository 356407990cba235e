//! Prints the scaling table of each family in benches/families.rs: size,
//! time of a whole answer (parse, derive, simplify, verify, print; best of
//! 3), graph nodes, e-graph nodes and answer length, then the exponent of a
//! least-squares fit of log time on log size per family.
//! `cargo run --release --example scaling`

use matcalc::Problem;
use std::time::Instant;

include!("../benches/families.rs");

fn main() {
    // The engine's stack, as the binary gives it: answers nest as deep as
    // the documents' definition chains.
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(table)
        .expect("thread")
        .join()
        .expect("table");
}

fn table() {
    println!(
        "| family | size | time (ms, best of 3) | graph nodes | e-graph nodes | answer (bytes) |"
    );
    println!("|---|---|---|---|---|---|");
    let mut fits = Vec::new();
    let mut families = FAMILIES.to_vec();
    families[0].2 = 1000;
    for (name, make, full) in families {
        let mut points = Vec::new();
        for n in [full / 8, full / 4, full / 2, full] {
            let src = make(n);
            let mut best = f64::INFINITY;
            let mut row = (0, 0, 0);
            for _ in 0..3 {
                let t = Instant::now();
                let mut p = Problem::new(&src).expect("parses");
                let a = p.answers().expect("answers");
                let text = p.latex(&a[0], Default::default());
                best = best.min(t.elapsed().as_secs_f64() * 1e3);
                row = (p.graph.len(), a[0].egraph_nodes, text.len());
            }
            println!(
                "| {name} | {n} | {best:.1} | {} | {} | {} |",
                row.0, row.1, row.2
            );
            points.push(((n as f64).ln(), best.ln()));
        }
        let k = points.len() as f64;
        let (mx, my) = (
            points.iter().map(|p| p.0).sum::<f64>() / k,
            points.iter().map(|p| p.1).sum::<f64>() / k,
        );
        let slope = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>()
            / points.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>();
        fits.push((name, slope));
    }
    println!();
    println!("| family | fitted exponent (time ~ size^k) |");
    println!("|---|---|");
    for (name, k) in fits {
        println!("| {name} | {k:.2} |");
    }
}

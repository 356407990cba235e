//! Random differential tester for matcalc.
//!
//!     cargo run --release --example difftest -- --count 20000 --seed N \
//!         [--failures DIR] [--numpy-every K] [--shrink N] [--verbose]
//!
//! Generates random well-shaped problems (gen/) together with an
//! independent evaluation of the objective, asks matcalc for the gradients
//! (engine.rs, the only module that touches the library), and compares them
//! with Richardson central differences of the independent evaluation; then
//! round-trips every printed answer (parse back, value, grade against
//! itself) and, every K-th problem, runs the NumPy output under python3.

mod check;
mod engine;
mod gen;

use check::{judge, shrink, Class, Judged};
use gen::{Gen, Generator};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

struct Args {
    count: u64,
    seed: u64,
    failures: String,
    numpy_every: u64,
    shrink: usize,
    verbose: bool,
}

fn args() -> Args {
    let mut a = Args {
        count: 2000,
        seed: 1,
        failures: "target/difftest-failures".into(),
        numpy_every: 50,
        shrink: 10,
        verbose: false,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < v.len() {
        let val = || v.get(i + 1).cloned().unwrap_or_default();
        match v[i].as_str() {
            "--count" => a.count = val().parse().expect("--count N"),
            "--seed" => a.seed = val().parse().expect("--seed N"),
            "--failures" => a.failures = val(),
            "--numpy-every" => a.numpy_every = val().parse().expect("--numpy-every K"),
            "--shrink" => a.shrink = val().parse().expect("--shrink N"),
            "--verbose" => {
                a.verbose = true;
                i += 1;
                continue;
            }
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    a
}

fn header(g: &Gen, j: &Judged, what: &str) -> String {
    let mut s = format!(
        "% difftest: {what}\n% problem seed {} ({})\n",
        g.seed,
        g.summary()
    );
    for (c, d) in &j.failures {
        for line in format!("{}: {d}", c.tag()).lines() {
            s.push_str(&format!("%   {line}\n"));
        }
    }
    for a in &j.answers {
        s.push_str(&format!(
            "%   engine: \\nabla_{{{}}} = {}\n",
            a.wrt, a.latex
        ));
    }
    s
}

fn write_failure(dir: &str, name: &str, text: &str) {
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(format!("{dir}/{name}.tex"), text);
}

struct NumpyCase {
    id: u64,
    text: String,
    g: Gen,
}

/// Run a batch of NumPy cases in one python3 process; returns failures (id, line).
fn run_numpy(cases: &[NumpyCase], dir: &str) -> Vec<(u64, String)> {
    if cases.is_empty() {
        return vec![];
    }
    let mut script = String::from(check::PY_RUNNER);
    script.push_str("\ncases = [\n");
    for c in cases {
        script.push_str(&c.text);
        script.push_str(",\n");
    }
    script.push_str("]\nrun(cases)\n");
    let _ = std::fs::create_dir_all(dir);
    let path = format!("{dir}/numpy-batch.py");
    std::fs::write(&path, &script).expect("write numpy batch");
    let out = std::process::Command::new("python3").arg(&path).output();
    let mut fails = vec![];
    match out {
        Ok(o) => {
            let stdout = String::from_utf8_lossy(&o.stdout);
            for line in stdout.lines() {
                let mut parts = line.splitn(3, ' ');
                let id: u64 = parts.next().and_then(|x| x.parse().ok()).unwrap_or(0);
                let rest: Vec<&str> = parts.collect();
                if rest.get(1).is_some_and(|r| r.starts_with("FAIL")) {
                    fails.push((id, line.to_string()));
                }
            }
            if !o.status.success() {
                fails.push((
                    0,
                    format!("python3 failed: {}", String::from_utf8_lossy(&o.stderr)),
                ));
            }
        }
        Err(e) => fails.push((0, format!("python3 did not run: {e}"))),
    }
    fails
}

fn numpy_case(id: u64, g: &Gen, j: &Judged) -> Option<NumpyCase> {
    let module = match &j.numpy {
        Some(Ok(m)) => m.clone(),
        _ => return None,
    };
    let vals = g.values_by_ident();
    let inputs: Vec<String> = vals
        .iter()
        .map(|(k, v)| {
            let scalar = v.nrows() == 1 && v.ncols() == 1 && !k.starts_with("o_");
            format!("{k:?}: {}", check::py_value(v, scalar))
        })
        .collect();
    let dims: Vec<String> = g
        .sizes()
        .iter()
        .map(|(k, v)| format!("{k:?}: {v}"))
        .collect();
    let mut fns = vec![];
    for a in &j.answers {
        let Ok(v) = &a.value else { continue };
        let vi = g.vars.iter().position(|x| x.ident == a.wrt)?;
        let scalar = g.vars[vi].shape.is_scalar();
        fns.push(format!(
            "({:?}, {}, {})",
            a.py_fn,
            check::py_value(v, false),
            if scalar { "True" } else { "False" }
        ));
    }
    let text = format!(
        "({id}, {module:?}, {{{}}}, {{{}}}, [{}])",
        inputs.join(", "),
        dims.join(", "),
        fns.join(", ")
    );
    Some(NumpyCase {
        id,
        text,
        g: g.clone(),
    })
}

fn main() {
    let a = args();
    engine::silence_panics();
    let t0 = Instant::now();
    let mut counts: BTreeMap<String, u64> = [
        "ok",
        "wrong",
        "panic",
        "internal",
        "roundtrip",
        "numpy",
        "refused",
    ]
    .iter()
    .map(|k| (k.to_string(), 0))
    .collect();
    let mut refusals: BTreeMap<String, u64> = BTreeMap::new();
    let mut coverage: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut shrunk_per_class: BTreeMap<String, usize> = BTreeMap::new();
    let mut skipped = 0u64;
    let mut pending: Vec<NumpyCase> = vec![];
    let mut numpy_checked = 0u64;
    let mut slowest = (0.0f64, 0u64);
    let every = a.numpy_every.max(1);
    let mut minimal: Vec<(Class, String, String, u64)> = vec![];
    for i in 0..a.count {
        let pseed = a.seed.wrapping_mul(1_000_003).wrapping_add(i);
        let g = Generator::problem(pseed);
        for f in g.features() {
            *coverage.entry(f).or_default() += 1;
        }
        let want_numpy = i % every == every - 1;
        let t = Instant::now();
        let j = judge(&g, want_numpy);
        let dt = t.elapsed().as_secs_f64();
        if dt > slowest.0 {
            slowest = (dt, pseed);
        }
        skipped += j.skipped as u64;
        if want_numpy {
            if let Some(c) = numpy_case(pseed, &g, &j) {
                numpy_checked += 1;
                pending.push(c);
            }
        }
        match j.primary() {
            None => *counts.entry("ok".into()).or_default() += 1,
            Some(c) => {
                *counts.entry(c.tag()).or_default() += 1;
                if let Class::Refused(r) = c {
                    *refusals.entry(r.clone()).or_default() += 1;
                }
                // also count secondary classes
                let mut seen = vec![c.tag()];
                for (k, _) in &j.failures {
                    if !seen.contains(&k.tag()) {
                        seen.push(k.tag());
                        *counts.entry(format!("{} (also)", k.tag())).or_default() += 1;
                    }
                }
                let tag = c.tag();
                let doc = g.latex();
                write_failure(
                    &a.failures,
                    &format!("{tag}-{pseed}"),
                    &format!("{}{doc}", header(&g, &j, &tag)),
                );
                if a.verbose {
                    eprintln!(
                        "[{i}] {tag}: {}",
                        j.failures[0].1.lines().next().unwrap_or("")
                    );
                }
                let key = match c {
                    Class::Refused(r) => format!("refused {r}"),
                    _ => tag.clone(),
                };
                let n = shrunk_per_class.entry(key).or_default();
                if *n < a.shrink {
                    *n += 1;
                    let (small, _runs) = shrink(&g, c, 150);
                    let js = judge(&small, false);
                    let detail = js
                        .failures
                        .iter()
                        .find(|(k, _)| k == c)
                        .map(|(_, d)| d.clone())
                        .unwrap_or_default();
                    minimal.push((c.clone(), small.latex(), detail, pseed));
                    write_failure(
                        &a.failures,
                        &format!("{tag}-{pseed}-min"),
                        &format!(
                            "{}{}",
                            header(&small, &js, &format!("{tag} (shrunk)")),
                            small.latex()
                        ),
                    );
                }
            }
        }
        if pending.len() >= 40 || (i + 1 == a.count && !pending.is_empty()) {
            for (id, line) in run_numpy(&pending, &a.failures) {
                *counts.entry("numpy".into()).or_default() += 1;
                if let Some(c) = pending.iter().find(|c| c.id == id) {
                    write_failure(
                        &a.failures,
                        &format!("numpy-{id}"),
                        &format!("% difftest: numpy\n% {line}\n{}", c.g.latex()),
                    );
                } else {
                    eprintln!("numpy: {line}");
                }
            }
            pending.clear();
        }
        if (i + 1) % 500 == 0 {
            eprint!("\r{} problems, {:.0}s", i + 1, t0.elapsed().as_secs_f64());
            let _ = std::io::stderr().flush();
        }
    }
    eprintln!();
    let total = a.count.max(1) as f64;
    println!(
        "difftest: {} problems from seed {} in {:.1}s (slowest {:.2}s, problem seed {})",
        a.count,
        a.seed,
        t0.elapsed().as_secs_f64(),
        slowest.0,
        slowest.1
    );
    println!("\noutcomes (primary class per problem; numpy counts failing functions in {numpy_checked} problems checked):");
    for (k, v) in &counts {
        println!("  {k:<20} {v:>7}  {:>6.2}%", *v as f64 * 100.0 / total);
    }
    println!("  answers not checked (finite differences left the domain): {skipped}");
    println!("\nrefusals by reason:");
    let mut rs: Vec<_> = refusals.iter().collect();
    rs.sort_by(|a, b| b.1.cmp(a.1));
    for (r, n) in rs {
        println!("  {n:>6}  {r}");
    }
    println!("\ncoverage (share of problems using each feature):");
    let mut low = vec![];
    for (f, n) in &coverage {
        let share = *n as f64 * 100.0 / total;
        println!("  {f:<28} {share:>6.2}%");
        if share < 1.0 {
            low.push(*f);
        }
    }
    if !low.is_empty() {
        println!("features under 1%: {low:?}");
    }
    // One file with every shrunk reproducer, smallest first per class, deduplicated.
    minimal.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.len().cmp(&y.1.len())));
    let mut seen = std::collections::BTreeSet::new();
    let mut summary = String::from("# difftest: shrunk reproducers, smallest first per class\n");
    for (c, doc, detail, pseed) in &minimal {
        if !seen.insert(doc.clone()) {
            continue;
        }
        let tag = match c {
            Class::Refused(r) => format!("refused ({r})"),
            _ => c.tag(),
        };
        summary.push_str(&format!(
            "\n## {tag}, problem {pseed}\n% {}\n{doc}",
            detail.lines().next().unwrap_or("")
        ));
    }
    let _ = std::fs::create_dir_all(&a.failures);
    let _ = std::fs::write(format!("{}/summary.md", a.failures), summary);
    println!(
        "\nfailing documents in {} (shrunk reproducers: summary.md)",
        a.failures
    );
}

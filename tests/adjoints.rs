//! Every node's adjoint in a derivation (`steps --format json`, `adjoint`)
//! is `∂(objective)/∂(node)`: checked against central finite differences of
//! the objective in that node, on the homework and the corpus.
//!
//! The check is independent of differentiation: the derivation's own nodes
//! (`z_1 = W x`, …) are written out as a document of definitions, which the
//! oracle evaluates from its checked syntax tree; the node is perturbed by
//! overriding its definition (an input, by changing its sampled value), and
//! the adjoint's LaTeX is read back and evaluated by the same oracle.

mod common;

use matcalc::oracle::{valid_instance, Instance, Oracle};
use matcalc::{steps, Kind, Name, Problem};
use nalgebra::DMatrix;
use std::collections::BTreeMap;

type M = DMatrix<f64>;

/// The document's declarations and function definitions, without its
/// definitions and queries (the derivation's nodes replace them).
fn declarations(text: &str) -> String {
    text.lines()
        .filter(|l| {
            let l = l.trim();
            if l.starts_with('%') || l.is_empty() {
                return false;
            }
            match l.split_once('=') {
                // A function definition: `\mathrm{swish}(k) = …`.
                Some((lhs, _)) => lhs.contains('('),
                None => l.contains("\\in"),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `objective(overrides)` on `inst`.
fn objective(p: &Problem, inst: &Instance, of: &Name, over: &BTreeMap<Name, M>) -> Option<f64> {
    let v = Oracle::new(&p.typed, inst, over).def(of).ok()?;
    (v.len() == 1).then(|| v[(0, 0)])
}

/// Check every node's adjoint of every gradient of `text`; the number of
/// nodes checked.
fn check(label: &str, text: &str) -> usize {
    let Ok(mut p) = Problem::new(text) else {
        return 0;
    };
    let mut checked = 0;
    for q in p.questions() {
        let Ok(s) = steps(&mut p, &q) else {
            continue;
        };
        if s.kind != Kind::Gradient {
            continue;
        }
        // The derivation's graph as a document of definitions.
        let mut doc = declarations(text);
        // (An input written otherwise than its name is a named upstream
        // gradient, `g = \frac{\partial L}{\partial z}`: defined too.)
        for n in s
            .nodes
            .iter()
            .filter(|n| n.role != "input" || n.latex != n.name_latex)
        {
            doc.push_str(&format!("\n{} = {}", n.name_latex, n.latex));
        }
        let mut d = Problem::new(&doc).unwrap_or_else(|e| {
            panic!(
                "{label}: the nodes of ∇_{} {} do not read back: {e:?}\n{doc}",
                s.wrt, s.of
            )
        });
        let of = Name::from_cli(&s.of).expect("objective name");
        let root = d.graph.def_node(&of).expect("objective defined");
        let Ok((inst, _)) = valid_instance(&d.graph, 7, &[root]) else {
            continue;
        };
        let none = BTreeMap::new();
        for n in &s.nodes {
            let Some(adjoint) = &n.adjoint else { continue };
            let name = Name::from_cli(&n.name).expect("node name");
            let input = n.role == "input" && n.latex == n.name_latex;
            // The node's value at the instance.
            let x0 = if input {
                match inst.values.get(&name) {
                    Some(v) => v.clone(),
                    None => continue, // a dimension
                }
            } else {
                Oracle::new(&d.typed, &inst, &none)
                    .def(&name)
                    .unwrap_or_else(|e| panic!("{label}: {} has no value: {e:?}", n.name))
            };
            // The adjoint, read back and evaluated.
            let parsed = matcalc::internals::parse_expression(adjoint).unwrap_or_else(|e| {
                panic!(
                    "{label}: adjoint of {} unreadable: {adjoint}: {e:?}",
                    n.name
                )
            });
            // Read as an answer is: with the node's shape expected (an
            // `\mathrm{unvec}` takes its shape from it).
            let shape = match d.graph.def_node(&name) {
                Some(id) => d.graph.shape(id).clone(),
                None => d
                    .graph
                    .vars
                    .get(&name)
                    .map(|v| v.shape.clone())
                    .expect("input"),
            };
            let (t, typed) = d
                .typed
                .type_expr(&parsed, false, Some(&shape))
                .unwrap_or_else(|e| {
                    panic!(
                        "{label}: adjoint of {} does not type: {adjoint}: {e:?}",
                        n.name
                    )
                });
            let a = Oracle::new(&typed, &inst, &none)
                .eval(&t)
                .unwrap_or_else(|e| panic!("{label}: adjoint of {} fails: {e:?}", n.name));
            let a = if a.len() == 1 && x0.len() > 1 {
                // A scalar adjoint of a matrix node is a broadcast (never
                // printed so); keep the comparison honest.
                panic!("{label}: scalar adjoint {adjoint} of non-scalar {}", n.name)
            } else {
                a
            };
            assert_eq!(
                a.shape(),
                x0.shape(),
                "{label}: adjoint of {} ({adjoint}) has the wrong shape",
                n.name
            );
            let at = |x: &M| -> Option<f64> {
                if input {
                    let mut i2 = inst.clone();
                    i2.values.insert(name.clone(), x.clone());
                    objective(&d, &i2, &of, &none)
                } else {
                    let over = BTreeMap::from([(name.clone(), x.clone())]);
                    objective(&d, &inst, &of, &over)
                }
            };
            // Central differences, entry by entry (the first 40).
            for k in 0..x0.len().min(40) {
                let (r, c) = (k % x0.nrows(), k / x0.nrows());
                let h = 1e-6 * x0[(r, c)].abs().max(1.0);
                let (mut xp, mut xm) = (x0.clone(), x0.clone());
                xp[(r, c)] += h;
                xm[(r, c)] -= h;
                let (Some(lp), Some(lm)) = (at(&xp), at(&xm)) else {
                    continue;
                };
                let fd = (lp - lm) / (2.0 * h);
                let scale = a.amax().max(fd.abs()).max(1.0);
                assert!(
                    (fd - a[(r, c)]).abs() <= 1e-4 * scale,
                    "{label}: ∂{}/∂{} at ({r}, {c}): adjoint {adjoint} gives {}, finite differences {fd}",
                    s.of,
                    n.name,
                    a[(r, c)]
                );
            }
            checked += 1;
        }
    }
    checked
}

#[test]
fn homework_adjoints_agree_with_finite_differences() {
    let mut total = 0;
    for id in ["autoencoder", "gplvm", "swish-mlp"] {
        let path = format!("{}/examples/{id}.tex", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).expect("example");
        let n = check(id, &text);
        assert!(n >= 5, "{id}: only {n} adjoints checked");
        total += n;
    }
    eprintln!("homework: {total} adjoints checked");
    assert!(total >= 40, "{total}");
}

#[test]
fn corpus_adjoints_agree_with_finite_differences() {
    let mut total = 0;
    let mut docs = 0;
    for f in common::fixtures("corpus")
        .into_iter()
        .chain(common::fixtures("derivatives"))
    {
        let text = std::fs::read_to_string(&f).expect("fixture");
        let n = check(&common::stem(&f), &text);
        if n > 0 {
            docs += 1;
        }
        total += n;
    }
    eprintln!("corpus: {total} adjoints checked in {docs} documents");
    // Most of the corpus is gradients; each checks every node it has.
    assert!(docs >= 80, "only {docs} corpus documents checked");
    assert!(total >= 400, "only {total} adjoints checked");
}

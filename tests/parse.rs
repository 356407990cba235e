//! One valid fixture per row of docs/LANGUAGE.md's tables. Each parses and
//! type-checks; names on a `% same:` line (different spellings of one thing)
//! evaluate to the same value; every definition prints to LaTeX that parses
//! back to the same value; the typed definitions are an insta snapshot.

mod common;

use matcalc::oracle::eval;
use matcalc::oracle::valid_instance;
use matcalc::Name;
use matcalc::Problem;

fn close(a: &nalgebra::DMatrix<f64>, b: &nalgebra::DMatrix<f64>) -> bool {
    a.shape() == b.shape() && (a - b).norm() <= 1e-9 * a.norm().max(b.norm()).max(1.0)
}

#[test]
fn valid_fixtures() {
    let paths = common::fixtures("valid");
    assert!(paths.len() >= 25, "only {} valid fixtures", paths.len());
    for path in paths {
        let name = common::stem(&path);
        let src = std::fs::read_to_string(&path).expect("read");
        let mut p =
            Problem::new(&src).unwrap_or_else(|e| panic!("{name}: {}", e.render(&name, &src)));
        let defs = p.graph.def_order.clone();
        let ids: Vec<usize> = defs.iter().filter_map(|d| p.graph.def_node(d)).collect();
        let (inst, _) = valid_instance(&p.graph, 3, &ids).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Spellings that must agree.
        for line in src.lines().filter_map(|l| l.strip_prefix("% same:")) {
            let group: Vec<&str> = line.split_whitespace().collect();
            assert!(group.len() >= 2, "{name}: a `% same:` line needs two names");
            let vals: Vec<_> = group
                .iter()
                .map(|n| {
                    let id = p
                        .graph
                        .def_node(&Name::from_cli(n).expect("name"))
                        .unwrap_or_else(|| panic!("{name}: no `{n}`"));
                    eval(&p.graph, &inst, id).unwrap_or_else(|e| panic!("{name}: {e}"))
                })
                .collect();
            for (n, v) in group.iter().zip(&vals).skip(1) {
                assert!(
                    close(&vals[0], v),
                    "{name}: `{}` and `{n}` differ",
                    group[0]
                );
            }
        }
        // Printed LaTeX parses back to the same value, and snapshot it.
        let mut doc = String::from("## Definitions\n");
        for d in &defs {
            let id = p.graph.def_node(d).expect("def");
            let body = p.graph.kids(id)[0];
            let shape = p.graph.shape(body).clone();
            let latex = matcalc::internals::to_latex(&mut p.graph, body, Default::default());
            let back = p
                .expression(&latex, false, Some(&shape))
                .unwrap_or_else(|e| panic!("{name}: `{latex}` does not parse back: {e}"));
            let (inst2, _) = valid_instance(&p.graph, 3, &[id, back]).expect("instance");
            let (a, b) = (
                eval(&p.graph, &inst2, id).expect("eval"),
                eval(&p.graph, &inst2, back).expect("eval"),
            );
            assert!(
                close(&a, &b),
                "{name}: `{latex}` reads back as a different value"
            );
            doc.push_str(&format!("{} : {} = {}\n", d.latex(), shape, latex));
        }
        doc.push_str("## Queries\n");
        for q in p.questions() {
            doc.push_str(&format!("{}\n", p.query_latex(&q)));
        }
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!(format!("parse@{name}"), doc);
        });
    }
}

/// The one answer of `doc`, after checking that it grades equivalent to
/// itself when read back (the printed text means what was derived).
fn answer_reading_back(doc: &str) -> String {
    let (out, err, code) = common::run(&["grad", "-"], Some(doc));
    assert_eq!(code, 0, "{err}");
    let answer = out
        .split_once(" = ")
        .map(|(_, a)| a.trim().to_string())
        .unwrap_or_default();
    let (out, err, code) = common::run(&["grade", "-", "--answer", &answer], Some(doc));
    assert_eq!(code, 0, "{answer}: {out}{err}");
    answer
}

/// A norm whose argument holds a norm prints with parentheses inside the
/// bars, and the printed answer reads back as itself (found by the
/// differential tester: `\|\|v\| C q\|` paired its bars the other way).
#[test]
fn a_norm_inside_a_norm_reads_back() {
    let doc = "v \\in \\mathbb{R}^{n}\nq \\in \\mathbb{R}^{m}\nC \\in \\mathbb{R}^{p \\times m}\nL = \\lVert (C * q) \\lVert v \\rVert \\rVert^{-1}\n\\frac{\\partial L}{\\partial C}\n";
    let answer = answer_reading_back(doc);
    assert!(answer.contains("\\|(\\|v\\|"), "{answer}");
}

/// Inside a reduction to a scalar (here `\mathrm{sum}`) nothing fixes the
/// outer length of a ones vector, so it prints with its size and the answer
/// reads back as itself (found by the differential tester: a bare
/// `\mathbf{1}^T` read back at another length).
#[test]
fn ones_inside_a_sum_print_their_size() {
    let doc = "B \\in \\mathbb{R}^{m \\times p}\n\\alpha \\in \\mathbb{R}_{+}\nY \\in \\mathbb{R}^{p \\times n}\nL = \\mathrm{sum}(B (Y + \\alpha))\n\\frac{\\partial L}{\\partial \\alpha}\n";
    let answer = answer_reading_back(doc);
    assert!(answer.contains("\\mathbf{1}_{n}"), "{answer}");
}

/// Long sums are grouped as balanced trees by the parser (a `-` before a
/// half flips the signs inside it): every term keeps its written sign, at
/// lengths around and far beyond the grouping threshold.
#[test]
fn long_sums_keep_every_sign() {
    let mut state: u64 = 0x5eed;
    for n in [16, 17, 33, 64, 257, 1000] {
        let mut terms = Vec::new();
        let mut expected: i64 = 0;
        for k in 1..=n as i64 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let minus = (state >> 33) % 2 == 1 && k > 1;
            expected += if minus { -k } else { k };
            terms.push(format!("{} {k} x", if minus { "-" } else { "+" }));
        }
        let sum = terms.join(" ");
        let doc = format!(
            "x \\in \\mathbb{{R}}\nf = {}\n\\nabla_x f",
            sum.trim_start_matches("+ ")
        );
        let mut p = matcalc::Problem::new(&doc).unwrap();
        let a = p.answers().unwrap();
        assert_eq!(
            p.latex(&a[0], Default::default()),
            expected.to_string(),
            "{n} terms"
        );
    }
}

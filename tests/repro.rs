//! The known-defect reproducers (`tests/fixtures/repro/`, copied from the
//! spec's `repro/` with its README) give the outcomes that README expects.
//! Every failing reproducer is reported, not only the first.

mod common;

use common::{fixtures, run, stem};

/// What one reproducer must do: a command line and the exit status it
/// must end with (2 also requires the message to contain `needle`).
struct Expect {
    args: Vec<String>,
    code: i32,
    needle: &'static str,
}

fn expectations(name: &str, path: &str) -> Vec<Expect> {
    let e = |args: &[&str], code: i32, needle: &'static str| Expect {
        args: args.iter().map(|s| s.to_string()).collect(),
        code,
        needle,
    };
    let grade = |answer: &str, code: i32| Expect {
        args: vec![
            "grade".into(),
            path.into(),
            "--answer".into(),
            answer.into(),
        ],
        code,
        needle: "",
    };
    match name {
        "R09_grade_panic" => vec![
            grade("2 (x^T a) a", 0),
            grade("(x^T a) a + a (a^T x)", 0),
            grade("2 x^T a a", 0),
            grade("2 (a^T x) x", 1),
        ],
        "R10_grade_shape_panic" | "R10b_grade_shape_panic_min" => vec![grade("x", 1)],
        "R11_grade_dim_scalar" => vec![grade("2 x + 1000 n x", 1)],
        "R15_div_zero" => vec![e(&["grad", path], 2, "undefined")],
        "R20_constant_product_1600" => vec![e(&["grad", path], 2, "limit")],
        "R23_grade_1024_inverse" => vec![Expect {
            args: vec!["grade".into(), path.into(), "--answer".into(), "A".into()],
            code: 2,
            needle: "limit",
        }],
        _ => vec![e(&["check", path], 0, "")],
    }
}

#[test]
fn every_reproducer_gives_its_expected_outcome() {
    let mut failures = Vec::new();
    for f in fixtures("repro") {
        let name = stem(&f);
        let path = f.to_string_lossy().into_owned();
        for ex in expectations(&name, &path) {
            let args: Vec<&str> = ex.args.iter().map(String::as_str).collect();
            let (out, err, code) = run(&args, None);
            if code != ex.code || !err.to_lowercase().contains(ex.needle) {
                failures.push(format!(
                    "{name}: `{}` exited {code} (want {}):\n{out}{err}",
                    args.join(" "),
                    ex.code
                ));
            }
            if err.contains("panicked") {
                failures.push(format!("{name}: panic\n{err}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_printed_answer_of_a_reproducer_grades_equivalent_to_itself() {
    let mut failures = Vec::new();
    for f in fixtures("repro") {
        let name = stem(&f);
        let path = f.to_string_lossy().into_owned();
        // R20, R22–R25 are sized to be slow; R21 names its adjoints.
        let heavy = name.starts_with("R2") && !name.starts_with("R21");
        if expectations(&name, &path).iter().any(|e| e.code != 0) || heavy {
            continue;
        }
        let (out, _, code) = run(&["grad", &path, "--format", "json"], None);
        assert_eq!(code, 0, "{name}: {out}");
        let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
        for r in doc["results"].as_array().expect("results") {
            let (latex, wrt, of) = (
                r["latex"].as_str().expect("latex"),
                r["wrt"].as_str().expect("wrt"),
                r["of"].as_str().expect("of"),
            );
            let (o, e, c) = run(
                &["grade", &path, "--wrt", wrt, "--of", of, "--answer", latex],
                None,
            );
            if c != 0 {
                failures.push(format!("{name} ∇_{wrt}: `{latex}` graded {c}: {o}{e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

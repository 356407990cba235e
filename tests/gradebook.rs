//! `matcalc grade-class`: a whole gradebook graded in one command, its
//! three reports, its exit status, and its errors.

mod common;

use serde_json::Value;

fn key_path() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/homework/answer-key.toml"
    )
    .to_string()
}

fn example() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/examples/class.toml").to_string()
}

fn json_rows(out: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(out).expect("JSON report");
    assert_eq!(v["version"], 1);
    v["results"].as_array().expect("results").clone()
}

#[test]
fn the_homework_gradebook_reproduces_every_verdict() {
    let key = common::answer_key();
    let expected: Vec<String> = key
        .lines()
        .filter_map(|l| l.strip_prefix("verdict = \""))
        .map(|l| l.trim_end_matches('"').to_string())
        .collect();
    assert_eq!(expected.len(), 23, "the answer key has 23 verdicts");
    let (out, err, code) = common::run(&["grade-class", &key_path(), "--format", "json"], None);
    assert_eq!(code, 0, "{err}");
    let rows = json_rows(&out);
    assert_eq!(rows.len(), 23);
    for (r, e) in rows.iter().zip(&expected) {
        assert_eq!(r["verdict"], e.as_str(), "{r}");
        assert_eq!(r["agrees"], true, "{r}");
        assert_eq!(r["expected_verdict"], e.as_str());
        for field in ["student", "problem", "wrt", "of", "method", "expected"] {
            assert!(r[field].is_string(), "{field} in {r}");
        }
        assert!(r["diagnosis"].is_null() || r["diagnosis"].is_string());
    }
    // The gplvm answers name their objective; the others resolve to L.
    assert!(rows.iter().any(|r| r["of"] == "L_1"));
}

#[test]
fn the_markdown_report_of_the_homework() {
    let (out, err, code) = common::run(&["grade-class", &key_path()], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("# Grades\n"));
    assert!(out.contains("23 of 23 expected verdicts agree."));
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!("grade-class@homework", out);
    });
}

#[test]
fn every_verdict_kind_in_one_class() {
    let (out, err, code) = common::run(&["grade-class", &example(), "--format", "json"], None);
    assert_eq!(code, 0, "{err}");
    let rows = json_rows(&out);
    let verdicts: Vec<&str> = rows.iter().filter_map(|r| r["verdict"].as_str()).collect();
    for v in [
        "equivalent",
        "not equivalent",
        "shape mismatch",
        "unreadable",
    ] {
        assert!(verdicts.contains(&v), "{v} missing from {verdicts:?}");
    }
    let unreadable = rows.iter().find(|r| r["verdict"] == "unreadable").unwrap();
    assert!(unreadable["method"].is_null());
    assert!(unreadable["diagnosis"]
        .as_str()
        .unwrap_or("")
        .contains("column"));
}

#[test]
fn the_csv_report_has_one_row_per_answer() {
    let (out, err, code) = common::run(&["grade-class", &example(), "--format", "csv"], None);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "student,problem,wrt,of,verdict,method,diagnosis,answer,expected,expected_verdict,agrees"
    );
    let answers = std::fs::read_to_string(example())
        .unwrap()
        .matches("[[answer]]")
        .count();
    assert_eq!(lines.len(), answers + 1);
    // A diagnosis with a comma is quoted, so every row has eleven fields.
    for l in &lines[1..] {
        let mut fields = 1;
        let mut quoted = false;
        for c in l.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => fields += 1,
                _ => {}
            }
        }
        assert_eq!(fields, 11, "{l}");
    }
}

#[test]
fn a_disagreeing_expected_verdict_exits_1() {
    let book = std::fs::read_to_string(example()).unwrap();
    // Flip the first expected verdict.
    let flipped = book.replacen(
        "verdict = \"equivalent\"",
        "verdict = \"not equivalent\"",
        1,
    );
    assert_ne!(book, flipped);
    let (out, err, code) = common::run(&["grade-class", "-", "--format", "json"], Some(&flipped));
    assert_eq!(code, 1, "{err}");
    let rows = json_rows(&out);
    assert_eq!(rows.iter().filter(|r| r["agrees"] == false).count(), 1);
    let (md, _, code) = common::run(&["grade-class", "-"], Some(&flipped));
    assert_eq!(code, 1);
    assert!(md.contains("DISAGREES"));
}

#[test]
fn a_gradebook_without_expected_verdicts_exits_0() {
    let book: String = std::fs::read_to_string(example())
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("verdict = "))
        .map(|l| format!("{l}\n"))
        .collect();
    let (out, err, code) = common::run(&["grade-class", "-", "--format", "json"], Some(&book));
    assert_eq!(code, 0, "{err}");
    assert!(json_rows(&out).iter().all(|r| r.get("agrees").is_none()));
}

#[test]
fn a_bad_gradebook_is_an_error_that_names_the_place() {
    let book = std::fs::read_to_string(example()).unwrap();
    let cases: Vec<(String, &str)> = vec![
        (book.replacen("[[answer]]", "[[answer]", 1), "parse"),
        (
            book.replacen("problem = \"logdet\"", "problem = \"lgodet\"", 1),
            "lgodet",
        ),
        (book.replacen("student = \"ada\"\n", "", 1), "neither"),
        (
            book.replacen("- \\mathrm{tr}(S)", "- \\mathrm{tr}(S", 1),
            "logdet",
        ),
        (book.replacen("wrt = \"S\"", "wrt = \"Q\"", 1), "Q"),
        (
            book.replacen("verdict = \"equivalent\"", "verdict = \"right\"", 1),
            "right",
        ),
    ];
    for (text, needle) in cases {
        assert_ne!(text, book, "{needle}: the mutation must apply");
        let (out, err, code) = common::run(&["grade-class", "-"], Some(&text));
        assert_eq!(code, 2, "{needle}: {out}{err}");
        assert!(err.contains(needle), "{needle} not in: {err}");
        assert!(!err.contains("panicked"), "{err}");
        let (json, _, code) = common::run(&["grade-class", "-", "--format", "json"], Some(&text));
        assert_eq!(code, 2);
        let v: Value = serde_json::from_str(&json).expect("JSON error document");
        assert!(v["error"]["kind"].is_string());
    }
}

#[test]
fn the_library_agrees_with_grade_answer_by_answer() {
    let rows = matcalc::gradebook::grade_class(&std::fs::read_to_string(example()).unwrap())
        .expect("grades");
    let book: toml::Value = toml::from_str(&std::fs::read_to_string(example()).unwrap()).unwrap();
    let problems = book["problem"].as_array().unwrap();
    for r in rows.iter().filter(|r| r.verdict != "unreadable") {
        let text = problems
            .iter()
            .find(|p| p["id"].as_str() == Some(&r.problem))
            .and_then(|p| p["text"].as_str())
            .unwrap();
        let (_, _, code) = common::run(
            &["grade", "-", "--wrt", &r.wrt, "--answer", &r.answer],
            Some(text),
        );
        assert_eq!(code == 0, r.verdict == "equivalent", "{r:?}");
    }
}

//! The homework (tests/fixtures/homework/answer-key.toml, a copy of the
//! course's answer key): every printed answer is a documented form, every
//! answer passes the finite-difference check, and the insta snapshots of
//! `grad` are themselves compared with the key so they cannot drift.

mod common;

use matcalc::Problem;
use std::collections::BTreeMap;

#[derive(serde::Deserialize)]
struct Key {
    problem: Vec<KeyProblem>,
}

#[derive(serde::Deserialize)]
struct KeyProblem {
    id: String,
    text: String,
    documented: BTreeMap<String, Vec<String>>,
}

fn key() -> Key {
    toml::from_str(&common::answer_key()).expect("answer key parses")
}

fn documented<'a>(p: &'a KeyProblem, of: &str, wrt: &str) -> &'a [String] {
    p.documented
        .get(wrt)
        .or_else(|| p.documented.get(of))
        .map(|v| v.as_slice())
        .unwrap_or_else(|| panic!("{}: no documented form for ∇_{wrt} {of}", p.id))
}

#[test]
fn printed_answers_are_documented_forms() {
    let key = key();
    assert_eq!(key.problem.len(), 3);
    for kp in &key.problem {
        let mut p = Problem::new(&kp.text).unwrap_or_else(|e| panic!("{}: {e}", kp.id));
        let answers = p.answers().unwrap_or_else(|e| panic!("{}: {e}", kp.id));
        assert!(!answers.is_empty());
        for a in &answers {
            let (of, wrt) = (a.question.of.ident(), a.question.wrt.ident());
            let got = p.latex(a, Default::default());
            let forms = documented(kp, &of, &wrt);
            assert!(
                forms.iter().any(|f| common::norm(f) == common::norm(&got)),
                "{}: ∇_{wrt} {of} printed `{got}`, not one of {forms:?}",
                kp.id
            );
        }
    }
}

#[test]
fn homework_answers_pass_the_numeric_check() {
    for kp in &key().problem {
        let mut p = Problem::new(&kp.text).expect("parses");
        for a in &p.answers().expect("answers") {
            for seed in 1..=3 {
                let r = p.check(a, seed).expect("check runs");
                assert!(
                    r.rel_error < 1e-6,
                    "{}: relative error {}",
                    kp.id,
                    r.rel_error
                );
            }
        }
    }
}

#[test]
fn shipped_examples_are_the_homework_problems() {
    for kp in &key().problem {
        let path = format!("{}/examples/{}.tex", env!("CARGO_MANIFEST_DIR"), kp.id);
        let shipped = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(
            shipped.trim(),
            kp.text.trim(),
            "{path} differs from the answer key"
        );
    }
}

#[test]
fn grad_snapshots_match_the_answer_key() {
    for kp in &key().problem {
        let path = format!("{}/examples/{}.tex", env!("CARGO_MANIFEST_DIR"), kp.id);
        let (out, err, code) = common::run(&["grad", &path], None);
        assert_eq!(code, 0, "{err}");
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("homework-grad@{}", kp.id), out);
        });
        // The stored snapshot's lines must be documented forms too.
        let snap = std::fs::read_to_string(format!(
            "{}/snapshots/homework-grad@{}.snap",
            env!("CARGO_MANIFEST_DIR"),
            kp.id
        ))
        .expect("snapshot stored");
        let body = snap.splitn(3, "---").nth(2).unwrap_or("");
        let mut lines = 0;
        for line in body.lines().filter(|l| l.contains(" = ")) {
            let (q, ans) = line.split_once(" = ").expect("query = answer");
            // `\nabla_{W_1} L` → of L, wrt W_1
            let wrt = q
                .split('{')
                .nth(1)
                .and_then(|s| s.split('}').next())
                .unwrap_or("");
            let of = q.rsplit(' ').next().unwrap_or("");
            let (wrt, of) = (
                matcalc::Name::from_cli(wrt).expect("name").ident(),
                matcalc::Name::from_cli(of).expect("name").ident(),
            );
            let forms = documented(kp, &of, &wrt);
            assert!(
                forms.iter().any(|f| common::norm(f) == common::norm(ans)),
                "snapshot line `{line}` is not documented"
            );
            lines += 1;
        }
        assert!(lines > 0, "snapshot for {} has no answers", kp.id);
    }
}

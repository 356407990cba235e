//! One invalid fixture per error kind (and more): the command exits 2, never
//! panics, and names the span; the rendered message is an insta snapshot.

mod common;

#[test]
fn invalid_fixtures_exit_2_with_a_message() {
    let paths = common::fixtures("invalid");
    assert!(paths.len() >= 12);
    let mut kinds = std::collections::BTreeSet::new();
    for path in paths {
        let name = common::stem(&path);
        let src = std::fs::read_to_string(&path).expect("read");
        let cmd = if src.contains("% command: check") {
            "check"
        } else {
            "grad"
        };
        let p = path.to_string_lossy().into_owned();
        let (out, err, code) = common::run(&[cmd, &p], None);
        assert_eq!(code, 2, "{name}: exit {code}, stdout {out}");
        assert!(
            out.is_empty(),
            "{name}: printed an answer for bad input: {out}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
        let label = err.lines().next().unwrap_or("").to_string();
        kinds.insert(label);
        // Paths differ between machines: snapshot the message with a stable name.
        let msg = err.replace(&p, &format!("{name}.tex"));
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!(format!("error@{name}"), msg);
        });
    }
    for want in [
        "parse error",
        "shape error",
        "name error",
        "cyclic definition",
        "unsupported",
        "limit reached",
        "no valid instance",
        "usage error",
    ] {
        assert!(
            kinds.iter().any(|k| k.contains(want)),
            "no fixture for `{want}`: {kinds:?}"
        );
    }
}

/// Runs of bars, each of which could open or close a determinant, are read
/// in bounded work: as determinants where they close, else an error naming
/// the parser's budget; never a hang.
#[test]
fn runs_of_bars_end_in_an_answer_or_a_named_limit() {
    let doc = |e: &str| format!("A \\in \\mathbb{{R}}^{{n \\times n}}\n{e}");
    for n in [3usize, 40, 400] {
        let nested = format!("{}A{}", "|".repeat(n), "|".repeat(n));
        let (out, err, code) = common::run(&["simplify", "-e", &doc(&nested)], None);
        assert_eq!(code, 2, "{n} nested bars: {out}{err}");
        let alternating: String = (0..n).map(|_| "|A").collect::<String>() + "|";
        let (out, err, code) = common::run(&["simplify", "-e", &doc(&alternating)], None);
        assert!(code == 0 || code == 2, "{n} alternating bars: {out}{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // A log-determinant inside a determinant prints as `\log\det(…)`, so it
    // parses back.
    let (out, err, code) = common::run(
        &["simplify", "-e", &doc("\\log|A + \\log\\det(A) I|")],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "\\log\\det(A + \\log|A| I)");
}

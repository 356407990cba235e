//! Answers with many paths name the adjoints where paths meet
//! (`\frac{\partial f}{\partial z_3}`, given in a `where` clause): their size
//! grows with the document, not with the number of paths, and they check,
//! run as NumPy and grade like any other answer.

mod common;

use common::run;

/// `z_{i+1} = A z_i + \tanh(z_i)` for `links` links, then `f = z^T z`
/// (2^links paths from `f` to `A`).
fn chain(links: usize) -> String {
    let mut s =
        String::from("x \\in \\mathbb{R}^{n}\nA \\in \\mathbb{R}^{n \\times n}\nz_{0} = x\n");
    for i in 1..=links {
        s.push_str(&format!(
            "z_{{{i}}} = A z_{{{}}} + \\tanh(z_{{{}}})\n",
            i - 1,
            i - 1
        ));
    }
    s.push_str(&format!("f = z_{{{links}}}^T z_{{{links}}}\n"));
    s
}

fn answer(doc: &str, wrt: &str) -> String {
    let (out, err, code) = run(&["grad", "-e", doc, "--wrt", wrt, "--format", "json"], None);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    v["results"][0]["latex"]
        .as_str()
        .expect("latex")
        .to_string()
}

#[test]
fn a_definition_chain_prints_an_answer_linear_in_its_links() {
    let sizes: Vec<(usize, usize)> = [8, 16, 32]
        .iter()
        .map(|&k| (k, answer(&chain(k), "A").len()))
        .collect();
    for w in sizes.windows(2) {
        let ((k1, n1), (k2, n2)) = (w[0], w[1]);
        // Twice the links, about twice the text (a per-path answer would
        // square it).
        assert!(
            (n2 as f64) < 2.5 * n1 as f64,
            "{k1} links: {n1} bytes, {k2} links: {n2} bytes"
        );
    }
    assert!(answer(&chain(16), "A").contains("\\text{where}"));
}

#[test]
fn named_answers_check_and_grade_equivalent_to_themselves() {
    for links in [7, 12] {
        let doc = chain(links);
        for wrt in ["A", "x"] {
            let (out, err, code) = run(&["check", "-e", &doc, "--wrt", wrt], None);
            assert_eq!(code, 0, "check ∇_{wrt}, {links} links: {out}{err}");
            let a = answer(&doc, wrt);
            let (out, err, code) = run(&["grade", "-e", &doc, "--wrt", wrt, "--answer", &a], None);
            assert_eq!(code, 0, "grade ∇_{wrt}, {links} links: {out}{err}");
        }
    }
}

#[test]
fn a_wrong_named_adjoint_is_not_equivalent() {
    let doc = chain(7);
    let a = answer(&doc, "A");
    let first = "= 2 z_7";
    assert!(a.contains(first), "{a}");
    let wrong = a.replacen(first, "= 3 z_7", 1);
    let (out, _, code) = run(
        &["grade", "-e", &doc, "--wrt", "A", "--answer", &wrong],
        None,
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("not equivalent"), "{out}");
}

#[test]
fn a_named_adjoint_of_the_wrong_shape_is_refused() {
    let doc = chain(7);
    let a = answer(&doc, "A");
    let wrong = a.replacen("= 2 z_7", "= 2 z_7 z_7^T", 1);
    let (out, err, code) = run(
        &["grade", "-e", &doc, "--wrt", "A", "--answer", &wrong],
        None,
    );
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("\\frac{\\partial f}{\\partial z_7}"),
        "{out}{err}"
    );
}

#[test]
fn named_adjoints_are_computed_once_in_numpy() {
    let doc = chain(7);
    let (out, err, code) = run(
        &["grad", "-e", &doc, "--wrt", "A", "--format", "numpy"],
        None,
    );
    assert_eq!(code, 0, "{err}");
    // The last is used once and written out where it is used.
    for i in 2..=7 {
        let line = format!("    df_dz_{i} = ");
        assert_eq!(out.matches(&line).count(), 1, "df_dz_{i}:\n{out}");
    }
}

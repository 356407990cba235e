//! The command line contract of INTERFACE.md: inputs, options, formats, exit
//! codes, determinism; and that the numeric check rejects a wrong answer.

mod common;

use matcalc::Problem;

fn example(name: &str) -> String {
    format!("{}/examples/{name}.tex", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn grad_prints_one_line_per_query() {
    let (out, _, code) = common::run(&["grad", &example("gplvm")], None);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 3);
    assert!(out.starts_with("\\nabla_{X} L_1 = "));
}

#[test]
fn inline_and_stdin_inputs() {
    let doc = "x \\in \\mathbb{R}^{n}\nf = x^T x\n\\nabla_x f";
    let (a, _, c1) = common::run(&["grad", "-e", doc], None);
    let (b, _, c2) = common::run(&["grad", "-"], Some(doc));
    assert_eq!((c1, c2), (0, 0));
    assert_eq!(a, b);
    assert_eq!(a.trim(), "\\nabla_{x} f = 2 x");
}

#[test]
fn wrt_and_of_take_latex_or_identifier_names() {
    let ex = example("gplvm");
    let forms = [("X", "L_1"), ("X", "\\mathcal{L}_1"), ("X", "L_{1}")];
    for (w, o) in forms {
        let (out, err, code) = common::run(&["grad", &ex, "--wrt", w, "--of", o], None);
        assert_eq!(code, 0, "{err}");
        assert_eq!(out.trim(), "\\nabla_{X} L_1 = -\\alpha D K^{-1} X");
    }
    let (out, _, code) = common::run(&["grad", &example("swish-mlp"), "--wrt", "W_{2}"], None);
    assert_eq!(code, 0);
    assert!(out.contains("h_1^T"));
}

#[test]
fn usage_errors_exit_2() {
    let cases: [&[&str]; 4] = [
        &["grad"],
        &["grad", "/nonexistent/file.tex"],
        &["grad", "-e", "x \\in \\mathbb{R}^n\nf = x^T x", "--of", "f"],
        &[
            "grad",
            "-e",
            "x \\in \\mathbb{R}^n\nf = x^T x",
            "--wrt",
            "y",
        ],
    ];
    for args in cases {
        let (out, err, code) = common::run(args, None);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(!err.is_empty());
    }
}

#[test]
fn json_output_has_the_documented_fields() {
    let (out, _, code) = common::run(&["grad", &example("swish-mlp"), "--format", "json"], None);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let results = v["results"].as_array().expect("results");
    assert_eq!(results.len(), 4);
    let r = &results[2];
    assert_eq!(r["of"], "L");
    assert_eq!(r["wrt"], "W_1");
    assert_eq!(r["kind"], "gradient");
    assert_eq!(r["shape"], serde_json::json!(["H", "D"]));
    assert!(r["numpy"]
        .as_str()
        .unwrap_or("")
        .starts_with("def grad_L_W_1(W_1, W_2, b_1, dL_dz_2, x):"));
    assert!(r["text"].as_str().unwrap_or("").contains('⊙'));
    assert!(v["notes"].is_array());
    assert_eq!(results[1]["shape"], serde_json::json!(["C"]));
}

#[test]
fn text_numpy_and_transpose_styles() {
    let ex = example("autoencoder");
    let (t, _, _) = common::run(&["grad", &ex, "--format", "text"], None);
    assert_eq!(
        t.trim(),
        "∇_W L = W (Wᵀ W x − x) xᵀ + W x (Wᵀ W x − x)ᵀ".replace('−', "-")
    );
    let (n, _, _) = common::run(&["grad", &ex, "--format", "numpy"], None);
    assert!(n.starts_with("import numpy as np"));
    assert!(n.contains("def grad_L_W(W, x):"));
    let (top, _, _) = common::run(&["grad", &ex, "--transpose", "top"], None);
    assert!(top.contains("W^\\top W x") && !top.contains("^T"));
}

#[test]
fn output_is_byte_identical_across_runs() {
    for ex in ["autoencoder", "gplvm", "swish-mlp"] {
        for fmt in ["latex", "text", "json", "numpy"] {
            let first = common::run(&["grad", &example(ex), "--format", fmt], None);
            for _ in 0..3 {
                assert_eq!(
                    common::run(&["grad", &example(ex), "--format", fmt], None),
                    first
                );
            }
        }
        let c = common::run(&["check", &example(ex), "--seed", "9"], None);
        assert_eq!(
            common::run(&["check", &example(ex), "--seed", "9"], None),
            c
        );
    }
}

#[test]
fn check_passes_on_the_examples() {
    for ex in ["autoencoder", "gplvm", "swish-mlp"] {
        let (out, _, code) = common::run(&["check", &example(ex)], None);
        assert_eq!(code, 0, "{out}");
        assert!(out.lines().all(|l| l.starts_with("ok")));
    }
}

#[test]
fn the_numeric_check_rejects_a_wrong_gradient() {
    let src = std::fs::read_to_string(example("autoencoder")).expect("read");
    let mut p = Problem::new(&src).expect("parses");
    let a = p.answers().expect("answers").remove(0);
    // A student's answer that counts one path twice (seed 001).
    let wrong = p
        .expression("2 W (W^T W x - x) x^T", false, Some(&a.shape))
        .expect("parses");
    let mut w = a.clone();
    w.id = wrong;
    let r = p.check(&w, 1).expect("runs");
    assert!(
        r.rel_error > 1e-2,
        "a wrong gradient passed: {}",
        r.rel_error
    );
    let right = p.check(&a, 1).expect("runs");
    assert!(right.rel_error < 1e-8);
}

#[test]
fn byte_order_mark_and_any_line_end_read_like_plain_newlines() {
    let plain = "x \\in \\mathbb{R}^{n}\nA \\in \\mathbb{R}^{n \\times n}\nf = x^T A x % a comment\n\\nabla_x f\n";
    let (want, _, code) = common::run(&["grad", "-"], Some(plain));
    assert_eq!(code, 0);
    for variant in [
        format!("\u{feff}{plain}"),
        plain.replace('\n', "\r\n"),
        plain.replace('\n', "\r"),
    ] {
        let (got, err, code) = common::run(&["grad", "-"], Some(&variant));
        assert_eq!(
            (got.as_str(), code),
            (want.as_str(), 0),
            "{variant:?}: {err}"
        );
    }
}

#[test]
fn built_ins_cannot_be_redefined_and_dimensions_cannot_be_differentiated() {
    for doc in [
        "\\sigma(t) = t^2\nx \\in \\mathbb{R}^{n}\nf = \\mathrm{sum}(\\sigma(x))\n\\nabla_x f",
        "\\mathrm{tr}(t) = t^2\nX \\in \\mathbb{R}^{n \\times n}\nf = \\mathrm{tr}(X)\n\\nabla_X f",
    ] {
        let (_, err, code) = common::run(&["grad", "-e", doc], None);
        assert_eq!(code, 2, "{doc}");
        assert!(err.contains("built-in function"), "{err}");
    }
    let doc = "x \\in \\mathbb{R}^{n}\nf = n x^T x";
    let (_, err, code) = common::run(&["grad", "-e", doc, "--wrt", "n"], None);
    assert_eq!(code, 2);
    assert!(err.contains("dimension"), "{err}");
}

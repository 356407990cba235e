//! The command line contract of docs/INTERFACE.md: inputs, options, formats, exit
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
    let np = r["numpy"].as_str().unwrap_or("");
    assert!(np.starts_with("import numpy as np\n"), "{np}");
    assert!(np.contains("\ndef grad_L_W_1(W_1, W_2, b_1, dL_dz_2, x):"));
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

/// Every `--format` value any command takes.
const ALL_FORMATS: [&str; 7] = ["latex", "text", "json", "numpy", "markdown", "dot", "svg"];

/// Each command with the formats it writes (docs/INTERFACE.md) and
/// arguments that make it succeed.
fn commands() -> Vec<(&'static str, Vec<&'static str>, Vec<String>)> {
    let doc = "x \\in \\mathbb{R}^{n}\nA \\in \\mathbb{R}^{n \\times n}\nf = x^T A x\n\\nabla_x f";
    let expr = "A \\in \\mathbb{R}^{n \\times n}\n(A^T)^T + A";
    let args = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        (
            "grad",
            vec!["latex", "text", "json", "numpy"],
            args(&["-e", doc]),
        ),
        ("check", vec!["latex", "text", "json"], args(&["-e", doc])),
        (
            "simplify",
            vec!["latex", "text", "json", "numpy"],
            args(&["-e", expr]),
        ),
        (
            "grade",
            vec!["latex", "text", "json"],
            args(&["-e", doc, "--answer", "A x + A^T x"]),
        ),
        (
            "steps",
            vec!["latex", "markdown", "text", "json"],
            args(&["-e", doc]),
        ),
        ("graph", vec!["dot", "svg", "json"], args(&["-e", doc])),
    ]
}

fn run_with(cmd: &str, args: &[String], extra: &[&str]) -> (String, String, i32) {
    let mut argv: Vec<&str> = vec![cmd];
    argv.extend(args.iter().map(String::as_str));
    argv.extend_from_slice(extra);
    common::run(&argv, None)
}

/// The values clap lists after `[possible values: …]`.
fn possible_values(err: &str) -> Vec<String> {
    let Some(start) = err.find("[possible values: ") else {
        return Vec::new();
    };
    let rest = &err[start + "[possible values: ".len()..];
    let end = rest.find(']').unwrap_or(rest.len());
    rest[..end].split(", ").map(str::to_string).collect()
}

#[test]
fn every_command_refuses_a_format_it_does_not_write() {
    for (cmd, allowed, args) in commands() {
        for f in ALL_FORMATS {
            let (out, err, code) = run_with(cmd, &args, &["--format", f]);
            if allowed.contains(&f) {
                // `svg` needs Graphviz, as tests/teach.rs does.
                assert_eq!(code, 0, "{cmd} --format {f}: {err}");
                assert!(!out.is_empty(), "{cmd} --format {f}");
                continue;
            }
            assert_eq!(code, 2, "{cmd} --format {f} was accepted: {out}");
            assert!(out.is_empty(), "{cmd} --format {f} printed {out}");
            assert!(err.contains(&format!("'{f}'")), "{cmd} --format {f}: {err}");
            assert_eq!(possible_values(&err), allowed, "{cmd} --format {f}: {err}");
        }
    }
}

#[test]
fn each_command_has_its_own_default_format() {
    let doc = "x \\in \\mathbb{R}^{n}\nf = x^T x\n\\nabla_x f";
    let (dot, _, code) = common::run(&["graph", "-e", doc], None);
    assert_eq!(code, 0);
    assert!(dot.starts_with("digraph"), "{dot}");
    let (latex, _, code) = common::run(&["grad", "-e", doc], None);
    assert_eq!(code, 0);
    assert_eq!(latex.trim(), "\\nabla_{x} f = 2 x");
}

#[test]
fn check_text_writes_answers_in_text() {
    let ex = example("autoencoder");
    let (latex, _, c1) = common::run(&["check", &ex], None);
    let (text, _, c2) = common::run(&["check", &ex, "--format", "text"], None);
    assert_eq!((c1, c2), (0, 0));
    assert!(latex.contains("x^T") && !latex.contains('ᵀ'), "{latex}");
    assert!(
        text.starts_with("ok   ∇_W L = ") && text.contains('ᵀ'),
        "{text}"
    );
}

/// The `<name>:L:C` position in the header of ariadne's code frame.
fn frame_position(err: &str, name: &str) -> Option<(u64, u64)> {
    let at = err.find(&format!("{name}:"))? + name.len() + 1;
    let mut it = err[at..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty());
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

#[test]
fn json_errors_locate_the_span_by_line_and_column() {
    // A multi-byte character and a CRLF line end before the error, so bytes,
    // characters and line ends must all be counted right.
    let doc =
        "% déjà vu: a comment\r\nx \\in \\mathbb{R}^{n}\n\nf = \\alpha x^T  @ x\n\\nabla_x f\n";
    let (out, err, code) = common::run(&["grad", "-e", doc, "--format", "json"], None);
    assert_eq!(code, 2, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("a JSON error document");
    assert_eq!(v["version"], 1);
    let e = &v["error"];
    assert_eq!(e["kind"], "parse");
    assert_eq!(e["source"], "<expr>");
    let message = e["message"].as_str().expect("a message");
    assert!(message.contains('@'), "{message}");
    // Where `@` is, counted independently of matcalc.
    let at = doc.find('@').expect("an @");
    let before = &doc[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    assert_eq!((line, column), (4, 17));
    assert_eq!(e["line"], line, "{v}");
    assert_eq!(e["column"], column, "{v}");
    // The human rendering is still on standard error, at the same place.
    assert_eq!(frame_position(&err, "<expr>"), Some((4, 17)), "{err}");
}

#[test]
fn json_errors_without_a_place_and_in_the_answer() {
    let (out, err, code) =
        common::run(&["grad", "/nonexistent/file.tex", "--format", "json"], None);
    assert_eq!(code, 2);
    assert!(!err.is_empty());
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["version"], 1);
    assert_eq!(v["error"]["kind"], "usage");
    assert!(v["error"]["line"].is_null() && v["error"]["column"].is_null());
    // An error in grade's answer is located in the answer's text.
    let doc = "x \\in \\mathbb{R}^{n}\nf = x^T x\n\\nabla_x f";
    let (out, _, code) = common::run(
        &["grade", "-e", doc, "--answer", "2 x @", "--format", "json"],
        None,
    );
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["error"]["source"], "<answer>");
    assert_eq!(
        (&v["error"]["line"], &v["error"]["column"]),
        (&1.into(), &5.into())
    );
    // A command line clap refuses still answers in JSON when JSON was asked for.
    let (out, err, code) = common::run(&["grade", "-e", doc, "--format", "json"], None);
    assert_eq!(code, 2);
    assert!(err.contains("--answer"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["error"]["kind"], "usage");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("--answer"));
    // Without --format json, errors leave standard output empty.
    let (out, _, code) = common::run(&["grade", "-e", doc, "--answer", "2 x @"], None);
    assert_eq!((out.as_str(), code), ("", 2));
}

#[test]
fn every_json_document_carries_version_1() {
    for (cmd, allowed, args) in commands() {
        assert!(allowed.contains(&"json"));
        let (out, err, code) = run_with(cmd, &args, &["--format", "json"]);
        assert_eq!(code, 0, "{cmd}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
        assert!(v.is_object(), "{cmd}: {out}");
        assert_eq!(v["version"], 1, "{cmd}: {out}");
    }
}

#[test]
fn help_describes_one_command_and_its_formats() {
    for (cmd, allowed, _) in commands() {
        let (help, err, code) = common::run(&[cmd, "--help"], None);
        assert_eq!(code, 0, "{cmd}: {err}");
        assert!(help.contains("Exit status"), "{cmd}: {help}");
        assert!(
            help.contains(&format!("matcalc {cmd} ")),
            "{cmd}: no example"
        );
        for f in ALL_FORMATS {
            // clap's long help lists each value as `- value: description`.
            assert_eq!(
                help.contains(&format!("- {f}:")),
                allowed.contains(&f),
                "{cmd} --help and --format {f}:\n{help}"
            );
        }
        for f in ["markdown", "numpy", "svg"] {
            if !allowed.contains(&f) {
                assert!(!help.to_lowercase().contains(f), "{cmd} mentions {f}");
            }
        }
    }
}

/// Every one-line `$ matcalc …` example of the README (no quoting, no
/// continuation; `| head -N` at the end is honoured) prints exactly the
/// lines shown under it.
#[test]
fn readme_examples_print_what_they_show() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let lines: Vec<&str> = readme.lines().collect();
    let mut checked = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(cmd) = line.strip_prefix("$ matcalc ") else {
            continue;
        };
        if cmd.contains(['\'', '"', '\\']) {
            continue;
        }
        let shown: Vec<&str> = lines[i + 1..]
            .iter()
            .take_while(|l| !l.is_empty() && !l.starts_with("$ ") && !l.starts_with("```"))
            .copied()
            .collect();
        let (cmd, head) = match cmd.split_once(" | head -") {
            Some((c, n)) => (c, n.trim().parse::<usize>().expect("head -N")),
            None => (cmd, usize::MAX),
        };
        let args: Vec<&str> = cmd.split_whitespace().collect();
        let (out, err, code) = common::run(&args, None);
        assert!(code == 0 || code == 1, "`{cmd}`: exit {code}: {err}");
        assert_eq!(
            out.trim_end().lines().take(head).collect::<Vec<_>>(),
            shown,
            "README example `matcalc {cmd}`"
        );
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} README examples checked");
}

/// `--limit NAME=VALUE` moves a limit either way: a lowered one is hit and
/// named with the option that raises it, the same run at the default
/// passes, and an unknown name or a bad value is a usage error naming it.
#[test]
fn limits_are_adjustable_and_named_when_hit() {
    let doc = "A \\in \\mathbb{R}^{n \\times n}\nf = \\log|A| + \\mathrm{tr}(A A)\n\\nabla_A f";
    let (_, _, code) = common::run(&["check", "-e", doc], None);
    assert_eq!(code, 0);
    for (limit, words) in [
        ("work=10", "floating-point operations"),
        ("depth=2", "nested deeper than 2"),
        ("graph-nodes=3", "grew past 3 nodes"),
        ("input=10", "the limit is 10 bytes"),
        ("entries=2", "entries"),
    ] {
        let (_, err, code) = common::run(&["check", "-e", doc, "--limit", limit], None);
        assert_eq!(code, 2, "{limit}: {err}");
        let name = limit.split('=').next().unwrap();
        assert!(err.contains(words), "{limit}: {err}");
        assert!(
            err.contains(&format!("--limit {name}=VALUE")),
            "{limit}: {err}"
        );
    }
    // The option goes before or after the command.
    let (out, _, code) = common::run(&["--limit", "egraph-iterations=1", "grad", "-e", doc], None);
    assert_eq!(code, 0);
    assert!(out.starts_with("\\nabla_{A} f = "));
    for bad in ["speed=3", "work", "depth=-1", "digits=1.5"] {
        let (_, err, code) = common::run(&["grad", "-e", doc, "--limit", bad], None);
        assert_eq!(code, 2, "{bad}");
        assert!(err.contains("--limit"), "{bad}: {err}");
    }
}

/// `--transpose top` reaches every command that prints LaTeX, `steps`
/// included: no `^T` outside the cited identities (which quote the
/// Cookbook's own notation).
#[test]
fn transpose_style_reaches_steps() {
    for fmt in ["latex", "markdown"] {
        let (out, _, code) = common::run(
            &[
                "steps",
                &example("autoencoder"),
                "--format",
                fmt,
                "--transpose",
                "top",
            ],
            None,
        );
        assert_eq!(code, 0);
        assert!(out.contains("^\\top"), "{fmt}: {out}");
        for l in out.lines() {
            let math = l.split("&&").next().unwrap().split(" [").next().unwrap();
            assert!(!math.contains("^T"), "{fmt}: {l}");
        }
    }
}

/// A statement cut short with a bracket open names the bracket and where
/// it opened, not the end of the line it ran into.
#[test]
fn an_unclosed_bracket_is_named_where_it_opened() {
    for (line, open, column) in [
        ("f = \\frac{1}{2 x^T x", '{', 13),
        ("f = (x^T x + 1", '(', 5),
        ("f = x^T [x + (x - x)", '[', 9),
    ] {
        let doc = format!("x \\in \\mathbb{{R}}^n\n{line}\n\\nabla_x f");
        let (_, err, code) = common::run(&["grad", "-e", &doc], None);
        assert_eq!(code, 2);
        assert!(
            err.contains(&format!(
                "unclosed `{open}` opened at line 2, column {column}"
            )),
            "{line}: {err}"
        );
    }
    // A line that simply ends early is the end of a line, never "unexpected ``".
    let (_, err, _) = common::run(
        &["grad", "-e", "x \\in \\mathbb{R}^n\nf = x^T +\n\\nabla_x f"],
        None,
    );
    assert!(!err.contains("unexpected ``"), "{err}");
}

/// `cli::run_args` (the web playground's entry) answers as the binary does:
/// the same output and status for a command, help as output with status 0,
/// a refused command line as a usage error with its JSON document.
#[test]
fn run_args_answers_as_the_binary_does() {
    let args = [
        "grad",
        "-e",
        "x \\in \\mathbb{R}^{n}\nf = x^T x\n\\nabla_x f",
    ];
    let owned = || args.iter().map(|s| s.to_string());
    assert_eq!(matcalc::cli::run_args(owned()), common::run(&args, None));
    let (out, _, code) = matcalc::cli::run_args(["--help".to_string()]);
    assert_eq!(code, 0);
    assert!(out.contains("grad"));
    let (out, err, code) =
        matcalc::cli::run_args(["grade", "-e", "x", "--format", "json"].map(String::from));
    assert_eq!(code, 2);
    assert!(err.contains("--answer"), "{err}");
    assert!(out.contains("\"usage\""), "{out}");
}

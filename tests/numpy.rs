//! The NumPy module of every fixture runs under numpy and agrees with the
//! numeric evaluator on the same instance.

mod common;

use matcalc::numpy::{module, py_ident, upstream_ident, Function};
use matcalc::oracle::eval;
use matcalc::oracle::valid_instance;
use matcalc::Op;
use matcalc::Problem;
use serde_json::{json, Value};

fn to_json(m: &nalgebra::DMatrix<f64>, scalar: bool) -> Value {
    if scalar {
        return json!(m[(0, 0)]);
    }
    let rows: Vec<Vec<f64>> = (0..m.nrows())
        .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
        .collect();
    json!(rows)
}

const RUNNER: &str = r#"
import inspect, json, sys
import numpy as np
cases = json.load(open(sys.argv[1]))
out = []
for case in cases:
    ns = {}
    exec(case["module"], ns)
    pool = {}
    for k, v in case["inputs"].items():
        pool[k] = float(v) if isinstance(v, (int, float)) else np.array(v, dtype=float)
    for k, v in case["dims"].items():
        pool[k] = int(v)
    res = []
    for fn in case["functions"]:
        f = ns[fn]
        args = {p: pool[p] for p in inspect.signature(f).parameters}
        r = f(**args)
        fin = lambda x: float(x) if np.isfinite(x) else None
        if isinstance(r, float):
            res.append(fin(r))
        else:
            res.append([[fin(x) for x in row] for row in np.asarray(r, dtype=float).reshape(len(r), -1)])
    out.append(res)
json.dump(out, sys.stdout)
"#;

#[test]
fn numpy_modules_agree_with_the_evaluator() {
    let mut paths = common::fixtures("corpus");
    paths.extend(common::fixtures("derivatives"));
    for ex in ["autoencoder", "gplvm", "swish-mlp"] {
        paths.push(format!("{}/examples/{ex}.tex", env!("CARGO_MANIFEST_DIR")).into());
    }
    let (cases, failures) = compare(&paths, 1.0);
    assert_eq!(cases, paths.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The machine-learning fixtures that print a textbook form, at inputs
/// scaled so that their logits reach the hundreds to thousands: wherever
/// the evaluator's value of the answer is finite, the NumPy is finite and
/// agrees with it.
#[test]
fn numpy_of_ml_fixtures_agrees_at_large_logits() {
    let paths: Vec<std::path::PathBuf> = common::fixtures("corpus")
        .into_iter()
        .filter(|p| {
            common::stem(p).starts_with("ml-")
                && std::fs::read_to_string(p).is_ok_and(|s| s.contains("% textbook"))
        })
        .collect();
    assert!(
        paths.len() >= 30,
        "only {} textbook ML fixtures",
        paths.len()
    );
    for scale in [30.0, -30.0] {
        let (cases, failures) = compare(&paths, scale);
        eprintln!(
            "inputs ×{scale}: {cases} of {} fixtures with a finite answer",
            paths.len()
        );
        assert!(cases >= 20, "only {cases} finite at ×{scale}");
        assert!(failures.is_empty(), "×{scale}:\n{}", failures.join("\n"));
    }
}

/// Run every fixture's NumPy module on an instance whose inputs are
/// multiplied by `scale`, against the evaluator: (cases compared, failures).
/// A fixture whose evaluated answer is not finite there is skipped.
fn compare(paths: &[std::path::PathBuf], scale: f64) -> (usize, Vec<String>) {
    let mut cases = Vec::new();
    let mut expected = Vec::new();
    let mut names = Vec::new();
    for path in paths {
        let src = std::fs::read_to_string(path).expect("read");
        let mut p = Problem::new(&src).expect("parses");
        let answers = p.answers().expect("answers");
        let fns: Vec<Function> = answers
            .iter()
            .enumerate()
            .map(|(i, a)| Function {
                name: format!("f{i}_{}", a.question.wrt.ident()),
                id: a.id,
            })
            .collect();
        let code = module(&p.graph, &fns).expect("module");
        let ids: Vec<usize> = answers.iter().map(|a| a.id).collect();
        let (mut inst, _) = valid_instance(&p.graph, 5, &ids).expect("instance");
        if scale != 1.0 {
            for (n, v) in inst.values.iter_mut() {
                if !p
                    .graph
                    .vars
                    .get(n)
                    .is_some_and(|i| i.is_dim || i.simplex || i.spd)
                {
                    *v *= scale;
                }
            }
        }
        let values: Vec<_> = match answers
            .iter()
            .map(|a| eval(&p.graph, &inst, a.id))
            .collect()
        {
            Ok(v) => v,
            Err(_) => continue,
        };
        if values.iter().any(|v| v.iter().any(|x| !x.is_finite())) {
            continue;
        }
        let mut inputs = serde_json::Map::new();
        for (n, v) in &inst.values {
            let scalar = p.graph.vars.get(n).is_some_and(|i| i.shape.is_scalar());
            inputs.insert(py_ident(n), to_json(v, scalar));
        }
        for i in 0..p.graph.len() {
            if let Op::Upstream(of) = p.graph.op(i).clone() {
                let v = eval(&p.graph, &inst, i).expect("upstream value");
                inputs.insert(
                    upstream_ident(&p.graph, &of, p.graph.kids(i)[0]),
                    to_json(&v, false),
                );
            }
        }
        let dims: serde_json::Map<String, Value> = inst
            .sizes
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        cases.push(json!({
            "module": code,
            "functions": fns.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
            "inputs": inputs,
            "dims": dims,
        }));
        expected.push(values);
        names.push(common::stem(path));
    }
    // One directory per call: tests run in parallel in one process, and two
    // of them compare (sharing the files made each run the other's cases).
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("matcalc-numpy-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let (cases_path, runner_path) = (dir.join("cases.json"), dir.join("runner.py"));
    std::fs::write(&cases_path, serde_json::to_string(&cases).expect("json")).expect("write");
    std::fs::write(&runner_path, RUNNER).expect("write");
    let out = std::process::Command::new("python3")
        .arg(&runner_path)
        .arg(&cases_path)
        .output()
        .expect("python3 runs (CI installs numpy)");
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<Vec<Value>> = serde_json::from_slice(&out.stdout).expect("python output is JSON");
    assert_eq!(got.len(), expected.len());
    let mut failures = Vec::new();
    for ((g, e), name) in got.iter().zip(&expected).zip(&names) {
        for (gv, ev) in g.iter().zip(e) {
            let flat: Vec<f64> = match gv {
                Value::Number(x) => vec![x.as_f64().unwrap_or(f64::NAN)],
                Value::Array(rows) => rows
                    .iter()
                    .flat_map(|r| r.as_array().cloned().unwrap_or_default())
                    .map(|x| x.as_f64().unwrap_or(f64::NAN))
                    .collect(),
                _ => vec![f64::NAN],
            };
            // Row-major from Python, compare entry by entry.
            let mut want = Vec::new();
            for i in 0..ev.nrows() {
                for j in 0..ev.ncols() {
                    want.push(ev[(i, j)]);
                }
            }
            let scale = want.iter().fold(1e-9f64, |m, x| m.max(x.abs()));
            let ok = flat.len() == want.len()
                && flat
                    .iter()
                    .zip(&want)
                    .all(|(a, b)| (a - b).abs() <= 1e-8 * scale);
            if !ok {
                failures.push(format!("{name}: numpy {flat:?} vs evaluator {want:?}"));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    (got.len(), failures)
}

/// The NumPy a problem's `grad --format numpy` writes.
fn numpy_of(path: &str) -> String {
    let (out, err, code) = common::run(&["grad", "--format", "numpy", path], None);
    assert_eq!(code, 0, "{err}");
    out
}

/// An inverse applied is a solve, never formed; a subexpression used twice
/// is computed once; a chain that ends in a vector multiplies right to left.
#[test]
fn numpy_solves_shares_and_multiplies_vectors_first() {
    let ex = |id: &str| format!("{}/examples/{id}.tex", env!("CARGO_MANIFEST_DIR"));
    let gplvm = numpy_of(&ex("gplvm"));
    assert!(!gplvm.contains("np.linalg.inv("), "{gplvm}");
    assert!(gplvm.contains("np.linalg.solve(K, "), "{gplvm}");
    let ae = numpy_of(&ex("autoencoder"));
    assert_eq!(ae.matches("(W @ x)").count(), 1, "W x computed once:\n{ae}");
    assert!(
        ae.contains("(W.T @ _t1)"),
        "W^T (W x), not (W^T W) x:\n{ae}"
    );
    assert!(!ae.contains("(W.T @ W)"), "{ae}");
}

/// Logistic and softmax cross-entropy gradients stay finite at logits of
/// ±1000 (the sigmoid in its tanh form; the softmax with its maximum
/// subtracted; no reciprocal of a softmax).
#[test]
fn numpy_gradients_are_finite_at_large_logits() {
    let dir = std::env::temp_dir().join(format!("matcalc-stable-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let cases = [
        (
            "X \\in \\mathbb{R}^{N \\times D}\ny \\in \\mathbb{R}^{N}\nw \\in \\mathbb{R}^{D}\nL = \\mathbf{1}^T \\log(1 + \\exp(-y \\odot X w))\n\\nabla_w L\n",
            "X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]); y = np.array([[1.0], [-1.0], [1.0]]); w = np.array([[-1000.0], [1000.0]]); g = grad_L_w(X=X, y=y, w=w)",
        ),
        (
            "W \\in \\mathbb{R}^{C \\times D}\nx \\in \\mathbb{R}^{D}\ny \\in \\mathbb{R}^{C}\nL = -y^T \\log(\\mathrm{softmax}(W x))\n\\nabla_W L\n",
            "W = np.array([[1000.0, 0.0], [-1000.0, 0.0], [0.0, 0.0]]); x = np.array([[1.0], [0.5]]); y = np.array([[0.0], [1.0], [0.0]]); g = grad_L_W(W=W, x=x, y=y)",
        ),
    ];
    for (k, (doc, call)) in cases.iter().enumerate() {
        let path = dir.join(format!("case{k}.tex"));
        std::fs::write(&path, doc).expect("write");
        let module = numpy_of(path.to_str().expect("path"));
        let script = format!(
            "import numpy as np\nimport warnings\nwarnings.simplefilter('error')\n{module}\n{call}\nassert np.all(np.isfinite(g)), g\nprint('finite')\n"
        );
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg(&script)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("finite"),
            "case {k}:\n{module}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

//! The fixture corpus: every answer agrees with central finite differences,
//! every known closed form (Matrix Cookbook, textbook) agrees numerically with
//! matcalc's answer, and the corpus exercises every operator.

mod common;

use matcalc::oracle::eval;
use matcalc::oracle::valid_instance;
use matcalc::Op;
use matcalc::Problem;
use std::collections::BTreeSet;

const TOL: f64 = 1e-6;

#[test]
fn corpus_is_large_enough() {
    let n = common::fixtures("corpus").len();
    assert!(n >= 80, "only {n} corpus problems");
}

#[test]
fn every_answer_matches_finite_differences() {
    let mut failures = Vec::new();
    let mut count = 0;
    for path in common::fixtures("corpus") {
        let src = std::fs::read_to_string(&path).expect("read fixture");
        let mut p = match Problem::new(&src) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{}: {}", common::stem(&path), e));
                continue;
            }
        };
        let answers = match p.answers() {
            Ok(a) => a,
            Err(e) => {
                failures.push(format!("{}: {}", common::stem(&path), e));
                continue;
            }
        };
        for a in &answers {
            for seed in [11u64, 12] {
                count += 1;
                match p.check(a, seed) {
                    Ok(r) if r.rel_error < TOL => {}
                    Ok(r) => failures.push(format!(
                        "{} ∇_{} {}: relative error {:.2e}",
                        common::stem(&path),
                        a.question.wrt.ident(),
                        a.question.of.ident(),
                        r.rel_error
                    )),
                    Err(e) => failures.push(format!("{}: {}", common::stem(&path), e)),
                }
            }
        }
    }
    assert!(count > 0);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn known_closed_forms_agree_with_answers() {
    let mut failures = Vec::new();
    let mut compared = 0;
    for path in common::fixtures("corpus") {
        let src = std::fs::read_to_string(&path).expect("read fixture");
        let refs = common::references(&src);
        if refs.is_empty() {
            continue;
        }
        let mut p = Problem::new(&src).expect("fixture parses");
        let answers = p.answers().expect("fixture answers");
        for (wrt, reference) in refs {
            let matching: Vec<_> = answers
                .iter()
                .filter(|a| a.question.wrt.ident() == wrt)
                .collect();
            assert!(
                !matching.is_empty(),
                "{}: no query in {wrt}",
                common::stem(&path)
            );
            // With several objectives, the reference is for the last (the total).
            let a = matching[matching.len() - 1];
            let r = match p.expression(&reference, false, Some(&a.shape)) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!(
                        "{}: reference does not parse: {e}",
                        common::stem(&path)
                    ));
                    continue;
                }
            };
            for seed in [21u64, 22] {
                let (inst, _) = valid_instance(&p.graph, seed, &[a.id, r]).expect("instance");
                let (x, y) = (
                    eval(&p.graph, &inst, a.id).expect("eval"),
                    eval(&p.graph, &inst, r).expect("eval"),
                );
                if x.shape() != y.shape() {
                    failures.push(format!(
                        "{} ∇_{wrt}: shape {:?} but `{reference}` is {:?}",
                        common::stem(&path),
                        x.shape(),
                        y.shape()
                    ));
                    break;
                }
                let err = (&x - &y).norm() / x.norm().max(y.norm()).max(1e-9);
                compared += 1;
                if err > 1e-8 {
                    failures.push(format!(
                        "{} ∇_{wrt}: differs from `{reference}` by {err:.2e}",
                        common::stem(&path)
                    ));
                }
            }
        }
    }
    assert!(compared >= 120, "only {compared} comparisons");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn op_name(op: &Op) -> &'static str {
    match op {
        Op::Var(_) => "var",
        Op::Def(_) => "def",
        Op::Const(_) => "const",
        Op::Identity => "identity",
        Op::Ones => "ones",
        Op::Zero => "zero",
        Op::Upstream(_) => "upstream",
        Op::Add => "add",
        Op::Mul => "mul",
        Op::Had => "hadamard",
        Op::Kron => "kronecker",
        Op::Transpose => "transpose",
        Op::Inv => "inverse",
        Op::MatPow(_) => "matpow",
        Op::Pow(_) => "pow",
        Op::Trace => "trace",
        Op::Det => "det",
        Op::LogDet => "logdet",
        Op::Norm => "norm",
        Op::NormSq => "normsq",
        Op::Func(f) => match f {
            matcalc::Func::Exp => "exp",
            matcalc::Func::Log => "log",
            matcalc::Func::Sigmoid => "sigmoid",
            matcalc::Func::Tanh => "tanh",
            matcalc::Func::Sin => "sin",
            matcalc::Func::Cos => "cos",
            matcalc::Func::Sqrt => "sqrt",
            matcalc::Func::Relu => "relu",
            matcalc::Func::Step => "step",
            matcalc::Func::Cosh => "cosh",
            matcalc::Func::Sinh => "sinh",
            matcalc::Func::Arctan => "arctan",
            matcalc::Func::Softplus => "softplus",
        },
        Op::Call(_) => "call",
        Op::Opaque(_) => "opaque",
        Op::Sum => "sum",
        Op::Diag => "diag",
        Op::DiagPart => "diagpart",
        Op::Vec => "vec",
        Op::Unvec => "unvec",
        Op::Softmax => "softmax",
        Op::LogSumExp => "logsumexp",
        Op::KronL => "krongrad-a",
        Op::KronR => "krongrad-b",
        Op::Commutation(..) => "commutation",
    }
}

#[test]
fn corpus_problems_use_every_operator() {
    let mut seen = BTreeSet::new();
    for path in common::fixtures("corpus") {
        let src = std::fs::read_to_string(&path).expect("read fixture");
        let p = Problem::new(&src).expect("fixture parses");
        // Only the problems' own nodes (before differentiation) count.
        for i in 0..p.graph.len() {
            seen.insert(op_name(p.graph.op(i)));
        }
    }
    let wanted = [
        "add",
        "mul",
        "hadamard",
        "kronecker",
        "transpose",
        "inverse",
        "matpow",
        "pow",
        "trace",
        "det",
        "logdet",
        "norm",
        "normsq",
        "exp",
        "log",
        "sigmoid",
        "tanh",
        "sin",
        "cos",
        "sqrt",
        "relu",
        "cosh",
        "sinh",
        "arctan",
        "softplus",
        "call",
        "opaque",
        "sum",
        "diag",
        "diagpart",
        "vec",
        "softmax",
        "logsumexp",
        "upstream",
        "identity",
        "ones",
        "def",
    ];
    let missing: Vec<_> = wanted.iter().filter(|w| !seen.contains(*w)).collect();
    assert!(
        missing.is_empty(),
        "operators no corpus problem uses: {missing:?}"
    );
}

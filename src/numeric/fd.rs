//! Central finite differences with Richardson extrapolation, and the check
//! of a symbolic gradient against them.

use super::eval::{Evaluator, M};
use super::instance::{Instance, Mode, Overrides};
use crate::diagnostic::{Diagnostic, ErrorKind, Result};
use crate::ir::{Graph, Id, Op};
use std::collections::HashMap;

/// Tries before giving up on finding a valid instance.
pub const MAX_TRIES: u64 = 24;

/// The outcome of checking one gradient on one instance.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CheckResult {
    /// Relative error ‖g − fd‖ / max(‖fd‖, ‖g‖, 1e-6).
    pub rel_error: f64,
    /// The seed of the instance used.
    pub seed: u64,
    /// Resampling notes (e.g. switched to positive values).
    pub notes: Vec<String>,
}

fn value_at(g: &Graph, inst: &Instance, root: Id, target: Id, x: &M) -> Result<f64> {
    let mut ov: Overrides = HashMap::new();
    if let Op::Var(n) = g.op(target) {
        let mut inst2 = inst.clone();
        inst2.values.insert(n.clone(), x.clone());
        let mut ev = Evaluator::new(g, &inst2, &ov);
        return Ok(ev.eval(root)?[(0, 0)]);
    }
    ov.insert(target, x.clone());
    let mut ev = Evaluator::new(g, inst, &ov);
    Ok(ev.eval(root)?[(0, 0)])
}

/// The finite-difference gradient of scalar `root` in node `target`.
pub fn fd_gradient(g: &Graph, inst: &Instance, root: Id, target: Id) -> Result<M> {
    let x0 = Evaluator::new(g, inst, &HashMap::new()).eval(target)?;
    let mut out = M::zeros(x0.nrows(), x0.ncols());
    for i in 0..x0.len() {
        let h = 1e-3 * x0[i].abs().max(1.0);
        let d = |h: f64| -> Result<f64> {
            let mut xp = x0.clone();
            xp[i] += h;
            let mut xm = x0.clone();
            xm[i] -= h;
            Ok(
                (value_at(g, inst, root, target, &xp)? - value_at(g, inst, root, target, &xm)?)
                    / (2.0 * h),
            )
        };
        let (d1, d2) = (d(h)?, d(h / 2.0)?);
        out[i] = (4.0 * d2 - d1) / 3.0;
    }
    Ok(out)
}

/// Find a valid instance (every node of `roots` evaluates), starting at `seed`.
pub fn valid_instance(g: &Graph, seed: u64, roots: &[Id]) -> Result<(Instance, Vec<String>)> {
    let mut last = None;
    let mut notes = Vec::new();
    for k in 0..MAX_TRIES {
        let mode = if k % 2 == 0 {
            Mode::General
        } else {
            Mode::Positive
        };
        let s = seed.wrapping_add(k / 2 * 1000);
        let inst = Instance::sample(g, s, mode);
        let ok = roots.iter().try_for_each(|&r| {
            Evaluator::new(g, &inst, &HashMap::new())
                .eval(r)
                .map(|_| ())
        });
        match ok {
            Ok(()) => {
                if k > 0 {
                    notes.push(format!(
                        "resampled {k} time(s) to find a valid instance ({})",
                        last.map(|e: Diagnostic| e.message).unwrap_or_default()
                    ));
                }
                return Ok((inst, notes));
            }
            Err(e) if e.kind == ErrorKind::Domain => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(Diagnostic::new(
        ErrorKind::Domain,
        format!(
            "no valid instance found in {MAX_TRIES} tries: {}",
            last.map(|e| e.message).unwrap_or_default()
        ),
    ))
}

/// Compare the symbolic gradient `answer` of `root` in `target` with finite
/// differences on a valid instance drawn from `seed`.
pub fn check_gradient(
    g: &Graph,
    root: Id,
    target: Id,
    answer: Id,
    seed: u64,
) -> Result<CheckResult> {
    let (inst, notes) = valid_instance(g, seed, &[root, answer])?;
    let sym = Evaluator::new(g, &inst, &HashMap::new()).eval(answer)?;
    let fd = fd_gradient(g, &inst, root, target)?;
    if sym.shape() != fd.shape() {
        return Err(Diagnostic::new(
            ErrorKind::Internal,
            format!(
                "gradient has shape {:?} but the variable has {:?}",
                sym.shape(),
                fd.shape()
            ),
        ));
    }
    let denom = fd.norm().max(sym.norm()).max(1e-6);
    Ok(CheckResult {
        rel_error: (&sym - &fd).norm() / denom,
        seed: inst.seed,
        notes,
    })
}

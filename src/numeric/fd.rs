//! Central finite differences of the independent oracle (the objective
//! evaluated from the checked syntax tree), and the check of a symbolic
//! gradient against them.
//!
//! The step adapts: a disagreement at the first step is tried again at
//! larger and smaller steps, and only a disagreement at every step is
//! reported. Beyond [`ENTRY_BUDGET`] entries the gradient is checked along
//! random directions instead of entry by entry, and the result says so.

use super::eval::{eval, too_much_work, work, HEAVY_WORK, M, MAX_WORK};
use super::instance::{Instance, Mode};
use super::oracle::{objective, Oracle};
use crate::check::Typed;
use crate::core::diagnostic::{Diagnostic, ErrorKind, Result};
use crate::ir::{Graph, Id};
use crate::syntax::ast::Name;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// Tries before giving up on finding a valid instance.
pub const MAX_TRIES: u64 = 24;

/// Most entries checked one by one; beyond, random directions.
pub const ENTRY_BUDGET: usize = 64;

/// Random directions checked beyond the entry budget.
pub const DIRECTIONS: usize = 4;

/// The 2-norm of a sequence.
fn norm(xs: &mut dyn Iterator<Item = f64>) -> f64 {
    xs.map(|a| a * a).sum::<f64>().sqrt()
}

/// Errors above this must be confirmed: two steps' estimates agree.
const CONFIRM_ABOVE: f64 = 1e-7;

/// Whether two of the estimates agree with each other (relative 1e-4).
fn settled(estimates: &[Vec<f64>]) -> bool {
    estimates.iter().enumerate().any(|(i, a)| {
        estimates[i + 1..].iter().any(|b| {
            let d = norm(&mut a.iter().zip(b).map(|(x, y)| x - y));
            let scale = norm(&mut a.iter().copied()).max(norm(&mut b.iter().copied()));
            d <= 1e-4 * scale.max(1e-12)
        })
    })
}

/// Relative steps tried, in order, until one agrees.
const STEPS: [f64; 8] = [1e-3, 1e-2, 1e-4, 1e-5, 1e-6, 3e-2, 1e-7, 1e-8];

/// The outcome of checking one gradient on one instance.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CheckResult {
    /// Relative error ‖g − fd‖ / max(‖fd‖, ‖g‖, 1e-6), at the best step.
    pub rel_error: f64,
    /// The seed of the instance used.
    pub seed: u64,
    /// Resampling and method notes (e.g. "along 4 random directions").
    pub notes: Vec<String>,
    /// One evaluation is expensive: further instances add little.
    pub heavy: bool,
}

/// What is being differentiated: objective `of` in `wrt`, where `wrt` is
/// a free input or a defined name.
#[derive(Clone, Copy)]
pub struct Objective<'a> {
    /// The checked document.
    pub typed: &'a Typed,
    /// The objective's name.
    pub of: &'a Name,
    /// The variable's name.
    pub wrt: &'a Name,
    /// The objective's node in the graph (for estimating numeric work).
    pub root: Id,
}

impl Objective<'_> {
    /// The variable's value on `inst`.
    fn point(&self, inst: &Instance) -> Result<M> {
        if let Some(v) = inst.values.get(self.wrt) {
            return Ok(v.clone());
        }
        Oracle::new(self.typed, inst, &BTreeMap::new()).def(self.wrt)
    }

    /// The objective with the variable set to `x`.
    fn at(&self, inst: &Instance, x: &M) -> Result<f64> {
        if inst.values.contains_key(self.wrt) {
            let mut i2 = inst.clone();
            i2.values.insert(self.wrt.clone(), x.clone());
            return objective(self.typed, &i2, self.of, &BTreeMap::new());
        }
        let ov = BTreeMap::from([(self.wrt.clone(), x.clone())]);
        objective(self.typed, inst, self.of, &ov)
    }

    /// The derivative along `v` at `x0` by central differences with one
    /// Richardson step, at relative step `s`, and the uncertainty of that
    /// estimate (rounding noise and truncation).
    fn directional(&self, inst: &Instance, x0: &M, v: &M, s: f64) -> Result<(f64, f64)> {
        let h = s * x0.amax().max(1.0) / v.amax().max(1e-300);
        let mut size: f64 = 0.0;
        let mut d = |h: f64| -> Result<f64> {
            let (xp, xm) = (x0 + v * h, x0 - v * h);
            let (fp, fm) = (self.at(inst, &xp)?, self.at(inst, &xm)?);
            size = size.max(fp.abs()).max(fm.abs());
            Ok((fp - fm) / (2.0 * h))
        };
        let (d1, d2) = (d(h)?, d(h / 2.0)?);
        // Rounding noise, plus the size of the Richardson correction (an
        // upper bound of what truncation leaves after it).
        let noise = 8.0 * f64::EPSILON * size / h + (d2 - d1).abs();
        Ok(((4.0 * d2 - d1) / 3.0, noise))
    }
}

/// Find an instance on which every check evaluates, starting at `seed`:
/// general values first, then positive ones.
pub fn valid_instance_with(
    g: &Graph,
    seed: u64,
    ok: &mut dyn FnMut(&Instance) -> Result<()>,
) -> Result<(Instance, Vec<String>)> {
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
        match ok(&inst) {
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

/// Find an instance on which every node of `roots` evaluates.
pub fn valid_instance(g: &Graph, seed: u64, roots: &[Id]) -> Result<(Instance, Vec<String>)> {
    valid_instance_with(g, seed, &mut |inst| {
        roots.iter().try_for_each(|&r| eval(g, inst, r).map(|_| ()))
    })
}

/// Compare the symbolic gradient `answer` with finite differences of the
/// oracle's objective on a valid instance drawn from `seed`.
/// Entries are checked one by one up to `entry_budget` entries; beyond, and
/// always with a budget of 0, along random directions.
pub fn check_gradient(
    obj: Objective,
    g: &Graph,
    answer: Id,
    seed: u64,
    entry_budget: usize,
) -> Result<CheckResult> {
    let mut w = 0.0;
    let (inst, mut notes) = valid_instance_with(g, seed, &mut |inst| {
        w = work(g, &inst.sizes, obj.root) + work(g, &inst.sizes, answer);
        if w > MAX_WORK {
            return Err(too_much_work(w));
        }
        let x = obj.point(inst)?;
        obj.at(inst, &x)?;
        eval(g, inst, answer).map(|_| ())
    })?;
    let sym = eval(g, &inst, answer)?;
    let x0 = obj.point(&inst)?;
    if sym.shape() != x0.shape() {
        return Err(Diagnostic::new(
            ErrorKind::Internal,
            format!(
                "the gradient is {}×{} but the variable is {}×{}",
                sym.nrows(),
                sym.ncols(),
                x0.nrows(),
                x0.ncols()
            ),
        ));
    }
    // Directions: every entry, or random ones beyond the budget.
    let n = x0.len();
    let heavy = w > HEAVY_WORK;
    let budget = if heavy { 1 } else { entry_budget };
    let directions = if heavy { 1 } else { DIRECTIONS };
    let dirs: Vec<M> = if n <= budget {
        (0..n)
            .map(|i| {
                let mut e = M::zeros(x0.nrows(), x0.ncols());
                e[i] = 1.0;
                e
            })
            .collect()
    } else {
        notes.push(format!(
            "checked along {directions} random direction(s) (the variable has {n} entries)"
        ));
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
        (0..directions)
            .map(|_| M::from_fn(x0.nrows(), x0.ncols(), |_, _| rng.gen_range(-1.0..1.0)))
            .collect()
    };
    let want: Vec<f64> = dirs.iter().map(|v| sym.dot(v)).collect();
    let nw = norm(&mut want.iter().copied());
    let mut best = f64::INFINITY;
    let mut swamped = false;
    // Estimates at the steps that resolved, to confirm a disagreement.
    let mut estimates: Vec<Vec<f64>> = Vec::new();
    for s in STEPS {
        let got = dirs
            .iter()
            .map(|v| obj.directional(&inst, &x0, v, s))
            .collect::<Result<Vec<(f64, f64)>>>();
        let got = match got {
            Ok(v) => v,
            // A step that leaves the domain proves nothing either way.
            Err(e) if e.kind == ErrorKind::Domain => continue,
            Err(e) => return Err(e),
        };
        let diff = norm(&mut want.iter().zip(&got).map(|(a, (b, _))| a - b));
        let ng = norm(&mut got.iter().map(|(b, _)| *b));
        let noise = norm(&mut got.iter().map(|(_, n)| *n));
        let scale = nw.max(ng);
        // Uncertainty comparable to the derivative itself (rounding noise
        // of a huge objective, or a step the function is not resolved at):
        // this step can neither confirm nor refute.
        if noise > 0.5 * scale.max(1e-6) {
            swamped = true;
            continue;
        }
        // Agreement up to the uncertainty of the differences.
        let err = (diff - noise).max(0.0) / scale.max(1e-6);
        best = best.min(err);
        estimates.push(got.iter().map(|(b, _)| *b).collect());
        if best < 1e-8 {
            break;
        }
    }
    if !best.is_finite() {
        return Err(Diagnostic::new(
            ErrorKind::Domain,
            if swamped {
                "finite differences are inconclusive on this instance: rounding noise or an unresolved step swamps the objective's change along the variable"
            } else {
                "every finite-difference step left the objective's domain"
            },
        ));
    }
    // A disagreement counts only once two steps agree with each other on
    // what the derivative is (an oscillating objective can make one step's
    // estimate look settled by chance).
    if best > CONFIRM_ABOVE && !settled(&estimates) {
        return Err(Diagnostic::new(
            ErrorKind::Domain,
            "finite differences do not settle on this instance: no two steps agree on the derivative",
        ));
    }
    Ok(CheckResult {
        rel_error: best,
        seed: inst.seed,
        notes,
        heavy,
    })
}

//! Central finite differences of the independent oracle (the objective
//! evaluated from the checked syntax tree), and the check of a symbolic
//! gradient against them.
//!
//! The step adapts: a disagreement at the first step is tried again at
//! larger and smaller steps, and only a disagreement at every step is
//! reported. Beyond [`ENTRY_BUDGET`] entries the gradient is checked along
//! random directions instead of entry by entry, and the result says so.

use super::eval::{eval, max_work, too_large_to_sample, too_much_work, work, HEAVY_WORK, M};
use super::instance::{Instance, Mode};
use super::oracle::{Oracle, Shared};
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

/// Instances tried for an evaluation above `HEAVY_WORK` operations.
pub const HEAVY_TRIES: usize = 2;

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
    /// The disagreement beyond the finite differences' own error estimate,
    /// (‖g − fd‖ − noise) / max(‖fd‖, ‖g‖, 1e-6), at the best step: what a
    /// pass or fail is decided on.
    pub rel_error: f64,
    /// The plain relative difference ‖g − fd‖ / max(‖fd‖, ‖g‖, 1e-6) at
    /// that step (rounding and truncation included).
    pub difference: f64,
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
    /// What its evaluations share (see [`Shared`]).
    pub shared: &'a std::cell::RefCell<Shared>,
}

impl Objective<'_> {
    /// The variable's value on `inst`.
    fn point(&self, inst: &Instance) -> Result<M> {
        if let Some(v) = inst.values.get(self.wrt) {
            return Ok(v.clone());
        }
        // A declared variable without a value was too large to sample.
        if !self.typed.defs.iter().any(|(k, _)| k == self.wrt) {
            return Err(too_large_to_sample(self.wrt));
        }
        Oracle::new(self.typed, inst, &BTreeMap::new()).def(self.wrt)
    }

    /// The objective with the variable set to `x`.
    fn at(&self, inst: &Instance, x: &M) -> Result<f64> {
        Ok(self.value_at(inst, x)?[(0, 0)])
    }

    /// The objective's value (any shape) with the variable set to `x`.
    fn value_at(&self, inst: &Instance, x: &M) -> Result<M> {
        // The variable's value is an override, input or defined name alike:
        // the instance is not copied per evaluation.
        let ov = BTreeMap::from([(self.wrt.clone(), x.clone())]);
        Oracle::with_shared(self.typed, inst, &ov, self.shared).def(self.of)
    }

    /// The scalar whose derivative along the pair's direction is probed:
    /// the objective, or `w^T z` for a Jacobian.
    fn scalar_at(&self, probe: Probe, inst: &Instance, w: &M, x: &M) -> Result<f64> {
        match probe {
            Probe::Jacobian => Ok(w.dot(&self.value_at(inst, x)?)),
            Probe::Gradient | Probe::Hessian => self.at(inst, x),
        }
    }

    /// The derivative along `v` at `x0` (of `w^T z` for a Jacobian; the
    /// second derivative along `w` and `v` for a Hessian) by central
    /// differences with one Richardson step, at relative step `s`, and the
    /// uncertainty of that estimate (rounding noise and truncation).
    fn estimate(
        &self,
        probe: Probe,
        inst: &Instance,
        x0: &M,
        (w, v): (&M, &M),
        s: f64,
    ) -> Result<(f64, f64)> {
        let mut size: f64 = 0.0;
        let mut f = |x: &M| -> Result<f64> {
            let y = self.scalar_at(probe, inst, w, x)?;
            size = size.max(y.abs());
            Ok(y)
        };
        let scale = x0.amax().max(1.0);
        if probe == Probe::Hessian {
            let h = s * scale / w.amax().max(v.amax()).max(1e-300);
            let mut d = |h: f64| -> Result<f64> {
                let (a, b) = (w * h, v * h);
                let pp = f(&(x0 + &a + &b))?;
                let pm = f(&(x0 + &a - &b))?;
                let mp = f(&(x0 - &a + &b))?;
                let mm = f(&(x0 - &a - &b))?;
                Ok((pp - pm - mp + mm) / (4.0 * h * h))
            };
            let (d1, d2) = (d(h)?, d(h / 2.0)?);
            let noise = 16.0 * f64::EPSILON * size / (h * h / 4.0) + (d2 - d1).abs();
            return Ok(((4.0 * d2 - d1) / 3.0, noise));
        }
        let h = s * scale / v.amax().max(1e-300);
        let mut d = |h: f64| -> Result<f64> {
            let (fp, fm) = (f(&(x0 + v * h))?, f(&(x0 - v * h))?);
            Ok((fp - fm) / (2.0 * h))
        };
        let (d1, d2) = (d(h)?, d(h / 2.0)?);
        // Rounding noise, plus the size of the Richardson correction (an
        // upper bound of what truncation leaves after it).
        let noise = 8.0 * f64::EPSILON * size / h + (d2 - d1).abs();
        Ok(((4.0 * d2 - d1) / 3.0, noise))
    }
}

/// Which derivative an answer is, and so how finite differences probe it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// `⟨G, v⟩ = D_v f`.
    Gradient,
    /// `w^T J \mathrm{vec}(v) = D_v (w^T z)`.
    Jacobian,
    /// `\mathrm{vec}(w)^T H \mathrm{vec}(v) = D_w D_v f`.
    Hessian,
}

/// Relative steps for second differences, in order. None above 1e-2: a
/// coarse step's truncation estimate (part of the noise subtracted from the
/// error) can be as large as a wrong answer's error, so a coarse step could
/// pass a Hessian that is off by tens of percent.
const STEPS2: [f64; 5] = [1e-2, 1e-3, 3e-3, 1e-4, 3e-4];

/// A column of the entries of `x` (column-major, as `\mathrm{vec}`).
fn as_column(x: &M) -> M {
    M::from_column_slice(x.len(), 1, x.as_slice())
}

/// A random matrix of the given size, entries in (−1, 1).
fn random(rng: &mut ChaCha8Rng, r: usize, c: usize) -> M {
    M::from_fn(r, c, |_, _| rng.gen_range(-1.0..1.0))
}

/// The unit matrix with a one at (column-major) entry `i`.
fn unit(r: usize, c: usize, i: usize) -> M {
    let mut e = M::zeros(r, c);
    e[i] = 1.0;
    e
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

/// Compare the symbolic derivative `answer` (a gradient, Jacobian or
/// Hessian, as `probe` says) with finite differences of the oracle's
/// objective on a valid instance drawn from `seed`.
/// Entries are checked one by one up to `entry_budget` entries; beyond, and
/// always with a budget of 0, along random directions.
pub fn check_derivative(
    obj: Objective,
    probe: Probe,
    g: &Graph,
    answer: Id,
    seed: u64,
    entry_budget: usize,
) -> Result<CheckResult> {
    let mut w = 0.0;
    let mut tries = 0;
    let mut sym = None;
    let (inst, mut notes) = valid_instance_with(g, seed, &mut |inst| {
        w = work(g, &inst.sizes, obj.root) + work(g, &inst.sizes, answer);
        if w > max_work() {
            return Err(too_much_work(w));
        }
        // A heavy evaluation is not retried for long: an objective that
        // overflows on one large instance (`\det` of a 1000 × 1000 matrix)
        // overflows on the next one too.
        tries += 1;
        if w > HEAVY_WORK && tries > HEAVY_TRIES {
            return Err(Diagnostic::new(
                ErrorKind::Limit,
                format!(
                    "no valid instance in {HEAVY_TRIES} tries of an evaluation this large (about {w:.0e} floating-point operations each)"
                ),
            ));
        }
        let x = obj.point(inst)?;
        match probe {
            Probe::Jacobian => obj.value_at(inst, &x).map(|_| ())?,
            _ => obj.at(inst, &x).map(|_| ())?,
        }
        // Kept: the instance found is the last one tried, and the answer
        // is not evaluated twice (an inverse of 1000 × 1000 is costly).
        sym = Some(eval(g, inst, answer)?);
        Ok(())
    })?;
    let sym = match sym {
        Some(s) => s,
        None => eval(g, &inst, answer)?,
    };
    let x0 = obj.point(&inst)?;
    let n = x0.len();
    let (xr, xc) = (x0.nrows(), x0.ncols());
    let zlen = obj.value_at(&inst, &x0)?.len();
    let want_shape = match probe {
        Probe::Gradient => (xr, xc),
        Probe::Jacobian => (zlen, n),
        Probe::Hessian => (n, n),
    };
    if sym.shape() != want_shape {
        return Err(Diagnostic::new(
            ErrorKind::Internal,
            format!(
                "the derivative is {}×{} but should be {}×{}",
                sym.nrows(),
                sym.ncols(),
                want_shape.0,
                want_shape.1
            ),
        ));
    }
    // Probe pairs (w, v): every entry, or random ones beyond the budget.
    let heavy = w > HEAVY_WORK;
    let budget = if heavy { 1 } else { entry_budget };
    let directions = if heavy { 1 } else { DIRECTIONS };
    let (wr, wc) = match probe {
        Probe::Gradient => (1, 1),
        Probe::Jacobian => (zlen, 1),
        Probe::Hessian => (xr, xc),
    };
    let pairs_all = wr * wc * n;
    let pairs: Vec<(M, M)> = if pairs_all <= budget {
        (0..wr * wc)
            .flat_map(|i| (0..n).map(move |j| (unit(wr, wc, i), unit(xr, xc, j))))
            .collect()
    } else {
        notes.push(format!(
            "checked along {directions} random direction(s) (the derivative has {} entries)",
            sym.len()
        ));
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
        (0..directions)
            .map(|_| {
                let v = random(&mut rng, xr, xc);
                let w = match probe {
                    Probe::Gradient => M::from_element(1, 1, 1.0),
                    _ => random(&mut rng, wr, wc),
                };
                (w, v)
            })
            .collect()
    };
    let want: Vec<f64> = pairs
        .iter()
        .map(|(w, v)| match probe {
            Probe::Gradient => sym.dot(v),
            _ => (as_column(w).transpose() * &sym * as_column(v))[(0, 0)],
        })
        .collect();
    let nw = norm(&mut want.iter().copied());
    let mut best = f64::INFINITY;
    let mut difference = f64::INFINITY;
    let mut swamped = false;
    // Estimates at the steps that resolved, to confirm a disagreement.
    let mut estimates: Vec<Vec<f64>> = Vec::new();
    let steps: &[f64] = if probe == Probe::Hessian {
        &STEPS2
    } else {
        &STEPS
    };
    for &s in steps {
        let got = pairs
            .iter()
            .map(|(w, v)| obj.estimate(probe, &inst, &x0, (w, v), s))
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
        if err < best || (err == best && diff / scale.max(1e-6) < difference) {
            difference = diff / scale.max(1e-6);
        }
        best = best.min(err);
        estimates.push(got.iter().map(|(b, _)| *b).collect());
        // A heavy evaluation (a 1000 × 1000 factorisation per point) stops
        // at the first step that needs no confirmation; a light one goes on
        // to report a tighter figure.
        if best < 1e-8 || (heavy && best <= CONFIRM_ABOVE) {
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
        difference,
        seed: inst.seed,
        notes,
        heavy,
    })
}

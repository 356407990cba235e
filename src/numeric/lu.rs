//! LU factorisation with partial pivoting, recursive so that almost all of
//! its work is matrix multiplication (nalgebra's `gemm`, which is blocked
//! and vectorised), and the log-determinant, determinant and inverse from
//! it.
//!
//! Why not nalgebra's `LU`: it updates the trailing matrix one column at a
//! time, so a 1000 × 1000 factorisation streams the matrix a thousand times
//! (about 0.2 s here, half of `check` on a 1000 × 1000 log-determinant).
//! The recursive form (Toledo, 1997) splits the columns in halves: factor
//! the left half, solve for the top right block, update the bottom right
//! block by one product, factor it. Results agree with nalgebra's to
//! rounding (tested below).

use super::eval::M;

/// Panels this narrow are factored column by column.
const BASE: usize = 24;

/// `A = P L U` packed: `L` (unit lower, below the diagonal) and `U` (upper)
/// in one matrix; `perm[i]` is the row of `A` that ended up in row `i`.
pub struct Lu {
    lu: M,
    perm: Vec<usize>,
    swaps: usize,
}

impl Lu {
    /// The factorisation of the square matrix `a`.
    pub fn new(a: &M) -> Lu {
        let n = a.nrows();
        debug_assert_eq!(n, a.ncols(), "LU of a square matrix");
        let mut lu = a.clone();
        let mut perm: Vec<usize> = (0..n).collect();
        let mut swaps = 0;
        factor(&mut lu, 0, n, &mut perm, &mut swaps);
        Lu { lu, perm, swaps }
    }

    /// The diagonal of `U`.
    fn pivots(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.lu.nrows()).map(|i| self.lu[(i, i)])
    }

    /// `\log|\det A|` (the sum of the logs of the pivots' magnitudes, which
    /// neither overflows nor underflows), or `None` when a pivot is zero.
    pub fn log_abs_det(&self) -> Option<f64> {
        let mut s = 0.0;
        for d in self.pivots() {
            let d = d.abs();
            if d == 0.0 || !d.is_finite() {
                return None;
            }
            s += d.ln();
        }
        Some(s)
    }

    /// `\det A`.
    pub fn determinant(&self) -> f64 {
        let sign = if self.swaps.is_multiple_of(2) {
            1.0
        } else {
            -1.0
        };
        self.pivots().fold(sign, |acc, d| acc * d)
    }

    /// `A^{-1}`, or `None` when a pivot is zero.
    pub fn inverse(&self) -> Option<M> {
        if self.pivots().any(|d| d == 0.0 || !d.is_finite()) {
            return None;
        }
        let n = self.lu.nrows();
        // A X = I  ⇔  L U X = P^T I: the rows of I in the pivots' order.
        let mut x = M::zeros(n, n);
        for (i, &p) in self.perm.iter().enumerate() {
            x[(i, p)] = 1.0;
        }
        solve_lower_unit(&self.lu, 0, n, &mut x);
        solve_upper(&self.lu, 0, n, &mut x);
        Some(x)
    }
}

/// Factor columns `c0..c1` of `a` over rows `c0..`, swapping whole rows.
fn factor(a: &mut M, c0: usize, c1: usize, perm: &mut [usize], swaps: &mut usize) {
    let n = a.nrows();
    let w = c1 - c0;
    if w <= BASE {
        for j in c0..c1 {
            let p = (j..n)
                .max_by(|&x, &y| a[(x, j)].abs().total_cmp(&a[(y, j)].abs()))
                .unwrap_or(j);
            if p != j {
                a.swap_rows(j, p);
                perm.swap(j, p);
                *swaps += 1;
            }
            let d = a[(j, j)];
            if d == 0.0 {
                continue;
            }
            for i in j + 1..n {
                a[(i, j)] /= d;
            }
            for k in j + 1..c1 {
                let u = a[(j, k)];
                if u != 0.0 {
                    for i in j + 1..n {
                        a[(i, k)] -= a[(i, j)] * u;
                    }
                }
            }
        }
        return;
    }
    let h = c0 + w / 2;
    factor(a, c0, h, perm, swaps);
    // A12 ← L11^{-1} A12
    let mut a12 = a.view((c0, h), (h - c0, c1 - h)).clone_owned();
    let l11 = a.view((c0, c0), (h - c0, h - c0)).clone_owned();
    solve_lower_unit(&l11, 0, h - c0, &mut a12);
    a.view_mut((c0, h), (h - c0, c1 - h)).copy_from(&a12);
    // A22 ← A22 - L21 A12
    let l21 = a.view((h, c0), (n - h, h - c0)).clone_owned();
    a.view_mut((h, h), (n - h, c1 - h))
        .gemm(-1.0, &l21, &a12, 1.0);
    factor(a, h, c1, perm, swaps);
}

/// Rows `r0..r1` of `x` ← `L^{-1}` of them, with `L` the unit lower
/// triangle of `l` (rows and columns `r0..r1`); recursive, so the bulk is a
/// product.
fn solve_lower_unit(l: &M, r0: usize, r1: usize, x: &mut M) {
    let w = r1 - r0;
    let cols = x.ncols();
    if w <= BASE {
        for i in r0..r1 {
            for k in r0..i {
                let f = l[(i, k)];
                if f != 0.0 {
                    for c in 0..cols {
                        x[(i, c)] -= f * x[(k, c)];
                    }
                }
            }
        }
        return;
    }
    let h = r0 + w / 2;
    solve_lower_unit(l, r0, h, x);
    let top = x.view((r0, 0), (h - r0, cols)).clone_owned();
    x.view_mut((h, 0), (r1 - h, cols))
        .gemm(-1.0, &l.view((h, r0), (r1 - h, h - r0)), &top, 1.0);
    solve_lower_unit(l, h, r1, x);
}

/// Rows `r0..r1` of `x` ← `U^{-1}` of them, with `U` the upper triangle of
/// `u` (rows and columns `r0..r1`), the bottom half first.
fn solve_upper(u: &M, r0: usize, r1: usize, x: &mut M) {
    let w = r1 - r0;
    let cols = x.ncols();
    if w <= BASE {
        for i in (r0..r1).rev() {
            for k in i + 1..r1 {
                let f = u[(i, k)];
                if f != 0.0 {
                    for c in 0..cols {
                        x[(i, c)] -= f * x[(k, c)];
                    }
                }
            }
            let d = u[(i, i)];
            for c in 0..cols {
                x[(i, c)] /= d;
            }
        }
        return;
    }
    let h = r0 + w / 2;
    solve_upper(u, h, r1, x);
    let bottom = x.view((h, 0), (r1 - h, cols)).clone_owned();
    x.view_mut((r0, 0), (h - r0, cols)).gemm(
        -1.0,
        &u.view((r0, h), (h - r0, r1 - h)),
        &bottom,
        1.0,
    );
    solve_upper(u, r0, h, x);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn random(n: usize, seed: u64) -> M {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        M::from_fn(n, n, |_, _| rng.gen_range(-1.0..1.0))
    }

    #[test]
    fn agrees_with_nalgebra_at_every_size_around_the_block() {
        for (k, n) in [1usize, 2, 3, 7, 23, 24, 25, 48, 49, 50, 97, 130]
            .into_iter()
            .enumerate()
        {
            let a = random(n, k as u64);
            let ours = Lu::new(&a);
            let theirs = a.clone().lu();
            let d = theirs.determinant();
            assert!(
                (ours.determinant() - d).abs() <= 1e-10 * d.abs().max(1.0),
                "det at {n}"
            );
            let l = ours.log_abs_det().expect("nonsingular");
            assert!((l - d.abs().ln()).abs() < 1e-9, "log|det| at {n}");
            let inv = ours.inverse().expect("nonsingular");
            let err = (&a * &inv - M::identity(n, n)).norm();
            assert!(err < 1e-8 * n as f64, "A A^-1 - I at {n}: {err:e}");
        }
    }

    #[test]
    fn a_singular_matrix_has_no_inverse_and_no_log_determinant() {
        let mut a = random(40, 9);
        for i in 0..40 {
            a[(i, 17)] = 2.0 * a[(i, 3)];
        }
        let lu = Lu::new(&a);
        // Against Hadamard's bound |det A| <= prod of the columns' norms.
        let bound: f64 = a.column_iter().map(|c| c.norm()).product();
        assert!(lu.determinant().abs() < 1e-12 * bound);
        // Rounding may leave a tiny pivot instead of zero; an exact zero
        // column always gives a zero pivot.
        let mut z = random(30, 10);
        for i in 0..30 {
            z[(i, 5)] = 0.0;
        }
        let lu = Lu::new(&z);
        assert!(lu.inverse().is_none());
        assert!(lu.log_abs_det().is_none());
        assert_eq!(lu.determinant(), 0.0);
    }
}

//! Ridge regression on standardised features: the baseline the boosted
//! trees must beat. Solved in closed form (normal equations, Cholesky);
//! with about 60 features that is instant.

use serde::{Deserialize, Serialize};

/// A fitted linear model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ridge {
    mean: Vec<f64>,
    scale: Vec<f64>,
    weights: Vec<f64>,
    intercept: f64,
}

impl Ridge {
    /// Fits `y ≈ x·w + b` with penalty `lambda · |w|²` on standardised
    /// columns; `x` is row-major with `cols` columns.
    pub fn fit(x: &[f64], cols: usize, y: &[f64], lambda: f64) -> Ridge {
        let n = y.len();
        let mut mean = vec![0.0; cols];
        let mut sq = vec![0.0; cols];
        for r in x.chunks_exact(cols) {
            for j in 0..cols {
                mean[j] += r[j];
                sq[j] += r[j] * r[j];
            }
        }
        for j in 0..cols {
            mean[j] /= n as f64;
            sq[j] = (sq[j] / n as f64 - mean[j] * mean[j]).max(0.0).sqrt();
        }
        let scale: Vec<f64> = sq.iter().map(|&s| if s > 0.0 { s } else { 1.0 }).collect();
        let y_mean = y.iter().sum::<f64>() / n as f64;
        let mut a = vec![0.0; cols * cols];
        let mut b = vec![0.0; cols];
        let mut z = vec![0.0; cols];
        for (r, &t) in x.chunks_exact(cols).zip(y) {
            for j in 0..cols {
                z[j] = (r[j] - mean[j]) / scale[j];
            }
            for i in 0..cols {
                b[i] += z[i] * (t - y_mean);
                for j in 0..=i {
                    a[i * cols + j] += z[i] * z[j];
                }
            }
        }
        for i in 0..cols {
            a[i * cols + i] += lambda;
        }
        let weights = cholesky_solve(&mut a, cols, b);
        Ridge {
            mean,
            scale,
            weights,
            intercept: y_mean,
        }
    }

    /// The prediction for one row.
    pub fn predict(&self, row: &[f64]) -> f64 {
        self.intercept
            + row
                .iter()
                .zip(&self.mean)
                .zip(&self.scale)
                .zip(&self.weights)
                .map(|(((v, m), s), w)| (v - m) / s * w)
                .sum::<f64>()
    }
}

/// Solves `A w = b` for symmetric positive definite `A` (lower triangle used).
fn cholesky_solve(a: &mut [f64], n: usize, mut b: Vec<f64>) -> Vec<f64> {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        let d = d.max(1e-12).sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    for i in 0..n {
        for k in 0..i {
            b[i] -= a[i * n + k] * b[k];
        }
        b[i] /= a[i * n + i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            b[i] -= a[k * n + i] * b[k];
        }
        b[i] /= a[i * n + i];
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_linear_function() {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..50 {
            let (a, b) = (i as f64, ((i * 7) % 11) as f64);
            x.extend([a, b]);
            y.push(3.0 * a - 2.0 * b + 5.0);
        }
        let m = Ridge::fit(&x, 2, &y, 1e-9);
        assert!((m.predict(&[10.0, 4.0]) - 27.0).abs() < 1e-6);
        let shrunk = Ridge::fit(&x, 2, &y, 1e6);
        let mean = y.iter().sum::<f64>() / 50.0;
        assert!(
            (shrunk.predict(&[10.0, 4.0]) - mean).abs() < 1.0,
            "a huge penalty predicts the mean"
        );
    }
}

//! One feature row from a bounded window of recent, normalised cycles.
//!
//! Per kept sensor: the mean of the last [`RECENT`] cycles (the current
//! level with the noise averaged down), the window's mean, its
//! least-squares slope, and an exponentially smoothed value. Then the
//! engine's age in cycles. A history shorter than the window is padded at
//! the front with its first cycle, in training and in use alike, so the
//! model has seen such windows.

/// Cycles averaged for the current level.
pub const RECENT: usize = 5;

/// Smoothing factor of the exponentially smoothed value.
const ALPHA: f64 = 0.1;

/// Features per kept sensor.
pub const PER_SENSOR: usize = 4;

/// How many features a row has for `sensors` kept sensors.
pub fn width(sensors: usize) -> usize {
    sensors * PER_SENSOR + 1
}

/// The features of the last `window` rows of `rows` (normalised cycles,
/// oldest first; not empty), for an engine `age` cycles old.
pub fn row(rows: &[Vec<f64>], window: usize, age: usize, out: &mut Vec<f64>) {
    let start = rows.len().saturating_sub(window);
    let pad = window - (rows.len() - start);
    let at = |i: usize| -> &Vec<f64> { &rows[start + i.saturating_sub(pad)] };
    let sensors = rows[0].len();
    let w = window as f64;
    let x_mean = (w - 1.0) / 2.0;
    let x_var: f64 = (0..window).map(|i| (i as f64 - x_mean).powi(2)).sum();
    for s in 0..sensors {
        let mut sum = 0.0;
        let mut cov = 0.0;
        let mut smooth = at(0)[s];
        let mut recent = 0.0;
        for i in 0..window {
            let v = at(i)[s];
            sum += v;
            cov += (i as f64 - x_mean) * v;
            smooth += ALPHA * (v - smooth);
            if i + RECENT >= window {
                recent += v;
            }
        }
        out.push(recent / RECENT.min(window) as f64);
        out.push(sum / w);
        out.push(if x_var > 0.0 { cov / x_var } else { 0.0 });
        out.push(smooth);
    }
    out.push(age as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_straight_line_has_its_slope_and_level() {
        let rows: Vec<Vec<f64>> = (0..40).map(|i| vec![2.0 * i as f64]).collect();
        let mut out = Vec::new();
        row(&rows, 30, 40, &mut out);
        assert_eq!(out.len(), width(1));
        assert!((out[0] - 2.0 * 37.0).abs() < 1e-9, "recent mean {}", out[0]);
        assert!((out[1] - 2.0 * 24.5).abs() < 1e-9, "window mean {}", out[1]);
        assert!((out[2] - 2.0).abs() < 1e-9, "slope {}", out[2]);
        assert!(
            out[3] < out[0] && out[3] > 2.0 * 10.0,
            "smoothed {}",
            out[3]
        );
        assert_eq!(out[4], 40.0);
    }

    #[test]
    fn short_histories_are_padded_with_their_first_cycle() {
        let short = vec![vec![5.0]];
        let mut a = Vec::new();
        row(&short, 30, 1, &mut a);
        assert_eq!(a, vec![5.0, 5.0, 0.0, 5.0, 1.0]);
        let padded = vec![vec![5.0]; 30];
        let mut b = Vec::new();
        row(&padded, 30, 1, &mut b);
        assert_eq!(a, b);
    }
}

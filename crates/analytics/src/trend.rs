//! Degradation-path extrapolation: a signal that grows toward a failure
//! threshold (vibration of a wearing bearing, say) is fitted with an
//! exponential path `y = B + exp(m + b (t - t̄))` above its healthy
//! baseline B, and the path is followed to the threshold. The interval
//! comes from the slope's standard error (±1.28 σ, about 80 %). Memory is
//! constant: samples are averaged into buckets, and when the buffer is full
//! neighbouring buckets merge and the bucket width doubles, so the fit
//! always spans the whole life seen so far.

use crate::{Estimate, RulEstimator};

const POINTS: usize = 64;
const BASELINE_POINTS: usize = 8;
/// Share of the baseline-to-threshold distance below which a point is noise.
const FLOOR: f64 = 0.03;
const Z80: f64 = 1.2816;

/// RUL from a degradation signal's trend, in seconds.
pub struct TrendEstimator {
    signal: String,
    threshold: f64,
    t0: Option<i64>,
    width_s: f64,
    points: Vec<(f64, f64)>,
    bucket: (f64, f64, u32),
    bucket_start: f64,
    baseline: Option<f64>,
}

impl TrendEstimator {
    /// Watches `signal`, failed at `threshold`; samples are first averaged over `bucket_s` seconds.
    pub fn new(signal: &str, threshold: f64, bucket_s: f64) -> TrendEstimator {
        TrendEstimator {
            signal: signal.into(),
            threshold,
            t0: None,
            width_s: bucket_s.max(1e-3),
            points: Vec::with_capacity(POINTS),
            bucket: (0.0, 0.0, 0),
            bucket_start: 0.0,
            baseline: None,
        }
    }

    fn push(&mut self, t: f64, y: f64) {
        if self.points.len() == POINTS {
            let merged: Vec<(f64, f64)> = self
                .points
                .chunks(2)
                .map(|c| {
                    let n = c.len() as f64;
                    (
                        c.iter().map(|p| p.0).sum::<f64>() / n,
                        c.iter().map(|p| p.1).sum::<f64>() / n,
                    )
                })
                .collect();
            self.points = merged;
            self.width_s *= 2.0;
        }
        self.points.push((t, y));
        if self.baseline.is_none() && self.points.len() >= BASELINE_POINTS {
            let n = BASELINE_POINTS as f64;
            self.baseline = Some(
                self.points[..BASELINE_POINTS]
                    .iter()
                    .map(|p| p.1)
                    .sum::<f64>()
                    / n,
            );
        }
    }

    fn estimate(&self, now: f64, last: f64) -> Option<Estimate> {
        let b0 = self.baseline?;
        let span = self.threshold - b0;
        if span == 0.0 {
            return None;
        }
        let damage = |y: f64| (y - b0) / span;
        let health = (1.0 - damage(last)).clamp(0.0, 1.0);
        let pts: Vec<(f64, f64)> = self
            .points
            .iter()
            .filter(|p| damage(p.1) > FLOOR)
            .map(|p| (p.0, ((p.1 - b0) / span).ln()))
            .collect();
        if pts.len() < 5 {
            return None;
        }
        let n = pts.len() as f64;
        let tm = pts.iter().map(|p| p.0).sum::<f64>() / n;
        let lm = pts.iter().map(|p| p.1).sum::<f64>() / n;
        let sxx: f64 = pts.iter().map(|p| (p.0 - tm).powi(2)).sum();
        if sxx <= 0.0 {
            return None;
        }
        let b = pts.iter().map(|p| (p.0 - tm) * (p.1 - lm)).sum::<f64>() / sxx;
        if b <= 0.0 {
            return None;
        }
        let resid: f64 = pts
            .iter()
            .map(|p| (p.1 - lm - b * (p.0 - tm)).powi(2))
            .sum();
        let se = (resid / (n - 2.0).max(1.0) / sxx).sqrt();
        // ln(damage) reaches 0 at failure.
        let fail_at = |slope: f64| tm + (0.0 - lm) / slope;
        let rul = |slope: f64| (fail_at(slope) - now).max(0.0);
        let value = rul(b);
        let lower = rul(b + Z80 * se);
        let slow = b - Z80 * se;
        let upper = if slow > 0.0 {
            rul(slow)
        } else {
            value * 10.0 + 1.0
        };
        Some(Estimate {
            value,
            lower: lower.min(value),
            upper: upper.max(value),
            unit: "s".into(),
            health,
            method: "trend".into(),
        })
    }
}

impl RulEstimator for TrendEstimator {
    fn observe(&mut self, t_ms: i64, signals: &[(String, f64)]) -> Option<Estimate> {
        let y = signals.iter().find(|(n, _)| *n == self.signal)?.1;
        let t0 = *self.t0.get_or_insert(t_ms);
        let t = (t_ms - t0) as f64 / 1000.0;
        if self.bucket.2 > 0 && t - self.bucket_start >= self.width_s {
            let (st, sy, n) = self.bucket;
            self.push(st / n as f64, sy / n as f64);
            self.bucket = (0.0, 0.0, 0);
        }
        if self.bucket.2 == 0 {
            self.bucket_start = t;
        }
        self.bucket.0 += t;
        self.bucket.1 += y;
        self.bucket.2 += 1;
        self.estimate(t, self.points.last().map_or(y, |p| p.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(noise: f64) -> Vec<(f64, Estimate)> {
        // y = 1 + 0.01 e^(t/20000): crosses 10 at t = 20000 ln(900) ≈ 136,048 s.
        let mut e = TrendEstimator::new("v", 10.0, 60.0);
        let mut out = vec![];
        let mut rng = 1u64;
        for i in 0..13_000 {
            let t = i as f64 * 10.0;
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (rng >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            let y = 1.0 + 0.01 * (t / 20000.0).exp() + noise * u;
            if let Some(est) = e.observe((t * 1000.0) as i64, &[("v".into(), y)]) {
                out.push((t, est));
            }
        }
        out
    }

    #[test]
    fn an_exponential_path_is_followed_to_its_threshold() {
        let fail = 20000.0 * 900f64.ln();
        let est = run(0.05);
        let (t, last) = est.last().unwrap();
        let truth = fail - t;
        assert!(
            (last.value - truth).abs() < 0.15 * truth + 600.0,
            "{last:?} vs {truth}"
        );
        assert!(last.lower <= last.value && last.value <= last.upper);
        // Half-way through the late life the estimate is within 25 %.
        let (t, mid) = est.iter().find(|(t, _)| *t >= 100_000.0).unwrap();
        let truth = fail - t;
        assert!(
            (mid.value - truth).abs() < 0.25 * truth,
            "{mid:?} vs {truth}"
        );
        assert!(mid.health > last.health);
    }

    #[test]
    fn a_flat_signal_gives_no_estimate() {
        let mut e = TrendEstimator::new("v", 10.0, 60.0);
        for i in 0..5000 {
            assert!(e.observe(i * 10_000, &[("v".into(), 1.0)]).is_none());
        }
        assert!(e.points.len() <= POINTS);
    }
}

//! The platform's slow-degradation case: a pump's vibration band rising
//! exponentially from 0.05 to 3.0 mm/s over two to four days at one sample
//! a minute (noise 2% of the value) before the machine trips must push the
//! score over the NAB-optimal threshold at least once before the trip,
//! while a healthy pump (0.05 mm/s, 2% noise, a ±4% daily cycle) stays
//! below it nearly all the time.

use ferrotwin_anomaly::{Detector, Params};

/// The standard profile's corpus threshold with `Params::default()`
/// (docs/anomaly.md); update it with the NAB figures.
const NAB_THRESHOLD: f64 = 0.3332;
const MINUTE_MS: i64 = 60_000;
const DAY: usize = 1_440;

/// Standard normal by Box-Muller from a xorshift generator.
fn gaussian(state: &mut u64) -> f64 {
    let mut uniform = || {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        ((*state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let (u, v) = (uniform(), uniform());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Vibration at minute `i` for a band `base`, with the daily cycle and noise.
fn vibration(i: usize, base: f64, rng: &mut u64) -> f64 {
    let daily = (i as f64 / DAY as f64 * std::f64::consts::TAU).sin();
    base * (1.0 + 0.04 * daily) * (1.0 + 0.02 * gaussian(rng))
}

/// Scores of `healthy_days` healthy, then (if `rise_days` > 0) the
/// exponential rise to 3.0 mm/s; returns the scores of both parts.
fn run(seed: u64, healthy_days: usize, rise_days: f64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = 0x9e37_79b9_7f4a_7c15 ^ seed;
    let mut d = Detector::new(&Params::default());
    let t0 = 1_700_000_000_000;
    let healthy_n = healthy_days * DAY;
    let healthy = (0..healthy_n)
        .map(|i| {
            let v = vibration(i, 0.05, &mut rng);
            d.update(t0 + i as i64 * MINUTE_MS, v).score
        })
        .collect();
    let rise_n = (rise_days * DAY as f64) as usize;
    let rising = (0..rise_n)
        .map(|k| {
            let i = healthy_n + k;
            let base = 0.05 * 60f64.powf(k as f64 / rise_n as f64);
            let v = vibration(i, base, &mut rng);
            d.update(t0 + i as i64 * MINUTE_MS, v).score
        })
        .collect();
    (healthy, rising)
}

#[test]
fn a_slow_degradation_crosses_the_threshold_before_the_trip() {
    for seed in 1..=3 {
        for rise_days in [2.0, 3.0, 4.0] {
            let (_, rising) = run(seed, 2, rise_days);
            let top = rising.iter().copied().fold(0.0, f64::max);
            assert!(
                top >= NAB_THRESHOLD,
                "seed {seed}, {rise_days}-day rise: highest score {top:.3} before the trip"
            );
        }
    }
}

#[test]
fn a_healthy_pump_stays_below_the_threshold() {
    for seed in 1..=3 {
        let (healthy, _) = run(seed, 6, 0.0);
        // The detector reports from sample 100 on; judge it from day one.
        let judged = &healthy[DAY..];
        let over = judged.iter().filter(|&&s| s >= NAB_THRESHOLD).count();
        assert!(
            over * 1_000 <= judged.len(),
            "seed {seed}: {over} of {} healthy samples over the threshold",
            judged.len()
        );
    }
}

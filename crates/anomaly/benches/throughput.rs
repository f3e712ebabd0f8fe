//! Detector throughput over many series, interleaved like live telemetry:
//! 10,000 series (override with `SERIES`), `POINTS` samples each (default
//! 300), arriving round-robin with jittered, irregular timestamps. Reports
//! series-points/s on one thread and on two (series sharded by id, as an
//! ingest pipeline would), and the detector's bytes of state per series.
//! `cargo bench -p ferrotwin-anomaly`

use std::hint::black_box;
use std::time::Instant;

use ferrotwin_anomaly::{Detector, Params};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator (xorshift), so the bench needs no dependency.
fn next(state: &mut u64) -> f64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

/// One sample: series id, time in ms, value.
type Sample = (u32, i64, f64);

/// Round-robin samples: a daily-ish cycle plus noise per series, one sample
/// per series every ~10 s with ±30% jitter, an occasional spike.
fn telemetry(series: usize, points: usize) -> Vec<Sample> {
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut out = Vec::with_capacity(series * points);
    let t0 = 1_700_000_000_000i64;
    for k in 0..points {
        for s in 0..series {
            let t = t0 + k as i64 * 10_000 + ((next(&mut rng) - 0.5) * 6_000.0) as i64;
            let phase = s as f64 * 0.37;
            let mut v = 50.0 + 10.0 * ((k as f64) / 60.0 + phase).sin() + next(&mut rng) * 2.0;
            if next(&mut rng) < 0.001 {
                v += 40.0;
            }
            out.push((s as u32, t, v));
        }
    }
    out
}

/// Feeds `samples` to one detector per series; returns how many.
fn run(samples: &[Sample], series: usize) -> usize {
    let params = Params::default();
    let mut detectors: Vec<Detector> = (0..series).map(|_| Detector::new(&params)).collect();
    let mut sum = 0.0;
    for &(s, t, v) in samples {
        sum += detectors[s as usize].update(t, v).score;
    }
    black_box(sum);
    samples.len()
}

fn main() {
    let series = env("SERIES", 10_000);
    let points = env("POINTS", 300);
    let samples = telemetry(series, points);
    let state = Detector::new(&Params::default()).state_bytes();
    println!(
        "{series} series x {points} points = {} samples, interleaved",
        samples.len()
    );
    println!(
        "state: {state} bytes per series ({:.1} MB for all)",
        (state * series) as f64 / 1e6
    );

    let start = Instant::now();
    let fed = run(&samples, series);
    let one = fed as f64 / start.elapsed().as_secs_f64();
    println!(
        "1 thread:  {one:>12.0} series-points/s ({:.0}% of the 1,000,000/s ingest goal)",
        one / 1e4
    );

    // Shard by series id, as an ingest pipeline would, before timing.
    let shards: Vec<Vec<Sample>> = (0..2)
        .map(|k| samples.iter().filter(|s| s.0 % 2 == k).copied().collect())
        .collect();
    let start = Instant::now();
    let fed: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = shards
            .iter()
            .map(|shard| scope.spawn(move || run(shard, series)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("bench thread"))
            .sum()
    });
    let two = fed as f64 / start.elapsed().as_secs_f64();
    println!(
        "2 threads: {two:>12.0} series-points/s ({:.0}% of the goal)",
        two / 1e4
    );
}

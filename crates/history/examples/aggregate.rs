//! Times bucket aggregates over one long regular series in the embedded
//! engine: folding chunk summaries against decoding every chunk, on the
//! same data, alternating run by run, and checks that both give the same
//! buckets.
//! `cargo run --release -p ferrotwin-history --example aggregate -- DAYS HZ RUNS BUCKETS...`

use std::path::Path;
use std::time::{Duration, Instant};

use ferrotwin_history::{
    Bucket, Embedded, EmbeddedOptions, HistoryStore, Kind, Point, Sample, SeriesKey, TimeRange,
};
use serde_json::json;

const T0: i64 = 1_700_000_000_000_000;

fn open(dir: &Path, chunk_summaries: bool) -> Embedded {
    let opts = EmbeddedOptions {
        chunk_summaries,
        ..Default::default()
    };
    Embedded::open(dir, opts).unwrap()
}

/// One aggregate, timed, in an engine opened afresh with or without
/// summaries (after one untimed call, so that both find warm caches).
async fn time(
    dir: &Path,
    summaries: bool,
    range: TimeRange,
    buckets: u32,
) -> (Duration, Vec<Bucket>) {
    let e = open(dir, summaries);
    let key = SeriesKey::new("pump", "v");
    e.aggregate(&key, range, buckets).await.unwrap();
    let start = Instant::now();
    let answer = e.aggregate(&key, range, buckets).await.unwrap();
    let took = start.elapsed();
    e.close().await.unwrap();
    (took, answer)
}

#[tokio::main]
async fn main() {
    let args: Vec<f64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let days = args.first().copied().unwrap_or(30.0);
    let hz = args.get(1).copied().unwrap_or(1.0);
    let runs = args.get(2).copied().unwrap_or(7.0) as usize;
    let mut bucket_counts: Vec<u32> = args.iter().skip(3).map(|b| *b as u32).collect();
    if bucket_counts.is_empty() {
        bucket_counts = vec![1000];
    }
    let points = (days * 86_400.0 * hz) as i64;
    let step = (1e6 / hz) as i64;
    let dir = tempfile::tempdir().unwrap();
    let e = open(dir.path(), true);
    let t = Instant::now();
    let mut w = 2000i64;
    for start in (0..points).step_by(20_000) {
        let batch: Vec<Sample> = (start..(start + 20_000).min(points))
            .map(|i| {
                w += (i * 7919 % 11) - 5;
                Sample {
                    key: SeriesKey::new("pump", "v"),
                    kind: Kind::Telemetry,
                    model: "dtmi:bench:Pump;1".into(),
                    point: Point {
                        time: T0 + i * step,
                        ingest: T0 + i * step,
                        value: json!(w as f64 / 100.0),
                    },
                }
            })
            .collect();
        e.append(batch).await.unwrap();
    }
    e.flush().await.unwrap();
    e.close().await.unwrap();
    drop(e);
    println!(
        "{points} points ({days} days at {hz} Hz) written in {:.1} s; a chunk spans {:.0} s",
        t.elapsed().as_secs_f64(),
        EmbeddedOptions::default().chunk_points as f64 / hz
    );
    let range = TimeRange::new(T0, T0 + points * step).unwrap();
    for buckets in bucket_counts {
        let width = ferrotwin_history::bucket_width(range, buckets).unwrap();
        let mut times = [Vec::new(), Vec::new()];
        let mut answers = Vec::new();
        for _ in 0..runs.max(1) {
            for (i, summaries) in [false, true].into_iter().enumerate() {
                let (took, answer) = time(dir.path(), summaries, range, buckets).await;
                times[i].push(took);
                if answers.len() < 2 {
                    answers.push(answer);
                }
            }
        }
        // Median and fastest: other work on the machine only ever adds time.
        let [off, on] = times.map(|mut t| {
            t.sort();
            (t[t.len() / 2], t[0])
        });
        let same = answers[0].len() == answers[1].len()
            && answers[0].iter().zip(&answers[1]).all(|(a, b)| {
                (a.start, a.count, a.min, a.max, a.first, a.last)
                    == (b.start, b.count, b.min, b.max, b.first, b.last)
                    && (a.avg - b.avg).abs() <= 1e-9 * b.avg.abs().max(1.0)
                    && (a.stddev - b.stddev).abs() <= 1e-9 * b.stddev.abs().max(1.0)
            });
        assert!(same, "summaries changed the buckets");
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{buckets} buckets of {:.0} s: decoding every chunk {:.2} ms (fastest {:.2}), \
             with summaries {:.2} ms (fastest {:.2}); medians of {runs}, {:.1}x",
            width as f64 / 1e6,
            ms(off.0),
            ms(off.1),
            ms(on.0),
            ms(on.1),
            ms(off.0) / ms(on.0)
        );
    }
}

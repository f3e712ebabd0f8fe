//! Appends regular readings to the embedded engine in-process and prints
//! points/s and bytes per point: the engine alone, without HTTP.
//! `cargo run --release -p ferrotwin-history --example ingest -- SERIES POINTS BATCH`

use std::sync::Arc;
use std::time::Instant;

use ferrotwin_history::{Embedded, EmbeddedOptions, HistoryStore, Kind, Point, Sample, SeriesKey};
use serde_json::json;

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (series, points, batch) = (
        args.first().copied().unwrap_or(1000),
        args.get(1).copied().unwrap_or(1000),
        args.get(2).copied().unwrap_or(5000),
    );
    let dir = tempfile::tempdir().unwrap();
    let e = Arc::new(Embedded::open(dir.path(), EmbeddedOptions::default()).unwrap());
    let twins: Vec<String> = (0..series).map(|s| format!("s{s}")).collect();
    let mut walk: Vec<i64> = vec![2000; series];
    let mut all = Vec::with_capacity(series * points);
    for i in 0..points {
        for (s, w) in walk.iter_mut().enumerate() {
            *w += ((i * 7919 + s * 31) % 11) as i64 - 5;
            all.push(Sample {
                key: SeriesKey::new(&twins[s], "v"),
                kind: Kind::Telemetry,
                model: "dtmi:bench:S;1".into(),
                point: Point {
                    time: 1_700_000_000_000_000 + i as i64 * 1_000_000,
                    ingest: 1_700_000_000_000_000,
                    value: json!(*w as f64 / 100.0),
                },
            });
        }
    }
    let chunks: Vec<Vec<Sample>> = all.chunks(batch).map(|c| c.to_vec()).collect();
    drop(all);
    let t = Instant::now();
    let mut tasks = Vec::new();
    let queue = Arc::new(std::sync::Mutex::new(chunks.into_iter()));
    for _ in 0..4 {
        let (e, queue) = (e.clone(), queue.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let next = queue.lock().unwrap().next();
                let Some(b) = next else { return };
                e.append(b).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    e.flush().await.unwrap();
    e.close().await.unwrap();
    let st = e.stats().await.unwrap();
    for sub in ["wal", "chunks"] {
        let mut n = 0;
        let mut stack = vec![dir.path().join(sub)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let m = e.metadata().unwrap();
                if m.is_dir() {
                    stack.push(e.path())
                } else {
                    n += std::os::unix::fs::MetadataExt::blocks(&m) * 512
                }
            }
        }
        println!("{sub}: {n} bytes");
    }
    println!(
        "{} points in {secs:.2} s: {:.0} points/s; {} bytes on disk, {:.2} B/point",
        series * points,
        (series * points) as f64 / secs,
        st.disk_bytes,
        st.disk_bytes as f64 / (series * points) as f64
    );
}

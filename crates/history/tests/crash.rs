//! The embedded engine after a crash: a child process appends, reports
//! each acknowledged batch, and aborts without any clean-up (as kill -9
//! would leave it). Reopened, the engine has every acknowledged point,
//! whether it was still in the write-ahead log or already in a chunk.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use ferrotwin_history::{
    Embedded, EmbeddedOptions, HistoryStore, Kind, Point, Sample, SeriesKey, TimeRange,
};
use serde_json::json;

const T0: i64 = 1_763_000_000_000_000;

fn opts() -> EmbeddedOptions {
    EmbeddedOptions {
        chunk_points: 50,
        head_budget: 400,
        wal_segment_bytes: 4096,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn crash_child() {
    let Ok(dir) = std::env::var("HISTORY_CRASH_DIR") else {
        return;
    };
    let e = Embedded::open(std::path::Path::new(&dir), opts()).unwrap();
    for batch in 0..200i64 {
        let samples = (0..10)
            .map(|i| Sample {
                key: SeriesKey::new(format!("t{}", i % 7), "v"),
                kind: Kind::Telemetry,
                model: "dtmi:x;1".into(),
                point: Point {
                    time: T0 + batch * 1_000_000 + i,
                    ingest: T0,
                    value: json!(batch * 10 + i),
                },
            })
            .collect();
        e.append(samples).await.unwrap();
        println!("acked {batch}");
    }
    std::process::abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_points_survive_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env("HISTORY_CRASH_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acked = -1i64;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        if let Some(n) = line.unwrap().strip_prefix("acked ") {
            acked = n.parse().unwrap();
        }
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child must die abruptly");
    assert_eq!(
        acked, 199,
        "the child acknowledged every batch before aborting"
    );
    let e = Embedded::open(dir.path(), opts()).unwrap();
    let range = TimeRange::new(T0 - 1, T0 + 1_000_000_000).unwrap();
    let mut total = 0;
    for t in 0..7 {
        let page = e
            .raw(&SeriesKey::new(format!("t{t}"), "v"), range, None, 10_000)
            .await
            .unwrap();
        let mut times: Vec<i64> = page.points.iter().map(|p| p.time).collect();
        times.dedup();
        assert_eq!(times.len(), page.points.len(), "no point is replayed twice");
        total += page.points.len();
    }
    assert_eq!(total, 2000);
    assert_eq!(e.stats().await.unwrap().points, 2000);
}

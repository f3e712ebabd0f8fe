//! One test suite, every engine: the embedded engine (with its heads
//! flushed to chunks midway, so both paths are read) and PostgreSQL (the
//! service on 127.0.0.1:5432, a fresh schema per test; skipped with a
//! message when it is not running, a failure when CI=true).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use ferrotwin_history::{
    Cursor, Embedded, EmbeddedOptions, HistoryError, HistoryStore, Kind, LIFECYCLE, Point, Sample,
    Scope, SeriesKey, TimeRange, TwinState,
};
use serde_json::{Value, json};

const S: i64 = 1_000_000;
const T0: i64 = 1_763_000_000 * S;

/// A store under test and how to push its memory to disk.
struct Case {
    store: Arc<dyn HistoryStore>,
    embedded: Option<Arc<Embedded>>,
    _dir: Option<tempfile::TempDir>,
}

impl Case {
    async fn settle(&self) {
        if let Some(e) = &self.embedded {
            e.flush().await.expect("flush");
        }
    }
}

fn embedded() -> Case {
    let dir = tempfile::tempdir().unwrap();
    let opts = EmbeddedOptions {
        chunk_points: 4,
        ..Default::default()
    };
    let e = Arc::new(Embedded::open(dir.path(), opts).unwrap());
    Case {
        store: e.clone(),
        embedded: Some(e),
        _dir: Some(dir),
    }
}

async fn postgres() -> Option<Case> {
    static N: AtomicU32 = AtomicU32::new(0);
    let url = std::env::var("FERROTWIN_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!(
        "ft_test_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    match ferrotwin_history::Postgres::connect(&url, &schema).await {
        Ok(p) => Some(Case {
            store: Arc::new(p),
            embedded: None,
            _dir: None,
        }),
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("skipped: PostgreSQL at {url} is not usable ({e})");
            None
        }
        Err(e) => panic!("PostgreSQL at {url} is required in CI: {e}"),
    }
}

fn sample(twin: &str, name: &str, kind: Kind, t: i64, v: Value) -> Sample {
    Sample {
        key: SeriesKey::new(twin, name),
        kind,
        model: "dtmi:test:Pump;1".into(),
        point: Point {
            time: t,
            ingest: t + 1_500,
            value: v,
        },
    }
}

fn tel(twin: &str, name: &str, t: i64, v: Value) -> Sample {
    sample(twin, name, Kind::Telemetry, t, v)
}

fn num(p: &Point) -> f64 {
    p.value.as_f64().expect("a number")
}

async fn append_and_read_back(c: Case) {
    let s = &c.store;
    s.append(vec![
        tel("p1", "temp", T0 + 2 * S, json!(20.5)),
        tel("p1", "temp", T0, json!(19)),
        tel("p1", "state", T0, json!("running")),
        tel("p1", "flags", T0, json!({"a": [1, 2]})),
    ])
    .await
    .unwrap();
    c.settle().await;
    s.append(vec![
        tel("p1", "temp", T0 + S, json!(20.0)),
        tel("p1", "on", T0, json!(true)),
    ])
    .await
    .unwrap();
    let range = TimeRange::new(T0, T0 + 10 * S).unwrap();
    let page = s
        .raw(&SeriesKey::new("p1", "temp"), range, None, 100)
        .await
        .unwrap();
    let times: Vec<i64> = page.points.iter().map(|p| p.time).collect();
    assert_eq!(
        times,
        [T0, T0 + S, T0 + 2 * S],
        "points come back in time order"
    );
    assert_eq!(
        page.points.iter().map(num).collect::<Vec<_>>(),
        [19.0, 20.0, 20.5]
    );
    assert_eq!(
        page.points[0].ingest,
        T0 + 1_000,
        "ingest time is kept to the millisecond"
    );
    assert_eq!(page.next, None);
    let state = s
        .raw(&SeriesKey::new("p1", "state"), range, None, 10)
        .await
        .unwrap();
    assert_eq!(state.points[0].value, json!("running"));
    let flags = s
        .raw(&SeriesKey::new("p1", "flags"), range, None, 10)
        .await
        .unwrap();
    assert_eq!(flags.points[0].value, json!({"a": [1, 2]}));
    let names: Vec<String> = s
        .series("p1")
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.key.name)
        .collect();
    assert_eq!(names, ["flags", "on", "state", "temp"]);
    assert!(s.series("nobody").await.unwrap().is_empty());
}

async fn pages_cover_every_point_once(c: Case) {
    let s = &c.store;
    let mut samples = Vec::new();
    for i in 0..10 {
        samples.push(tel("p", "x", T0 + (i / 3) * S, json!(i)));
    }
    s.append(samples[..5].to_vec()).await.unwrap();
    c.settle().await;
    s.append(samples[5..].to_vec()).await.unwrap();
    let range = TimeRange::new(T0, T0 + 100 * S).unwrap();
    let key = SeriesKey::new("p", "x");
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = s.raw(&key, range, cursor, 2).await.unwrap();
        assert!(page.points.len() <= 2);
        seen.extend(page.points.iter().map(|p| num(p) as i64));
        match page.next {
            Some(n) => cursor = Some(Cursor::decode(&n.encode()).unwrap()),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, (0..10).collect::<Vec<_>>());
}

async fn aggregates_per_bucket(c: Case) {
    let s = &c.store;
    let values = [1.0, 3.0, 5.0, 7.0, 100.0, 2.0];
    let samples: Vec<Sample> = values
        .iter()
        .enumerate()
        .map(|(i, v)| tel("p", "v", T0 + i as i64 * S, json!(v)))
        .collect();
    s.append(samples[..3].to_vec()).await.unwrap();
    c.settle().await;
    s.append(samples[3..].to_vec()).await.unwrap();
    s.append(vec![tel("p", "v", T0 + 3 * S + 1, json!("not a number"))])
        .await
        .unwrap();
    let range = TimeRange::new(T0, T0 + 9 * S).unwrap();
    let b = s
        .aggregate(&SeriesKey::new("p", "v"), range, 3)
        .await
        .unwrap();
    assert_eq!(b.len(), 2, "the empty third bucket is left out: {b:?}");
    assert_eq!((b[0].start, b[0].count), (T0, 3));
    assert_eq!((b[0].min, b[0].max, b[0].avg), (1.0, 5.0, 3.0));
    assert_eq!((b[0].first, b[0].last), (1.0, 5.0));
    assert!((b[0].stddev - (8.0f64 / 3.0).sqrt()).abs() < 1e-9);
    assert_eq!(
        (b[1].start, b[1].count, b[1].max, b[1].first, b[1].last),
        (T0 + 3 * S, 3, 100.0, 7.0, 2.0)
    );
    assert!(matches!(
        s.aggregate(&SeriesKey::new("p", "v"), range, 0).await,
        Err(HistoryError::Invalid(_))
    ));
}

/// Buckets folded by hand from the raw points: (start, count, min, max,
/// avg, first, last, stddev).
fn fold_by_hand(points: &[Point], range: TimeRange, buckets: u32) -> Vec<[f64; 8]> {
    let width = ferrotwin_history::bucket_width(range, buckets).unwrap();
    let mut out: Vec<(i64, Vec<f64>)> = Vec::new();
    for p in points.iter().filter(|p| range.contains(p.time)) {
        let Some(v) = p.number() else { continue };
        let start = range.from + (p.time - range.from) / width * width;
        match out.last_mut() {
            Some((s, vs)) if *s == start => vs.push(v),
            _ => out.push((start, vec![v])),
        }
    }
    out.into_iter()
        .map(|(start, vs)| {
            let n = vs.len() as f64;
            let avg = vs.iter().sum::<f64>() / n;
            let var = vs.iter().map(|v| (v - avg).powi(2)).sum::<f64>() / n;
            let min = vs.iter().copied().fold(f64::INFINITY, f64::min);
            let max = vs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            [
                (start - T0) as f64,
                n,
                min,
                max,
                avg,
                vs[0],
                vs[vs.len() - 1],
                var.sqrt(),
            ]
        })
        .collect()
}

/// Chunks that lie inside one bucket (the embedded engine folds their
/// summaries), one that crosses a bucket edge, one with a single point,
/// ones with values that are not numbers, and points still in memory all
/// give the buckets a fold of the raw points gives.
async fn aggregates_of_whole_chunks(c: Case) {
    let s = &c.store;
    let at = |i: i64, v: Value| tel("p", "w", T0 + i * S, v);
    let batches = [
        vec![
            at(0, json!(1)),
            at(1, json!(2.5)),
            at(2, json!(true)),
            at(3, json!("idle")),
        ],
        vec![at(5, json!(7))],
        vec![
            at(8, json!(4)),
            at(9, json!(-2)),
            at(10, json!(6.25)),
            at(11, json!({"x": 1})),
        ],
        vec![at(12, json!("a")), at(13, json!("b"))],
        vec![
            at(14, json!(3)),
            at(15, json!(3)),
            at(16, json!(9)),
            at(17, json!(1)),
        ],
    ];
    for b in batches {
        s.append(b).await.unwrap();
        c.settle().await;
    }
    s.append(vec![at(18, json!(5)), at(19, json!(false))])
        .await
        .unwrap();
    let key = SeriesKey::new("p", "w");
    let all = TimeRange::new(T0 - 100 * S, T0 + 100 * S).unwrap();
    let points = s.raw(&key, all, None, 100).await.unwrap().points;
    assert_eq!(points.len(), 17);
    for (from, to, buckets) in [(0, 20, 5), (0, 20, 1), (1, 21, 5), (0, 18, 3), (-4, 36, 5)] {
        let range = TimeRange::new(T0 + from * S, T0 + to * S).unwrap();
        let got: Vec<[f64; 8]> = s
            .aggregate(&key, range, buckets)
            .await
            .unwrap()
            .into_iter()
            .map(|b| {
                let start = (b.start - T0) as f64;
                [
                    start,
                    b.count as f64,
                    b.min,
                    b.max,
                    b.avg,
                    b.first,
                    b.last,
                    b.stddev,
                ]
            })
            .collect();
        let want = fold_by_hand(&points, range, buckets);
        assert_eq!(got.len(), want.len(), "{from}..{to} in {buckets}: {got:?}");
        for (g, w) in got.iter().zip(&want) {
            let same = g
                .iter()
                .zip(w)
                .all(|(a, b)| (a - b).abs() <= 1e-9 * b.abs().max(1.0));
            assert!(same, "{from}..{to} in {buckets}: got {g:?}, want {w:?}");
        }
    }
    let whole = TimeRange::new(T0, T0 + 20 * S).unwrap();
    let b = s.aggregate(&key, whole, 5).await.unwrap();
    assert_eq!(
        b.iter()
            .map(|b| (b.count, b.first, b.last))
            .collect::<Vec<_>>(),
        [
            (3, 1.0, 1.0),
            (1, 7.0, 7.0),
            (3, 4.0, 6.25),
            (2, 3.0, 3.0),
            (4, 9.0, 0.0)
        ],
        "booleans count as 0 and 1; text and objects do not count"
    );
}

async fn latest_of_many_series(c: Case) {
    let s = &c.store;
    s.append(vec![
        tel("a", "t", T0, json!(1)),
        tel("a", "t", T0 + S, json!(2)),
    ])
    .await
    .unwrap();
    c.settle().await;
    s.append(vec![
        tel("b", "t", T0 + 5 * S, json!(9)),
        tel("a", "t", T0 - S, json!(0)),
    ])
    .await
    .unwrap();
    let keys = [
        SeriesKey::new("a", "t"),
        SeriesKey::new("nobody", "t"),
        SeriesKey::new("b", "t"),
    ];
    let l = s.latest(&keys).await.unwrap();
    assert_eq!(
        l[0].as_ref().map(num),
        Some(2.0),
        "a late older point does not become the latest"
    );
    assert_eq!(l[1], None);
    assert_eq!(l[2].as_ref().map(|p| p.time), Some(T0 + 5 * S));
}

async fn time_travel(c: Case) {
    let s = &c.store;
    let lc = |t, v| sample("m1", LIFECYCLE, Kind::Lifecycle, t, v);
    let prop = |name: &str, t, v| sample("m1", name, Kind::Property, t, v);
    s.append(vec![
        lc(T0, json!({"event": "created", "model": "dtmi:test:Pump;1"})),
        prop("speed", T0, json!(10)),
        prop("motor/temp", T0, json!(30)),
    ])
    .await
    .unwrap();
    c.settle().await;
    s.append(vec![prop("speed", T0 + 10 * S, json!(20))])
        .await
        .unwrap();
    s.append(vec![prop("motor/temp", T0 + 20 * S, Value::Null)])
        .await
        .unwrap();
    s.append(vec![lc(T0 + 30 * S, json!({"event": "deleted"}))])
        .await
        .unwrap();
    let at = |t| TwinState::at(s.as_ref(), "m1", t);
    assert_eq!(at(T0 - 1).await.unwrap(), None, "not yet created");
    let first = at(T0 + 5 * S).await.unwrap().unwrap();
    assert_eq!(
        Value::Object(first.properties),
        json!({"speed": 10, "motor": {"temp": 30}})
    );
    assert_eq!(first.model.as_deref(), Some("dtmi:test:Pump;1"));
    let later = at(T0 + 25 * S).await.unwrap().unwrap();
    assert_eq!(
        later.properties.get("speed").and_then(Value::as_f64),
        Some(20.0)
    );
    assert_eq!(
        later.properties.get("motor"),
        Some(&json!({})),
        "the removed property is gone"
    );
    assert_eq!(later.last_change, T0 + 20 * S);
    assert_eq!(at(T0 + 31 * S).await.unwrap(), None, "deleted by then");
}

async fn retention_by_twin_model_and_default(c: Case) {
    let s = &c.store;
    let mut samples = Vec::new();
    for twin in ["keep", "short", "other"] {
        for i in 0..10 {
            let mut x = tel(twin, "v", T0 + i * 10 * S, json!(i));
            if twin == "other" {
                x.model = "dtmi:test:Other;1".into();
            }
            samples.push(x);
        }
    }
    s.append(samples[..15].to_vec()).await.unwrap();
    c.settle().await;
    s.append(samples[15..].to_vec()).await.unwrap();
    s.set_retention(Scope::Default, Some(1_000 * S))
        .await
        .unwrap();
    s.set_retention(Scope::Model("dtmi:test:Pump;1".into()), Some(45 * S))
        .await
        .unwrap();
    s.set_retention(Scope::Twin("keep".into()), Some(10_000 * S))
        .await
        .unwrap();
    assert!(s.set_retention(Scope::Default, Some(0)).await.is_err());
    assert_eq!(s.retention().await.unwrap().len(), 3);
    let now = T0 + 100 * S;
    let deleted = s.enforce_retention(now).await.unwrap();
    assert_eq!(
        deleted, 6,
        "only 'short' (model policy, 45 s) loses points older than {now}-45s"
    );
    let range = TimeRange::new(T0 - 1000 * S, T0 + 1000 * S).unwrap();
    let count = |t: &'static str| {
        let s = s.clone();
        async move {
            s.raw(&SeriesKey::new(t, "v"), range, None, 100)
                .await
                .unwrap()
                .points
                .len()
        }
    };
    assert_eq!(
        (
            count("keep").await,
            count("short").await,
            count("other").await
        ),
        (10, 4, 10)
    );
    let first = s
        .raw(&SeriesKey::new("short", "v"), range, None, 1)
        .await
        .unwrap();
    assert_eq!(first.points[0].time, T0 + 60 * S);
    s.set_retention(Scope::Model("dtmi:test:Pump;1".into()), None)
        .await
        .unwrap();
    assert_eq!(s.retention().await.unwrap().len(), 2);
}

async fn bad_requests_are_named(c: Case) {
    let s = &c.store;
    let e = TimeRange::new(T0, T0).unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
    let range = TimeRange::new(T0, T0 + S).unwrap();
    match s.raw(&SeriesKey::new("ghost", "t"), range, None, 10).await {
        Err(HistoryError::NotFound(m)) => assert!(m.contains("ghost"), "{m}"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(matches!(
        s.append(vec![tel("", "t", T0, json!(1))]).await,
        Err(HistoryError::Invalid(_))
    ));
    assert!(Cursor::decode("garbage").is_err());
    assert_eq!(
        s.stats().await.unwrap().points,
        0,
        "nothing was half-written"
    );
}

async fn late_points_are_read_in_time_order(c: Case) {
    let s = &c.store;
    let key = SeriesKey::new("p1", "temp");
    let at = |ts: &[i64], first: i64| -> Vec<Sample> {
        ts.iter()
            .zip(first..)
            .map(|(t, v)| tel("p1", "temp", T0 + t * S, json!(v)))
            .collect()
    };
    s.append(at(&[5, 6, 7], 0)).await.unwrap();
    s.append(at(&[1, 6, 3, 3, 2], 10)).await.unwrap();
    let range = TimeRange::new(T0, T0 + 10 * S).unwrap();
    let want_times = [1, 2, 3, 3, 5, 6, 6, 7].map(|t| T0 + t * S);
    let want_values = [10.0, 14.0, 12.0, 13.0, 0.0, 1.0, 11.0, 2.0];
    for round in ["in memory", "after a flush"] {
        let page = s.raw(&key, range, None, 100).await.unwrap();
        let times: Vec<i64> = page.points.iter().map(|p| p.time).collect();
        assert_eq!(times, want_times, "{round}: time order");
        let values: Vec<f64> = page.points.iter().map(num).collect();
        assert_eq!(
            values, want_values,
            "{round}: equal times keep arrival order"
        );
        let latest = s.latest(std::slice::from_ref(&key)).await.unwrap();
        assert_eq!(latest[0].as_ref().map(|p| p.time), Some(T0 + 7 * S));
        c.settle().await;
    }
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod embedded_engine {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() {
                super::$name(super::embedded()).await;
            })*
        }
        mod postgres_engine {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() {
                if let Some(c) = super::postgres().await {
                    super::$name(c).await;
                }
            })*
        }
    };
}

suite!(
    append_and_read_back,
    late_points_are_read_in_time_order,
    pages_cover_every_point_once,
    aggregates_per_bucket,
    aggregates_of_whole_chunks,
    latest_of_many_series,
    time_travel,
    retention_by_twin_model_and_default,
    bad_requests_are_named,
);

//! Reads: a consistent view of one series is its memory (head and any
//! chunk being flushed), taken under the lock, plus the chunks that were
//! durable when that snapshot was taken (their flush seq is at most the
//! series' flushed seq then). Chunks written later hold points the
//! snapshot already has, so they are skipped. Aggregates fold the summary
//! of a chunk that lies inside one bucket and decode only the others.

use std::sync::Arc;

use super::Inner;
use super::catalog::{chunk_key, chunk_key_seq};
use super::chunk::{self, ChunkHeader};
use super::head::HeadPoint;
use crate::aggregate::Folder;
use crate::{Bucket, Cursor, HistoryError, Page, Point, SeriesInfo, SeriesKey, TimeRange};

/// Called per chunk with its header and bytes; false stops the scan.
type ChunkVisitor<'a> = dyn FnMut(ChunkHeader, &[u8]) -> Result<bool, HistoryError> + 'a;

struct Snapshot {
    id: u32,
    memory: Vec<HeadPoint>,
    flushing: Option<Arc<Vec<HeadPoint>>>,
    flushed_seq: u64,
    max_span: i64,
}

impl Snapshot {
    fn memory_in(&self, from: i64, to: i64) -> impl Iterator<Item = &HeadPoint> {
        self.memory
            .iter()
            .chain(self.flushing.iter().flat_map(|f| f.iter()))
            .filter(move |p| p.time >= from && p.time < to)
    }
}

fn snapshot(inner: &Inner, id: u32, from: i64, to: i64) -> Snapshot {
    let st = inner.state.lock();
    let s = st.get(id).expect("ids come from the catalog");
    Snapshot {
        id,
        memory: s
            .head
            .iter()
            .filter(|p| p.time >= from && p.time < to)
            .cloned()
            .collect(),
        flushing: s.flushing.as_ref().map(|f| f.0.clone()),
        flushed_seq: s.flushed_seq,
        max_span: s.max_span,
    }
}

fn find(inner: &Inner, key: &SeriesKey) -> Result<u32, HistoryError> {
    inner.ids.read().get(key).copied().ok_or_else(|| {
        HistoryError::NotFound(format!(
            "twin '{}' has no history named '{}'",
            key.twin, key.name
        ))
    })
}

fn storage(e: impl std::fmt::Display) -> HistoryError {
    HistoryError::Storage(format!("reading history chunks: {e}"))
}

/// Visits the chunks of `snap` that may hold points in `[from, to)`, in
/// start order, until `visit` returns false.
fn chunks(
    inner: &Inner,
    snap: &Snapshot,
    from: i64,
    to: i64,
    visit: &mut ChunkVisitor<'_>,
) -> Result<(), HistoryError> {
    let lo = chunk_key(snap.id, from.saturating_sub(snap.max_span), 0);
    let hi = chunk_key(snap.id, to, 0);
    for g in inner.chunks.range(lo..hi) {
        let (k, v) = g.into_inner().map_err(storage)?;
        if chunk_key_seq(&k) > snap.flushed_seq {
            continue;
        }
        let h = chunk::header(&v).map_err(HistoryError::Storage)?;
        if h.end < from {
            continue;
        }
        if !visit(h, &v)? {
            break;
        }
    }
    Ok(())
}

fn sort(points: &mut [HeadPoint]) {
    points.sort_by_key(|a| (a.time, a.ingest));
}

/// Raw points of one series.
pub(crate) fn raw(
    inner: &Inner,
    key: &SeriesKey,
    range: TimeRange,
    cursor: Option<Cursor>,
    limit: usize,
) -> Result<Page, HistoryError> {
    let limit = limit.max(1);
    let id = find(inner, key)?;
    let from = cursor.map_or(range.from, |c| c.time.max(range.from));
    let skip = cursor
        .filter(|c| c.time >= range.from)
        .map_or(0, |c| c.skip as usize);
    let snap = snapshot(inner, id, from, range.to);
    let mut got: Vec<HeadPoint> = snap.memory_in(from, range.to).cloned().collect();
    sort(&mut got);
    let want = limit + skip + 1;
    chunks(inner, &snap, from, range.to, &mut |h, bytes| {
        if got.len() >= want && h.start > got[want - 1].time {
            return Ok(false);
        }
        let points = chunk::decode(bytes).map_err(HistoryError::Storage)?;
        got.extend(
            points
                .into_iter()
                .filter(|p| p.time >= from && p.time < range.to),
        );
        sort(&mut got);
        Ok(true)
    })?;
    let mut at_from = 0usize;
    let rest: Vec<Point> = got
        .into_iter()
        .skip_while(|p| {
            let skipped = p.time == from && at_from < skip;
            at_from += usize::from(skipped);
            skipped
        })
        .take(limit + 1)
        .map(|p| p.to_point())
        .collect();
    Ok(Page::new(rest, limit, from, skip as u32))
}

/// Buckets of one series.
pub(crate) fn aggregate(
    inner: &Inner,
    key: &SeriesKey,
    range: TimeRange,
    buckets: u32,
) -> Result<Vec<Bucket>, HistoryError> {
    let mut folder = Folder::new(range, buckets)?;
    let id = find(inner, key)?;
    let snap = snapshot(inner, id, range.from, range.to);
    for p in snap.memory_in(range.from, range.to) {
        if let Some(v) = p.to_point().number() {
            folder.add(p.time, v);
        }
    }
    let summaries = inner.opts.chunk_summaries;
    chunks(inner, &snap, range.from, range.to, &mut |h, bytes| {
        if let Some(s) = &h.summary
            && summaries
            && folder.add_summary(h.start, h.end, s)
        {
            return Ok(true);
        }
        match chunk::decode_numeric(bytes).map_err(HistoryError::Storage)? {
            Some((times, values)) => folder.add_sorted(&times, &values),
            None => {
                for p in chunk::decode(bytes).map_err(HistoryError::Storage)? {
                    if let Some(v) = number(&p) {
                        folder.add(p.time, v);
                    }
                }
            }
        }
        Ok(true)
    })?;
    Ok(folder.finish())
}

fn number(p: &HeadPoint) -> Option<f64> {
    match &p.value {
        super::head::HeadValue::Float(f) => Some(*f),
        super::head::HeadValue::Int(i) => Some(*i as f64),
        super::head::HeadValue::Json(s) => chunk::json_number(s),
    }
}

fn consider(best: &mut Option<HeadPoint>, p: &HeadPoint, at: i64) {
    if p.time <= at
        && best
            .as_ref()
            .is_none_or(|b| (p.time, p.ingest) >= (b.time, b.ingest))
    {
        *best = Some(p.clone());
    }
}

/// The last point of a series at or before `at`, from memory and chunks.
/// Chunks are read newest first, back to where no older chunk can reach
/// past the newest one.
fn last_point(inner: &Inner, id: u32, at: i64) -> Result<Option<HeadPoint>, HistoryError> {
    let end = at.saturating_add(1);
    let snap = snapshot(inner, id, i64::MIN, end);
    let mut best: Option<HeadPoint> = None;
    for p in snap.memory_in(i64::MIN, end) {
        consider(&mut best, p, at);
    }
    let lo = chunk_key(id, i64::MIN, 0);
    let hi = chunk_key(id, end, 0);
    let mut newest_start = None;
    for g in inner.chunks.range(lo..hi).rev() {
        let (k, v) = g.into_inner().map_err(storage)?;
        if chunk_key_seq(&k) > snap.flushed_seq {
            continue;
        }
        let h = chunk::header(&v).map_err(HistoryError::Storage)?;
        let newest = *newest_start.get_or_insert(h.start);
        if h.start < newest.saturating_sub(snap.max_span) {
            break;
        }
        if best.as_ref().is_some_and(|b| b.time > h.end) {
            continue;
        }
        for p in chunk::decode(&v).map_err(HistoryError::Storage)? {
            consider(&mut best, &p, at);
        }
    }
    Ok(best)
}

/// The latest point of each series.
pub(crate) fn latest(
    inner: &Inner,
    keys: &[SeriesKey],
) -> Result<Vec<Option<Point>>, HistoryError> {
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        // The ids lock is let go before the state lock is taken: appends
        // take them the other way round.
        let id = inner.ids.read().get(key).copied();
        let found = id.map(|id| {
            let st = inner.state.lock();
            (id, st.get(id).and_then(|s| s.latest.clone()))
        });
        let p = match found {
            None => None,
            Some((_, Some(p))) => p,
            Some((id, None)) => {
                let p = last_point(inner, id, i64::MAX)?;
                let mut st = inner.state.lock();
                if let Some(s) = st.get_mut(id)
                    && s.latest.is_none()
                {
                    s.latest = Some(p.clone());
                }
                p
            }
        };
        out.push(p.as_ref().map(HeadPoint::to_point));
    }
    Ok(out)
}

/// For every series of a twin, its last point at or before `at`.
pub(crate) fn last_at(
    inner: &Inner,
    twin: &str,
    at: i64,
) -> Result<Vec<(SeriesInfo, Point)>, HistoryError> {
    let series: Vec<(u32, SeriesInfo)> = {
        let st = inner.state.lock();
        st.by_twin
            .get(twin)
            .into_iter()
            .flatten()
            .filter_map(|id| st.get(*id).map(|s| (*id, s.info())))
            .collect()
    };
    let mut out = Vec::new();
    for (id, info) in series {
        if let Some(p) = last_point(inner, id, at)? {
            out.push((info, p.to_point()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::chunk;
    use crate::{
        Bucket, Embedded, EmbeddedOptions, HistoryError, HistoryStore, Kind, Point, Sample,
        SeriesKey, TimeRange,
    };

    const S: i64 = 1_000_000;
    const T0: i64 = 1_763_000_000 * S;

    fn open(dir: &std::path::Path, chunk_summaries: bool) -> Embedded {
        let opts = EmbeddedOptions {
            chunk_points: 50,
            chunk_summaries,
            ..Default::default()
        };
        Embedded::open(dir, opts).unwrap()
    }

    fn value(i: i64) -> Value {
        match i % 17 {
            3 => json!(i % 2 == 0),
            7 => json!("idle"),
            11 => json!(i * 3),
            _ => json!((((i * 7919) % 1000) as f64) / 8.0 - 40.0),
        }
    }

    /// 1,000 points in chunks of up to 50, flushed at uneven places (so
    /// some chunks hold a single point), with ties in time, and 30 points
    /// left in memory.
    async fn fill(e: &Embedded) {
        let key = SeriesKey::new("p", "v");
        let mut i = 0i64;
        for n in [1, 37, 50, 200, 1, 3, 500, 1, 178, 30] {
            let batch: Vec<Sample> = (i..i + n)
                .map(|j| Sample {
                    key: key.clone(),
                    kind: Kind::Telemetry,
                    model: "dtmi:test:P;1".into(),
                    point: Point {
                        time: T0 + (j - j % 5 / 4) * S,
                        ingest: T0 + j * S,
                        value: value(j),
                    },
                })
                .collect();
            e.append(batch).await.unwrap();
            if n != 30 {
                e.flush().await.unwrap();
            }
            i += n;
        }
    }

    /// Ranges and bucket counts from buckets much wider than a chunk to
    /// buckets narrower than the spacing of points, aligned and not.
    fn queries() -> Vec<(TimeRange, u32)> {
        let mut q = Vec::new();
        for (from, to) in [(0, 1000), (-50, 1100), (13, 977), (500, 501), (120, 360)] {
            for buckets in [1, 2, 3, 7, 10, 20, 64, 333, 1000, 5000] {
                q.push((TimeRange::new(T0 + from * S, T0 + to * S).unwrap(), buckets));
            }
        }
        q
    }

    async fn answers(e: &Embedded) -> Vec<Vec<Bucket>> {
        let key = SeriesKey::new("p", "v");
        let mut out = Vec::new();
        for (range, buckets) in queries() {
            out.push(e.aggregate(&key, range, buckets).await.unwrap());
        }
        out
    }

    fn assert_same(got: &[Vec<Bucket>], want: &[Vec<Bucket>]) {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
        for ((g, w), q) in got.iter().zip(want).zip(queries()) {
            assert_eq!(g.len(), w.len(), "{q:?}");
            for (g, w) in g.iter().zip(w) {
                let exact = (g.start, g.count, g.min, g.max, g.first, g.last);
                assert_eq!(
                    exact,
                    (w.start, w.count, w.min, w.max, w.first, w.last),
                    "{q:?}"
                );
                assert!(
                    close(g.avg, w.avg) && close(g.stddev, w.stddev),
                    "{q:?}: {g:?} {w:?}"
                );
            }
        }
    }

    /// Rewrites every chunk with `f`.
    fn rewrite(e: &Embedded, f: impl Fn(&[u8]) -> Vec<u8>) -> usize {
        let chunks = &e.inner.chunks;
        let all: Vec<_> = chunks.iter().map(|g| g.into_inner().unwrap()).collect();
        for (k, v) in &all {
            chunks.insert(k.to_vec(), f(&v[..])).unwrap();
        }
        all.len()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn summaries_give_the_buckets_decoding_gives() {
        let dir = tempfile::tempdir().unwrap();
        let e = open(dir.path(), true);
        fill(&e).await;
        let with = answers(&e).await;
        e.close().await.unwrap();
        drop(e);
        let e = open(dir.path(), false);
        assert_same(&answers(&e).await, &with);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn chunks_inside_a_bucket_are_not_decoded() {
        let dir = tempfile::tempdir().unwrap();
        let e = open(dir.path(), true);
        fill(&e).await;
        let key = SeriesKey::new("p", "v");
        let whole = TimeRange::new(T0 - 10 * S, T0 + 2000 * S).unwrap();
        let before = e.aggregate(&key, whole, 2).await.unwrap();
        assert!(rewrite(&e, chunk::without_columns) > 20);
        let after = e.aggregate(&key, whole, 2).await.unwrap();
        assert_same(&[after], &[before]);
        let cut = TimeRange::new(T0 + 10 * S, T0 + 2000 * S).unwrap();
        match e.aggregate(&key, cut, 2).await {
            Err(HistoryError::Storage(m)) => assert!(m.contains("corrupt chunk"), "{m}"),
            other => panic!("a chunk across the range start must be decoded: {other:?}"),
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn chunks_without_a_summary_are_decoded() {
        let dir = tempfile::tempdir().unwrap();
        let e = open(dir.path(), true);
        fill(&e).await;
        let key = SeriesKey::new("p", "v");
        let all = TimeRange::new(T0 - 10 * S, T0 + 2000 * S).unwrap();
        let raw = e.raw(&key, all, None, 5000).await.unwrap();
        let with = answers(&e).await;
        assert!(rewrite(&e, chunk::to_version_1) > 20);
        assert_eq!(e.raw(&key, all, None, 5000).await.unwrap(), raw);
        assert_same(&answers(&e).await, &with);
        e.close().await.unwrap();
        drop(e);
        let e = open(dir.path(), true);
        assert_eq!(e.raw(&key, all, None, 5000).await.unwrap(), raw);
        assert_same(&answers(&e).await, &with);
    }
}

//! The embedded engine, the default: no external service. Each append is
//! written to a write-ahead log and fsynced (concurrent appends share one
//! sync) before it is acknowledged, and kept in memory in a per-series
//! head. A flusher thread turns heads into compressed chunks in fjall and
//! lets the log drop what chunks now hold; it also enforces retention.
//! Memory is bounded by the head budget: when heads hold more points than
//! that, the largest are flushed first.

mod catalog;
mod chunk;
mod flush;
mod head;
mod read;
mod record;
mod wal;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use fjall::{Database, Keyspace, KeyspaceCreateOptions};
use parking_lot::{Mutex, RwLock};

use self::catalog::{Ids, Series, State, meta_decode};
use self::flush::Flusher;
use self::head::{HeadPoint, HeadValue};
use self::wal::Wal;
use crate::sample::to_millis;
use crate::{
    Bucket, Cursor, HistoryError, HistoryStore, Page, Point, Sample, Scope, SeriesInfo, SeriesKey,
    Stats, TimeRange,
};

/// Tuning of the embedded engine.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// Points held in memory across all heads before the largest heads
    /// are flushed early.
    pub head_budget: usize,
    /// Points per chunk at most; a head this long is flushed.
    pub chunk_points: usize,
    /// A head is flushed once its first point is this old, so that the
    /// write-ahead log stays short.
    pub max_head_age: Duration,
    /// Size at which the write-ahead log starts a new segment.
    pub wal_segment_bytes: u64,
    /// How often retention runs on its own.
    pub retention_every: Duration,
    /// Whether aggregates fold the summary kept with each chunk instead of
    /// decoding a chunk that lies inside one bucket. On by default; off
    /// gives the same buckets more slowly, to measure what summaries save.
    pub chunk_summaries: bool,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        EmbeddedOptions {
            head_budget: 4_000_000,
            chunk_points: 4096,
            max_head_age: Duration::from_secs(600),
            wal_segment_bytes: 64 << 20,
            retention_every: Duration::from_secs(60),
            chunk_summaries: true,
        }
    }
}

pub(crate) struct Inner {
    pub(crate) dir: PathBuf,
    pub(crate) db: Database,
    pub(crate) meta: Keyspace,
    pub(crate) chunks: Keyspace,
    pub(crate) policies: Keyspace,
    pub(crate) state: Mutex<State>,
    pub(crate) ids: RwLock<Ids>,
    pub(crate) wal: Mutex<Wal>,
    pub(crate) opts: EmbeddedOptions,
    pub(crate) broken: Mutex<Option<String>>,
}

impl Inner {
    pub(crate) fn check(&self) -> Result<(), HistoryError> {
        match &*self.broken.lock() {
            Some(e) => Err(HistoryError::Storage(format!(
                "an earlier write failed ({e}); restart to recover from the durable state"
            ))),
            None => Ok(()),
        }
    }

    pub(crate) fn fail(&self, e: String) -> HistoryError {
        tracing::error!(error = %e, "history storage failed");
        self.broken.lock().get_or_insert(e.clone());
        HistoryError::Storage(e)
    }
}

/// The embedded history engine.
pub struct Embedded {
    inner: Arc<Inner>,
    flusher: Flusher,
}

fn open_err(dir: &Path) -> impl Fn(fjall::Error) -> HistoryError + '_ {
    move |e| match e {
        fjall::Error::Locked => HistoryError::Storage(format!(
            "{} is in use by another ferrotwin process; stop it or choose another --data directory",
            dir.display()
        )),
        other => HistoryError::Storage(format!("opening {}: {other}", dir.display())),
    }
}

impl Embedded {
    /// Opens (or creates) the engine in `dir`, replaying its write-ahead
    /// log.
    pub fn open(dir: &Path, opts: EmbeddedOptions) -> Result<Embedded, HistoryError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| HistoryError::Storage(format!("creating {}: {e}", dir.display())))?;
        let db = Database::builder(dir.join("chunks"))
            .open()
            .map_err(open_err(dir))?;
        let ks = |name: &str| {
            db.keyspace(name, KeyspaceCreateOptions::default)
                .map_err(|e| HistoryError::Storage(format!("opening keyspace {name}: {e}")))
        };
        let (meta, chunks, policies) = (ks("series")?, ks("chunks")?, ks("policies")?);
        let mut st = State::default();
        for g in meta.iter() {
            let (k, v) = g
                .into_inner()
                .map_err(|e| HistoryError::Storage(e.to_string()))?;
            let s = meta_decode(&k, &v).map_err(HistoryError::Storage)?;
            st.seq = st.seq.max(s.flushed_seq);
            st.insert(s);
        }
        for g in policies.iter() {
            let (k, v) = g
                .into_inner()
                .map_err(|e| HistoryError::Storage(e.to_string()))?;
            let scope = std::str::from_utf8(&k).ok().and_then(Scope::from_key);
            let age = v.as_ref().try_into().ok().map(i64::from_le_bytes);
            if let (Some(scope), Some(age)) = (scope, age) {
                st.policies.push((scope, age));
            }
        }
        st.policies.sort();
        let wal_dir = dir.join("wal");
        let last = wal::replay(&wal_dir, &mut |seq, payload| {
            for e in record::decode(payload)? {
                match e {
                    record::Entry::Define {
                        id,
                        kind,
                        twin,
                        name,
                        model,
                    } => {
                        if st.get(id).is_none() {
                            let mut s = Series::new(id, SeriesKey::new(twin, name), kind, model);
                            s.latest = None;
                            st.insert(s);
                        }
                    }
                    record::Entry::Point { id, point } => {
                        let s = st.get_mut(id).ok_or_else(|| {
                            format!("write-ahead record {seq} names unknown series {id}")
                        })?;
                        if seq > s.flushed_seq {
                            s.push(point, seq);
                            st.head_points += 1;
                        }
                    }
                }
            }
            Ok(())
        })
        .map_err(HistoryError::Storage)?;
        st.series.iter_mut().flatten().for_each(Series::settle);
        st.seq = st.seq.max(last);
        let wal =
            Wal::start(&wal_dir, st.seq, opts.wal_segment_bytes).map_err(HistoryError::Storage)?;
        let ids: Ids = st
            .series
            .iter()
            .flatten()
            .map(|s| (s.key.clone(), s.id))
            .collect();
        let inner = Arc::new(Inner {
            dir: dir.to_path_buf(),
            db,
            meta,
            chunks,
            policies,
            state: Mutex::new(st),
            ids: RwLock::new(ids),
            wal: Mutex::new(wal),
            opts,
            broken: Mutex::new(None),
        });
        let flusher = Flusher::start(inner.clone()).map_err(HistoryError::Storage)?;
        Ok(Embedded { inner, flusher })
    }

    /// Flushes every head to chunks now (for tests and benchmarks).
    pub async fn flush(&self) -> Result<(), HistoryError> {
        self.flusher
            .request(flush::Request::FlushAll)
            .await
            .map(|_| ())
    }
}

impl Embedded {
    /// Adds points to their heads under `seq`, keeping each head in time
    /// order; returns whether the flusher should run.
    fn push(
        &self,
        st: &mut State,
        points: impl Iterator<Item = (u32, HeadPoint)>,
        seq: u64,
    ) -> bool {
        let mut late = Vec::new();
        let mut wake = false;
        for (id, p) in points {
            let series = st.get_mut(id).expect("ids name series in the state");
            if series.push(p, seq) {
                late.push(id);
            }
            wake |= series.head.len() >= self.inner.opts.chunk_points;
            st.head_points += 1;
        }
        for id in late {
            st.get_mut(id)
                .expect("ids name series in the state")
                .settle();
        }
        wake || st.head_points > self.inner.opts.head_budget
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, HistoryError> + Send + 'static,
) -> Result<T, HistoryError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| HistoryError::Storage(format!("a history task failed: {e}")))?
}

#[async_trait]
impl HistoryStore for Embedded {
    fn engine(&self) -> &'static str {
        "embedded"
    }

    async fn append(&self, samples: Vec<Sample>) -> Result<(), HistoryError> {
        self.inner.check()?;
        for s in &samples {
            s.check()?;
        }
        if samples.is_empty() {
            return Ok(());
        }
        let points: Vec<HeadPoint> = samples
            .iter()
            .map(|s| HeadPoint {
                time: s.point.time,
                ingest: to_millis(s.point.ingest),
                value: HeadValue::from_json(&s.point.value),
            })
            .collect();
        // Readings of one series often come in a run: look it up once.
        let known: Option<Vec<u32>> = {
            let ids = self.inner.ids.read();
            let mut prev: Option<(&SeriesKey, u32)> = None;
            samples
                .iter()
                .map(|s| {
                    let id = match prev {
                        Some((k, id)) if *k == s.key => id,
                        _ => *ids.get(&s.key)?,
                    };
                    prev = Some((&s.key, id));
                    Some(id)
                })
                .collect()
        };
        let (ack, wake) = match known {
            // Every series exists: the record is packed before the lock.
            Some(ids) => {
                let mut payload = Vec::with_capacity(samples.len() * 16);
                let mut packer = record::Packer::default();
                for (id, p) in ids.iter().zip(&points) {
                    packer.point(&mut payload, *id, p);
                }
                let mut st = self.inner.state.lock();
                st.seq += 1;
                let seq = st.seq;
                let wake = self.push(&mut st, ids.into_iter().zip(points), seq);
                (self.inner.wal.lock().append(seq, payload), wake)
            }
            // New series are defined under the lock, so that their
            // definitions reach the log before any record using them.
            None => {
                let mut st = self.inner.state.lock();
                let mut payload = Vec::with_capacity(samples.len() * 16);
                let mut packer = record::Packer::default();
                let mut ids = Vec::with_capacity(samples.len());
                for (s, p) in samples.iter().zip(&points) {
                    let known = self.inner.ids.read().get(&s.key).copied();
                    let id = match known {
                        Some(id) => id,
                        None => {
                            let id = st.next_id();
                            record::define(
                                &mut payload,
                                id,
                                s.kind,
                                &s.key.twin,
                                &s.key.name,
                                &s.model,
                            );
                            let mut series =
                                Series::new(id, s.key.clone(), s.kind, s.model.clone());
                            series.latest = Some(None);
                            st.insert(series);
                            self.inner.ids.write().insert(s.key.clone(), id);
                            id
                        }
                    };
                    packer.point(&mut payload, id, p);
                    ids.push(id);
                }
                st.seq += 1;
                let seq = st.seq;
                let wake = self.push(&mut st, ids.into_iter().zip(points), seq);
                (self.inner.wal.lock().append(seq, payload), wake)
            }
        };
        drop(samples);
        if wake {
            self.flusher.wake();
        }
        match ack.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(self.inner.fail(e)),
            Err(_) => Err(self.inner.fail("the write-ahead log stopped".into())),
        }
    }

    async fn series(&self, twin: &str) -> Result<Vec<SeriesInfo>, HistoryError> {
        let st = self.inner.state.lock();
        let mut out: Vec<SeriesInfo> = st
            .by_twin
            .get(twin)
            .into_iter()
            .flatten()
            .filter_map(|id| st.get(*id).map(Series::info))
            .collect();
        out.sort_by(|a, b| a.key.name.cmp(&b.key.name));
        Ok(out)
    }

    async fn raw(
        &self,
        key: &SeriesKey,
        range: TimeRange,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<Page, HistoryError> {
        let (inner, key) = (self.inner.clone(), key.clone());
        blocking(move || read::raw(&inner, &key, range, cursor, limit)).await
    }

    async fn aggregate(
        &self,
        key: &SeriesKey,
        range: TimeRange,
        buckets: u32,
    ) -> Result<Vec<Bucket>, HistoryError> {
        let (inner, key) = (self.inner.clone(), key.clone());
        blocking(move || read::aggregate(&inner, &key, range, buckets)).await
    }

    async fn latest(&self, keys: &[SeriesKey]) -> Result<Vec<Option<Point>>, HistoryError> {
        let (inner, keys) = (self.inner.clone(), keys.to_vec());
        blocking(move || read::latest(&inner, &keys)).await
    }

    async fn last_at(&self, twin: &str, at: i64) -> Result<Vec<(SeriesInfo, Point)>, HistoryError> {
        let (inner, twin) = (self.inner.clone(), twin.to_string());
        blocking(move || read::last_at(&inner, &twin, at)).await
    }

    async fn set_retention(&self, scope: Scope, max_age: Option<i64>) -> Result<(), HistoryError> {
        if max_age.is_some_and(|a| a <= 0) {
            return Err(HistoryError::Invalid(
                "a retention period must be positive".into(),
            ));
        }
        let key = scope.key();
        let r = match max_age {
            Some(a) => self.inner.policies.insert(key.as_bytes(), a.to_le_bytes()),
            None => self.inner.policies.remove(key.as_bytes()),
        };
        r.and_then(|_| self.inner.db.persist(fjall::PersistMode::SyncAll))
            .map_err(|e| HistoryError::Storage(format!("saving the retention policy: {e}")))?;
        let mut st = self.inner.state.lock();
        st.policies.retain(|(s, _)| *s != scope);
        if let Some(a) = max_age {
            st.policies.push((scope, a));
            st.policies.sort();
        }
        Ok(())
    }

    async fn retention(&self) -> Result<Vec<(Scope, i64)>, HistoryError> {
        Ok(self.inner.state.lock().policies.clone())
    }

    async fn enforce_retention(&self, now: i64) -> Result<u64, HistoryError> {
        self.flusher.request(flush::Request::Retention(now)).await
    }

    async fn stats(&self) -> Result<Stats, HistoryError> {
        let (series, points) = {
            let st = self.inner.state.lock();
            let points = st
                .series
                .iter()
                .flatten()
                .map(|s| {
                    s.stored
                        + s.head.len() as u64
                        + s.flushing.as_ref().map_or(0, |f| f.0.len() as u64)
                })
                .sum();
            (st.series.iter().flatten().count() as u64, points)
        };
        let dir = self.inner.dir.clone();
        let disk_bytes = tokio::task::spawn_blocking(move || dir_size(&dir))
            .await
            .unwrap_or(0);
        Ok(Stats {
            series,
            points,
            disk_bytes,
        })
    }

    async fn close(&self) -> Result<(), HistoryError> {
        self.flusher.stop();
        self.inner.wal.lock().close();
        self.inner
            .db
            .persist(fjall::PersistMode::SyncAll)
            .map_err(|e| HistoryError::Storage(format!("closing history: {e}")))
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        self.flusher.stop();
    }
}

fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => std::os::unix::fs::MetadataExt::blocks(&m) * 512,
            Err(_) => 0,
        })
        .sum()
}

//! The flusher thread: turns heads into chunks (when a head is full, old,
//! or memory is over budget), advances the write-ahead checkpoint, and
//! enforces retention. It is the only writer of chunks and series
//! records, so their bookkeeping needs no further locking.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use fjall::PersistMode;
use parking_lot::{Condvar, Mutex};
use tokio::sync::oneshot;

use super::Inner;
use super::catalog::{chunk_key, chunk_key_seq, meta_key, meta_value};
use super::chunk;
use super::head::HeadPoint;
use crate::HistoryError;
use crate::store::policy_for;

/// Work asked of the flusher.
pub(crate) enum Request {
    /// Flush every head now.
    FlushAll,
    /// Delete points older than their policy allows at this time (µs).
    Retention(i64),
}

#[derive(Default)]
struct Mailbox {
    wake: bool,
    stop: bool,
    requests: Vec<(Request, oneshot::Sender<Result<u64, HistoryError>>)>,
}

struct Shared {
    mailbox: Mutex<Mailbox>,
    cv: Condvar,
}

/// Handle to the flusher thread.
pub(crate) struct Flusher {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Flusher {
    pub(crate) fn start(inner: Arc<Inner>) -> Result<Flusher, String> {
        let shared = Arc::new(Shared {
            mailbox: Mutex::default(),
            cv: Condvar::new(),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("history-flush".into())
            .spawn(move || run(&inner, &s))
            .map_err(|e| e.to_string())?;
        Ok(Flusher {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Asks for a flush round soon.
    pub(crate) fn wake(&self) {
        self.shared.mailbox.lock().wake = true;
        self.shared.cv.notify_one();
    }

    /// Runs `r` on the flusher thread and waits for its result.
    pub(crate) async fn request(&self, r: Request) -> Result<u64, HistoryError> {
        let (tx, rx) = oneshot::channel();
        {
            let mut m = self.shared.mailbox.lock();
            if m.stop {
                return Err(HistoryError::Storage("history is closed".into()));
            }
            m.requests.push((r, tx));
        }
        self.shared.cv.notify_one();
        rx.await
            .unwrap_or_else(|_| Err(HistoryError::Storage("the history flusher stopped".into())))
    }

    /// Flushes every head and stops the thread.
    pub(crate) fn stop(&self) {
        self.shared.mailbox.lock().stop = true;
        self.shared.cv.notify_one();
        if let Some(t) = self.thread.lock().take() {
            let _ = t.join();
        }
    }
}

fn run(inner: &Inner, shared: &Shared) {
    let mut last_retention = Instant::now();
    loop {
        let (stop, requests) = {
            let mut m = shared.mailbox.lock();
            if !m.wake && !m.stop && m.requests.is_empty() {
                shared.cv.wait_for(&mut m, Duration::from_millis(500));
            }
            m.wake = false;
            (m.stop, std::mem::take(&mut m.requests))
        };
        if inner.broken.lock().is_some() {
            for (_, tx) in requests {
                let _ = tx.send(Err(HistoryError::Storage(
                    "history storage failed earlier".into(),
                )));
            }
            if stop {
                return;
            }
            continue;
        }
        for (r, tx) in requests {
            let result = match r {
                Request::FlushAll => flush(inner, true).map(|n| n as u64),
                Request::Retention(now) => retention(inner, now),
            };
            let _ = tx.send(result);
        }
        if let Err(e) = flush(inner, stop) {
            tracing::error!(error = %e, "history flush failed");
        }
        if stop {
            return;
        }
        if last_retention.elapsed() >= inner.opts.retention_every {
            last_retention = Instant::now();
            let has_policies = !inner.state.lock().policies.is_empty();
            if has_policies {
                let now = chrono::Utc::now().timestamp_micros();
                match retention(inner, now) {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(points = n, "history retention deleted old points"),
                    Err(e) => tracing::error!(error = %e, "history retention failed"),
                }
            }
        }
    }
}

struct Job {
    id: u32,
    points: Arc<Vec<HeadPoint>>,
    last_seq: u64,
}

/// Flushes the heads that are due (all of them with `all`); returns how
/// many series were flushed.
fn flush(inner: &Inner, all: bool) -> Result<usize, HistoryError> {
    let opts = &inner.opts;
    let jobs: Vec<Job> = {
        let mut st = inner.state.lock();
        let mut due: Vec<(usize, u32)> = st
            .series
            .iter()
            .flatten()
            .filter(|s| s.flushing.is_none() && !s.head.is_empty())
            .filter(|s| {
                all || s.head.len() >= opts.chunk_points
                    || s.head_since
                        .is_some_and(|t| t.elapsed() >= opts.max_head_age)
            })
            .map(|s| (s.head.len(), s.id))
            .collect();
        let mut left = st.head_points - due.iter().map(|d| d.0).sum::<usize>();
        if left > opts.head_budget {
            let mut rest: Vec<(usize, u32)> = st
                .series
                .iter()
                .flatten()
                .filter(|s| s.flushing.is_none() && !s.head.is_empty())
                .filter(|s| !due.iter().any(|d| d.1 == s.id))
                .map(|s| (s.head.len(), s.id))
                .collect();
            rest.sort_unstable_by(|a, b| b.cmp(a));
            for r in rest {
                if left <= opts.head_budget / 2 {
                    break;
                }
                left -= r.0;
                due.push(r);
            }
        }
        let mut jobs = Vec::with_capacity(due.len());
        for (n, id) in due {
            let s = st.get_mut(id).expect("listed above");
            let (first_seq, last_seq) = s.head_seqs.take().expect("a head with points has seqs");
            let points = Arc::new(std::mem::take(&mut s.head));
            s.head_since = None;
            s.flushing = Some((points.clone(), first_seq));
            st.head_points -= n;
            jobs.push(Job {
                id,
                points,
                last_seq,
            });
        }
        jobs
    };
    if jobs.is_empty() {
        return Ok(0);
    }
    let mut batch = inner.db.batch().durability(Some(PersistMode::SyncAll));
    let mut updates = Vec::with_capacity(jobs.len());
    for job in &jobs {
        let mut span = 0;
        for part in job.points.chunks(opts.chunk_points) {
            let bytes = chunk::encode(part).map_err(HistoryError::Storage)?;
            let (start, end) = (part[0].time, part[part.len() - 1].time);
            span = span.max(end - start);
            batch.insert(&inner.chunks, chunk_key(job.id, start, job.last_seq), bytes);
        }
        updates.push((job.id, span, job.points.len() as u64));
    }
    let metas: Vec<(Vec<u8>, Vec<u8>)> = {
        let st = inner.state.lock();
        updates
            .iter()
            .zip(&jobs)
            .map(|((id, span, n), job)| {
                let s = st.get(*id).expect("series are never removed");
                let value = meta_value(s, job.last_seq, s.max_span.max(*span), s.stored + n);
                (meta_key(&s.key), value)
            })
            .collect()
    };
    for (k, v) in metas {
        batch.insert(&inner.meta, k, v);
    }
    if let Err(e) = batch.commit() {
        return Err(inner.fail(format!("writing history chunks: {e}")));
    }
    let checkpoint = {
        let mut st = inner.state.lock();
        for ((id, span, n), job) in updates.iter().zip(&jobs) {
            let s = st.get_mut(*id).expect("series are never removed");
            s.flushing = None;
            s.flushed_seq = job.last_seq;
            s.max_span = s.max_span.max(*span);
            s.stored += n;
        }
        st.checkpoint()
    };
    inner.wal.lock().checkpoint(checkpoint);
    Ok(jobs.len())
}

/// Deletes points older than their policies allow at `now`.
fn retention(inner: &Inner, now: i64) -> Result<u64, HistoryError> {
    let targets: Vec<(u32, i64)> = {
        let st = inner.state.lock();
        if st.policies.is_empty() {
            return Ok(0);
        }
        st.series
            .iter()
            .flatten()
            .filter_map(|s| {
                policy_for(&st.policies, &s.key.twin, &s.model)
                    .map(|age| (s.id, now.saturating_sub(age)))
            })
            .collect()
    };
    let mut deleted = 0u64;
    for (id, cutoff) in targets {
        let from_head = {
            let mut st = inner.state.lock();
            let s = st.get_mut(id).expect("series are never removed");
            let before = s.head.len();
            s.head.retain(|p| p.time >= cutoff);
            if matches!(&s.latest, Some(Some(l)) if l.time < cutoff) {
                s.latest = None;
            }
            let n = before - s.head.len();
            st.head_points -= n;
            n as u64
        };
        deleted += from_head;
        let mut batch = inner.db.batch().durability(Some(PersistMode::SyncAll));
        let mut removed = 0u64;
        let lo = chunk_key(id, i64::MIN, 0);
        let hi = chunk_key(id, cutoff, 0);
        for g in inner.chunks.range(lo..hi) {
            let (k, v) = g
                .into_inner()
                .map_err(|e| HistoryError::Storage(format!("reading history chunks: {e}")))?;
            let h = chunk::header(&v).map_err(HistoryError::Storage)?;
            batch.remove(&inner.chunks, k.to_vec());
            if h.end < cutoff {
                removed += u64::from(h.count);
                continue;
            }
            let keep: Vec<HeadPoint> = chunk::decode(&v)
                .map_err(HistoryError::Storage)?
                .into_iter()
                .filter(|p| p.time >= cutoff)
                .collect();
            removed += u64::from(h.count) - keep.len() as u64;
            let bytes = chunk::encode(&keep).map_err(HistoryError::Storage)?;
            batch.insert(
                &inner.chunks,
                chunk_key(id, keep[0].time, chunk_key_seq(&k)),
                bytes,
            );
        }
        if removed == 0 {
            continue;
        }
        let meta = {
            let mut st = inner.state.lock();
            let s = st.get_mut(id).expect("series are never removed");
            s.stored = s.stored.saturating_sub(removed);
            if matches!(&s.latest, Some(Some(l)) if l.time < cutoff) {
                s.latest = None;
            }
            (
                meta_key(&s.key),
                meta_value(s, s.flushed_seq, s.max_span, s.stored),
            )
        };
        batch.insert(&inner.meta, meta.0, meta.1);
        if let Err(e) = batch.commit() {
            return Err(inner.fail(format!("deleting expired history: {e}")));
        }
        deleted += removed;
    }
    Ok(deleted)
}

//! One route's lane: its filter and endpoint, what it has waiting, its
//! counters, and the worker that delivers its outbox in order. The worker
//! removes events only after the endpoint confirmed them, and waits with
//! exponential backoff while the endpoint is down.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ferrotwin_events::Filter;
use parking_lot::{Mutex, RwLock};
use tokio::sync::{Notify, watch};

use crate::backoff::Backoff;
use crate::outbox::{Backlog, Change, Entry, Outbox};
use crate::{Sink, SinkError};

/// Events handed to the endpoint at once.
pub(crate) const BATCH: usize = 256;

/// The route's definition as delivery sees it.
pub(crate) struct Spec {
    pub(crate) endpoint: String,
    pub(crate) filter: Filter,
    pub(crate) sink: Arc<dyn Sink>,
}

/// A route's delivery state.
pub(crate) struct Lane {
    pub(crate) id: String,
    pub(crate) spec: RwLock<Spec>,
    pub(crate) backlog: Mutex<Backlog>,
    pub(crate) notify: Notify,
    pub(crate) stop: watch::Sender<bool>,
    pub(crate) delivered: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) retries: AtomicU64,
}

impl Lane {
    pub(crate) fn new(id: String, spec: Spec, backlog: Backlog) -> Lane {
        Lane {
            id,
            spec: RwLock::new(spec),
            backlog: Mutex::new(backlog),
            notify: Notify::new(),
            stop: watch::channel(false).0,
            delivered: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            retries: AtomicU64::new(0),
        }
    }

    /// Marks events up to `seq` as gone (delivered, refused or dropped);
    /// of `entries`, only those still counted are subtracted, and their
    /// number is returned.
    pub(crate) fn advance(&self, seq: u64, entries: &[(u64, u64)]) -> u64 {
        let mut b = self.backlog.lock();
        let mut n = 0;
        for (s, len) in entries {
            if *s > b.cursor {
                b.count -= 1;
                b.bytes -= len;
                n += 1;
            }
        }
        b.cursor = b.cursor.max(seq);
        n
    }

    /// Delivers until told to stop.
    pub(crate) async fn run(self: Arc<Self>, outbox: Arc<Outbox>, retry: (Duration, Duration)) {
        let mut stop = self.stop.subscribe();
        let mut backoff = Backoff::new(retry.0, retry.1);
        let mut logged_down = false;
        loop {
            if *stop.borrow() {
                return;
            }
            let notified = self.notify.notified();
            let (cursor, head) = {
                let b = self.backlog.lock();
                (b.cursor, b.head)
            };
            let batch = {
                let (o, id) = (outbox.clone(), self.id.clone());
                tokio::task::spawn_blocking(move || o.read(&id, cursor, head, BATCH)).await
            };
            let batch: Vec<Entry> = match batch {
                Ok(Ok(b)) => b,
                Ok(Err(e)) => {
                    tracing::error!(route = %self.id, "reading the outbox: {e}");
                    self.pause(&mut stop, Duration::from_secs(1)).await;
                    continue;
                }
                Err(e) => {
                    tracing::error!(route = %self.id, "outbox reader: {e}");
                    return;
                }
            };
            if batch.is_empty() {
                tokio::select! {
                    _ = notified => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            let sink = self.spec.read().sink.clone();
            let payloads: Vec<Vec<u8>> = batch.iter().map(|e| e.payload.clone()).collect();
            let sent = tokio::select! {
                r = sink.deliver(&payloads) => r,
                _ = stop.changed() => return,
            };
            let refused = match sent {
                Ok(()) => vec![],
                Err(SinkError::Rejected { indices, message }) => {
                    tracing::warn!(route = %self.id, endpoint = %self.spec.read().endpoint, "{} event(s) refused for good and not sent again: {message}", indices.len());
                    indices
                }
                Err(SinkError::Retry { message, after }) => {
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    let wait = backoff.fail(after);
                    if !logged_down {
                        tracing::warn!(route = %self.id, endpoint = %self.spec.read().endpoint, waiting = batch.len(), "delivery failed, retrying with backoff: {message}");
                        logged_down = true;
                    } else {
                        tracing::debug!(route = %self.id, ?wait, "delivery failed again: {message}");
                    }
                    self.pause(&mut stop, wait).await;
                    continue;
                }
            };
            if logged_down {
                tracing::info!(route = %self.id, "endpoint confirms deliveries again");
                logged_down = false;
            }
            backoff.reset();
            let last = batch.last().map_or(cursor, |e| e.seq);
            let sizes: Vec<(u64, u64)> = batch
                .iter()
                .map(|e| (e.seq, e.payload.len() as u64))
                .collect();
            self.failed
                .fetch_add(refused.len() as u64, Ordering::Relaxed);
            self.delivered
                .fetch_add((batch.len() - refused.len()) as u64, Ordering::Relaxed);
            self.advance(last, &sizes);
            let (o, id) = (outbox.clone(), self.id.clone());
            let removed = tokio::task::spawn_blocking(move || {
                let changes: Vec<Change<'_>> =
                    sizes.iter().map(|(s, _)| Change::Remove(&id, *s)).collect();
                o.write(&changes, None, false)
            })
            .await;
            if let Ok(Err(e)) = removed {
                tracing::error!(route = %self.id, "removing delivered events from the outbox (they may be sent again after a restart): {e}");
            }
        }
    }

    async fn pause(&self, stop: &mut watch::Receiver<bool>, wait: Duration) {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
    }
}

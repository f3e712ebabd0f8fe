//! Routing as a durable recorder: each event is rendered once as a
//! CloudEvent, matched against every route's filter, and appended to the
//! outbox of each route it matches, fsynced, before the write that caused
//! it is acknowledged. A route whose backlog would exceed
//! `max_backlog_bytes` first loses its oldest waiting events (drop-oldest:
//! fresh state matters more to a twin's consumers than stale state).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use ferrotwin_cloudevent::{attribute, to_cloudevent};
use ferrotwin_events::{Event, RecordError, RecordFuture, Recorder};

use crate::engine::Routing;
use crate::lane::Lane;
use crate::outbox::Change;

const NAME: &str = "event routes";

impl Recorder for Routing {
    fn name(&self) -> &'static str {
        NAME
    }

    fn record<'a>(&'a self, events: &'a [Arc<Event>]) -> RecordFuture<'a> {
        Box::pin(async move {
            let lanes: Vec<Arc<Lane>> = self.inner.lanes.read().values().cloned().collect();
            if lanes.is_empty() {
                return Ok(());
            }
            let mut matched: Vec<(usize, Arc<Vec<u8>>)> = Vec::new();
            for e in events {
                let ce = to_cloudevent(e, &self.inner.options.source);
                let attr = |a: &str| attribute(&ce, a);
                let mut bytes: Option<Arc<Vec<u8>>> = None;
                for (i, lane) in lanes.iter().enumerate() {
                    if lane.spec.read().filter.matches(&attr) {
                        let b = bytes
                            .get_or_insert_with(|| Arc::new(ce.to_string().into_bytes()))
                            .clone();
                        matched.push((i, b));
                    }
                }
            }
            if matched.is_empty() {
                return Ok(());
            }
            let mut seq = self.inner.append.lock().await;
            let first = *seq + 1;
            let last = *seq + matched.len() as u64;
            let mut added = vec![0u64; lanes.len()];
            for (i, b) in &matched {
                added[*i] += b.len() as u64;
            }
            let limit = self.inner.options.max_backlog_bytes;
            let over: Vec<(usize, u64, u64, u64)> = lanes
                .iter()
                .enumerate()
                .filter_map(|(i, l)| {
                    let b = *l.backlog.lock();
                    let excess = (b.bytes + added[i]).saturating_sub(limit);
                    (added[i] > 0 && excess > 0).then_some((i, b.cursor, b.head, excess))
                })
                .collect();
            let outbox = self.inner.outbox.clone();
            let ids: Vec<String> = lanes.iter().map(|l| l.id.clone()).collect();
            let rows = matched.clone();
            let written = tokio::task::spawn_blocking(move || {
                let mut drops: Vec<(usize, Vec<(u64, u64)>)> = Vec::new();
                for (i, cursor, head, excess) in over {
                    let mut freed = 0;
                    let mut gone = Vec::new();
                    let mut at = cursor;
                    'read: while freed < excess {
                        let chunk = outbox.read(&ids[i], at, head, 1024)?;
                        if chunk.is_empty() {
                            break;
                        }
                        for e in chunk {
                            at = e.seq;
                            freed += e.payload.len() as u64;
                            gone.push((e.seq, e.payload.len() as u64));
                            if freed >= excess {
                                break 'read;
                            }
                        }
                    }
                    drops.push((i, gone));
                }
                let mut changes: Vec<Change<'_>> = Vec::with_capacity(rows.len());
                for (i, gone) in &drops {
                    changes.extend(gone.iter().map(|(s, _)| Change::Remove(&ids[*i], *s)));
                }
                for (k, (i, b)) in rows.iter().enumerate() {
                    changes.push(Change::Put(&ids[*i], first + k as u64, b.as_slice()));
                }
                outbox.write(&changes, Some(last), true)?;
                Ok::<_, crate::RoutingError>(drops)
            })
            .await;
            let drops = match written {
                Ok(Ok(d)) => d,
                Ok(Err(e)) => {
                    return Err(RecordError {
                        recorder: NAME,
                        message: e.to_string(),
                    });
                }
                Err(e) => {
                    return Err(RecordError {
                        recorder: NAME,
                        message: format!("the outbox writer failed: {e}"),
                    });
                }
            };
            *seq = last;
            for (i, gone) in drops {
                let Some(&(to, _)) = gone.last() else {
                    continue;
                };
                let n = lanes[i].advance(to, &gone);
                lanes[i].dropped.fetch_add(n, Ordering::Relaxed);
                tracing::warn!(route = %lanes[i].id, dropped = n, "the route's backlog is full; dropped its oldest waiting events");
            }
            for (k, (i, b)) in matched.iter().enumerate() {
                let mut bl = lanes[*i].backlog.lock();
                bl.head = bl.head.max(first + k as u64);
                bl.count += 1;
                bl.bytes += b.len() as u64;
            }
            drop(seq);
            for (i, _) in added.iter().enumerate().filter(|(_, a)| **a > 0) {
                lanes[i].notify.notify_one();
            }
            Ok(())
        })
    }
}

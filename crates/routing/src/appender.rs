//! Group commit for the outbox. Recorders hand their matched events to one
//! appender thread; it takes everything queued, gives it sequence numbers,
//! applies the backlog bound, writes it all as one fsynced batch, and
//! only then answers every waiting recorder. Concurrent writes share one
//! fsync instead of queueing for one each, and sequence order is commit
//! order, which the workers' cursors rely on.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;

use tokio::sync::oneshot;

use crate::RoutingError;
use crate::lane::Lane;
use crate::outbox::{Change, Outbox};

/// Events for the outbox: each with the lane it goes to.
pub(crate) struct Request {
    pub(crate) rows: Vec<(Arc<Lane>, Arc<Vec<u8>>)>,
    pub(crate) done: oneshot::Sender<Result<(), String>>,
}

/// A lane and the (sequence number, bytes) of its events to drop.
type Dropping = (Arc<Lane>, Vec<(u64, u64)>);

/// The appender's queue and thread.
pub(crate) type Appender = (mpsc::Sender<Request>, std::thread::JoinHandle<()>);

/// Starts the appender thread; it ends when its sender is dropped.
pub(crate) fn start(
    outbox: Arc<Outbox>,
    last_seq: u64,
    max_backlog_bytes: u64,
) -> Result<Appender, RoutingError> {
    let (tx, rx) = mpsc::channel::<Request>();
    let thread = std::thread::Builder::new()
        .name("route-outbox".into())
        .spawn(move || {
            let mut seq = last_seq;
            while let Ok(first) = rx.recv() {
                let mut group = vec![first];
                group.extend(rx.try_iter().take(1023));
                let rows: Vec<&(Arc<Lane>, Arc<Vec<u8>>)> =
                    group.iter().flat_map(|r| r.rows.iter()).collect();
                let result = append(&outbox, &rows, seq, max_backlog_bytes);
                if result.is_ok() {
                    seq += rows.len() as u64;
                }
                let answer = result.map_err(|e| e.to_string());
                for r in group {
                    let _ = r.done.send(answer.clone());
                }
            }
        })
        .map_err(|e| RoutingError::Outbox(format!("starting the outbox writer: {e}")))?;
    Ok((tx, thread))
}

fn append(
    outbox: &Outbox,
    rows: &[&(Arc<Lane>, Arc<Vec<u8>>)],
    seq: u64,
    limit: u64,
) -> Result<(), RoutingError> {
    let first = seq + 1;
    let last = seq + rows.len() as u64;
    let mut added: HashMap<&str, (Arc<Lane>, u64)> = HashMap::new();
    for (lane, b) in rows {
        added.entry(lane.id.as_str()).or_insert((lane.clone(), 0)).1 += b.len() as u64;
    }
    // Drop-oldest: a route over its bound loses its oldest waiting events.
    let mut drops: Vec<Dropping> = Vec::new();
    for (lane, add) in added.values() {
        let b = *lane.backlog.lock();
        let excess = (b.bytes + add).saturating_sub(limit);
        if excess == 0 {
            continue;
        }
        let (mut freed, mut at, mut gone) = (0, b.cursor, Vec::new());
        'read: while freed < excess {
            let chunk = outbox.read(&lane.id, at, b.head, 1024)?;
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
        drops.push((lane.clone(), gone));
    }
    let mut changes: Vec<Change<'_>> = Vec::with_capacity(rows.len());
    for (lane, gone) in &drops {
        changes.extend(gone.iter().map(|(s, _)| Change::Remove(&lane.id, *s)));
    }
    for (k, (lane, b)) in rows.iter().enumerate() {
        changes.push(Change::Put(&lane.id, first + k as u64, b.as_slice()));
    }
    outbox.write(&changes, Some(last), true)?;
    for (lane, gone) in drops {
        let Some(&(to, _)) = gone.last() else {
            continue;
        };
        let n = lane.advance(to, &gone);
        lane.dropped.fetch_add(n, Ordering::Relaxed);
        tracing::warn!(route = %lane.id, dropped = n, "the route's backlog is full; dropped its oldest waiting events");
    }
    for (k, (lane, b)) in rows.iter().enumerate() {
        let mut bl = lane.backlog.lock();
        bl.head = bl.head.max(first + k as u64);
        bl.count += 1;
        bl.bytes += b.len() as u64;
    }
    for (lane, _) in added.values() {
        lane.notify.notify_one();
    }
    Ok(())
}

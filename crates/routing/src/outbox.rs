//! The durable outbox: for each route, the CloudEvents it has yet to
//! deliver, in a fjall database of its own (`<data>/outbox`). A key is the
//! route id, a 0 byte and a sequence number (big-endian, so keys sort in
//! delivery order); the value is the CloudEvent JSON. Appends are fsynced
//! before they return; removing delivered events is not, since an event
//! that comes back after a crash is only delivered twice. Removed keys sit
//! below the route's cursor, so reads never walk over them.

use std::path::Path;

use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};

use crate::RoutingError;

/// The events of every route, and the last sequence number handed out.
pub(crate) struct Outbox {
    db: Database,
    events: Keyspace,
    meta: Keyspace,
}

/// One stored event.
pub(crate) struct Entry {
    /// Its sequence number.
    pub(crate) seq: u64,
    /// The CloudEvent JSON.
    pub(crate) payload: Vec<u8>,
}

/// What a route has waiting, as found on opening.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backlog {
    /// The sequence number before the first waiting event.
    pub(crate) cursor: u64,
    /// The last waiting event's sequence number (or `cursor`).
    pub(crate) head: u64,
    /// Events waiting.
    pub(crate) count: u64,
    /// Their bytes.
    pub(crate) bytes: u64,
}

/// One change to write: add an event to a route, or remove one.
pub(crate) enum Change<'a> {
    Put(&'a str, u64, &'a [u8]),
    Remove(&'a str, u64),
}

const SEQ: &[u8] = b"seq";

fn key(route: &str, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(route.len() + 9);
    k.extend_from_slice(route.as_bytes());
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn seq_of(key: &[u8]) -> Result<u64, RoutingError> {
    key.len()
        .checked_sub(8)
        .and_then(|at| key[at..].try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| RoutingError::Outbox("a key without a sequence number".into()))
}

impl Outbox {
    /// Opens (or creates) the outbox at `dir`.
    pub(crate) fn open(dir: &Path) -> Result<Outbox, RoutingError> {
        let db = Database::builder(dir).open().map_err(|e| match e {
            fjall::Error::Locked => RoutingError::Outbox(format!(
                "{} is in use by another ferrotwin process",
                dir.display()
            )),
            other => RoutingError::Outbox(format!("opening {}: {other}", dir.display())),
        })?;
        let events = db.keyspace("events", KeyspaceCreateOptions::default)?;
        let meta = db.keyspace("meta", KeyspaceCreateOptions::default)?;
        Ok(Outbox { db, events, meta })
    }

    /// The last sequence number ever handed out.
    pub(crate) fn last_seq(&self) -> Result<u64, RoutingError> {
        Ok(match self.meta.get(SEQ)? {
            Some(v) => u64::from_be_bytes(
                v.as_ref()
                    .try_into()
                    .map_err(|_| RoutingError::Outbox("the sequence record is damaged".into()))?,
            ),
            None => 0,
        })
    }

    /// Every route with events waiting.
    pub(crate) fn routes(&self) -> Result<Vec<String>, RoutingError> {
        let mut out = Vec::new();
        let mut from: Vec<u8> = Vec::new();
        loop {
            let Some(g) = self.events.range(from.clone()..).next() else {
                break;
            };
            let k = g.key()?;
            let end = k.iter().position(|b| *b == 0).unwrap_or(k.len());
            let route = String::from_utf8_lossy(&k[..end]).into_owned();
            from = k[..end].to_vec();
            from.push(1);
            out.push(route);
        }
        Ok(out)
    }

    /// What `route` has waiting.
    pub(crate) fn backlog(&self, route: &str) -> Result<Backlog, RoutingError> {
        let mut b = Backlog::default();
        let mut first = true;
        for g in self.events.range(key(route, 0)..=key(route, u64::MAX)) {
            let (k, v) = g.into_inner()?;
            let seq = seq_of(&k)?;
            if first {
                b.cursor = seq - 1;
                first = false;
            }
            b.head = seq;
            b.count += 1;
            b.bytes += v.len() as u64;
        }
        Ok(b)
    }

    /// Up to `limit` events of `route` after `cursor`, up to `head`.
    pub(crate) fn read(
        &self,
        route: &str,
        cursor: u64,
        head: u64,
        limit: usize,
    ) -> Result<Vec<Entry>, RoutingError> {
        if head <= cursor {
            return Ok(vec![]);
        }
        let mut out = Vec::new();
        for g in self
            .events
            .range(key(route, cursor + 1)..=key(route, head))
            .take(limit)
        {
            let (k, v) = g.into_inner()?;
            out.push(Entry {
                seq: seq_of(&k)?,
                payload: v.to_vec(),
            });
        }
        Ok(out)
    }

    /// Writes `changes` as one atomic batch; with `durable` the batch is
    /// fsynced before this returns, and `last_seq` is kept with it.
    pub(crate) fn write(
        &self,
        changes: &[Change<'_>],
        last_seq: Option<u64>,
        durable: bool,
    ) -> Result<(), RoutingError> {
        let mut b = self
            .db
            .batch()
            .durability(durable.then_some(PersistMode::SyncAll));
        for c in changes {
            match c {
                Change::Put(r, s, v) => b.insert(&self.events, key(r, *s), *v),
                Change::Remove(r, s) => b.remove(&self.events, key(r, *s)),
            }
        }
        if let Some(s) = last_seq {
            b.insert(&self.meta, SEQ, s.to_be_bytes());
        }
        b.commit()?;
        Ok(())
    }

    /// Removes everything `route` has waiting.
    pub(crate) fn purge(&self, route: &str) -> Result<u64, RoutingError> {
        let mut b = self.db.batch();
        let mut n = 0;
        for g in self.events.range(key(route, 0)..=key(route, u64::MAX)) {
            b.remove(&self.events, g.key()?);
            n += 1;
        }
        b.commit()?;
        Ok(n)
    }

    /// The outbox's size on disk, in bytes.
    pub(crate) fn disk_space(&self) -> u64 {
        self.events.disk_space() + self.meta.disk_space()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_backlogs_and_reads_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let o = Outbox::open(dir.path()).unwrap();
            let puts = [
                Change::Put("a", 1, b"one"),
                Change::Put("b", 2, b"two!"),
                Change::Put("a", 3, b"three"),
                Change::Put("a.b", 4, b"x"),
            ];
            o.write(&puts, Some(4), true).unwrap();
            o.write(&[Change::Remove("a", 1)], None, false).unwrap();
        }
        let o = Outbox::open(dir.path()).unwrap();
        assert_eq!(o.last_seq().unwrap(), 4);
        assert_eq!(o.routes().unwrap(), ["a", "a.b", "b"]);
        assert_eq!(
            o.backlog("a").unwrap(),
            Backlog {
                cursor: 2,
                head: 3,
                count: 1,
                bytes: 5
            }
        );
        let got = o.read("a", 0, 10, 10).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].seq, got[0].payload.as_slice()), (3, &b"three"[..]));
        assert!(o.read("a", 3, 3, 10).unwrap().is_empty());
        assert_eq!(o.purge("b").unwrap(), 1);
        assert_eq!(o.routes().unwrap(), ["a", "a.b"]);
    }
}

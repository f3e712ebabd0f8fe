//! Audit entries in a redb database of their own (`<data>/audit.redb`),
//! keyed by their time-sortable id and read newest first. Each entry
//! commits (fsync) before the call it records is answered. A bounded log
//! drops its oldest entries first.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTableMetadata, TableDefinition};

use crate::{AuditError, Entry, Filter, NewEntry};

const TABLE: TableDefinition<'static, &'static str, &'static [u8]> = TableDefinition::new("audit");

/// The default number of entries kept.
pub const DEFAULT_CAPACITY: u64 = 1_000_000;

/// One page of entries, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The entries.
    pub items: Vec<Entry>,
    /// Where the next (older) page starts, when there is one.
    pub next: Option<String>,
}

/// The audit log.
pub struct AuditLog {
    db: Database,
    capacity: u64,
}

fn decode(bytes: &[u8]) -> Result<Entry, AuditError> {
    serde_json::from_slice(bytes)
        .map_err(|e| AuditError::Storage(format!("a stored audit entry is unreadable: {e}")))
}

impl AuditLog {
    /// Opens or creates the log at `path`, keeping at most `capacity` entries.
    pub fn open(path: &Path, capacity: u64) -> Result<AuditLog, AuditError> {
        let db = Database::create(path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => AuditError::Storage(format!(
                "{} is in use by another ferrotwin process",
                path.display()
            )),
            other => AuditError::Storage(format!("opening {}: {other}", path.display())),
        })?;
        let tx = db.begin_write()?;
        tx.open_table(TABLE)?;
        tx.commit()?;
        Ok(AuditLog {
            db,
            capacity: capacity.max(1),
        })
    }

    /// Records an action.
    pub fn record(&self, e: NewEntry) -> Result<Entry, AuditError> {
        let e = Entry::new(e, chrono::Utc::now());
        let bytes = serde_json::to_vec(&e).expect("audit entries serialize");
        let tx = self.db.begin_write()?;
        {
            let mut t = tx.open_table(TABLE)?;
            let mut over = t.len()?.saturating_add(1).saturating_sub(self.capacity);
            while over > 0 && t.pop_first()?.is_some() {
                over -= 1;
            }
            t.insert(e.id.as_str(), bytes.as_slice())?;
        }
        tx.commit()?;
        Ok(e)
    }

    /// Up to `limit` entries matching `filter`, newest first, starting
    /// before the entry `before` (a page's `next`).
    pub fn list(
        &self,
        filter: &Filter,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Page, AuditError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(TABLE)?;
        let rows = match before {
            Some(b) => t.range::<&str>(..b)?,
            None => t.range::<&str>(..)?,
        };
        let mut items: Vec<Entry> = Vec::new();
        for row in rows.rev() {
            let (_, v) = row?;
            let e = decode(v.value())?;
            if filter.since.as_deref().is_some_and(|s| e.at.as_str() < s) {
                break;
            }
            if !filter.matches(&e) {
                continue;
            }
            if items.len() == limit {
                let next = items.last().map(|e| e.id.clone());
                return Ok(Page { items, next });
            }
            items.push(e);
        }
        Ok(Page { items, next: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(actor: &str, twin: &str, status: u16) -> NewEntry {
        NewEntry {
            actor: actor.into(),
            action: "command".into(),
            twin_id: twin.into(),
            component: None,
            name: "reboot".into(),
            request: Some(serde_json::json!({"delay": 5})),
            status,
            outcome: if status == 200 {
                "ok".into()
            } else {
                "CommandTimeout".into()
            },
            device_status: (status == 200).then_some(200),
            millis: 12,
        }
    }

    #[test]
    fn entries_are_durable_newest_first_and_filtered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.redb");
        let ids: Vec<String> = {
            let log = AuditLog::open(&path, 100).unwrap();
            [("ana", "p1", 200), ("bo", "p1", 504), ("ana", "p2", 200)]
                .into_iter()
                .map(|(a, t, s)| log.record(call(a, t, s)).unwrap().id)
                .collect()
        };
        let log = AuditLog::open(&path, 100).unwrap();
        let all = log.list(&Filter::default(), None, 10).unwrap();
        assert_eq!(
            all.items.iter().map(|e| &e.id).collect::<Vec<_>>(),
            [&ids[2], &ids[1], &ids[0]]
        );
        let p1 = log.list(&Filter::default(), None, 2).unwrap();
        let p2 = log.list(&Filter::default(), p1.next.as_deref(), 2).unwrap();
        assert_eq!(
            (p2.items.len(), p2.items[0].id.as_str(), p2.next),
            (1, ids[0].as_str(), None)
        );
        let ana = Filter {
            actor: Some("ana".into()),
            ..Filter::default()
        };
        assert_eq!(log.list(&ana, None, 10).unwrap().items.len(), 2);
        let p1_only = Filter {
            twin_id: Some("p1".into()),
            ..Filter::default()
        };
        let got = log.list(&p1_only, None, 10).unwrap().items;
        assert_eq!(
            (got[0].outcome.as_str(), got[0].status),
            ("CommandTimeout", 504)
        );
        let later = Filter {
            since: Some("9999".into()),
            ..Filter::default()
        };
        assert!(log.list(&later, None, 10).unwrap().items.is_empty());
    }

    #[test]
    fn large_requests_are_cut_and_the_log_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(&dir.path().join("audit.redb"), 2).unwrap();
        let mut big = call("ana", "p1", 200);
        big.request = Some(serde_json::json!({"blob": "x".repeat(10_000)}));
        let e = log.record(big).unwrap();
        assert!(e.request_cut);
        assert_eq!(
            e.request.unwrap().as_str().unwrap().len(),
            crate::entry::MAX_PAYLOAD
        );
        log.record(call("ana", "p1", 200)).unwrap();
        log.record(call("ana", "p1", 200)).unwrap();
        assert_eq!(
            log.list(&Filter::default(), None, 10).unwrap().items.len(),
            2
        );
    }
}

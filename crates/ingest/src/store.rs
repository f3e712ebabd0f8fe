//! Dead letters kept in a redb database of their own
//! (`<data>/deadletters.redb`), keyed by their time-sortable id, so the
//! oldest come first and a bounded store drops from the front. Every
//! change commits (fsync) before it returns.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use crate::{DeadLetter, Filter, IngestError, NewLetter};

const TABLE: TableDefinition<'static, &'static str, &'static [u8]> =
    TableDefinition::new("dead_letters");

/// The default number of letters kept; past it the oldest make room.
pub const DEFAULT_CAPACITY: u64 = 100_000;

/// One page of letters.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The letters, oldest first.
    pub items: Vec<DeadLetter>,
    /// Where the next page starts, when there is one.
    pub next: Option<String>,
}

/// The dead-letter database.
pub struct DeadLetters {
    db: Database,
    capacity: u64,
    evicted: AtomicU64,
}

fn decode(bytes: &[u8]) -> Result<DeadLetter, IngestError> {
    serde_json::from_slice(bytes)
        .map_err(|e| IngestError::Storage(format!("a stored dead letter is unreadable: {e}")))
}

impl DeadLetters {
    /// Opens or creates the database at `path`, keeping at most `capacity`
    /// letters.
    pub fn open(path: &Path, capacity: u64) -> Result<DeadLetters, IngestError> {
        let db = crate::db::open(path)?;
        let tx = db.begin_write()?;
        tx.open_table(TABLE)?;
        tx.commit()?;
        Ok(DeadLetters {
            db,
            capacity: capacity.max(1),
            evicted: AtomicU64::new(0),
        })
    }

    /// Keeps a refused message; when the store is full the oldest letter
    /// makes room (counted in [`DeadLetters::evicted`]).
    pub fn add(&self, letter: NewLetter) -> Result<DeadLetter, IngestError> {
        let l = DeadLetter::new(letter, chrono::Utc::now());
        let bytes = serde_json::to_vec(&l).expect("dead letters serialize");
        let tx = self.db.begin_write()?;
        {
            let mut t = tx.open_table(TABLE)?;
            let mut over = t.len()?.saturating_add(1).saturating_sub(self.capacity);
            while over > 0 && t.pop_first()?.is_some() {
                self.evicted.fetch_add(1, Ordering::Relaxed);
                over -= 1;
            }
            t.insert(l.id.as_str(), bytes.as_slice())?;
        }
        tx.commit()?;
        Ok(l)
    }

    /// Letters dropped to make room since the store was opened.
    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    /// How many letters are kept.
    pub fn len(&self) -> Result<u64, IngestError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(TABLE)?.len()?)
    }

    /// Whether no letter is kept.
    pub fn is_empty(&self) -> Result<bool, IngestError> {
        Ok(self.len()? == 0)
    }

    /// Up to `limit` letters matching `filter`, oldest first, starting
    /// after the letter `after` (a page's `next`).
    pub fn list(
        &self,
        filter: &Filter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page, IngestError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(TABLE)?;
        let rows = match after {
            Some(a) => {
                t.range::<&str>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded))?
            }
            None => t.range::<&str>(..)?,
        };
        let mut items = Vec::new();
        for row in rows {
            let (_, v) = row?;
            let l = decode(v.value())?;
            if !filter.matches(&l) {
                continue;
            }
            if items.len() == limit {
                let next = items.last().map(|l: &DeadLetter| l.id.clone());
                return Ok(Page { items, next });
            }
            items.push(l);
        }
        Ok(Page { items, next: None })
    }

    /// One letter.
    pub fn get(&self, id: &str) -> Result<DeadLetter, IngestError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(TABLE)?;
        let v = t.get(id)?.ok_or_else(|| not_found(id))?;
        decode(v.value())
    }

    /// Deletes one letter, returning it.
    pub fn delete(&self, id: &str) -> Result<DeadLetter, IngestError> {
        let tx = self.db.begin_write()?;
        let old = {
            let mut t = tx.open_table(TABLE)?;
            let v = t.remove(id)?.ok_or_else(|| not_found(id))?;
            decode(v.value())?
        };
        tx.commit()?;
        Ok(old)
    }

    /// Deletes every letter matching `filter`; how many went.
    pub fn delete_matching(&self, filter: &Filter) -> Result<usize, IngestError> {
        let tx = self.db.begin_write()?;
        let n = {
            let mut t = tx.open_table(TABLE)?;
            let mut ids = Vec::new();
            for row in t.range::<&str>(..)? {
                let (k, v) = row?;
                if filter.matches(&decode(v.value())?) {
                    ids.push(k.value().to_string());
                }
            }
            for id in &ids {
                t.remove(id.as_str())?;
            }
            ids.len()
        };
        tx.commit()?;
        Ok(n)
    }

    /// Records a failed replay: the letter stays, with the new reason and
    /// payload (what is still undelivered), one more replay counted.
    pub fn replay_failed(
        &self,
        id: &str,
        payload: &[u8],
        reason: &str,
    ) -> Result<DeadLetter, IngestError> {
        let tx = self.db.begin_write()?;
        let l = {
            let mut t = tx.open_table(TABLE)?;
            let mut l = {
                let v = t.get(id)?.ok_or_else(|| not_found(id))?;
                decode(v.value())?
            };
            (l.payload, l.payload_text) = crate::letter::read(payload);
            l.payload_bytes = payload.len();
            l.reason = reason.to_string();
            l.replays += 1;
            l.last_replay_at =
                Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
            let bytes = serde_json::to_vec(&l).expect("dead letters serialize");
            t.insert(id, bytes.as_slice())?;
            l
        };
        tx.commit()?;
        Ok(l)
    }
}

fn not_found(id: &str) -> IngestError {
    IngestError::NotFound(format!("no dead letter '{id}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(twin: &str, payload: &[u8]) -> NewLetter {
        NewLetter {
            source: format!("mqtt client=dev topic=twins/{twin}/telemetry"),
            twin_id: Some(twin.to_string()),
            kind: Some("telemetry".into()),
            payload: payload.to_vec(),
            reason: format!("twin not found: {twin}"),
        }
    }

    #[test]
    fn letters_survive_reopen_and_page_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dl.redb");
        let ids: Vec<String> = {
            let s = DeadLetters::open(&path, 100).unwrap();
            (0..5)
                .map(|i| {
                    s.add(letter(if i % 2 == 0 { "a" } else { "b" }, b"{\"t\":1}"))
                        .unwrap()
                        .id
                })
                .collect()
        };
        let s = DeadLetters::open(&path, 100).unwrap();
        assert_eq!(s.len().unwrap(), 5);
        let all = Filter::default();
        let p1 = s.list(&all, None, 2).unwrap();
        assert_eq!(
            p1.items.iter().map(|l| &l.id).collect::<Vec<_>>(),
            [&ids[0], &ids[1]]
        );
        let p2 = s.list(&all, p1.next.as_deref(), 2).unwrap();
        assert_eq!(p2.items[0].id, ids[2]);
        let p3 = s.list(&all, p2.next.as_deref(), 2).unwrap();
        assert_eq!((p3.items.len(), p3.next), (1, None));
        let only_a = Filter {
            twin_id: Some("a".into()),
            source: None,
        };
        assert_eq!(s.list(&only_a, None, 10).unwrap().items.len(), 3);
        assert_eq!(s.delete_matching(&only_a).unwrap(), 3);
        assert_eq!(s.len().unwrap(), 2);
        assert!(matches!(s.get(&ids[0]), Err(IngestError::NotFound(_))));
    }

    #[test]
    fn a_full_store_drops_the_oldest_and_counts_it() {
        let dir = tempfile::tempdir().unwrap();
        let s = DeadLetters::open(&dir.path().join("dl.redb"), 3).unwrap();
        let ids: Vec<String> = (0..5)
            .map(|_| s.add(letter("a", b"[]")).unwrap().id)
            .collect();
        assert_eq!(s.len().unwrap(), 3);
        assert_eq!(s.evicted(), 2);
        let kept = s.list(&Filter::default(), None, 10).unwrap();
        assert_eq!(
            kept.items.iter().map(|l| &l.id).collect::<Vec<_>>(),
            [&ids[2], &ids[3], &ids[4]]
        );
    }

    #[test]
    fn bytes_that_are_not_json_are_kept_as_text_and_a_failed_replay_updates_the_letter() {
        let dir = tempfile::tempdir().unwrap();
        let s = DeadLetters::open(&dir.path().join("dl.redb"), 10).unwrap();
        let l = s.add(letter("a", b"\xff garbage")).unwrap();
        assert_eq!((l.payload.as_ref(), l.payload_bytes), (None, 9));
        assert!(l.payload_text.as_deref().unwrap().ends_with(" garbage"));
        let l = s.add(letter("a", b"{\"t\":\"x\"}")).unwrap();
        assert_eq!(l.payload, Some(serde_json::json!({"t": "x"})));
        let after = s
            .replay_failed(&l.id, b"{\"t\":\"x\"}", "still wrong")
            .unwrap();
        assert_eq!((after.replays, after.reason.as_str()), (1, "still wrong"));
        assert_eq!(s.get(&l.id).unwrap(), after);
        assert_eq!(after.replay_payload(), b"{\"t\":\"x\"}");
    }
}

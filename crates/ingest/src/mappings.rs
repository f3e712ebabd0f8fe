//! Mapping rules added through the API, kept in `<data>/mappings.redb`
//! by id, in the order they were first added (the order they are tried
//! in). The rule itself is opaque JSON here: the connect crate defines and
//! checks it, so a rule is checked before it is stored.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde_json::Value;

use crate::IngestError;

/// id → (position, rule JSON).
const TABLE: TableDefinition<'static, &'static str, (u64, &'static [u8])> =
    TableDefinition::new("mappings");

/// The durable mapping rules.
pub struct MappingStore {
    db: Database,
}

impl MappingStore {
    /// Opens or creates the store at `path`.
    pub fn open(path: &Path) -> Result<MappingStore, IngestError> {
        let db = crate::db::open(path)?;
        let tx = db.begin_write()?;
        tx.open_table(TABLE)?;
        tx.commit()?;
        Ok(MappingStore { db })
    }

    /// Every rule, in the order first added.
    pub fn all(&self) -> Result<Vec<(String, Value)>, IngestError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(TABLE)?;
        let mut rows = Vec::new();
        for row in t.range::<&str>(..)? {
            let (k, v) = row?;
            let (pos, bytes) = v.value();
            let rule: Value = serde_json::from_slice(bytes).map_err(|e| {
                IngestError::Storage(format!("stored mapping '{}' is unreadable: {e}", k.value()))
            })?;
            rows.push((pos, k.value().to_string(), rule));
        }
        rows.sort_by_key(|(pos, _, _)| *pos);
        Ok(rows.into_iter().map(|(_, id, r)| (id, r)).collect())
    }

    /// Adds or replaces a rule (a replaced rule keeps its place); true
    /// when it is new.
    pub fn put(&self, id: &str, rule: &Value) -> Result<bool, IngestError> {
        let bytes = serde_json::to_vec(rule).expect("JSON values serialize");
        let tx = self.db.begin_write()?;
        let created = {
            let mut t = tx.open_table(TABLE)?;
            let old = t.get(id)?.map(|v| v.value().0);
            let pos = match old {
                Some(p) => p,
                None => {
                    let mut next = 0;
                    for row in t.range::<&str>(..)? {
                        next = next.max(row?.1.value().0 + 1);
                    }
                    next
                }
            };
            t.insert(id, (pos, bytes.as_slice()))?;
            old.is_none()
        };
        tx.commit()?;
        Ok(created)
    }

    /// Deletes a rule; false when there was none.
    pub fn delete(&self, id: &str) -> Result<bool, IngestError> {
        let tx = self.db.begin_write()?;
        let existed = tx.open_table(TABLE)?.remove(id)?.is_some();
        tx.commit()?;
        Ok(existed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_keep_their_order_across_replace_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.redb");
        {
            let s = MappingStore::open(&path).unwrap();
            assert!(s.put("zeta", &json!({"n": 1})).unwrap());
            assert!(s.put("alpha", &json!({"n": 2})).unwrap());
            assert!(!s.put("zeta", &json!({"n": 3})).unwrap());
        }
        let s = MappingStore::open(&path).unwrap();
        assert_eq!(
            s.all().unwrap(),
            vec![
                ("zeta".to_string(), json!({"n": 3})),
                ("alpha".to_string(), json!({"n": 2}))
            ]
        );
        assert!(s.delete("zeta").unwrap());
        assert!(!s.delete("zeta").unwrap());
        assert_eq!(s.all().unwrap().len(), 1);
    }
}

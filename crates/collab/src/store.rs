//! Annotations kept in a redb database of their own
//! (`<data>/collab.redb`), keyed by twin then id, so a twin's annotations
//! are one range read. Every change commits (fsync) before it is answered.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use crate::{Annotation, CollabError};

const TABLE: TableDefinition<'static, &'static str, &'static [u8]> =
    TableDefinition::new("annotations");

/// The most annotations one twin keeps.
pub const MAX_PER_TWIN: usize = 1000;

fn key(twin: &str, id: &str) -> String {
    format!("{twin}\u{0}{id}")
}

/// The annotation database.
pub struct Annotations {
    db: Database,
}

impl Annotations {
    /// Opens or creates the database at `path`.
    pub fn open(path: &Path) -> Result<Annotations, CollabError> {
        let db = Database::create(path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => CollabError::Storage(format!(
                "{} is in use by another ferrotwin process",
                path.display()
            )),
            other => CollabError::Storage(format!("opening {}: {other}", path.display())),
        })?;
        let tx = db.begin_write()?;
        tx.open_table(TABLE)?;
        tx.commit()?;
        Ok(Annotations { db })
    }

    /// A twin's annotations, oldest first (ids sort by time).
    pub fn list(&self, twin: &str) -> Result<Vec<Annotation>, CollabError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(TABLE)?;
        let (from, to) = (format!("{twin}\u{0}"), format!("{twin}\u{1}"));
        let mut out = Vec::new();
        for row in t.range(from.as_str()..to.as_str())? {
            let (_, v) = row?;
            let a: Annotation = serde_json::from_slice(v.value()).map_err(|e| {
                CollabError::Storage(format!("a stored annotation is unreadable: {e}"))
            })?;
            out.push(a);
        }
        Ok(out)
    }

    /// Keeps a new annotation.
    pub fn add(&self, a: &Annotation) -> Result<(), CollabError> {
        let bytes = serde_json::to_vec(a).expect("annotations serialize");
        let tx = self.db.begin_write()?;
        {
            let mut t = tx.open_table(TABLE)?;
            let (from, to) = (format!("{}\u{0}", a.twin), format!("{}\u{1}", a.twin));
            if t.range(from.as_str()..to.as_str())?.count() >= MAX_PER_TWIN {
                return Err(CollabError::Limit(format!(
                    "twin '{}' already has {MAX_PER_TWIN} annotations; delete some first",
                    a.twin
                )));
            }
            t.insert(key(&a.twin, &a.id).as_str(), bytes.as_slice())?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Deletes one annotation, returning it.
    pub fn delete(&self, twin: &str, id: &str) -> Result<Annotation, CollabError> {
        let tx = self.db.begin_write()?;
        let removed = {
            let mut t = tx.open_table(TABLE)?;
            let old = t.remove(key(twin, id).as_str())?;
            old.map(|v| serde_json::from_slice::<Annotation>(v.value()))
        };
        let Some(old) = removed else {
            return Err(CollabError::NotFound(format!(
                "twin '{twin}' has no annotation '{id}'"
            )));
        };
        tx.commit()?;
        old.map_err(|e| CollabError::Storage(format!("a stored annotation is unreadable: {e}")))
    }

    /// Deletes every annotation of a twin (when the twin is deleted).
    pub fn delete_twin(&self, twin: &str) -> Result<usize, CollabError> {
        let tx = self.db.begin_write()?;
        let n = {
            let mut t = tx.open_table(TABLE)?;
            let (from, to) = (format!("{twin}\u{0}"), format!("{twin}\u{1}"));
            let keys: Vec<String> = t
                .range(from.as_str()..to.as_str())?
                .map(|r| r.map(|(k, _)| k.value().to_string()))
                .collect::<Result<_, _>>()?;
            for k in &keys {
                t.remove(k.as_str())?;
            }
            keys.len()
        };
        tx.commit()?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewAnnotation;

    fn note(twin: &str, text: &str) -> Annotation {
        serde_json::from_value::<NewAnnotation>(serde_json::json!({"kind": "text", "text": text}))
            .unwrap()
            .into_annotation(twin, "ana")
            .unwrap()
    }

    #[test]
    fn keeps_annotations_per_twin_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("collab.redb");
        let a = note("pump-1", "first");
        let b = note("pump-1", "second");
        {
            let s = Annotations::open(&path).unwrap();
            s.add(&a).unwrap();
            s.add(&b).unwrap();
            s.add(&note("pump-10", "other twin")).unwrap();
        }
        let s = Annotations::open(&path).unwrap();
        let got = s.list("pump-1").unwrap();
        assert_eq!(
            got.iter().map(|a| a.text.as_str()).collect::<Vec<_>>(),
            ["first", "second"]
        );
        assert_eq!(s.delete("pump-1", &a.id).unwrap().text, "first");
        assert!(matches!(
            s.delete("pump-1", &a.id),
            Err(CollabError::NotFound(_))
        ));
        assert_eq!(s.list("pump-1").unwrap().len(), 1);
        assert_eq!(s.delete_twin("pump-1").unwrap(), 1);
        assert!(s.list("pump-1").unwrap().is_empty());
        assert_eq!(s.list("pump-10").unwrap().len(), 1);
    }
}

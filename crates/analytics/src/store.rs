//! Durable analytics state in a redb database of its own
//! (`<data>/analytics.redb`): rules, templates, settings, alerts and work
//! orders, each a table from id to JSON. Every change commits (fsync)
//! before it is acknowledged or published; a batch of changes commits as one.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::AnalyticsError;

type Def = TableDefinition<'static, &'static str, &'static [u8]>;

/// The tables.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Rules,
    Templates,
    Settings,
    Alerts,
    Orders,
}

impl Kind {
    fn def(self) -> Def {
        TableDefinition::new(match self {
            Kind::Rules => "rules",
            Kind::Templates => "templates",
            Kind::Settings => "settings",
            Kind::Alerts => "alerts",
            Kind::Orders => "orders",
        })
    }
}

/// One write of a batch.
pub(crate) enum Write {
    Put(Kind, String, Vec<u8>),
    Delete(Kind, String),
}

/// The database.
pub(crate) struct Store {
    db: Database,
}

impl Store {
    /// Opens or creates the database at `path`.
    pub(crate) fn open(path: &Path) -> Result<Store, AnalyticsError> {
        let db = Database::create(path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => AnalyticsError::Storage(format!(
                "{} is in use by another ferrotwin process",
                path.display()
            )),
            other => AnalyticsError::Storage(format!("opening {}: {other}", path.display())),
        })?;
        let tx = db.begin_write()?;
        for k in [
            Kind::Rules,
            Kind::Templates,
            Kind::Settings,
            Kind::Alerts,
            Kind::Orders,
        ] {
            tx.open_table(k.def())?;
        }
        tx.commit()?;
        Ok(Store { db })
    }

    /// Commits `writes` as one transaction.
    pub(crate) fn write(&self, writes: Vec<Write>) -> Result<(), AnalyticsError> {
        if writes.is_empty() {
            return Ok(());
        }
        let tx = self.db.begin_write()?;
        for w in writes {
            match w {
                Write::Put(k, id, v) => {
                    tx.open_table(k.def())?.insert(id.as_str(), v.as_slice())?;
                }
                Write::Delete(k, id) => {
                    tx.open_table(k.def())?.remove(id.as_str())?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// One item.
    pub(crate) fn get<T: DeserializeOwned>(
        &self,
        kind: Kind,
        id: &str,
    ) -> Result<Option<T>, AnalyticsError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(kind.def())?;
        t.get(id)?.map(|v| decode(kind, id, v.value())).transpose()
    }

    /// Every item, in id order.
    pub(crate) fn all<T: DeserializeOwned>(&self, kind: Kind) -> Result<Vec<T>, AnalyticsError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(kind.def())?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            out.push(decode(kind, k.value(), v.value())?);
        }
        Ok(out)
    }
}

/// A put of `value` under `id`.
pub(crate) fn put<T: Serialize>(kind: Kind, id: &str, value: &T) -> Write {
    Write::Put(
        kind,
        id.to_string(),
        serde_json::to_vec(value).expect("analytics records serialise"),
    )
}

fn decode<T: DeserializeOwned>(kind: Kind, id: &str, bytes: &[u8]) -> Result<T, AnalyticsError> {
    serde_json::from_slice(bytes)
        .map_err(|e| AnalyticsError::Storage(format!("{kind:?} record '{id}' is damaged: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.redb");
        {
            let s = Store::open(&path).unwrap();
            s.write(vec![
                put(Kind::Rules, "r1", &1u32),
                put(Kind::Rules, "r2", &2u32),
            ])
            .unwrap();
            s.write(vec![Write::Delete(Kind::Rules, "r1".into())])
                .unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.all::<u32>(Kind::Rules).unwrap(), vec![2]);
        assert_eq!(s.get::<u32>(Kind::Rules, "r2").unwrap(), Some(2));
        assert_eq!(s.get::<u32>(Kind::Alerts, "r2").unwrap(), None);
    }
}

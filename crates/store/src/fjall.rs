//! The fjall engine: an LSM tree whose write-ahead journal takes each graph
//! batch as one atomic write batch, fsynced (`PersistMode::SyncAll`) before
//! `commit` returns. Random twin updates become sequential journal appends,
//! which is what the write-heavy graph store needs; reads only happen at
//! start-up, when the graph loads into memory.

use std::path::Path;

use ferrotwin_graph::{GraphStore, Mutation, StoreError, Table};
use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};

/// The graph's records in one fjall database, a keyspace per table.
pub struct FjallStore {
    db: Database,
    tables: Vec<(Table, Keyspace)>,
}

fn err(context: &str) -> impl Fn(fjall::Error) -> StoreError + '_ {
    move |e| StoreError(format!("{context}: {e}"))
}

impl FjallStore {
    /// Opens (or creates) the database directory at `path`.
    pub fn open(path: &Path) -> Result<FjallStore, StoreError> {
        let db = Database::builder(path).open().map_err(|e| match e {
            fjall::Error::Locked => StoreError(format!(
                "{} is in use by another ferrotwin process; stop it or choose another --data directory",
                path.display()
            )),
            other => StoreError(format!("opening {}: {other}", path.display())),
        })?;
        let mut tables = Vec::new();
        for t in Table::ALL {
            let ks = db
                .keyspace(t.name(), KeyspaceCreateOptions::default)
                .map_err(err(t.name()))?;
            tables.push((t, ks));
        }
        Ok(FjallStore { db, tables })
    }

    fn keyspace(&self, t: Table) -> &Keyspace {
        &self
            .tables
            .iter()
            .find(|(x, _)| *x == t)
            .expect("every table is opened")
            .1
    }
}

impl GraphStore for FjallStore {
    fn scan(
        &self,
        table: Table,
        visit: &mut dyn FnMut(&str, &[u8]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        for guard in self.keyspace(table).iter() {
            let (k, v) = guard.into_inner().map_err(err(table.name()))?;
            let key = std::str::from_utf8(&k)
                .map_err(|e| StoreError(format!("{}: key is not UTF-8: {e}", table.name())))?;
            visit(key, &v)?;
        }
        Ok(())
    }

    fn commit(&self, batch: &[Mutation]) -> Result<(), StoreError> {
        let mut b = self.db.batch().durability(Some(PersistMode::SyncAll));
        for m in batch {
            match m {
                Mutation::Put { table, key, value } => {
                    b.insert(self.keyspace(*table), key.as_bytes(), value.as_slice())
                }
                Mutation::Delete { table, key } => b.remove(self.keyspace(*table), key.as_bytes()),
            }
        }
        b.commit().map_err(err("commit"))
    }
}

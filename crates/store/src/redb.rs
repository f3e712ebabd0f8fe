//! The redb engine: an ACID, copy-on-write B-tree store in pure Rust. Each
//! graph commit is one write transaction with immediate durability (fsync
//! before `commit` returns), so an acknowledged write survives kill -9 and a
//! torn batch is never visible.

use std::path::Path;

use ::redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use ferrotwin_graph::{GraphStore, Mutation, StoreError, Table};

const MODELS: TableDefinition<&str, &[u8]> = TableDefinition::new("models");
const TWINS: TableDefinition<&str, &[u8]> = TableDefinition::new("twins");
const RELATIONSHIPS: TableDefinition<&str, &[u8]> = TableDefinition::new("relationships");
const ROUTES: TableDefinition<&str, &[u8]> = TableDefinition::new("routes");
const JOBS: TableDefinition<&str, &[u8]> = TableDefinition::new("jobs");

fn definition(t: Table) -> TableDefinition<'static, &'static str, &'static [u8]> {
    match t {
        Table::Models => MODELS,
        Table::Twins => TWINS,
        Table::Relationships => RELATIONSHIPS,
        Table::Routes => ROUTES,
        Table::Jobs => JOBS,
    }
}

fn err(context: &str) -> impl Fn(::redb::Error) -> StoreError + '_ {
    move |e| StoreError(format!("{context}: {e}"))
}

/// The graph's records in one redb file.
pub struct RedbStore {
    db: Database,
}

impl RedbStore {
    /// Opens (or creates) the database file at `path`. Fails clearly when
    /// another process holds it.
    pub fn open(path: &Path) -> Result<RedbStore, StoreError> {
        let db = Database::create(path).map_err(|e| match e {
            ::redb::DatabaseError::DatabaseAlreadyOpen => StoreError(format!(
                "{} is in use by another ferrotwin process; stop it or choose another --data directory",
                path.display()
            )),
            other => StoreError(format!("opening {}: {other}", path.display())),
        })?;
        let txn = db.begin_write().map_err(|e| err("begin")(e.into()))?;
        for t in Table::ALL {
            txn.open_table(definition(t))
                .map_err(|e| err("creating tables")(e.into()))?;
        }
        txn.commit().map_err(|e| err("creating tables")(e.into()))?;
        Ok(RedbStore { db })
    }
}

impl GraphStore for RedbStore {
    fn scan(
        &self,
        table: Table,
        visit: &mut dyn FnMut(&str, &[u8]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| err("begin read")(e.into()))?;
        let t = txn
            .open_table(definition(table))
            .map_err(|e| err(table.name())(e.into()))?;
        for row in t.iter().map_err(|e| err(table.name())(e.into()))? {
            let (k, v) = row.map_err(|e| err(table.name())(e.into()))?;
            visit(k.value(), v.value())?;
        }
        Ok(())
    }

    fn commit(&self, batch: &[Mutation]) -> Result<(), StoreError> {
        let txn = self
            .db
            .begin_write()
            .map_err(|e| err("begin write")(e.into()))?;
        {
            let mut open: Vec<(Table, ::redb::Table<&str, &[u8]>)> = Vec::new();
            for m in batch {
                let (table, key) = match m {
                    Mutation::Put { table, key, .. } | Mutation::Delete { table, key } => {
                        (*table, key.as_str())
                    }
                };
                let idx = match open.iter().position(|(t, _)| *t == table) {
                    Some(i) => i,
                    None => {
                        let t = txn
                            .open_table(definition(table))
                            .map_err(|e| err(table.name())(e.into()))?;
                        open.push((table, t));
                        open.len() - 1
                    }
                };
                let t = &mut open[idx].1;
                match m {
                    Mutation::Put { value, .. } => {
                        t.insert(key, value.as_slice())
                            .map_err(|e| err(table.name())(e.into()))?;
                    }
                    Mutation::Delete { .. } => {
                        t.remove(key).map_err(|e| err(table.name())(e.into()))?;
                    }
                }
            }
        }
        txn.commit().map_err(|e| err("commit")(e.into()))
    }
}

//! Durable embedded storage engines for the twin graph, behind the graph's
//! key-value contract ([`ferrotwin_graph::GraphStore`]): redb (a B-tree) and
//! fjall (an LSM tree with a write-ahead journal). Both commit a graph batch
//! atomically and fsync it before acknowledging. Knows nothing of twins
//! beyond keys and encoded values.

mod fjall;
mod redb;

use std::path::Path;
use std::str::FromStr;

pub use crate::fjall::FjallStore;
pub use crate::redb::RedbStore;
use ferrotwin_graph::{GraphStore, StoreError};

/// Which embedded engine holds the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// fjall: LSM tree; appends each batch to a journal (sequential IO).
    #[default]
    Fjall,
    /// redb: copy-on-write B-tree; rewrites the pages each batch touches.
    Redb,
}

impl FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> Result<Engine, String> {
        match s {
            "fjall" => Ok(Engine::Fjall),
            "redb" => Ok(Engine::Redb),
            other => Err(format!(
                "unknown storage engine '{other}': use fjall or redb"
            )),
        }
    }
}

impl Engine {
    /// The engine's name.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Fjall => "fjall",
            Engine::Redb => "redb",
        }
    }
}

/// Opens the graph store of a data directory. A directory created with one
/// engine is refused by the other, so switching cannot silently start empty.
pub fn open(engine: Engine, data_dir: &Path) -> Result<Box<dyn GraphStore>, StoreError> {
    let (redb_file, fjall_dir) = (data_dir.join("graph.redb"), data_dir.join("graph.fjall"));
    let other = match engine {
        Engine::Fjall if redb_file.exists() => Some(("redb", &redb_file)),
        Engine::Redb if fjall_dir.exists() => Some(("fjall", &fjall_dir)),
        _ => None,
    };
    if let Some((name, path)) = other {
        return Err(StoreError(format!(
            "{} holds a {name} graph; start with --storage {name}, or choose another --data directory",
            path.display()
        )));
    }
    Ok(match engine {
        Engine::Fjall => Box::new(FjallStore::open(&fjall_dir)?),
        Engine::Redb => Box::new(RedbStore::open(&redb_file)?),
    })
}

#[cfg(test)]
mod tests {
    use ferrotwin_graph::{Mutation, Table};

    use super::*;

    fn put(table: Table, key: &str, value: &str) -> Mutation {
        Mutation::Put {
            table,
            key: key.into(),
            value: value.as_bytes().to_vec(),
        }
    }

    fn keys(s: &dyn GraphStore, t: Table) -> Vec<String> {
        let mut out = vec![];
        s.scan(t, &mut |k, v| {
            out.push(format!("{k}={}", String::from_utf8_lossy(v)));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn both_engines_keep_commits_across_reopen() {
        for engine in [Engine::Fjall, Engine::Redb] {
            let dir = tempfile::tempdir().unwrap();
            {
                let s = open(engine, dir.path()).unwrap();
                s.commit(&[
                    put(Table::Twins, "b", "1"),
                    put(Table::Twins, "a", "2"),
                    put(Table::Models, "m", "3"),
                ])
                .unwrap();
                s.commit(&[
                    Mutation::Delete {
                        table: Table::Twins,
                        key: "b".into(),
                    },
                    put(Table::Twins, "a", "4"),
                ])
                .unwrap();
            }
            let s = open(engine, dir.path()).unwrap();
            assert_eq!(keys(s.as_ref(), Table::Twins), ["a=4"], "{engine:?}");
            assert_eq!(keys(s.as_ref(), Table::Models), ["m=3"], "{engine:?}");
            assert!(keys(s.as_ref(), Table::Jobs).is_empty());
        }
    }

    #[test]
    fn a_second_open_of_the_same_directory_is_refused_clearly() {
        for engine in [Engine::Fjall, Engine::Redb] {
            let dir = tempfile::tempdir().unwrap();
            let _first = open(engine, dir.path()).unwrap();
            let err = open(engine, dir.path()).err().unwrap();
            assert!(
                err.0.contains("in use by another ferrotwin process"),
                "{engine:?}: {err}"
            );
        }
    }

    #[test]
    fn switching_engines_on_a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(open(Engine::Redb, dir.path()).unwrap());
        let err = open(Engine::Fjall, dir.path()).err().unwrap();
        assert!(err.0.contains("--storage redb"), "{err}");
    }
}

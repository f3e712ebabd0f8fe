//! The durability contract. The graph keeps its state in memory and hands
//! every change to a [`GraphStore`] as an atomic batch of mutations; the
//! store must make a batch durable (or fail) before `commit` returns.

/// The kinds of records the graph persists, each its own keyspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    /// Model records, by DTMI.
    Models,
    /// Twins, by twin id.
    Twins,
    /// Relationships, by `source \0 relationshipId`.
    Relationships,
    /// Event routes, by id.
    Routes,
    /// Import and delete jobs, by `kind \0 id`.
    Jobs,
}

impl Table {
    /// Every table, in load order (models before the twins that use them).
    pub const ALL: [Table; 5] = [
        Table::Models,
        Table::Twins,
        Table::Relationships,
        Table::Routes,
        Table::Jobs,
    ];

    /// A stable name for the table.
    pub fn name(self) -> &'static str {
        match self {
            Table::Models => "models",
            Table::Twins => "twins",
            Table::Relationships => "relationships",
            Table::Routes => "routes",
            Table::Jobs => "jobs",
        }
    }
}

/// One change to persist.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Insert or replace a record; `value` is its saved JSON encoding.
    Put {
        /// The keyspace.
        table: Table,
        /// The record key.
        key: String,
        /// The encoded record.
        value: Vec<u8>,
    },
    /// Remove a record if present.
    Delete {
        /// The keyspace.
        table: Table,
        /// The record key.
        key: String,
    },
}

/// A storage failure, described for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// A durable key-value store for the graph's records.
pub trait GraphStore: Send + Sync + 'static {
    /// Calls `visit` for every stored record of `table`, in key order.
    fn scan(
        &self,
        table: Table,
        visit: &mut dyn FnMut(&str, &[u8]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Applies all mutations atomically and durably: after `Ok`, they
    /// survive a crash; after `Err`, none of them is visible.
    fn commit(&self, batch: &[Mutation]) -> Result<(), StoreError>;
}

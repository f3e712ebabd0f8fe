//! What can go wrong with the dead-letter store.

use std::fmt;

/// A dead-letter store error.
#[derive(Debug)]
pub enum IngestError {
    /// No such letter.
    NotFound(String),
    /// A request was malformed (a bad cursor); says what.
    Invalid(String),
    /// The database failed.
    Storage(String),
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IngestError::NotFound(m) | IngestError::Invalid(m) => f.write_str(m),
            IngestError::Storage(m) => write!(f, "dead-letter storage: {m}"),
        }
    }
}

impl std::error::Error for IngestError {}

macro_rules! storage {
    ($($t:ty),*) => {$(
        impl From<$t> for IngestError {
            fn from(e: $t) -> Self {
                IngestError::Storage(e.to_string())
            }
        }
    )*};
}
storage!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

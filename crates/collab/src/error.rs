//! What can go wrong.

use std::fmt;

/// A collaboration error.
#[derive(Debug)]
pub enum CollabError {
    /// The input was wrong; says what and where.
    Invalid(String),
    /// No such annotation.
    NotFound(String),
    /// A limit was reached.
    Limit(String),
    /// The database failed.
    Storage(String),
}

impl fmt::Display for CollabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CollabError::Invalid(m) | CollabError::NotFound(m) | CollabError::Limit(m) => {
                f.write_str(m)
            }
            CollabError::Storage(m) => write!(f, "collaboration storage: {m}"),
        }
    }
}

impl std::error::Error for CollabError {}

macro_rules! storage {
    ($($t:ty),*) => {$(
        impl From<$t> for CollabError {
            fn from(e: $t) -> Self {
                CollabError::Storage(e.to_string())
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

//! What can go wrong with the audit log.

use std::fmt;

/// An audit log error.
#[derive(Debug)]
pub enum AuditError {
    /// The database failed.
    Storage(String),
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuditError::Storage(m) => write!(f, "audit storage: {m}"),
        }
    }
}

impl std::error::Error for AuditError {}

macro_rules! storage {
    ($($t:ty),*) => {$(
        impl From<$t> for AuditError {
            fn from(e: $t) -> Self {
                AuditError::Storage(e.to_string())
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

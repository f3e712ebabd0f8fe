//! The crate's errors.

/// What can go wrong in analytics.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// A rule, template, setting or request is invalid; the text says what and where.
    #[error("{0}")]
    Invalid(String),
    /// The named alert, rule, template or work order does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The request conflicts with the item's state (e.g. completing an order with steps left).
    #[error("{0}")]
    Conflict(String),
    /// The analytics database failed.
    #[error("analytics storage: {0}")]
    Storage(String),
}

macro_rules! storage_error {
    ($($t:ty),*) => {$(
        impl From<$t> for AnalyticsError {
            fn from(e: $t) -> Self {
                AnalyticsError::Storage(e.to_string())
            }
        }
    )*};
}

storage_error!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

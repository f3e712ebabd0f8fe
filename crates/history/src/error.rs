//! What can go wrong in a history store.

/// A history failure.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The request is malformed; the message says what and where.
    #[error("{0}")]
    Invalid(String),
    /// The series or twin has no history.
    #[error("{0}")]
    NotFound(String),
    /// The engine could not read or write durably.
    #[error("history storage: {0}")]
    Storage(String),
}

//! The crate's errors.

use std::path::PathBuf;

/// What can go wrong reading data, training or loading a model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A data file line is not a C-MAPSS row.
    #[error("line {line}: {message}")]
    Parse {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A saved model is not readable.
    #[error("model: {0}")]
    Format(String),
    /// Training was asked for something it cannot do.
    #[error("training: {0}")]
    Train(String),
}

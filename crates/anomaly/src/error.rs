//! The crate's error type. Only the NAB evaluation can fail: the detector
//! itself accepts any input.

use std::path::PathBuf;

/// What went wrong while reading or writing benchmark files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A data file is not NAB's `timestamp,value` CSV.
    #[error("{path}:{line}: {message}")]
    Data {
        /// The data file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// The labels file is not NAB's `combined_windows.json`.
    #[error("{path}: {message}")]
    Labels {
        /// The labels file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The data directory holds no `<category>/<file>.csv`.
    #[error("{0}: no data files (expected <category>/<file>.csv)")]
    NoData(PathBuf),
}

impl Error {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

//! Opening one of the crate's redb databases, with the error a person can
//! act on when another ferrotwin process holds it.

use std::path::Path;

use redb::Database;

use crate::IngestError;

/// Opens or creates the database at `path`.
pub(crate) fn open(path: &Path) -> Result<Database, IngestError> {
    Database::create(path).map_err(|e| match e {
        redb::DatabaseError::DatabaseAlreadyOpen => IngestError::Storage(format!(
            "{} is in use by another ferrotwin process",
            path.display()
        )),
        other => IngestError::Storage(format!("opening {}: {other}", path.display())),
    })
}

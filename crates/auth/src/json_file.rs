//! A small JSON file that several processes update: reads see whole
//! versions only (written to a temporary file, fsynced, renamed), updates
//! are serialised by an exclusive lock on a sibling `.lock` file, and the
//! modification time tells readers when to re-read.

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::time::SystemTime;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::AuthError;

/// One JSON document on disk.
pub struct JsonFile {
    path: PathBuf,
}

fn store(e: std::io::Error) -> AuthError {
    AuthError::Store(e.to_string())
}

impl JsonFile {
    /// The file at `path` (it need not exist yet).
    pub fn new(path: PathBuf) -> JsonFile {
        JsonFile { path }
    }

    /// When the file last changed; `None` when it does not exist.
    pub fn modified(&self) -> Result<Option<SystemTime>, AuthError> {
        match fs::metadata(&self.path) {
            Ok(m) => Ok(m.modified().ok()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(store(e)),
        }
    }

    /// The document, or the default when the file does not exist.
    pub fn read<T: DeserializeOwned + Default>(&self) -> Result<T, AuthError> {
        match fs::read(&self.path) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| AuthError::Store(format!("{}: {e}", self.path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
            Err(e) => Err(AuthError::Store(format!("{}: {e}", self.path.display()))),
        }
    }

    /// Runs `f` on the document under the lock and writes the result
    /// atomically; nothing is written when `f` fails.
    pub fn update<T, R>(
        &self,
        f: impl FnOnce(&mut T) -> Result<R, AuthError>,
    ) -> Result<R, AuthError>
    where
        T: Serialize + DeserializeOwned + Default,
    {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(store)?;
        }
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.path.with_extension("lock"))
            .map_err(store)?;
        lock.lock().map_err(store)?;
        let mut doc: T = self.read()?;
        let out = f(&mut doc)?;
        let tmp = self.path.with_extension("json.tmp");
        {
            let mut t = fs::File::create(&tmp).map_err(store)?;
            t.write_all(
                &serde_json::to_vec_pretty(&doc).map_err(|e| AuthError::Store(e.to_string()))?,
            )
            .map_err(store)?;
            t.sync_all().map_err(store)?;
        }
        fs::rename(&tmp, &self.path).map_err(store)?;
        if let Some(dir) = self.path.parent() {
            fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(store)?;
        }
        Ok(out)
    }
}

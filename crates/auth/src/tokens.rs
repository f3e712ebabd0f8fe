//! The token file and verification.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use parking_lot::RwLock;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Role;

/// Why a token was not accepted.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AuthError {
    /// No bearer token was presented.
    #[error("a bearer token is required (Authorization: Bearer <token>)")]
    Missing,
    /// The token is unknown or revoked.
    #[error("the bearer token is not valid")]
    Invalid,
    /// The token has expired.
    #[error("the bearer token expired at {0}")]
    Expired(String),
    /// The token file could not be read or written.
    #[error("token store: {0}")]
    Store(String),
}

/// A stored token, without its secret.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenInfo {
    /// The public id, also the token's prefix.
    pub id: String,
    /// SHA-256 of the whole token, hex.
    pub hash: String,
    /// The role it grants.
    pub role: String,
    /// A label for people.
    #[serde(default)]
    pub name: String,
    /// When it was created (RFC 3339).
    pub created: String,
    /// When it stops working (RFC 3339), if ever.
    #[serde(default)]
    pub expires: Option<String>,
}

#[derive(Default, Serialize, Deserialize)]
struct File {
    tokens: Vec<TokenInfo>,
}

#[derive(Default)]
struct Loaded {
    modified: Option<SystemTime>,
    checked: Option<std::time::Instant>,
    by_hash: HashMap<String, TokenInfo>,
}

/// How long a known token is trusted before the file is checked again,
/// which bounds how long a revoked token keeps working.
const RECHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// Tokens in `<data>/tokens.json`, plus an optional bootstrap admin token.
pub struct TokenStore {
    path: PathBuf,
    bootstrap: Option<String>,
    loaded: RwLock<Loaded>,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl TokenStore {
    /// The store for a data directory. `bootstrap` is a token accepted as
    /// admin without being stored (from FERROTWIN_BOOTSTRAP_TOKEN).
    pub fn open(data_dir: &Path, bootstrap: Option<&str>) -> TokenStore {
        TokenStore {
            path: data_dir.join("tokens.json"),
            bootstrap: bootstrap.filter(|b| !b.is_empty()).map(hash),
            loaded: RwLock::new(Loaded::default()),
        }
    }

    /// The role a presented token grants.
    pub fn verify(&self, token: Option<&str>) -> Result<Role, AuthError> {
        let token = token.filter(|t| !t.is_empty()).ok_or(AuthError::Missing)?;
        let h = hash(token);
        if self.bootstrap.as_deref() == Some(h.as_str()) {
            return Ok(Role::Admin);
        }
        let fresh = {
            let l = self.loaded.read();
            l.by_hash.contains_key(&h) && l.checked.is_some_and(|t| t.elapsed() < RECHECK)
        };
        if !fresh {
            self.refresh()?;
        }
        let loaded = self.loaded.read();
        let info = loaded.by_hash.get(&h).ok_or(AuthError::Invalid)?;
        if let Some(exp) = &info.expires {
            let at = DateTime::parse_from_rfc3339(exp).map_err(|_| AuthError::Invalid)?;
            if at <= Utc::now() {
                return Err(AuthError::Expired(exp.clone()));
            }
        }
        info.role.parse().map_err(|_| AuthError::Invalid)
    }

    fn refresh(&self) -> Result<(), AuthError> {
        let modified = match fs::metadata(&self.path) {
            Ok(m) => m.modified().ok(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(AuthError::Store(e.to_string())),
        };
        if self.loaded.read().modified == modified && modified.is_some() {
            return Ok(());
        }
        let file = self.read_file()?;
        let mut l = self.loaded.write();
        l.by_hash = file
            .tokens
            .into_iter()
            .map(|t| (t.hash.clone(), t))
            .collect();
        l.modified = modified;
        Ok(())
    }

    fn read_file(&self) -> Result<File, AuthError> {
        match fs::read(&self.path) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| AuthError::Store(format!("{}: {e}", self.path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(File::default()),
            Err(e) => Err(AuthError::Store(format!("{}: {e}", self.path.display()))),
        }
    }

    /// Runs `f` on the file's contents under an exclusive file lock and
    /// writes the result atomically (temp file, fsync, rename).
    fn update<T>(&self, f: impl FnOnce(&mut File) -> Result<T, AuthError>) -> Result<T, AuthError> {
        let store = |e: std::io::Error| AuthError::Store(e.to_string());
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
        let mut file = self.read_file()?;
        let out = f(&mut file)?;
        let tmp = self.path.with_extension("json.tmp");
        {
            let mut t = fs::File::create(&tmp).map_err(store)?;
            t.write_all(
                &serde_json::to_vec_pretty(&file).map_err(|e| AuthError::Store(e.to_string()))?,
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

    /// Creates a token and returns it; only its hash is kept.
    pub fn create(
        &self,
        role: Role,
        name: &str,
        ttl: Option<chrono::Duration>,
    ) -> Result<(String, TokenInfo), AuthError> {
        let mut id = [0u8; 6];
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut id);
        rand::rng().fill_bytes(&mut secret);
        let id = hex::encode(id);
        let token = format!("ft_{id}_{}", hex::encode(secret));
        let now = Utc::now();
        let info = TokenInfo {
            id: id.clone(),
            hash: hash(&token),
            role: role.as_str().into(),
            name: name.into(),
            created: now.to_rfc3339(),
            expires: ttl.map(|d| (now + d).to_rfc3339()),
        };
        let stored = info.clone();
        self.update(|f| {
            f.tokens.push(stored);
            Ok(())
        })?;
        Ok((token, info))
    }

    /// Every stored token, without secrets.
    pub fn list(&self) -> Result<Vec<TokenInfo>, AuthError> {
        Ok(self.read_file()?.tokens)
    }

    /// Revokes the token with this id; false when there was none.
    pub fn revoke(&self, id: &str) -> Result<bool, AuthError> {
        self.update(|f| {
            let before = f.tokens.len();
            f.tokens.retain(|t| t.id != id);
            Ok(f.tokens.len() != before)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_by_role_and_expire_and_revoke() {
        let dir = std::env::temp_dir().join(format!("ft-auth-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let store = TokenStore::open(&dir, Some("boot"));
        assert_eq!(store.verify(Some("boot")), Ok(Role::Admin));
        assert_eq!(store.verify(None), Err(AuthError::Missing));
        assert_eq!(store.verify(Some("nope")), Err(AuthError::Invalid));
        let (reader, info) = store.create(Role::Reader, "r", None).unwrap();
        assert_eq!(store.verify(Some(&reader)), Ok(Role::Reader));
        let raw = fs::read_to_string(dir.join("tokens.json")).unwrap();
        assert!(
            !raw.contains(&reader),
            "the token itself must not be stored"
        );
        let (old, _) = store
            .create(Role::Writer, "w", Some(chrono::Duration::seconds(-1)))
            .unwrap();
        assert!(matches!(
            store.verify(Some(&old)),
            Err(AuthError::Expired(_))
        ));
        // A second store over the same directory (another process) sees new tokens.
        let other = TokenStore::open(&dir, None);
        assert_eq!(other.verify(Some(&reader)), Ok(Role::Reader));
        assert!(store.revoke(&info.id).unwrap());
        std::thread::sleep(RECHECK + std::time::Duration::from_millis(20));
        assert_eq!(other.verify(Some(&reader)), Err(AuthError::Invalid));
        let _ = fs::remove_dir_all(&dir);
    }
}

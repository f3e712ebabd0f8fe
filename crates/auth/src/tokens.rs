//! The token file and verification.

use std::collections::HashMap;
use std::path::Path;
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use parking_lot::RwLock;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Role;
use crate::json_file::JsonFile;

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
    file: JsonFile,
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
            file: JsonFile::new(data_dir.join("tokens.json")),
            bootstrap: bootstrap.filter(|b| !b.is_empty()).map(hash),
            loaded: RwLock::new(Loaded::default()),
        }
    }

    /// The role a presented token grants.
    pub fn verify(&self, token: Option<&str>) -> Result<Role, AuthError> {
        self.identify(token).map(|(role, _)| role)
    }

    /// The role a presented token grants and who holds it: the token's
    /// name, else its id (`bootstrap` for the bootstrap token).
    pub fn identify(&self, token: Option<&str>) -> Result<(Role, String), AuthError> {
        let token = token.filter(|t| !t.is_empty()).ok_or(AuthError::Missing)?;
        let h = hash(token);
        if self.bootstrap.as_deref() == Some(h.as_str()) {
            return Ok((Role::Admin, "bootstrap".into()));
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
        let role = info.role.parse().map_err(|_| AuthError::Invalid)?;
        let who = if info.name.is_empty() {
            info.id.clone()
        } else {
            info.name.clone()
        };
        Ok((role, who))
    }

    fn refresh(&self) -> Result<(), AuthError> {
        let modified = self.file.modified()?;
        if self.loaded.read().modified == modified && modified.is_some() {
            return Ok(());
        }
        let file: File = self.file.read()?;
        let mut l = self.loaded.write();
        l.by_hash = file
            .tokens
            .into_iter()
            .map(|t| (t.hash.clone(), t))
            .collect();
        l.modified = modified;
        Ok(())
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
        self.file.update(|f: &mut File| {
            f.tokens.push(stored);
            Ok(())
        })?;
        Ok((token, info))
    }

    /// Every stored token, without secrets.
    pub fn list(&self) -> Result<Vec<TokenInfo>, AuthError> {
        Ok(self.file.read::<File>()?.tokens)
    }

    /// Revokes the token with this id; false when there was none.
    pub fn revoke(&self, id: &str) -> Result<bool, AuthError> {
        self.file.update(|f: &mut File| {
            let before = f.tokens.len();
            f.tokens.retain(|t| t.id != id);
            Ok(f.tokens.len() != before)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

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

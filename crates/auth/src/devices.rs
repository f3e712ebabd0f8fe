//! Device credentials for the device endpoints (MQTT). A device is a
//! username (`dev_<hex>`) and a random 256-bit password, bound to the twins
//! it may speak for. As with API tokens only the password's SHA-256 is
//! stored, in `<data>/devices.json`, written atomically under a file lock
//! and re-read when it changes, so `ferrotwin device create` and `revoke`
//! work while the server runs.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Instant, SystemTime};

use chrono::Utc;
use parking_lot::RwLock;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AuthError;
use crate::json_file::JsonFile;

/// A stored device, without its password.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeviceInfo {
    /// The username the device connects with.
    pub id: String,
    /// SHA-256 of the password, hex.
    pub hash: String,
    /// The twins the device may publish for.
    pub twins: Vec<String>,
    /// A label for people.
    #[serde(default)]
    pub name: String,
    /// When it was created (RFC 3339).
    pub created: String,
}

#[derive(Default, Serialize, Deserialize)]
struct File {
    devices: Vec<DeviceInfo>,
}

#[derive(Default)]
struct Loaded {
    modified: Option<SystemTime>,
    checked: Option<Instant>,
    by_id: HashMap<String, DeviceInfo>,
}

/// How long the loaded file is trusted before it is checked again, which
/// bounds how long a revoked device keeps working.
const RECHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// Devices in `<data>/devices.json`.
pub struct DeviceStore {
    file: JsonFile,
    loaded: RwLock<Loaded>,
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two equal-length hex strings without an early exit.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

impl DeviceStore {
    /// The store for a data directory.
    pub fn open(data_dir: &Path) -> DeviceStore {
        DeviceStore {
            file: JsonFile::new(data_dir.join("devices.json")),
            loaded: RwLock::new(Loaded::default()),
        }
    }

    /// Checks a username and password; returns the device's twins.
    pub fn verify(&self, username: &str, password: &[u8]) -> Result<Vec<String>, AuthError> {
        let password = std::str::from_utf8(password).map_err(|_| AuthError::Invalid)?;
        if username.is_empty() || password.is_empty() {
            return Err(AuthError::Missing);
        }
        self.refresh()?;
        let l = self.loaded.read();
        let d = l.by_id.get(username).ok_or(AuthError::Invalid)?;
        if !same(&d.hash, &hash(password)) {
            return Err(AuthError::Invalid);
        }
        Ok(d.twins.clone())
    }

    /// The twins of a device that is still registered (re-reading the file
    /// at most once per second), or None once it is revoked.
    pub fn twins(&self, username: &str) -> Option<Vec<String>> {
        let stale = self
            .loaded
            .read()
            .checked
            .is_none_or(|t| t.elapsed() >= RECHECK);
        if stale {
            // A failed re-read keeps the last good set.
            let _ = self.refresh();
        }
        self.loaded
            .read()
            .by_id
            .get(username)
            .map(|d| d.twins.clone())
    }

    fn refresh(&self) -> Result<(), AuthError> {
        let modified = self.file.modified()?;
        {
            let mut l = self.loaded.write();
            if l.modified == modified && modified.is_some() {
                l.checked = Some(Instant::now());
                return Ok(());
            }
        }
        let file: File = self.file.read()?;
        let mut l = self.loaded.write();
        l.by_id = file
            .devices
            .into_iter()
            .map(|d| (d.id.clone(), d))
            .collect();
        l.modified = modified;
        l.checked = Some(Instant::now());
        Ok(())
    }

    /// Registers a device for `twins`; returns its password (shown once)
    /// and what is stored.
    pub fn create(&self, twins: &[String], name: &str) -> Result<(String, DeviceInfo), AuthError> {
        if twins.is_empty()
            || twins
                .iter()
                .any(|t| t.is_empty() || t.contains(['/', '+', '#']))
        {
            return Err(AuthError::Store(
                "a device needs at least one twin id, without '/', '+' or '#'".into(),
            ));
        }
        let mut id = [0u8; 6];
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut id);
        rand::rng().fill_bytes(&mut secret);
        let password = hex::encode(secret);
        let info = DeviceInfo {
            id: format!("dev_{}", hex::encode(id)),
            hash: hash(&password),
            twins: twins.to_vec(),
            name: name.into(),
            created: Utc::now().to_rfc3339(),
        };
        let stored = info.clone();
        self.file.update(|f: &mut File| {
            f.devices.push(stored);
            Ok(())
        })?;
        Ok((password, info))
    }

    /// Every registered device, without secrets.
    pub fn list(&self) -> Result<Vec<DeviceInfo>, AuthError> {
        Ok(self.file.read::<File>()?.devices)
    }

    /// Revokes the device with this username; false when there was none.
    pub fn revoke(&self, id: &str) -> Result<bool, AuthError> {
        self.file.update(|f: &mut File| {
            let before = f.devices.len();
            f.devices.retain(|d| d.id != id);
            Ok(f.devices.len() != before)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn devices_verify_and_revoke_across_stores() {
        let dir = std::env::temp_dir().join(format!("ft-devices-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let store = DeviceStore::open(&dir);
        let (pw, info) = store.create(&["t1".into(), "t2".into()], "press").unwrap();
        assert_eq!(
            store.verify(&info.id, pw.as_bytes()),
            Ok(vec!["t1".to_string(), "t2".to_string()])
        );
        assert_eq!(store.verify(&info.id, b"wrong"), Err(AuthError::Invalid));
        assert_eq!(
            store.verify("dev_nope", pw.as_bytes()),
            Err(AuthError::Invalid)
        );
        let raw = fs::read_to_string(dir.join("devices.json")).unwrap();
        assert!(!raw.contains(&pw), "the password itself must not be stored");
        assert!(store.create(&["a/b".into()], "").is_err());
        let other = DeviceStore::open(&dir);
        assert!(other.twins(&info.id).is_some());
        assert!(store.revoke(&info.id).unwrap());
        std::thread::sleep(RECHECK + std::time::Duration::from_millis(20));
        assert_eq!(other.twins(&info.id), None);
        assert_eq!(
            other.verify(&info.id, pw.as_bytes()),
            Err(AuthError::Invalid)
        );
        let _ = fs::remove_dir_all(&dir);
    }
}

//! `ferrotwin device create|list|revoke`: works while the server runs.

use ferrotwin_auth::DeviceStore;

use crate::cli::{DataArg, DeviceCreate, DeviceRevoke};

/// `device create`
pub fn create(a: DeviceCreate) -> i32 {
    match DeviceStore::open(&a.data.data).create(&a.twins, &a.name) {
        Ok((password, info)) => {
            eprintln!(
                "created device {} for twins {}; connect over MQTT with this username and password (shown only once):",
                info.id,
                info.twins.join(", ")
            );
            println!("username: {}", info.id);
            println!("password: {password}");
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// `device list`
pub fn list(a: DataArg) -> i32 {
    match DeviceStore::open(&a.data).list() {
        Ok(devices) => {
            println!("{:<18} {:<26} {:<20} twins", "username", "created", "name");
            for d in devices {
                println!(
                    "{:<18} {:<26} {:<20} {}",
                    d.id,
                    &d.created[..d.created.len().min(25)],
                    d.name,
                    d.twins.join(",")
                );
            }
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// `device revoke`
pub fn revoke(a: DeviceRevoke) -> i32 {
    match DeviceStore::open(&a.data.data).revoke(&a.id) {
        Ok(true) => {
            eprintln!("revoked device {}", a.id);
            0
        }
        Ok(false) => {
            eprintln!("error: no device with username {}", a.id);
            1
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

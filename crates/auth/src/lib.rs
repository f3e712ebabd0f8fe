//! Bearer tokens and roles. Tokens are random 256-bit secrets; only their
//! SHA-256 is stored (a fast hash suffices for high-entropy secrets, unlike
//! passwords). The store is a small JSON file in the data directory, so
//! `ferrotwin token create` works while the server runs: the server
//! re-reads the file when it changes. Knows nothing of HTTP.

mod devices;
mod json_file;
mod role;
mod tokens;

pub use devices::{DeviceInfo, DeviceStore};
pub use role::Role;
pub use tokens::{AuthError, TokenInfo, TokenStore};

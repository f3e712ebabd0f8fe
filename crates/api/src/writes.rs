//! The [`PropertyWrites`] hook: the API tells it of every twin written
//! through it (created, replaced or patched), so that desired property
//! values can reach the twin's device. Device reports do not pass here,
//! so a device never hears its own report echoed.

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

/// Hears of twins written through the API; implemented by the server over
/// the built-in MQTT endpoint.
pub trait PropertyWrites: Send + Sync + 'static {
    /// `twin_id` was written: by a patch of `ops` (on `component`, if
    /// given), or whole (`ops` None) by a create or replace.
    fn written<'a>(
        &'a self,
        twin_id: &'a str,
        component: Option<&'a str>,
        ops: Option<&'a Value>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;
}

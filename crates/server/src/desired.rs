//! Desired properties to devices: the server's implementation of the
//! API's [`PropertyWrites`] over the built-in MQTT endpoint. A write
//! through the API that touches a writable property sends the twin's
//! whole desired state to `twins/{id}/properties/desired`.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use ferrotwin_api::PropertyWrites;
use ferrotwin_connect::mqtt::Desired;
use ferrotwin_graph::Graph;
use serde_json::Value;

/// Sends desired state once the MQTT endpoint runs (never with `--no-mqtt`).
pub struct DesiredWrites {
    /// The twin graph.
    pub graph: Graph,
    /// The endpoint's sender, set when it starts.
    pub desired: OnceLock<Desired>,
}

impl PropertyWrites for DesiredWrites {
    fn written<'a>(
        &'a self,
        twin_id: &'a str,
        component: Option<&'a str>,
        ops: Option<&'a Value>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        Box::pin(async move {
            let Some(desired) = self.desired.get() else {
                return;
            };
            if let Some(ops) = ops
                && !self.graph.patch_writes_desired(twin_id, component, ops)
            {
                return;
            }
            if let Ok(state) = self.graph.desired(twin_id) {
                // Only `$version`: no writable property has a value.
                if state.len() > 1 || ops.is_some() {
                    desired.send(twin_id, &state).await;
                }
            }
        })
    }
}

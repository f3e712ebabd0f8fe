//! Commands from the API to devices: the server's implementation of the
//! API's [`DeviceCommands`] over the built-in MQTT endpoint.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Duration;

use ferrotwin_api::{DeviceCommandError, DeviceCommands, DeviceReply};
use ferrotwin_connect::mqtt::{CommandError, Commands};
use serde_json::Value;

/// Commands over MQTT, once the endpoint has started (it starts after the
/// HTTP listeners, and not at all with `--no-mqtt`).
#[derive(Default)]
pub struct MqttCommands(pub OnceLock<Commands>);

impl DeviceCommands for MqttCommands {
    fn invoke<'a>(
        &'a self,
        twin_id: &'a str,
        command: &'a str,
        payload: Option<&'a Value>,
        timeout: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<DeviceReply, DeviceCommandError>> + Send + 'a>> {
        Box::pin(async move {
            let Some(c) = self.0.get() else {
                return Err(DeviceCommandError::Unavailable(
                    "no device endpoint is running (the server was started with --no-mqtt)".into(),
                ));
            };
            c.invoke(twin_id, command, payload, timeout)
                .await
                .map(|r| DeviceReply {
                    status: r.status,
                    payload: r.payload,
                })
                .map_err(|e| {
                    let m = e.to_string();
                    match e {
                        CommandError::NotConnected(..) => DeviceCommandError::NotConnected(m),
                        CommandError::Timeout(_) => DeviceCommandError::Timeout(m),
                        CommandError::BadResponse(_) => DeviceCommandError::BadResponse(m),
                        CommandError::Unavailable => DeviceCommandError::Unavailable(m),
                    }
                })
        })
    }
}

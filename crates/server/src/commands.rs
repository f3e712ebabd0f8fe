//! Commands from the API to devices: the server's implementation of the
//! API's [`DeviceCommands`], over OPC UA method calls where an
//! `[[opcua_source]]` maps the twin's command, else over the built-in MQTT
//! endpoint.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Duration;

use ferrotwin_api::{DeviceCommandError, DeviceCommands, DeviceReply};
use ferrotwin_connect::mqtt::{CommandError, Commands};
#[cfg(feature = "opcua")]
use ferrotwin_connect::opcua::{MethodError, OpcUaCommands};
use serde_json::Value;

/// The ways a command reaches a device, each set once it has started
/// (MQTT after the HTTP listeners, and not at all with `--no-mqtt`).
#[derive(Default)]
pub struct DeviceCommandPaths {
    /// The built-in MQTT endpoint.
    pub mqtt: OnceLock<Commands>,
    /// The OPC UA sources' method mappings.
    #[cfg(feature = "opcua")]
    pub opcua: OnceLock<Vec<OpcUaCommands>>,
}

impl DeviceCommands for DeviceCommandPaths {
    fn invoke<'a>(
        &'a self,
        twin_id: &'a str,
        command: &'a str,
        payload: Option<&'a Value>,
        timeout: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<DeviceReply, DeviceCommandError>> + Send + 'a>> {
        Box::pin(async move {
            #[cfg(feature = "opcua")]
            if let Some(c) = self
                .opcua
                .get()
                .and_then(|all| all.iter().find(|c| c.handles(twin_id, command)))
            {
                return c
                    .call(twin_id, command, payload, timeout)
                    .await
                    .map(|r| DeviceReply {
                        status: r.status,
                        payload: r.payload,
                    })
                    .map_err(|e| {
                        let m = e.to_string();
                        match e {
                            MethodError::NotConnected(_) => DeviceCommandError::NotConnected(m),
                            MethodError::Timeout(_) => DeviceCommandError::Timeout(m),
                            MethodError::Failed(_) => DeviceCommandError::BadResponse(m),
                        }
                    });
            }
            let Some(c) = self.mqtt.get() else {
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

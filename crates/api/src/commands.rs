//! What the API needs from device connectivity to run a command: the
//! [`DeviceCommands`] trait the server implements over its protocol
//! endpoints, so this crate stays free of MQTT.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::Value;

/// A device's answer to a command.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceReply {
    /// The status code the device gave.
    pub status: u16,
    /// Its JSON payload, if any.
    pub payload: Option<Value>,
}

/// Why a command got no answer; each says what happened in words.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceCommandError {
    /// No device of the twin is connected to receive it.
    NotConnected(String),
    /// The device did not answer in time.
    Timeout(String),
    /// The device answered with something unreadable.
    BadResponse(String),
    /// No device endpoint is running.
    Unavailable(String),
}

/// Delivers commands to devices.
pub trait DeviceCommands: Send + Sync + 'static {
    /// Sends `command` (`name`, or `component*name` for a component's
    /// command) with `payload` to the device of `twin_id` and waits up to
    /// `timeout` for the answer.
    fn invoke<'a>(
        &'a self,
        twin_id: &'a str,
        command: &'a str,
        payload: Option<&'a Value>,
        timeout: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<DeviceReply, DeviceCommandError>> + Send + 'a>>;
}

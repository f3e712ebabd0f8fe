//! One simulated device: its own MQTT connection with its own credentials,
//! publishing what the plant hands it, QoS 1, so a message counts as sent
//! only once the platform acknowledged it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use mqtt5::{ConnectOptions, MqttClient};
use tokio::sync::mpsc;

use super::provision::Credentials;
use crate::SimError;

/// What a device publishes.
pub struct Message {
    /// Topic.
    pub topic: String,
    /// JSON payload.
    pub payload: String,
}

/// Counters shared by all devices.
#[derive(Default)]
pub struct Counters {
    /// Messages the platform acknowledged.
    pub published: AtomicU64,
    /// Messages that failed to publish.
    pub errors: AtomicU64,
    /// Messages dropped because the device fell behind.
    pub dropped: AtomicU64,
}

/// Connects a device; fails with the broker's answer.
pub async fn connect(mqtt: &str, client_id: &str, c: &Credentials) -> Result<MqttClient, SimError> {
    let client = MqttClient::new(client_id.to_string());
    let opts = ConnectOptions::new(client_id.to_string())
        .with_credentials(c.username.clone(), c.password.as_bytes())
        .with_automatic_reconnect(true);
    client
        .connect_with_options(&format!("mqtt://{mqtt}"), opts)
        .await
        .map_err(|e| SimError::Mqtt(format!("device {} connecting to {mqtt}: {e}", c.username)))?;
    Ok(client)
}

/// Publishes messages from `rx` until it closes, then disconnects.
pub async fn publish(client: MqttClient, mut rx: mpsc::Receiver<Message>, counters: Arc<Counters>) {
    while let Some(m) = rx.recv().await {
        match client
            .publish_qos1(m.topic.as_str(), m.payload.into_bytes())
            .await
        {
            Ok(_) => counters.published.fetch_add(1, Ordering::Relaxed),
            Err(e) => {
                tracing::debug!(topic = m.topic, "publish failed: {e}");
                counters.errors.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
    let _ = client.disconnect().await;
}

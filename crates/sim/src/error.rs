//! The simulator's one error type.

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Bad input: an asset list, a fault, an option.
    #[error("{0}")]
    Invalid(String),
    /// No asset with this id.
    #[error("no simulated asset `{0}`")]
    UnknownAsset(String),
    /// The platform refused or failed a request.
    #[error("{0}")]
    Platform(String),
    /// The MQTT connection failed.
    #[error("MQTT: {0}")]
    Mqtt(String),
    /// A socket or file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

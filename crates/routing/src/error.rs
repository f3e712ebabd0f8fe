//! What can go wrong with routes, endpoints and the outbox.

/// A routing failure.
#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    /// The outbox could not be opened, written or read.
    #[error("event route outbox: {0}")]
    Outbox(String),
    /// A route names an endpoint that was not declared.
    #[error("endpoint '{name}' does not exist; declared endpoints: {known}")]
    UnknownEndpoint {
        /// The name the route gave.
        name: String,
        /// The declared names, comma-separated, or "none".
        known: String,
    },
    /// An endpoint declaration is wrong.
    #[error("endpoint '{name}': {message}")]
    Endpoint {
        /// The endpoint's name.
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// A route filter does not parse.
    #[error("event route '{route}': the filter is invalid {message}")]
    Filter {
        /// The route id.
        route: String,
        /// Where and what.
        message: String,
    },
}

impl From<fjall::Error> for RoutingError {
    fn from(e: fjall::Error) -> Self {
        RoutingError::Outbox(e.to_string())
    }
}

//! The graph's failures. The API edge maps each to an ADT error code.

/// Why a graph operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// An id or argument is malformed.
    #[error("{0}")]
    InvalidArgument(String),
    /// A JSON Patch document is malformed or uses an unsupported path.
    #[error("{0}")]
    JsonPatchInvalid(String),
    /// The value does not fit the model.
    #[error("{0}")]
    ValidationFailed(String),
    /// The models are not valid DTDL; one line per diagnostic.
    #[error("{0}")]
    DtdlParserError(String),
    /// A relationship is not allowed by the source model.
    #[error("{0}")]
    InvalidRelationship(String),
    /// The operation is not allowed (for example a relationship to itself).
    #[error("{0}")]
    OperationNotAllowed(String),
    /// The twin's model is decommissioned.
    #[error("{0}")]
    ModelDecommissioned(String),
    /// No model with this id.
    #[error("model '{0}' was not found")]
    ModelNotFound(String),
    /// No twin with this id.
    #[error("digital twin '{0}' was not found")]
    TwinNotFound(String),
    /// The relationship's target twin does not exist.
    #[error("target digital twin '{0}' was not found")]
    TargetTwinNotFound(String),
    /// No relationship with this id on this twin.
    #[error("relationship '{1}' was not found on digital twin '{0}'")]
    RelationshipNotFound(String, String),
    /// The twin has no component with this name.
    #[error("component '{1}' was not found on digital twin '{0}'")]
    ComponentNotFound(String, String),
    /// The twin's model (or component's) declares no such command.
    #[error("{0}")]
    CommandNotFound(String),
    /// No event route with this id.
    #[error("event route '{0}' was not found")]
    EventRouteNotFound(String),
    /// The event route is malformed.
    #[error("{0}")]
    EventRouteInvalid(String),
    /// No job with this id.
    #[error("{0:?} job '{1}' was not found")]
    JobNotFound(crate::JobKind, String),
    /// An If-Match or If-None-Match precondition failed.
    #[error("{0}")]
    PreconditionFailed(String),
    /// A model with this id already exists.
    #[error("model '{0}' already exists")]
    ModelAlreadyExists(String),
    /// The model is still referenced by other models or used by twins.
    #[error("{0}")]
    ModelInUse(String),
    /// A decommission would leave a model referencing live ones.
    #[error("{0}")]
    ModelReferencesNotDecommissioned(String),
    /// The twin still has relationships.
    #[error("digital twin '{0}' still has relationships; delete them first")]
    RelationshipsNotDeleted(String),
    /// A job with this id exists, or too many jobs run.
    #[error("{0}")]
    JobConflict(String),
    /// Durable storage failed; the graph refuses writes until restarted.
    #[error("storage failure: {0}")]
    Storage(String),
}

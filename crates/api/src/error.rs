//! ADT's error envelope: `{"error": {"code", "message"}}` with the code
//! repeated in the `x-ms-error-code` header, and the mapping from graph
//! failures to ADT codes and status codes.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ferrotwin_graph::{GraphError, JobKind};
use serde_json::json;

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// ADT's error code.
    pub code: &'static str,
    /// What was wrong, for a person.
    pub message: String,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 InvalidArgument.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut r = (self.status, axum::Json(body)).into_response();
        r.headers_mut()
            .insert("x-ms-error-code", HeaderValue::from_static(self.code));
        r
    }
}

impl From<GraphError> for ApiError {
    fn from(e: GraphError) -> ApiError {
        use StatusCode as S;
        let (status, code) = match &e {
            GraphError::InvalidArgument(_) => (S::BAD_REQUEST, "InvalidArgument"),
            GraphError::JsonPatchInvalid(_) => (S::BAD_REQUEST, "JsonPatchInvalid"),
            GraphError::ValidationFailed(_) => (S::BAD_REQUEST, "ValidationFailed"),
            GraphError::DtdlParserError(_) => (S::BAD_REQUEST, "DTDLParserError"),
            GraphError::InvalidRelationship(_) => (S::BAD_REQUEST, "InvalidRelationship"),
            GraphError::OperationNotAllowed(_) => (S::BAD_REQUEST, "OperationNotAllowed"),
            GraphError::ModelDecommissioned(_) => (S::BAD_REQUEST, "ModelDecommissioned"),
            GraphError::RelationshipsNotDeleted(_) => (S::BAD_REQUEST, "RelationshipsNotDeleted"),
            GraphError::EventRouteInvalid(_) => (S::BAD_REQUEST, "EventRouteFilterInvalid"),
            GraphError::ModelNotFound(_) => (S::NOT_FOUND, "ModelNotFound"),
            GraphError::TwinNotFound(_) => (S::NOT_FOUND, "DigitalTwinNotFound"),
            GraphError::TargetTwinNotFound(_) => (S::NOT_FOUND, "TargetTwinNotFound"),
            GraphError::RelationshipNotFound(..) => (S::NOT_FOUND, "RelationshipNotFound"),
            GraphError::ComponentNotFound(..) => (S::NOT_FOUND, "ComponentNotFound"),
            GraphError::CommandNotFound(_) => (S::NOT_FOUND, "CommandNotFound"),
            GraphError::EventRouteNotFound(_) => (S::NOT_FOUND, "EventRouteNotFound"),
            GraphError::JobNotFound(JobKind::Import, _) => (S::NOT_FOUND, "ImportJobNotFound"),
            GraphError::JobNotFound(JobKind::Delete, _) => (S::NOT_FOUND, "DeleteJobNotFound"),
            GraphError::PreconditionFailed(_) => (S::PRECONDITION_FAILED, "PreconditionFailed"),
            GraphError::ModelAlreadyExists(_) => (S::CONFLICT, "ModelAlreadyExists"),
            GraphError::ModelInUse(_) => (S::CONFLICT, "ModelReferencesNotDeleted"),
            GraphError::ModelReferencesNotDecommissioned(_) => {
                (S::CONFLICT, "ModelReferencesNotDecommissioned")
            }
            GraphError::JobConflict(_) => (S::BAD_REQUEST, "ValidationFailed"),
            GraphError::Storage(_) => (S::SERVICE_UNAVAILABLE, "StorageUnavailable"),
        };
        ApiError::new(status, code, e.to_string())
    }
}

/// A handler result.
pub type ApiResult<T> = Result<T, ApiError>;

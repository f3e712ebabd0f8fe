//! Request bodies: JSON parsed by hand so that a malformed body gets an
//! ADT error that says where it broke.

use axum::body::Bytes;
use serde_json::Value;

use crate::error::ApiError;

/// Parses a JSON request body.
pub fn json(bytes: &Bytes) -> Result<Value, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::invalid(
            "the request body is empty; a JSON document is required",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::invalid(format!(
            "the request body is not valid JSON: {e} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

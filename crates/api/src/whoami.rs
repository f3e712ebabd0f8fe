//! `GET /auth/whoami`: the name and role of the caller's token, so a client
//! (the web app) can offer only what the role may do.

use axum::routing::get;
use axum::{Extension, Json, Router};
use ferrotwin_auth::Role;
use serde_json::{Value, json};

use crate::ApiState;
use crate::access::Actor;

/// `/auth/whoami`.
pub fn routes() -> Router<ApiState> {
    Router::new().route("/auth/whoami", get(whoami))
}

async fn whoami(Extension(who): Extension<Actor>, Extension(role): Extension<Role>) -> Json<Value> {
    Json(json!({"name": who.0, "role": role.as_str()}))
}

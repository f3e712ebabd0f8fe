//! Bearer-token authentication and role checks, before any handler runs,
//! so a refused request writes nothing.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ferrotwin_auth::{AuthError, Role};

use crate::ApiState;
use crate::error::ApiError;

/// The role a request needs: reads and queries need reader; twin,
/// relationship and telemetry writes need writer; device credentials and
/// everything else admin.
pub fn required_role(method: &Method, path: &str) -> Role {
    if path == "/devices" || path == "/audit" {
        Role::Admin
    } else if method == Method::GET
        || method == Method::HEAD
        || (method == Method::POST
            && matches!(path, "/query" | "/history/latest" | "/history/query"))
    {
        Role::Reader
    } else if path.starts_with("/digitaltwins/")
        || path == "/history/write"
        || path.starts_with("/alerts/")
        || path.starts_with("/workorders")
        || path.starts_with("/sim/")
        || path.starts_with("/collab/")
        || (method == Method::POST
            && path.starts_with("/deadletters/")
            && path.ends_with("/replay"))
    {
        Role::Writer
    } else {
        Role::Admin
    }
}

/// Middleware: 401 without a valid token, 403 with too small a role.
pub async fn authorize(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    // Browsers cannot set headers on EventSource or WebSocket, so the
    // event stream also takes the token as a query parameter.
    let query_token = if token.is_none()
        && (req.uri().path().starts_with("/events") || req.uri().path().starts_with("/collab/"))
    {
        crate::paging::Params::parse(req.uri().query())
            .get("access_token")
            .map(str::to_owned)
    } else {
        None
    };
    let token = token.or(query_token.as_deref());
    let (role, who) = match state.tokens.identify(token) {
        Ok(r) => r,
        Err(AuthError::Store(e)) => {
            tracing::error!(error = %e, "token store unreadable");
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "the token store cannot be read",
            )
            .into_response();
        }
        Err(e) => {
            let mut r = ApiError::new(StatusCode::UNAUTHORIZED, "Unauthorized", e.to_string())
                .into_response();
            r.headers_mut().insert(
                "www-authenticate",
                axum::http::HeaderValue::from_static("Bearer"),
            );
            return r;
        }
    };
    let needed = required_role(req.method(), req.uri().path());
    if role < needed {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!(
                "{} {} needs the {needed} role; this token has the {role} role",
                req.method(),
                req.uri().path()
            ),
        )
        .into_response();
    }
    let mut req = req;
    req.extensions_mut().insert(Actor(who));
    req.extensions_mut().insert(role);
    next.run(req).await
}

/// Who made the request: the token's name (or id).
#[derive(Clone, Debug)]
pub struct Actor(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_by_route() {
        assert_eq!(required_role(&Method::GET, "/models"), Role::Reader);
        assert_eq!(required_role(&Method::POST, "/query"), Role::Reader);
        assert_eq!(required_role(&Method::GET, "/devices"), Role::Admin);
        assert_eq!(
            required_role(&Method::PATCH, "/digitaltwins/a"),
            Role::Writer
        );
        assert_eq!(
            required_role(&Method::POST, "/digitaltwins/a/telemetry"),
            Role::Writer
        );
        assert_eq!(required_role(&Method::POST, "/models"), Role::Admin);
        assert_eq!(required_role(&Method::PUT, "/eventroutes/r"), Role::Admin);
        assert_eq!(required_role(&Method::POST, "/jobs/deletions"), Role::Admin);
        assert_eq!(required_role(&Method::GET, "/sim/truth"), Role::Reader);
        assert_eq!(required_role(&Method::POST, "/sim/faults"), Role::Writer);
        assert_eq!(required_role(&Method::GET, "/auth/whoami"), Role::Reader);
        assert_eq!(required_role(&Method::GET, "/deadletters"), Role::Reader);
        assert_eq!(required_role(&Method::GET, "/audit"), Role::Admin);
        assert_eq!(required_role(&Method::GET, "/mappings/m"), Role::Reader);
        assert_eq!(required_role(&Method::PUT, "/mappings/m"), Role::Admin);
        assert_eq!(
            required_role(&Method::POST, "/deadletters/replay"),
            Role::Writer
        );
        assert_eq!(
            required_role(&Method::POST, "/deadletters/x/replay"),
            Role::Writer
        );
        assert_eq!(
            required_role(&Method::DELETE, "/deadletters/x"),
            Role::Admin
        );
    }
}

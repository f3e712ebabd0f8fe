//! The web app at `/ui/`, from the assets embedded in the binary. Static
//! files need no token (the app asks for one); hashed bundles are cached
//! for a year, index.html is revalidated by ETag so an upgrade shows at once.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::ApiState;

/// What the app may load: itself, its API and socket on the same origin,
/// the glTF buffers it embeds as data: URIs, and WebAssembly (the meshopt
/// decoder of the compressed models) without allowing eval.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws: wss: data: blob:; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// `/`, `/ui` and `/ui/{*path}`.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui/") }))
        .route("/ui", get(|| async { Redirect::to("/ui/") }))
        .route("/ui/", get(|h: HeaderMap| async move { serve("", &h) }))
        .route(
            "/ui/{*path}",
            get(|Path(p): Path<String>, h: HeaderMap| async move { serve(&p, &h) }),
        )
}

fn serve(path: &str, headers: &HeaderMap) -> Response {
    let Some(a) = ferrotwin_ui::asset(path) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("the web app has no file '{path}'"),
        )
            .into_response();
    };
    let etag = format!("\"{}\"", a.etag);
    let cache = if a.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut h = HeaderMap::new();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    if let Ok(v) = HeaderValue::from_str(&a.mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if a.mime.starts_with("text/html") {
        h.insert("content-security-policy", HeaderValue::from_static(CSP));
    }
    // Embedded files are 'static: hand them out without copying.
    let body = match a.bytes {
        std::borrow::Cow::Borrowed(b) => axum::body::Bytes::from_static(b),
        std::borrow::Cow::Owned(v) => axum::body::Bytes::from(v),
    };
    (StatusCode::OK, h, body).into_response()
}

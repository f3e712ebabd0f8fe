//! A small keep-alive HTTP/1.1 client for the platform's REST API.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use crate::SimError;

/// The ADT api-version sent with every request.
const API_VERSION: &str = "api-version=2023-10-31";

/// A client bound to one server and bearer token.
#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
    auth: String,
}

impl Http {
    /// A client for `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: &str, token: &str) -> Http {
        Http {
            client: Client::builder(TokioExecutor::new()).build_http(),
            base: base.trim_end_matches('/').to_string(),
            auth: format!("Bearer {token}"),
        }
    }

    /// Sends a request; returns the status and the parsed body (Null when empty).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), SimError> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = format!("{}{path}{sep}{API_VERSION}", self.base);
        let req = hyper::Request::builder()
            .method(method)
            .uri(&url)
            .header("authorization", &self.auth)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(
                body.map(Value::to_string).unwrap_or_default(),
            )))
            .map_err(|e| SimError::Invalid(format!("{method} {url}: {e}")))?;
        let resp = self
            .client
            .request(req)
            .await
            .map_err(|e| SimError::Platform(format!("{method} {url}: {e}")))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| SimError::Platform(format!("{method} {url}: {e}")))?
            .to_bytes();
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Ok((status, v))
    }

    /// Sends a request and fails, with the platform's answer, unless it succeeded.
    pub async fn ok(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, SimError> {
        let (status, v) = self.send(method, path, body).await?;
        if !(200..300).contains(&status) {
            return Err(SimError::Platform(format!(
                "{method} {path} answered {status}: {v}"
            )));
        }
        Ok(v)
    }
}

//! A webhook: each event is POSTed to the URL as one CloudEvent in
//! structured mode (`content-type: application/cloudevents+json`). 2xx
//! confirms it. 408, 429 and 5xx, and failures to connect, mean "later":
//! the batch is retried with exponential backoff, at least as long as the
//! endpoint's `Retry-After` asks. Any other status (3xx, 4xx) refuses the
//! event for good: it is logged, counted as failed and not sent again.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;

use crate::sink::{Sink, SinkError, SinkFuture};

/// `kind = "webhook"`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// The endpoint's name.
    pub name: String,
    /// Where events are POSTed, `http://` or `https://`.
    pub url: String,
    /// Extra request headers, such as `Authorization`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Seconds to wait for each response [default: 10].
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

/// POSTs to one URL.
pub struct WebhookSink {
    cfg: WebhookConfig,
    uri: Uri,
    timeout: Duration,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// Requests in flight at once per route.
const IN_FLIGHT: usize = 8;

enum Answer {
    Ok,
    Later(String, Option<Duration>),
    Refused(String),
}

impl WebhookSink {
    /// Checks the declaration and prepares the client.
    pub fn new(cfg: WebhookConfig) -> Result<WebhookSink, String> {
        let uri: Uri = cfg
            .url
            .parse()
            .map_err(|e| format!("url '{}' is not a URL: {e}", cfg.url))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(format!(
                "url '{}' must be an http:// or https:// URL with a host",
                cfg.url
            ));
        }
        for (k, v) in &cfg.headers {
            if hyper::header::HeaderName::from_bytes(k.as_bytes()).is_err()
                || hyper::header::HeaderValue::from_str(v).is_err()
            {
                return Err(format!("header '{k}' is not a valid HTTP header"));
            }
        }
        let provider = rustls::crypto::ring::default_provider();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider)
            .map_err(|e| format!("loading the platform's root certificates: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(WebhookSink {
            timeout: Duration::from_secs(cfg.timeout_secs.unwrap_or(10).max(1)),
            cfg,
            uri,
            client: Client::builder(TokioExecutor::new()).build(https),
        })
    }

    async fn post(&self, event: &[u8]) -> Answer {
        let mut req = Request::post(self.uri.clone()).header(
            "content-type",
            "application/cloudevents+json; charset=utf-8",
        );
        for (k, v) in &self.cfg.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let req = match req.body(Full::new(Bytes::copy_from_slice(event))) {
            Ok(r) => r,
            Err(e) => return Answer::Refused(format!("building the request: {e}")),
        };
        let resp = match tokio::time::timeout(self.timeout, self.client.request(req)).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Answer::Later(format!("POST {}: {e}", self.cfg.url), None),
            Err(_) => {
                return Answer::Later(
                    format!("POST {}: no answer within {:?}", self.cfg.url, self.timeout),
                    None,
                );
            }
        };
        let status = resp.status();
        let after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(300)));
        let body = resp.into_body().collect().await.map(|b| b.to_bytes());
        if status.is_success() {
            return Answer::Ok;
        }
        let text = body
            .map(|b| String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned())
            .unwrap_or_default();
        let message = format!("POST {} answered {status}: {text}", self.cfg.url);
        if status == StatusCode::REQUEST_TIMEOUT
            || status == StatusCode::TOO_MANY_REQUESTS
            || status.is_server_error()
        {
            Answer::Later(message, after)
        } else {
            Answer::Refused(message)
        }
    }

    async fn send(&self, events: &[Vec<u8>]) -> Result<(), SinkError> {
        let answers: Vec<Answer> = futures_util::stream::iter(0..events.len())
            .map(|i| self.post(&events[i]))
            .buffered(IN_FLIGHT)
            .collect()
            .await;
        let mut refused = Vec::new();
        let mut reason = String::new();
        for (i, a) in answers.into_iter().enumerate() {
            match a {
                Answer::Ok => {}
                Answer::Later(message, after) => return Err(SinkError::Retry { message, after }),
                Answer::Refused(m) => {
                    refused.push(i);
                    reason = m;
                }
            }
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(SinkError::Rejected {
                indices: refused,
                message: reason,
            })
        }
    }
}

impl Sink for WebhookSink {
    fn kind(&self) -> &'static str {
        "webhook"
    }

    fn deliver<'a>(&'a self, events: &'a [Vec<u8>]) -> SinkFuture<'a> {
        Box::pin(self.send(events))
    }
}

//! Prometheus metrics: requests by route and status, request latency, the
//! graph's size and event route delivery; and the request log line.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::{ApiState, RouteDelivery};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventRouteLabels {
    route: String,
    endpoint: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusedLabels {
    protocol: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// The metric families and their registry.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    twins: Gauge,
    relationships: Gauge,
    models: Gauge,
    routed: [Family<EventRouteLabels, Counter>; 4],
    backlog: Family<EventRouteLabels, Gauge>,
    backlog_bytes: Family<EventRouteLabels, Gauge>,
    refused: Family<RefusedLabels, Counter>,
    dead_letters: Gauge,
    dead_letters_evicted: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("ferrotwin");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_05, 2.0, 18))
        });
        let (twins, relationships, models) = (Gauge::default(), Gauge::default(), Gauge::default());
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            latency.clone(),
        );
        registry.register("twins", "Digital twins in the graph", twins.clone());
        registry.register(
            "relationships",
            "Relationships in the graph",
            relationships.clone(),
        );
        registry.register("models", "Models uploaded", models.clone());
        let routed: [Family<EventRouteLabels, Counter>; 4] = Default::default();
        for (family, (name, help)) in routed.iter().zip([
            (
                "route_delivered",
                "Events an event route's endpoint confirmed",
            ),
            (
                "route_failed",
                "Events an event route's endpoint refused for good",
            ),
            (
                "route_dropped",
                "Events dropped because an event route's backlog was full",
            ),
            (
                "route_retries",
                "Failed delivery attempts of an event route, each retried",
            ),
        ]) {
            registry.register(name, help, family.clone());
        }
        let (backlog, backlog_bytes) = (Family::default(), Family::default());
        registry.register(
            "route_backlog",
            "Events waiting in an event route's outbox",
            backlog.clone(),
        );
        registry.register(
            "route_backlog_bytes",
            "Bytes waiting in an event route's outbox",
            backlog_bytes.clone(),
        );
        let refused = Family::<RefusedLabels, Counter>::default();
        registry.register(
            "device_messages_refused",
            "Device messages the platform refused, kept as dead letters, by protocol and reason",
            refused.clone(),
        );
        let (dead_letters, dead_letters_evicted) = (Gauge::default(), Gauge::default());
        registry.register(
            "dead_letters",
            "Refused device messages kept for listing and replay",
            dead_letters.clone(),
        );
        registry.register(
            "dead_letters_evicted",
            "Dead letters dropped, oldest first, because the store was full (since start)",
            dead_letters_evicted.clone(),
        );
        Metrics {
            refused,
            dead_letters,
            dead_letters_evicted,
            routed,
            backlog,
            backlog_bytes,
            registry,
            requests,
            latency,
            twins,
            relationships,
            models,
        }
    }
}

impl Metrics {
    /// Counts a refused device message; `protocol` is the first word of
    /// its source, `reason` one of `unknown_twin`, `invalid` or `unroutable`.
    pub fn device_refused(&self, protocol: &str, reason: &str) {
        self.refused
            .get_or_create(&RefusedLabels {
                protocol: protocol.to_string(),
                reason: reason.to_string(),
            })
            .inc();
    }

    /// The text exposition, with the graph, route and dead-letter figures
    /// refreshed.
    pub fn render(
        &self,
        graph: &ferrotwin_graph::Graph,
        delivery: &dyn RouteDelivery,
        letters: &ferrotwin_ingest::DeadLetters,
    ) -> String {
        if let Ok(n) = letters.len() {
            self.dead_letters.set(n as i64);
        }
        self.dead_letters_evicted.set(letters.evicted() as i64);
        for family in &self.routed {
            family.clear();
        }
        self.backlog.clear();
        self.backlog_bytes.clear();
        for c in delivery.counters() {
            let l = EventRouteLabels {
                route: c.route,
                endpoint: c.endpoint,
                kind: c.kind,
            };
            for (family, v) in self
                .routed
                .iter()
                .zip([c.delivered, c.failed, c.dropped, c.retries])
            {
                family
                    .get_or_create(&l)
                    .inner()
                    .store(v, std::sync::atomic::Ordering::Relaxed);
            }
            self.backlog.get_or_create(&l).set(c.backlog as i64);
            self.backlog_bytes
                .get_or_create(&l)
                .set(c.backlog_bytes as i64);
        }
        let s = graph.stats();
        self.twins.set(s.twins as i64);
        self.relationships.set(s.relationships as i64);
        self.models.set(s.models as i64);
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Middleware: counts, times and logs each request.
pub async fn observe(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let resp = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    let status = resp.status().as_u16();
    let m: &Arc<Metrics> = &state.metrics;
    m.requests
        .get_or_create(&RequestLabels {
            method: method.clone(),
            route: route.clone(),
            status,
        })
        .inc();
    m.latency
        .get_or_create(&RouteLabels {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(secs);
    if status >= 500 {
        tracing::error!(%method, %route, status, micros = (secs * 1e6) as u64, "request failed");
    } else if status >= 400 {
        tracing::info!(%method, %route, status, micros = (secs * 1e6) as u64, "request refused");
    } else {
        tracing::debug!(%method, %route, status, micros = (secs * 1e6) as u64, "request");
    }
    resp
}

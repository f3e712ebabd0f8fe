//! The hook through which event route definitions reach delivery. The API
//! asks it to check a route before storing it (so a route to an endpoint
//! that does not exist is refused with 400) and tells it of every change;
//! `/metrics` reads its counters. The server implements it over the
//! routing engine.

use ferrotwin_graph::EventRoute;

/// Event route delivery, as the API sees it.
pub trait RouteDelivery: Send + Sync + 'static {
    /// Why `route` could not be delivered (an unknown endpoint), if so.
    fn check(&self, route: &EventRoute) -> Result<(), String>;
    /// A route was created or replaced.
    fn put(&self, route: &EventRoute);
    /// A route was deleted.
    fn delete(&self, id: &str);
    /// Every route's counters.
    fn counters(&self) -> Vec<RouteCounters>;
}

/// One route's delivery counters.
#[derive(Debug, Clone, Default)]
pub struct RouteCounters {
    /// The route id.
    pub route: String,
    /// The endpoint's name.
    pub endpoint: String,
    /// The endpoint's kind (mqtt, webhook, nats).
    pub kind: String,
    /// Events the endpoint confirmed.
    pub delivered: u64,
    /// Events the endpoint refused for good.
    pub failed: u64,
    /// Events dropped because the route's backlog was full.
    pub dropped: u64,
    /// Failed delivery attempts (each retried).
    pub retries: u64,
    /// Events waiting.
    pub backlog: u64,
    /// Their bytes.
    pub backlog_bytes: u64,
}

/// No delivery: every endpoint is unknown. For servers without routing.
pub struct NoDelivery;

impl RouteDelivery for NoDelivery {
    fn check(&self, route: &EventRoute) -> Result<(), String> {
        Err(format!(
            "endpoint '{}' does not exist; no endpoints are declared",
            route.endpoint_name
        ))
    }
    fn put(&self, _: &EventRoute) {}
    fn delete(&self, _: &str) {}
    fn counters(&self) -> Vec<RouteCounters> {
        vec![]
    }
}

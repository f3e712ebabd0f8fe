//! Event route delivery: the server's implementation of the api crate's
//! [`RouteDelivery`] over the routing engine, and of routing's
//! [`LocalBroker`] over the built-in MQTT endpoint.

use ferrotwin_api::{RouteCounters, RouteDelivery};
use ferrotwin_connect::mqtt::Publisher;
use ferrotwin_graph::EventRoute;
use ferrotwin_routing::sink::mqtt::LocalBroker;
use ferrotwin_routing::{RouteSpec, Routing};

/// The built-in MQTT endpoint, as routes publish to it.
pub struct BuiltinBroker(pub Publisher);

impl LocalBroker for BuiltinBroker {
    fn publish<'a>(
        &'a self,
        topic: &'a str,
        payload: Vec<u8>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>> {
        Box::pin(self.0.publish(topic, payload))
    }
}

/// The routing engine, as the API's delivery hook.
pub struct Delivery(pub Routing);

/// A stored route as routing wants it.
pub fn spec(r: &EventRoute) -> RouteSpec {
    RouteSpec {
        id: r.id.clone(),
        endpoint: r.endpoint_name.clone(),
        filter: r.filter.clone(),
    }
}

impl RouteDelivery for Delivery {
    fn check(&self, route: &EventRoute) -> Result<(), String> {
        match self.0.check(&spec(route)) {
            Err(e @ ferrotwin_routing::RoutingError::UnknownEndpoint { .. }) => Err(format!(
                "{e} (declare endpoints with [[endpoint]] in the configuration file)"
            )),
            // A bad filter is reported by the graph, in its own words.
            _ => Ok(()),
        }
    }

    fn put(&self, route: &EventRoute) {
        if let Err(e) = self.0.put_route(&spec(route)) {
            tracing::error!(route = %route.id, "event route stored but not delivered: {e}");
        }
    }

    fn delete(&self, id: &str) {
        if let Err(e) = self.0.delete_route(id) {
            tracing::error!(route = %id, "event route deleted, but its outbox was not cleared: {e}");
        }
    }

    fn counters(&self) -> Vec<RouteCounters> {
        self.0
            .stats()
            .into_iter()
            .map(|s| RouteCounters {
                route: s.route,
                endpoint: s.endpoint,
                kind: s.kind.to_string(),
                delivered: s.delivered,
                failed: s.failed,
                dropped: s.dropped,
                retries: s.retries,
                backlog: s.backlog,
                backlog_bytes: s.backlog_bytes,
            })
            .collect()
    }
}

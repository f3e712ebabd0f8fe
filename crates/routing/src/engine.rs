//! [`Routing`]: the routes' lanes, their workers and the outbox they
//! share. The server opens it with the declared endpoints, starts it with
//! the stored routes, keeps it told of route changes, and adds it to the
//! event bus as a recorder.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ferrotwin_events::Filter;
use parking_lot::{Mutex, RwLock};
use tokio::task::JoinHandle;

use crate::lane::{Lane, Spec};
use crate::outbox::{Backlog, Outbox};
use crate::sink::mqtt::{LocalBroker, LocalSlot};
use crate::{EndpointConfig, RoutingError, Sink};

/// How routing behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// The CloudEvents `source` of every routed event.
    pub source: String,
    /// The most bytes one route may keep waiting; beyond it the oldest
    /// waiting events of that route are dropped (and counted).
    pub max_backlog_bytes: u64,
    /// The first wait after a failed delivery.
    pub retry_first: Duration,
    /// The longest wait between attempts.
    pub retry_max: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            source: "ferrotwin".into(),
            max_backlog_bytes: 256 * 1024 * 1024,
            retry_first: Duration::from_millis(200),
            retry_max: Duration::from_secs(30),
        }
    }
}

/// A route as delivery needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteSpec {
    /// The route id.
    pub id: String,
    /// The endpoint's name.
    pub endpoint: String,
    /// The filter text, in ADT's event route filter language.
    pub filter: String,
}

/// A route's counters, for metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteStats {
    /// The route id.
    pub route: String,
    /// The endpoint's name.
    pub endpoint: String,
    /// The endpoint's kind.
    pub kind: &'static str,
    /// Events the endpoint confirmed since start.
    pub delivered: u64,
    /// Events the endpoint refused for good since start.
    pub failed: u64,
    /// Events dropped since start because the backlog was full.
    pub dropped: u64,
    /// Failed delivery attempts since start (each retried).
    pub retries: u64,
    /// Events waiting now.
    pub backlog: u64,
    /// Their bytes.
    pub backlog_bytes: u64,
}

/// Event route delivery.
#[derive(Clone)]
pub struct Routing {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) outbox: Arc<Outbox>,
    pub(crate) options: Options,
    endpoints: BTreeMap<String, Arc<dyn Sink>>,
    local: LocalSlot,
    pub(crate) lanes: RwLock<BTreeMap<String, Arc<Lane>>>,
    /// The group-commit appender; taken on close.
    pub(crate) appender: Mutex<Option<crate::appender::Appender>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl Routing {
    /// Opens the outbox in `dir` and builds the endpoints' sinks.
    pub fn open(
        dir: &Path,
        endpoints: &[EndpointConfig],
        options: Options,
    ) -> Result<Routing, RoutingError> {
        let local = LocalSlot::default();
        let mut sinks = BTreeMap::new();
        for e in endpoints {
            if sinks
                .insert(e.name().to_string(), e.build(&local)?)
                .is_some()
            {
                return Err(RoutingError::Endpoint {
                    name: e.name().into(),
                    message: "declared twice".into(),
                });
            }
        }
        let outbox = Arc::new(Outbox::open(dir)?);
        let last = outbox.last_seq()?;
        let appender = crate::appender::start(outbox.clone(), last, options.max_backlog_bytes)?;
        Ok(Routing {
            inner: Arc::new(Inner {
                outbox,
                options,
                local,
                endpoints: sinks,
                lanes: RwLock::default(),
                appender: Mutex::new(Some(appender)),
                workers: Mutex::default(),
            }),
        })
    }

    /// Connects MQTT endpoints without a url to the built-in broker, once
    /// it runs; until then their deliveries wait and retry.
    pub fn set_local_broker(&self, broker: Arc<dyn LocalBroker>) {
        let _ = self.inner.local.set(broker);
    }

    /// The declared endpoint names.
    pub fn endpoints(&self) -> Vec<String> {
        self.inner.endpoints.keys().cloned().collect()
    }

    /// Starts delivering `routes`, with what they kept waiting from
    /// before. Waiting events of routes that no longer exist are removed.
    /// A route whose endpoint is no longer declared is not delivered (its
    /// events keep waiting) and is logged.
    pub fn start(&self, routes: Vec<RouteSpec>) -> Result<(), RoutingError> {
        let ids: Vec<&str> = routes.iter().map(|r| r.id.as_str()).collect();
        for stale in self.inner.outbox.routes()? {
            if !ids.contains(&stale.as_str()) {
                let n = self.inner.outbox.purge(&stale)?;
                tracing::info!(route = %stale, events = n, "removed the waiting events of a deleted route");
            }
        }
        for r in routes {
            if let Err(e) = self.put_route(&r) {
                tracing::error!(route = %r.id, "event route not delivered: {e}");
            }
        }
        Ok(())
    }

    /// Checks that `route` names a declared endpoint and has a valid filter.
    pub fn check(&self, route: &RouteSpec) -> Result<(), RoutingError> {
        self.spec(route).map(|_| ())
    }

    fn spec(&self, route: &RouteSpec) -> Result<Spec, RoutingError> {
        let sink = self
            .inner
            .endpoints
            .get(&route.endpoint)
            .cloned()
            .ok_or_else(|| RoutingError::UnknownEndpoint {
                name: route.endpoint.clone(),
                known: if self.inner.endpoints.is_empty() {
                    "none".into()
                } else {
                    self.endpoints().join(", ")
                },
            })?;
        let filter = Filter::parse(&route.filter).map_err(|e| RoutingError::Filter {
            route: route.id.clone(),
            message: e.to_string(),
        })?;
        Ok(Spec {
            endpoint: route.endpoint.clone(),
            filter,
            sink,
        })
    }

    /// Creates a route's lane, or changes its endpoint and filter; what
    /// it has waiting goes to the new endpoint.
    pub fn put_route(&self, route: &RouteSpec) -> Result<(), RoutingError> {
        let spec = self.spec(route)?;
        let mut lanes = self.inner.lanes.write();
        if let Some(lane) = lanes.get(&route.id) {
            *lane.spec.write() = spec;
            lane.notify.notify_one();
            return Ok(());
        }
        let backlog: Backlog = self.inner.outbox.backlog(&route.id)?;
        let lane = Arc::new(Lane::new(route.id.clone(), spec, backlog));
        let o = &self.inner.options;
        let task = tokio::spawn(
            lane.clone()
                .run(self.inner.outbox.clone(), (o.retry_first, o.retry_max)),
        );
        self.inner.workers.lock().push(task);
        lanes.insert(route.id.clone(), lane);
        Ok(())
    }

    /// Stops delivering a route and removes what it had waiting.
    pub fn delete_route(&self, id: &str) -> Result<(), RoutingError> {
        let lane = self.inner.lanes.write().remove(id);
        if let Some(lane) = lane {
            lane.stop.send_replace(true);
            self.inner.outbox.purge(id)?;
        }
        Ok(())
    }

    /// Every route's counters.
    pub fn stats(&self) -> Vec<RouteStats> {
        self.inner
            .lanes
            .read()
            .values()
            .map(|l| {
                let spec = l.spec.read();
                let b = *l.backlog.lock();
                RouteStats {
                    route: l.id.clone(),
                    endpoint: spec.endpoint.clone(),
                    kind: spec.sink.kind(),
                    delivered: l.delivered.load(Ordering::Relaxed),
                    failed: l.failed.load(Ordering::Relaxed),
                    dropped: l.dropped.load(Ordering::Relaxed),
                    retries: l.retries.load(Ordering::Relaxed),
                    backlog: b.count,
                    backlog_bytes: b.bytes,
                }
            })
            .collect()
    }

    /// The outbox's size on disk, in bytes.
    pub fn disk_space(&self) -> u64 {
        self.inner.outbox.disk_space()
    }

    /// Stops every worker and the outbox writer, and waits for them.
    /// Waiting events stay in the outbox for the next start; events
    /// recorded after this are refused.
    pub async fn close(&self) {
        for lane in self.inner.lanes.read().values() {
            lane.stop.send_replace(true);
        }
        let workers: Vec<JoinHandle<()>> = std::mem::take(&mut *self.inner.workers.lock());
        for w in workers {
            let _ = w.await;
        }
        let appender = self.inner.appender.lock().take();
        if let Some((queue, thread)) = appender {
            drop(queue);
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some((queue, thread)) = self.appender.get_mut().take() {
            drop(queue);
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ferrotwin_events::{Event, Recorder};

    use super::*;

    fn deleted(i: usize) -> Arc<Event> {
        Arc::new(Event::TwinDeleted {
            twin_id: format!("twin-{i:04}"),
            model: "dtmi:x:Y;1".into(),
        })
    }

    fn open(dir: &Path, max: u64) -> Routing {
        // A webhook on a port nobody listens on: the endpoint is down.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let hook: EndpointConfig = serde_json::from_value(serde_json::json!({
            "kind": "webhook", "name": "hook", "url": format!("http://127.0.0.1:{port}/")
        }))
        .unwrap();
        let options = Options {
            max_backlog_bytes: max,
            retry_first: Duration::from_secs(60),
            ..Options::default()
        };
        let r = Routing::open(dir, &[hook], options).unwrap();
        r.start(vec![RouteSpec {
            id: "r".into(),
            endpoint: "hook".into(),
            filter: "STARTS_WITH(subject, 'twin-')".into(),
        }])
        .unwrap();
        r
    }

    #[tokio::test]
    async fn a_full_backlog_drops_its_oldest_events_and_the_rest_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let r = open(dir.path(), 4096);
        for i in 0..100 {
            r.record(&[deleted(i)]).await.unwrap();
        }
        let s = r.stats().remove(0);
        assert!(s.backlog_bytes <= 4096, "{s:?}");
        assert!(s.dropped > 0 && s.dropped + s.backlog == 100, "{s:?}");
        assert_eq!((s.delivered, s.failed), (0, 0));
        r.close().await;
        drop(r);

        let r = open(dir.path(), 4096);
        let again = r.stats().remove(0);
        assert_eq!(
            (again.backlog, again.backlog_bytes),
            (s.backlog, s.backlog_bytes)
        );
        // What stayed is the newest: the last event is still waiting.
        let left = r.inner.outbox.read("r", 0, u64::MAX, 1000).unwrap();
        let last: serde_json::Value =
            serde_json::from_slice(&left.last().unwrap().payload).unwrap();
        assert_eq!(last["subject"], "twin-0099");
        assert_eq!(left.len() as u64, s.backlog);
        r.close().await;
    }

    #[tokio::test]
    async fn unknown_endpoints_and_bad_filters_are_refused_and_deleted_routes_purged() {
        let dir = tempfile::tempdir().unwrap();
        let r = open(dir.path(), 1 << 20);
        let e = r
            .check(&RouteSpec {
                id: "x".into(),
                endpoint: "nope".into(),
                filter: "true".into(),
            })
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "endpoint 'nope' does not exist; declared endpoints: hook"
        );
        let e = r
            .put_route(&RouteSpec {
                id: "x".into(),
                endpoint: "hook".into(),
                filter: "type = ".into(),
            })
            .unwrap_err();
        assert!(e.to_string().contains("filter is invalid"), "{e}");
        r.record(&[deleted(1), deleted(2)]).await.unwrap();
        assert_eq!(r.stats()[0].backlog, 2);
        r.delete_route("r").unwrap();
        assert!(r.stats().is_empty());
        assert!(r.inner.outbox.routes().unwrap().is_empty());
        r.close().await;
    }
}

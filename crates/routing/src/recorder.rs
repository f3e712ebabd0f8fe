//! Routing as a durable recorder: each event is rendered once as a
//! CloudEvent, matched against every route's filter, and handed to the
//! appender for the outbox of each route it matches; the recorder resolves
//! once that is fsynced, so before the write that caused the event is
//! acknowledged.

use std::sync::Arc;

use ferrotwin_cloudevent::{attribute, to_cloudevent};
use ferrotwin_events::{Event, RecordError, RecordFuture, Recorder};
use tokio::sync::oneshot;

use crate::appender::Request;
use crate::engine::Routing;
use crate::lane::Lane;

const NAME: &str = "event routes";

impl Recorder for Routing {
    fn name(&self) -> &'static str {
        NAME
    }

    fn record<'a>(&'a self, events: &'a [Arc<Event>]) -> RecordFuture<'a> {
        Box::pin(async move {
            let lanes: Vec<Arc<Lane>> = self.inner.lanes.read().values().cloned().collect();
            if lanes.is_empty() {
                return Ok(());
            }
            let mut rows: Vec<(Arc<Lane>, Arc<Vec<u8>>)> = Vec::new();
            for e in events {
                let ce = to_cloudevent(e, &self.inner.options.source);
                let attr = |a: &str| attribute(&ce, a);
                let mut bytes: Option<Arc<Vec<u8>>> = None;
                for lane in &lanes {
                    if lane.spec.read().filter.matches(&attr) {
                        let b = bytes
                            .get_or_insert_with(|| Arc::new(ce.to_string().into_bytes()))
                            .clone();
                        rows.push((lane.clone(), b));
                    }
                }
            }
            if rows.is_empty() {
                return Ok(());
            }
            let fail = |message: String| RecordError {
                recorder: NAME,
                message,
            };
            let (done, answer) = oneshot::channel();
            let sent = match self.inner.appender.lock().as_ref() {
                Some((queue, _)) => queue.send(Request { rows, done }).is_ok(),
                None => false,
            };
            if !sent {
                return Err(fail("the outbox writer has stopped".into()));
            }
            match answer.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(fail(e)),
                Err(_) => Err(fail("the outbox writer has stopped".into())),
            }
        })
    }
}

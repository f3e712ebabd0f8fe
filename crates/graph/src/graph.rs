//! The [`Graph`] handle: reads from memory under a shared lock; writes
//! validate and apply under the exclusive lock, queue their mutations for
//! group commit in the same order, and return only once durable. Events
//! are published after the commit, so a subscriber never sees a change
//! that could still be lost.

mod commands;
mod models;
pub(crate) mod relationships;
mod routes;
pub(crate) mod twins;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ferrotwin_events::{Event, EventBus};
use parking_lot::{Mutex, RwLock};

use crate::committer::Committer;
use crate::jobs::{Job, JobStatus};
use crate::models::{ModelRecord, Models};
use crate::state::State;
use crate::store::{GraphStore, Mutation, Table};
use crate::{EventRoute, GraphError, Relationship, Twin};

/// A shared handle to the twin graph.
#[derive(Clone)]
pub struct Graph {
    inner: Arc<Inner>,
}

struct Inner {
    state: RwLock<State>,
    committer: Mutex<Option<Committer>>,
    bus: EventBus,
    broken: AtomicBool,
    cancelled: Mutex<std::collections::HashSet<String>>,
}

/// Counts for metrics and progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    /// Stored models.
    pub models: usize,
    /// Twins.
    pub twins: usize,
    /// Relationships.
    pub relationships: usize,
}

/// What a write closure returns: its result, what to persist, what to announce.
pub(crate) type Outcome<T> = (T, Vec<Mutation>, Vec<Event>);

impl Graph {
    /// Loads the graph from `store` and starts the committer. Jobs that were
    /// running when the process stopped are marked failed, since their input
    /// was only partly applied.
    pub fn open(store: Arc<dyn GraphStore>, bus: EventBus) -> Result<Graph, GraphError> {
        let mut state = State::default();
        let mut records = Vec::new();
        let storage = |e: crate::StoreError| GraphError::Storage(e.0);
        store
            .scan(Table::Models, &mut |_, v| {
                records.push(ModelRecord::decode(v).map_err(|e| crate::StoreError(e.to_string()))?);
                Ok(())
            })
            .map_err(storage)?;
        state.models = Models::load(records)?;
        store
            .scan(Table::Twins, &mut |_, v| {
                let doc = serde_json::from_slice(v)
                    .map_err(|e| crate::StoreError(format!("twin record: {e}")))?;
                state.put_twin(
                    Twin::from_document(doc).map_err(|e| crate::StoreError(e.to_string()))?,
                );
                Ok(())
            })
            .map_err(storage)?;
        store
            .scan(Table::Relationships, &mut |_, v| {
                let doc = serde_json::from_slice(v)
                    .map_err(|e| crate::StoreError(format!("relationship record: {e}")))?;
                state.put_relationship(
                    Relationship::from_document(doc)
                        .map_err(|e| crate::StoreError(e.to_string()))?,
                );
                Ok(())
            })
            .map_err(storage)?;
        store
            .scan(Table::Routes, &mut |_, v| {
                let doc = serde_json::from_slice(v)
                    .map_err(|e| crate::StoreError(format!("route record: {e}")))?;
                let r = EventRoute::from_document(&doc)
                    .map_err(|e| crate::StoreError(e.to_string()))?;
                state.routes.insert(r.id.clone(), r);
                Ok(())
            })
            .map_err(storage)?;
        let mut interrupted = Vec::new();
        store
            .scan(Table::Jobs, &mut |_, v| {
                let mut job = Job::decode(v).map_err(|e| crate::StoreError(e.to_string()))?;
                if !job.status.is_final() {
                    let now = crate::time::now();
                    job.status = JobStatus::Failed;
                    job.error = Some(("JobInterrupted".into(), "the server stopped while this job ran; what it had applied before that remains".into()));
                    job.finished = Some(now.clone());
                    job.last_action = now;
                    interrupted.push(Mutation::Put { table: Table::Jobs, key: Job::key(job.kind, &job.id), value: job.encode() });
                }
                state.jobs.insert((job.kind, job.id.clone()), job);
                Ok(())
            })
            .map_err(storage)?;
        if !interrupted.is_empty() {
            store.commit(&interrupted).map_err(storage)?;
        }
        Ok(Graph {
            inner: Arc::new(Inner {
                state: RwLock::new(state),
                committer: Mutex::new(Some(Committer::start(store))),
                bus,
                broken: AtomicBool::new(false),
                cancelled: Mutex::new(Default::default()),
            }),
        })
    }

    /// The event bus this graph publishes to.
    pub fn bus(&self) -> &EventBus {
        &self.inner.bus
    }

    /// Current counts.
    pub fn stats(&self) -> Stats {
        let st = self.inner.state.read();
        Stats {
            models: st.models.len(),
            twins: st.twin_count(),
            relationships: st.relationship_count,
        }
    }

    /// Commits everything queued and stops accepting writes.
    pub fn close(&self) {
        self.inner.committer.lock().take();
    }

    pub(crate) fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self.inner.state.read())
    }

    /// Runs `f` under the write lock, then waits until its mutations are
    /// durable and publishes its events. `f` must change nothing when it
    /// returns an error. The recorders (history) keep the events while the
    /// commit is being made durable, so the two fsyncs overlap instead of
    /// adding up; subscribers hear of the change only once both are done.
    pub(crate) async fn write<T>(
        &self,
        f: impl FnOnce(&mut State) -> Result<Outcome<T>, GraphError>,
    ) -> Result<T, GraphError> {
        if self.inner.broken.load(Ordering::Acquire) {
            return Err(GraphError::Storage(
                "an earlier commit failed; restart the server to recover from the durable state"
                    .into(),
            ));
        }
        let (value, ack, events) = {
            let mut st = self.inner.state.write();
            let (value, mutations, events) = f(&mut st)?;
            let committer = self.inner.committer.lock();
            let Some(c) = committer.as_ref() else {
                return Err(GraphError::Storage("the graph is shut down".into()));
            };
            (value, c.submit(mutations), events)
        };
        let events: Vec<Arc<ferrotwin_events::Event>> = events.into_iter().map(Arc::new).collect();
        let (result, kept) = tokio::join!(ack, self.inner.bus.record(&events));
        let result = result.unwrap_or_else(|_| Err("the commit thread stopped".into()));
        if let Err(e) = result {
            self.inner.broken.store(true, Ordering::Release);
            return Err(GraphError::Storage(e));
        }
        self.inner.bus.broadcast(events);
        kept.map_err(|e| GraphError::Storage(format!("the change was saved, but {e}")))?;
        Ok(value)
    }

    pub(crate) fn is_cancelled(&self, job: &str) -> bool {
        self.inner.cancelled.lock().contains(job)
    }

    pub(crate) fn set_cancelled(&self, job: &str, on: bool) {
        let mut c = self.inner.cancelled.lock();
        if on {
            c.insert(job.to_string());
        } else {
            c.remove(job);
        }
    }
}

/// Refuses ids that cannot be addressed or stored.
pub(crate) fn check_id(kind: &str, id: &str) -> Result<(), GraphError> {
    if id.is_empty() || id.len() > 1024 || id.chars().any(char::is_control) {
        return Err(GraphError::InvalidArgument(format!(
            "the {kind} id '{id}' is invalid: it must be 1 to 1024 bytes without control characters"
        )));
    }
    Ok(())
}

//! Group commit. Writers queue their mutations in the order they applied
//! them in memory; one thread commits everything queued so far as a single
//! durable transaction and then acknowledges each writer. Many concurrent
//! writes share one fsync, which is what makes durable writes fast.

use std::sync::Arc;
use std::sync::mpsc;

use tokio::sync::oneshot;

use crate::store::{GraphStore, Mutation};

/// Batches above this many mutations are committed without waiting for more.
const MAX_BATCH: usize = 50_000;

struct Request {
    mutations: Vec<Mutation>,
    done: oneshot::Sender<Result<(), String>>,
}

/// The queue in front of the committing thread.
pub struct Committer {
    tx: Option<mpsc::Sender<Request>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Resolves when the submitted mutations are durable.
pub type Ack = oneshot::Receiver<Result<(), String>>;

impl Committer {
    /// Starts the committing thread over `store`.
    pub fn start(store: Arc<dyn GraphStore>) -> Self {
        let (tx, rx) = mpsc::channel::<Request>();
        let thread = std::thread::Builder::new()
            .name("graph-commit".into())
            .spawn(move || run(store, rx))
            .expect("spawning the commit thread");
        Committer {
            tx: Some(tx),
            thread: Some(thread),
        }
    }

    /// Queues mutations; the returned ack resolves once they are durable.
    pub fn submit(&self, mutations: Vec<Mutation>) -> Ack {
        let (done, ack) = oneshot::channel();
        if mutations.is_empty() {
            let _ = done.send(Ok(()));
            return ack;
        }
        if let Some(tx) = &self.tx {
            let _ = tx.send(Request { mutations, done });
        }
        ack
    }
}

impl Drop for Committer {
    /// Commits everything still queued, then stops the thread.
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(store: Arc<dyn GraphStore>, rx: mpsc::Receiver<Request>) {
    while let Ok(first) = rx.recv() {
        let mut waiting = vec![first.done];
        let mut batch = first.mutations;
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => {
                    batch.extend(r.mutations);
                    waiting.push(r.done);
                }
                Err(_) => break,
            }
        }
        let result = store.commit(&batch).map_err(|e| e.0);
        if let Err(e) = &result {
            tracing::error!(error = %e, mutations = batch.len(), "durable commit failed");
        }
        for w in waiting {
            let _ = w.send(result.clone());
        }
    }
}

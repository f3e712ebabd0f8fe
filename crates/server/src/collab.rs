//! Wires collaboration: opens `<data>/collab.redb` and removes a twin's
//! annotations when the twin is deleted, so nothing outlives its twin.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use ferrotwin_api::Collab;
use ferrotwin_events::{Event, Received};
use ferrotwin_graph::Graph;

/// Opens the annotation store and starts the clean-up task.
pub fn start(data: &Path, graph: &Graph) -> anyhow::Result<Arc<Collab>> {
    let path = data.join("collab.redb");
    let annotations = ferrotwin_collab::Annotations::open(&path)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("opening {}", path.display()))?;
    let collab = Arc::new(Collab {
        rooms: ferrotwin_collab::Rooms::default(),
        annotations,
    });
    let mut sub = graph.bus().subscribe();
    let c = collab.clone();
    tokio::spawn(async move {
        loop {
            match sub.recv().await {
                Received::Event(e) => {
                    if let Event::TwinDeleted { twin_id, .. } = e.as_ref()
                        && let Err(err) = c.annotations.delete_twin(twin_id)
                    {
                        tracing::error!(twin = %twin_id, error = %err, "could not remove a deleted twin's annotations");
                    }
                }
                Received::Lagged(n) => {
                    tracing::warn!(
                        missed = n,
                        "collaboration clean-up fell behind the event bus"
                    );
                }
                Received::Closed => return,
            }
        }
    });
    Ok(collab)
}

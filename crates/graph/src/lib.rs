//! The twin graph: DTDL models, twins, relationships, event routes and
//! jobs, held in memory for reads and made durable through the
//! [`GraphStore`] trait before any write is acknowledged. Every write is
//! validated against the models first and applied whole or not at all.
//!
//! Knows nothing of HTTP, the ADT wire envelope (paging, error bodies) or
//! any storage engine; it owns the trait that storage engines implement.

mod committer;
mod error;
mod etag;
mod graph;
mod import;
mod jobs;
mod models;
mod page;
mod patch;
mod property_index;
mod relationship;
mod routes;
mod state;
mod store;
mod time;
mod twin;
mod validate;
mod view;

pub use error::GraphError;
pub use graph::{Graph, Stats};
pub use import::ImportSource;
pub use jobs::{Job, JobKind, JobStatus};
pub use models::ModelInfo;
pub use page::{Page, PageRequest};
pub use property_index::ValueRange;
pub use relationship::Relationship;
pub use routes::EventRoute;
pub use store::{GraphStore, Mutation, StoreError, Table};
pub use twin::{Document, Twin};
pub use view::{GraphView, RelRef};

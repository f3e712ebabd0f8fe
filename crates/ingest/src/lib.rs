//! Device data on its way into twins: the mapping rules added through
//! the API ([`MappingStore`], kept as opaque JSON the connect crate
//! checks), and the dead letters. Every message the platform refuses
//! (an unknown twin, an unknown telemetry name, a wrong type, bytes that
//! are not JSON) is kept in the [`DeadLetters`] store with its source and
//! reason, where it can be listed, replayed once the cause is fixed, or
//! deleted. **Knows nothing of** device protocols, HTTP or the twin graph:
//! a letter's source is a string the protocol wrote, and replaying is the
//! server's job.

mod db;
mod error;
mod letter;
mod mappings;
mod store;

pub use error::IngestError;
pub use letter::{DeadLetter, Filter, NewLetter};
pub use mappings::MappingStore;
pub use store::{DEFAULT_CAPACITY, DeadLetters, Page};

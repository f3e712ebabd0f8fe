//! The audit log of actions on machines: every command call (who, what,
//! when, and the result), kept durably and listed newest first. Commands
//! act on physical equipment, so a plant must be able to tell afterwards
//! who sent what. **Knows nothing of** HTTP, device protocols or the twin
//! graph: the API records entries, a person's name is a string.

mod entry;
mod error;
mod log;

pub use entry::{Entry, Filter, NewEntry};
pub use error::AuditError;
pub use log::{AuditLog, DEFAULT_CAPACITY, Page};

//! DTDL v2/v3/v4: parse and validate JSON-LD model documents into a typed
//! [`ModelSet`], with diagnostics in the DTDL parser's error identities, and
//! check JSON instance values against parsed schemas. Knows nothing of IO,
//! HTTP or the server: callers hand in document text and a resolver.

mod checks;
pub mod conformance;
mod context;
mod diagnostic;
pub mod dtmi;
mod generated;
mod instance;
mod json;
mod meta;
mod model;
mod parse;
mod parser;
mod pattern;
mod typed;

pub use diagnostic::{Diagnostic, Location, render_template};
pub use instance::{InstanceError, validate_instance, validate_instance_text};
pub use model::*;
pub use parse::{Document, Options, Parsed, Resolver, Unresolved, parse, parse_with};

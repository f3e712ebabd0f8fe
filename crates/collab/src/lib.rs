//! Remote collaboration on a twin. People looking at the same twin share a
//! room: they see who else is there and where each one points in the 3D
//! scene ([`Rooms`], live only). Annotations (a note, a point on a part, an
//! arrow) are pinned to a twin, kept durably ([`Annotations`]) and announced
//! in its room. Knows nothing of HTTP or WebSocket framing: the API crate
//! carries these messages.

mod annotation;
mod error;
mod room;
mod store;

pub use annotation::{Annotation, AnnotationKind, NewAnnotation};
pub use error::CollabError;
pub use room::{Participant, Pointer, RoomMessage, Rooms};
pub use store::Annotations;

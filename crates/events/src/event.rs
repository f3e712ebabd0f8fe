//! The closed set of events the platform emits.

use serde_json::Value;

/// What happened, with the data a consumer needs to act on it.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A twin was created (or replaced by PUT); `twin` is its full document.
    TwinCreated {
        /// The twin id.
        twin_id: String,
        /// The twin's model DTMI.
        model: String,
        /// The twin document as stored.
        twin: Value,
    },
    /// A twin's properties changed; `patch` is the applied JSON Patch.
    TwinUpdated {
        /// The twin id.
        twin_id: String,
        /// The twin's model DTMI.
        model: String,
        /// The JSON Patch operations, with paths relative to the twin.
        patch: Value,
    },
    /// A twin was deleted.
    TwinDeleted {
        /// The twin id.
        twin_id: String,
        /// The model the twin had.
        model: String,
    },
    /// A relationship was created or replaced.
    RelationshipCreated {
        /// The source twin id.
        source_id: String,
        /// The relationship id, unique per source.
        relationship_id: String,
        /// The relationship document as stored.
        relationship: Value,
    },
    /// A relationship's properties changed.
    RelationshipUpdated {
        /// The source twin id.
        source_id: String,
        /// The relationship id.
        relationship_id: String,
        /// The applied JSON Patch.
        patch: Value,
    },
    /// A relationship was deleted.
    RelationshipDeleted {
        /// The source twin id.
        source_id: String,
        /// The relationship id.
        relationship_id: String,
    },
    /// A telemetry message arrived for a twin or one of its components.
    Telemetry {
        /// The twin id.
        twin_id: String,
        /// The component name, when sent for a component.
        component: Option<String>,
        /// The twin's model DTMI.
        model: String,
        /// The sender's message id.
        message_id: String,
        /// The source timestamp (RFC 3339), when the sender gave one.
        source_time: Option<String>,
        /// The payload.
        data: Value,
    },
}

/// The kind of an event, for filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// Twin lifecycle: create and delete.
    TwinLifecycle,
    /// Twin property change.
    TwinUpdate,
    /// Relationship lifecycle: create and delete.
    RelationshipLifecycle,
    /// Relationship property change.
    RelationshipUpdate,
    /// Telemetry.
    Telemetry,
}

impl Event {
    /// The kind of this event.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::TwinCreated { .. } | Event::TwinDeleted { .. } => EventKind::TwinLifecycle,
            Event::TwinUpdated { .. } => EventKind::TwinUpdate,
            Event::RelationshipCreated { .. } | Event::RelationshipDeleted { .. } => {
                EventKind::RelationshipLifecycle
            }
            Event::RelationshipUpdated { .. } => EventKind::RelationshipUpdate,
            Event::Telemetry { .. } => EventKind::Telemetry,
        }
    }

    /// The twin the event is about (the source twin for relationships).
    pub fn twin_id(&self) -> &str {
        match self {
            Event::TwinCreated { twin_id, .. }
            | Event::TwinUpdated { twin_id, .. }
            | Event::TwinDeleted { twin_id, .. }
            | Event::Telemetry { twin_id, .. } => twin_id,
            Event::RelationshipCreated { source_id, .. }
            | Event::RelationshipUpdated { source_id, .. }
            | Event::RelationshipDeleted { source_id, .. } => source_id,
        }
    }
}

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
    /// Analytics raised or changed an alert or a maintenance work order.
    Analytics {
        /// The twin the alert or work order is about.
        twin_id: String,
        /// The twin's model DTMI.
        model: String,
        /// What changed.
        change: AnalyticsChange,
        /// The alert or work order as it now is.
        data: Value,
    },
}

/// What happened to an alert or a work order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnalyticsChange {
    /// An alert was raised.
    AlertRaised,
    /// An open alert was seen again, acknowledged, or otherwise changed.
    AlertUpdated,
    /// An alert was resolved.
    AlertResolved,
    /// A work order was created.
    WorkOrderCreated,
    /// A work order changed state or had a step checked off.
    WorkOrderUpdated,
}

impl AnalyticsChange {
    /// The change's name in event types: `Alert.Raised`, `WorkOrder.Updated`...
    pub fn name(self) -> &'static str {
        match self {
            AnalyticsChange::AlertRaised => "Alert.Raised",
            AnalyticsChange::AlertUpdated => "Alert.Updated",
            AnalyticsChange::AlertResolved => "Alert.Resolved",
            AnalyticsChange::WorkOrderCreated => "WorkOrder.Created",
            AnalyticsChange::WorkOrderUpdated => "WorkOrder.Updated",
        }
    }
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
    /// Alerts raised, updated or resolved.
    Alert,
    /// Maintenance work orders created or updated.
    WorkOrder,
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
            Event::Analytics { change, .. } => match change {
                AnalyticsChange::AlertRaised
                | AnalyticsChange::AlertUpdated
                | AnalyticsChange::AlertResolved => EventKind::Alert,
                AnalyticsChange::WorkOrderCreated | AnalyticsChange::WorkOrderUpdated => {
                    EventKind::WorkOrder
                }
            },
        }
    }

    /// The twin the event is about (the source twin for relationships).
    pub fn twin_id(&self) -> &str {
        match self {
            Event::TwinCreated { twin_id, .. }
            | Event::TwinUpdated { twin_id, .. }
            | Event::TwinDeleted { twin_id, .. }
            | Event::Telemetry { twin_id, .. }
            | Event::Analytics { twin_id, .. } => twin_id,
            Event::RelationshipCreated { source_id, .. }
            | Event::RelationshipUpdated { source_id, .. }
            | Event::RelationshipDeleted { source_id, .. } => source_id,
        }
    }
}

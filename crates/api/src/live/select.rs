//! Which events a subscriber wants, from its query parameters:
//! `twin=ID` (repeatable), `model=DTMI` (repeatable; inheritance counts),
//! `type=twin.lifecycle|twin.update|relationship.lifecycle|relationship.update|telemetry`
//! (repeatable), and `lag=notify|disconnect`.

use std::collections::HashMap;

use ferrotwin_events::{Event, EventKind};
use ferrotwin_graph::Graph;

use crate::error::ApiError;
use crate::paging::Params;

/// What to do when a subscriber falls behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lag {
    /// Tell it how many events it missed, and go on.
    Notify,
    /// Close the subscription.
    Disconnect,
}

/// A subscriber's filter.
pub struct Selection {
    twins: Vec<String>,
    models: Vec<String>,
    kinds: Vec<EventKind>,
    /// The lag policy.
    pub lag: Lag,
    model_cache: HashMap<String, bool>,
}

fn kind(name: &str) -> Option<EventKind> {
    Some(match name {
        "twin.lifecycle" => EventKind::TwinLifecycle,
        "twin.update" => EventKind::TwinUpdate,
        "relationship.lifecycle" => EventKind::RelationshipLifecycle,
        "relationship.update" => EventKind::RelationshipUpdate,
        "telemetry" => EventKind::Telemetry,
        "alert" => EventKind::Alert,
        "workorder" => EventKind::WorkOrder,
        _ => return None,
    })
}

impl Selection {
    /// Reads the filter from query parameters.
    pub fn from_params(p: &Params) -> Result<Selection, ApiError> {
        let mut kinds = Vec::new();
        for t in p.all("type") {
            kinds.push(kind(&t).ok_or_else(|| {
                ApiError::invalid(format!(
                    "unknown event type '{t}': use twin.lifecycle, twin.update, relationship.lifecycle, relationship.update, telemetry, alert or workorder"
                ))
            })?);
        }
        let lag = match p.get("lag") {
            None | Some("notify") => Lag::Notify,
            Some("disconnect") => Lag::Disconnect,
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "lag must be notify or disconnect, not '{other}'"
                )));
            }
        };
        Ok(Selection {
            twins: p.all("twin"),
            models: p.all("model"),
            kinds,
            lag,
            model_cache: HashMap::new(),
        })
    }

    /// Whether the subscriber wants this event. Model filters look at the
    /// event's model, or for relationships at the source twin's model.
    pub fn wants(&mut self, e: &Event, graph: &Graph) -> bool {
        if !self.kinds.is_empty() && !self.kinds.contains(&e.kind()) {
            return false;
        }
        if !self.twins.is_empty() && !self.twins.iter().any(|t| t == e.twin_id()) {
            return false;
        }
        if self.models.is_empty() {
            return true;
        }
        let model = match e {
            Event::TwinCreated { model, .. }
            | Event::TwinUpdated { model, .. }
            | Event::TwinDeleted { model, .. }
            | Event::Telemetry { model, .. }
            | Event::Analytics { model, .. } => Some(model.clone()),
            _ => graph.twin_model(e.twin_id()),
        };
        let Some(model) = model else { return false };
        if let Some(hit) = self.model_cache.get(&model) {
            return *hit;
        }
        let hit = self
            .models
            .iter()
            .any(|base| graph.model_is_a(&model, base));
        self.model_cache.insert(model, hit);
        hit
    }
}

//! Platform events as CloudEvents 1.0 JSON, with the event types and
//! payloads of Azure Digital Twins' notifications. Shared by every edge
//! that sends events out: the live stream (`api`) and event routes
//! (`routing`). **Knows nothing of** HTTP or any transport.

use ferrotwin_events::{AnalyticsChange, Event};
use serde_json::{Value, json};

/// The CloudEvents JSON for an event; `source` names this instance.
pub fn to_cloudevent(e: &Event, source: &str) -> Value {
    let (ty, subject, schema, data) = match e {
        Event::TwinCreated {
            twin_id,
            model,
            twin,
        } => (
            "Microsoft.DigitalTwins.Twin.Create",
            twin_id.clone(),
            Some(model),
            twin.clone(),
        ),
        Event::TwinUpdated {
            twin_id,
            model,
            patch,
        } => (
            "Microsoft.DigitalTwins.Twin.Update",
            twin_id.clone(),
            Some(model),
            json!({"modelId": model, "patch": patch}),
        ),
        Event::TwinDeleted { twin_id, model } => (
            "Microsoft.DigitalTwins.Twin.Delete",
            twin_id.clone(),
            Some(model),
            json!({"$dtId": twin_id, "$metadata": {"$model": model}}),
        ),
        Event::RelationshipCreated {
            source_id,
            relationship_id,
            relationship,
        } => (
            "Microsoft.DigitalTwins.Relationship.Create",
            format!("{source_id}/relationships/{relationship_id}"),
            None,
            relationship.clone(),
        ),
        Event::RelationshipUpdated {
            source_id,
            relationship_id,
            patch,
        } => (
            "Microsoft.DigitalTwins.Relationship.Update",
            format!("{source_id}/relationships/{relationship_id}"),
            None,
            json!({"patch": patch}),
        ),
        Event::RelationshipDeleted {
            source_id,
            relationship_id,
        } => (
            "Microsoft.DigitalTwins.Relationship.Delete",
            format!("{source_id}/relationships/{relationship_id}"),
            None,
            json!({"$sourceId": source_id, "$relationshipId": relationship_id}),
        ),
        Event::Telemetry {
            twin_id,
            component,
            model,
            data,
            ..
        } => (
            "microsoft.iot.telemetry",
            match component {
                Some(c) => format!("{twin_id}/components/{c}"),
                None => twin_id.clone(),
            },
            Some(model),
            data.clone(),
        ),
        Event::Analytics {
            twin_id,
            model,
            change,
            data,
        } => (
            match change {
                AnalyticsChange::AlertRaised => "ferrotwin.Alert.Raised",
                AnalyticsChange::AlertUpdated => "ferrotwin.Alert.Updated",
                AnalyticsChange::AlertResolved => "ferrotwin.Alert.Resolved",
                AnalyticsChange::WorkOrderCreated => "ferrotwin.WorkOrder.Created",
                AnalyticsChange::WorkOrderUpdated => "ferrotwin.WorkOrder.Updated",
            },
            twin_id.clone(),
            Some(model),
            data.clone(),
        ),
    };
    let mut ce = json!({
        "specversion": "1.0",
        "id": match e {
            Event::Telemetry { message_id, .. } => message_id.clone(),
            _ => uuid::Uuid::new_v4().to_string(),
        },
        "type": ty,
        "source": source,
        "subject": subject,
        "time": match e {
            Event::Telemetry { source_time: Some(t), .. } => t.clone(),
            _ => chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        },
        "datacontenttype": "application/json",
        "data": data,
    });
    if let Some(m) = schema {
        ce["dataschema"] = json!(m);
    }
    ce
}

/// A CloudEvents attribute of `ce` as text, for route filters: `type`,
/// `source`, `subject`, `id`, `dataschema`, `specversion` or
/// `datacontenttype`. None when the event lacks it.
pub fn attribute(ce: &Value, name: &str) -> Option<String> {
    ce.get(name).and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twin_update_is_an_adt_update_notification() {
        let e = Event::TwinUpdated {
            twin_id: "p1".into(),
            model: "dtmi:x:P;1".into(),
            patch: json!([{"op": "replace", "path": "/a", "value": 1}]),
        };
        let ce = to_cloudevent(&e, "ferrotwin");
        assert_eq!(ce["specversion"], "1.0");
        assert_eq!(ce["type"], "Microsoft.DigitalTwins.Twin.Update");
        assert_eq!(ce["subject"], "p1");
        assert_eq!(ce["dataschema"], "dtmi:x:P;1");
        assert_eq!(ce["data"]["patch"][0]["path"], "/a");
        assert_eq!(attribute(&ce, "subject").as_deref(), Some("p1"));
        assert_eq!(attribute(&ce, "nothing"), None);
    }
}

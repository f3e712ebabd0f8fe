//! Checks twin and relationship values against the DTDL models. Messages
//! name the property and what was expected, because the caller has to fix
//! the value from the message alone.

use ferrotwin_dtdl::{Content, Interface, ModelSet, Property, validate_instance};
use serde_json::{Map, Value};

use crate::GraphError;

/// Checks a twin's contents against its model: every value is a declared
/// property of a fitting schema, and every component is present.
pub fn twin(
    models: &ModelSet,
    model: &str,
    contents: &Map<String, Value>,
) -> Result<(), GraphError> {
    let iface = models
        .interface(model)
        .ok_or_else(|| GraphError::ModelNotFound(model.to_string()))?;
    properties(models, iface, contents, "")?;
    for c in iface.contents.values() {
        let Content::Component(comp) = c else {
            continue;
        };
        let Some(value) = contents.get(&comp.name) else {
            return Err(GraphError::ValidationFailed(format!(
                "component '{}' of model '{}' is missing; give it at least {{\"$metadata\": {{}}}}",
                comp.name, iface.id
            )));
        };
        let Value::Object(inner) = value else {
            return Err(GraphError::ValidationFailed(format!(
                "component '{}' must be a JSON object with a '$metadata' member",
                comp.name
            )));
        };
        if !matches!(inner.get("$metadata"), Some(Value::Object(_))) {
            return Err(GraphError::ValidationFailed(format!(
                "component '{}' must have a '$metadata' object",
                comp.name
            )));
        }
        let sub = models
            .interface(&comp.schema)
            .ok_or_else(|| GraphError::ModelNotFound(comp.schema.clone()))?;
        properties(models, sub, inner, &format!("{}/", comp.name))?;
    }
    Ok(())
}

/// Checks the property members of a twin or component (`$`-members skipped
/// at component level, where `$metadata` lives).
fn properties(
    models: &ModelSet,
    iface: &Interface,
    values: &Map<String, Value>,
    prefix: &str,
) -> Result<(), GraphError> {
    for (name, value) in values {
        if name.starts_with('$') {
            if prefix.is_empty() {
                return Err(GraphError::ValidationFailed(format!(
                    "'{name}' is a reserved name and cannot be set as a property"
                )));
            }
            continue;
        }
        match iface.contents.get(name) {
            Some(Content::Property(p)) => property(models, p, value, &format!("{prefix}{name}"))?,
            Some(Content::Component(_)) if prefix.is_empty() => {}
            Some(other) => {
                return Err(GraphError::ValidationFailed(format!(
                    "'{prefix}{name}' is a {} of model '{}', not a property, so a twin cannot hold a value for it",
                    kind(other),
                    iface.id
                )));
            }
            None => {
                return Err(GraphError::ValidationFailed(format!(
                    "model '{}' has no property '{prefix}{name}'",
                    iface.id
                )));
            }
        }
    }
    Ok(())
}

fn property(models: &ModelSet, p: &Property, value: &Value, path: &str) -> Result<(), GraphError> {
    validate_instance(models, &p.schema, value).map_err(|e| {
        GraphError::ValidationFailed(format!(
            "property '{path}{}' has the value {} but expected {}",
            e.path,
            short(value, &e.path),
            e.expected
        ))
    })
}

/// Checks device telemetry against the model of its twin (or of one of
/// its components): every member is a declared Telemetry and its value
/// fits the Telemetry's schema.
pub fn telemetry(
    models: &ModelSet,
    model: &str,
    component: Option<&str>,
    data: &Map<String, Value>,
) -> Result<(), GraphError> {
    let mut iface = models
        .interface(model)
        .ok_or_else(|| GraphError::ModelNotFound(model.to_string()))?;
    if let Some(c) = component {
        let Some(Content::Component(comp)) = iface.contents.get(c) else {
            return Err(GraphError::ValidationFailed(format!(
                "model '{}' has no component '{c}'",
                iface.id
            )));
        };
        iface = models
            .interface(&comp.schema)
            .ok_or_else(|| GraphError::ModelNotFound(comp.schema.clone()))?;
    }
    if data.is_empty() {
        return Err(GraphError::ValidationFailed(
            "the telemetry message holds no values".into(),
        ));
    }
    for (name, value) in data {
        match iface.contents.get(name) {
            Some(Content::Telemetry(t)) => {
                validate_instance(models, &t.schema, value).map_err(|e| {
                    GraphError::ValidationFailed(format!(
                        "telemetry '{name}{}' has the value {} but expected {}",
                        e.path,
                        short(value, &e.path),
                        e.expected
                    ))
                })?;
            }
            Some(other) => {
                return Err(GraphError::ValidationFailed(format!(
                    "'{name}' is a {} of model '{}', not a telemetry",
                    kind(other),
                    iface.id
                )));
            }
            None => {
                return Err(GraphError::ValidationFailed(format!(
                    "model '{}' has no telemetry '{name}'",
                    iface.id
                )));
            }
        }
    }
    Ok(())
}

/// Checks relationship property values against the relationship definition.
pub fn relationship_properties(
    models: &ModelSet,
    def: &ferrotwin_dtdl::Relationship,
    values: &Map<String, Value>,
) -> Result<(), GraphError> {
    for (name, value) in values {
        let Some(p) = def.properties.iter().find(|p| &p.name == name) else {
            return Err(GraphError::ValidationFailed(format!(
                "relationship '{}' has no property '{name}'",
                def.name
            )));
        };
        property(models, p, value, name)?;
    }
    Ok(())
}

fn kind(c: &Content) -> &'static str {
    match c {
        Content::Property(_) => "property",
        Content::Telemetry(_) => "telemetry",
        Content::Command(_) => "command",
        Content::Relationship(_) => "relationship",
        Content::Component(_) => "component",
    }
}

/// The offending part of a value, abbreviated for a message.
fn short(value: &Value, pointer: &str) -> String {
    let v = value.pointer(pointer).unwrap_or(value).to_string();
    if v.len() > 80 {
        format!("{}...", &v[..v.floor_char_boundary(77)])
    } else {
        v
    }
}

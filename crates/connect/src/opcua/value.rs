//! OPC UA values as JSON: a `DataValue` of a monitored node becomes the
//! value of a telemetry or property report, with unit scaling applied to
//! numbers, or a reason why it cannot be one.

use serde_json::{Number, Value};
use ua::types::{Array, DataValue, StatusCode, Variant};

/// A value read from a node, ready for the twin, or why it is not.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reading {
    /// The value, scaled; or the reason it was refused and the value as far
    /// as it could be read (null when it could not).
    pub(crate) value: Result<Value, (String, Value)>,
    /// The source timestamp (else the server's), RFC 3339.
    pub(crate) time: Option<String>,
    /// The server dropped older values of this node before this one (its
    /// queue overflowed).
    pub(crate) overflow: bool,
    /// The node has no value yet (BadWaitingForInitialData, as a server
    /// reports a variable before its first sample): nothing to deliver,
    /// and nothing wrong either.
    pub(crate) waiting: bool,
}

/// Reads `dv` for a node mapped with `scale` and `offset`. A Bad status
/// is a refusal naming the status; Uncertain values are delivered.
pub(crate) fn reading(dv: DataValue, scale: f64, offset: f64) -> Reading {
    let time = dv
        .source_timestamp
        .or(dv.server_timestamp)
        .filter(|t| !t.is_null())
        .map(|t| t.to_rfc3339());
    let status = dv.status.unwrap_or(StatusCode::Good);
    let raw = dv.value.as_ref().map(to_json);
    let value = if status.is_bad() {
        let seen = match raw {
            Some(Ok(v)) => v,
            _ => Value::Null,
        };
        Err((bad_status(status), seen))
    } else {
        match raw {
            None => Err(("the server sent no value".to_string(), Value::Null)),
            Some(Err(why)) => Err((why, Value::Null)),
            Some(Ok(v)) => scaled(&v, scale, offset).map_err(|why| (why, v)),
        }
    };
    Reading {
        value,
        time,
        overflow: status.overflow(),
        waiting: status.sub_code() == StatusCode::BadWaitingForInitialData.sub_code(),
    }
}

/// The reason of a refusal for a Bad status.
pub(crate) fn bad_status(status: StatusCode) -> String {
    format!(
        "the server reports {status} for this node ({})",
        status.sub_code().description()
    )
}

/// `v * scale + offset` for a number, element-wise for an array of
/// numbers; unchanged when the mapping does not convert (scale 1, offset
/// 0), so integers stay integers.
pub(crate) fn scaled(v: &Value, scale: f64, offset: f64) -> Result<Value, String> {
    if scale == 1.0 && offset == 0.0 {
        return Ok(v.clone());
    }
    match v {
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(f64::NAN) * scale + offset;
            Number::from_f64(x)
                .map(Value::Number)
                .ok_or_else(|| format!("{n} * {scale} + {offset} is not a finite number"))
        }
        Value::Array(items) => items
            .iter()
            .map(|i| scaled(i, scale, offset))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other => Err(format!(
            "the mapping scales values (scale {scale}, offset {offset}) but the node holds {}, not a number",
            kind(other)
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A variant as JSON: booleans, numbers, strings (also for date-times,
/// GUIDs, node ids, localized texts and qualified names) and arrays of
/// them; what has no JSON form here is an error naming its type.
pub(crate) fn to_json(v: &Variant) -> Result<Value, String> {
    let float = |x: f64| {
        Number::from_f64(x)
            .map(Value::Number)
            .ok_or_else(|| format!("{x} is not a finite number, which JSON cannot carry"))
    };
    Ok(match v {
        Variant::Empty => return Err("the node's value is empty (null)".into()),
        Variant::Boolean(b) => Value::Bool(*b),
        Variant::SByte(x) => Value::from(*x),
        Variant::Byte(x) => Value::from(*x),
        Variant::Int16(x) => Value::from(*x),
        Variant::UInt16(x) => Value::from(*x),
        Variant::Int32(x) => Value::from(*x),
        Variant::UInt32(x) => Value::from(*x),
        Variant::Int64(x) => Value::from(*x),
        Variant::UInt64(x) => Value::from(*x),
        Variant::Float(x) => float(f64::from(*x))?,
        Variant::Double(x) => float(*x)?,
        Variant::String(s) => Value::String(s.to_string()),
        Variant::XmlElement(s) => Value::String(s.to_string()),
        Variant::DateTime(t) => Value::String(t.to_rfc3339()),
        Variant::Guid(g) => Value::String(g.to_string()),
        Variant::NodeId(n) => Value::String(n.to_string()),
        Variant::ExpandedNodeId(n) => Value::String(n.to_string()),
        Variant::LocalizedText(t) => Value::String(t.text.to_string()),
        Variant::QualifiedName(q) => Value::String(q.name.to_string()),
        Variant::Variant(inner) => to_json(inner)?,
        Variant::DataValue(dv) => match &dv.value {
            Some(inner) => to_json(inner)?,
            None => return Err("the node's value is an empty DataValue".into()),
        },
        Variant::Array(a) => array(a)?,
        Variant::StatusCode(_)
        | Variant::ByteString(_)
        | Variant::ExtensionObject(_)
        | Variant::DiagnosticInfo(_) => {
            return Err(format!(
                "values of OPC UA type {} are not mapped to JSON",
                type_name(v)
            ));
        }
    })
}

/// A one-dimensional array as a JSON array; a matrix as nested arrays,
/// highest dimension outermost.
fn array(a: &Array) -> Result<Value, String> {
    let items = a
        .values
        .iter()
        .map(to_json)
        .collect::<Result<Vec<_>, _>>()?;
    let dims: Vec<usize> = match &a.dimensions {
        Some(d) if d.len() > 1 => d.iter().map(|&x| x as usize).collect(),
        _ => return Ok(Value::Array(items)),
    };
    if dims.iter().product::<usize>() != items.len() {
        return Err(format!(
            "an array of {} values does not fit its dimensions {dims:?}",
            items.len()
        ));
    }
    let mut level = items;
    for &d in dims[1..].iter().rev() {
        let mut rows = Vec::with_capacity(level.len() / d.max(1));
        let mut it = level.into_iter();
        loop {
            let row: Vec<Value> = it.by_ref().take(d).collect();
            if row.is_empty() {
                break;
            }
            rows.push(Value::Array(row));
        }
        level = rows;
    }
    Ok(Value::Array(level))
}

fn type_name(v: &Variant) -> &'static str {
    match v {
        Variant::StatusCode(_) => "StatusCode",
        Variant::ByteString(_) => "ByteString",
        Variant::ExtensionObject(_) => "ExtensionObject (a structure)",
        Variant::DiagnosticInfo(_) => "DiagnosticInfo",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use ua::types::{DateTime, LocalizedText, VariantScalarTypeId};

    #[test]
    fn scalars_become_json() {
        assert_eq!(to_json(&Variant::Boolean(true)), Ok(json!(true)));
        assert_eq!(to_json(&Variant::Int32(-7)), Ok(json!(-7)));
        assert_eq!(to_json(&Variant::UInt64(u64::MAX)), Ok(json!(u64::MAX)));
        assert_eq!(to_json(&Variant::Double(2.5)), Ok(json!(2.5)));
        assert_eq!(to_json(&Variant::from("running")), Ok(json!("running")));
        let text = LocalizedText::new("en", "warm");
        assert_eq!(to_json(&Variant::from(text)), Ok(json!("warm")));
        let t = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.678Z").unwrap();
        assert_eq!(
            to_json(&Variant::from(t)),
            Ok(json!("2026-01-02T03:04:05.678Z"))
        );
        assert!(
            to_json(&Variant::Double(f64::NAN))
                .unwrap_err()
                .contains("not a finite")
        );
        assert!(to_json(&Variant::Empty).unwrap_err().contains("empty"));
        let bytes = Variant::ByteString(vec![1u8, 2].into());
        assert!(to_json(&bytes).unwrap_err().contains("ByteString"));
    }

    #[test]
    fn arrays_and_matrices_become_nested_arrays() {
        let flat = Variant::from(vec![1.0f64, 2.0, 3.0]);
        assert_eq!(to_json(&flat), Ok(json!([1.0, 2.0, 3.0])));
        let values: Vec<Variant> = (1..=6).map(Variant::Int32).collect();
        let m = Array::new_multi(VariantScalarTypeId::Int32, values, vec![2, 3]).unwrap();
        assert_eq!(
            to_json(&Variant::Array(Box::new(m))),
            Ok(json!([[1, 2, 3], [4, 5, 6]]))
        );
    }

    #[test]
    fn scaling_applies_to_numbers_only() {
        assert_eq!(scaled(&json!(7), 1.0, 0.0), Ok(json!(7)));
        assert_eq!(scaled(&json!(100), 0.1, -5.0), Ok(json!(5.0)));
        assert_eq!(scaled(&json!([1, 2]), 2.0, 0.0), Ok(json!([2.0, 4.0])));
        let e = scaled(&json!("on"), 2.0, 0.0).unwrap_err();
        assert!(e.contains("not a number") && e.contains("a string"), "{e}");
        assert!(scaled(&json!(true), 1.0, 1.0).is_err());
    }

    #[test]
    fn bad_statuses_are_refused_with_the_status() {
        let mut dv = DataValue::new_now(Variant::Double(1.0));
        dv.status = Some(StatusCode::BadSensorFailure);
        let r = reading(dv, 1.0, 0.0);
        let (why, seen) = r.value.unwrap_err();
        assert!(why.contains("BadSensorFailure"), "{why}");
        assert_eq!(seen, json!(1.0));
        assert!(r.time.is_some());
        let mut dv = DataValue::new_now(Variant::Double(20.0));
        dv.status = Some(StatusCode::UncertainLastUsableValue);
        assert_eq!(reading(dv, 2.0, 1.0).value, Ok(json!(41.0)));
    }

    #[test]
    fn a_node_without_its_first_value_is_waiting_not_bad() {
        let dv = DataValue {
            status: Some(StatusCode::BadWaitingForInitialData),
            ..Default::default()
        };
        assert!(reading(dv, 1.0, 0.0).waiting);
        let mut dv = DataValue::new_now(Variant::Double(1.0));
        dv.status = Some(StatusCode::BadSensorFailure);
        assert!(!reading(dv, 1.0, 0.0).waiting);
        assert!(!reading(DataValue::new_now(Variant::Double(1.0)), 1.0, 0.0).waiting);
    }
}

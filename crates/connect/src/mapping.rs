//! Payload mappings: values read from a device's own JSON layout by JSON
//! Pointer (RFC 6901), scaled into the twin's units and renamed to its
//! DTDL telemetry or property names, giving the default payload
//! convention that [`crate::payload`] delivers.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One value of a payload and where it goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMap {
    /// Where the value is in the payload (JSON Pointer; `""` is the whole
    /// payload).
    pub pointer: String,
    /// The telemetry or property name on the twin.
    pub name: String,
    /// Multiplies a numeric value (unit scaling), e.g. 0.1 for tenths.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub scale: f64,
    /// Added after scaling, e.g. -273.15 from kelvin to Celsius.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub offset: f64,
}

fn one() -> f64 {
    1.0
}

fn is_one(v: &f64) -> bool {
    *v == 1.0
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

/// How a payload maps onto the default convention.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayloadMap {
    /// The values to take; none means the payload already follows the
    /// default convention.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldMap>,
    /// Where the source time is: an RFC 3339 string, or a number of
    /// milliseconds since 1970.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
}

fn check_pointer(p: &str, what: &str) -> Result<(), String> {
    if p.is_empty() || p.starts_with('/') {
        Ok(())
    } else {
        Err(format!(
            "{what} '{p}' is not a JSON Pointer; it starts with '/', as in '/values/0'"
        ))
    }
}

impl PayloadMap {
    /// Whether it changes nothing.
    pub fn is_identity(&self) -> bool {
        self.fields.is_empty() && self.timestamp.is_none()
    }

    /// Checks pointers, names and scales; the error names the field.
    pub fn check(&self) -> Result<(), String> {
        let mut names = std::collections::BTreeSet::new();
        for (i, f) in self.fields.iter().enumerate() {
            let at = |m: String| format!("fields[{i}]: {m}");
            check_pointer(&f.pointer, "pointer").map_err(at)?;
            if f.name.is_empty() || f.name.starts_with('$') {
                return Err(at(format!(
                    "name '{}' must be a telemetry or property name",
                    f.name
                )));
            }
            if !names.insert(f.name.as_str()) {
                return Err(at(format!("name '{}' is mapped twice", f.name)));
            }
            if !f.scale.is_finite() || f.scale == 0.0 || !f.offset.is_finite() {
                return Err(at(format!(
                    "scale {} and offset {} must be finite, and scale not 0",
                    f.scale, f.offset
                )));
            }
        }
        if let Some(t) = &self.timestamp {
            check_pointer(t, "timestamp")?;
        }
        Ok(())
    }

    /// The payload in the default convention: one object per object of
    /// the payload (an array is a batch). The error says which value is
    /// missing or of the wrong kind.
    pub fn apply(&self, payload: &[u8]) -> Result<Vec<u8>, String> {
        if self.is_identity() {
            return Ok(payload.to_vec());
        }
        let body: Value =
            serde_json::from_slice(payload).map_err(|e| format!("the payload is not JSON: {e}"))?;
        let out = match &body {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.one(v).map_err(|e| format!("item {i}: {e}")))
                    .collect::<Result<_, _>>()?,
            ),
            one => self.one(one)?,
        };
        Ok(serde_json::to_vec(&out).expect("JSON values serialize"))
    }

    fn one(&self, msg: &Value) -> Result<Value, String> {
        let mut out = Map::new();
        if self.fields.is_empty() {
            let Value::Object(m) = msg else {
                return Err("the payload is not a JSON object".into());
            };
            out = m.clone();
        }
        for f in &self.fields {
            let v = msg
                .pointer(&f.pointer)
                .ok_or_else(|| format!("no value at '{}' (for '{}')", f.pointer, f.name))?;
            let v = if is_one(&f.scale) && is_zero(&f.offset) {
                v.clone()
            } else {
                let n = v.as_f64().ok_or_else(|| {
                    format!(
                        "the value at '{}' is {v}, not a number, so it cannot be scaled",
                        f.pointer
                    )
                })?;
                serde_json::Number::from_f64(n * f.scale + f.offset)
                    .map(Value::Number)
                    .ok_or_else(|| format!("scaling the value at '{}' overflows", f.pointer))?
            };
            out.insert(f.name.clone(), v);
        }
        if let Some(p) = &self.timestamp {
            let t = msg
                .pointer(p)
                .ok_or_else(|| format!("no timestamp at '{p}'"))?;
            let ts = match t {
                Value::String(s) => s.clone(),
                Value::Number(n) => {
                    let ms = n.as_i64().ok_or_else(|| {
                        format!("the timestamp at '{p}' is not whole milliseconds")
                    })?;
                    chrono::DateTime::from_timestamp_millis(ms)
                        .ok_or_else(|| format!("the timestamp at '{p}' is out of range"))?
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                }
                other => {
                    return Err(format!(
                        "the timestamp at '{p}' is {other}; give an RFC 3339 string or milliseconds since 1970"
                    ));
                }
            };
            out.insert("$ts".into(), Value::String(ts));
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> PayloadMap {
        let m: PayloadMap = serde_json::from_value(v).unwrap();
        m.check().unwrap();
        m
    }

    #[test]
    fn fields_are_read_scaled_and_renamed() {
        let m = map(json!({
            "fields": [
                {"pointer": "/d/t", "name": "temperature", "scale": 0.1, "offset": -273.15},
                {"pointer": "/d/state", "name": "state"}
            ],
            "timestamp": "/ts"
        }));
        let out = m
            .apply(br#"{"d": {"t": 2931.5, "state": "run"}, "ts": 1767225600000}"#)
            .unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert!(
            (v["temperature"].as_f64().unwrap() - 20.0).abs() < 1e-9,
            "{v}"
        );
        assert_eq!(v["state"], "run");
        assert_eq!(v["$ts"], "2026-01-01T00:00:00.000Z");
        let batch = m
            .apply(br#"[{"d": {"t": 0, "state": "a"}, "ts": "2026-01-01T00:00:00Z"}]"#)
            .unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&batch).unwrap()[0]["$ts"],
            "2026-01-01T00:00:00Z"
        );
    }

    #[test]
    fn missing_or_wrong_values_say_where() {
        let m = map(json!({"fields": [{"pointer": "/v", "name": "t", "scale": 2.0}]}));
        assert!(
            m.apply(br#"{"w": 1}"#)
                .unwrap_err()
                .contains("no value at '/v'")
        );
        assert!(
            m.apply(br#"{"v": "x"}"#)
                .unwrap_err()
                .contains("not a number")
        );
        assert!(
            m.apply(br#"[{"v": 1}, {}]"#)
                .unwrap_err()
                .starts_with("item 1:")
        );
        assert!(m.apply(b"nope").unwrap_err().contains("not JSON"));
        let bad: PayloadMap =
            serde_json::from_value(json!({"fields": [{"pointer": "v", "name": "t"}]})).unwrap();
        assert!(bad.check().unwrap_err().contains("fields[0]"));
        let twice: PayloadMap = serde_json::from_value(
            json!({"fields": [{"pointer": "/a", "name": "t"}, {"pointer": "/b", "name": "t"}]}),
        )
        .unwrap();
        assert!(twice.check().unwrap_err().contains("twice"));
        let zero: PayloadMap = serde_json::from_value(
            json!({"fields": [{"pointer": "/a", "name": "t", "scale": 0.0}]}),
        )
        .unwrap();
        assert!(zero.check().is_err());
    }
}

//! Twin commands as OPC UA method calls: the request payload becomes the
//! method's input arguments, typed as the method's `InputArguments`
//! property says, and its output arguments become the reply.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use ua::client::Session;
use ua::types::{
    Argument, AttributeId, BrowsePath, CallMethodRequest, NodeId, QualifiedName, ReadValueId,
    ReferenceTypeId, RelativePath, RelativePathElement, StatusCode, TimestampsToReturn, Variant,
    VariantScalarTypeId,
};

use super::config::MethodMapping;
use super::value::to_json;

/// The answer to a command: an HTTP-like status (200 for Good) and the
/// output arguments as JSON (one value, an array of several, or none).
#[derive(Debug, Clone, PartialEq)]
pub struct MethodReply {
    /// 200 when the call succeeded, 4xx/5xx from its Bad status.
    pub status: u16,
    /// The outputs, or `{"statusCode", "message"}` when it failed.
    pub payload: Option<Value>,
}

/// Why a command could not be carried out at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MethodError {
    /// The source has no session with its server just now.
    #[error("{0}")]
    NotConnected(String),
    /// The server did not answer in time.
    #[error("{0}")]
    Timeout(String),
    /// The call failed on the way (transport, session).
    #[error("{0}")]
    Failed(String),
}

/// The commands of one source, callable from any runtime while its
/// session is open.
#[derive(Clone)]
pub struct OpcUaCommands {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    methods: Vec<MethodMapping>,
    session: Mutex<Option<Arc<Session>>>,
}

impl OpcUaCommands {
    pub(crate) fn new(name: String, methods: Vec<MethodMapping>) -> OpcUaCommands {
        OpcUaCommands {
            inner: Arc::new(Inner {
                name,
                methods,
                session: Mutex::new(None),
            }),
        }
    }

    /// Sets (or clears) the open session.
    pub(crate) fn set_session(&self, session: Option<Arc<Session>>) {
        *self.inner.session.lock().expect("not poisoned") = session;
    }

    /// Whether `command` of `twin_id` is a method of this source.
    pub fn handles(&self, twin_id: &str, command: &str) -> bool {
        self.mapping(twin_id, command).is_some()
    }

    fn mapping(&self, twin_id: &str, command: &str) -> Option<&MethodMapping> {
        self.inner
            .methods
            .iter()
            .find(|m| m.twin == twin_id && m.command == command)
    }

    /// Calls the method mapped to `command` of `twin_id` with `payload`
    /// and waits up to `timeout` for its outputs.
    pub async fn call(
        &self,
        twin_id: &str,
        command: &str,
        payload: Option<&Value>,
        timeout: Duration,
    ) -> Result<MethodReply, MethodError> {
        let Some(m) = self.mapping(twin_id, command) else {
            return Err(MethodError::NotConnected(format!(
                "no OPC UA method is mapped to command '{command}' of twin '{twin_id}'"
            )));
        };
        let session = self.inner.session.lock().expect("not poisoned").clone();
        let Some(session) = session else {
            return Err(MethodError::NotConnected(format!(
                "opcua_source '{}' is not connected to its server",
                self.inner.name
            )));
        };
        let work = async {
            let types = input_types(&session, &m.method).await?;
            let inputs = match inputs(payload, &types) {
                Ok(i) => i,
                Err(why) => return Ok(failure(StatusCode::BadInvalidArgument, &why)),
            };
            let request = CallMethodRequest {
                object_id: m.object.clone(),
                method_id: m.method.clone(),
                input_arguments: Some(inputs),
            };
            let result = session
                .call_one(request)
                .await
                .map_err(|e| MethodError::Failed(format!("calling {}: {e}", m.method)))?;
            if result.status_code.is_bad() {
                return Ok(failure(
                    result.status_code,
                    &format!("the server answered {}", result.status_code),
                ));
            }
            outputs(result.output_arguments.unwrap_or_default())
        };
        tokio::time::timeout(timeout, work).await.map_err(|_| {
            MethodError::Timeout(format!(
                "the OPC UA server of opcua_source '{}' did not answer within {timeout:?}",
                self.inner.name
            ))
        })?
    }
}

/// A failed call as a reply: its status, mapped to HTTP's terms.
fn failure(status: StatusCode, message: &str) -> MethodReply {
    let http = match status {
        StatusCode::BadInvalidArgument
        | StatusCode::BadTypeMismatch
        | StatusCode::BadArgumentsMissing
        | StatusCode::BadTooManyArguments
        | StatusCode::BadOutOfRange => 400,
        StatusCode::BadUserAccessDenied | StatusCode::BadNotExecutable => 403,
        StatusCode::BadMethodInvalid | StatusCode::BadNodeIdUnknown => 404,
        _ => 500,
    };
    MethodReply {
        status: http,
        payload: Some(json!({
            "statusCode": status.to_string(),
            "message": message,
        })),
    }
}

/// The declared input arguments of `method` (none when it has no
/// `InputArguments` property).
async fn input_types(session: &Session, method: &NodeId) -> Result<Vec<Argument>, MethodError> {
    let path = BrowsePath {
        starting_node: method.clone(),
        relative_path: RelativePath {
            elements: Some(vec![RelativePathElement {
                reference_type_id: ReferenceTypeId::HasProperty.into(),
                is_inverse: false,
                include_subtypes: true,
                target_name: QualifiedName::new(0, "InputArguments"),
            }]),
        },
    };
    let failed = |e: ua::types::Error| {
        MethodError::Failed(format!("reading the arguments of {method}: {e}"))
    };
    let found = session
        .translate_browse_paths_to_node_ids(&[path])
        .await
        .map_err(failed)?;
    let Some(target) = found
        .into_iter()
        .next()
        .filter(|r| r.status_code.is_good())
        .and_then(|r| r.targets.unwrap_or_default().into_iter().next())
    else {
        return Ok(Vec::new());
    };
    let read = ReadValueId {
        node_id: target.target_id.node_id,
        attribute_id: AttributeId::Value as u32,
        ..Default::default()
    };
    let value = session
        .read(&[read], TimestampsToReturn::Neither, 0.0)
        .await
        .map_err(failed)?
        .into_iter()
        .next()
        .and_then(|dv| dv.value);
    let items = match value {
        Some(Variant::Array(a)) => a.values,
        Some(Variant::ExtensionObject(e)) => vec![Variant::ExtensionObject(e)],
        _ => Vec::new(),
    };
    Ok(items
        .into_iter()
        .filter_map(|v| match v {
            Variant::ExtensionObject(e) => e.into_inner_as::<Argument>().map(|a| *a),
            _ => None,
        })
        .collect())
}

/// The payload as input arguments: nothing for none, the payload itself
/// for one, an array in order or an object by argument name for several;
/// each converted to its declared type without losing anything.
fn inputs(payload: Option<&Value>, types: &[Argument]) -> Result<Vec<Variant>, String> {
    let values: Vec<&Value> = match (payload, types.len()) {
        (None | Some(Value::Null), 0) => vec![],
        (Some(p), 0) => return Err(format!("the method takes no arguments, but got {p}")),
        (None, n) => return Err(format!("the method takes {n} argument(s), but got none")),
        (Some(p), 1) => vec![p],
        (Some(Value::Array(items)), n) if items.len() == n => items.iter().collect(),
        (Some(Value::Object(fields)), _) => types
            .iter()
            .map(|a| {
                fields.get(a.name.as_ref()).ok_or_else(|| {
                    format!("the request has no field '{}' for that argument", a.name)
                })
            })
            .collect::<Result<_, _>>()?,
        (Some(p), n) => {
            return Err(format!(
                "the method takes {n} arguments: give an array of {n} or an object with fields {}, not {p}",
                types
                    .iter()
                    .map(|a| a.name.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    };
    values
        .into_iter()
        .zip(types)
        .map(|(v, a)| typed(v, a))
        .collect()
}

/// One JSON value as the argument's type.
fn typed(v: &Value, a: &Argument) -> Result<Variant, String> {
    let raw =
        from_json(v).ok_or_else(|| format!("argument '{}': {v} has no OPC UA form", a.name))?;
    let Ok(target) = VariantScalarTypeId::try_from(&a.data_type) else {
        // A structure or another type ferrotwin does not convert to: sent as is.
        return Ok(raw);
    };
    let cast = match &raw {
        Variant::Array(_) => raw.cast(ua::types::VariantTypeId::Array(target, None)),
        _ => raw.cast(target),
    };
    // The cast must give back what was asked for: 2.5 as an Int32, or
    // 3000000000 as an Int32, is refused rather than silently changed.
    let back = to_json(&cast).ok();
    let same = match (&back, v) {
        (Some(Value::Number(b)), Value::Number(n)) => {
            b.as_f64().zip(n.as_f64()).is_some_and(|(x, y)| {
                if matches!(target, VariantScalarTypeId::Float) {
                    (x - y).abs() <= y.abs() * 1e-6
                } else {
                    x == y
                }
            })
        }
        (Some(b), _) => b == v,
        (None, _) => false,
    };
    if matches!(cast, Variant::Empty) || !same {
        return Err(format!(
            "argument '{}': {v} does not fit {target:?}",
            a.name
        ));
    }
    Ok(cast)
}

/// JSON as the widest matching variant, cast to the argument type later.
fn from_json(v: &Value) -> Option<Variant> {
    Some(match v {
        Value::Bool(b) => Variant::Boolean(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Variant::Int64(i),
            (None, Some(u)) => Variant::UInt64(u),
            _ => Variant::Double(n.as_f64()?),
        },
        Value::String(s) => Variant::from(s.as_str()),
        Value::Array(items) => {
            let values = items.iter().map(from_json).collect::<Option<Vec<_>>>()?;
            let first = values.first().and_then(Variant::scalar_type_id)?;
            Variant::from(ua::types::Array::new(first, values).ok()?)
        }
        Value::Null | Value::Object(_) => return None,
    })
}

/// The output arguments as the reply's payload.
fn outputs(out: Vec<Variant>) -> Result<MethodReply, MethodError> {
    let mut values = Vec::with_capacity(out.len());
    for v in &out {
        values
            .push(to_json(v).map_err(|e| MethodError::Failed(format!("an output argument: {e}")))?);
    }
    let payload = match values.len() {
        0 => None,
        1 => values.pop(),
        _ => Some(Value::Array(values)),
    };
    Ok(MethodReply {
        status: 200,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(name: &str, t: VariantScalarTypeId) -> Argument {
        Argument {
            name: name.into(),
            data_type: NodeId::new(0, t as u32),
            value_rank: -1,
            ..Default::default()
        }
    }

    #[test]
    fn payloads_become_typed_arguments() {
        let int = [arg("speed", VariantScalarTypeId::Int32)];
        assert_eq!(inputs(Some(&json!(5)), &int), Ok(vec![Variant::Int32(5)]));
        let e = inputs(Some(&json!(2.5)), &int).unwrap_err();
        assert!(e.contains("does not fit Int32"), "{e}");
        let e = inputs(Some(&json!(3_000_000_000u64)), &int).unwrap_err();
        assert!(e.contains("does not fit Int32"), "{e}");
        assert!(inputs(None, &int).unwrap_err().contains("got none"));
        let two = [
            arg("speed", VariantScalarTypeId::Int32),
            arg("ramp", VariantScalarTypeId::Double),
        ];
        let by_name = inputs(Some(&json!({"ramp": 1.5, "speed": 3})), &two).unwrap();
        assert_eq!(by_name, vec![Variant::Int32(3), Variant::Double(1.5)]);
        let by_order = inputs(Some(&json!([3, 1.5])), &two).unwrap();
        assert_eq!(by_order, by_name);
        assert!(
            inputs(Some(&json!(3)), &two)
                .unwrap_err()
                .contains("speed, ramp")
        );
        assert_eq!(inputs(None, &[]), Ok(vec![]));
        let s = [arg("mode", VariantScalarTypeId::String)];
        assert_eq!(
            inputs(Some(&json!("auto")), &s),
            Ok(vec![Variant::from("auto")])
        );
    }

    #[test]
    fn outputs_and_failures_become_replies() {
        let r = outputs(vec![Variant::Int32(7)]).unwrap();
        assert_eq!((r.status, r.payload), (200, Some(json!(7))));
        let r = outputs(vec![]).unwrap();
        assert_eq!(r.payload, None);
        let r = failure(StatusCode::BadTypeMismatch, "no");
        assert_eq!(r.status, 400);
        assert_eq!(r.payload.unwrap()["statusCode"], "BadTypeMismatch");
        assert_eq!(failure(StatusCode::BadMethodInvalid, "x").status, 404);
    }
}

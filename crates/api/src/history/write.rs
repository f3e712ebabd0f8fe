//! `POST /history/write`: readings in InfluxDB line protocol, so that
//! Telegraf, gateways that speak it, and backfills of old data can write
//! history directly. Each line names its twin by a `twin` tag, else by its
//! measurement; a `component` tag puts the fields under that component;
//! other tags are ignored. Each field is one series. The whole body is
//! checked before anything is kept: a bad line or an unknown twin refuses
//! the request and names the line. These readings go to history only; they
//! do not pass through the live event stream.

mod lines;

use std::borrow::Cow;
use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ferrotwin_history::{Kind, Point, Sample, SeriesKey};
use serde_json::Value;

use self::lines::{Field, Line};
use crate::ApiState;
use crate::error::{ApiError, ApiResult};
use crate::paging::Params;

/// Multiplier from the `precision` parameter's unit to microseconds, as a
/// (multiply, divide) pair.
fn precision(q: &Params) -> ApiResult<(i64, i64)> {
    Ok(match q.get("precision").unwrap_or("ns") {
        "ns" | "n" => (1, 1000),
        "us" | "u" => (1, 1),
        "ms" => (1000, 1),
        "s" => (1_000_000, 1),
        other => {
            return Err(ApiError::invalid(format!(
                "'precision' must be ns, us, ms or s, got '{other}'"
            )));
        }
    })
}

/// `POST /history/write?precision=ns|us|ms|s`
pub async fn write(
    State(s): State<ApiState>,
    RawQuery(raw): RawQuery,
    bytes: Bytes,
) -> ApiResult<Response> {
    let q = Params::parse(raw.as_deref());
    let (mul, div) = precision(&q)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| ApiError::invalid(format!("the body is not UTF-8 text: {e}")))?;
    let now = chrono::Utc::now().timestamp_micros();
    let mut models: HashMap<Cow<'_, str>, String, foldhash::fast::RandomState> = HashMap::default();
    let mut samples = Vec::with_capacity(text.len() / 32);
    let mut line = Line::default();
    let lines = text.lines().enumerate().filter(|(_, l)| {
        let t = l.trim_start();
        !t.is_empty() && !t.starts_with('#')
    });
    for (n, text) in lines {
        let at = n + 1;
        lines::parse(text, &mut line).map_err(|e| ApiError::invalid(format!("line {at}: {e}")))?;
        let twin = line.tag("twin").unwrap_or(&line.measurement);
        let component = line.tag("component");
        let model = match models.get(twin.as_ref()) {
            Some(m) => m.clone(),
            None => {
                let m = s.graph.twin_model(twin).ok_or_else(|| {
                    ApiError::new(
                        StatusCode::NOT_FOUND,
                        "DigitalTwinNotFound",
                        format!("line {at}: twin '{twin}' does not exist; nothing was written"),
                    )
                })?;
                models.insert(twin.clone(), m.clone());
                m
            }
        };
        let time = match line.timestamp {
            Some(t) => t
                .checked_mul(mul)
                .map(|t| t.div_euclid(div))
                .ok_or_else(|| {
                    ApiError::invalid(format!("line {at}: the timestamp is out of range"))
                })?,
            None => now,
        };
        for (key, value) in &line.fields {
            let value = match value {
                Field::I64(i) => Value::from(*i),
                Field::U64(u) => Value::from(*u),
                Field::F64(f) => serde_json::Number::from_f64(*f)
                    .map(Value::Number)
                    .ok_or_else(|| {
                        ApiError::invalid(format!(
                            "line {at}: field '{key}' is not a finite number"
                        ))
                    })?,
                Field::Str(v) => Value::String(v.to_string()),
                Field::Bool(b) => Value::Bool(*b),
            };
            let name = match component {
                Some(c) => {
                    let mut name = String::with_capacity(c.len() + 1 + key.len());
                    name.push_str(c);
                    name.push('/');
                    name.push_str(key);
                    name
                }
                None => key.to_string(),
            };
            samples.push(Sample {
                key: SeriesKey::new(twin.as_ref(), name),
                kind: Kind::Telemetry,
                model: model.clone(),
                point: Point {
                    time,
                    ingest: now,
                    value,
                },
            });
        }
    }
    if samples.is_empty() {
        return Err(ApiError::invalid("the body holds no line protocol points"));
    }
    s.history.append(samples).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

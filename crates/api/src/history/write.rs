//! `POST /history/write`: readings in InfluxDB line protocol, so that
//! Telegraf, gateways that speak it, and backfills of old data can write
//! history directly. Each line names its twin by a `twin` tag, else by its
//! measurement; a `component` tag puts the fields under that component;
//! other tags are ignored. Each field is one series. The whole body is
//! checked before anything is kept: a bad line or an unknown twin refuses
//! the request and names the line. These readings go to history only; they
//! do not pass through the live event stream.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ferrotwin_history::{Kind, Point, Sample, SeriesKey};
use influxdb_line_protocol::{FieldValue, parse_lines};
use serde_json::Value;

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
    let mut models: HashMap<String, String> = HashMap::new();
    let mut samples = Vec::new();
    let lines = text.lines().enumerate().filter(|(_, l)| {
        let t = l.trim_start();
        !t.is_empty() && !t.starts_with('#')
    });
    for (n, line) in lines {
        let at = n + 1;
        let parsed = parse_lines(line)
            .next()
            .ok_or_else(|| ApiError::invalid(format!("line {at}: empty")))?
            .map_err(|e| ApiError::invalid(format!("line {at}: {e}")))?;
        let tag = |name: &str| {
            parsed
                .series
                .tag_set
                .iter()
                .flatten()
                .find(|(k, _)| k.as_str() == name)
                .map(|(_, v)| v.to_string())
        };
        let twin = tag("twin").unwrap_or_else(|| parsed.series.measurement.to_string());
        let prefix = tag("component")
            .map(|c| format!("{c}/"))
            .unwrap_or_default();
        let model = match models.get(&twin) {
            Some(m) => m.clone(),
            None => {
                let m = s.graph.twin_model(&twin).ok_or_else(|| {
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
        let time = match parsed.timestamp {
            Some(t) => t
                .checked_mul(mul)
                .map(|t| t.div_euclid(div))
                .ok_or_else(|| {
                    ApiError::invalid(format!("line {at}: the timestamp is out of range"))
                })?,
            None => now,
        };
        for (key, value) in parsed.field_set.iter() {
            let value = match value {
                FieldValue::I64(i) => Value::from(*i),
                FieldValue::U64(u) => Value::from(*u),
                FieldValue::F64(f) => serde_json::Number::from_f64(*f)
                    .map(Value::Number)
                    .ok_or_else(|| {
                        ApiError::invalid(format!(
                            "line {at}: field '{}' is not a finite number",
                            key.as_str()
                        ))
                    })?,
                FieldValue::String(v) => Value::String(v.to_string()),
                FieldValue::Boolean(b) => Value::Bool(*b),
            };
            samples.push(Sample {
                key: SeriesKey::new(&twin, format!("{prefix}{}", key.as_str())),
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

//! The simulator's own REST API: `POST /faults` injects a fault,
//! `POST /repairs` clears an asset's faults as maintenance would,
//! `GET /truth` returns the ground truth, `GET /assets` lists the assets
//! and their signals.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;

use crate::SimError;
use crate::fault::{FaultKind, FaultSpec};
use crate::plant::Plant;

/// `POST /faults` body: a fault, optionally starting later.
#[derive(Deserialize)]
struct Injection {
    #[serde(flatten)]
    spec: FaultSpec,
    /// Simulated seconds since the run began; now when absent.
    at_secs: Option<f64>,
}

/// `POST /repairs` body: the asset, and the faults to clear (all when absent).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Repair {
    asset: String,
    #[serde(default)]
    faults: Vec<FaultKind>,
}

fn error(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

/// A request body, or a 400 saying what `what` should have been.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            format!("{what} is not valid JSON of the expected shape: {e}"),
        )
    })
}

/// An unknown asset is a 404, anything else the plant refuses a 400.
fn refused(e: SimError) -> Response {
    match e {
        SimError::UnknownAsset(a) => error(
            StatusCode::NOT_FOUND,
            "AssetNotFound",
            format!("no simulated asset `{a}`"),
        ),
        e => error(StatusCode::BAD_REQUEST, "InvalidArgument", e.to_string()),
    }
}

/// The router over the running plant.
pub fn router(plant: Arc<Mutex<Plant>>) -> Router {
    Router::new()
        .route("/faults", post(inject))
        .route("/repairs", post(repair))
        .route("/truth", get(truth))
        .route("/assets", get(assets))
        .with_state(plant)
}

async fn inject(State(plant): State<Arc<Mutex<Plant>>>, body: axum::body::Bytes) -> Response {
    let inj: Injection = match parse(&body, "the fault") {
        Ok(i) => i,
        Err(r) => return r,
    };
    let mut p = plant.lock().await;
    match p.inject(inj.spec, inj.at_secs) {
        Ok(id) => {
            let t = p.truth();
            let fault = t
                .assets
                .iter()
                .flat_map(|a| &a.faults)
                .find(|f| f.id == id)
                .cloned();
            (
                StatusCode::CREATED,
                Json(json!({"id": id, "fault": fault, "sim_secs": t.sim_secs})),
            )
                .into_response()
        }
        Err(e) => refused(e),
    }
}

async fn repair(State(plant): State<Arc<Mutex<Plant>>>, body: axum::body::Bytes) -> Response {
    let r: Repair = match parse(
        &body,
        r#"the repair ({"asset": "pump-1", "faults": ["bearing_wear"]}, faults optional)"#,
    ) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let mut p = plant.lock().await;
    match p.repair(&r.asset, &r.faults) {
        Ok(cleared) => Json(json!({
            "asset": r.asset,
            "sim_secs": p.now(),
            "cleared": cleared,
        }))
        .into_response(),
        Err(e) => refused(e),
    }
}

async fn truth(State(plant): State<Arc<Mutex<Plant>>>) -> Response {
    Json(plant.lock().await.truth()).into_response()
}

async fn assets(State(plant): State<Arc<Mutex<Plant>>>) -> Response {
    let p = plant.lock().await;
    let list: Vec<_> = p
        .assets
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "kind": a.kind,
                "signals": a.signals().iter().map(|s| json!({"name": s.name, "unit": s.unit})).collect::<Vec<_>>(),
            })
        })
        .collect();
    Json(list).into_response()
}

//! Creates what the simulated plant needs on the platform, over the REST
//! API, skipping what is already there: the shipped models, one twin per
//! asset (and optionally one Sensor twin per signal), the line's
//! `hasMachine` relationships, and one device credential per asset.

use serde_json::{Value, json};

use super::client::Http;
use crate::SimError;
use crate::plant::{AssetKind, Plant};

/// The manufacturing models shipped with ferrotwin, in dependency order.
pub const MODELS: [&str; 14] = [
    include_str!("../../../../models/manufacturing/Asset.json"),
    include_str!("../../../../models/manufacturing/Sensor.json"),
    include_str!("../../../../models/manufacturing/Component.json"),
    include_str!("../../../../models/manufacturing/Motor.json"),
    include_str!("../../../../models/manufacturing/Bearing.json"),
    include_str!("../../../../models/manufacturing/Spindle.json"),
    include_str!("../../../../models/manufacturing/Tool.json"),
    include_str!("../../../../models/manufacturing/Nameplate.json"),
    include_str!("../../../../models/manufacturing/Machine.json"),
    include_str!("../../../../models/manufacturing/Pump.json"),
    include_str!("../../../../models/manufacturing/CncMill.json"),
    include_str!("../../../../models/manufacturing/Turbofan.json"),
    include_str!("../../../../models/manufacturing/Line.json"),
    include_str!("../../../../models/manufacturing/Site.json"),
];

/// The analytics set-up shipped with the models: procedure templates,
/// settings (how RUL is estimated) and rules, per model.
pub const ANALYTICS: [&str; 2] = [
    include_str!("../../../../models/manufacturing/analytics/pump.json"),
    include_str!("../../../../models/manufacturing/analytics/turbofan.json"),
];

const M: &str = "dtmi:ferrotwin:manufacturing:";

/// The DTDL model of each asset kind.
pub fn model_of(kind: AssetKind) -> String {
    let name = match kind {
        AssetKind::Pump => "Pump",
        AssetKind::Cnc => "CncMill",
        AssetKind::Line => "Line",
        AssetKind::Turbofan => "Turbofan",
    };
    format!("{M}{name};1")
}

/// A device login for one asset.
pub struct Credentials {
    /// MQTT username.
    pub username: String,
    /// MQTT password.
    pub password: String,
}

/// Uploads the models the platform lacks.
pub async fn models(http: &Http) -> Result<(), SimError> {
    let mut missing = vec![];
    for text in MODELS {
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| SimError::Invalid(format!("a shipped model does not parse: {e}")))?;
        let id = doc["@id"].as_str().unwrap_or_default().to_string();
        let (status, _) = http.send("GET", &format!("/models/{id}"), None).await?;
        if status == 404 {
            missing.push(doc);
        }
    }
    if !missing.is_empty() {
        http.ok("POST", "/models", Some(&Value::Array(missing)))
            .await?;
    }
    Ok(())
}

async fn put_if_missing(http: &Http, id: &str, doc: Value) -> Result<(), SimError> {
    let (status, _) = http
        .send("GET", &format!("/digitaltwins/{id}"), None)
        .await?;
    if status == 404 {
        http.ok("PUT", &format!("/digitaltwins/{id}"), Some(&doc))
            .await?;
    }
    Ok(())
}

async fn relate(
    http: &Http,
    src: &str,
    rel: &str,
    name: &str,
    target: &str,
) -> Result<(), SimError> {
    let path = format!("/digitaltwins/{src}/relationships/{rel}");
    let (status, _) = http.send("GET", &path, None).await?;
    if status == 404 {
        let body = json!({"$relationshipName": name, "$targetId": target});
        http.ok("PUT", &path, Some(&body)).await?;
    }
    Ok(())
}

/// Creates the shipped templates, settings and rules the platform lacks;
/// does nothing when the platform runs without analytics.
pub async fn analytics(http: &Http) -> Result<(), SimError> {
    let (status, _) = http.send("GET", "/analytics/rules", None).await?;
    if status == 503 {
        return Ok(());
    }
    let (_, have) = http.send("GET", "/analytics/settings", None).await?;
    let have_settings: Vec<String> = have["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();
    for text in ANALYTICS {
        let doc: Value = serde_json::from_str(text).map_err(|e| {
            SimError::Invalid(format!("a shipped analytics set-up does not parse: {e}"))
        })?;
        for (kind, path) in [
            ("templates", "/analytics/templates"),
            ("settings", "/analytics/settings"),
            ("rules", "/analytics/rules"),
        ] {
            for (id, item) in doc[kind].as_object().into_iter().flatten() {
                let url = format!("{path}/{id}");
                let exists = if kind == "settings" {
                    have_settings.iter().any(|s| s == id)
                } else {
                    http.send("GET", &url, None).await?.0 == 200
                };
                if !exists {
                    http.ok("PUT", &url, Some(item)).await?;
                }
            }
        }
    }
    Ok(())
}

/// Creates the twins, relationships and device credentials of `plant`:
/// a credential for each asset whose `over_mqtt` is true (the others
/// speak OPC UA, which the platform subscribes to).
pub async fn plant(
    http: &Http,
    plant: &Plant,
    sensor_twins: bool,
    over_mqtt: &[bool],
) -> Result<Vec<Option<Credentials>>, SimError> {
    models(http).await?;
    analytics(http).await?;
    let line = plant
        .assets
        .iter()
        .find(|a| a.kind == AssetKind::Line)
        .map(|a| a.id.clone());
    let mut creds = vec![];
    for a in &plant.assets {
        let mut doc =
            json!({"$metadata": {"$model": model_of(a.kind)}, "name": a.id, "status": "running"});
        if a.kind == AssetKind::Pump {
            doc["nameplate"] = json!({"$metadata": {}, "model": "CP-80"});
        }
        put_if_missing(http, &a.id, doc).await?;
        if sensor_twins {
            for s in a.signals() {
                let sid = format!("{}-{}", a.id, s.name);
                let doc = json!({"$metadata": {"$model": format!("{M}Sensor;1")}, "quantity": s.name, "unit": s.unit});
                put_if_missing(http, &sid, doc).await?;
                relate(http, &a.id, &format!("has-{}", s.name), "hasSensor", &sid).await?;
            }
        }
    }
    // Relationships and devices once every twin exists.
    for (i, a) in plant.assets.iter().enumerate() {
        if let Some(line) = &line
            && matches!(a.kind, AssetKind::Pump | AssetKind::Cnc)
        {
            relate(http, line, &format!("has-{}", a.id), "hasMachine", &a.id).await?;
        }
        if !over_mqtt.get(i).copied().unwrap_or(true) {
            creds.push(None);
            continue;
        }
        let body = json!({"name": format!("simulated {}", a.id), "twins": [a.id]});
        let d = http.ok("POST", "/devices", Some(&body)).await?;
        match (d["username"].as_str(), d["password"].as_str()) {
            (Some(u), Some(p)) => creds.push(Some(Credentials {
                username: u.into(),
                password: p.into(),
            })),
            _ => {
                return Err(SimError::Platform(format!(
                    "POST /devices answered without credentials: {d}"
                )));
            }
        }
    }
    Ok(creds)
}

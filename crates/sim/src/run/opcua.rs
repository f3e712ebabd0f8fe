//! Simulated machines that speak OPC UA: the simulator serves one OPC UA
//! server (security None, anonymous) whose address space holds an object
//! per asset under `Objects/Simulator`, with one variable per signal and
//! per reported property. Each sample updates the variables, stamped with
//! the simulated time as the source timestamp, and the server notifies
//! the clients monitoring them, as a machine's controller would.
//!
//! Node ids live in the namespace [`NAMESPACE`], `s=<asset>.<name>`; the
//! platform maps them with `nsu=` ids ([`source_toml`]), so they hold
//! whatever index the server gives the namespace. Variables are typed by
//! the asset's DTDL model (a `long` property is an Int64), so values
//! arrive as the model expects them. A sensor that dropped out leaves its
//! variable unchanged, as it leaves its key out of an MQTT message.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;
use ua::server::address_space::{NodeType, ObjectBuilder, VariableBuilder};
use ua::server::diagnostics::NamespaceMetadata;
use ua::server::node_manager::memory::{SimpleNodeManager, simple_node_manager};
use ua::server::{ServerBuilder, ServerHandle, SubscriptionCache};
use ua::types::{DataTypeId, DataValue, NodeId, StatusCode, Variant};

use super::provision::{MODELS, model_of};
use crate::SimError;
use crate::model::Prop;
use crate::plant::{Asset, Plant, Sample};

/// The namespace of the simulator's nodes.
pub const NAMESPACE: &str = "urn:ferrotwin:sim";

/// Where a variable's values belong on the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeMap {
    /// The node, `nsu=urn:ferrotwin:sim;s=<asset>.<name>`.
    pub node_id: String,
    /// The asset's twin.
    pub twin: String,
    /// Telemetry (a signal) or a property report.
    pub telemetry: bool,
    /// The telemetry or property name.
    pub name: String,
}

/// The assets `which` names, by id (`cnc-1`) or by kind (`cnc`, every
/// mill), or `all`; an entry that names nothing is an error.
pub fn select(plant: &Plant, which: &[String]) -> Result<Vec<usize>, SimError> {
    let mut out = vec![];
    for w in which {
        let w = w.trim();
        let hits: Vec<usize> = plant
            .assets
            .iter()
            .enumerate()
            .filter(|(_, a)| w == "all" || a.id == w || a.kind.name() == w)
            .map(|(i, _)| i)
            .collect();
        if hits.is_empty() {
            let ids: Vec<&str> = plant.assets.iter().map(|a| a.id.as_str()).collect();
            return Err(SimError::Invalid(format!(
                "--opcua-assets: `{w}` is neither an asset of this run ({}) nor one of their kinds",
                ids.join(", ")
            )));
        }
        out.extend(hits);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn node_name(asset: &str, name: &str) -> String {
    format!("{asset}.{name}")
}

/// The variables of the selected assets and where their values go.
pub fn node_maps(plant: &Plant, selected: &[usize]) -> Vec<NodeMap> {
    let mut out = vec![];
    for &i in selected {
        let a = &plant.assets[i];
        let node = |name: &str| format!("nsu={NAMESPACE};s={}", node_name(&a.id, name));
        for s in a.signals() {
            out.push(NodeMap {
                node_id: node(s.name),
                twin: a.id.clone(),
                telemetry: true,
                name: s.name.to_string(),
            });
        }
        for (p, _) in a.properties() {
            out.push(NodeMap {
                node_id: node(p),
                twin: a.id.clone(),
                telemetry: false,
                name: p.to_string(),
            });
        }
    }
    out
}

/// The `[[opcua_source]]` section of ferrotwin's configuration file that
/// subscribes to these variables of the server at `url`. Every node is
/// sampled at 0 ms, so each sample reaches the platform: the server
/// otherwise passes on only the latest value per publishing interval, and
/// an accelerated run writes several per interval.
pub fn source_toml(name: &str, url: &str, maps: &[NodeMap]) -> String {
    let q = |s: &str| Value::String(s.to_string()).to_string();
    let mut out = format!(
        "[[opcua_source]]\nname = {}\nurl = {}\npublishing_interval_ms = 250\nqueue_size = 256\nnodes = [\n",
        q(name),
        q(url)
    );
    for m in maps {
        out.push_str(&format!(
            "  {{ node_id = {}, twin = {}, kind = \"{}\", name = {}, sampling_interval_ms = 0 }},\n",
            q(&m.node_id),
            q(&m.twin),
            if m.telemetry { "telemetry" } else { "properties" },
            q(&m.name)
        ));
    }
    out.push_str("]\n");
    out
}

/// An OPC UA data type, as the DTDL schema of `name` in the asset's model
/// (or a model it extends) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Double,
    Int64,
    Int32,
    Text,
    Bool,
}

/// The shipped models, parsed, for [`kind_of`].
fn shipped_models() -> Vec<Value> {
    MODELS
        .iter()
        .filter_map(|m| serde_json::from_str(m).ok())
        .collect()
}

fn kind_of(docs: &[Value], model: &str, name: &str) -> Kind {
    let mut id = Some(model.to_string());
    while let Some(m) = id.take() {
        let Some(doc) = docs.iter().find(|d| d["@id"] == m.as_str()) else {
            break;
        };
        let found = doc["contents"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["name"] == name);
        if let Some(c) = found {
            // An Enum is carried as its value schema.
            let schema = match &c["schema"] {
                Value::Object(o) if o.get("@type") == Some(&Value::from("Enum")) => {
                    &o["valueSchema"]
                }
                s => s,
            };
            return match schema.as_str() {
                Some("long") => Kind::Int64,
                Some("integer") => Kind::Int32,
                Some("string") => Kind::Text,
                Some("boolean") => Kind::Bool,
                _ => Kind::Double,
            };
        }
        id = doc["extends"].as_str().map(str::to_owned);
    }
    Kind::Double
}

fn variant(kind: Kind, v: &Prop) -> Option<Variant> {
    Some(match (kind, v) {
        (_, Prop::Num(n)) if !n.is_finite() => return None,
        (Kind::Int64, Prop::Num(n)) => Variant::Int64(n.round() as i64),
        (Kind::Int32, Prop::Num(n)) => Variant::Int32(n.round() as i32),
        (Kind::Bool, Prop::Num(n)) => Variant::Boolean(*n != 0.0),
        (Kind::Text, Prop::Num(n)) => Variant::from(n.to_string()),
        (_, Prop::Num(n)) => Variant::Double((n * 1e4).round() / 1e4),
        (_, Prop::Text(t)) => Variant::from(t.to_string()),
    })
}

fn data_type(kind: Kind) -> DataTypeId {
    match kind {
        Kind::Double => DataTypeId::Double,
        Kind::Int64 => DataTypeId::Int64,
        Kind::Int32 => DataTypeId::Int32,
        Kind::Text => DataTypeId::String,
        Kind::Bool => DataTypeId::Boolean,
    }
}

struct Var {
    node: NodeId,
    name: &'static str,
    /// A signal of the samples, else a reported property.
    signal: bool,
    kind: Kind,
}

/// The running server and the variables of each selected asset.
pub struct Devices {
    manager: Arc<SimpleNodeManager>,
    subscriptions: Arc<SubscriptionCache>,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<Result<(), String>>,
    /// Per asset of the plant: its variables, when it speaks OPC UA.
    vars: Vec<Option<Vec<Var>>>,
    pki: PathBuf,
    /// The endpoint URL clients connect to.
    pub url: String,
}

impl Devices {
    /// Starts the server on `listen` (port 0 picks one) with the
    /// variables of the selected assets, each Bad (waiting for initial
    /// data) until its first sample.
    pub async fn start(
        listen: SocketAddr,
        plant: &Plant,
        selected: &[usize],
    ) -> Result<Devices, SimError> {
        let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
            SimError::Invalid(format!(
                "cannot listen on {listen} for the simulator's OPC UA server: {e}"
            ))
        })?;
        let addr = listener.local_addr()?;
        // The server's certificate store: a self-signed certificate made
        // at start (OPC UA servers present one even on a None endpoint),
        // in a directory of its own rather than the working directory.
        let pki = std::env::temp_dir().join(format!(
            "ferrotwin-sim-opcua-{}-{}",
            std::process::id(),
            addr.port()
        ));
        let (server, handle) = ServerBuilder::new_anonymous("ferrotwin simulator")
            .application_uri("urn:ferrotwin:sim:server")
            .product_uri("urn:ferrotwin:sim")
            .host(addr.ip().to_string())
            .port(addr.port())
            .pki_dir(&pki)
            .create_sample_keypair(true)
            .certificate_path("own/cert.der")
            .private_key_path("private/private.pem")
            .with_node_manager(simple_node_manager(
                NamespaceMetadata {
                    namespace_uri: NAMESPACE.to_owned(),
                    ..Default::default()
                },
                "simulator",
            ))
            .build()
            .map_err(|e| SimError::Invalid(format!("the simulator's OPC UA server: {e}")))?;
        let manager = handle
            .node_managers()
            .get_of_type::<SimpleNodeManager>()
            .ok_or_else(|| SimError::Invalid("the OPC UA node manager is missing".into()))?;
        let ns = handle.get_namespace_index(NAMESPACE).ok_or_else(|| {
            SimError::Invalid(format!("the OPC UA server has no namespace {NAMESPACE}"))
        })?;
        let docs = shipped_models();
        let mut vars: Vec<Option<Vec<Var>>> = (0..plant.assets.len()).map(|_| None).collect();
        {
            let space = manager.address_space();
            let mut space = space.write();
            let root = NodeId::new(ns, "Simulator");
            space.add_folder(
                &root,
                "Simulator",
                "Simulator",
                &NodeId::objects_folder_id(),
            );
            for &i in selected {
                let a = &plant.assets[i];
                let object = NodeId::new(ns, a.id.clone());
                ObjectBuilder::new(&object, a.id.as_str(), a.id.as_str())
                    .organized_by(root.clone())
                    .insert(&mut *space);
                let model = model_of(a.kind);
                let names: Vec<(&'static str, bool)> = a
                    .signals()
                    .iter()
                    .map(|s| (s.name, true))
                    .chain(a.properties().into_iter().map(|(p, _)| (p, false)))
                    .collect();
                let mut list = Vec::with_capacity(names.len());
                for (name, signal) in names {
                    let kind = kind_of(&docs, &model, name);
                    let node = NodeId::new(ns, node_name(&a.id, name));
                    VariableBuilder::new(&node, name, name)
                        .data_type(data_type(kind))
                        .component_of(object.clone())
                        .insert(&mut *space);
                    if let Some(NodeType::Variable(v)) = space.find_mut(&node) {
                        // An empty value rather than none: the SDK drops
                        // the status of a DataValue without a value.
                        v.set_data_value(DataValue {
                            value: Some(Variant::Empty),
                            status: Some(StatusCode::BadWaitingForInitialData),
                            server_timestamp: Some(ua::types::DateTime::now()),
                            ..Default::default()
                        });
                    }
                    list.push(Var {
                        node,
                        name,
                        signal,
                        kind,
                    });
                }
                vars[i] = Some(list);
            }
        }
        let subscriptions = handle.subscriptions().clone();
        let task = tokio::spawn(server.run_with(listener));
        Ok(Devices {
            manager,
            subscriptions,
            handle,
            task,
            vars,
            pki,
            url: format!("opc.tcp://{addr}/"),
        })
    }

    /// Whether asset `i` speaks OPC UA.
    pub fn serves(&self, i: usize) -> bool {
        self.vars.get(i).is_some_and(Option::is_some)
    }

    /// Updates asset `i`'s variables from a sample and its properties,
    /// notifying the monitoring clients. Returns the variables written.
    pub fn publish(
        &self,
        i: usize,
        asset: &Asset,
        sample: &Sample,
        epoch: DateTime<Utc>,
    ) -> Result<usize, SimError> {
        let Some(Some(vars)) = self.vars.get(i) else {
            return Ok(0);
        };
        let source = epoch + chrono::Duration::milliseconds((sample.t * 1000.0) as i64);
        let source = ua::types::DateTime::from(source);
        let now = ua::types::DateTime::now();
        let props = asset.properties();
        let mut values = Vec::with_capacity(vars.len());
        for v in vars {
            // A signal missing from the sample dropped out: left unchanged.
            let value = if v.signal {
                sample
                    .values
                    .iter()
                    .find(|(k, _)| *k == v.name)
                    .map(|(_, x)| Prop::Num(*x))
            } else {
                props
                    .iter()
                    .find(|(k, _)| *k == v.name)
                    .map(|(_, p)| p.clone())
            };
            let Some(value) = value.and_then(|p| variant(v.kind, &p)) else {
                continue;
            };
            values.push((
                &v.node,
                None,
                DataValue {
                    value: Some(value),
                    status: Some(StatusCode::Good),
                    source_timestamp: Some(source),
                    server_timestamp: Some(now),
                    ..Default::default()
                },
            ));
        }
        let n = values.len();
        self.manager
            .set_values(&self.subscriptions, values.into_iter())
            .map_err(|s| {
                SimError::Invalid(format!(
                    "updating the OPC UA variables of {}: {s}",
                    asset.id
                ))
            })?;
        Ok(n)
    }

    /// Stops the server and removes its certificate store.
    pub async fn stop(self) {
        self.handle.cancel();
        let _ = self.task.await;
        let _ = std::fs::remove_dir_all(&self.pki);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plant::{PlantConfig, parse_assets};

    fn plant() -> Plant {
        Plant::new(
            &PlantConfig::default(),
            &parse_assets("pump:2,cnc:1,line:1").unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn assets_are_chosen_by_id_or_kind() {
        let p = plant();
        let ids = |w: &[&str]| {
            let w: Vec<String> = w.iter().map(|s| s.to_string()).collect();
            select(&p, &w).map(|v| {
                v.iter()
                    .map(|&i| p.assets[i].id.clone())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(ids(&["cnc"]).unwrap(), ["cnc-1"]);
        assert_eq!(ids(&["pump-2", "cnc"]).unwrap(), ["pump-2", "cnc-1"]);
        assert_eq!(ids(&["all"]).unwrap().len(), 4);
        let e = ids(&["press"]).unwrap_err().to_string();
        assert!(e.contains("`press`") && e.contains("pump-1"), "{e}");
    }

    #[test]
    fn variables_take_the_dtdl_schema_of_their_name() {
        let m = model_of(crate::AssetKind::Cnc);
        let docs = shipped_models();
        assert_eq!(kind_of(&docs, &m, "partCount"), Kind::Int64);
        assert_eq!(kind_of(&docs, &m, "toolWear"), Kind::Double);
        // Inherited from Machine/Asset.
        assert_eq!(kind_of(&docs, &m, "status"), Kind::Text);
        assert_eq!(
            variant(Kind::Int64, &Prop::Num(41.0)),
            Some(Variant::Int64(41))
        );
        assert_eq!(variant(Kind::Double, &Prop::Num(f64::NAN)), None);
    }

    #[test]
    fn the_source_section_maps_every_variable_by_namespace_uri() {
        let p = plant();
        let maps = node_maps(&p, &[2]);
        assert!(maps.iter().all(|m| m.twin == "cnc-1"));
        assert!(maps.iter().any(|m| m.telemetry && m.name == "spindleLoad"));
        assert!(maps.iter().any(|m| !m.telemetry && m.name == "partCount"));
        let t = source_toml("sim", "opc.tcp://127.0.0.1:4840/", &maps);
        assert!(t.contains(r#"{ node_id = "nsu=urn:ferrotwin:sim;s=cnc-1.spindleLoad", twin = "cnc-1", kind = "telemetry", name = "spindleLoad", sampling_interval_ms = 0 }"#), "{t}");
        let parsed: toml::Value = toml::from_str(&t).unwrap();
        assert_eq!(
            parsed["opcua_source"][0]["nodes"].as_array().unwrap().len(),
            maps.len()
        );
    }
}

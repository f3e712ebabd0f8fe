//! `ferrotwin demo`: the platform on embedded defaults with a small plant
//! loaded (site, line, pump with motor, bearing and sensors), and the
//! virtual factory streaming into it: two pumps (one with a bearing
//! wearing out) and the line over MQTT, two CNC mills over OPC UA (the
//! simulator's server, which the platform subscribes to), about 50 sensors.
//! Reruns reuse the data directory and skip what is already there.

use anyhow::Context;
use ferrotwin_graph::{Graph, GraphError};
use serde_json::{Value, json};

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::serve;

/// What the demo simulates, into the line the seed creates.
const SIM_ASSETS: &str = "pump:2,cnc:2,line:1";

/// The demo's machines that speak OPC UA (the mills, as machine tools
/// commonly do); the others publish over MQTT.
#[cfg(feature = "opcua")]
const OPCUA_ASSETS: &str = "cnc";

/// The simulator's OPC UA server at `addr`, and the `[[opcua_source]]`
/// that subscribes the platform to its variables.
#[cfg(feature = "opcua")]
fn opcua_source(
    addr: std::net::SocketAddr,
    pki_dir: std::path::PathBuf,
) -> anyhow::Result<(
    ferrotwin_sim::run::OpcUaRun,
    ferrotwin_connect::opcua::OpcUaSourceConfig,
)> {
    use ferrotwin_sim::run::opcua;
    let plant = ferrotwin_sim::Plant::new(
        &ferrotwin_sim::PlantConfig::default(),
        &ferrotwin_sim::parse_assets(SIM_ASSETS)?,
    )?;
    let which = vec![OPCUA_ASSETS.to_string()];
    let maps = opcua::node_maps(&plant, &opcua::select(&plant, &which)?);
    let text = opcua::source_toml("simulator", &format!("opc.tcp://{addr}/"), &maps);
    #[derive(serde::Deserialize)]
    struct Section {
        opcua_source: Vec<ferrotwin_connect::opcua::OpcUaSourceConfig>,
    }
    let mut source = toml::from_str::<Section>(&text)
        .context("the simulator's OPC UA source section")?
        .opcua_source
        .remove(0);
    source.pki_dir = Some(pki_dir);
    let run = ferrotwin_sim::run::OpcUaRun {
        listen: addr,
        assets: which,
        source_config: None,
    };
    Ok((run, source))
}

/// A free loopback port, for a listener whose address the simulator must
/// know before the server announces it.
fn free_port() -> anyhow::Result<std::net::SocketAddr> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// The simulator of the demo: a minute per second, pump-2's drive-end
/// bearing failing over two simulated days from the first hour.
fn simulator(
    base: &str,
    token: &str,
    mqtt: std::net::SocketAddr,
    api: std::net::SocketAddr,
    opcua: Option<ferrotwin_sim::run::OpcUaRun>,
) -> anyhow::Result<ferrotwin_sim::run::RunConfig> {
    let fault = ferrotwin_sim::FaultSpec::parse_cli("pump-2:bearing_wear:1:172800:exponential")?;
    Ok(ferrotwin_sim::run::RunConfig {
        server: base.to_string(),
        token: token.to_string(),
        mqtt: mqtt.to_string(),
        plant: ferrotwin_sim::PlantConfig::default(),
        assets: ferrotwin_sim::parse_assets(SIM_ASSETS)?,
        speed: 60.0,
        sample_secs: None,
        props_every: 10,
        duration_secs: None,
        api: Some(api),
        faults: vec![(fault, Some(3600.0))],
        sensor_twins: true,
        epoch: chrono::Utc::now(),
        progress_secs: None,
        opcua,
    })
}

/// The manufacturing models shipped with ferrotwin, in dependency order.
pub const MODELS: [&str; 14] = ferrotwin_sim::run::provision::MODELS;

const M: &str = "dtmi:ferrotwin:manufacturing:";

/// Loads the shipped models and the sample plant, skipping what exists.
pub async fn seed(graph: &Graph) -> anyhow::Result<()> {
    let docs: Vec<Value> = MODELS
        .iter()
        .map(|m| serde_json::from_str(m))
        .collect::<Result<_, _>>()
        .context("shipped models")?;
    match graph.add_models(docs).await {
        Ok(_) | Err(GraphError::ModelAlreadyExists(_)) => {}
        Err(e) => return Err(anyhow::anyhow!("loading the shipped models: {e}")),
    }
    let twins = [
        (
            "plant-1",
            json!({"$metadata": {"$model": format!("{M}Site;1")}, "name": "Demo plant", "location": {"type": "Point", "coordinates": [4.89, 52.37]}}),
        ),
        (
            "line-1",
            json!({"$metadata": {"$model": format!("{M}Line;1")}, "name": "Line 1", "status": "running", "targetThroughput": 120.0}),
        ),
        (
            "pump-1",
            json!({"$metadata": {"$model": format!("{M}Pump;1")}, "name": "Feed pump P-101", "status": "running", "manufacturer": "Acme",
            "ratedFlow": 45.0, "ratedHead": 32.0, "setpoint": {"speedRpm": 2950.0, "mode": "auto"}, "nameplate": {"$metadata": {}, "model": "CP-80", "year": 2021}}),
        ),
        (
            "motor-1",
            json!({"$metadata": {"$model": format!("{M}Motor;1")}, "name": "Motor M-101", "ratedPowerKw": 7.5, "health": 1.0}),
        ),
        (
            "bearing-1",
            json!({"$metadata": {"$model": format!("{M}Bearing;1")}, "name": "Drive-end bearing", "designation": "6309", "health": 1.0}),
        ),
        (
            "sensor-flow-1",
            json!({"$metadata": {"$model": format!("{M}Sensor;1")}, "quantity": "flow", "unit": "m3/h"}),
        ),
        (
            "sensor-temp-1",
            json!({"$metadata": {"$model": format!("{M}Sensor;1")}, "quantity": "temperature", "unit": "degC"}),
        ),
    ];
    for (id, doc) in twins {
        if graph.twin(id).is_err() {
            graph
                .put_twin(id, doc, true, None)
                .await
                .with_context(|| format!("creating twin {id}"))?;
        }
    }
    let rels = [
        ("plant-1", "has-line-1", "hasLine", "line-1", json!({})),
        ("line-1", "has-pump-1", "hasMachine", "pump-1", json!({})),
        (
            "pump-1",
            "has-motor-1",
            "hasPart",
            "motor-1",
            json!({"position": "drive"}),
        ),
        (
            "pump-1",
            "has-bearing-1",
            "hasPart",
            "bearing-1",
            json!({"position": "drive end"}),
        ),
        (
            "pump-1",
            "has-flow-sensor",
            "hasSensor",
            "sensor-flow-1",
            json!({}),
        ),
        (
            "bearing-1",
            "has-temp-sensor",
            "hasSensor",
            "sensor-temp-1",
            json!({}),
        ),
    ];
    for (src, id, name, target, mut props) in rels {
        if graph.relationship(src, id).is_err() {
            props["$relationshipName"] = json!(name);
            props["$targetId"] = json!(target);
            graph
                .put_relationship(src, id, props, true, None)
                .await
                .with_context(|| format!("creating relationship {id}"))?;
        }
    }
    Ok(())
}

/// `ferrotwin demo`. Unlike `serve`, which refuses a taken default MQTT
/// port, the demo moves to a free port and says so: a first run should not
/// fail because another broker already owns 1883.
pub async fn run(mut args: ServeArgs) -> anyhow::Result<()> {
    let default_mqtt: std::net::SocketAddr = "127.0.0.1:1883".parse().expect("literal");
    let default_http: std::net::SocketAddr = "127.0.0.1:8080".parse().expect("literal");
    if args.http.is_none()
        && !args.no_http
        && args.config.is_none()
        && std::env::var_os("FERROTWIN_HTTP").is_none()
        && std::net::TcpListener::bind(default_http).is_err()
    {
        let port = free_port()?;
        eprintln!("note: {default_http} is taken; the demo's HTTP listener uses {port} instead");
        args.http = Some(port);
    }
    if args.mqtt.is_none()
        && !args.no_mqtt
        && args.config.is_none()
        && std::net::TcpListener::bind(default_mqtt).is_err()
    {
        let port = free_port()?;
        eprintln!(
            "note: {default_mqtt} is taken (another MQTT broker?); the demo's MQTT endpoint uses {port} instead"
        );
        args.mqtt = Some(port);
    }
    // The simulator connects to the endpoint, so it needs a known port.
    let mut mqtt = Config::load(&args)?.mqtt;
    if let Some(a) = mqtt.filter(|a| a.port() == 0) {
        let port = std::net::SocketAddr::new(a.ip(), free_port()?.port());
        args.mqtt = Some(port);
        mqtt = Some(port);
    }
    // The web app's fault panel reaches the simulator through the server.
    let sim_api = free_port()?;
    if args.sim_api.is_none() {
        args.sim_api = Some(format!("http://{sim_api}"));
    }
    let token = match std::env::var("FERROTWIN_BOOTSTRAP_TOKEN") {
        Ok(t) if !t.is_empty() => t,
        _ => format!("demo-{}", uuid::Uuid::new_v4().simple()),
    };
    let bootstrap = token.clone();
    #[cfg_attr(not(feature = "opcua"), allow(unused_mut))]
    let mut cfg = Config::load(&args)?;
    // The mills speak OPC UA: the platform subscribes to the simulator's
    // server, which starts with the simulator (the client retries until then).
    #[cfg(feature = "opcua")]
    let opcua = match mqtt {
        Some(_) => {
            let (run, source) = opcua_source(free_port()?, cfg.data.join("opcua").join("pki"))?;
            cfg.opcua_sources.push(source);
            Some(run)
        }
        None => None,
    };
    #[cfg(not(feature = "opcua"))]
    let opcua: Option<ferrotwin_sim::run::OpcUaRun> = None;
    let prepare: serve::Prepare = Box::new(move |graph: Graph, base: String| {
        Box::pin(async move {
            seed(&graph).await?;
            let s = graph.stats();
            println!(
                "ferrotwin demo: {} models, {} twins, {} relationships loaded",
                s.models, s.twins, s.relationships
            );
            println!("admin token: {token}");
            println!("web app: {base}/ui/#token={token}");
            println!("try:");
            println!(
                "  curl -s -H 'Authorization: Bearer {token}' '{base}/digitaltwins/pump-1?api-version=2023-10-31'"
            );
            println!(
                "  curl -s -H 'Authorization: Bearer {token}' '{base}/digitaltwins/pump-1/relationships?api-version=2023-10-31'"
            );
            println!(
                "  curl -s -X PATCH -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \\"
            );
            println!(
                "       -d '[{{\"op\":\"replace\",\"path\":\"/status\",\"value\":\"maintenance\"}}]' '{base}/digitaltwins/pump-1?api-version=2023-10-31'"
            );
            println!("  curl -s '{base}/metrics'");
            match mqtt {
                Some(addr) => {
                    let protocols = match &opcua {
                        Some(o) => format!(
                            "the mills over OPC UA at opc.tcp://{}/, the rest over MQTT at {addr}",
                            o.listen
                        ),
                        None => format!("over MQTT at {addr}"),
                    };
                    let cfg = simulator(&base, &token, addr, sim_api, opcua)?;
                    println!(
                        "simulating {SIM_ASSETS}, {protocols}, 60x real time; pump-2's bearing wears out over two simulated days"
                    );
                    println!(
                        "  watch: curl -sN '{base}/events?access_token={token}&type=telemetry&twin=pump-2'"
                    );
                    // Simulated time runs ahead of the wall clock, so the
                    // range covers the two simulated days of the run, in 30-minute buckets.
                    let now = chrono::Utc::now();
                    let stamp = |t: chrono::DateTime<chrono::Utc>| {
                        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    };
                    println!(
                        "  history: curl -s -H 'Authorization: Bearer {token}' '{base}/history/twins/pump-2/aggregate?series=bearingTemperature&buckets=96&from={}&to={}'",
                        stamp(now - chrono::Duration::minutes(30)),
                        stamp(now + chrono::Duration::minutes(47 * 60 + 30))
                    );
                    println!(
                        "  analytics: curl -s -H 'Authorization: Bearer {token}' '{base}/analytics/twins/pump-2'   (RUL, anomaly scores)"
                    );
                    println!(
                        "  alerts and work orders (pump-2's bearing, within about half an hour): curl -s -H 'Authorization: Bearer {token}' '{base}/alerts'; curl -s ... '{base}/workorders'"
                    );
                    tokio::spawn(async move {
                        if let Err(e) = ferrotwin_sim::run::run(cfg, serve::shutdown_signal()).await
                        {
                            eprintln!("error: the demo's simulator stopped: {e}");
                        }
                    });
                }
                None => println!("no MQTT endpoint (--no-mqtt), so no simulated machines"),
            }
            Ok(())
        })
    });
    serve::run_config(cfg, Some(prepare), Some(bootstrap)).await
}

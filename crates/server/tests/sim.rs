//! The virtual factory end to end: `ferrotwin sim run` against a real
//! server, over its REST API and MQTT endpoint; telemetry and property
//! reports arrive in the twins, and an injected fault shows in the ground
//! truth and in the data.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{ADMIN, Server, bin, call, start_sim};

/// Telemetry CloudEvents of one twin over SSE.
fn telemetry(server: &Server, twin: &str) -> impl Iterator<Item = Value> {
    let url = format!(
        "{}/events?access_token={ADMIN}&type=telemetry&twin={twin}",
        server.base
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let resp = agent.get(&url).call().unwrap();
    BufReader::new(resp.into_body().into_reader())
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| {
            l.strip_prefix("data: ")
                .and_then(|d| serde_json::from_str(d).ok())
        })
}

/// Simulated seconds of an event, from its source time and the run's start.
fn sim_secs(e: &Value) -> f64 {
    let t = chrono::DateTime::parse_from_rfc3339(e["time"].as_str().unwrap()).unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap();
    (t - start).num_milliseconds() as f64 / 1000.0
}

#[test]
fn simulated_pump_streams_and_an_injected_fault_shows_in_truth_and_data() {
    let dir = tempfile::tempdir().unwrap();
    let (server, mqtt) = Server::start_mqtt(dir.path(), &[]);
    let mut events = telemetry(&server, "pump-1");
    let (_sim, api) = start_sim(
        &server,
        &mqtt,
        "127.0.0.1:0",
        &[
            "--seed",
            "3",
            "--speed",
            "600",
            "--sample",
            "60",
            "--assets",
            "pump:1,cnc:1,line:1",
            "--props-every",
            "2",
        ],
    );
    // Telemetry arrives through MQTT, with physically sensible values.
    let first = events.next().expect("a telemetry event");
    assert_eq!(first["subject"], "pump-1");
    assert_eq!(first["dataschema"], "dtmi:ferrotwin:manufacturing:Pump;1");
    let flow = first["data"]["flow"].as_f64().unwrap();
    assert!((35.0..55.0).contains(&flow), "flow {flow}");
    // Property reports change the twins.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (s, pump) = server.admin("GET", "/digitaltwins/pump-1", None);
        let (_, cnc) = server.admin("GET", "/digitaltwins/cnc-1", None);
        assert_eq!(s, 200);
        if pump["operatingHours"].as_f64().unwrap_or(0.0) > 0.0
            && cnc["partCount"].as_i64().unwrap_or(0) > 0
        {
            assert_eq!(pump["status"], "running");
            assert!(pump["bpfoHz"].as_f64().unwrap() > 100.0);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no property change: {pump} {cnc}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // The line comes after its machines, and still gets its relationships.
    let (s, r) = server.admin("GET", "/digitaltwins/line-1/relationships/has-pump-1", None);
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["$targetId"], "pump-1");
    // Bad faults are refused with the reason.
    let (s, e) = call(
        &api,
        None,
        "POST",
        "/faults",
        Some(&json!({"asset": "pump-1", "kind": "melt"})),
        &[],
    );
    assert_eq!(s, 400, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("melt"),
        "{e}"
    );
    let (s, _) = call(
        &api,
        None,
        "POST",
        "/faults",
        Some(&json!({"asset": "pump-9", "kind": "imbalance"})),
        &[],
    );
    assert_eq!(s, 404);
    let (s, e) = call(
        &api,
        None,
        "POST",
        "/faults",
        Some(&json!({"asset": "pump-1", "kind": "tool_breakage"})),
        &[],
    );
    assert_eq!(s, 400, "{e}");
    // A real fault: full imbalance from now.
    let (s, f) = call(
        &api,
        None,
        "POST",
        "/faults",
        Some(&json!({"asset": "pump-1", "kind": "imbalance", "severity": 1.0})),
        &[],
    );
    assert_eq!(s, 201, "{f}");
    let (_, truth) = call(&api, None, "GET", "/truth", None, &[]);
    let pump = truth["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "pump-1")
        .unwrap()
        .clone();
    assert_eq!(pump["faults"][0]["kind"], "imbalance");
    let start = pump["faults"][0]["start_secs"].as_f64().unwrap();
    assert!(start > 0.0);
    // In the data: 1x vibration rises from the fault's start, not before.
    let mut seen = 0;
    for e in events.by_ref() {
        let t = sim_secs(&e);
        let v1x = e["data"]["vib1x"].as_f64().unwrap();
        if t < start {
            assert!(v1x < 1.5, "1x {v1x} at {t} s before the fault at {start} s");
        } else if t > start + 60.0 {
            assert!(v1x > 4.0, "1x {v1x} at {t} s after the fault at {start} s");
            seen += 1;
            if seen == 3 {
                break;
            }
        }
    }
    assert_eq!(seen, 3);
}

#[test]
fn sim_run_refuses_bad_options_with_the_reason() {
    let out = Command::new(bin())
        .args(["sim", "run", "--token", "x", "--assets", "pump:2,boiler:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown asset kind `boiler`"), "{err}");
    let out = Command::new(bin())
        .args([
            "sim",
            "run",
            "--token",
            "x",
            "--fault",
            "pump-1:bearing_wear:3",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("severity must be between 0 and 1"), "{err}");
}

/// The mill speaks OPC UA: the simulator serves its variables, the
/// platform subscribes with the `[[opcua_source]]` section the simulator
/// writes, and telemetry, property reports and an injected tool breakage
/// reach the twin through the real protocol.
#[cfg(feature = "opcua")]
#[test]
fn simulated_mill_over_opc_ua_streams_into_its_twin_and_shows_a_fault() {
    use ferrotwin_sim::run::opcua;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    // The section the platform needs, from the same plant as the run's.
    let plant = ferrotwin_sim::Plant::new(
        &ferrotwin_sim::PlantConfig::default(),
        &ferrotwin_sim::parse_assets("cnc:1").unwrap(),
    )
    .unwrap();
    let maps = opcua::node_maps(&plant, &opcua::select(&plant, &["cnc".into()]).unwrap());
    let section = opcua::source_toml("simulator", &format!("opc.tcp://{listen}/"), &maps);
    let config = dir.path().join("ferrotwin.toml");
    std::fs::write(&config, &section).unwrap();
    let server = Server::start(
        &dir.path().join("data"),
        &["--config", config.to_str().unwrap()],
    );
    let mut events = telemetry(&server, "cnc-1");
    let written = dir.path().join("written.toml");
    let (_sim, api) = start_sim(
        &server,
        "127.0.0.1:9",
        "127.0.0.1:0",
        &[
            "--speed",
            "60",
            "--sample",
            "2",
            "--assets",
            "cnc:1",
            "--opcua-assets",
            "cnc",
            "--opcua",
            &listen,
            "--opcua-config",
            written.to_str().unwrap(),
        ],
    );
    // The simulator writes the same section for a user to paste.
    assert_eq!(std::fs::read_to_string(&written).unwrap(), section);
    // Each variable's changes arrive as telemetry stamped with simulated time.
    let mut load = None;
    for e in events.by_ref().take(200) {
        assert_eq!(e["subject"], "cnc-1");
        assert!(sim_secs(&e) >= 0.0 && sim_secs(&e) < 86_400.0, "{e}");
        if let Some(v) = e["data"]["spindleLoad"].as_f64() {
            load = Some(v);
            break;
        }
    }
    let load = load.expect("spindleLoad telemetry over OPC UA");
    assert!((0.0..150.0).contains(&load), "spindle load {load}");
    // Property reports: the Int64 part counter lands in the `long` property.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (s, cnc) = server.admin("GET", "/digitaltwins/cnc-1", None);
        assert_eq!(s, 200);
        if cnc["partCount"].as_i64().unwrap_or(0) > 0 {
            assert_eq!(cnc["status"], "running", "{cnc}");
            break;
        }
        assert!(Instant::now() < deadline, "no part counted: {cnc}");
        std::thread::sleep(Duration::from_millis(200));
    }
    // A tool breakage through the simulator's API: the load spikes in
    // the data, and the twin's status turns to fault.
    let (s, f) = call(
        &api,
        None,
        "POST",
        "/faults",
        Some(&json!({"asset": "cnc-1", "kind": "tool_breakage", "severity": 1.0})),
        &[],
    );
    assert_eq!(s, 201, "{f}");
    let (_, truth) = call(&api, None, "GET", "/truth", None, &[]);
    let start = truth["assets"][0]["faults"][0]["start_secs"]
        .as_f64()
        .unwrap();
    let mut spike = None;
    for e in events.by_ref() {
        let t = sim_secs(&e);
        if let Some(v) = e["data"]["spindleLoad"].as_f64()
            && t >= start
        {
            if v > 200.0 {
                spike = Some(t);
                break;
            }
            assert!(
                t < start + 30.0,
                "no load spike within 30 s of the breakage at {start} s"
            );
        }
    }
    assert!(spike.is_some());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, cnc) = server.admin("GET", "/digitaltwins/cnc-1", None);
        if cnc["status"] == "fault" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the twin never showed the fault: {cnc}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(feature = "opcua")]
#[test]
fn sim_run_refuses_an_opcua_asset_it_does_not_simulate() {
    let out = Command::new(bin())
        .args([
            "sim",
            "run",
            "--token",
            "x",
            "--server",
            "http://127.0.0.1:9",
            "--assets",
            "pump:1",
            "--opcua-assets",
            "cnc",
            "--opcua",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`cnc` is neither an asset of this run (pump-1)"),
        "{err}"
    );
}

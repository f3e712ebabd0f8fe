//! OPC UA servers (`[[opcua_source]]`, `ferrotwin opcua browse`) against a
//! real one: `tests/opcua/machine.py`, a simulated machine on the Python
//! `asyncua` package, run from the virtualenv `scripts/test` sets up
//! (`FERROTWIN_PYTHON`, else `.venv/bin/python` at the workspace root).

#![cfg(feature = "opcua")]

mod support;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{ADMIN, Server, bin};

/// Warnings, plus the connectors' info lines (subscription created).
const LOG: &str = "warn,ferrotwin_connect=info";

/// A Python with asyncua, or None after saying why (a failure under CI).
fn python() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = std::env::var_os("FERROTWIN_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".venv/bin/python"));
    let ok = Command::new(&python)
        .args(["-c", "import asyncua"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(python);
    }
    let why = format!(
        "{} cannot import asyncua (run scripts/test, or: python3 -m venv .venv && .venv/bin/pip install -r tests/opcua/requirements.txt)",
        python.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{why}");
    }
    eprintln!("skipped: {why}");
    None
}

/// `tests/opcua/machine.py` on a port of its own, killed when dropped.
struct Machine {
    child: Child,
    python: PathBuf,
    port: u16,
    certs: PathBuf,
}

impl Machine {
    fn start(python: &Path, dir: &Path) -> Machine {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let certs = dir.join("machine-certs");
        let child = Machine::spawn(python, port, &certs, 0);
        Machine {
            child,
            python: python.to_path_buf(),
            port,
            certs,
        }
    }

    /// Runs the machine and waits for its ready line.
    fn spawn(python: &Path, port: u16, certs: &Path, speed_start: i64) -> Child {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/opcua/machine.py");
        let mut child = Command::new(python)
            .arg(script)
            .args([
                "--port",
                &port.to_string(),
                "--speed-start",
                &speed_start.to_string(),
            ])
            .arg("--certs")
            .arg(certs)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the OPC UA machine");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let ready = lines
                .by_ref()
                .map_while(Result::ok)
                .any(|l| l.starts_with("ready "));
            let _ = tx.send(ready);
            for _ in lines {}
        });
        let ready = rx.recv_timeout(Duration::from_secs(60)).unwrap_or(false);
        assert!(ready, "the OPC UA machine did not start on port {port}");
        child
    }

    fn url(&self) -> String {
        format!("opc.tcp://127.0.0.1:{}/ferrotwin/machine", self.port)
    }

    /// SIGKILL, as a crash would, then the same machine on the same port,
    /// its speed counting from `speed_start`.
    fn restart(&mut self, speed_start: i64) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        std::thread::sleep(Duration::from_secs(2));
        self.child = Machine::spawn(&self.python, self.port, &self.certs, speed_start);
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A model with what the machine offers.
fn machine_model() -> Value {
    json!([{
        "@context": "dtmi:dtdl:context;3", "@id": "dtmi:test:OpcMachine;1", "@type": "Interface",
        "contents": [
            {"@type": "Telemetry", "name": "temperature", "schema": "double"},
            {"@type": "Telemetry", "name": "speed", "schema": "integer"},
            {"@type": "Telemetry", "name": "sensor", "schema": "double"},
            {"@type": "Property", "name": "running", "schema": "boolean", "writable": true},
            {"@type": "Property", "name": "state", "schema": "string", "writable": true},
            {"@type": "Command", "name": "setSpeed",
             "request": {"name": "speed", "schema": "integer"},
             "response": {"name": "previous", "schema": "integer"}},
            {"@type": "Command", "name": "setSpeedWide",
             "request": {"name": "speed", "schema": "long"},
             "response": {"name": "previous", "schema": "integer"}}
        ]
    }])
}

/// A ferrotwin whose config is `sources`, with the model and twin `press`.
fn ferrotwin(dir: &Path, sources: &str) -> Server {
    let conf = dir.join("ferrotwin.toml");
    std::fs::write(&conf, sources).unwrap();
    let server = Server::start(
        &dir.join("data"),
        &["--config", conf.to_str().unwrap(), "--log", LOG],
    );
    assert_eq!(
        server.admin("POST", "/models", Some(&machine_model())).0,
        201
    );
    let twin = json!({"$metadata": {"$model": "dtmi:test:OpcMachine;1"}});
    assert_eq!(
        server.admin("PUT", "/digitaltwins/press", Some(&twin)).0,
        200
    );
    server
}

/// The live telemetry stream.
fn stream(server: &Server) -> BufReader<impl Read> {
    let url = format!("{}/events?access_token={ADMIN}&type=telemetry", server.base);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    BufReader::new(agent.get(&url).call().unwrap().into_body().into_reader())
}

/// Reads telemetry CloudEvents until `done` says so; panics after 40 s.
fn until(server: &Server, events: &mut impl BufRead, mut done: impl FnMut(&Value) -> bool) {
    let t0 = Instant::now();
    let mut line = String::new();
    loop {
        assert!(
            t0.elapsed() < Duration::from_secs(40),
            "not seen in time; server log:\n{}",
            server.stderr.lock().unwrap()
        );
        line.clear();
        if events.read_line(&mut line).map_or(true, |n| n == 0) {
            panic!(
                "the stream ended; server log:\n{}",
                server.stderr.lock().unwrap()
            );
        }
        let Some(d) = line.trim_end().strip_prefix("data: ") else {
            continue;
        };
        let ce: Value = serde_json::from_str(d).unwrap();
        if ce["type"] == "microsoft.iot.telemetry" && done(&ce) {
            return;
        }
    }
}

/// Waits until the server log has `text`.
fn logged(server: &Server, text: &str) {
    let found = support::wait_for(40, || {
        server.stderr.lock().unwrap().contains(text).then_some(())
    });
    assert!(
        found.is_some(),
        "no '{text}' in the log:\n{}",
        server.stderr.lock().unwrap()
    );
}

#[test]
fn machine_values_reach_the_twin_scaled_and_refusals_are_kept() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let machine = Machine::start(&python, dir.path());
    let url = machine.url();
    let server = ferrotwin(
        dir.path(),
        &format!(
            r#"
[[opcua_source]]
name = "plant"
url = "{url}"
publishing_interval_ms = 100
nodes = [
  # Celsius to Fahrenheit.
  {{ node_id = "ns=2;s=Machine.Temperature", twin = "press", kind = "telemetry", name = "temperature", scale = 1.8, offset = 32.0, sampling_interval_ms = 50 }},
  {{ node_id = "ns=2;s=Machine.Speed", twin = "press", kind = "telemetry", name = "speed" }},
  # By namespace URI, resolved against the server's namespace array.
  {{ node_id = "nsu=urn:ferrotwin:test-machine;s=Machine.Running", twin = "press", kind = "properties", name = "running" }},
  {{ node_id = "ns=2;s=Machine.State", twin = "press", kind = "properties", name = "state" }},
  # Left out, logged: a namespace the server does not have.
  {{ node_id = "nsu=urn:nowhere;s=Machine.Speed", twin = "press", kind = "telemetry", name = "speed" }},
  # Refused: a Bad status, an unknown twin, a scaled boolean, a string for
  # an integer telemetry and for a boolean property.
  {{ node_id = "ns=2;s=Machine.Sensor", twin = "press", kind = "telemetry", name = "sensor" }},
  {{ node_id = "ns=2;s=Machine.Speed", twin = "ghost", kind = "telemetry", name = "speed" }},
  {{ node_id = "ns=2;s=Machine.Running", twin = "press", kind = "telemetry", name = "temperature", scale = 2.0 }},
  {{ node_id = "ns=2;s=Machine.State", twin = "press", kind = "telemetry", name = "speed" }},
  {{ node_id = "ns=2;s=Machine.State", twin = "press", kind = "properties", name = "running" }},
]
"#
        ),
    );
    logged(&server, "OPC UA subscription created");
    logged(&server, "the server has no namespace urn:nowhere");
    let mut events = stream(&server);
    let (mut temperature, mut speed) = (None, None);
    until(&server, &mut events, |ce| {
        assert_eq!(ce["subject"], "press", "{ce}");
        // The source timestamp travels as the event's time.
        assert!(
            ce["time"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{ce}"
        );
        if let Some(t) = ce["data"]["temperature"].as_f64() {
            temperature = Some(t);
        }
        if let Some(s) = ce["data"]["speed"].as_i64() {
            assert!(
                ce["data"]["speed"].is_i64(),
                "unscaled integers stay integers: {ce}"
            );
            speed = Some(s);
        }
        temperature.is_some() && speed.is_some()
    });
    // 60 ± 5 °C is 131 to 149 °F.
    let t = temperature.unwrap();
    assert!(
        (130.9..=149.1).contains(&t),
        "temperature {t} was not scaled"
    );

    let twin = support::wait_for(20, || {
        let (_, twin) = server.admin("GET", "/digitaltwins/press", None);
        (twin["running"].is_boolean() && twin["state"].is_string()).then_some(twin)
    })
    .unwrap_or_else(|| panic!("no properties; log:\n{}", server.stderr.lock().unwrap()));
    let state = twin["state"].as_str().unwrap();
    assert!(["running", "stopped"].contains(&state), "{twin}");

    // Each refusal is a dead letter with its source, twin, kind and reason.
    for (node, name, reason) in [
        ("ns=2;s=Machine.Sensor", "sensor", "BadSensorFailure"),
        ("ns=2;s=Machine.Speed", "speed", "twin not found: ghost"),
        ("ns=2;s=Machine.Running", "temperature", "not a number"),
        ("ns=2;s=Machine.State", "speed", "telemetry 'speed'"),
        ("ns=2;s=Machine.State", "running", "running"),
    ] {
        let source = format!("opcua name=plant node={node}");
        let letter = support::wait_for(20, || {
            let (status, body) = server.admin(
                "GET",
                &format!("/deadletters?source={}", encode(&source)),
                None,
            );
            assert_eq!(status, 200, "{body}");
            body["value"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| {
                    l["reason"].as_str().unwrap().contains(reason)
                        && l["payload"].get(name).is_some()
                })
                .cloned()
        })
        .unwrap_or_else(|| {
            panic!(
                "no dead letter from {source} for '{reason}'; log:\n{}",
                server.stderr.lock().unwrap()
            )
        });
        assert_eq!(letter["source"], source, "{letter}");
        let twin = if reason.contains("ghost") {
            "ghost"
        } else {
            "press"
        };
        assert_eq!(letter["twinId"], twin, "{letter}");
    }
    // A Bad status carries no value.
    let (_, body) = server.admin(
        "GET",
        &format!(
            "/deadletters?source={}",
            encode("node=ns=2;s=Machine.Sensor")
        ),
        None,
    );
    let letter = &body["value"][0];
    assert_eq!(letter["kind"], "telemetry", "{letter}");
    assert_eq!(letter["payload"]["sensor"], Value::Null, "{letter}");
    assert!(letter["payload"]["$ts"].is_string(), "{letter}");
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn username_login_over_basic256sha256_sign_and_encrypt() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let machine = Machine::start(&python, dir.path());
    // The operator trusts the machine's certificate by putting it in the
    // trusted folder, under any name.
    let pki = dir.path().join("pki");
    std::fs::create_dir_all(pki.join("trusted")).unwrap();
    std::fs::copy(
        machine.certs.join("server-cert.der"),
        pki.join("trusted/machine.der"),
    )
    .unwrap();
    let url = machine.url();
    let pki = pki.display();
    let server = ferrotwin(
        dir.path(),
        &format!(
            r#"
[[opcua_source]]
name = "secure"
url = "{url}"
security_policy = "Basic256Sha256"
security_mode = "SignAndEncrypt"
username = "operator"
password = "secret"
pki_dir = "{pki}"
publishing_interval_ms = 100
nodes = [{{ node_id = "ns=2;s=Machine.Speed", twin = "press", kind = "telemetry", name = "speed" }}]

[[opcua_source]]
name = "wrong-password"
url = "{url}"
username = "operator"
password = "not-it"
pki_dir = "{pki}"
nodes = [{{ node_id = "ns=2;s=Machine.Speed", twin = "press", kind = "telemetry", name = "speed" }}]
"#
        ),
    );
    let mut events = stream(&server);
    until(&server, &mut events, |ce| ce["data"]["speed"].is_i64());
    logged(
        &server,
        "the server refused the login (BadUserAccessDenied)",
    );
    // ferrotwin's own certificate was made on first use.
    assert!(dir.path().join("pki/own/cert.der").exists());
}

#[test]
fn the_subscription_comes_back_after_the_server_restarts() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut machine = Machine::start(&python, dir.path());
    let url = machine.url();
    let server = ferrotwin(
        dir.path(),
        &format!(
            r#"
[[opcua_source]]
name = "plant"
url = "{url}"
publishing_interval_ms = 100
nodes = [{{ node_id = "ns=2;s=Machine.Speed", twin = "press", kind = "telemetry", name = "speed" }}]
"#
        ),
    );
    let mut events = stream(&server);
    until(&server, &mut events, |ce| ce["data"]["speed"].is_i64());
    // The new process counts from a million, so its values are told apart.
    machine.restart(1_000_000);
    until(&server, &mut events, |ce| {
        ce["data"]["speed"].as_i64().is_some_and(|s| s >= 1_000_000)
    });
    logged(&server, "OPC UA connection lost");
    logged(&server, "OPC UA session back; subscriptions restored");
}

#[test]
fn a_bad_opcua_source_is_refused_at_start_naming_source_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("f.toml");
    let node = r#"{ node_id = "ns=2;s=M.T", twin = "press", kind = "telemetry", name = "t" }"#;
    for (source, expected) in [
        (
            format!(
                "name = \"line\"\nurl = \"opc.tcp://127.0.0.1:4840\"\nnodes = [{}]",
                node.replace("ns=2;s=M.T", "ns=two;s=M.T")
            ),
            "opcua_source 'line': nodes[0] (ns=two;s=M.T): 'ns=two;s=M.T' is not a node id",
        ),
        (
            format!(
                "name = \"line\"\nurl = \"opc.tcp://127.0.0.1:4840\"\nsecurity_mode = \"SignAndEncrypt\"\nnodes = [{node}]"
            ),
            "opcua_source 'line': security_mode SignAndEncrypt needs a security_policy",
        ),
        (
            format!(
                "name = \"line\"\nurl = \"opc.tcp://127.0.0.1:4840\"\nnodes = [{}]",
                node.replace("}", ", scale = inf }")
            ),
            "opcua_source 'line': nodes[0] (ns=2;s=M.T): scale must be a finite number",
        ),
    ] {
        std::fs::write(&conf, format!("[[opcua_source]]\n{source}\n")).unwrap();
        let out = Command::new(bin())
            .args(["serve", "--no-mqtt", "--http", "127.0.0.1:0", "--config"])
            .arg(&conf)
            .arg("--data")
            .arg(dir.path().join("data"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "started with {source}");
        assert!(err.contains(expected), "expected '{expected}' in: {err}");
    }
}

#[test]
fn browse_prints_the_machine_variables() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let machine = Machine::start(&python, dir.path());
    let out = Command::new(bin())
        .args(["opcua", "browse", &machine.url(), "--depth", "2", "--data"])
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("\n2:Machine [Object] ns=2;s=Machine\n"),
        "{text}"
    );
    for line in [
        "  2:Temperature [Variable] ns=2;s=Machine.Temperature Double = ",
        "  2:Speed [Variable] ns=2;s=Machine.Speed Int32 = ",
        "  2:Running [Variable] ns=2;s=Machine.Running Boolean = ",
        "  2:State [Variable] ns=2;s=Machine.State String = \"",
        "  2:Sensor [Variable] ns=2;s=Machine.Sensor Double = (BadSensorFailure)",
        "  2:SetSpeed [Method] ns=2;s=Machine.SetSpeed",
    ] {
        assert!(text.contains(line), "no '{line}' in:\n{text}");
    }
    // Below a given node, with a login.
    let out = Command::new(bin())
        .args([
            "opcua",
            "browse",
            &machine.url(),
            "--node",
            "ns=2;s=Machine",
            "--depth",
            "1",
        ])
        .args(["--username", "operator", "--password", "secret", "--data"])
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("2:Temperature [Variable]"), "{text}");
    assert!(
        !text.contains("InputArguments"),
        "--depth 1 went deeper: {text}"
    );
}

#[test]
fn a_twin_command_calls_the_machine_method() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let machine = Machine::start(&python, dir.path());
    let url = machine.url();
    let server = ferrotwin(
        dir.path(),
        &format!(
            r#"
[[opcua_source]]
name = "plant"
url = "{url}"
commands = [
  {{ twin = "press", command = "setSpeed", object_id = "ns=2;s=Machine", method_id = "ns=2;s=Machine.SetSpeed" }},
  {{ twin = "press", command = "setSpeedWide", object_id = "ns=2;s=Machine", method_id = "ns=2;s=Machine.SetSpeed" }},
]
"#
        ),
    );
    // The session opens in the background; until then the device is not connected.
    let (status, first) = support::wait_for(30, || {
        let (s, body) = server.admin(
            "POST",
            "/digitaltwins/press/commands/setSpeed",
            Some(&json!(5)),
        );
        (s != 404).then_some((s, body))
    })
    .unwrap_or_else(|| panic!("never connected; log:\n{}", server.stderr.lock().unwrap()));
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["status"], 200, "{first}");
    assert!(first["payload"].is_i64(), "the previous speed: {first}");
    // The method set the speed to 5; the machine counts on from there.
    let (status, second) = server.admin(
        "POST",
        "/digitaltwins/press/commands/setSpeed",
        Some(&json!(7)),
    );
    assert_eq!(status, 200, "{second}");
    let previous = second["payload"].as_i64().unwrap();
    assert!((5..5 + 600).contains(&previous), "{second}");
    // An argument that does not fit the method's Int32 is refused, not cut.
    let (status, wide) = server.admin(
        "POST",
        "/digitaltwins/press/commands/setSpeedWide",
        Some(&json!(3_000_000_000u64)),
    );
    assert_eq!(status, 200, "{wide}");
    assert_eq!(wide["status"], 400, "{wide}");
    assert_eq!(
        wide["payload"]["statusCode"], "BadInvalidArgument",
        "{wide}"
    );
    assert!(
        wide["payload"]["message"]
            .as_str()
            .unwrap()
            .contains("does not fit Int32"),
        "{wide}"
    );
    // Every call is in the audit log with the device's status.
    let (_, log) = server.admin("GET", "/audit?twinId=press", None);
    let entries = log["value"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["name"] == "setSpeed" && e["request"] == 7 && e["deviceStatus"] == 200),
        "{log}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["name"] == "setSpeedWide" && e["deviceStatus"] == 400),
        "{log}"
    );
}

//! Starts the real `ferrotwin` binary on a free port and talks HTTP to it.

#![allow(dead_code)]

pub mod webhook;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use mqtt5::{ConnectOptions, MqttClient, ProtocolVersion};
use serde_json::Value;

/// The admin token every test server accepts.
pub const ADMIN: &str = "test-admin-token";

/// A server process with its own data directory.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub data: PathBuf,
    pub stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ferrotwin")
}

impl Server {
    /// Starts `ferrotwin serve` on `data` with extra arguments, MQTT off.
    pub fn start(data: &Path, extra: &[&str]) -> Server {
        Server::spawn(data, &["--no-mqtt"], extra, &[]).0
    }

    /// Starts `ferrotwin serve` with the MQTT endpoint on a free port;
    /// returns the server and the MQTT address (`127.0.0.1:PORT`).
    pub fn start_mqtt(data: &Path, extra: &[&str]) -> (Server, String) {
        let (server, mut addrs) = Server::start_listening(data, extra, &["mqtt"]);
        (server, addrs.remove(0))
    }

    /// Starts `ferrotwin serve` with MQTT on a free port and `extra`
    /// arguments, and waits until it announced the HTTP address and one
    /// address for each of `schemes` (e.g. `mqtt`, `mqtts`, `https`),
    /// returned in that order without the scheme.
    pub fn start_listening(data: &Path, extra: &[&str], schemes: &[&str]) -> (Server, Vec<String>) {
        Server::spawn(data, &["--mqtt", "127.0.0.1:0"], extra, schemes)
    }

    /// Spawns the server and reads its `listening on` lines until the HTTP
    /// address and one address for each of `schemes` have appeared.
    fn spawn(
        data: &Path,
        listeners: &[&str],
        extra: &[&str],
        schemes: &[&str],
    ) -> (Server, Vec<String>) {
        // Warnings only, unless the test asks for its own `--log` filter.
        let log: &[&str] = if extra.contains(&"--log") {
            &[]
        } else {
            &["--log", "warn"]
        };
        let mut child = Command::new(bin())
            .args(["serve", "--http", "127.0.0.1:0"])
            .args(log)
            .args(listeners)
            .arg("--data")
            .arg(data)
            .args(extra)
            .env("FERROTWIN_BOOTSTRAP_TOKEN", ADMIN)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting ferrotwin");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let err_pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err_pipe).lines().map_while(Result::ok) {
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut base = None;
        let mut found: Vec<Option<String>> = vec![None; schemes.len()];
        while base.is_none() || found.iter().any(Option::is_none) {
            let l = match lines.next() {
                Some(Ok(l)) => l,
                _ => panic!("server exited before listening: {}", stderr.lock().unwrap()),
            };
            let Some(url) = l.strip_prefix("listening on ") else {
                continue;
            };
            if url.starts_with("http://") {
                base = Some(url.to_string());
            }
            for (i, s) in schemes.iter().enumerate() {
                if let Some(a) = url.strip_prefix(&format!("{s}://")) {
                    found[i] = Some(a.to_string());
                }
            }
        }
        std::thread::spawn(move || for _ in lines {});
        let server = Server {
            child,
            base: base.unwrap(),
            data: data.to_path_buf(),
            stderr,
        };
        (server, found.into_iter().map(Option::unwrap).collect())
    }

    /// Sends a request with a token; returns status and parsed body (Null when empty).
    pub fn call(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        call(&self.base, token, method, path, body, &[])
    }

    /// As admin.
    pub fn admin(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        self.call(Some(ADMIN), method, path, body)
    }

    /// SIGKILL, as a crash would.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM and wait; returns the exit code.
    pub fn stop(mut self) -> i32 {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap().code().unwrap_or(-1)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates an API token with the CLI while a server may run; `extra` are more
/// `token create` flags (`--name`, `--expires-in`). Returns the token.
pub fn token(data: &Path, role: &str, extra: &[&str]) -> String {
    let out = Command::new(bin())
        .args(["token", "create", "--role", role, "--data"])
        .arg(data)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string()
}

/// Calls `probe` until it returns something or `secs` pass; None on timeout.
pub fn wait_for<T>(secs: u64, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = probe() {
            return Some(v);
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// One HTTP request with optional headers.
pub fn call(
    base: &str,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let sep = if path.contains('?') { '&' } else { '?' };
    let url = format!("{base}{path}{sep}api-version=2023-10-31");
    let mut req = ureq::http::Request::builder()
        .method(method)
        .uri(&url)
        .header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(body.map(|b| b.to_string()).unwrap_or_default())
        .unwrap();
    let mut resp = agent.run(req).expect("request");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        },
    )
}

/// A simple model: a counter, a name, a relationship to itself, and the
/// telemetry the device tests send (`temperature`, `seq`).
pub fn counter_model() -> Value {
    serde_json::json!([{
        "@context": "dtmi:dtdl:context;3", "@id": "dtmi:test:Counter;1", "@type": "Interface",
        "contents": [
            {"@type": "Telemetry", "name": "temperature", "schema": "double"},
            {"@type": "Telemetry", "name": "seq", "schema": "long"},
            {"@type": "Property", "name": "n", "schema": "long", "writable": true},
            {"@type": "Property", "name": "name", "schema": "string", "writable": true},
            {"@type": "Relationship", "name": "next", "target": "dtmi:test:Counter;1", "maxMultiplicity": 2}
        ]
    }])
}

/// `ferrotwin device create`: returns (username, password).
pub fn create_device(server: &Server, twins: &[&str]) -> (String, String) {
    let mut cmd = Command::new(bin());
    cmd.args(["device", "create", "--data"]).arg(&server.data);
    for t in twins {
        cmd.args(["--twin", t]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k))
            .unwrap_or_else(|| panic!("no {k} in {text}"))
            .trim()
            .to_string()
    };
    (field("username:"), field("password:"))
}

/// An MQTT client logged in with `user`/`password` at `addr`, without
/// automatic reconnect.
pub async fn connect(
    addr: &str,
    version: ProtocolVersion,
    user: &str,
    password: &str,
) -> Result<MqttClient, String> {
    let id = format!("c-{}", uuid::Uuid::new_v4().simple());
    let client = MqttClient::new(id.clone());
    let opts = ConnectOptions::new(id)
        .with_credentials(user, password.as_bytes())
        .with_protocol_version(version)
        .with_automatic_reconnect(false);
    client
        .connect_with_options(&format!("mqtt://{addr}"), opts)
        .await
        .map(|_| client)
        .map_err(|e| e.to_string())
}

/// Reads SSE `data:` lines of `cloudevent` events until one arrives.
pub fn next_cloudevent(reader: &mut impl BufRead) -> Value {
    let (mut event, mut line) = (String::new(), String::new());
    loop {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "stream ended early"
        );
        let l = line.trim_end();
        if let Some(e) = l.strip_prefix("event: ") {
            event = e.to_string();
        } else if let Some(d) = l.strip_prefix("data: ")
            && event == "cloudevent"
        {
            return serde_json::from_str(d).unwrap();
        }
    }
}

/// A running `ferrotwin sim run`, killed when dropped.
pub struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the simulator against `server` with its API on `api` (port 0 picks
/// one) and simulated time from 2026-01-01; returns it and its API's address.
pub fn start_sim(server: &Server, mqtt: &str, api: &str, args: &[&str]) -> (Sim, String) {
    let mut child = Command::new(bin())
        .args([
            "sim",
            "run",
            "--server",
            &server.base,
            "--token",
            ADMIN,
            "--mqtt",
            mqtt,
        ])
        .args([
            "--api",
            api,
            "--progress",
            "0",
            "--start",
            "2026-01-01T00:00:00Z",
        ])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting the simulator");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let api = loop {
        match lines.next() {
            Some(Ok(l)) => {
                if let Some(a) = l.strip_prefix("simulator API on ") {
                    break a.to_string();
                }
            }
            _ => panic!("the simulator exited before serving its API"),
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (Sim(child), api)
}

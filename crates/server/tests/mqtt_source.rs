//! External MQTT brokers (`[[mqtt_source]]`): the Mosquitto service on
//! 127.0.0.1:1883, and a private Mosquitto the test kills and restarts
//! mid-stream, with every QoS 1 message arriving in the twin's stream.

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mqtt5::{ConnectOptions, MqttClient};
use serde_json::json;
use support::{ADMIN, Server, counter_model};

/// Warnings, plus the connectors' info lines (subscribed, connected).
const LOG: &str = "warn,ferrotwin_connect=info";

/// Whether something accepts TCP connections on `port`.
fn listening(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(300))
        .is_ok()
}

/// Skips (prints why) unless CI=true, where a missing service fails.
fn service_or_skip(port: u16, what: &str) -> bool {
    if listening(port) {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{what} is not running on 127.0.0.1:{port}");
    }
    eprintln!("skipped: {what} is not running on 127.0.0.1:{port}");
    false
}

/// A Mosquitto of the test's own, persisting its sessions in `dir`.
struct Mosquitto {
    child: Child,
    conf: std::path::PathBuf,
    port: u16,
}

impl Mosquitto {
    fn start(dir: &Path) -> Option<Mosquitto> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Mosquitto started as root drops to its own user, which must be
        // able to write the session database.
        let dir = dir.join("broker");
        std::fs::create_dir(&dir).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {}/\n",
                dir.display()
            ),
        )
        .unwrap();
        let child = Mosquitto::spawn(&conf)?;
        let m = Mosquitto { child, conf, port };
        m.wait_listening();
        Some(m)
    }

    fn spawn(conf: &Path) -> Option<Child> {
        match Command::new("mosquitto")
            .arg("-c")
            .arg(conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => Some(c),
            Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
                eprintln!("skipped: cannot run mosquitto: {e}");
                None
            }
            Err(e) => panic!("cannot run mosquitto: {e}"),
        }
    }

    fn wait_listening(&self) {
        let t0 = Instant::now();
        while !listening(self.port) {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "mosquitto did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM (Mosquitto saves its sessions), then the same broker again.
    fn restart(&mut self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap();
        self.child = Mosquitto::spawn(&self.conf).unwrap();
        self.wait_listening();
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A ferrotwin with one `[[mqtt_source]]` on `port`, mapping
/// `{prefix}/{twinId}/telemetry|properties`, and a twin `press`.
fn ferrotwin(dir: &Path, port: u16, prefix: &str) -> Server {
    let conf = dir.join("ferrotwin.toml");
    let mut f = std::fs::File::create(&conf).unwrap();
    write!(
        f,
        r#"
[[mqtt_source]]
name = "plant"
url = "mqtt://127.0.0.1:{port}"
client_id = "ferrotwin-{prefix}"
# Short, so test sessions do not linger on the shared Mosquitto.
session_expiry_secs = 300

[[mqtt_source.topics]]
pattern = "{prefix}/{{twinId}}/telemetry"
kind = "telemetry"

[[mqtt_source.topics]]
pattern = "{prefix}/{{twinId}}/properties"
kind = "properties"
"#
    )
    .unwrap();
    let data = dir.join("data");
    let server = Server::start(&data, &["--config", conf.to_str().unwrap(), "--log", LOG]);
    server.admin("POST", "/models", Some(&counter_model()));
    let twin = json!({"$metadata": {"$model": "dtmi:test:Counter;1"}, "n": 1});
    assert_eq!(
        server.admin("PUT", "/digitaltwins/press", Some(&twin)).0,
        200
    );
    server
}

/// Publishes `seqs` at QoS 1 to `topic`, each until the broker acknowledged
/// it, reconnecting as needed; `between` runs after the first half.
fn publish_all(port: u16, topic: &str, seqs: std::ops::Range<u64>, mut between: impl FnMut()) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let half = seqs.start + (seqs.end - seqs.start) / 2;
    let connect = || {
        let id = format!("pub-{}", uuid::Uuid::new_v4().simple());
        let c = MqttClient::new(id.clone());
        let opts = ConnectOptions::new(id).with_automatic_reconnect(false);
        rt.block_on(c.connect_with_options(&format!("mqtt://127.0.0.1:{port}"), opts))
            .ok()
            .map(|_| c)
    };
    let mut client = None;
    for seq in seqs {
        if seq == half {
            between();
        }
        let t0 = Instant::now();
        loop {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "cannot publish {seq}"
            );
            if client.is_none() {
                client = connect();
            }
            let Some(c) = &client else {
                std::thread::sleep(Duration::from_millis(100));
                continue;
            };
            let body = json!({"seq": seq}).to_string();
            match rt.block_on(c.publish_qos1(topic, body)) {
                Ok(_) => break,
                Err(_) => client = None,
            }
        }
    }
}

/// Telemetry `seq` values read from ferrotwin's live stream by a thread
/// of its own, so the stream is drained while the test publishes (the
/// server drops events for a subscriber that falls behind).
struct Collector {
    seen: Arc<Mutex<BTreeSet<u64>>>,
    /// Set when the stream ended or the server said it dropped events.
    broken: Arc<Mutex<Option<String>>>,
}

impl Collector {
    fn start(server: &Server) -> Collector {
        let url = format!("{}/events?access_token={ADMIN}&type=telemetry", server.base);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(300)))
            .build()
            .into();
        let resp = agent.get(&url).call().unwrap();
        let mut events = BufReader::new(resp.into_body().into_reader());
        let seen = Arc::new(Mutex::new(BTreeSet::new()));
        let broken = Arc::new(Mutex::new(None));
        let (s, b) = (seen.clone(), broken.clone());
        std::thread::spawn(move || {
            let mut line = String::new();
            loop {
                line.clear();
                if events.read_line(&mut line).map_or(true, |n| n == 0) {
                    *b.lock().unwrap() = Some("the stream ended".into());
                    return;
                }
                if line.starts_with("event: lagged") {
                    *b.lock().unwrap() = Some("the test fell behind the stream".into());
                    return;
                }
                let Some(d) = line.trim_end().strip_prefix("data: ") else {
                    continue;
                };
                let ce: serde_json::Value = serde_json::from_str(d).unwrap();
                if ce["type"] != "microsoft.iot.telemetry" {
                    continue;
                }
                assert_eq!(ce["subject"], "press", "{ce}");
                s.lock()
                    .unwrap()
                    .insert(ce["data"]["seq"].as_u64().unwrap());
            }
        });
        Collector { seen, broken }
    }

    /// Waits until every one of `expected` has arrived (duplicates allowed:
    /// QoS 1 is at least once).
    fn wait_for(&self, server: &Server, expected: std::ops::Range<u64>) {
        let t0 = Instant::now();
        loop {
            let missing: Vec<u64> = {
                let seen = self.seen.lock().unwrap();
                expected.clone().filter(|s| !seen.contains(s)).collect()
            };
            if missing.is_empty() {
                return;
            }
            let broken = self.broken.lock().unwrap().clone();
            if broken.is_some() || t0.elapsed() > Duration::from_secs(60) {
                panic!(
                    "{} missing ({missing:?}); {}; server log:\n{}",
                    missing.len(),
                    broken.unwrap_or_else(|| "timed out".into()),
                    server.stderr.lock().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Every `seq` telemetry value of `press` in the history.
fn history_seqs(server: &Server) -> BTreeSet<u64> {
    let mut seen = BTreeSet::new();
    let mut page = String::new();
    loop {
        let (status, body) = server.admin(
            "GET",
            &format!(
                "/history/twins/press/points?series=seq&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&maxItems=1000{page}"
            ),
            None,
        );
        assert_eq!(status, 200, "{body}");
        for p in body["value"].as_array().unwrap() {
            seen.insert(p["value"].as_u64().unwrap());
        }
        match body["continuationToken"].as_str() {
            Some(t) => page = format!("&continuationToken={t}"),
            None => return seen,
        }
    }
}

#[test]
fn the_mosquitto_service_feeds_telemetry_and_property_reports() {
    if !service_or_skip(1883, "the Mosquitto service") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let prefix = format!("ft{}", uuid::Uuid::new_v4().simple());
    let server = ferrotwin(dir.path(), 1883, &prefix);
    let events = Collector::start(&server);
    // The source subscribes in the background; the broker keeps what
    // arrives meanwhile only once the session exists, so wait for it.
    let t0 = Instant::now();
    while !server.stderr.lock().unwrap().contains("subscribed") {
        assert!(t0.elapsed() < Duration::from_secs(10), "no subscription");
        std::thread::sleep(Duration::from_millis(50));
    }
    publish_all(1883, &format!("{prefix}/press/telemetry"), 0..50, || {});
    events.wait_for(&server, 0..50);
    publish_all(1883, &format!("{prefix}/press/properties"), 0..1, || {});
    let rt = tokio::runtime::Runtime::new().unwrap();
    let c = MqttClient::new(format!("pub-{prefix}"));
    rt.block_on(c.connect("mqtt://127.0.0.1:1883")).unwrap();
    rt.block_on(c.publish_qos1(
        format!("{prefix}/press/properties"),
        json!({"n": 77}).to_string(),
    ))
    .unwrap();
    // A report the model refuses is not applied; it is kept as a dead
    // letter with its source.
    rt.block_on(c.publish_qos1(
        format!("{prefix}/press/properties"),
        json!({"n": "x"}).to_string(),
    ))
    .unwrap();
    let t0 = Instant::now();
    loop {
        let (_, twin) = server.admin("GET", "/digitaltwins/press", None);
        let (_, letters) = server.admin("GET", "/deadletters?twinId=press", None);
        let refused = letters["value"].as_array().and_then(|l| {
            l.iter()
                .find(|l| l["payload"] == json!({"n": "x"}))
                .cloned()
        });
        if let (true, Some(l)) = (twin["n"] == 77, refused) {
            let src = l["source"].as_str().unwrap();
            assert!(src.starts_with("mqtt_source name=plant topic="), "{l}");
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "{twin} {letters}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

// The private broker is Debian's Mosquitto 2.0.11, which overruns the
// client's receive maximum once a backlog builds (and again after each
// reconnect): the source must hold it back rather than stall.
#[test]
fn nothing_is_lost_when_the_broker_restarts_mid_stream() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut broker) = Mosquitto::start(dir.path()) else {
        return;
    };
    let port = broker.port;
    let server = ferrotwin(dir.path(), port, "plant");
    let events = Collector::start(&server);
    let t0 = Instant::now();
    while !server.stderr.lock().unwrap().contains("subscribed") {
        assert!(t0.elapsed() < Duration::from_secs(10), "no subscription");
        std::thread::sleep(Duration::from_millis(50));
    }
    publish_all(port, "plant/press/telemetry", 0..400, || broker.restart());
    events.wait_for(&server, 0..400);
    let log = server.stderr.lock().unwrap().clone();
    assert!(
        log.contains("disconnected"),
        "the broker restart was not seen: {log}"
    );

    // ferrotwin away: the broker keeps its session and the messages.
    drop(events);
    assert_eq!(server.stop(), 0);
    publish_all(port, "plant/press/telemetry", 400..500, || {});
    let conf = dir.path().join("ferrotwin.toml");
    let server = Server::start(
        &dir.path().join("data"),
        &["--config", conf.to_str().unwrap(), "--log", LOG],
    );
    // The source may hand messages on before a live stream could subscribe,
    // so read them back from history.
    let t0 = Instant::now();
    loop {
        let seen = history_seqs(&server);
        let missing: Vec<u64> = (400..500).filter(|s| !seen.contains(s)).collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "{} missing ({missing:?}); server log:\n{}",
            missing.len(),
            server.stderr.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_bad_source_pattern_stops_serve_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("f.toml");
    std::fs::write(
        &conf,
        "[[mqtt_source]]\nurl = \"mqtt://127.0.0.1:1\"\nclient_id = \"x\"\ntopics = [{ pattern = \"plant/+/telemetry\", kind = \"telemetry\" }]\n",
    )
    .unwrap();
    let out = Command::new(support::bin())
        .args(["serve", "--http", "127.0.0.1:0", "--no-mqtt", "--config"])
        .arg(&conf)
        .arg("--data")
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mqtt_source 'mqtt://127.0.0.1:1'") && err.contains("{twinId}"),
        "{err}"
    );
}

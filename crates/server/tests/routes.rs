//! Event routes delivering to real endpoints: a webhook served by the
//! test, Mosquitto on 127.0.0.1:1883 and NATS on 127.0.0.1:4222, at least
//! once, across a kill -9.

mod support;

use std::future::IntoFuture;
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::webhook::Receiver;
use support::{Server, counter_model};

/// Writes a config file declaring `endpoints` (TOML tables) into `dir`.
fn config(dir: &Path, endpoints: &str) -> String {
    let path = dir.join("ferrotwin.toml");
    std::fs::write(&path, endpoints).unwrap();
    path.to_str().unwrap().to_string()
}

fn webhook(name: &str, url: &str) -> String {
    format!("[[endpoint]]\nname = \"{name}\"\nkind = \"webhook\"\nurl = \"{url}\"\n")
}

fn start(dir: &Path, data: &Path, endpoints: &str) -> Server {
    let cfg = config(dir, endpoints);
    Server::start(data, &["--config", &cfg])
}

fn route(server: &Server, id: &str, endpoint: &str, filter: &str) {
    let (s, b) = server.admin(
        "PUT",
        &format!("/eventroutes/{id}"),
        Some(&json!({"endpointName": endpoint, "filter": filter})),
    );
    assert_eq!(s, 204, "{b}");
}

fn twin(server: &Server, id: &str) {
    let t = json!({"$metadata": {"$model": "dtmi:test:Counter;1"}, "n": 1});
    let (s, b) = server.admin("PUT", &format!("/digitaltwins/{id}"), Some(&t));
    assert_eq!(s, 200, "{b}");
}

fn metric(server: &Server, name: &str, route: &str) -> f64 {
    let (_, text) = server.call(None, "GET", "/metrics", None);
    let text = text.as_str().unwrap_or_default().to_string();
    text.lines()
        .find(|l| l.starts_with(name) && l.contains(&format!("route=\"{route}\"")))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// Whether a service is listening; if not, the test skips (or fails in CI).
fn service(addr: &str, what: &str) -> bool {
    if std::net::TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_secs(1)).is_ok()
    {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{what} is not listening on {addr}");
    }
    eprintln!("skipped: {what} is not listening on {addr}");
    false
}

fn subjects(events: &[Value]) -> Vec<String> {
    let mut s: Vec<String> = events
        .iter()
        .map(|e| e["subject"].as_str().unwrap_or_default().to_string())
        .collect();
    s.sort();
    s.dedup();
    s
}

#[test]
fn a_route_to_an_undeclared_endpoint_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &dir.path().join("data"),
        &webhook("hook", "http://127.0.0.1:9/x"),
    );
    let (s, b) = server.admin(
        "PUT",
        "/eventroutes/r1",
        Some(&json!({"endpointName": "nope", "filter": "true"})),
    );
    assert_eq!(s, 400, "{b}");
    let msg = b["error"]["message"].as_str().unwrap();
    assert!(msg.contains("'nope'") && msg.contains("hook"), "{msg}");
    assert_eq!(server.admin("GET", "/eventroutes/r1", None).0, 404);
}

#[test]
fn webhooks_are_retried_with_backoff_and_refusals_are_not() {
    let dir = tempfile::tempdir().unwrap();
    // The first three POSTs fail with 503; twin "bad" is refused with 400.
    let hook = Receiver::start(Arc::new(|n, body: &Value| {
        if body["subject"] == "bad" {
            400
        } else if n < 3 {
            503
        } else {
            200
        }
    }));
    let server = start(
        dir.path(),
        &dir.path().join("data"),
        &webhook("hook", &hook.url()),
    );
    server.admin("POST", "/models", Some(&counter_model()));
    route(
        &server,
        "creates",
        "hook",
        "type = 'Microsoft.DigitalTwins.Twin.Create'",
    );
    twin(&server, "a");
    let got = hook.wait(30, |g| !g.is_empty());
    assert_eq!(subjects(&got), ["a"]);
    let ce = &got[0];
    assert_eq!(ce["specversion"], "1.0");
    assert_eq!(ce["type"], "Microsoft.DigitalTwins.Twin.Create");
    assert_eq!(ce["data"]["$dtId"], "a");
    let seen = hook.seen.lock().unwrap().clone();
    assert_eq!(
        seen.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [503, 503, 503, 200],
        "three failures, then the same event again"
    );
    assert!(
        seen.iter().all(|(_, b)| b["id"] == ce["id"]),
        "a retry resends the same CloudEvent id"
    );
    assert_eq!(
        metric(&server, "ferrotwin_route_retries_total", "creates"),
        3.0
    );

    // A 400 is final: counted as failed, not sent again, and the next
    // events still flow. The update does not pass the filter.
    twin(&server, "bad");
    let (s, _) = server.admin(
        "PATCH",
        "/digitaltwins/a",
        Some(&json!([{"op": "replace", "path": "/n", "value": 2}])),
    );
    assert_eq!(s, 204);
    twin(&server, "c");
    let got = hook.wait(30, |g| subjects(g).contains(&"c".to_string()));
    assert_eq!(subjects(&got), ["a", "c"]);
    std::thread::sleep(Duration::from_millis(300));
    let bad = hook
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, b)| b["subject"] == "bad")
        .count();
    assert_eq!(bad, 1, "a refused event is not retried");
    assert_eq!(
        metric(&server, "ferrotwin_route_failed_total", "creates"),
        1.0
    );
    assert_eq!(
        metric(&server, "ferrotwin_route_delivered_total", "creates"),
        2.0
    );
    assert_eq!(metric(&server, "ferrotwin_route_backlog", "creates"), 0.0);
}

#[test]
fn undelivered_events_survive_kill_9_while_the_endpoint_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A free port, closed again: the endpoint is down.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let server = start(dir.path(), &data, &webhook("hook", &url));
    server.admin("POST", "/models", Some(&counter_model()));
    route(&server, "all", "hook", "true");
    let ids: Vec<String> = (0..50).map(|i| format!("t{i:02}")).collect();
    for id in &ids {
        twin(&server, id);
    }
    assert_eq!(metric(&server, "ferrotwin_route_backlog", "all"), 50.0);
    server.kill9();

    let server = start(dir.path(), &data, &webhook("hook", &url));
    assert!(metric(&server, "ferrotwin_route_backlog", "all") >= 50.0);
    let hook = Receiver::on(
        TcpListener::bind(("127.0.0.1", port)).unwrap(),
        Arc::new(|_, _: &Value| 200),
    );
    let got = hook.wait(60, |g| subjects(g).len() == ids.len());
    assert_eq!(subjects(&got), ids, "every event arrives after the restart");
    let end = Instant::now() + Duration::from_secs(10);
    while metric(&server, "ferrotwin_route_backlog", "all") > 0.0 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(metric(&server, "ferrotwin_route_backlog", "all"), 0.0);
    server.stop();

    // Delivered events are gone from the outbox: a restart sends nothing.
    let before = hook.seen.lock().unwrap().len();
    let server = start(dir.path(), &data, &webhook("hook", &url));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(hook.seen.lock().unwrap().len(), before);
    // A deleted route's events are not delivered.
    assert_eq!(server.admin("DELETE", "/eventroutes/all", None).0, 204);
    twin(&server, "after-delete");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(hook.seen.lock().unwrap().len(), before);
}

#[test]
fn mqtt_routes_publish_cloudevents_to_mosquitto() {
    if !service("127.0.0.1:1883", "Mosquitto") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let topic = format!("ferrotwin-test/{}", uuid::Uuid::new_v4().simple());
    let endpoints = format!(
        "[[endpoint]]\nname = \"broker\"\nkind = \"mqtt\"\nurl = \"mqtt://127.0.0.1:1883\"\ntopic = \"{topic}\"\n"
    );
    let server = start(dir.path(), &dir.path().join("data"), &endpoints);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sub = mqtt5::MqttClient::new(format!("sub-{}", uuid::Uuid::new_v4().simple()));
    rt.block_on(sub.connect("mqtt://127.0.0.1:1883")).unwrap();
    let g = got.clone();
    rt.block_on(sub.subscribe(topic.as_str(), move |m| {
        g.lock()
            .unwrap()
            .push(serde_json::from_slice(&m.payload).unwrap());
    }))
    .unwrap();
    server.admin("POST", "/models", Some(&counter_model()));
    route(
        &server,
        "to-mqtt",
        "broker",
        "STARTS_WITH(subject, 'press')",
    );
    twin(&server, "press-1");
    twin(&server, "other");
    let (s, b) = support::call(
        &server.base,
        Some(support::ADMIN),
        "POST",
        "/digitaltwins/press-1/telemetry",
        Some(&json!({"temperature": 21.5})),
        &[("message-id", "m-1")],
    );
    assert_eq!(s, 204, "{b}");
    let end = Instant::now() + Duration::from_secs(20);
    while got.lock().unwrap().len() < 2 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let got = got.lock().unwrap().clone();
    let types: Vec<&str> = got.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "Microsoft.DigitalTwins.Twin.Create",
            "microsoft.iot.telemetry"
        ],
        "{got:?}"
    );
    assert_eq!(got[0]["subject"], "press-1");
    assert_eq!(got[1]["data"]["temperature"], 21.5);
    assert_eq!(
        got[1]["id"], "m-1",
        "telemetry keeps the sender's message id"
    );
    assert_eq!(
        metric(&server, "ferrotwin_route_delivered_total", "to-mqtt"),
        2.0
    );
}

#[test]
fn nats_routes_use_core_publish_or_jetstream_acks() {
    if !service("127.0.0.1:4222", "NATS") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let (core, stream_subject) = (format!("ft.{tag}.core"), format!("ft.{tag}.js"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _in_runtime = rt.enter();
    let nats = rt
        .block_on(async_nats::connect("nats://127.0.0.1:4222"))
        .unwrap();
    let js = async_nats::jetstream::new(nats.clone());
    let stream_name = format!("FT_{tag}");
    rt.block_on(js.create_stream(async_nats::jetstream::stream::Config {
        name: stream_name.clone(),
        subjects: vec![stream_subject.clone()],
        ..Default::default()
    }))
    .unwrap();
    let mut sub = rt.block_on(nats.subscribe(core.clone())).unwrap();
    let endpoints = format!(
        "[[endpoint]]\nname = \"core\"\nkind = \"nats\"\nurl = \"nats://127.0.0.1:4222\"\nsubject = \"{core}\"\n\
         [[endpoint]]\nname = \"stream\"\nkind = \"nats\"\nurl = \"nats://127.0.0.1:4222\"\nsubject = \"{stream_subject}\"\n"
    );
    let server = start(dir.path(), &dir.path().join("data"), &endpoints);
    server.admin("POST", "/models", Some(&counter_model()));
    route(&server, "core", "core", "true");
    route(
        &server,
        "js",
        "stream",
        "type = 'Microsoft.DigitalTwins.Twin.Create'",
    );
    twin(&server, "n1");
    twin(&server, "n2");

    use futures_util::StreamExt;
    for want in ["n1", "n2"] {
        let m = rt
            .block_on(tokio::time::timeout(Duration::from_secs(20), sub.next()))
            .unwrap()
            .unwrap();
        let ce: Value = serde_json::from_slice(&m.payload).unwrap();
        assert_eq!(ce["subject"], want);
    }
    let end = Instant::now() + Duration::from_secs(20);
    let count = loop {
        let mut stream = rt.block_on(js.get_stream(&stream_name)).unwrap();
        let n = rt.block_on(stream.info()).unwrap().state.messages;
        if n >= 2 || Instant::now() > end {
            break n;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(count, 2, "both creates are in the stream, acknowledged");
    let stream = rt.block_on(js.get_stream(&stream_name)).unwrap();
    let last = rt
        .block_on(stream.get_last_raw_message_by_subject(&stream_subject))
        .unwrap();
    let ce: Value = serde_json::from_slice(&last.payload).unwrap();
    assert_eq!(ce["subject"], "n2");

    // A full stream that discards new messages refuses the publish: the
    // route waits and retries instead of counting it delivered.
    rt.block_on(js.update_stream(async_nats::jetstream::stream::Config {
        name: stream_name.clone(),
        subjects: vec![stream_subject.clone()],
        max_messages: 2,
        discard: async_nats::jetstream::stream::DiscardPolicy::New,
        ..Default::default()
    }))
    .unwrap();
    twin(&server, "n3");
    let end = Instant::now() + Duration::from_secs(20);
    while metric(&server, "ferrotwin_route_retries_total", "js") < 1.0 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(metric(&server, "ferrotwin_route_retries_total", "js") >= 1.0);
    assert_eq!(
        metric(&server, "ferrotwin_route_delivered_total", "js"),
        2.0
    );
    assert_eq!(metric(&server, "ferrotwin_route_backlog", "js"), 1.0);
    let mut stream = rt.block_on(js.get_stream(&stream_name)).unwrap();
    rt.block_on(stream.purge().into_future()).unwrap();
    let end = Instant::now() + Duration::from_secs(40);
    while metric(&server, "ferrotwin_route_delivered_total", "js") < 3.0 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        metric(&server, "ferrotwin_route_delivered_total", "js"),
        3.0
    );
    let n = rt.block_on(stream.info()).unwrap().state.messages;
    assert_eq!(
        n, 1,
        "the retried event is in the stream once room was made"
    );
    let _ = rt.block_on(js.delete_stream(&stream_name));
}

#[test]
fn mqtt_routes_publish_on_the_built_in_broker_to_logged_in_devices() {
    let dir = tempfile::tempdir().unwrap();
    let endpoints = "[[endpoint]]\nname = \"local\"\nkind = \"mqtt\"\ntopic = \"plant/events\"\n";
    let cfg = config(dir.path(), endpoints);
    let (server, mqtt) = Server::start_mqtt(&dir.path().join("data"), &["--config", &cfg]);
    let out = std::process::Command::new(support::bin())
        .args(["device", "create", "--twin", "b1", "--data"])
        .arg(&server.data)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k))
            .unwrap_or_else(|| panic!("no {k} in {text}"))
            .trim()
            .to_string()
    };
    let (user, password) = (field("username:"), field("password:"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let id = format!("sub-{}", uuid::Uuid::new_v4().simple());
    let sub = mqtt5::MqttClient::new(id.clone());
    let opts = mqtt5::ConnectOptions::new(id).with_credentials(user, password.as_bytes());
    rt.block_on(sub.connect_with_options(&format!("mqtt://{mqtt}"), opts))
        .unwrap();
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let g = got.clone();
    rt.block_on(sub.subscribe("plant/events", move |m| {
        g.lock()
            .unwrap()
            .push(serde_json::from_slice(&m.payload).unwrap());
    }))
    .expect("a device may subscribe to an event topic");
    assert!(
        rt.block_on(sub.subscribe("plant/other", |_| {})).is_err(),
        "but not to other topics"
    );
    server.admin("POST", "/models", Some(&counter_model()));
    route(&server, "local", "local", "true");
    twin(&server, "b1");
    let end = Instant::now() + Duration::from_secs(20);
    while got.lock().unwrap().is_empty() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["type"], "Microsoft.DigitalTwins.Twin.Create");
    assert_eq!(got[0]["subject"], "b1");
}

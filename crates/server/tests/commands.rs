//! Commands from the REST API to devices on the built-in MQTT endpoint:
//! MQTT 5 request/response properties, the MQTT 3.1.1 fallback topics,
//! model checks on both payloads, timeouts, and the answer ACL.

mod support;

use std::sync::Arc;
use std::time::Duration;

use mqtt5::types::SubscribeOptions;
use mqtt5::{MqttClient, ProtocolVersion, PublishOptions, PublishProperties, QoS};
use serde_json::{Value, json};
use support::{Server, connect, create_device};

/// A press with two commands and a component with one.
fn models() -> Value {
    json!([
        {
            "@context": "dtmi:dtdl:context;3", "@id": "dtmi:test:Axis;1", "@type": "Interface",
            "contents": [
                {"@type": "Command", "name": "home", "response": {"name": "position", "schema": "double"}}
            ]
        },
        {
            "@context": "dtmi:dtdl:context;3", "@id": "dtmi:test:Press;1", "@type": "Interface",
            "contents": [
                {"@type": "Property", "name": "n", "schema": "long", "writable": true},
                {"@type": "Command", "name": "reboot",
                 "request": {"name": "delay", "schema": "integer"},
                 "response": {"name": "result", "schema": {"@type": "Object", "fields": [
                     {"name": "ok", "schema": "boolean"}
                 ]}}},
                {"@type": "Command", "name": "ping"},
                {"@type": "Component", "name": "axis", "schema": "dtmi:test:Axis;1"}
            ]
        }
    ])
}

fn setup() -> (tempfile::TempDir, Server, String) {
    let dir = tempfile::tempdir().unwrap();
    let (server, mqtt) = Server::start_mqtt(dir.path(), &[]);
    let (s, t) = server.admin("POST", "/models", Some(&models()));
    assert_eq!(s, 201, "{t}");
    for id in ["press", "other"] {
        let twin = json!({"$metadata": {"$model": "dtmi:test:Press;1"}, "axis": {"$metadata": {}}});
        let (s, t) = server.admin("PUT", &format!("/digitaltwins/{id}"), Some(&twin));
        assert_eq!(s, 200, "{t}");
    }
    (dir, server, mqtt)
}

/// What the simulated device answers: (status, payload), or None to stay
/// silent. `reboot` answers `{"ok": true}`, or a wrongly typed result for a
/// delay of 99, or 409 for a delay of 42; `axis*home` answers 12.5; `ping`
/// is never answered.
fn answer(command: &str, request: Option<Value>) -> Option<(u16, Option<Value>)> {
    match command {
        "reboot" => match request.and_then(|r| r.as_i64()) {
            Some(42) => Some((409, Some(json!({"error": "busy"})))),
            Some(99) => Some((200, Some(json!({"ok": "yes"})))),
            _ => Some((200, Some(json!({"ok": true})))),
        },
        "axis*home" => Some((200, Some(json!(12.5)))),
        _ => None,
    }
}

/// One received request: the command, its request id, where to answer,
/// the correlation data to echo, and the payload.
struct Request {
    command: String,
    response_topic: String,
    correlation: Option<Vec<u8>>,
    payload: Option<Value>,
}

/// Reads a request the way a device of `version` would see it.
fn read(version: ProtocolVersion, m: mqtt5::Message) -> Request {
    let payload = (!m.payload.is_empty()).then(|| serde_json::from_slice(&m.payload).unwrap());
    let parts: Vec<&str> = m.topic.split('/').collect();
    match version {
        ProtocolVersion::V5 => {
            assert_eq!(parts.len(), 4, "{}", m.topic);
            Request {
                command: parts[3].to_string(),
                response_topic: m.properties.response_topic.clone().expect("response topic"),
                correlation: Some(m.properties.correlation_data.clone().expect("correlation")),
                payload,
            }
        }
        _ => {
            // twins/{id}/commands/{command}/req/{requestId}
            assert_eq!((parts.len(), parts[4]), (6, "req"), "{}", m.topic);
            Request {
                command: parts[3].to_string(),
                response_topic: format!(
                    "twins/{}/commands/{}/res/{}",
                    parts[1], parts[3], parts[5]
                ),
                correlation: None,
                payload,
            }
        }
    }
}

/// Logs a device in, subscribes to `filter` at QoS 1, and answers every
/// request with [`answer`] until the runtime stops.
fn device(
    rt: &tokio::runtime::Runtime,
    mqtt: &str,
    version: ProtocolVersion,
    user: &str,
    password: &str,
    filter: &str,
) -> Arc<MqttClient> {
    let client = Arc::new(rt.block_on(connect(mqtt, version, user, password)).unwrap());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let opts = SubscribeOptions {
        qos: QoS::AtLeastOnce,
        ..SubscribeOptions::default()
    };
    rt.block_on(client.subscribe_with_options(filter, opts, move |m| {
        let _ = tx.send(m);
    }))
    .unwrap();
    let c = client.clone();
    rt.spawn(async move {
        while let Some(m) = rx.recv().await {
            let r = read(version, m);
            let Some((status, body)) = answer(&r.command, r.payload) else {
                continue;
            };
            let topic = if status == 200 {
                r.response_topic
            } else {
                format!("{}/{status}", r.response_topic)
            };
            let opts = PublishOptions {
                qos: QoS::AtLeastOnce,
                properties: PublishProperties {
                    correlation_data: r.correlation,
                    ..PublishProperties::default()
                },
                ..PublishOptions::default()
            };
            let body = body.map(|b| b.to_string()).unwrap_or_default();
            c.publish_with_options(topic, body, opts).await.unwrap();
        }
    });
    client
}

fn command(server: &Server, path: &str, body: Option<&Value>) -> (u16, Value) {
    server.admin("POST", path, body)
}

/// Runs the same conversation with a device of either protocol version.
fn conversation(version: ProtocolVersion, filter: &str) {
    let (_dir, server, mqtt) = setup();
    let (user, password) = create_device(&server, &["press"]);
    let rt = tokio::runtime::Runtime::new().unwrap();

    // Nobody listens yet: a clear 404.
    let (s, t) = command(
        &server,
        "/digitaltwins/press/commands/reboot",
        Some(&json!(1)),
    );
    assert_eq!(s, 404, "{t}");
    assert_eq!(t["error"]["code"], "DeviceNotConnected", "{t}");
    assert!(
        t["error"]["message"]
            .as_str()
            .unwrap()
            .contains("twins/press/commands/reboot")
    );

    let _device = device(&rt, &mqtt, version, &user, &password, filter);

    // The request and the answer, both checked against the model; the
    // subscription counts from its SUBACK on.
    let (s, t) = command(
        &server,
        "/digitaltwins/press/commands/reboot",
        Some(&json!(5)),
    );
    assert_eq!(
        (s, &t),
        (200, &json!({"status": 200, "payload": {"ok": true}}))
    );
    let (s, t) = command(
        &server,
        "/digitaltwins/press/components/axis/commands/home",
        None,
    );
    assert_eq!((s, &t), (200, &json!({"status": 200, "payload": 12.5})));
    // The device's own status and payload pass through.
    let (s, t) = command(
        &server,
        "/digitaltwins/press/commands/reboot",
        Some(&json!(42)),
    );
    assert_eq!(
        (s, &t),
        (200, &json!({"status": 409, "payload": {"error": "busy"}}))
    );
    // An answer that does not fit the response schema: 502, naming the field.
    let (s, t) = command(
        &server,
        "/digitaltwins/press/commands/reboot",
        Some(&json!(99)),
    );
    assert_eq!(s, 502, "{t}");
    assert_eq!(t["error"]["code"], "InvalidCommandResponse");
    assert!(
        t["error"]["message"].as_str().unwrap().contains("/ok"),
        "{t}"
    );
    // No answer in time: 504 after the requested timeout.
    let t0 = std::time::Instant::now();
    let (s, t) = command(
        &server,
        "/digitaltwins/press/commands/ping?timeout=0.5",
        None,
    );
    assert_eq!(s, 504, "{t}");
    assert_eq!(t["error"]["code"], "CommandTimeout");
    assert!(t0.elapsed() >= Duration::from_millis(500));

    // Requests that do not fit the model never reach the device.
    for (path, body, code) in [
        (
            "/digitaltwins/press/commands/reboot",
            Some(json!("soon")),
            "ValidationFailed",
        ),
        (
            "/digitaltwins/press/commands/reboot",
            None,
            "ValidationFailed",
        ),
        (
            "/digitaltwins/press/commands/ping",
            Some(json!(1)),
            "ValidationFailed",
        ),
        (
            "/digitaltwins/press/commands/explode",
            None,
            "CommandNotFound",
        ),
        (
            "/digitaltwins/press/components/nope/commands/home",
            None,
            "ComponentNotFound",
        ),
        (
            "/digitaltwins/ghost/commands/ping",
            None,
            "DigitalTwinNotFound",
        ),
        (
            "/digitaltwins/press/commands/ping?timeout=0",
            None,
            "InvalidArgument",
        ),
        (
            "/digitaltwins/press/commands/ping?timeout=soon",
            None,
            "InvalidArgument",
        ),
    ] {
        let (s, t) = command(&server, path, body.as_ref());
        assert!(s == 400 || s == 404, "{path}: {s} {t}");
        assert_eq!(t["error"]["code"], code, "{path}: {t}");
    }
    // The other twin has no device listening.
    let (s, _) = command(&server, "/digitaltwins/other/commands/ping", None);
    assert_eq!(s, 404);

    audit_log_holds_every_call(&server);
}

/// Every call of [`conversation`] is in the audit log, newest first, with
/// who made it, what it asked and what came of it; only admins read it.
fn audit_log_holds_every_call(server: &Server) {
    let (s, log) = server.admin("GET", "/audit?twinId=press&maxItems=1000", None);
    assert_eq!(s, 200, "{log}");
    let entries = log["value"].as_array().unwrap();
    let find = |name: &str, outcome: &str| {
        entries
            .iter()
            .find(|e| e["name"] == name && e["outcome"] == outcome)
            .unwrap_or_else(|| panic!("no {name} {outcome} in {entries:#?}"))
    };
    let ok = entries
        .iter()
        .find(|e| e["name"] == "reboot" && e["request"] == 5 && e["outcome"] == "ok")
        .expect("the answered reboot");
    assert_eq!(ok["deviceStatus"], 200);
    assert_eq!(ok["action"], "command");
    assert!(!ok["actor"].as_str().unwrap().is_empty());
    let busy = entries
        .iter()
        .find(|e| e["deviceStatus"] == 409)
        .expect("the busy answer");
    assert_eq!(
        (busy["status"].as_u64(), &busy["request"]),
        (Some(200), &json!(42))
    );
    assert_eq!(find("home", "ok")["component"], "axis");
    let timeout = find("ping", "CommandTimeout");
    assert_eq!(timeout["status"], 504);
    assert!(timeout["millis"].as_u64().unwrap() >= 500);
    assert!(
        entries.iter().any(|e| e["outcome"] == "ValidationFailed"
            && e["request"] == "soon"
            && e["status"] == 400),
        "the refused request is kept as sent"
    );
    assert_eq!(find("explode", "CommandNotFound")["status"], 404);
    assert_eq!(
        entries[0]["request"],
        json!(null),
        "newest first: {:#?}",
        entries[0]
    );
    assert_eq!(entries[0]["outcome"], "InvalidArgument");
    let (s, other) = server.admin("GET", "/audit?twinId=other", None);
    assert_eq!((s, other["value"].as_array().unwrap().len()), (200, 1));
    let reader = support::token(&server.data, "reader", &[]);
    assert_eq!(server.call(Some(&reader), "GET", "/audit", None).0, 403);
    assert_eq!(server.admin("GET", "/audit?since=yesterday", None).0, 400);
}

#[test]
fn mqtt5_devices_answer_commands_on_the_response_topic() {
    conversation(ProtocolVersion::V5, "twins/press/commands/+");
}

#[test]
fn mqtt311_devices_answer_commands_on_the_fallback_topics() {
    conversation(ProtocolVersion::V311, "twins/press/commands/+/req/+");
}

/// A command sent the moment a device has its SUBACK reaches the device,
/// and one sent the moment it has its UNSUBACK is a 404 at once: the
/// platform's view of subscriptions follows the broker's acknowledgements.
/// Two hundred fresh twins and connections, alternating protocol versions
/// (while the platform learnt of (un)subscriptions after the broker's
/// acknowledgement, about one call in forty after a SUBACK was a 404, and
/// one in a hundred after an UNSUBACK waited for an answer).
#[test]
fn commands_right_after_the_suback_or_unsuback_see_it() {
    const DEVICES: usize = 200;
    let (_dir, server, mqtt) = setup();
    let twins: Vec<String> = (0..DEVICES).map(|i| format!("fresh{i}")).collect();
    for id in &twins {
        let twin = json!({"$metadata": {"$model": "dtmi:test:Press;1"}, "axis": {"$metadata": {}}});
        let (s, t) = server.admin("PUT", &format!("/digitaltwins/{id}"), Some(&twin));
        assert_eq!(s, 200, "{t}");
    }
    let names: Vec<&str> = twins.iter().map(String::as_str).collect();
    let (user, password) = create_device(&server, &names);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut missed = vec![];
    for (i, id) in twins.iter().enumerate() {
        let (version, filter) = if i % 2 == 0 {
            (ProtocolVersion::V5, format!("twins/{id}/commands/+"))
        } else {
            (
                ProtocolVersion::V311,
                format!("twins/{id}/commands/+/req/+"),
            )
        };
        let device = device(&rt, &mqtt, version, &user, &password, &filter);
        let path = format!("/digitaltwins/{id}/commands/reboot?timeout=2");
        let (s, t) = command(&server, &path, Some(&json!(1)));
        if (s, &t) != (200, &json!({"status": 200, "payload": {"ok": true}})) {
            missed.push(format!("{id} ({version:?}) after SUBACK: {s} {t}"));
        }
        rt.block_on(device.unsubscribe(filter)).unwrap();
        let (s, t) = command(&server, &path, Some(&json!(1)));
        if (s, t["error"]["code"].as_str()) != (404, Some("DeviceNotConnected")) {
            missed.push(format!("{id} ({version:?}) after UNSUBACK: {s} {t}"));
        }
        rt.block_on(device.disconnect()).unwrap();
    }
    assert!(
        missed.is_empty(),
        "{} of {} calls missed:\n{}",
        missed.len(),
        2 * DEVICES,
        missed.join("\n")
    );
}

#[test]
fn devices_answer_only_for_their_own_twins_and_only_what_was_asked() {
    let (_dir, server, mqtt) = setup();
    let (user, password) = create_device(&server, &["press"]);
    let (user2, password2) = create_device(&server, &["other"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _press = device(
        &rt,
        &mqtt,
        ProtocolVersion::V5,
        &user,
        &password,
        "twins/press/commands/#",
    );

    // A second device listens on `other` but never answers `ping`; the
    // press device tries to answer for it and is refused by the ACL.
    let rogue = Arc::new(
        rt.block_on(connect(&mqtt, ProtocolVersion::V5, &user2, &password2))
            .unwrap(),
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    rt.block_on(rogue.subscribe("twins/other/commands/#", move |m| {
        let _ = tx.send(m);
    }))
    .unwrap();
    let base = server.base.clone();
    let call = std::thread::spawn(move || {
        support::call(
            &base,
            Some(support::ADMIN),
            "POST",
            "/digitaltwins/other/commands/ping?timeout=3",
            None,
            &[],
        )
    });
    let m = rt.block_on(rx.recv()).unwrap();
    let response_topic = m.properties.response_topic.unwrap();
    let press_client = rt
        .block_on(connect(&mqtt, ProtocolVersion::V5, &user, &password))
        .unwrap();
    let refused = rt.block_on(press_client.publish_qos1(response_topic.clone(), "{}"));
    assert!(refused.is_err(), "{refused:?}");
    // An answer with the wrong correlation data is refused too, and the
    // caller keeps waiting for the real one.
    let opts = PublishOptions {
        qos: QoS::AtLeastOnce,
        properties: PublishProperties {
            correlation_data: Some(b"not-the-request".to_vec()),
            ..PublishProperties::default()
        },
        ..PublishOptions::default()
    };
    rt.block_on(rogue.publish_with_options(response_topic.clone(), "{}", opts))
        .unwrap();
    rt.block_on(rogue.publish_qos1(format!("{response_topic}/201"), ""))
        .unwrap();
    let (s, t) = call.join().unwrap();
    assert_eq!((s, &t), (200, &json!({"status": 201, "payload": null})));
    // A late second answer finds no request waiting.
    rt.block_on(rogue.publish_qos1(response_topic, "")).unwrap();
    // The server's stderr is read by another thread: give it a moment.
    let mut log = String::new();
    for _ in 0..50 {
        log = server.stderr.lock().unwrap().clone();
        if log.contains("correlation data does not match") && log.contains("is waiting") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(log.contains("correlation data does not match"), "{log}");
    assert!(log.contains("is waiting"), "{log}");
}

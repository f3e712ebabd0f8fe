//! Devices over the built-in MQTT endpoint: login, telemetry onto the
//! event stream, property reports into the twin, and the topic ACL.

mod support;

use std::io::BufReader;
use std::process::Command;
use std::time::Duration;

use mqtt5::{ConnectOptions, MqttClient, ProtocolVersion};
use serde_json::{Value, json};
use support::{ADMIN, Server, bin, connect, counter_model, create_device, next_cloudevent};

fn setup() -> (tempfile::TempDir, Server, String) {
    let dir = tempfile::tempdir().unwrap();
    let (server, mqtt) = Server::start_mqtt(dir.path(), &[]);
    server.admin("POST", "/models", Some(&counter_model()));
    for id in ["press", "other"] {
        let twin = json!({"$metadata": {"$model": "dtmi:test:Counter;1"}, "n": 1});
        assert_eq!(
            server
                .admin("PUT", &format!("/digitaltwins/{id}"), Some(&twin))
                .0,
            200
        );
    }
    (dir, server, mqtt)
}

fn n_of(server: &Server, id: &str) -> Value {
    let (s, t) = server.admin("GET", &format!("/digitaltwins/{id}"), None);
    assert_eq!(s, 200, "{t}");
    t["n"].clone()
}

#[test]
fn devices_publish_telemetry_and_reports_for_their_own_twins_only() {
    let (_dir, server, mqtt) = setup();
    let (user, password) = create_device(&server, &["press"]);
    let rt = tokio::runtime::Runtime::new().unwrap();

    // The live stream, opened before anything is published.
    let url = format!("{}/events?access_token={ADMIN}&type=telemetry", server.base);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    let resp = agent.get(&url).call().unwrap();
    let mut events = BufReader::new(resp.into_body().into_reader());
    std::thread::sleep(Duration::from_millis(200));

    // A wrong password is refused at CONNECT, in both protocol versions.
    for v in [ProtocolVersion::V5, ProtocolVersion::V311] {
        let err = rt.block_on(connect(&mqtt, v, &user, "wrong")).err();
        assert!(err.is_some(), "a wrong password must be refused ({v:?})");
    }
    assert!(
        rt.block_on(connect(&mqtt, ProtocolVersion::V5, "dev_nobody", &password))
            .is_err()
    );

    let v5 = rt
        .block_on(connect(&mqtt, ProtocolVersion::V5, &user, &password))
        .unwrap();
    // Telemetry with a source time reaches GET /events as a CloudEvent.
    rt.block_on(v5.publish_qos1(
        "twins/press/telemetry",
        json!({"temperature": 21.5, "$ts": "2026-01-01T00:00:00Z"}).to_string(),
    ))
    .unwrap();
    let ce = next_cloudevent(&mut events);
    assert_eq!(ce["type"], "microsoft.iot.telemetry");
    assert_eq!(ce["subject"], "press", "{ce}");
    assert_eq!(ce["time"], "2026-01-01T00:00:00Z");
    assert_eq!(ce["data"]["temperature"], 21.5);
    assert!(ce["data"].get("$ts").is_none(), "{ce}");

    // A property report changes the twin (the PUBACK comes after the write).
    rt.block_on(v5.publish_qos1("twins/press/properties", json!({"n": 42}).to_string()))
        .unwrap();
    assert_eq!(n_of(&server, "press"), 42);
    // A report of the wrong type is refused by the model and changes nothing.
    let _ =
        rt.block_on(v5.publish_qos1("twins/press/properties", json!({"n": "many"}).to_string()));
    let _ = rt.block_on(v5.publish_qos1(
        "twins/press/properties",
        json!({"n": 5, "bogus": 1}).to_string(),
    ));
    let (_, twin) = server.admin("GET", "/digitaltwins/press", None);
    assert_eq!(twin["n"], 42, "{twin}");
    assert!(twin.get("bogus").is_none(), "{twin}");
    assert!(
        server
            .stderr
            .lock()
            .unwrap()
            .contains("device message refused")
    );

    // Another twin's topics: PUBACK NotAuthorized (MQTT 5), and no effect.
    let refused =
        rt.block_on(v5.publish_qos1("twins/other/properties", json!({"n": 7}).to_string()));
    assert!(refused.is_err(), "{refused:?}");
    let _ = rt.block_on(v5.publish_qos1("twins/other/telemetry", json!({"secret": 1}).to_string()));
    assert_eq!(n_of(&server, "other"), 1);
    // Subscriptions only to the device's own command topics.
    let own = rt.block_on(v5.subscribe("twins/press/commands/#", |_| {}));
    assert!(own.is_ok(), "{own:?}");
    let foreign = rt.block_on(v5.subscribe("twins/other/commands/#", |_| {}));
    assert!(foreign.is_err(), "{foreign:?}");

    // MQTT 3.1.1 works the same way (its PUBACK carries no reason code).
    let v3 = rt
        .block_on(connect(&mqtt, ProtocolVersion::V311, &user, &password))
        .unwrap();
    let _ = rt.block_on(v3.publish_qos1("twins/other/properties", json!({"n": 8}).to_string()));
    rt.block_on(v3.publish_qos1(
        "twins/press/telemetry",
        json!([{"temperature": 1}, {"temperature": 2}]).to_string(),
    ))
    .unwrap();
    // The batch arrives in order, and nothing from the refused topics came before it.
    assert_eq!(next_cloudevent(&mut events)["data"]["temperature"], 1);
    assert_eq!(next_cloudevent(&mut events)["data"]["temperature"], 2);
    rt.block_on(v3.publish_qos1("twins/press/properties", json!({"n": 43}).to_string()))
        .unwrap();
    assert_eq!(n_of(&server, "press"), 43);
    assert_eq!(n_of(&server, "other"), 1);

    // The endpoint stops with the server, devices still connected (the
    // open SSE stream would hold the HTTP drain for its full 10 s).
    drop(events);
    let t0 = std::time::Instant::now();
    assert_eq!(server.stop(), 0);
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "stopping took {:?}",
        t0.elapsed()
    );
    drop((v5, v3));
}

#[test]
fn revoked_devices_cannot_log_in_and_a_busy_port_names_the_flag() {
    let (_dir, server, mqtt) = setup();
    let (user, password) = create_device(&server, &["press"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert!(
        rt.block_on(connect(&mqtt, ProtocolVersion::V5, &user, &password))
            .is_ok()
    );
    let list = Command::new(bin())
        .args(["device", "list", "--data"])
        .arg(&server.data)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains(&user));
    assert!(!String::from_utf8_lossy(&list.stdout).contains(&password));
    let out = Command::new(bin())
        .args(["device", "revoke", "--data"])
        .arg(&server.data)
        .arg(&user)
        .output()
        .unwrap();
    assert!(out.status.success());
    std::thread::sleep(Duration::from_millis(1100));
    assert!(
        rt.block_on(connect(&mqtt, ProtocolVersion::V5, &user, &password))
            .is_err()
    );

    // The MQTT port is taken (by this server): serve fails and names --mqtt.
    let other = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .args(["serve", "--http", "127.0.0.1:0", "--mqtt", &mqtt, "--data"])
        .arg(other.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already in use") && err.contains("--mqtt"),
        "{err}"
    );
}

#[test]
fn devices_connect_over_tls_with_the_https_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (server, addrs) = Server::start_listening(
        dir.path(),
        &[
            "--mqtts",
            "127.0.0.1:0",
            "--https",
            "127.0.0.1:0",
            "--tls-self-signed",
        ],
        &["mqtts"],
    );
    server.admin("POST", "/models", Some(&counter_model()));
    let twin = json!({"$metadata": {"$model": "dtmi:test:Counter;1"}, "n": 1});
    assert_eq!(
        server.admin("PUT", "/digitaltwins/press", Some(&twin)).0,
        200
    );
    let (user, password) = create_device(&server, &["press"]);
    let ca = server.data.join("tls").join("self-signed.crt");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let connect_tls = |password: &str| {
        let mut tls = mqtt5::transport::tls::TlsConfig::new(addrs[0].parse().unwrap(), "localhost");
        tls.load_ca_cert_pem(ca.to_str().unwrap()).unwrap();
        let id = format!("c-{}", uuid::Uuid::new_v4().simple());
        let client = MqttClient::new(id.clone());
        let opts = ConnectOptions::new(id)
            .with_credentials(user.as_str(), password.as_bytes())
            .with_automatic_reconnect(false);
        rt.block_on(client.connect_with_tls_and_options(tls, opts))
            .map(|_| client)
    };
    assert!(connect_tls("wrong").is_err());
    let client = connect_tls(&password).unwrap();
    rt.block_on(client.publish_qos1("twins/press/properties", json!({"n": 9}).to_string()))
        .unwrap();
    assert_eq!(n_of(&server, "press"), 9);
}

#[test]
fn devices_connect_over_websocket_with_the_same_logins_and_topic_rules() {
    let dir = tempfile::tempdir().unwrap();
    let (server, addrs) =
        Server::start_listening(dir.path(), &["--mqtt-ws", "127.0.0.1:0"], &["mqtt", "ws"]);
    assert!(addrs[1].ends_with("/mqtt"), "{addrs:?}");
    server.admin("POST", "/models", Some(&counter_model()));
    for id in ["press", "other"] {
        let twin = json!({"$metadata": {"$model": "dtmi:test:Counter;1"}, "n": 1});
        let path = format!("/digitaltwins/{id}");
        assert_eq!(server.admin("PUT", &path, Some(&twin)).0, 200);
    }
    let (user, password) = create_device(&server, &["press"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = format!("ws://{}", addrs[1]);
    let connect_ws = |v: ProtocolVersion, password: &str| {
        let id = format!("c-{}", uuid::Uuid::new_v4().simple());
        let client = MqttClient::new(id.clone());
        let opts = ConnectOptions::new(id)
            .with_credentials(user.as_str(), password.as_bytes())
            .with_protocol_version(v)
            .with_automatic_reconnect(false);
        rt.block_on(client.connect_with_options(&url, opts))
            .map(|_| client)
    };
    for v in [ProtocolVersion::V5, ProtocolVersion::V311] {
        assert!(connect_ws(v, "wrong").is_err(), "a wrong password ({v:?})");
    }
    let v5 = connect_ws(ProtocolVersion::V5, &password).unwrap();
    rt.block_on(v5.publish_qos1("twins/press/properties", json!({"n": 9}).to_string()))
        .unwrap();
    assert_eq!(n_of(&server, "press"), 9);
    // The topic ACL holds as on TCP: no writing another twin, no
    // subscribing to its commands.
    let refused =
        rt.block_on(v5.publish_qos1("twins/other/properties", json!({"n": 7}).to_string()));
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(n_of(&server, "other"), 1);
    let foreign = rt.block_on(v5.subscribe("twins/other/commands/#", |_| {}));
    assert!(foreign.is_err(), "{foreign:?}");
    let v3 = connect_ws(ProtocolVersion::V311, &password).unwrap();
    rt.block_on(v3.publish_qos1("twins/press/properties", json!({"n": 10}).to_string()))
        .unwrap();
    assert_eq!(n_of(&server, "press"), 10);
    // TCP devices are served beside it.
    let tcp = rt
        .block_on(connect(&addrs[0], ProtocolVersion::V5, &user, &password))
        .unwrap();
    rt.block_on(tcp.publish_qos1("twins/press/properties", json!({"n": 11}).to_string()))
        .unwrap();
    assert_eq!(n_of(&server, "press"), 11);

    // The WebSocket port is taken (by this server): serve fails and names
    // --mqtt-ws.
    let ws_addr = addrs[1].trim_end_matches("/mqtt");
    let other = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .args(["serve", "--http", "127.0.0.1:0", "--mqtt", "127.0.0.1:0"])
        .args(["--mqtt-ws", ws_addr, "--data"])
        .arg(other.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already in use") && err.contains("--mqtt-ws"),
        "{err}"
    );
    drop((v5, v3, tcp));
}

#[test]
fn writable_properties_written_through_the_api_reach_the_device_as_desired_state() {
    let (_dir, server, mqtt) = setup();
    let (user, password) = create_device(&server, &["press"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let subscribe = |filter: &str| {
        let client = rt
            .block_on(connect(&mqtt, ProtocolVersion::V5, &user, &password))
            .unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<Value>();
        let opts = mqtt5::types::SubscribeOptions {
            qos: mqtt5::QoS::AtLeastOnce,
            ..Default::default()
        };
        let r = rt.block_on(client.subscribe_with_options(filter, opts, move |m| {
            let _ = tx.send(serde_json::from_slice(&m.payload).unwrap());
        }));
        (client, rx, r)
    };
    let next = |rx: &std::sync::mpsc::Receiver<Value>| rx.recv_timeout(Duration::from_secs(5));
    // The state may come twice on subscribing (sent live and retained); a
    // device treats it as a state, not as an event.
    let until = |rx: &std::sync::mpsc::Receiver<Value>, want: &dyn Fn(&Value) -> bool| loop {
        let v = next(rx).expect("the desired state in time");
        if want(&v) {
            break v;
        }
    };

    // On subscribing, the device gets the current desired state at once.
    let (_dev, rx, r) = subscribe("twins/press/properties/desired");
    r.unwrap();
    let first = next(&rx).expect("the current desired state");
    assert_eq!(first["n"], 1, "{first}");
    assert!(
        first["$version"].as_str().unwrap().starts_with("W/"),
        "{first}"
    );

    // A write through the API is sent, with the twin's new version.
    let patch = json!([{"op": "replace", "path": "/n", "value": 5}]);
    assert_eq!(
        server.admin("PATCH", "/digitaltwins/press", Some(&patch)).0,
        204
    );
    let second = until(&rx, &|v| v["n"] != 1);
    assert_eq!(
        (second["n"].as_i64(), second.get("name")),
        (Some(5), None),
        "{second}"
    );
    assert_ne!(second["$version"], first["$version"]);
    let patch = json!([{"op": "add", "path": "/name", "value": "line 1 press"}]);
    server.admin("PATCH", "/digitaltwins/press", Some(&patch));
    until(&rx, &|v| v["name"] == "line 1 press");

    // The device's own report is not echoed back to it.
    rt.block_on(_dev.publish_qos1("twins/press/properties", json!({"n": 6}).to_string()))
        .unwrap();
    assert_eq!(n_of(&server, "press"), 6);
    std::thread::sleep(Duration::from_millis(500));
    assert!(rx.try_iter().all(|v| v["n"] != 6), "the report was echoed");

    // A device subscribing later gets the twin's current state (after the
    // retained copy of the last one sent, which may be older).
    let (_late, late_rx, r) = subscribe("twins/press/properties/desired");
    r.unwrap();
    let latest = until(&late_rx, &|v| v["n"] == 6);
    assert_eq!(
        (latest["n"].as_i64(), latest["name"].as_str()),
        (Some(6), Some("line 1 press")),
        "{latest}"
    );

    // Another twin's desired state is not the device's to read.
    let (_other, _, r) = subscribe("twins/other/properties/desired");
    assert!(
        r.is_err(),
        "subscribing to another twin's desired state must be refused"
    );
}

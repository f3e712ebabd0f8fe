//! Mapping rules on the built-in MQTT endpoint: a device keeps its own
//! topics and payload layout, and rules from the config file and the API
//! map them onto twins, with fields by JSON Pointer, unit scaling and a
//! source timestamp. Rules are durable, checked before they are kept,
//! and never widen what a device may write.

mod support;

use std::io::BufReader;
use std::time::Duration;

use mqtt5::ProtocolVersion;
use serde_json::{Value, json};
use support::{ADMIN, Server, connect, create_device, next_cloudevent, token, wait_for};

fn model() -> Value {
    json!([{
        "@context": "dtmi:dtdl:context;3", "@id": "dtmi:test:Oven;1", "@type": "Interface",
        "contents": [
            {"@type": "Telemetry", "name": "temp", "schema": "double"},
            {"@type": "Property", "name": "setpoint", "schema": "double", "writable": true}
        ]
    }])
}

const CONFIG: &str = r#"
[[mapping]]
id = "press7-temp"
topic = "plant/line1/press7/temp"
twin = "oven"
kind = "telemetry"
fields = [{ pointer = "/t", name = "temp", scale = 0.1 }]
timestamp = "/ts"
"#;

fn setpoint(server: &Server, id: &str) -> Value {
    server.admin("GET", &format!("/digitaltwins/{id}"), None).1["setpoint"].clone()
}

#[test]
fn devices_publish_in_their_own_layout_through_mapping_rules() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ferrotwin.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let data = dir.path().join("data");
    let cfg = config.to_str().unwrap().to_string();
    let (server, mqtt) = Server::start_mqtt(&data, &["--config", &cfg]);
    server.admin("POST", "/models", Some(&model()));
    for id in ["oven", "other"] {
        let twin = json!({"$metadata": {"$model": "dtmi:test:Oven;1"}});
        assert_eq!(
            server
                .admin("PUT", &format!("/digitaltwins/{id}"), Some(&twin))
                .0,
            200
        );
    }

    // A rule through the API: Fahrenheit setpoints on the device's own topic.
    let rule = json!({"topic": "legacy/{twinId}/status", "kind": "properties",
                      "fields": [{"pointer": "/sp", "name": "setpoint", "scale": 1.8, "offset": 32.0}]});
    let (s, r) = server.admin("PUT", "/mappings/legacy-status", Some(&rule));
    assert_eq!(
        (s, &r["id"], &r["origin"]),
        (201, &json!("legacy-status"), &json!("api")),
        "{r}"
    );
    let (s, _) = server.admin("PUT", "/mappings/legacy-status", Some(&rule));
    assert_eq!(s, 200, "replacing a rule");
    let all = server.admin("GET", "/mappings", None).1;
    let ids: Vec<&str> = all["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["press7-temp", "legacy-status"]);
    assert_eq!(all["value"][0]["origin"], "config");

    let url = format!("{}/events?access_token={ADMIN}&type=telemetry", server.base);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    let mut events = BufReader::new(agent.get(&url).call().unwrap().into_body().into_reader());
    std::thread::sleep(Duration::from_millis(200));

    let (user, password) = create_device(&server, &["oven"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dev = rt
        .block_on(connect(&mqtt, ProtocolVersion::V5, &user, &password))
        .unwrap();
    rt.block_on(dev.publish_qos1(
        "plant/line1/press7/temp",
        br#"{"t": 215, "ts": 1767225600000}"#.to_vec(),
    ))
    .unwrap();
    let ce = next_cloudevent(&mut events);
    assert_eq!(ce["subject"], "oven", "{ce}");
    assert!(
        (ce["data"]["temp"].as_f64().unwrap() - 21.5).abs() < 1e-9,
        "{ce}"
    );
    assert_eq!(ce["time"], "2026-01-01T00:00:00.000Z");

    rt.block_on(dev.publish_qos1("legacy/oven/status", br#"{"sp": 100}"#.to_vec()))
        .unwrap();
    assert_eq!(setpoint(&server, "oven"), json!(212.0));

    // A rule never lets a device write to a twin it is not bound to.
    let _ = rt.block_on(dev.publish_qos1("legacy/other/status", br#"{"sp": 1}"#.to_vec()));
    // A payload the rule cannot read is a dead letter naming the rule.
    rt.block_on(dev.publish_qos1("legacy/oven/status", br#"{"spx": 1}"#.to_vec()))
        .unwrap();
    let letters = wait_for(10, || {
        let l = server.admin("GET", "/deadletters?twinId=oven", None).1["value"].clone();
        (!l.as_array().unwrap().is_empty()).then_some(l)
    })
    .expect("a dead letter");
    assert!(
        letters[0]["source"]
            .as_str()
            .unwrap()
            .ends_with("mapping=legacy-status"),
        "{letters}"
    );
    assert!(
        letters[0]["reason"]
            .as_str()
            .unwrap()
            .contains("no value at '/sp'"),
        "{letters}"
    );
    assert_eq!(letters[0]["payload"], json!({"spx": 1}));
    assert_eq!(setpoint(&server, "other"), Value::Null);

    // Bad rules are refused with the reason; config rules are read-only.
    let (s, e) = server.admin(
        "PUT",
        "/mappings/bad",
        Some(&json!({"topic": "x/y", "kind": "telemetry"})),
    );
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("InvalidMapping")),
        "{e}"
    );
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("give 'twin'"),
        "{e}"
    );
    let (s, e) = server.admin(
        "PUT",
        "/mappings/bad",
        Some(&json!({"topic": "x/{twinId}", "kind": "gossip"})),
    );
    assert_eq!(s, 400, "{e}");
    let (s, e) = server.admin("PUT", "/mappings/press7-temp", Some(&rule));
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("MappingReadOnly")),
        "{e}"
    );
    let reader = token(&data, "reader", &[]);
    assert_eq!(
        server
            .call(Some(&reader), "GET", "/mappings/legacy-status", None)
            .0,
        200
    );
    assert_eq!(
        server
            .call(Some(&reader), "DELETE", "/mappings/legacy-status", None)
            .0,
        403
    );

    // Rules are durable; once deleted, the topic is refused again.
    drop(dev);
    server.stop();
    let (server, mqtt) = Server::start_mqtt(&data, &["--config", &cfg]);
    assert_eq!(server.admin("GET", "/mappings/legacy-status", None).0, 200);
    let dev = rt
        .block_on(connect(&mqtt, ProtocolVersion::V5, &user, &password))
        .unwrap();
    rt.block_on(dev.publish_qos1("legacy/oven/status", br#"{"sp": 50}"#.to_vec()))
        .unwrap();
    assert_eq!(setpoint(&server, "oven"), json!(122.0));
    assert_eq!(
        server.admin("DELETE", "/mappings/legacy-status", None).0,
        204
    );
    assert_eq!(
        server.admin("DELETE", "/mappings/legacy-status", None).0,
        404
    );
    let _ = rt.block_on(dev.publish_qos1("legacy/oven/status", br#"{"sp": 0}"#.to_vec()));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(setpoint(&server, "oven"), json!(122.0));
}

#[test]
fn a_bad_mapping_in_the_config_file_stops_serve_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ferrotwin.toml");
    std::fs::write(
        &config,
        "[[mapping]]\nid = \"m1\"\ntopic = \"a/b\"\nkind = \"telemetry\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(support::bin())
        .args(["serve", "--no-mqtt", "--http", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--data")
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mapping 'm1'") && err.contains("give 'twin'"),
        "{err}"
    );
}

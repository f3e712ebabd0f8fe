//! Refused device messages are never dropped: an unknown twin, an
//! unknown telemetry name, a wrong type and bytes that are not JSON each
//! end in the dead-letter store with their source and reason, are counted
//! in the metrics, survive a restart, and can be replayed once the cause
//! is fixed.

mod support;

use mqtt5::ProtocolVersion;
use serde_json::{Value, json};
use support::{Server, connect, create_device, token, wait_for};

fn model() -> Value {
    json!([{
        "@context": "dtmi:dtdl:context;3", "@id": "dtmi:test:Oven;1", "@type": "Interface",
        "contents": [
            {"@type": "Telemetry", "name": "temp", "schema": "double"},
            {"@type": "Property", "name": "setpoint", "schema": "double", "writable": true}
        ]
    }])
}

fn twin() -> Value {
    json!({"$metadata": {"$model": "dtmi:test:Oven;1"}})
}

fn letters(server: &Server, query: &str) -> Vec<Value> {
    let (s, body) = server.admin("GET", &format!("/deadletters{query}"), None);
    assert_eq!(s, 200, "{body}");
    body["value"].as_array().unwrap().clone()
}

#[test]
fn refused_device_messages_are_kept_counted_and_replayable() {
    let dir = tempfile::tempdir().unwrap();
    let (server, mqtt) = Server::start_mqtt(dir.path(), &[]);
    server.admin("POST", "/models", Some(&model()));
    assert_eq!(
        server.admin("PUT", "/digitaltwins/oven", Some(&twin())).0,
        200
    );
    let (user, password) = create_device(&server, &["oven", "ghost"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dev = rt
        .block_on(connect(&mqtt, ProtocolVersion::V5, &user, &password))
        .unwrap();
    let publish = |topic: &str, payload: &[u8]| {
        rt.block_on(dev.publish_qos1(topic, payload.to_vec()))
            .unwrap();
    };
    publish("twins/ghost/telemetry", br#"{"temp": 20.5}"#);
    publish("twins/oven/telemetry", br#"{"temp": "hot"}"#);
    publish("twins/oven/telemetry", br#"{"humidity": 3}"#);
    publish("twins/oven/telemetry", b"\x00\x01 not json");
    publish(
        "twins/oven/telemetry",
        br#"[{"temp": 1.0}, {"temp": true}, {"temp": 2.0}]"#,
    );
    publish("twins/oven/properties", br#"{"setpoint": "high"}"#);
    publish("twins/oven/properties", br#"{"setpoint": 180.0}"#);

    let all = wait_for(10, || {
        let l = letters(&server, "");
        (l.len() >= 6).then_some(l)
    })
    .unwrap_or_else(|| panic!("six letters expected: {:?}", letters(&server, "")));
    assert_eq!(all.len(), 6, "{all:#?}");
    let reasons: Vec<&str> = all.iter().map(|l| l["reason"].as_str().unwrap()).collect();
    assert!(reasons[0].contains("twin not found: ghost"), "{reasons:?}");
    assert!(
        reasons[1].contains("telemetry 'temp'") && reasons[1].contains("\"hot\""),
        "{reasons:?}"
    );
    assert!(
        reasons[2].contains("no telemetry 'humidity'"),
        "{reasons:?}"
    );
    assert!(reasons[3].contains("not JSON"), "{reasons:?}");
    assert!(reasons[4].contains("true"), "{reasons:?}");
    assert!(reasons[5].contains("setpoint"), "{reasons:?}");
    for l in &all {
        let src = l["source"].as_str().unwrap();
        assert!(
            src.starts_with("mqtt client=") && src.contains(" topic=twins/"),
            "{src}"
        );
    }
    // Only the bad item of the batch is a letter; the others went through.
    assert_eq!(all[4]["payload"], json!({"temp": true}));
    assert_eq!(all[3]["payloadText"].as_str().unwrap().len(), 11);
    assert!(all[3].get("payload").is_none());
    // The good property report landed.
    assert_eq!(
        server.admin("GET", "/digitaltwins/oven", None).1["setpoint"],
        180.0
    );

    let (_, metrics) = server.admin("GET", "/metrics", None);
    let metrics = metrics.as_str().unwrap().to_string();
    for line in [
        "ferrotwin_device_messages_refused_total{protocol=\"mqtt\",reason=\"unknown_twin\"} 1",
        "ferrotwin_device_messages_refused_total{protocol=\"mqtt\",reason=\"invalid\"} 5",
        "ferrotwin_dead_letters 6",
    ] {
        assert!(metrics.contains(line), "no '{line}' in\n{metrics}");
    }

    // Readers list; replaying needs a writer, deleting an admin.
    let reader = token(&server.data, "reader", &[]);
    let id0 = all[0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        server.call(Some(&reader), "GET", "/deadletters", None).0,
        200
    );
    assert_eq!(
        server
            .call(
                Some(&reader),
                "POST",
                &format!("/deadletters/{id0}/replay"),
                None
            )
            .0,
        403
    );
    let writer = token(&server.data, "writer", &[]);
    assert_eq!(
        server
            .call(
                Some(&writer),
                "DELETE",
                &format!("/deadletters/{id0}"),
                None
            )
            .0,
        403
    );

    // Once the twin exists, replaying by twin delivers its letter and removes it.
    assert_eq!(
        server.admin("PUT", "/digitaltwins/ghost", Some(&twin())).0,
        200
    );
    let (s, r) = server.call(
        Some(&writer),
        "POST",
        "/deadletters/replay?twinId=ghost",
        None,
    );
    assert_eq!(
        (s, &r),
        (
            200,
            &json!({"delivered": 1, "refused": 0, "notReplayable": 0, "more": false})
        )
    );
    assert!(letters(&server, "?twinId=ghost").is_empty());

    // A letter still wrong stays, with its replay counted.
    let hot = all[1]["id"].as_str().unwrap();
    let (s, r) = server.call(
        Some(&writer),
        "POST",
        &format!("/deadletters/{hot}/replay"),
        None,
    );
    assert_eq!((s, r["outcome"].as_str()), (200, Some("refused")), "{r}");
    assert_eq!(r["letter"]["replays"], 1);
    // Garbage bytes know their twin, but stay garbage.
    let junk = all[3]["id"].as_str().unwrap();
    let (_, r) = server.call(
        Some(&writer),
        "POST",
        &format!("/deadletters/{junk}/replay"),
        None,
    );
    assert_eq!(r["outcome"], "refused", "{r}");

    // Paging, lookups and deletion.
    let page = server.admin("GET", "/deadletters?maxItems=2", None).1;
    assert_eq!(page["value"].as_array().unwrap().len(), 2);
    assert_eq!(page["kept"], 5);
    let next = page["nextLink"].as_str().unwrap();
    let page2 = server.admin("GET", next, None).1;
    assert_ne!(page2["value"][0]["id"], page["value"][0]["id"]);
    assert_eq!(server.admin("GET", "/deadletters/nope", None).0, 404);
    assert_eq!(server.admin("GET", "/deadletters?maxItems=0", None).0, 400);
    assert_eq!(server.admin("DELETE", "/deadletters", None).0, 400);

    // Letters are durable.
    let data = server.data.clone();
    drop(dev);
    server.stop();
    let server = Server::start(&data, &[]);
    let kept = letters(&server, "");
    assert_eq!(kept.len(), 5, "{kept:#?}");
    assert_eq!(
        server
            .admin("DELETE", &format!("/deadletters/{hot}"), None)
            .0,
        204
    );
    let (s, r) = server.admin("DELETE", "/deadletters?twinId=oven", None);
    assert_eq!((s, r["deleted"].as_u64()), (200, Some(4)));
    assert!(letters(&server, "").is_empty());
}

//! The live event stream over real SSE and WebSocket connections.

mod support;

use std::io::{BufRead, BufReader};
use std::time::Duration;

use serde_json::{Value, json};
use support::{ADMIN, Server, counter_model};

fn twin(n: i64) -> Value {
    json!({"$metadata": {"$model": "dtmi:test:Counter;1"}, "n": n})
}

/// Reads SSE `data:` lines of `cloudevent` events until `n` arrived.
fn read_sse(reader: &mut impl BufRead, n: usize) -> Vec<Value> {
    let (mut out, mut event) = (Vec::new(), String::new());
    let mut line = String::new();
    while out.len() < n {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "stream ended early"
        );
        let l = line.trim_end();
        if let Some(e) = l.strip_prefix("event: ") {
            event = e.to_string();
        } else if let Some(d) = l.strip_prefix("data: ") {
            if event == "cloudevent" {
                out.push(serde_json::from_str(d).unwrap());
            }
        }
    }
    out
}

#[test]
fn sse_subscribers_get_filtered_cloudevents() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    server.admin("POST", "/models", Some(&counter_model()));
    // A token in the query, as a browser's EventSource must send it.
    let url = format!(
        "{}/events?access_token={ADMIN}&type=twin.update&twin=a&model=dtmi:test:Counter;1",
        server.base
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    let resp = agent.get(&url).call().unwrap();
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "text/event-stream"
    );
    let mut reader = BufReader::new(resp.into_body().into_reader());
    std::thread::sleep(Duration::from_millis(200));
    server.admin("PUT", "/digitaltwins/a", Some(&twin(1)));
    server.admin("PUT", "/digitaltwins/b", Some(&twin(1)));
    // Only the update of twin a passes the filter.
    server.admin(
        "PATCH",
        "/digitaltwins/b",
        Some(&json!([{"op": "replace", "path": "/n", "value": 5}])),
    );
    server.admin(
        "PATCH",
        "/digitaltwins/a",
        Some(&json!([{"op": "replace", "path": "/n", "value": 2}])),
    );
    let events = read_sse(&mut reader, 1);
    let e = &events[0];
    assert_eq!(e["specversion"], "1.0");
    assert_eq!(e["type"], "Microsoft.DigitalTwins.Twin.Update");
    assert_eq!(e["subject"], "a");
    assert_eq!(e["dataschema"], "dtmi:test:Counter;1");
    assert_eq!(e["data"]["patch"][0]["value"], 2);
}

#[test]
fn websocket_subscribers_get_telemetry_and_bad_filters_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    server.admin("POST", "/models", Some(&counter_model()));
    server.admin("PUT", "/digitaltwins/a", Some(&twin(1)));
    let (s, e) = server.admin("GET", "/events?type=everything", None);
    assert_eq!(s, 400);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown event type"),
        "{e}"
    );
    assert_eq!(
        support::call(&server.base, None, "GET", "/events", None, &[]).0,
        401
    );

    let ws_url = format!(
        "{}/events/ws?type=telemetry",
        server.base.replace("http://", "ws://")
    );
    let req = tungstenite::client::IntoClientRequest::into_client_request(ws_url.as_str()).unwrap();
    let mut req = req;
    req.headers_mut()
        .insert("authorization", format!("Bearer {ADMIN}").parse().unwrap());
    let host = server.base.trim_start_matches("http://").to_string();
    let stream = std::net::TcpStream::connect(&host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let (mut ws, _) = tungstenite::client(req, stream).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let (s, _) = support::call(
        &server.base,
        Some(ADMIN),
        "POST",
        "/digitaltwins/a/telemetry",
        Some(&json!({"temperature": 21.5})),
        &[
            ("message-id", "m-1"),
            ("telemetry-source-time", "2026-01-01T00:00:00Z"),
        ],
    );
    assert_eq!(s, 204);
    let msg = ws.read().unwrap();
    let ce: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
    assert_eq!(ce["type"], "microsoft.iot.telemetry");
    assert_eq!(ce["id"], "m-1");
    assert_eq!(ce["time"], "2026-01-01T00:00:00Z");
    assert_eq!(ce["data"]["temperature"], 21.5);
}

/// Imports `n` twins in one job: its batch publishes `n` events at once.
fn import_burst(server: &Server, n: usize) {
    let input = server.data.join("burst.ndjson");
    let mut lines = vec!["{\"Section\": \"Twins\"}".to_string()];
    lines.extend((0..n).map(|i| json!({"$dtId": format!("t{i}"), "$metadata": {"$model": "dtmi:test:Counter;1"}, "n": i}).to_string()));
    std::fs::write(&input, lines.join("\n")).unwrap();
    let (s, e) = server.admin(
        "PUT",
        "/jobs/imports/burst",
        Some(&json!({"inputBlobUri": "burst.ndjson", "outputBlobUri": "burst.log"})),
    );
    assert_eq!(s, 201, "{e}");
}

#[test]
fn a_slow_subscriber_is_told_what_it_missed_or_disconnected_and_writers_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--event-buffer", "8"]);
    server.admin("POST", "/models", Some(&counter_model()));

    let url = format!("{}/events?access_token={ADMIN}", server.base);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut sse = BufReader::new(agent.get(&url).call().unwrap().into_body().into_reader());
    let ws_url = format!(
        "{}/events/ws?lag=disconnect&access_token={ADMIN}",
        server.base.replace("http://", "ws://")
    );
    let stream = std::net::TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let (mut ws, _) = tungstenite::client(ws_url.as_str(), stream).unwrap();
    std::thread::sleep(Duration::from_millis(200));

    import_burst(&server, 2000);

    // notify: a lag notice with a count, then the stream goes on.
    let mut line = String::new();
    let dropped = loop {
        line.clear();
        assert!(
            sse.read_line(&mut line).unwrap() > 0,
            "stream ended before a lag notice"
        );
        if let Some(d) = line.trim_end().strip_prefix("data: ") {
            let v: Value = serde_json::from_str(d).unwrap();
            if v["lagged"] == true {
                break v["dropped"].as_u64().unwrap();
            }
        }
    };
    assert!(dropped > 0);
    // disconnect: the notice, then a policy-violation close naming the cause.
    let close = loop {
        match ws.read() {
            Ok(tungstenite::Message::Close(frame)) => {
                break frame.expect("a close frame with a reason");
            }
            Ok(_) => continue,
            Err(e) => panic!("expected a close frame, got {e}"),
        }
    };
    assert_eq!(u16::from(close.code), 1008);
    assert!(close.reason.contains("lagged"), "{}", close.reason);
    // Writers were never held up: the import finished whole.
    for _ in 0..200 {
        let (_, job) = server.admin("GET", "/jobs/imports/burst", None);
        if job["status"] == "succeeded" {
            assert_eq!(job["progress"]["twins"], 2000);
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the import did not finish");
}

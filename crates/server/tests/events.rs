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
        assert!(reader.read_line(&mut line).unwrap() > 0, "stream ended early");
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
    let url = format!("{}/events?access_token={ADMIN}&type=twin.update&twin=a&model=dtmi:test:Counter;1", server.base);
    let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(20))).build().into();
    let resp = agent.get(&url).call().unwrap();
    assert_eq!(resp.headers().get("content-type").unwrap(), "text/event-stream");
    let mut reader = BufReader::new(resp.into_body().into_reader());
    std::thread::sleep(Duration::from_millis(200));
    server.admin("PUT", "/digitaltwins/a", Some(&twin(1)));
    server.admin("PUT", "/digitaltwins/b", Some(&twin(1)));
    // Only the update of twin a passes the filter.
    server.admin("PATCH", "/digitaltwins/b", Some(&json!([{"op": "replace", "path": "/n", "value": 5}])));
    server.admin("PATCH", "/digitaltwins/a", Some(&json!([{"op": "replace", "path": "/n", "value": 2}])));
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
    assert!(e["error"]["message"].as_str().unwrap().contains("unknown event type"), "{e}");
    assert_eq!(support::call(&server.base, None, "GET", "/events", None, &[]).0, 401);

    let ws_url = format!("{}/events/ws?type=telemetry", server.base.replace("http://", "ws://"));
    let req = tungstenite::client::IntoClientRequest::into_client_request(ws_url.as_str()).unwrap();
    let mut req = req;
    req.headers_mut().insert("authorization", format!("Bearer {ADMIN}").parse().unwrap());
    let host = server.base.trim_start_matches("http://").to_string();
    let stream = std::net::TcpStream::connect(&host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let (mut ws, _) = tungstenite::client(req, stream).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let (s, _) = support::call(
        &server.base,
        Some(ADMIN),
        "POST",
        "/digitaltwins/a/telemetry",
        Some(&json!({"temperature": 21.5})),
        &[("message-id", "m-1"), ("telemetry-source-time", "2026-01-01T00:00:00Z")],
    );
    assert_eq!(s, 204);
    let msg = ws.read().unwrap();
    let ce: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
    assert_eq!(ce["type"], "microsoft.iot.telemetry");
    assert_eq!(ce["id"], "m-1");
    assert_eq!(ce["time"], "2026-01-01T00:00:00Z");
    assert_eq!(ce["data"]["temperature"], 21.5);
}

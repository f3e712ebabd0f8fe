//! The web app's server side through a real server: the embedded app at
//! /ui/ (redirect from /, caching, CSP), who a token belongs to, and the
//! simulator's API reached through the platform with its roles.

mod support;

use serde_json::json;
use support::Server;

fn get(url: &str, headers: &[(&str, &str)]) -> ureq::http::Response<ureq::Body> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut req = agent.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.call().unwrap()
}

#[test]
fn the_app_is_served_from_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let root = get(&format!("{}/", server.base), &[]);
    assert_eq!(root.status(), 303);
    assert_eq!(root.headers()["location"], "/ui/");

    let mut index = get(&format!("{}/ui/", server.base), &[]);
    assert_eq!(index.status(), 200);
    assert!(
        index.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        index.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    assert_eq!(index.headers()["cache-control"], "no-cache");
    let etag = index.headers()["etag"].to_str().unwrap().to_string();
    let html = index.body_mut().read_to_string().unwrap();
    let script = html
        .split('"')
        .find(|s| s.starts_with("/ui/assets/") && s.ends_with(".js"))
        .unwrap_or_else(|| panic!("index.html loads a script bundle: {html}"))
        .to_string();
    assert_eq!(
        get(&format!("{}/ui/", server.base), &[("if-none-match", &etag)]).status(),
        304
    );

    let bundle = get(&format!("{}{script}", server.base), &[]);
    assert_eq!(bundle.status(), 200);
    assert!(
        bundle.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert!(
        bundle.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let missing = get(&format!("{}/ui/assets/nope.js", server.base), &[]);
    assert_eq!(missing.status(), 404);
}

#[test]
fn whoami_names_the_token_and_its_role() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let reader = support::token(dir.path(), "reader", &["--name", "tablet-7"]);
    let (s, me) = server.call(Some(&reader), "GET", "/auth/whoami", None);
    assert_eq!(s, 200);
    assert_eq!(me, json!({"name": "tablet-7", "role": "reader"}));
    let (s, _) = server.call(Some("not-a-token"), "GET", "/auth/whoami", None);
    assert_eq!(s, 401);
}

#[test]
fn the_simulator_is_reached_through_the_platform() {
    let dir = tempfile::tempdir().unwrap();
    // Without a simulator, /sim says how to attach one.
    let server = Server::start(dir.path(), &[]);
    let (s, body) = server.admin("GET", "/sim/truth", None);
    assert_eq!(s, 404, "{body}");
    assert_eq!(body["error"]["code"], "SimulatorNotAttached");
    drop(server);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sim_api = format!("http://127.0.0.1:{port}");
    let (server, mqtt) = Server::start_mqtt(dir.path(), &["--sim-api", &sim_api]);
    let reader = support::token(dir.path(), "reader", &[]);
    // Before the simulator runs, the platform says it did not answer.
    let (s, body) = server.admin("GET", "/sim/assets", None);
    assert_eq!(s, 502, "{body}");
    assert_eq!(body["error"]["code"], "SimulatorUnavailable");

    let _sim = support::start_sim(
        &server,
        &mqtt,
        &format!("127.0.0.1:{port}"),
        &["--assets", "pump:1"],
    );

    let (s, assets) = server.call(Some(&reader), "GET", "/sim/assets", None);
    assert_eq!(s, 200, "{assets}");
    assert_eq!(assets[0]["id"], "pump-1");
    let fault = json!({"asset": "pump-1", "kind": "imbalance", "severity": 0.5});
    let (s, body) = server.call(Some(&reader), "POST", "/sim/faults", Some(&fault));
    assert_eq!(s, 403, "a reader may not inject faults: {body}");
    let (s, body) = server.admin("POST", "/sim/faults", Some(&fault));
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["fault"]["kind"], "imbalance");
    let (s, body) = server.admin(
        "POST",
        "/sim/faults",
        Some(&json!({"asset": "pump-9", "kind": "imbalance"})),
    );
    assert_eq!(s, 404);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("pump-9"),
        "{body}"
    );
    let (_, truth) = server.call(Some(&reader), "GET", "/sim/truth", None);
    assert_eq!(
        truth["assets"][0]["faults"][0]["kind"], "imbalance",
        "{truth}"
    );
}

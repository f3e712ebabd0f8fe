//! Authentication, roles and start-up errors, against the real binary.

mod support;

use std::process::Command;

use serde_json::json;
use support::{ADMIN, Server, bin, counter_model, token};

#[test]
fn roles_are_enforced_and_refused_requests_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    server.admin("POST", "/models", Some(&counter_model()));
    // Tokens created by the CLI while the server runs are honoured at once.
    let reader = token(dir.path(), "reader", &[]);
    let writer = token(dir.path(), "writer", &[]);
    let expired = token(dir.path(), "admin", &["--expires-in", "0s"]);
    let twin = json!({"$metadata": {"$model": "dtmi:test:Counter;1"}, "n": 1});

    let (s, e) = server.call(None, "PUT", "/digitaltwins/t", Some(&twin));
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (401, Some("Unauthorized"))
    );
    assert_eq!(
        server
            .call(Some("garbage"), "PUT", "/digitaltwins/t", Some(&twin))
            .0,
        401
    );
    let (s, e) = server.call(Some(&expired), "GET", "/models", None);
    assert_eq!(s, 401);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("expired"),
        "{e}"
    );
    let (s, e) = server.call(Some(&reader), "PUT", "/digitaltwins/t", Some(&twin));
    assert_eq!(s, 403);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("writer"),
        "{e}"
    );
    assert_eq!(
        server.admin("GET", "/digitaltwins/t", None).0,
        404,
        "nothing was written"
    );

    assert_eq!(
        server
            .call(Some(&writer), "PUT", "/digitaltwins/t", Some(&twin))
            .0,
        200
    );
    assert_eq!(
        server.call(Some(&reader), "GET", "/digitaltwins/t", None).0,
        200
    );
    assert_eq!(
        server
            .call(Some(&writer), "POST", "/models", Some(&counter_model()))
            .0,
        403,
        "models need admin"
    );
    assert_eq!(
        server
            .call(Some(&writer), "DELETE", "/models/dtmi:test:Counter;1", None)
            .0,
        403
    );
    assert_eq!(
        server.admin("GET", "/models/dtmi:test:Counter;1", None).0,
        200
    );
    // Health and metrics need no token.
    assert_eq!(server.call(None, "GET", "/healthz", None).0, 200);
    let (s, m) = server.call(None, "GET", "/metrics", None);
    assert_eq!(s, 200);
    assert!(m.as_str().unwrap().contains("ferrotwin_twins 1"), "{m}");
    let _ = ADMIN;
}

#[test]
fn start_up_errors_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let port = server.base.rsplit(':').next().unwrap().to_string();
    let other = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .args(["serve", "--http", &format!("127.0.0.1:{port}"), "--data"])
        .arg(other.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already in use") && err.contains("--http"),
        "{err}"
    );
    let out = Command::new(bin())
        .args(["serve", "--http", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in use by another ferrotwin process"), "{err}");
}

#[test]
fn malformed_input_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent
        .put(format!(
            "{}/digitaltwins/x?api-version=2023-10-31",
            server.base
        ))
        .header("authorization", format!("Bearer {ADMIN}"))
        .send("{\"$metadata\": {\n  \"$model\": }")
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(
        resp.headers().get("x-ms-error-code").unwrap(),
        "InvalidArgument"
    );
    let body = resp.body_mut().read_to_string().unwrap();
    assert!(
        body.contains("not valid JSON") && body.contains("line 2"),
        "{body}"
    );
    let (s, e) = server.admin("GET", "/digitaltwins/nobody", None);
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (404, Some("DigitalTwinNotFound"))
    );
    let (s, e) = support::call(
        &server.base,
        Some(ADMIN),
        "GET",
        "/models?api-version=1999-01-01",
        None,
        &[],
    );
    assert_eq!(s, 400, "{e}");
}

//! POST /query against the real binary: ADT's request and response shape,
//! `max-items-per-page` paging through continuation tokens, the
//! `query-charge` header, EXPLAIN, read-your-writes and error bodies.

mod support;

use serde_json::{Value, json};
use support::{ADMIN, Server, counter_model};

/// POST /query; returns status, body and the named response header.
fn post(
    server: &Server,
    body: &Value,
    headers: &[(&str, &str)],
    want: &str,
) -> (u16, Value, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{}/query?api-version=2023-10-31", server.base))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {ADMIN}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut resp = agent
        .run(req.body(body.to_string()).unwrap())
        .expect("request");
    let header = resp
        .headers()
        .get(want)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        header,
    )
}

fn ids(rows: &Value) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["$dtId"].as_str().unwrap_or("?").to_string())
        .collect()
}

#[test]
fn query_pages_explains_and_reports_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    assert_eq!(
        server.admin("POST", "/models", Some(&counter_model())).0,
        201
    );
    for i in 0..7 {
        let twin = json!({"$metadata": {"$model": "dtmi:test:Counter;1"}, "n": i, "name": format!("c{i}")});
        let (s, body) = server.admin("PUT", &format!("/digitaltwins/c{i}"), Some(&twin));
        assert_eq!(s, 200, "{body}");
        // Read-your-writes: an acknowledged write is visible to the next query.
        let q = json!({"query": format!("SELECT COUNT() FROM DIGITALTWINS WHERE $dtId = 'c{i}'")});
        assert_eq!(
            post(&server, &q, &[], "x").1["value"],
            json!([{"COUNT": 1}])
        );
    }
    let rel = json!({"$relationshipName": "next", "$targetId": "c1"});
    assert_eq!(
        server
            .admin("PUT", "/digitaltwins/c0/relationships/r1", Some(&rel))
            .0,
        200
    );

    // Paging: two rows a page, tokens carried in the body.
    let q = json!({"query": "SELECT * FROM DIGITALTWINS WHERE n >= 2"});
    let (s, first, charge) = post(&server, &q, &[("max-items-per-page", "2")], "query-charge");
    assert_eq!(s, 200, "{first}");
    assert!(charge.unwrap().parse::<f64>().unwrap() >= 1.0);
    let mut all = ids(&first["value"]);
    assert_eq!(all.len(), 2);
    let mut token = first["continuationToken"].clone();
    let mut pages = 1;
    while let Some(t) = token.as_str() {
        let (s, page, _) = post(&server, &json!({"continuationToken": t}), &[], "x");
        assert_eq!(s, 200, "{page}");
        all.extend(ids(&page["value"]));
        token = page["continuationToken"].clone();
        pages += 1;
    }
    assert_eq!(all, ["c2", "c3", "c4", "c5", "c6"]);
    assert_eq!(pages, 3);

    // JOIN with projections, as in ADT's QueryJoin example.
    let q = json!({"query": "SELECT A.name, B FROM DIGITALTWINS A JOIN B RELATED A.next WHERE A.$dtId = 'c0'"});
    let (_, body, _) = post(&server, &q, &[], "x");
    assert_eq!(body["value"][0]["name"], "c0");
    assert_eq!(body["value"][0]["B"]["$dtId"], "c1");
    assert_eq!(
        body["value"][0]["B"]["$metadata"]["$model"],
        "dtmi:test:Counter;1"
    );

    // EXPLAIN, by prefix and by header.
    let q = json!({"query": "EXPLAIN SELECT * FROM DIGITALTWINS WHERE $dtId = 'c3'"});
    let (_, body, _) = post(&server, &q, &[], "x");
    assert_eq!(body["value"][0]["plan"]["access"]["index"], "$dtId");
    let q = json!({"query": "SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:test:Counter;1')"});
    let (_, body, _) = post(&server, &q, &[("x-ferrotwin-explain", "true")], "x");
    assert_eq!(body["value"][0]["plan"]["access"]["index"], "model");

    // Errors: ADT's envelope, with line and column.
    let q = json!({"query": "SELECT *\nFROM DIGITALTWINS\nWHERE"});
    let (s, body, code) = post(&server, &q, &[], "x-ms-error-code");
    assert_eq!((s, code.as_deref()), (400, Some("SqlQueryError")), "{body}");
    assert_eq!(body["error"]["code"], "SqlQueryError");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("line 3, column 6") && msg.contains("expected"),
        "{msg}"
    );
    let (s, body, code) = post(
        &server,
        &json!({"continuationToken": "not-a-token"}),
        &[],
        "x-ms-error-code",
    );
    assert_eq!((s, code.as_deref()), (400, Some("BadRequest")), "{body}");
    let (s, _, _) = post(&server, &json!({}), &[], "x");
    assert_eq!(s, 400);
}

//! History through the running server: every telemetry reading and
//! property change is kept before it is acknowledged, and can be read
//! back raw, aggregated, latest, several at once, and as the twin's state
//! at a past instant. Both engines; kill -9 loses nothing acknowledged.

mod support;

use serde_json::{Value, json};
use support::{ADMIN, Server, call, counter_model};

fn telemetry(server: &Server, twin: &str, n: usize, time: &str, data: Value) -> u16 {
    call(
        &server.base,
        Some(ADMIN),
        "POST",
        &format!("/digitaltwins/{twin}/telemetry"),
        Some(&data),
        &[
            ("message-id", &n.to_string()),
            ("telemetry-source-time", time),
        ],
    )
    .0
}

/// The names of a twin's history series.
fn series_names(server: &Server, twin: &str) -> Vec<String> {
    let (s, list) = server.admin("GET", &format!("/history/twins/{twin}/series"), None);
    assert_eq!(s, 200, "{list}");
    list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect()
}

fn setup(server: &Server, twin: &str) {
    let (s, _) = server.admin("POST", "/models", Some(&counter_model()));
    assert!(s == 201 || s == 409, "model: {s}");
    let (s, b) = server.admin(
        "PUT",
        &format!("/digitaltwins/{twin}"),
        Some(&json!({"$metadata": {"$model": "dtmi:test:Counter;1"}, "n": 0, "name": "first"})),
    );
    assert_eq!(s, 200, "{b}");
}

fn at(minute: u32, second: u32) -> String {
    format!("2026-11-01T10:{minute:02}:{second:02}Z")
}

fn reads_back_what_was_written(server: &Server) {
    setup(server, "c1");
    for i in 0..120u32 {
        let data = json!({"temp": 20.0 + f64::from(i % 10), "status": {"ok": i % 2 == 0}});
        assert_eq!(
            telemetry(server, "c1", i as usize, &at(i / 60, i % 60), data),
            204
        );
    }
    let q = |p: &str| server.admin("GET", p, None);
    let names = series_names(server, "c1");
    assert_eq!(names, ["$lifecycle", "n", "name", "status/ok", "temp"]);

    let range = format!("from={}&to={}", at(0, 0), at(2, 0));
    let (s, page) = q(&format!(
        "/history/twins/c1/points?series=temp&{range}&maxItems=50"
    ));
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["value"].as_array().unwrap().len(), 50);
    assert_eq!(page["value"][0]["time"], "2026-11-01T10:00:00Z");
    assert_eq!(page["value"][3]["value"].as_f64(), Some(23.0));
    let token = page["continuationToken"]
        .as_str()
        .expect("more pages")
        .to_string();
    let (_, page2) = q(&format!(
        "/history/twins/c1/points?series=temp&{range}&maxItems=50&continuationToken={token}"
    ));
    assert_eq!(page2["value"][0]["time"], "2026-11-01T10:00:50Z");

    let (s, agg) = q(&format!(
        "/history/twins/c1/aggregate?series=temp&{range}&buckets=12"
    ));
    assert_eq!(s, 200, "{agg}");
    assert_eq!(agg["bucketWidth"], "10s");
    let b = &agg["value"][0];
    assert_eq!(
        (
            b["count"].as_u64(),
            b["min"].as_f64(),
            b["max"].as_f64(),
            b["avg"].as_f64()
        ),
        (Some(10), Some(20.0), Some(29.0), Some(24.5))
    );
    assert_eq!(agg["value"].as_array().unwrap().len(), 12);

    let (_, flags) = q(&format!(
        "/history/twins/c1/aggregate?series=status/ok&{range}&buckets=1"
    ));
    let avg = flags["value"][0]["avg"].as_f64().unwrap();
    assert!(
        (avg - 0.5).abs() < 1e-9,
        "booleans aggregate as 0 and 1: {avg}"
    );

    let (_, latest) = q("/history/twins/c1/latest?series=temp");
    assert_eq!(latest["value"][0]["point"]["value"].as_f64(), Some(29.0));
    assert_eq!(latest["value"][0]["point"]["time"], "2026-11-01T10:01:59Z");

    let (s, many) = server.admin(
        "POST",
        "/history/query",
        Some(
            &json!({"series": [{"twinId": "c1", "name": "temp"}, {"twinId": "ghost", "name": "x"}],
                     "from": at(0, 0), "to": at(1, 0), "buckets": 2}),
        ),
    );
    assert_eq!(s, 200, "{many}");
    assert_eq!(many["value"][0]["buckets"].as_array().unwrap().len(), 2);
    assert_eq!(many["value"][1]["error"]["code"], "HistoryNotFound");
}

fn time_travel(server: &Server) {
    setup(server, "tt");
    let (s, _) = server.admin(
        "PATCH",
        "/digitaltwins/tt",
        Some(&json!([{"op": "replace", "path": "/n", "value": 5}])),
    );
    assert_eq!(s, 204);
    let between = chrono::Utc::now();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let (s, _) = server.admin(
        "PATCH",
        "/digitaltwins/tt",
        Some(&json!([{"op": "replace", "path": "/n", "value": 9}, {"op": "remove", "path": "/name"}])),
    );
    assert_eq!(s, 204);
    let stamp =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let (s, then) = server.admin(
        "GET",
        &format!("/history/twins/tt/state?at={}", stamp(between)),
        None,
    );
    assert_eq!(s, 200, "{then}");
    assert_eq!(
        (then["n"].as_f64(), then["name"].as_str()),
        (Some(5.0), Some("first"))
    );
    assert_eq!(then["$metadata"]["$model"], "dtmi:test:Counter;1");
    let (_, now) = server.admin(
        "GET",
        &format!("/history/twins/tt/state?at={}", stamp(chrono::Utc::now())),
        None,
    );
    assert_eq!((now["n"].as_f64(), now.get("name")), (Some(9.0), None));
    let (s, before) = server.admin(
        "GET",
        "/history/twins/tt/state?at=2000-01-01T00:00:00Z",
        None,
    );
    assert_eq!(s, 404, "{before}");
}

fn bad_requests(server: &Server) {
    let cases = [
        (
            "GET",
            "/history/twins/c1/points",
            "'series' query parameter is required",
        ),
        (
            "GET",
            "/history/twins/c1/points?series=temp&from=yesterday",
            "'from' must be an RFC 3339 time",
        ),
        (
            "GET",
            "/history/twins/c1/points?series=temp&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
            "empty",
        ),
        (
            "GET",
            "/history/twins/c1/points?series=temp&maxItems=0",
            "'maxItems' must be a whole number",
        ),
        (
            "GET",
            "/history/twins/c1/aggregate?series=temp&buckets=lots",
            "'buckets' must be",
        ),
        (
            "GET",
            "/history/twins/c1/points?series=temp&continuationToken=xyz",
            "continuation token",
        ),
        (
            "GET",
            "/history/twins/c1/state",
            "'at' query parameter is required",
        ),
    ];
    for (method, path, expect) in cases {
        let (s, b) = server.admin(method, path, None);
        assert_eq!(s, 400, "{path}: {b}");
        let msg = b["error"]["message"].as_str().unwrap_or_default();
        assert!(
            msg.contains(expect),
            "{path}: '{msg}' should say '{expect}'"
        );
    }
    let (s, b) = server.admin("GET", "/history/twins/nobody/points?series=temp", None);
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (404, Some("HistoryNotFound"))
    );
    let (s, b) = server.admin(
        "POST",
        "/history/query",
        Some(&json!({"series": [{"twinId": "c1"}]})),
    );
    assert_eq!(s, 400);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("series[0] needs a non-empty string 'name'"),
        "{b}"
    );
    let (s, b) = server.admin(
        "PUT",
        "/history/retention",
        Some(&json!({"scope": "model", "maxAge": "30d"})),
    );
    assert_eq!(s, 400, "{b}");
}

fn post_lines(server: &Server, body: &str) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .post(&format!("{}/history/write?precision=s", server.base))
        .header("authorization", &format!("Bearer {ADMIN}"))
        .send(body)
        .unwrap();
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn line_protocol(server: &Server) {
    setup(server, "lp");
    let base = 1_793_000_000i64;
    let body = format!(
        "# a comment\nreadings,twin=lp,host=gw1 temp=21.5,count=3i,ok=true,mode=\"auto\" {base}\nlp,component=motor rpm=1450 {}\n",
        base + 1
    );
    let (s, b) = post_lines(server, &body);
    assert_eq!(s, 204, "{b}");
    let names = series_names(server, "lp");
    assert_eq!(
        names,
        [
            "$lifecycle",
            "count",
            "mode",
            "motor/rpm",
            "n",
            "name",
            "ok",
            "temp"
        ]
    );
    let (_, l) = server.admin(
        "GET",
        "/history/twins/lp/latest?series=mode&series=motor/rpm",
        None,
    );
    assert_eq!(l["value"][0]["point"]["value"], "auto");
    assert_eq!(l["value"][1]["point"]["time"], "2026-10-26T07:33:21Z");
    let (s, b) = post_lines(server, &format!("lp temp=1 {base}\nlp temp= {base}\n"));
    assert_eq!(s, 400, "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("line 2:"),
        "{b}"
    );
    let (s, b) = post_lines(server, &format!("lp temp=99 {base}\nghost temp=1 {base}\n"));
    assert_eq!(s, 404, "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 2: twin 'ghost'"),
        "{b}"
    );
    let (_, l) = server.admin("GET", "/history/twins/lp/latest?series=temp", None);
    assert_eq!(
        l["value"][0]["point"]["value"].as_f64(),
        Some(21.5),
        "the refused body wrote nothing"
    );
}

fn retention_policies(server: &Server) {
    let (s, b) = server.admin(
        "PUT",
        "/history/retention",
        Some(&json!({"scope": "model", "id": "dtmi:test:Counter;1", "maxAge": "30d"})),
    );
    assert_eq!(s, 200, "{b}");
    let (_, list) = server.admin("GET", "/history/retention", None);
    assert_eq!(
        list["value"],
        json!([{"scope": "model", "id": "dtmi:test:Counter;1", "maxAge": "30d"}])
    );
    let (s, _) = server.admin(
        "DELETE",
        "/history/retention?scope=model&id=dtmi:test:Counter;1",
        None,
    );
    assert_eq!(s, 204);
    let (_, list) = server.admin("GET", "/history/retention", None);
    assert_eq!(list["value"], json!([]));
}

fn every_documented_route_answers(server: &Server) {
    let (s, spec) = server.admin("GET", "/history/openapi.json", None);
    assert_eq!(s, 200);
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.len() >= 10);
    for (path, ops) in paths {
        let concrete = path.replace("{id}", "c1");
        for method in ops.as_object().unwrap().keys() {
            let m = method.to_uppercase();
            let body = (m == "POST" || m == "PUT").then(|| json!({}));
            let (s, b) = server.admin(&m, &concrete, body.as_ref());
            assert!(
                s != 405 && !(s == 404 && b.is_null()),
                "{m} {path} is documented but not routed ({s})"
            );
        }
    }
}

#[test]
fn history_on_the_embedded_engine() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    reads_back_what_was_written(&server);
    time_travel(&server);
    bad_requests(&server);
    retention_policies(&server);
    line_protocol(&server);
    every_documented_route_answers(&server);
    let (_, stats) = server.admin("GET", "/history/stats", None);
    assert_eq!(stats["engine"], "embedded");
    assert!(stats["points"].as_u64().unwrap() >= 240, "{stats}");
}

#[test]
fn history_on_postgres() {
    let url = std::env::var("FERROTWIN_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    if std::net::TcpStream::connect("127.0.0.1:5432").is_err()
        && std::env::var("CI").as_deref() != Ok("true")
    {
        eprintln!("skipped: PostgreSQL is not listening on 127.0.0.1:5432");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let schema = format!("ft_server_{}", std::process::id());
    let server = Server::start(
        dir.path(),
        &[
            "--history",
            "postgres",
            "--history-url",
            &url,
            "--history-schema",
            &schema,
        ],
    );
    reads_back_what_was_written(&server);
    time_travel(&server);
    bad_requests(&server);
    let (_, stats) = server.admin("GET", "/history/stats", None);
    assert_eq!(stats["engine"], "postgres");
}

#[test]
fn acknowledged_readings_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    setup(&server, "k");
    let mut acked = 0;
    for i in 0..300u32 {
        if telemetry(
            &server,
            "k",
            i as usize,
            &at(i / 60, i % 60),
            json!({"v": i}),
        ) == 204
        {
            acked += 1;
        }
    }
    assert_eq!(acked, 300);
    server.kill9();
    let server = Server::start(dir.path(), &[]);
    let (s, page) = server.admin(
        "GET",
        &format!(
            "/history/twins/k/points?series=v&from={}&to={}&maxItems=1000",
            at(0, 0),
            at(59, 0)
        ),
        None,
    );
    assert_eq!(s, 200, "{page}");
    let values: Vec<u64> = page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_u64().unwrap())
        .collect();
    assert_eq!(values, (0..300).collect::<Vec<u64>>());
}

#[test]
fn only_historized_properties_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--history-properties", "historized"]);
    let model = json!([{
        "@context": ["dtmi:dtdl:context;3", "dtmi:dtdl:extension:historization;1"],
        "@id": "dtmi:test:Kept;1", "@type": "Interface",
        "contents": [
            {"@type": ["Property", "Historized"], "name": "kept", "schema": "double", "writable": true},
            {"@type": "Property", "name": "dropped", "schema": "double", "writable": true}
        ]
    }]);
    assert_eq!(server.admin("POST", "/models", Some(&model)).0, 201);
    let (s, b) = server.admin(
        "PUT",
        "/digitaltwins/h",
        Some(&json!({"$metadata": {"$model": "dtmi:test:Kept;1"}, "kept": 1.0, "dropped": 2.0})),
    );
    assert_eq!(s, 200, "{b}");
    let names = series_names(&server, "h");
    assert_eq!(names, ["$lifecycle", "kept"]);
}

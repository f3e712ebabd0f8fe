//! Analytics against the real binary: rules, templates and work orders
//! over the API with their errors and roles, and the closed loop with the
//! virtual factory — bearing wear injected into pumps raises an alert and
//! a work order naming the bearing before the pump fails, while a healthy
//! pump raises nothing.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{ADMIN, Server, bin, counter_model, token, wait_for};

fn template() -> Value {
    json!({
        "model": "dtmi:test:Counter;1", "component": "gear", "part": "gearbox",
        "signals": ["n"], "title": "Replace the gear",
        "steps": [
            {"title": "Lock out", "instructions": "Isolate the drive.", "warnings": ["Stored energy"]},
            {"title": "Swap the gear", "instructions": "Fit the new gear.",
             "torque": [{"fastener": "M8", "value": 23, "unit": "N·m"}], "part": "gearbox"}
        ]
    })
}

#[test]
fn rules_alerts_and_work_orders_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let reader = token(dir.path(), "reader", &["--name", "rita"]);
    let writer = token(dir.path(), "writer", &["--name", "tom"]);
    server.admin("POST", "/models", Some(&counter_model()));
    let twin = json!({"$metadata": {"$model": "dtmi:test:Counter;1"}, "n": 1});
    assert_eq!(server.admin("PUT", "/digitaltwins/c1", Some(&twin)).0, 200);

    // Bad input says what and where, and nothing is stored.
    let (s, e) = server.admin("PUT", "/analytics/rules/r1", Some(&json!({"scope": {"model": "nope"},
        "severity": "major", "condition": {"kind": "threshold", "signal": "n", "op": ">", "value": 5}})));
    assert_eq!(s, 400, "{e}");
    assert_eq!(
        e["error"]["message"],
        "rule 'r1': scope.model must be a DTMI, not 'nope'"
    );
    let (s, e) = server.admin(
        "PUT",
        "/analytics/rules/r1",
        Some(&json!({"scope": {"twin": "c1"},
        "severity": "major", "condition": {"kind": "above", "signal": "n"}})),
    );
    assert_eq!(s, 400);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown variant `above`"),
        "{e}"
    );
    let (s, e) = support::call(
        &server.base,
        Some(ADMIN),
        "PUT",
        "/analytics/templates/t1",
        None,
        &[],
    );
    assert_eq!(s, 400);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("empty"),
        "{e}"
    );
    let mut no_steps = template();
    no_steps["steps"] = json!([]);
    let (s, e) = server.admin("PUT", "/analytics/templates/t1", Some(&no_steps));
    assert_eq!(
        (s, e["error"]["message"].as_str().unwrap()),
        (400, "template 't1': a procedure needs at least one step")
    );
    assert_eq!(
        server.admin("GET", "/analytics/rules", None).1["value"],
        json!([])
    );

    // A reader cannot define rules; an admin can.
    let rule = json!({"scope": {"model": "dtmi:test:Counter;1"}, "severity": "major", "workOrder": true,
        "condition": {"kind": "threshold", "signal": "n", "op": ">", "value": 5}, "description": "n too high"});
    assert_eq!(
        server
            .call(Some(&reader), "PUT", "/analytics/rules/r1", Some(&rule))
            .0,
        403
    );
    assert_eq!(
        server
            .admin("PUT", "/analytics/templates/t1", Some(&template()))
            .0,
        200
    );
    let (s, r) = server.admin("PUT", "/analytics/rules/r1", Some(&rule));
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["clearSecs"], 300.0);

    // A property patch crosses the threshold: one alert, one work order.
    let patch = json!([{"op": "replace", "path": "/n", "value": 9}]);
    assert_eq!(
        server.admin("PATCH", "/digitaltwins/c1", Some(&patch)).0,
        204
    );
    let alert = wait_for(20, || {
        let (_, l) = server.call(Some(&reader), "GET", "/alerts?twin=c1&state=raised", None);
        l["value"].as_array().and_then(|v| v.first()).cloned()
    })
    .expect("no alert raised");
    assert_eq!(alert["rule"], "r1");
    assert_eq!(alert["value"], 9.0);
    assert_eq!(alert["component"], "gear");
    assert_eq!(alert["part"], "gearbox");
    let order_id = alert["workOrder"].as_str().unwrap().to_string();
    let (s, order) = server.call(
        Some(&reader),
        "GET",
        &format!("/workorders/{order_id}"),
        None,
    );
    assert_eq!(s, 200);
    assert_eq!(order["component"], "gear");
    assert_eq!(order["steps"][1]["torque"][0]["value"], 23.0);
    assert_eq!(order["state"], "open");
    // The same condition again does not raise a second alert.
    server.admin(
        "PATCH",
        "/digitaltwins/c1",
        Some(&json!([{"op": "replace", "path": "/n", "value": 10}])),
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        server.admin("GET", "/alerts?twin=c1", None).1["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Lifecycle: readers cannot act; writers acknowledge, step and complete.
    let a = alert["id"].as_str().unwrap();
    assert_eq!(
        server
            .call(
                Some(&reader),
                "POST",
                &format!("/alerts/{a}/acknowledge"),
                None
            )
            .0,
        403
    );
    let (s, acked) = server.call(
        Some(&writer),
        "POST",
        &format!("/alerts/{a}/acknowledge"),
        None,
    );
    assert_eq!(
        (s, acked["state"].as_str(), acked["acknowledgedBy"].as_str()),
        (200, Some("acknowledged"), Some("tom"))
    );
    let o = format!("/workorders/{order_id}");
    let (s, e) = server.call(Some(&writer), "POST", &format!("{o}/complete"), None);
    assert_eq!(
        (s, e["error"]["message"].as_str().unwrap()),
        (
            409,
            format!("work order '{order_id}' still has steps 1, 2 to do").as_str()
        )
    );
    assert_eq!(
        server
            .call(
                Some(&writer),
                "POST",
                &format!("{o}/assign"),
                Some(&json!({"assignee": "tom"}))
            )
            .0,
        200
    );
    let (s, e) = server.call(Some(&writer), "POST", &format!("{o}/steps/3"), None);
    assert_eq!(s, 404, "{e}");
    let (s, e) = server.call(
        Some(&writer),
        "POST",
        &format!("{o}/steps/1"),
        Some(&json!({"done": "yes"})),
    );
    assert_eq!(
        (s, e["error"]["message"].as_str().unwrap()),
        (400, "'done' must be true or false, not \"yes\"")
    );
    for n in [1, 2] {
        let (s, _) = server.call(
            Some(&writer),
            "POST",
            &format!("{o}/steps/{n}"),
            Some(&json!({"note": "ok"})),
        );
        assert_eq!(s, 200);
    }
    let (s, done) = server.call(Some(&writer), "POST", &format!("{o}/complete"), None);
    assert_eq!((s, done["state"].as_str()), (200, Some("done")));
    let actions: Vec<&str> = done["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "assigned", "step", "step", "done"]);
    assert_eq!(done["steps"][0]["doneBy"], "tom");
    assert_eq!(
        server
            .call(Some(&writer), "POST", &format!("{o}/cancel"), None)
            .0,
        409
    );
    let (s, r) = server.call(Some(&writer), "POST", &format!("/alerts/{a}/resolve"), None);
    assert_eq!((s, r["state"].as_str()), (200, Some("resolved")));
    assert_eq!(server.admin("GET", "/alerts/none", None).0, 404);

    // Everything survives a restart.
    server.stop();
    let server = Server::start(dir.path(), &[]);
    let (_, o2) = server.admin("GET", &o, None);
    assert_eq!(o2["state"], "done");
    assert_eq!(
        server.admin("GET", "/analytics/rules/r1", None).1["severity"],
        "major"
    );
    let (s, st) = server.admin("GET", "/analytics/twins/c1", None);
    assert_eq!((s, st["twin"].as_str()), (200, Some("c1")));
    assert_eq!(server.admin("GET", "/analytics/twins/nope", None).0, 404);
}

/// Simulated seconds of an RFC 3339 time since the run's start.
fn sim_secs(t: &str) -> f64 {
    let t = chrono::DateTime::parse_from_rfc3339(t).unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap();
    (t - start).num_milliseconds() as f64 / 1000.0
}

#[test]
fn bearing_wear_raises_an_alert_and_a_bearing_work_order_before_failure() {
    let dir = tempfile::tempdir().unwrap();
    let (server, mqtt) = Server::start_mqtt(dir.path(), &[]);
    // Three pumps wear out over 2, 3 and 4 simulated days; pump-1 stays healthy.
    let faults = [
        ("pump-2", 172_800.0),
        ("pump-3", 259_200.0),
        ("pump-4", 345_600.0),
    ];
    let start = 7_200.0;
    let mut args: Vec<String> = [
        "sim",
        "run",
        "--server",
        &server.base,
        "--token",
        ADMIN,
        "--mqtt",
        &mqtt,
        "--api",
        "127.0.0.1:0",
        "--progress",
        "0",
        "--start",
        "2026-01-01T00:00:00Z",
        "--seed",
        "11",
        "--speed",
        "0",
        "--dt",
        "10",
        "--sample",
        "60",
        "--props-every",
        "10",
        "--assets",
        "pump:4",
        "--duration",
        "360000",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (p, d) in faults {
        args.push("--fault".into());
        args.push(format!("{p}:bearing_wear:1:{d}:exponential@{start}"));
    }
    let mut sim = Command::new(bin())
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let lines = BufReader::new(sim.stdout.take().unwrap()).lines();
    std::thread::spawn(move || for _ in lines {});
    let status = sim.wait().unwrap();
    assert!(status.success(), "the simulator failed");
    // Let analytics drain what it has queued.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = 0;
    loop {
        std::thread::sleep(Duration::from_secs(2));
        let n = server.admin("GET", "/alerts", None).1["value"]
            .as_array()
            .unwrap()
            .len();
        if n == last || Instant::now() > deadline {
            break;
        }
        last = n;
    }
    let (_, alerts) = server.admin("GET", "/alerts", None);
    let alerts = alerts["value"].as_array().unwrap().clone();
    let (_, orders) = server.admin("GET", "/workorders", None);
    let orders = orders["value"].as_array().unwrap().clone();
    let mut leads = vec![];
    for (pump, d) in faults {
        let fail = start + d;
        let first = alerts
            .iter()
            .filter(|a| a["twin"] == pump && a["component"] == "bearing")
            .map(|a| sim_secs(a["raisedAt"].as_str().unwrap()))
            .fold(f64::INFINITY, f64::min);
        assert!(
            first < fail,
            "{pump}: no bearing alert before failure at {fail} s: {alerts:#?}"
        );
        let order = orders
            .iter()
            .find(|o| o["twin"] == pump && o["component"] == "bearing")
            .unwrap_or_else(|| panic!("{pump}: no bearing work order: {orders:#?}"));
        assert_eq!(order["part"], "bearing_de");
        assert!(order["steps"].as_array().unwrap().len() >= 5);
        assert!(sim_secs(order["createdAt"].as_str().unwrap()) < fail);
        leads.push((pump, (fail - first) / 3600.0, (first - start) / 3600.0));
    }
    for (pump, lead, after) in &leads {
        println!(
            "{pump}: first bearing alert {lead:.1} h before failure ({after:.1} h after wear began)"
        );
    }
    let mean = leads.iter().map(|l| l.1).sum::<f64>() / leads.len() as f64;
    println!("mean lead time: {mean:.1} h");
    // The healthy pump raised nothing that asks for maintenance.
    let false_orders: Vec<&Value> = orders.iter().filter(|o| o["twin"] == "pump-1").collect();
    assert!(
        false_orders.is_empty(),
        "the healthy pump got work orders: {false_orders:#?}"
    );
    let false_alerts: Vec<&Value> = alerts.iter().filter(|a| a["twin"] == "pump-1").collect();
    assert!(
        false_alerts.is_empty(),
        "the healthy pump raised alerts: {false_alerts:#?}"
    );
    // Every series of a watched pump has an anomaly score with its peak.
    let (_, st) = server.admin("GET", "/analytics/twins/pump-2", None);
    assert!(
        st["series"]["vibBpfo"]["peak"].as_f64().unwrap() > 0.0,
        "{st}"
    );
    // The worn pumps carry a live RUL estimate on the twin (written at
    // most every 10 s, so it may trail the end of the run).
    let p3 = wait_for(30, || {
        let (_, p3) = server.admin("GET", "/digitaltwins/pump-3", None);
        (p3["rul"]["method"] == "trend").then_some(p3)
    })
    .expect("no trend RUL on pump-3");
    assert!(p3["health"].as_f64().is_some(), "{p3}");
}

/// The C-MAPSS training files, or None (a failure in CI) when ../shared is absent.
fn cmapss() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cmapss");
    if dir.join("train_FD001.txt").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {} is missing",
        dir.display()
    );
    eprintln!("skipped: {} is missing (the C-MAPSS data)", dir.display());
    None
}

#[test]
fn simulated_turbofans_get_a_learned_rul_and_an_hpc_work_order_before_failure() {
    let Some(data) = cmapss() else { return };
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("rul.json");
    let out = Command::new(bin())
        .args([
            "rul",
            "train",
            "--algorithm",
            "ridge",
            "--folds",
            "0",
            "--train",
        ])
        .arg(data.join("train_FD001.txt"))
        .arg(data.join("train_FD002.txt"))
        .arg("--out")
        .arg(&model)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let model_arg = model.to_str().unwrap().to_string();
    let (server, mqtt) = Server::start_mqtt(&dir.path().join("data"), &["--rul-model", &model_arg]);
    let status = Command::new(bin())
        .args([
            "sim",
            "run",
            "--server",
            &server.base,
            "--token",
            ADMIN,
            "--mqtt",
            &mqtt,
            "--progress",
            "0",
            "--start",
            "2026-01-01T00:00:00Z",
            "--seed",
            "5",
            "--speed",
            "0",
            "--dt",
            "60",
            "--cycle-secs",
            "60",
            "--assets",
            "turbofan:2",
            "--duration",
            "25000",
        ])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let orders = wait_for(60, || {
        let (_, o) = server.admin("GET", "/workorders", None);
        let o = o["value"].as_array().unwrap().clone();
        (o.len() >= 2).then_some(o)
    })
    .expect("fewer than two work orders");
    for engine in ["turbofan-1", "turbofan-2"] {
        // The twin's RUL is written at most every 10 s, so it may trail the run.
        let twin = wait_for(30, || {
            let (_, twin) = server.admin("GET", &format!("/digitaltwins/{engine}"), None);
            (twin["rul"]["method"] == "cmapss").then_some(twin)
        })
        .unwrap_or_else(|| panic!("{engine}: no cmapss RUL on the twin"));
        assert_eq!(twin["rul"]["unit"], "cycles");
        let order = orders
            .iter()
            .find(|o| o["twin"] == engine)
            .unwrap_or_else(|| panic!("{engine}: no work order: {orders:#?}"));
        assert_eq!(order["component"], "hpc");
        // Raised while the engine still flew: before its last cycle.
        let cycles = twin["cycles"].as_f64().unwrap();
        let at = sim_secs(order["createdAt"].as_str().unwrap()) / 60.0;
        println!(
            "{engine}: work order at cycle {at:.0} of {cycles:.0}, RUL estimate then {}",
            order["rul"]["value"]
        );
        assert!(
            at < cycles,
            "{engine}: order at cycle {at} after the last cycle {cycles}"
        );
    }
}

//! Import and delete jobs through the API.

mod support;

use std::io::Write;

use serde_json::{Value, json};
use support::{Server, counter_model};

fn wait(server: &Server, path: &str) -> Value {
    for _ in 0..200 {
        let (_, job) = server.admin("GET", path, None);
        if matches!(
            job["status"].as_str(),
            Some("succeeded" | "failed" | "cancelled")
        ) {
            return job;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("job {path} did not finish");
}

#[test]
fn import_job_loads_valid_entities_and_logs_refused_ones() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let input = dir.path().join("in.ndjson");
    let mut f = std::fs::File::create(&input).unwrap();
    writeln!(f, "{{\"Section\": \"Header\"}}\n{{\"fileVersion\": \"1.0.0\", \"author\": \"t\", \"organization\": \"t\"}}").unwrap();
    writeln!(f, "{{\"Section\": \"Models\"}}\n{}", counter_model()[0]).unwrap();
    writeln!(f, "{{\"Section\": \"Twins\"}}").unwrap();
    for i in 0..50 {
        writeln!(f, "{}", json!({"$dtId": format!("t{i}"), "$metadata": {"$model": "dtmi:test:Counter;1"}, "n": i})).unwrap();
    }
    writeln!(
        f,
        "{}",
        json!({"$dtId": "bad", "$metadata": {"$model": "dtmi:test:Counter;1"}, "n": "not a number"})
    )
    .unwrap();
    writeln!(f, "{{\"Section\": \"Relationships\"}}").unwrap();
    for i in 0..49 {
        writeln!(f, "{}", json!({"$dtId": format!("t{i}"), "$relationshipId": "r", "$targetId": format!("t{}", i + 1), "$relationshipName": "next"})).unwrap();
    }
    writeln!(f, "{}", json!({"$dtId": "t0", "$relationshipId": "r2", "$targetId": "missing", "$relationshipName": "next"})).unwrap();
    drop(f);
    let (s, job) = server.admin("PUT", "/jobs/imports/j1", Some(&json!({"inputBlobUri": format!("file://{}", input.display()), "outputBlobUri": "out.ndjson"})));
    assert_eq!(s, 201, "{job}");
    assert_eq!(job["status"], "notstarted");
    let job = wait(&server, "/jobs/imports/j1");
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["progress"]["twins"], 50);
    assert_eq!(job["progress"]["relationships"], 49);
    assert_eq!(job["progress"]["errors"], 2);
    let log = std::fs::read_to_string(dir.path().join("out.ndjson")).unwrap();
    assert!(
        log.contains("twin 'bad'") && log.contains("target digital twin 'missing' was not found"),
        "{log}"
    );
    assert_eq!(
        server
            .admin("GET", "/digitaltwins/t3/relationships", None)
            .1["value"][0]["$targetId"],
        "t4"
    );
    // The same id cannot be reused until the job is deleted.
    assert_eq!(
        server
            .admin(
                "PUT",
                "/jobs/imports/j1",
                Some(&json!({"inputBlobUri": "in.ndjson", "outputBlobUri": "o"}))
            )
            .0,
        400
    );
    assert_eq!(server.admin("DELETE", "/jobs/imports/j1", None).0, 204);
    // A missing input file is refused up front.
    let (s, e) = server.admin(
        "PUT",
        "/jobs/imports/j2",
        Some(&json!({"inputBlobUri": "nope.ndjson", "outputBlobUri": "o"})),
    );
    assert_eq!(s, 400);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nope.ndjson"),
        "{e}"
    );

    let (s, job) = support::call(
        &server.base,
        Some(support::ADMIN),
        "POST",
        "/jobs/deletions",
        None,
        &[("operation-id", "d1")],
    );
    assert_eq!(s, 202, "{job}");
    let job = wait(&server, "/jobs/deletions/d1");
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(
        server.admin("GET", "/healthz", None).1,
        json!({"status": "ok", "models": 0, "twins": 0, "relationships": 0})
    );
}

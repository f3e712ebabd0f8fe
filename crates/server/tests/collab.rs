//! Remote collaboration through a real server: two people in a twin's room
//! over WebSocket see each other join, point and leave; an annotation pinned
//! over HTTP reaches the room live and survives a restart; readers may look
//! but not pin; bad input is refused with a reason; deleting the twin
//! removes its annotations.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{ADMIN, Server};

type Ws = tungstenite::WebSocket<std::net::TcpStream>;

fn room(server: &Server, twin: &str, token: &str) -> Ws {
    let host = server.base.trim_start_matches("http://").to_string();
    let url = format!("ws://{host}/collab/twins/{twin}/ws?access_token={token}");
    let stream = std::net::TcpStream::connect(&host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    tungstenite::client(url.as_str(), stream).unwrap().0
}

fn next(ws: &mut Ws) -> Value {
    loop {
        let m = ws.read().expect("a room message within 10 s");
        if let Ok(t) = m.to_text()
            && !t.is_empty()
        {
            return serde_json::from_str(t).unwrap();
        }
    }
}

/// The next message of a type, skipping others.
fn next_of(ws: &mut Ws, ty: &str) -> Value {
    for _ in 0..50 {
        let m = next(ws);
        if m["type"] == ty {
            return m;
        }
    }
    panic!("no '{ty}' message");
}

fn send(ws: &mut Ws, v: Value) {
    ws.send(tungstenite::Message::Text(v.to_string().into()))
        .unwrap();
}

#[test]
fn people_in_a_room_see_each_other_and_share_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let (s, _) = server.admin("POST", "/models", Some(&support::counter_model()));
    assert_eq!(s, 201);
    let (s, _) = server.admin(
        "PUT",
        "/digitaltwins/pump-1",
        Some(&json!({"$metadata": {"$model": "dtmi:test:Counter;1"}})),
    );
    assert_eq!(s, 200);
    let reader = support::token(dir.path(), "reader", &["--name", "remote-expert"]);

    let mut ana = room(&server, "pump-1", ADMIN);
    let welcome = next_of(&mut ana, "welcome");
    assert_eq!(welcome["participants"], json!([]));
    let ana_session = welcome["you"]["session"].as_str().unwrap().to_string();

    let mut expert = room(&server, "pump-1", &reader);
    let welcome = next_of(&mut expert, "welcome");
    assert_eq!(welcome["participants"][0]["session"], ana_session.as_str());
    assert_eq!(welcome["you"]["name"], "remote-expert");
    assert_eq!(welcome["you"]["role"], "reader");
    let joined = next_of(&mut ana, "join");
    assert_eq!(joined["participant"]["name"], "remote-expert");
    assert_ne!(
        joined["participant"]["color"],
        welcome["participants"][0]["color"]
    );

    // A pointer reaches the other person; a bad message gets a reason and the room goes on.
    send(
        &mut expert,
        json!({"type": "pointer", "pointer": {"target": "pump-1", "position": [0.2, 0.5, -0.1], "part": "bearing_de"}}),
    );
    let p = next_of(&mut ana, "pointer");
    assert_eq!(p["pointer"]["part"], "bearing_de");
    assert_eq!(p["pointer"]["position"], json!([0.2, 0.5, -0.1]));
    send(
        &mut expert,
        json!({"type": "pointer", "pointer": {"target": "pump-1", "position": [0, "x", 0]}}),
    );
    let e = next_of(&mut expert, "error");
    assert!(e["message"].as_str().unwrap().contains("pointer"), "{e}");
    send(&mut expert, json!({"type": "pointer", "pointer": null}));
    assert_eq!(next_of(&mut ana, "pointer")["pointer"], Value::Null);

    // The reader may look but not pin.
    let pin = json!({"kind": "arrow", "text": "outer race noise starts here", "part": "bearing_de", "position": [0.2, 0.5, -0.1], "direction": [0, -2, 0], "color": "#ff7b72"});
    let (s, body) = server.call(
        Some(&reader),
        "POST",
        "/collab/twins/pump-1/annotations",
        Some(&pin),
    );
    assert_eq!(s, 403, "{body}");
    let (s, a) = server.admin("POST", "/collab/twins/pump-1/annotations", Some(&pin));
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["direction"], json!([0.0, -1.0, 0.0]));
    assert_eq!(a["author"], "bootstrap");
    for ws in [&mut ana, &mut expert] {
        let live = next_of(ws, "annotation");
        assert_eq!(live["annotation"]["id"], a["id"]);
    }

    // Bad annotations say what is wrong; unknown twins are 404.
    for (bad, says) in [
        (json!({"kind": "arrow", "position": [0, 0, 0]}), "direction"),
        (
            json!({"kind": "point", "position": [0, 0, 0], "color": "url(x)"}),
            "color",
        ),
        (json!({"kind": "text", "text": "x".repeat(2001)}), "2000"),
    ] {
        let (s, body) = server.admin("POST", "/collab/twins/pump-1/annotations", Some(&bad));
        assert_eq!(s, 400, "{bad}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(says),
            "{body}"
        );
    }
    let (s, _) = server.admin("GET", "/collab/twins/nope/annotations", None);
    assert_eq!(s, 404);

    let (_, who) = server.admin("GET", "/collab/twins/pump-1/presence", None);
    assert_eq!(who["value"].as_array().unwrap().len(), 2);
    drop(expert);
    let left = next_of(&mut ana, "leave");
    assert_ne!(left["session"], ana_session.as_str());
    drop(ana);

    // Annotations survive a restart; a later joiner gets them in the welcome.
    assert_eq!(server.stop(), 0);
    let server = Server::start(dir.path(), &[]);
    let mut late = room(&server, "pump-1", &reader);
    let welcome = next_of(&mut late, "welcome");
    assert_eq!(
        welcome["annotations"][0]["text"],
        "outer race noise starts here"
    );
    drop(late);

    // Deleting the twin removes its annotations.
    let (s, _) = server.admin("DELETE", "/digitaltwins/pump-1", None);
    assert_eq!(s, 204);
    let (s, _) = server.admin(
        "PUT",
        "/digitaltwins/pump-1",
        Some(&json!({"$metadata": {"$model": "dtmi:test:Counter;1"}})),
    );
    assert_eq!(s, 200);
    let gone = support::wait_for(5, || {
        let (_, v) = server.admin("GET", "/collab/twins/pump-1/annotations", None);
        v["value"].as_array().unwrap().is_empty().then_some(())
    });
    assert!(
        gone.is_some(),
        "the deleted twin's annotations were removed"
    );
}

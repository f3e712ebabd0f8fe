//! AMQP 0.9.1 queues (`[[amqp_source]]`) against the RabbitMQ service on
//! 127.0.0.1:5672: routing keys and headers mapped to twins, every message
//! acknowledged after the twin graph took it, refused ones dead-lettered.

#![cfg(feature = "amqp")]

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use lapin::options::{
    BasicGetOptions, BasicPublishOptions, ExchangeDeclareOptions, ExchangeDeleteOptions,
    QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Connection, ConnectionProperties, ExchangeKind};
use serde_json::json;
use support::{ADMIN, Server, counter_model};

const URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

fn rabbitmq_or_skip() -> bool {
    if std::net::TcpStream::connect_timeout(
        &([127, 0, 0, 1], 5672).into(),
        Duration::from_millis(300),
    )
    .is_ok()
    {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("RabbitMQ is not running on 127.0.0.1:5672");
    }
    eprintln!("skipped: RabbitMQ is not running on 127.0.0.1:5672");
    false
}

/// Closes ferrotwin's connection for `queue` with `rabbitmqctl`, which
/// names it in its client properties; false (and says why) when
/// `rabbitmqctl` is not usable here.
fn close_connection_of(queue: &str) -> bool {
    let ctl = |args: &[&str]| {
        std::process::Command::new("rabbitmqctl")
            .args(args)
            .output()
    };
    let list = match ctl(&[
        "-q",
        "--no-table-headers",
        "list_connections",
        "pid",
        "client_properties",
    ]) {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).to_string(),
        other => {
            eprintln!("skipped the reconnect part: rabbitmqctl is not usable: {other:?}");
            return false;
        }
    };
    let line = list
        .lines()
        .find(|l| l.contains(queue))
        .unwrap_or_else(|| panic!("no connection for {queue} in {list}"));
    let pid = line.split_whitespace().next().unwrap();
    let out = ctl(&["close_connection", pid, "ferrotwin test: reconnect"]).unwrap();
    assert!(out.status.success(), "{out:?}");
    true
}

fn wait_for(server: &Server, text: &str) {
    let t0 = Instant::now();
    while !server.stderr.lock().unwrap().contains(text) {
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "no '{text}' in the log: {}",
            server.stderr.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn rabbitmq_messages_reach_twins_and_refused_ones_are_dead_lettered() {
    if !rabbitmq_or_skip() {
        return;
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (exchange, queue, dlx, dlq) = (
        format!("ft-x-{id}"),
        format!("ft-q-{id}"),
        format!("ft-dlx-{id}"),
        format!("ft-dlq-{id}"),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let conn = rt
        .block_on(Connection::connect(URL, ConnectionProperties::default()))
        .unwrap();
    let ch = rt.block_on(conn.create_channel()).unwrap();
    // The dead-letter side is the operator's: an exchange and a queue.
    rt.block_on(async {
        ch.exchange_declare(
            dlx.as_str().into(),
            ExchangeKind::Fanout,
            ExchangeDeclareOptions::default(),
            FieldTable::default(),
        )
        .await?;
        ch.queue_declare(
            dlq.as_str().into(),
            QueueDeclareOptions::default(),
            FieldTable::default(),
        )
        .await?;
        ch.queue_bind(
            dlq.as_str().into(),
            dlx.as_str().into(),
            "".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
    })
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("f.toml");
    std::fs::write(
        &conf,
        format!(
            r#"
[[amqp_source]]
name = "rabbit"
url = "{URL}"
queue = "{queue}"
exchange = "{exchange}"
dead_letter_exchange = "{dlx}"
prefetch = 16

[[amqp_source.routes]]
routing_key = "plant.{{twinId}}.telemetry"
kind = "telemetry"

[[amqp_source.routes]]
routing_key = "plant.reports"
twin_header = "twin-id"
kind = "properties"
fields = [{{ pointer = "/counter/value", name = "n" }}]
"#
        ),
    )
    .unwrap();
    let server = Server::start(
        &dir.path().join("data"),
        &[
            "--config",
            conf.to_str().unwrap(),
            "--log",
            "warn,ferrotwin_connect=info",
        ],
    );
    server.admin("POST", "/models", Some(&counter_model()));
    let twin = json!({"$metadata": {"$model": "dtmi:test:Counter;1"}, "n": 1});
    assert_eq!(
        server.admin("PUT", "/digitaltwins/press", Some(&twin)).0,
        200
    );
    wait_for(&server, "AMQP consumer started");

    let url = format!("{}/events?access_token={ADMIN}&type=telemetry", server.base);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut events = BufReader::new(agent.get(&url).call().unwrap().into_body().into_reader());
    std::thread::sleep(Duration::from_millis(200));

    let publish = |key: &str, body: Vec<u8>, props: BasicProperties| {
        rt.block_on(async {
            ch.basic_publish(
                exchange.as_str().into(),
                key.into(),
                BasicPublishOptions::default(),
                &body,
                props,
            )
            .await?
            .await
        })
        .unwrap();
    };
    for seq in 0..200u64 {
        publish(
            "plant.press.telemetry",
            json!({"seq": seq}).to_string().into_bytes(),
            BasicProperties::default(),
        );
    }
    publish(
        "plant.press.telemetry",
        b"not json".to_vec(),
        BasicProperties::default(),
    );
    publish(
        "plant.ghost.telemetry",
        b"{\"seq\": 1}".to_vec(),
        BasicProperties::default(),
    );
    let mut headers = FieldTable::default();
    headers.insert("twin-id".into(), AMQPValue::LongString("press".into()));
    publish(
        "plant.reports",
        json!({"counter": {"value": 9}, "unit": "pcs"})
            .to_string()
            .into_bytes(),
        BasicProperties::default().with_headers(headers),
    );

    // Every telemetry message, in order, once.
    let mut seen = Vec::new();
    let mut line = String::new();
    while seen.len() < 200 {
        line.clear();
        assert!(events.read_line(&mut line).unwrap() > 0);
        if let Some(d) = line.trim_end().strip_prefix("data: ") {
            let ce: serde_json::Value = serde_json::from_str(d).unwrap();
            if ce["type"] == "microsoft.iot.telemetry" {
                seen.push(ce["data"]["seq"].as_u64().unwrap());
            }
        }
    }
    assert_eq!(seen, (0..200).collect::<Vec<_>>());

    // The header-routed report was applied; the two refused messages sit in
    // the dead-letter queue and the log says why.
    let t0 = Instant::now();
    while server.admin("GET", "/digitaltwins/press", None).1["n"] != 9 {
        assert!(t0.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut dead = BTreeSet::new();
    let t0 = Instant::now();
    while dead.len() < 2 {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "dead letters: {dead:?}"
        );
        let got = rt
            .block_on(ch.basic_get(dlq.as_str().into(), BasicGetOptions { no_ack: true }))
            .unwrap();
        match got {
            Some(m) => {
                dead.insert(m.delivery.routing_key.to_string());
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    assert_eq!(
        dead,
        BTreeSet::from([
            "plant.ghost.telemetry".to_string(),
            "plant.press.telemetry".to_string()
        ])
    );
    let log = server.stderr.lock().unwrap().clone();
    assert!(
        log.contains("AMQP message refused") && log.contains("not JSON") && log.contains("ghost"),
        "{log}"
    );

    // The broker drops ferrotwin's connection: it reconnects by itself and
    // nothing published meanwhile is lost.
    if close_connection_of(&queue) {
        for seq in 200..300u64 {
            publish(
                "plant.press.telemetry",
                json!({"seq": seq}).to_string().into_bytes(),
                BasicProperties::default(),
            );
        }
        let mut seen = BTreeSet::new();
        while seen.len() < 100 {
            line.clear();
            assert!(events.read_line(&mut line).unwrap() > 0);
            if let Some(d) = line.trim_end().strip_prefix("data: ") {
                let ce: serde_json::Value = serde_json::from_str(d).unwrap();
                if ce["type"] == "microsoft.iot.telemetry" {
                    seen.insert(ce["data"]["seq"].as_u64().unwrap());
                }
            }
        }
        assert_eq!(seen, (200..300).collect::<BTreeSet<_>>());
        assert!(server.stderr.lock().unwrap().contains("reconnecting"));
    }

    drop(events);
    assert_eq!(server.stop(), 0);
    rt.block_on(async {
        let _ = ch
            .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
            .await;
        let _ = ch
            .queue_delete(dlq.as_str().into(), QueueDeleteOptions::default())
            .await;
        let _ = ch
            .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
            .await;
        let _ = ch
            .exchange_delete(dlx.as_str().into(), ExchangeDeleteOptions::default())
            .await;
    });
}

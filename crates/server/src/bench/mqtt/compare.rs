//! `bench mqtt --kind telemetry`: telemetry through ferrotwin's built-in
//! endpoint into the twins, seen on the live event stream, at QoS 0 and
//! QoS 1; then the same load generator against a private Mosquitto with a
//! subscriber as the sink, as the ceiling; and a side-by-side table.
//!
//! Each (target, QoS) runs twice: unpaced, for the rate (messages seen at
//! the sink over the time from the first publish to the last arrival), and
//! then paced at half that rate, for the p50/p99 publish-to-arrival
//! latency, so queueing in an overloaded pipeline does not pass for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use ferrotwin_auth::DeviceStore;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::MqttBench;
use super::load::{self, Load, Target};
use super::mosquitto::Mosquitto;
use super::observe::{self, Shared, Tally};
use crate::bench::client::{Api, ChildServer};

const MODEL: &str = "dtmi:ferrotwin:bench:Points;1";

/// How long the sink may stay silent after the generator finished before
/// what has not arrived counts as lost.
const QUIET: Duration = Duration::from_secs(5);

/// CPU seconds (user and system) process `pid` has used so far; Linux
/// counts them in ticks of 1/100 s.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

/// One measured burst.
struct Measured {
    /// CPU seconds the broker process used meanwhile.
    cpu: f64,
    sent: u64,
    seen: u64,
    secs: f64,
    p50_ms: f64,
    p99_ms: f64,
    dropped: u64,
}

/// One line of the table.
struct Row {
    name: &'static str,
    qos: u8,
    rate: Measured,
    latency: Measured,
}

/// Runs the comparison.
pub async fn run(a: &MqttBench) -> anyhow::Result<()> {
    anyhow::ensure!(
        a.points >= 2,
        "--points must be at least 2 (p0 and p1 carry the publish time and the phase)"
    );
    let dir = tempfile::tempdir()?;
    let token = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let (child, mqtt) = ChildServer::start_with(
        dir.path(),
        &token,
        a.storage,
        // A deep live-stream buffer, so the observer is not the one dropping.
        &["--mqtt", "127.0.0.1:0", "--event-buffer", "1048576"],
        Some("mqtt"),
    )?;
    let mqtt = mqtt.context("the server announced no MQTT address")?;
    let api = Api::new(&child.base, &token, 8);
    let contents: Vec<_> = (0..a.points)
        .map(|p| json!({"@type": "Telemetry", "name": format!("p{p}"), "schema": "double"}))
        .collect();
    let model = json!([{
        "@context": "dtmi:dtdl:context;3", "@id": MODEL, "@type": "Interface",
        "contents": contents,
    }]);
    api.ok("POST", "/models", Some(&model.to_string())).await?;
    let store = DeviceStore::open(dir.path());
    let mut ferrotwin = Target {
        addr: mqtt,
        logins: vec![],
        topics: vec![],
    };
    for i in 0..a.devices {
        let twin = format!("bench-{i}");
        let body = json!({"$metadata": {"$model": MODEL}});
        api.ok(
            "PUT",
            &format!("/digitaltwins/{twin}"),
            Some(&body.to_string()),
        )
        .await?;
        let (password, info) = store
            .create(std::slice::from_ref(&twin), "bench")
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        ferrotwin.logins.push(Some((info.id, password)));
        ferrotwin.topics.push(format!("twins/{twin}/telemetry"));
    }
    println!(
        "ferrotwin bench mqtt: {} devices x {} telemetry messages of {} points, QoS 0 and 1, {}; \
         the same generator against {}",
        a.devices,
        a.messages,
        a.points,
        a.storage.name(),
        if a.no_mosquitto {
            "nothing else"
        } else {
            "Mosquitto"
        }
    );
    let mut phase = 0u32;
    let mut rows = Vec::new();
    let ft_tally = Tally::shared();
    let ft_stream = observe::stream(&child.base, &token, ft_tally.clone()).await?;
    for qos in [0u8, 1] {
        rows.push(
            both(
                a,
                "ferrotwin",
                child.pid(),
                &ferrotwin,
                &ft_tally,
                qos,
                &mut phase,
            )
            .await?,
        );
    }
    ft_stream.abort();
    child.stop()?;

    if !a.no_mosquitto {
        let broker = Mosquitto::start(&a.mosquitto, dir.path())?;
        let target = Target {
            addr: broker.addr.clone(),
            logins: vec![None; a.devices],
            topics: (0..a.devices)
                .map(|i| format!("bench/bench-{i}/telemetry"))
                .collect(),
        };
        let tally = Tally::shared();
        let sink = observe::subscriber(&broker.addr, "bench/+/telemetry", tally.clone()).await?;
        for qos in [0u8, 1] {
            rows.push(
                both(
                    a,
                    "Mosquitto",
                    broker.pid(),
                    &target,
                    &tally,
                    qos,
                    &mut phase,
                )
                .await?,
            );
        }
        sink.abort();
    }
    print_table(a, &rows);
    Ok(())
}

/// The unpaced run, then the paced one at half its rate.
async fn both(
    a: &MqttBench,
    name: &'static str,
    pid: u32,
    target: &Target,
    tally: &Shared,
    qos: u8,
    phase: &mut u32,
) -> anyhow::Result<Row> {
    *phase += 1;
    let mut load = Load {
        qos,
        messages: a.messages,
        points: a.points,
        phase: *phase,
        rate: None,
    };
    let rate = measure(pid, target, tally, load, &format!("{name} QoS {qos} rate")).await?;
    let msgs = rate.seen as f64 / rate.secs.max(1e-9);
    *phase += 1;
    load.phase = *phase;
    load.messages = (a.messages / 2).max(1);
    load.rate = Some(msgs / 2.0);
    let label = format!("{name} QoS {qos} latency @{:.0}/s", msgs / 2.0);
    let latency = measure(pid, target, tally, load, &label).await?;
    Ok(Row {
        name,
        qos,
        rate,
        latency,
    })
}

/// Runs one burst and waits for its messages at the sink, showing progress.
async fn measure(
    pid: u32,
    target: &Target,
    tally: &Shared,
    load: Load,
    label: &str,
) -> anyhow::Result<Measured> {
    tally
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .start(load.phase);
    let expected = (target.topics.len() * load.messages) as u64;
    let bar = ProgressBar::new(expected).with_style(
        ProgressStyle::with_template(
            "{prefix:34} {bar:28} {pos}/{len} seen  {per_sec:>12}  {elapsed}",
        )
        .expect("valid template"),
    );
    bar.set_prefix(label.to_string());
    // indicatif draws only on a terminal; elsewhere a line per second.
    let plain = !std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut printed = Instant::now();
    let sent = Arc::new(AtomicU64::new(0));
    let cpu = cpu_secs(pid);
    let started = Instant::now();
    let generator = {
        let (target, sent) = (target.clone(), sent.clone());
        tokio::spawn(async move { load::run(&target, load, sent).await })
    };
    let mut generator = Some(generator);
    let (mut last_seen, mut quiet_since) = (0, Instant::now());
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let seen = tally.lock().unwrap_or_else(|e| e.into_inner()).seen;
        bar.set_position(seen);
        if plain && printed.elapsed() >= Duration::from_secs(1) {
            printed = Instant::now();
            let secs = started.elapsed().as_secs_f64();
            eprintln!("{label}: {seen}/{expected} seen after {secs:.1} s");
        }
        if seen >= expected {
            break;
        }
        if seen != last_seen {
            (last_seen, quiet_since) = (seen, Instant::now());
        }
        if let Some(g) = generator.take_if(|g| g.is_finished()) {
            g.await?
                .with_context(|| format!("{label}: the load generator failed"))?;
            quiet_since = Instant::now();
        }
        if generator.is_none() && quiet_since.elapsed() > QUIET {
            break;
        }
    }
    if let Some(g) = generator {
        g.await??;
    }
    bar.finish();
    let t = tally.lock().unwrap_or_else(|e| e.into_inner());
    let end = t.last.unwrap_or(started);
    Ok(Measured {
        cpu: cpu_secs(pid) - cpu,
        sent: sent.load(Ordering::Relaxed),
        seen: t.seen,
        secs: end.duration_since(started).as_secs_f64(),
        p50_ms: t.latency.value_at_quantile(0.5) as f64 / 1000.0,
        p99_ms: t.latency.value_at_quantile(0.99) as f64 / 1000.0,
        dropped: t.dropped,
    })
}

/// The broker process's CPU time per message of the rate run.
fn cpu_us(r: &Row) -> f64 {
    r.rate.cpu * 1e6 / (r.rate.seen.max(1) as f64)
}

fn print_table(a: &MqttBench, rows: &[Row]) {
    println!();
    println!(
        "{:<10} {:>3} {:>12} {:>14} {:>10} {:>10} {:>11}   {}",
        "target",
        "QoS",
        "messages/s",
        "points/s",
        "p50 ms",
        "p99 ms",
        "CPU us/msg",
        "seen/sent (rate run; latency run)"
    );
    for qos in [0u8, 1] {
        let of = |name: &str| rows.iter().find(|r| r.name == name && r.qos == qos);
        for r in rows.iter().filter(|r| r.qos == qos) {
            let msgs = r.rate.seen as f64 / r.rate.secs.max(1e-9);
            let mut note = format!(
                "{}/{}; {}/{}",
                r.rate.seen, r.rate.sent, r.latency.seen, r.latency.sent
            );
            if r.rate.dropped + r.latency.dropped > 0 {
                note += &format!(
                    " (the live stream dropped {} for the observer)",
                    r.rate.dropped + r.latency.dropped
                );
            }
            println!(
                "{:<10} {:>3} {:>12.0} {:>14.0} {:>10.2} {:>10.2} {:>11.1}   {note}",
                r.name,
                qos,
                msgs,
                msgs * a.points as f64,
                r.latency.p50_ms,
                r.latency.p99_ms,
                cpu_us(r),
            );
        }
        if let (Some(f), Some(m)) = (of("ferrotwin"), of("Mosquitto")) {
            let rate = |r: &Row| r.rate.seen as f64 / r.rate.secs.max(1e-9);
            println!(
                "{:<10} {:>3} {:>11.2}x {:>14} {:>9.1}x {:>9.1}x {:>10.1}x   (ferrotwin / Mosquitto)",
                "ratio",
                qos,
                rate(f) / rate(m),
                "",
                f.latency.p50_ms / m.latency.p50_ms.max(1e-9),
                f.latency.p99_ms / m.latency.p99_ms.max(1e-9),
                cpu_us(f) / cpu_us(m).max(1e-9),
            );
        }
    }
    println!(
        "goal (issue 5): 1,000,000 points/s, and a message rate within 2x of Mosquitto's \
         (ratio >= 0.5); latency measured at half each target's own rate; CPU: the broker \
         process's (ferrotwin serve, or mosquitto) over the rate run"
    );
}

//! `ferrotwin bench api`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use hdrhistogram::Histogram;
use serde_json::json;

use super::client::{Api, ChildServer};

/// `bench api` options.
#[derive(Args)]
pub struct ApiBench {
    /// Target an existing server instead of starting one (needs --token).
    #[arg(long)]
    pub url: Option<String>,
    /// Admin token for --url.
    #[arg(long, env = "FERROTWIN_TOKEN")]
    pub token: Option<String>,
    /// Seconds per measured phase.
    #[arg(long, default_value_t = 5)]
    pub duration: u64,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Storage engine of the started server: fjall or redb.
    #[arg(long, default_value = "fjall")]
    pub storage: ferrotwin_store::Engine,
    /// Twins created before the read and patch phases.
    #[arg(long, default_value_t = 10_000)]
    pub twins: usize,
}

const MODEL: &str = "dtmi:ferrotwin:bench:Device;1";

/// One phase's result.
pub(super) struct Phase {
    name: &'static str,
    ops: u64,
    errors: u64,
    secs: f64,
    hist: Histogram<u64>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.ops as f64 / self.secs
    }

    fn print(&self) {
        println!(
            "{:<28} {:>10.0}/s  p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>8.3} ms  ({} ok, {} errors)",
            self.name,
            self.rate(),
            self.hist.value_at_quantile(0.5) as f64 / 1000.0,
            self.hist.value_at_quantile(0.99) as f64 / 1000.0,
            self.hist.max() as f64 / 1000.0,
            self.ops,
            self.errors
        );
    }
}

/// Runs `op(worker, seq)` on `connections` workers until `until` says stop;
/// `pace` spaces each worker's requests to reach a total rate.
pub(super) async fn phase<F, Fut>(
    name: &'static str,
    connections: usize,
    until: Until,
    pace: Option<f64>,
    op: F,
) -> Phase
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    eprintln!("bench: {name} ...");
    let op = Arc::new(op);
    let seq = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..connections {
        let (op, seq) = (op.clone(), seq.clone());
        tasks.push(tokio::spawn(async move {
            let mut hist =
                Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
            let (mut ok, mut err) = (0u64, 0u64);
            let interval = pace.map(|r| Duration::from_secs_f64(connections as f64 / r));
            let mut next = Instant::now();
            loop {
                let n = seq.fetch_add(1, Ordering::Relaxed);
                match until {
                    Until::Time(d) if start.elapsed() >= d => break,
                    Until::Count(c) if n >= c => break,
                    _ => {}
                }
                let scheduled = match interval {
                    Some(i) => {
                        tokio::time::sleep_until(next.into()).await;
                        let s = next;
                        next += i;
                        s
                    }
                    None => Instant::now(),
                };
                if op(w, n).await {
                    ok += 1
                } else {
                    err += 1
                }
                let _ = hist.record(scheduled.elapsed().as_micros().max(1) as u64);
            }
            (hist, ok, err)
        }));
    }
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
    let (mut ops, mut errors) = (0, 0);
    for t in tasks {
        if let Ok((h, ok, err)) = t.await {
            let _ = hist.add(h);
            ops += ok;
            errors += err;
        }
    }
    let p = Phase {
        name,
        ops,
        errors,
        secs: start.elapsed().as_secs_f64(),
        hist,
    };
    p.print();
    p
}

#[derive(Clone, Copy)]
pub(super) enum Until {
    Time(Duration),
    Count(u64),
}

fn twin_id(i: u64) -> String {
    format!("dev-{i}")
}

/// `bench api`
pub async fn run(a: ApiBench) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let token = a
        .token
        .clone()
        .unwrap_or_else(|| format!("bench-{}", uuid::Uuid::new_v4().simple()));
    let child = match &a.url {
        Some(_) => None,
        None => Some(ChildServer::start(dir.path(), &token, a.storage)?),
    };
    let base = a
        .url
        .clone()
        .or_else(|| child.as_ref().map(|c| c.base.clone()))
        .expect("a url or a child");
    let api = Api::new(&base, &token, a.connections);
    println!(
        "ferrotwin bench api: {base}, {} connections, {} s per phase, {} twins",
        a.connections, a.duration, a.twins
    );
    let model = json!([{
        "@context": "dtmi:dtdl:context;3", "@id": MODEL, "@type": "Interface",
        "contents": [
            {"@type": "Property", "name": "temperature", "schema": "double", "writable": true},
            {"@type": "Property", "name": "status", "schema": "string", "writable": true},
            {"@type": "Property", "name": "counter", "schema": "long", "writable": true},
            {"@type": "Relationship", "name": "feeds", "target": MODEL}
        ]
    }]);
    let (status, body) = api
        .send("POST", "/models", Some(&model.to_string()))
        .await?;
    if status != 201 && status != 409 {
        anyhow::bail!(
            "uploading the benchmark model: {status} {}",
            String::from_utf8_lossy(&body)
        );
    }
    let d = Until::Time(Duration::from_secs(a.duration));
    let n = a.twins as u64;
    let c = a.connections;
    let mut results = Vec::new();

    let t = api.clone();
    results.push(
        phase("twin creates", c, Until::Count(n), None, move |_, i| {
            let t = t.clone();
            async move {
                let body = json!({"$metadata": {"$model": MODEL}, "temperature": 20.0, "status": "ok", "counter": i});
                t.send("PUT", &format!("/digitaltwins/{}", twin_id(i)), Some(&body.to_string())).await.is_ok_and(|(s, _)| s == 200)
            }
        })
        .await,
    );
    let t = api.clone();
    results.push(
        phase("twin GETs", c, d, None, move |_, i| {
            let t = t.clone();
            async move {
                t.send(
                    "GET",
                    &format!("/digitaltwins/{}", twin_id(mix(i) % n)),
                    None,
                )
                .await
                .is_ok_and(|(s, _)| s == 200)
            }
        })
        .await,
    );
    let patch = |i: u64| {
        json!([{"op": "replace", "path": "/temperature", "value": (i % 1000) as f64 / 10.0}])
            .to_string()
    };
    let t = api.clone();
    let many = phase("patches, many twins", c, d, None, move |_, i| {
        let t = t.clone();
        async move {
            t.send(
                "PATCH",
                &format!("/digitaltwins/{}", twin_id(mix(i) % n)),
                Some(&patch(i)),
            )
            .await
            .is_ok_and(|(s, _)| s == 204)
        }
    })
    .await;
    let peak = many.rate();
    results.push(many);
    let t = api.clone();
    results.push(
        phase("patches, one twin", c, d, None, move |_, i| {
            let t = t.clone();
            async move {
                t.send("PATCH", "/digitaltwins/dev-0", Some(&patch(i)))
                    .await
                    .is_ok_and(|(s, _)| s == 204)
            }
        })
        .await,
    );
    let t = api.clone();
    results.push(
        phase("relationship creates", c, d, None, move |_, i| {
            let t = t.clone();
            async move {
                let src = twin_id(mix(i) % n);
                let body =
                    json!({"$relationshipName": "feeds", "$targetId": twin_id((mix(i) + 1) % n)});
                t.send(
                    "PUT",
                    &format!("/digitaltwins/{src}/relationships/r-{i}"),
                    Some(&body.to_string()),
                )
                .await
                .is_ok_and(|(s, _)| s == 200)
            }
        })
        .await,
    );
    let t = api.clone();
    let get_half = (results[1].rate() / 2.0).max(1.0);
    let name: &'static str =
        Box::leak(format!("GETs at half peak ({get_half:.0}/s)").into_boxed_str());
    results.push(
        phase(name, c, d, Some(get_half), move |_, i| {
            let t = t.clone();
            async move {
                t.send(
                    "GET",
                    &format!("/digitaltwins/{}", twin_id(mix(i) % n)),
                    None,
                )
                .await
                .is_ok_and(|(s, _)| s == 200)
            }
        })
        .await,
    );
    let t = api.clone();
    let half = (peak / 2.0).max(1.0);
    let name: &'static str =
        Box::leak(format!("patches at half peak ({half:.0}/s)").into_boxed_str());
    results.push(
        phase(name, c, d, Some(half), move |_, i| {
            let t = t.clone();
            async move {
                t.send(
                    "PATCH",
                    &format!("/digitaltwins/{}", twin_id(mix(i) % n)),
                    Some(&patch(i)),
                )
                .await
                .is_ok_and(|(s, _)| s == 204)
            }
        })
        .await,
    );
    println!("\nsummary (latency measured from each request's scheduled start):");
    for r in &results {
        r.print();
    }
    if let Some(c) = child {
        let rss = c.rss();
        println!(
            "server RSS after the run: {:.1} MiB",
            rss as f64 / 1048576.0
        );
        c.stop()?;
    }
    Ok(())
}

/// Spreads sequence numbers over the key space.
fn mix(i: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16
}

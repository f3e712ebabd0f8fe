//! `bench mqtt --kind commands`: each device answers commands on its own
//! twin's topic while one HTTP caller per device invokes
//! `POST /digitaltwins/{id}/commands/ping` back to back; reports calls per
//! second and the round-trip latency (HTTP in, MQTT out and back, HTTP
//! answer) at p50/p99.

use std::sync::Arc;
use std::time::Instant;

use hdrhistogram::Histogram;
use mqtt5::types::SubscribeOptions;
use mqtt5::{MqttClient, PublishOptions, PublishProperties, QoS};

use crate::bench::client::Api;

/// Makes every device answer `ping` with its request payload.
pub async fn answer(clients: &[(String, Arc<MqttClient>)]) -> anyhow::Result<()> {
    for (twin, client) in clients {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<mqtt5::Message>();
        let opts = SubscribeOptions {
            qos: QoS::AtLeastOnce,
            ..SubscribeOptions::default()
        };
        client
            .subscribe_with_options(format!("twins/{twin}/commands/+"), opts, move |m| {
                let _ = tx.send(m);
            })
            .await?;
        let c = client.clone();
        tokio::spawn(async move {
            while let Some(m) = rx.recv().await {
                let Some(topic) = m.properties.response_topic.clone() else {
                    continue;
                };
                let opts = PublishOptions {
                    qos: QoS::AtLeastOnce,
                    properties: PublishProperties {
                        correlation_data: m.properties.correlation_data.clone(),
                        ..PublishProperties::default()
                    },
                    ..PublishOptions::default()
                };
                let _ = c.publish_with_options(topic, m.payload, opts).await;
            }
        });
    }
    Ok(())
}

/// Runs `calls` commands per device; prints the rate and latencies.
pub async fn run(api: &Api, twins: Vec<String>, calls: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for twin in twins {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            let mut errors = 0u64;
            let path = format!("/digitaltwins/{twin}/commands/ping?timeout=10");
            for i in 0..calls {
                let t0 = Instant::now();
                match api.send("POST", &path, Some(&i.to_string())).await {
                    Ok((200, _)) => hist.record(t0.elapsed().as_micros().max(1) as u64)?,
                    _ => errors += 1,
                }
            }
            anyhow::Ok((hist, errors))
        }));
    }
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut errors = 0;
    for t in tasks {
        let (h, e) = t.await??;
        hist.add(h)?;
        errors += e;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{:.0} commands/s ({} round trips in {:.2} s, {errors} errors); round trip p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        hist.len() as f64 / secs,
        hist.len(),
        secs,
        hist.value_at_quantile(0.5) as f64 / 1000.0,
        hist.value_at_quantile(0.99) as f64 / 1000.0,
        hist.max() as f64 / 1000.0,
    );
    Ok(())
}

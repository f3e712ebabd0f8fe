//! `bench analytics`: how many telemetry points per second the analytics
//! engine handles in-process — each numeric field scored by the anomaly
//! detector, the twin's RUL trend updated and the shipped pump rules
//! evaluated — on one thread and on one engine per thread, and the memory
//! each scored series takes.

use std::time::Instant;

use clap::Args;
use ferrotwin_analytics::{Engine, Makers, ModelInfo, RulEstimator, Rule, Settings, Template};
use ferrotwin_events::Event;
use serde_json::{Map, Value, json};

const PUMP: &str = "dtmi:ferrotwin:manufacturing:Pump;1";

/// `bench analytics` options.
#[derive(Args)]
pub struct AnalyticsBench {
    /// Twins (pumps), each sending one message per step.
    #[arg(long, default_value_t = 1000)]
    pub twins: usize,
    /// Numeric fields per message.
    #[arg(long, default_value_t = 10)]
    pub fields: usize,
    /// Messages per twin.
    #[arg(long, default_value_t = 200)]
    pub steps: usize,
    /// Engines on their own threads (twins split between them).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

struct Info;

impl ModelInfo for Info {
    fn is_a(&self, model: &str, base: &str) -> bool {
        model == base
    }
    fn declares(&self, _: &str, name: &str) -> bool {
        matches!(name, "health" | "rul" | "anomalyScore")
    }
}

fn engine() -> anyhow::Result<Engine> {
    let doc: Value = serde_json::from_str(ferrotwin_sim::run::provision::ANALYTICS[0])?;
    let items = |k: &str| -> Vec<(String, Value)> {
        doc[k]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(id, v)| (id.clone(), v.clone()))
            .collect()
    };
    let mut rules = vec![];
    for (id, v) in items("rules") {
        let mut r: Rule = serde_json::from_value(v)?;
        r.id = id;
        rules.push(r);
    }
    let mut templates = vec![];
    for (id, v) in items("templates") {
        let mut t: Template = serde_json::from_value(v)?;
        t.id = id;
        templates.push(t);
    }
    let mut settings = vec![];
    for (id, v) in items("settings") {
        let mut s: Settings = serde_json::from_value(v)?;
        s.id = id;
        settings.push(s);
    }
    let mut e = Engine::new(
        Makers {
            detector: crate::analytics::detectors(),
            learned: Box::new(|_| None::<Box<dyn RulEstimator>>),
        },
        10_000,
    );
    e.configure(rules, templates, settings);
    Ok(e)
}

/// One step's messages for `twins`, `fields` numbers each, at `t` seconds.
fn messages(twins: std::ops::Range<usize>, fields: usize, step: usize) -> Vec<Event> {
    let t = 1_767_225_600 + step as i64 * 60;
    let time = chrono::DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    twins
        .map(|i| {
            let mut data = Map::new();
            data.insert(
                "vibBpfo".into(),
                json!(0.05 + 0.001 * ((i + step) % 7) as f64),
            );
            for f in 1..fields {
                let v = 10.0 * f as f64 + ((i * 31 + step * 17 + f * 7) % 13) as f64 * 0.1;
                data.insert(format!("f{f}"), json!(v));
            }
            Event::Telemetry {
                twin_id: format!("pump-{i}"),
                component: None,
                model: PUMP.into(),
                message_id: String::new(),
                source_time: Some(time.clone()),
                data: Value::Object(data),
            }
        })
        .collect()
}

/// Drives one engine over its twins; returns (seconds spent in the engine, changes).
fn drive(
    e: &mut Engine,
    twins: std::ops::Range<usize>,
    fields: usize,
    steps: usize,
) -> (f64, usize) {
    let mut busy = 0.0;
    let mut changes = 0;
    for step in 0..steps {
        let batch = messages(twins.clone(), fields, step);
        let started = Instant::now();
        for m in &batch {
            changes += e.observe(m, 0, &Info).len();
        }
        busy += started.elapsed().as_secs_f64();
    }
    (busy, changes)
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

/// Runs the benchmark.
pub async fn run(a: AnalyticsBench) -> anyhow::Result<()> {
    let (twins, fields, steps) = (a.twins.max(1), a.fields.max(1), a.steps.max(1));
    let points = (twins * fields * steps) as f64;
    eprintln!("analytics: {twins} twins x {fields} fields x {steps} messages, one thread ...");
    let before = rss_bytes();
    let mut one = engine()?;
    let (busy, changes) = drive(&mut one, 0..twins, fields, steps);
    let grown = rss_bytes().saturating_sub(before);
    let series = one.series_count();
    println!(
        "1 thread: {:.0} points/s ({:.0} messages/s), {changes} changes, {series} series, ~{} bytes per series (RSS growth)",
        points / busy,
        (twins * steps) as f64 / busy,
        grown / series.max(1) as u64
    );
    drop(one);
    let threads = a.threads.max(1);
    eprintln!("analytics: {threads} engines on {threads} threads ...");
    let per = twins.div_ceil(threads);
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|k| {
            let range = (k * per).min(twins)..((k + 1) * per).min(twins);
            std::thread::spawn(move || -> anyhow::Result<f64> {
                let mut e = engine()?;
                Ok(drive(&mut e, range, fields, steps).0)
            })
        })
        .collect();
    let mut slowest: f64 = 0.0;
    for h in handles {
        let busy = h
            .join()
            .map_err(|_| anyhow::anyhow!("an engine thread panicked"))??;
        slowest = slowest.max(busy);
    }
    println!(
        "{threads} threads: {:.0} points/s in the engines (slowest engine's busy time), wall {:.1} s including message generation",
        points / slowest,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

//! Times parse + validate + resolve of RealEstateCore v3 (median of N runs)
//! and of a synthetic set of 20,000 interfaces, printing interfaces/s.
//!
//! `cargo run --release -p ferrotwin-dtdl --example bench [RUNS]`

use ferrotwin_dtdl::{Document, parse};
use std::path::Path;
use std::time::{Duration, Instant};

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(15);
    let rec = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/ontologies/realestatecore-v3");
    let mut docs = Vec::new();
    walk(&rec, &mut docs);
    if docs.is_empty() {
        println!("RealEstateCore not found at {} (skipped)", rec.display());
    } else {
        measure("RealEstateCore v3", &docs, runs);
    }
    let count = std::env::var("BENCH_INTERFACES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let synthetic = synthetic(count);
    measure("synthetic", &synthetic, runs.min(5));
}

fn measure(label: &str, docs: &[Document], runs: usize) {
    // Warm-up builds the metamodel tables once.
    let first = parse(docs, None);
    assert!(
        first.is_valid(),
        "{label}: {} diagnostics, first: {:?}",
        first.diagnostics.len(),
        first.diagnostics.first().map(ToString::to_string)
    );
    let n = first.models.interfaces.len();
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            let p = parse(docs, None);
            let d = t.elapsed();
            assert_eq!(p.models.interfaces.len(), n);
            d
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "{label}: {n} interfaces, median {:.2} ms over {} runs (min {:.2} ms), {:.0} interfaces/s",
        median.as_secs_f64() * 1e3,
        times.len(),
        times[0].as_secs_f64() * 1e3,
        n as f64 / median.as_secs_f64()
    );
}

/// `count` interfaces in DTDL v3, each extending the previous one of its
/// chain of ten, with a few contents and a nested schema.
fn synthetic(count: usize) -> Vec<Document> {
    (0..count)
        .map(|i| {
            let extends = if i % 10 == 0 { String::new() } else { format!(r#""extends": "dtmi:bench:I{};1","#, i - 1) };
            let text = format!(
                r#"{{"@context": ["dtmi:dtdl:context;3", "dtmi:dtdl:extension:quantitativeTypes;1"], "@id": "dtmi:bench:I{i};1", "@type": "Interface", {extends}
                "displayName": {{"en": "Interface {i}"}},
                "contents": [
                  {{"@type": ["Property", "Temperature"], "name": "t{i}", "schema": "double", "unit": "degreeCelsius", "writable": true}},
                  {{"@type": "Telemetry", "name": "m{i}", "schema": {{"@type": "Object", "fields": [{{"name": "a", "schema": "integer"}}, {{"name": "b", "schema": {{"@type": "Array", "elementSchema": "string"}}}}]}}}},
                  {{"@type": "Relationship", "name": "r{i}", "target": "dtmi:bench:I0;1", "properties": [{{"@type": "Property", "name": "since", "schema": "dateTime"}}]}},
                  {{"@type": "Command", "name": "c{i}", "request": {{"name": "x", "schema": "string"}}}}
                ]}}"#
            );
            Document { name: format!("synthetic[{i}]"), text }
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<Document>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|e| e == "json")
            && let Ok(text) = std::fs::read_to_string(&p)
        {
            out.push(Document {
                name: p.display().to_string(),
                text,
            });
        }
    }
}

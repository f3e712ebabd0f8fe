//! `ferrotwin bench query`: the query language over HTTP on a RealEstateCore
//! graph. Buildings of 10 levels × 20 rooms × 2 temperature sensors, with
//! three relationships per twin (parts, capabilities and locations both
//! ways, and what serves each space), are loaded through the import job
//! (the REC ontology read from `../shared`). Each query then runs
//! repeatedly and its latency (p50/p99, all pages) and row count are
//! reported; then concurrent clients run each selective query, and a mix
//! of them, for a while, and the rate and latency are reported.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value, json};

use super::api::{Until, phase};
use super::client::{Api, ChildServer};

/// `bench query` options.
#[derive(Args)]
pub struct QueryBench {
    /// About how many twins to load (whole buildings of 611 twins).
    #[arg(long, default_value_t = 1_000_000)]
    pub twins: u64,
    /// Runs of each query.
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
    /// The RealEstateCore v3 ontology folder.
    #[arg(long, default_value = "../shared/data/ontologies/realestatecore-v3")]
    pub ontology: PathBuf,
    /// Storage engine of the started server: fjall or redb.
    #[arg(long, default_value = "fjall")]
    pub storage: ferrotwin_store::Engine,
    /// Concurrent connections in the throughput phases.
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// Seconds per throughput phase (0 skips them).
    #[arg(long, default_value_t = 5)]
    pub duration: u64,
}

const REC: &str = "dtmi:digitaltwins:rec_3_3:";
const LEVELS: u64 = 10;
const ROOMS: u64 = 20;
const SENSORS: u64 = 2;
const PER_BUILDING: u64 = 1 + LEVELS * (1 + ROOMS * (1 + SENSORS));
/// Relationships per building: `hasPart` and `isPartOf` between building,
/// levels and rooms; `hasCapability`, `isCapabilityOf` and `isLocationOf`
/// between rooms and sensors; `servedBy` from each room and level to the
/// space above it.
const RELS_PER_BUILDING: u64 = 3 * LEVELS * (1 + ROOMS) + 3 * LEVELS * ROOMS * SENSORS;

fn rec(name: &str) -> String {
    format!("{REC}{name};1")
}

/// Every interface document under `dir` (files may start with a BOM).
fn ontology(dir: &Path, out: &mut Vec<Value>) -> anyhow::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            ontology(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "json") {
            let text = std::fs::read_to_string(&p)?;
            match serde_json::from_str(text.trim_start_matches('\u{feff}'))? {
                Value::Array(a) => out.extend(a),
                v => out.push(v),
            }
        }
    }
    Ok(())
}

/// The component names of `model`, inherited ones included, each of
/// which a new twin must carry (at least as `{"$metadata": {}}`).
fn components(models: &[Value], model: &str) -> Vec<String> {
    let Some(m) = models.iter().find(|m| m["@id"] == model) else {
        return Vec::new();
    };
    let mut out: Vec<String> = m["contents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            c["@type"] == "Component"
                || c["@type"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|x| x == "Component"))
        })
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect();
    let bases: Vec<&str> = match &m["extends"] {
        Value::String(b) => vec![b.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    for b in bases {
        out.extend(components(models, b));
    }
    out.sort();
    out.dedup();
    out
}

/// A twin document of `model` with `props` and every component present.
fn twin(models: &[Value], model: &str, id: &str, props: Value) -> Value {
    let mut t = props;
    t["$dtId"] = json!(id);
    t["$metadata"] = json!({"$model": model});
    for c in components(models, model) {
        t[c] = json!({"$metadata": {}});
    }
    t
}

/// A sensor's reading: 18 to 27 degrees in steps of 0.0001, spread over
/// the sensors so that a narrow range is selective.
fn sensor_value(b: u64, l: u64, r: u64, s: u64) -> f64 {
    let k = (b * 7919 + l * 9001 + r * 4507 + s * 45_007) % 90_000;
    18.0 + k as f64 / 10_000.0
}

fn write_input(path: &Path, models: &[Value], buildings: u64) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(f, "{{\"Section\": \"Header\"}}")?;
    writeln!(
        f,
        "{{\"fileVersion\": \"1.0.0\", \"author\": \"ferrotwin bench\", \"organization\": \"ferrotwin\"}}"
    )?;
    writeln!(f, "{{\"Section\": \"Models\"}}")?;
    for m in models {
        writeln!(f, "{m}")?;
    }
    let (building, level, room, sensor) = (
        rec("core:Building"),
        rec("core:Level"),
        rec("core:Room"),
        rec("device:TemperatureSensor"),
    );
    writeln!(f, "{{\"Section\": \"Twins\"}}")?;
    for b in 0..buildings {
        let t = twin(
            models,
            &building,
            &format!("b{b}"),
            json!({"name": format!("Building {b}")}),
        );
        writeln!(f, "{t}")?;
        for l in 0..LEVELS {
            let t = twin(
                models,
                &level,
                &format!("b{b}-l{l}"),
                json!({"name": format!("Level {l}"), "levelNumber": l}),
            );
            writeln!(f, "{t}")?;
            for r in 0..ROOMS {
                let id = format!("b{b}-l{l}-r{r}");
                let t = twin(
                    models,
                    &room,
                    &id,
                    json!({"name": format!("Room {r}"), "personCapacity": 2 + (b + l + r) % 30}),
                );
                writeln!(f, "{t}")?;
                for s in 0..SENSORS {
                    let v = sensor_value(b, l, r, s);
                    let t = twin(
                        models,
                        &sensor,
                        &format!("{id}-s{s}"),
                        json!({"lastValue": v}),
                    );
                    writeln!(f, "{t}")?;
                }
            }
        }
    }
    writeln!(f, "{{\"Section\": \"Relationships\"}}")?;
    let rel = |f: &mut std::io::BufWriter<std::fs::File>, src: &str, name: &str, tgt: &str| {
        writeln!(
            f,
            "{}",
            json!({"$dtId": src, "$relationshipId": format!("{name}-{tgt}"), "$targetId": tgt, "$relationshipName": name})
        )
    };
    for b in 0..buildings {
        let bd = format!("b{b}");
        for l in 0..LEVELS {
            let lv = format!("{bd}-l{l}");
            rel(&mut f, &bd, "hasPart", &lv)?;
            rel(&mut f, &lv, "isPartOf", &bd)?;
            rel(&mut f, &lv, "servedBy", &bd)?;
            for r in 0..ROOMS {
                let room = format!("{lv}-r{r}");
                rel(&mut f, &lv, "hasPart", &room)?;
                rel(&mut f, &room, "isPartOf", &lv)?;
                rel(&mut f, &room, "servedBy", &lv)?;
                for s in 0..SENSORS {
                    let sensor = format!("{room}-s{s}");
                    rel(&mut f, &room, "hasCapability", &sensor)?;
                    rel(&mut f, &sensor, "isCapabilityOf", &room)?;
                    rel(&mut f, &room, "isLocationOf", &sensor)?;
                }
            }
        }
    }
    f.flush()?;
    Ok(())
}

/// A narrow range of sensor readings near building `b`'s: a few dozen
/// sensors of the whole graph.
fn narrow_range(b: u64) -> String {
    let v = sensor_value(b, 3, 7, 0);
    format!("T.lastValue >= {v} AND T.lastValue < {}", v + 0.0005)
}

/// The selective queries of the throughput phases, by name, each about
/// building `b`.
const SELECTIVE: [&str; 7] = [
    "point lookup by $dtId",
    "model + property equality",
    "narrow property range",
    "1-hop JOIN (20 rows)",
    "2-hop JOIN to the building",
    "3-hop MATCH (40 rows)",
    "COUNT over a 1-hop JOIN",
];

fn selective(kind: usize, b: u64) -> String {
    match kind {
        0 => format!("SELECT * FROM DIGITALTWINS T WHERE T.$dtId = 'b{b}-l3-r7'"),
        1 => format!(
            "SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL('{}') AND T.name = 'Building {b}'",
            rec("core:Building")
        ),
        2 => format!(
            "SELECT T.$dtId FROM DIGITALTWINS T WHERE {}",
            narrow_range(b)
        ),
        3 => format!(
            "SELECT R FROM DIGITALTWINS L JOIN R RELATED L.hasPart WHERE L.$dtId = 'b{b}-l3'"
        ),
        4 => format!(
            "SELECT B.name FROM DIGITALTWINS B JOIN L RELATED B.hasPart JOIN R RELATED L.hasPart WHERE R.$dtId = 'b{b}-l4-r2'"
        ),
        5 => format!(
            "SELECT S FROM DIGITALTWINS MATCH (B)-[:hasPart]->(L)-[:hasPart]->(R)-[:hasCapability]->(S) WHERE L.$dtId = 'b{b}-l3'"
        ),
        _ => format!(
            "SELECT COUNT() FROM DIGITALTWINS L JOIN R RELATED L.hasPart WHERE L.$dtId = 'b{b}-l3'"
        ),
    }
}

/// Runs concurrent clients on each selective query, then on their mix.
async fn throughput(api: &Api, s: &QueryBench, buildings: u64) {
    println!(
        "\nthroughput: {} connections, {} s per phase, a random building per query",
        s.connections, s.duration
    );
    let until = Until::Time(Duration::from_secs(s.duration));
    let kinds = (0..SELECTIVE.len()).map(Some).chain([None]);
    for kind in kinds {
        let name = kind.map_or("mix of the above", |k| SELECTIVE[k]);
        let api = api.clone();
        phase(name, s.connections, until, None, move |_, n| {
            let api = api.clone();
            // A multiplicative hash spreads consecutive requests over the buildings.
            let b = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20;
            let q = selective(kind.unwrap_or(n as usize % SELECTIVE.len()), b % buildings);
            async move { run_query(&api, &q).await.is_ok() }
        })
        .await;
    }
}

/// Runs `q` to its last page; returns the time, rows and summed charge.
async fn run_query(api: &Api, q: &str) -> anyhow::Result<(Duration, usize, f64)> {
    let t = Instant::now();
    let mut body = json!({"query": q});
    let (mut rows, mut charge) = (0, 0.0);
    loop {
        let (status, bytes) = api.send("POST", "/query", Some(&body.to_string())).await?;
        if status != 200 {
            anyhow::bail!("{q} answered {status}: {}", String::from_utf8_lossy(&bytes));
        }
        let page: Value = serde_json::from_slice(&bytes)?;
        rows += page["value"].as_array().map_or(0, Vec::len);
        charge += 1.0;
        match page["continuationToken"].as_str() {
            Some(t) => body = json!({"continuationToken": t}),
            None => return Ok((t.elapsed(), rows, charge)),
        }
    }
}

/// `bench query`
pub async fn run(s: QueryBench) -> anyhow::Result<()> {
    let mut models = Vec::new();
    ontology(&s.ontology, &mut models)
        .map_err(|e| anyhow::anyhow!("reading the ontology at {}: {e}", s.ontology.display()))?;
    // Enough buildings for the twins asked for and three relationships each.
    let buildings = s
        .twins
        .div_ceil(PER_BUILDING)
        .max((3 * s.twins).div_ceil(RELS_PER_BUILDING))
        .max(1);
    let tmp = tempfile::tempdir()?;
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data)?;
    let input = tmp.path().join("import.ndjson");
    write_input(&input, &models, buildings)?;
    let token = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let server = ChildServer::start(&data, &token, s.storage)?;
    let api = Api::new(&server.base, &token, s.connections.max(1));
    let body = json!({"inputBlobUri": format!("file://{}", input.display()), "outputBlobUri": format!("file://{}", tmp.path().join("import.log").display())});
    let t = Instant::now();
    api.ok("PUT", "/jobs/imports/query", Some(&body.to_string()))
        .await?;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let job: Value =
            serde_json::from_slice(&api.ok("GET", "/jobs/imports/query", None).await?)?;
        match job["status"].as_str() {
            Some("succeeded") if job["progress"]["errors"] == 0 => break,
            Some("succeeded" | "failed" | "cancelled") => {
                let log =
                    std::fs::read_to_string(tmp.path().join("import.log")).unwrap_or_default();
                let first: String = log
                    .lines()
                    .filter(|l| l.contains("rror"))
                    .take(3)
                    .collect::<Vec<_>>()
                    .join("\n");
                anyhow::bail!(
                    "the import ended {} with {} errors: {}\n{first}",
                    job["status"],
                    job["progress"]["errors"],
                    job["error"]
                );
            }
            _ => {}
        }
    }
    let twins = buildings * PER_BUILDING;
    println!(
        "loaded {twins} twins and {} relationships of {} REC models in {buildings} buildings, in {:.1} s",
        buildings * RELS_PER_BUILDING,
        models.len(),
        t.elapsed().as_secs_f64()
    );
    let mid = buildings / 2;
    let queries = [
        (
            "twin by $dtId",
            format!("SELECT * FROM DIGITALTWINS T WHERE T.$dtId = 'b{mid}-l3-r7'"),
        ),
        (
            "$dtId IN (5 ids)",
            format!(
                "SELECT T.name FROM DIGITALTWINS T WHERE T.$dtId IN ['b{mid}', 'b{mid}-l1', 'b{mid}-l2-r3', 'b0-l0-r0-s1', 'nope']"
            ),
        ),
        (
            "JOIN 2 levels from a building",
            format!(
                "SELECT L.name, R FROM DIGITALTWINS B JOIN L RELATED B.hasPart JOIN R RELATED L.hasPart WHERE B.$dtId = 'b{mid}'"
            ),
        ),
        (
            "JOIN from the target (incoming)",
            format!(
                "SELECT B.name FROM DIGITALTWINS B JOIN L RELATED B.hasPart JOIN R RELATED L.hasPart WHERE R.$dtId = 'b{mid}-l4-r2'"
            ),
        ),
        (
            "MATCH *..3 from a building, filtered",
            format!(
                "SELECT S FROM DIGITALTWINS MATCH (B)-[*..3]->(S) WHERE B.$dtId = 'b{mid}' AND S.lastValue > 22"
            ),
        ),
        (
            "COUNT exact model (levels)",
            format!(
                "SELECT COUNT() FROM DIGITALTWINS WHERE IS_OF_MODEL('{}', exact) AND levelNumber = 3",
                rec("core:Level")
            ),
        ),
        (
            "COUNT inherited model (all spaces)",
            format!(
                "SELECT COUNT() FROM DIGITALTWINS WHERE IS_OF_MODEL('{}')",
                rec("core:Space")
            ),
        ),
        (
            "COUNT property equality (index)",
            "SELECT COUNT() FROM DIGITALTWINS WHERE personCapacity = 7".to_string(),
        ),
        (
            "COUNT property range (index)",
            "SELECT COUNT() FROM DIGITALTWINS WHERE personCapacity > 30".to_string(),
        ),
        (
            "narrow property range (index)",
            format!(
                "SELECT T.$dtId FROM DIGITALTWINS T WHERE {}",
                narrow_range(mid)
            ),
        ),
        (
            "first page of all rooms",
            format!(
                "SELECT TOP(100) FROM DIGITALTWINS WHERE IS_OF_MODEL('{}')",
                rec("core:Room")
            ),
        ),
    ];
    println!(
        "{:<38} {:>9} {:>10} {:>10} {:>6}",
        "query", "rows", "p50 ms", "p99 ms", "pages"
    );
    for (name, q) in &queries {
        let mut times = Vec::with_capacity(s.runs);
        let (mut rows, mut pages) = (0, 0.0);
        for _ in 0..s.runs.max(1) {
            let (d, r, p) = run_query(&api, q).await?;
            times.push(d);
            (rows, pages) = (r, p);
        }
        times.sort();
        let pct =
            |p: f64| times[((times.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
        println!(
            "{name:<38} {rows:>9} {:>10.2} {:>10.2} {pages:>6}",
            pct(0.5),
            pct(0.99)
        );
    }
    if s.duration > 0 {
        throughput(&api, &s, buildings).await;
    }
    println!(
        "server RSS with the graph loaded: {:.0} MiB",
        server.rss() as f64 / 1048576.0
    );
    server.stop()?;
    Ok(())
}

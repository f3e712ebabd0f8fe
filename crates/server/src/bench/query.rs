//! `ferrotwin bench query`: the query language over HTTP on a RealEstateCore
//! graph. Buildings of 10 levels × 20 rooms × 2 temperature sensors are
//! loaded through the import job (the REC ontology read from `../shared`),
//! then each query runs repeatedly and its latency (p50/p99, all pages)
//! and row count are reported, together with the server's query charge.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value, json};

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
}

const REC: &str = "dtmi:digitaltwins:rec_3_3:";
const LEVELS: u64 = 10;
const ROOMS: u64 = 20;
const SENSORS: u64 = 2;
const PER_BUILDING: u64 = 1 + LEVELS * (1 + ROOMS * (1 + SENSORS));

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
                    let v = 18.0 + ((b * 7 + l * 3 + r + s) % 90) as f64 / 10.0;
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
        for l in 0..LEVELS {
            let lv = format!("b{b}-l{l}");
            rel(&mut f, &format!("b{b}"), "hasPart", &lv)?;
            for r in 0..ROOMS {
                let room = format!("{lv}-r{r}");
                rel(&mut f, &lv, "hasPart", &room)?;
                for s in 0..SENSORS {
                    rel(&mut f, &room, "hasCapability", &format!("{room}-s{s}"))?;
                }
            }
        }
    }
    f.flush()?;
    Ok(())
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
    let buildings = s.twins.div_ceil(PER_BUILDING).max(1);
    let tmp = tempfile::tempdir()?;
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data)?;
    let input = tmp.path().join("import.ndjson");
    write_input(&input, &models, buildings)?;
    let token = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let server = ChildServer::start(&data, &token, s.storage)?;
    let api = Api::new(&server.base, &token, 1);
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
        twins - buildings,
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
            "COUNT property range (full scan)",
            "SELECT COUNT() FROM DIGITALTWINS WHERE personCapacity > 30".to_string(),
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
    println!(
        "server RSS with the graph loaded: {:.0} MiB",
        server.rss() as f64 / 1048576.0
    );
    server.stop()?;
    Ok(())
}

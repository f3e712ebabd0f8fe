//! `ferrotwin bench scale`.

use std::io::Write;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value, json};

use super::client::{Api, ChildServer};

/// `bench scale` options.
#[derive(Args)]
pub struct ScaleBench {
    /// Twins to import.
    #[arg(long, default_value_t = 1_000_000)]
    pub twins: u64,
    /// Relationships per twin.
    #[arg(long, default_value_t = 3)]
    pub relationships_per_twin: u64,
    /// Storage engine of the started server: fjall or redb.
    #[arg(long, default_value = "fjall")]
    pub storage: ferrotwin_store::Engine,
    /// Keep the data here instead of a temporary directory.
    #[arg(long)]
    pub data: Option<std::path::PathBuf>,
}

const MODEL: &str = "dtmi:ferrotwin:bench:Equipment;1";

fn write_input(path: &std::path::Path, twins: u64, per: u64) -> anyhow::Result<u64> {
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let model = json!({
        "@context": "dtmi:dtdl:context;3", "@id": MODEL, "@type": "Interface",
        "contents": [
            {"@type": "Property", "name": "name", "schema": "string"},
            {"@type": "Property", "name": "floor", "schema": "integer"},
            {"@type": "Property", "name": "temperature", "schema": "double"},
            {"@type": "Relationship", "name": "feeds", "target": MODEL,
             "properties": [{"@type": "Property", "name": "weight", "schema": "double"}]}
        ]
    });
    writeln!(f, "{{\"Section\": \"Header\"}}")?;
    writeln!(
        f,
        "{{\"fileVersion\": \"1.0.0\", \"author\": \"ferrotwin bench\", \"organization\": \"ferrotwin\"}}"
    )?;
    writeln!(f, "{{\"Section\": \"Models\"}}")?;
    writeln!(f, "{model}")?;
    writeln!(f, "{{\"Section\": \"Twins\"}}")?;
    for i in 0..twins {
        writeln!(
            f,
            "{{\"$dtId\":\"eq-{i}\",\"$metadata\":{{\"$model\":\"{MODEL}\"}},\"name\":\"Equipment {i}\",\"floor\":{},\"temperature\":{}}}",
            i % 40,
            18.0 + (i % 70) as f64 / 10.0
        )?;
        if i % 200_000 == 0 {
            eprintln!("bench: writing input: {i}/{twins} twins");
        }
    }
    writeln!(f, "{{\"Section\": \"Relationships\"}}")?;
    let mut rels = 0;
    for i in 0..twins {
        for k in 1..=per {
            let target = (i + k * 7919) % twins;
            if target == i {
                continue;
            }
            writeln!(
                f,
                "{{\"$dtId\":\"eq-{i}\",\"$relationshipId\":\"feeds-{k}\",\"$targetId\":\"eq-{target}\",\"$relationshipName\":\"feeds\",\"weight\":{k}.5}}"
            )?;
            rels += 1;
        }
        if i % 200_000 == 0 {
            eprintln!("bench: writing input: relationships of {i}/{twins} twins");
        }
    }
    f.flush()?;
    Ok(rels)
}

fn dir_size(p: &std::path::Path) -> u64 {
    std::fs::read_dir(p).map_or(0, |rd| {
        rd.flatten()
            .map(|e| match e.metadata() {
                Ok(m) if m.is_dir() => dir_size(&e.path()),
                Ok(m) => m.len(),
                Err(_) => 0,
            })
            .sum()
    })
}

/// `bench scale`
pub async fn run(s: ScaleBench) -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = s.data.clone().unwrap_or_else(|| tmp.path().join("data"));
    std::fs::create_dir_all(&data)?;
    let input = tmp.path().join("import.ndjson");
    let t = Instant::now();
    let rels = write_input(&input, s.twins, s.relationships_per_twin)?;
    println!(
        "input: {} twins, {rels} relationships, {:.0} MiB, written in {:.1} s",
        s.twins,
        std::fs::metadata(&input)?.len() as f64 / 1048576.0,
        t.elapsed().as_secs_f64()
    );
    let token = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let server = ChildServer::start(&data, &token, s.storage)?;
    let api = Api::new(&server.base, &token, 4);
    let rss0 = server.rss();
    let body = json!({"inputBlobUri": format!("file://{}", input.display()), "outputBlobUri": format!("file://{}", tmp.path().join("import.log").display())});
    let t = Instant::now();
    api.ok("PUT", "/jobs/imports/scale", Some(&body.to_string()))
        .await?;
    let job = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let job: Value =
            serde_json::from_slice(&api.ok("GET", "/jobs/imports/scale", None).await?)?;
        let p = &job["progress"];
        eprintln!(
            "bench: import {} after {:.1} s: {} twins, {} relationships, {} errors",
            job["status"],
            t.elapsed().as_secs_f64(),
            p["twins"],
            p["relationships"],
            p["errors"]
        );
        if matches!(
            job["status"].as_str(),
            Some("succeeded" | "failed" | "cancelled")
        ) {
            break job;
        }
    };
    let load = t.elapsed();
    if job["status"] != "succeeded" {
        anyhow::bail!("the import ended {}: {}", job["status"], job["error"]);
    }
    let rss1 = server.rss();
    let stop = server.stop()?;
    let disk = dir_size(&data);
    let restarted = ChildServer::start(&data, &token, s.storage)?;
    let rss2 = restarted.rss();
    let health: Value = serde_json::from_slice(
        &Api::new(&restarted.base, &token, 1)
            .ok("GET", "/healthz", None)
            .await?,
    )?;
    let restart = restarted.startup;
    restarted.stop()?;
    let n = s.twins as f64;
    println!(
        "import job: {:.1} s ({:.0} twins/s, {:.0} relationships/s over the whole job)",
        load.as_secs_f64(),
        n / load.as_secs_f64(),
        rels as f64 / load.as_secs_f64()
    );
    println!(
        "server RSS: {:.0} MiB empty, {:.0} MiB loaded, {:.0} MiB after restart",
        rss0 as f64 / 1048576.0,
        rss1 as f64 / 1048576.0,
        rss2 as f64 / 1048576.0
    );
    println!(
        "memory per twin (with its {} relationships): {:.0} bytes after import, {:.0} bytes after restart",
        s.relationships_per_twin,
        (rss1.saturating_sub(rss0)) as f64 / n,
        (rss2.saturating_sub(rss0)) as f64 / n
    );
    println!(
        "graceful stop: {:.2} s; restart to listening: {:.2} s; on disk: {:.0} MiB",
        stop.as_secs_f64(),
        restart.as_secs_f64(),
        disk as f64 / 1048576.0
    );
    println!("after restart: {health}");
    Ok(())
}

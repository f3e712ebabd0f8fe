//! `bench history`: ferrotwin's embedded history against InfluxDB 1.x and
//! VictoriaMetrics, side by side in one run, on the same generated data
//! sent as the same line-protocol bytes in the same batches through each
//! store's own HTTP write. Measures ingest (points/s), bytes on disk, and
//! the latency of three queries: the raw last hour of one series, a
//! 1,000-bucket aggregate over 30 days of one series, and the latest
//! value of every series. Each store runs alone, started fresh in a
//! temporary directory, so none competes with another for the two cores.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::client::{Api, ChildServer};

/// A store under test.
#[derive(ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Store {
    /// ferrotwin's embedded history engine, through `POST /history/write`.
    Ferrotwin,
    /// InfluxDB 1.x (`influxd`), through `/write`.
    Influxdb,
    /// VictoriaMetrics single-node, through its InfluxDB `/write`.
    Victoriametrics,
}

/// `bench history` options.
#[derive(Args)]
pub struct HistoryBench {
    /// Series written (one twin each), every second.
    #[arg(long, default_value_t = 10_000)]
    pub series: usize,
    /// Points per series, one per second.
    #[arg(long, default_value_t = 1_000)]
    pub points: usize,
    /// Days of the one long series (one point per second) for the aggregate query.
    #[arg(long, default_value_t = 30)]
    pub long_days: u32,
    /// Points per write request.
    #[arg(long, default_value_t = 5_000)]
    pub batch: usize,
    /// Write requests in flight at once.
    #[arg(long, default_value_t = 4)]
    pub writers: usize,
    /// Times each query runs.
    #[arg(long, default_value_t = 30)]
    pub repeat: usize,
    /// Which stores, in order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "ferrotwin,influxdb,victoriametrics"
    )]
    pub stores: Vec<Store>,
    /// The InfluxDB 1.x server binary.
    #[arg(long, default_value = "/usr/bin/influxd")]
    pub influxd: PathBuf,
    /// The VictoriaMetrics binary.
    #[arg(long, default_value = "/usr/bin/victoria-metrics")]
    pub victoria_metrics: PathBuf,
}

const LONG: &str = "long";
const S: i64 = 1_000_000_000;

/// The generated data: batches of line protocol, and the time span.
struct Data {
    batches: Vec<Bytes>,
    points: usize,
    end_ns: i64,
}

fn generate(a: &HistoryBench) -> Data {
    let end_s = chrono::Utc::now().timestamp();
    let end_ns = end_s * S;
    let mut rng_state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state
    };
    let mut walk: Vec<i64> = (0..a.series)
        .map(|i| 2000 + (i as i64 % 500) * 10)
        .collect();
    let mut batches = Vec::new();
    let mut buf = String::with_capacity(a.batch * 48);
    let mut in_batch = 0;
    let mut flush = |buf: &mut String, in_batch: &mut usize, force: bool| {
        if *in_batch >= a.batch || (force && *in_batch > 0) {
            batches.push(Bytes::from(std::mem::take(buf)));
            *in_batch = 0;
        }
    };
    let mut total = 0;
    for i in 0..a.points {
        let t = end_ns - (a.points - i) as i64 * S;
        for (s, w) in walk.iter_mut().enumerate() {
            *w += (next() % 11) as i64 - 5;
            buf.push_str(&format!(
                "bench,twin=s{s} v={}.{:02} {t}\n",
                *w / 100,
                (*w % 100).abs()
            ));
            in_batch += 1;
            total += 1;
            flush(&mut buf, &mut in_batch, false);
        }
    }
    let long_points = i64::from(a.long_days) * 86_400;
    let mut w = 5000i64;
    for i in 0..long_points {
        let t = end_ns - (long_points - i) * S;
        w += (next() % 11) as i64 - 5;
        buf.push_str(&format!(
            "bench,twin={LONG} v={}.{:02} {t}\n",
            w / 100,
            (w % 100).abs()
        ));
        in_batch += 1;
        total += 1;
        flush(&mut buf, &mut in_batch, false);
    }
    flush(&mut buf, &mut in_batch, true);
    Data {
        batches,
        points: total,
        end_ns,
    }
}

/// A plain HTTP client for any of the stores.
#[derive(Clone)]
struct Http(Client<HttpConnector, Full<Bytes>>);

impl Http {
    fn new() -> Http {
        Http(
            Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(16)
                .build_http(),
        )
    }

    async fn send(
        &self,
        method: &str,
        url: &str,
        body: Bytes,
        auth: Option<&str>,
    ) -> anyhow::Result<(u16, Bytes)> {
        let mut req = hyper::Request::builder().method(method).uri(url);
        if let Some(t) = auth {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let resp = self.0.request(req.body(Full::new(body))?).await?;
        let status = resp.status().as_u16();
        Ok((status, resp.into_body().collect().await?.to_bytes()))
    }

    async fn ok(
        &self,
        method: &str,
        url: &str,
        body: Bytes,
        auth: Option<&str>,
    ) -> anyhow::Result<Bytes> {
        let (s, b) = self.send(method, url, body, auth).await?;
        if !(200..300).contains(&s) {
            bail!(
                "{method} {url} answered {s}: {}",
                String::from_utf8_lossy(&b[..b.len().min(400)])
            );
        }
        Ok(b)
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn du(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => du(&e.path()),
            Ok(m) => std::os::unix::fs::MetadataExt::blocks(&m) * 512,
            Err(_) => 0,
        })
        .sum()
}

/// A store process, its write URL and how to query it.
struct Running {
    child: Option<Child>,
    server: Option<ChildServer>,
    base: String,
    token: Option<String>,
    data: PathBuf,
}

impl Running {
    fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(s) = self.server.take() {
            s.stop()?;
        }
        if let Some(mut c) = self.child.take() {
            Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status()?;
            c.wait()?;
        }
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

async fn wait_ready(http: &Http, url: &str) -> anyhow::Result<()> {
    for _ in 0..300 {
        if let Ok((s, _)) = http.send("GET", url, Bytes::new(), None).await {
            if s < 300 {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{url} did not become ready in 30 s")
}

async fn start(
    store: Store,
    a: &HistoryBench,
    dir: &Path,
    series: usize,
    http: &Http,
) -> anyhow::Result<Running> {
    match store {
        Store::Ferrotwin => {
            let token = format!("bench-{}", uuid::Uuid::new_v4().simple());
            let server = ChildServer::start(dir, &token, ferrotwin_store::Engine::Fjall)?;
            let api = Api::new(&server.base, &token, 8);
            let model = r#"[{"@context":"dtmi:dtdl:context;3","@id":"dtmi:ferrotwin:bench:Series;1","@type":"Interface","contents":[{"@type":"Telemetry","name":"v","schema":"double"}]}]"#;
            api.ok("POST", "/models", Some(model)).await?;
            let twin = r#"{"$metadata":{"$model":"dtmi:ferrotwin:bench:Series;1"}}"#;
            let names: Vec<String> = (0..series)
                .map(|s| format!("s{s}"))
                .chain([LONG.to_string()])
                .collect();
            let next = Arc::new(AtomicUsize::new(0));
            let names = Arc::new(names);
            let mut tasks = Vec::new();
            for _ in 0..8 {
                let (api, next, names) = (api.clone(), next.clone(), names.clone());
                tasks.push(tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(n) = names.get(i) else {
                            return Ok::<_, anyhow::Error>(());
                        };
                        api.ok("PUT", &format!("/digitaltwins/{n}"), Some(twin))
                            .await?;
                    }
                }));
            }
            for t in tasks {
                t.await??;
            }
            Ok(Running {
                base: server.base.clone(),
                server: Some(server),
                child: None,
                token: Some(token),
                data: dir.join("history"),
            })
        }
        Store::Influxdb => {
            let (port, rpc) = (free_port()?, free_port()?);
            let d = dir.display();
            let conf = format!(
                "reporting-disabled = true\nbind-address = \"127.0.0.1:{rpc}\"\n\
                 [meta]\n  dir = \"{d}/meta\"\n\
                 [data]\n  dir = \"{d}/data\"\n  wal-dir = \"{d}/wal\"\n  cache-max-memory-size = \"8g\"\n  max-series-per-database = 0\n  max-values-per-tag = 0\n  query-log-enabled = false\n\
                 [http]\n  bind-address = \"127.0.0.1:{port}\"\n  log-enabled = false\n  max-body-size = 0\n\
                 [monitor]\n  store-enabled = false\n[continuous_queries]\n  enabled = false\n"
            );
            let conf_path = dir.join("influxdb.conf");
            std::fs::write(&conf_path, conf)?;
            let child = Command::new(&a.influxd)
                .arg("-config")
                .arg(&conf_path)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {}", a.influxd.display()))?;
            let base = format!("http://127.0.0.1:{port}");
            let r = Running {
                child: Some(child),
                server: None,
                base: base.clone(),
                token: None,
                data: dir.to_path_buf(),
            };
            wait_ready(http, &format!("{base}/ping")).await?;
            http.ok(
                "POST",
                &format!("{base}/query?q=CREATE%20DATABASE%20bench"),
                Bytes::new(),
                None,
            )
            .await?;
            Ok(r)
        }
        Store::Victoriametrics => {
            let port = free_port()?;
            let child = Command::new(&a.victoria_metrics)
                .arg(format!("-storageDataPath={}", dir.display()))
                .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
                .args([
                    "-retentionPeriod=100y",
                    "-search.latencyOffset=0s",
                    "-search.disableCache",
                    "-loggerLevel=ERROR",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {}", a.victoria_metrics.display()))?;
            let base = format!("http://127.0.0.1:{port}");
            let r = Running {
                child: Some(child),
                server: None,
                base: base.clone(),
                token: None,
                data: dir.to_path_buf(),
            };
            wait_ready(http, &format!("{base}/health")).await?;
            Ok(r)
        }
    }
}

async fn ingest(
    store: Store,
    r: &Running,
    data: &Data,
    writers: usize,
    http: &Http,
) -> anyhow::Result<f64> {
    let url = match store {
        Store::Ferrotwin => format!("{}/history/write?precision=ns", r.base),
        Store::Influxdb => format!("{}/write?db=bench&precision=ns", r.base),
        Store::Victoriametrics => format!("{}/write?precision=ns", r.base),
    };
    let next = Arc::new(AtomicUsize::new(0));
    let batches = Arc::new(data.batches.clone());
    let started = Instant::now();
    let total = batches.len();
    let mut tasks = Vec::new();
    for _ in 0..writers.max(1) {
        let (http, next, batches, url, token) = (
            http.clone(),
            next.clone(),
            batches.clone(),
            url.clone(),
            r.token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(b) = batches.get(i) else {
                    return Ok::<_, anyhow::Error>(());
                };
                http.ok("POST", &url, b.clone(), token.as_deref()).await?;
                if (i + 1) % (total / 10).max(1) == 0 {
                    eprintln!("  {store:?}: {}% written", (i + 1) * 100 / total);
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(data.points as f64 / started.elapsed().as_secs_f64())
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn rfc(ns: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ns).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The three queries as (name, method, url, body, expected result size hint).
fn queries(
    store: Store,
    r: &Running,
    data: &Data,
    a: &HistoryBench,
) -> Vec<(&'static str, &'static str, String, Bytes)> {
    let end = data.end_ns;
    let hour = end - 3600 * S;
    let month = end - i64::from(a.long_days) * 86_400 * S;
    let width_s = i64::from(a.long_days) * 86_400 / 1000;
    let b = &r.base;
    let one = format!("s{}", a.series / 2);
    match store {
        Store::Ferrotwin => {
            let keys: Vec<String> = (0..a.series)
                .map(|s| format!(r#"{{"twinId":"s{s}","name":"v"}}"#))
                .collect();
            vec![
                (
                    "raw last hour",
                    "GET",
                    format!(
                        "{b}/history/twins/{one}/points?series=v&from={}&to={}&maxItems=10000",
                        enc(&rfc(hour)),
                        enc(&rfc(end))
                    ),
                    Bytes::new(),
                ),
                (
                    "1000-bucket aggregate",
                    "GET",
                    format!(
                        "{b}/history/twins/{LONG}/aggregate?series=v&from={}&to={}&buckets=1000",
                        enc(&rfc(month)),
                        enc(&rfc(end))
                    ),
                    Bytes::new(),
                ),
                (
                    "latest of every series",
                    "POST",
                    format!("{b}/history/latest"),
                    Bytes::from(format!(r#"{{"series":[{}]}}"#, keys.join(","))),
                ),
            ]
        }
        Store::Influxdb => {
            let q = |s: String| format!("{b}/query?db=bench&epoch=ns&q={}", enc(&s));
            vec![
                (
                    "raw last hour",
                    "GET",
                    q(format!(
                        "SELECT v FROM bench WHERE twin='{one}' AND time >= {hour} AND time < {end}"
                    )),
                    Bytes::new(),
                ),
                (
                    "1000-bucket aggregate",
                    "GET",
                    q(format!(
                        "SELECT min(v),max(v),mean(v),count(v),first(v),last(v),stddev(v) FROM bench WHERE twin='{LONG}' AND time >= {month} AND time < {end} GROUP BY time({width_s}s)"
                    )),
                    Bytes::new(),
                ),
                (
                    "latest of every series",
                    "GET",
                    q("SELECT last(v) FROM bench GROUP BY twin".into()),
                    Bytes::new(),
                ),
            ]
        }
        Store::Victoriametrics => {
            let (hs, es, ms) = (hour / S, end / S, month / S);
            vec![
                (
                    "raw last hour",
                    "GET",
                    format!(
                        "{b}/api/v1/export?match[]={}&start={hs}&end={es}",
                        enc(&format!("bench_v{{twin=\"{one}\"}}"))
                    ),
                    Bytes::new(),
                ),
                (
                    "1000-bucket aggregate",
                    "GET",
                    format!(
                        "{b}/api/v1/query_range?query={}&start={ms}&end={es}&step={width_s}s",
                        enc(&format!(
                            "aggr_over_time((\"min_over_time\",\"max_over_time\",\"avg_over_time\",\"count_over_time\",\"stddev_over_time\"), bench_v{{twin=\"{LONG}\"}}[{width_s}s])"
                        ))
                    ),
                    Bytes::new(),
                ),
                (
                    "latest of every series",
                    "GET",
                    format!(
                        "{b}/api/v1/query?query={}&time={es}",
                        enc("last_over_time(bench_v[1h])")
                    ),
                    Bytes::new(),
                ),
            ]
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

struct Row {
    store: Store,
    rate: f64,
    disk: u64,
    latencies: Vec<(&'static str, f64, f64, usize)>,
}

/// Runs the benchmark.
pub async fn run(a: HistoryBench) -> anyhow::Result<()> {
    eprintln!(
        "generating {} series x {} points and one series of {} days at 1 Hz ...",
        a.series, a.points, a.long_days
    );
    let data = generate(&a);
    let bytes: usize = data.batches.iter().map(Bytes::len).sum();
    eprintln!(
        "{} points in {} batches of up to {} ({} MB of line protocol)",
        data.points,
        data.batches.len(),
        a.batch,
        bytes >> 20
    );
    let http = Http::new();
    let mut rows = Vec::new();
    for &store in &a.stores {
        let dir = tempfile::tempdir()?;
        eprintln!("{store:?}: starting");
        let mut r = match start(store, &a, dir.path(), a.series, &http).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{store:?}: skipped: {e:#}");
                continue;
            }
        };
        eprintln!("{store:?}: ingesting");
        let rate = ingest(store, &r, &data, a.writers, &http).await?;
        // VictoriaMetrics makes rows searchable about a second after it
        // accepted them; every store gets the same pause before queries.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let mut latencies = Vec::new();
        for (name, method, url, body) in queries(store, &r, &data, &a) {
            let mut times = Vec::with_capacity(a.repeat);
            let mut size = 0;
            for _ in 0..a.repeat.max(1) {
                let t = Instant::now();
                let out = http
                    .ok(method, &url, body.clone(), r.token.as_deref())
                    .await?;
                times.push(t.elapsed().as_secs_f64() * 1000.0);
                size = out.len();
            }
            times.sort_by(f64::total_cmp);
            latencies.push((
                name,
                percentile(&times, 0.5),
                percentile(&times, 0.99),
                size,
            ));
        }
        r.stop()?;
        let disk = du(&r.data);
        eprintln!("{store:?}: {rate:.0} points/s, {disk} bytes on disk");
        for (name, p50, _, size) in &latencies {
            eprintln!("  {name}: p50 {p50:.2} ms, {size} bytes of answer");
        }
        rows.push(Row {
            store,
            rate,
            disk,
            latencies,
        });
    }
    println!(
        "history benchmark: {} points ({} series x {} points, plus {} days of one series), batches of {}, {} writers, {} runs per query",
        data.points, a.series, a.points, a.long_days, a.batch, a.writers, a.repeat
    );
    println!(
        "{:<16} {:>12} {:>10} {:>9}   {:>22} {:>22} {:>22}",
        "store",
        "points/s",
        "disk MB",
        "B/point",
        "raw last hour p50/p99",
        "aggregate p50/p99",
        "latest-all p50/p99"
    );
    for r in &rows {
        let q: Vec<String> = r
            .latencies
            .iter()
            .map(|(_, p50, p99, _)| format!("{p50:.1} / {p99:.1} ms"))
            .collect();
        println!(
            "{:<16} {:>12.0} {:>10.1} {:>9.2}   {:>22} {:>22} {:>22}",
            format!("{:?}", r.store).to_lowercase(),
            r.rate,
            r.disk as f64 / 1e6,
            r.disk as f64 / data.points as f64,
            q.first().cloned().unwrap_or_default(),
            q.get(1).cloned().unwrap_or_default(),
            q.get(2).cloned().unwrap_or_default()
        );
    }
    if let Some(base) = rows.iter().find(|r| r.store == Store::Ferrotwin) {
        for r in rows.iter().filter(|r| r.store != Store::Ferrotwin) {
            let lat: Vec<String> = base
                .latencies
                .iter()
                .zip(&r.latencies)
                .map(|(f, o)| format!("{} {:.1}x", f.0, o.1 / f.1))
                .collect();
            println!(
                "ferrotwin vs {:?}: ingest {:.2}x, disk {:.2}x smaller, p50 speed-up: {}",
                r.store,
                base.rate / r.rate,
                r.disk as f64 / base.disk as f64,
                lat.join(", ")
            );
        }
    }
    Ok(())
}

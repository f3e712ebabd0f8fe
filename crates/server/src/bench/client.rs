//! The benchmark's HTTP client and the server it runs in a child process.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The API version the benchmarks send.
pub const API: &str = "api-version=2023-10-31";

/// A keep-alive HTTP/1.1 client bound to one server and token.
#[derive(Clone)]
pub struct Api {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
    auth: String,
}

impl Api {
    /// A client for `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: &str, token: &str, connections: usize) -> Api {
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(connections)
            .build_http();
        Api {
            client,
            base: base.trim_end_matches('/').to_string(),
            auth: format!("Bearer {token}"),
        }
    }

    /// Sends a request; returns the status and body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> anyhow::Result<(u16, Bytes)> {
        self.send_with(method, path, body, &[]).await
    }

    /// Sends a request with extra headers; returns the status and body.
    pub async fn send_with(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> anyhow::Result<(u16, Bytes)> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}{sep}{API}", self.base))
            .header("authorization", &self.auth)
            .header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(Bytes::from(body.unwrap_or("").to_string())))?;
        let resp = self.client.request(req).await?;
        let status = resp.status().as_u16();
        let bytes = resp.into_body().collect().await?.to_bytes();
        Ok((status, bytes))
    }

    /// Sends a request and fails unless it succeeded.
    pub async fn ok(&self, method: &str, path: &str, body: Option<&str>) -> anyhow::Result<Bytes> {
        let (status, b) = self.send(method, path, body).await?;
        if !(200..300).contains(&status) {
            bail!(
                "{method} {path} answered {status}: {}",
                String::from_utf8_lossy(&b)
            );
        }
        Ok(b)
    }
}

/// A `ferrotwin serve` child process on a free port.
pub struct ChildServer {
    /// The process.
    pub child: Child,
    /// Its base URL.
    pub base: String,
    /// How long it took from spawn to listening.
    pub startup: Duration,
}

impl ChildServer {
    /// Starts this binary's `serve` on `data` with the bootstrap `token`.
    pub fn start(
        data: &std::path::Path,
        token: &str,
        storage: ferrotwin_store::Engine,
    ) -> anyhow::Result<ChildServer> {
        Ok(ChildServer::start_with(data, token, storage, &["--no-mqtt"], None)?.0)
    }

    /// As [`ChildServer::start`] with `extra` arguments; also waits for the
    /// listener of `scheme` (e.g. `mqtt`) and returns its address.
    pub fn start_with(
        data: &std::path::Path,
        token: &str,
        storage: ferrotwin_store::Engine,
        extra: &[&str],
        scheme: Option<&str>,
    ) -> anyhow::Result<(ChildServer, Option<String>)> {
        let exe = std::env::current_exe().context("locating the ferrotwin binary")?;
        let started = Instant::now();
        let mut child = Command::new(exe)
            .args([
                "serve",
                "--http",
                "127.0.0.1:0",
                "--log",
                "warn",
                "--storage",
                storage.name(),
            ])
            .args(extra)
            .arg("--data")
            .arg(data)
            .env("FERROTWIN_BOOTSTRAP_TOKEN", token)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the server")?;
        let stdout = child.stdout.take().context("server stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let (mut base, mut other) = (None, None);
        while base.is_none() || (scheme.is_some() && other.is_none()) {
            match lines.next() {
                Some(Ok(l)) => {
                    if let Some(a) = l.strip_prefix("listening on ") {
                        let a = a.trim();
                        if a.starts_with("http://") && base.is_none() {
                            base = Some(a.to_string());
                        } else if let Some(rest) =
                            scheme.and_then(|s| a.strip_prefix(&format!("{s}://")))
                        {
                            other = Some(rest.to_string());
                        }
                    }
                }
                _ => bail!("the server exited before listening"),
            }
        }
        std::thread::spawn(move || for _ in lines {});
        Ok((
            ChildServer {
                child,
                base: base.expect("checked"),
                startup: started.elapsed(),
            },
            other,
        ))
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory of the server process, in bytes.
    pub fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }

    /// Sends SIGTERM and waits; returns how long the shutdown took.
    pub fn stop(mut self) -> anyhow::Result<Duration> {
        let t = Instant::now();
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        let status = self.child.wait()?;
        if !status.success() {
            bail!("the server exited with {status} on SIGTERM");
        }
        Ok(t.elapsed())
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! `ferrotwin sim run`: the virtual factory against any ferrotwin server.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;
use ferrotwin_sim::run::{self, RunConfig};
use ferrotwin_sim::{FaultSpec, PlantConfig, parse_assets};

/// `sim run` options.
#[derive(Args, Clone)]
pub struct SimRun {
    /// The platform's base URL.
    #[arg(
        long,
        env = "FERROTWIN_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    pub server: String,
    /// An admin bearer token (the simulator registers its devices).
    #[arg(long, env = "FERROTWIN_TOKEN")]
    pub token: String,
    /// The MQTT endpoint, host:port [default: the server's host, port 1883].
    #[arg(long)]
    pub mqtt: Option<String>,
    /// Seed of every random stream; the same seed gives the same series.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulated seconds per wall second (1440: a day per minute); 0 runs as fast as the platform acknowledges.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Assets to simulate, e.g. pump:3,cnc:1,line:1,turbofan:2.
    #[arg(long, default_value = "pump:1")]
    pub assets: String,
    /// Prefix of the twin ids (`{prefix}pump-1`, ...).
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// Model time step, simulated seconds.
    #[arg(long, default_value_t = 1.0)]
    pub dt: f64,
    /// Simulated seconds between samples of each asset [default: max(dt, speed)].
    #[arg(long)]
    pub sample: Option<f64>,
    /// Flight cycle of the turbofans, simulated seconds.
    #[arg(long, default_value_t = 3600.0)]
    pub cycle_secs: f64,
    /// Stop after this many simulated seconds.
    #[arg(long)]
    pub duration: Option<f64>,
    /// Serve the simulator's API here (POST /faults, GET /truth); port 0 picks a free port.
    #[arg(long)]
    pub api: Option<SocketAddr>,
    /// A fault, asset:kind[:severity[:duration_secs[:progression[:target]]]][@start_secs]; repeatable.
    #[arg(long = "fault")]
    pub faults: Vec<String>,
    /// Also create one Sensor twin per signal, linked by hasSensor.
    #[arg(long)]
    pub sensor_twins: bool,
    /// Property reports every this many samples (and on every status change).
    #[arg(long, default_value_t = 10)]
    pub props_every: u64,
    /// Wall-clock time of simulated second 0 (RFC 3339) [default: now].
    #[arg(long)]
    pub start: Option<String>,
    /// Print progress every this many seconds; 0 is quiet.
    #[arg(long, default_value_t = 5.0)]
    pub progress: f64,
    /// Assets that speak OPC UA instead of MQTT: ids or kinds (cnc, pump-2), or all.
    #[arg(long = "opcua-assets", value_delimiter = ',')]
    pub opcua_assets: Vec<String>,
    /// Where the simulator's OPC UA server listens (port 0 picks one).
    #[arg(long, default_value = "127.0.0.1:4840")]
    pub opcua: SocketAddr,
    /// Write the [[opcua_source]] section that maps the OPC UA assets into ferrotwin to this file.
    #[arg(long)]
    pub opcua_config: Option<std::path::PathBuf>,
}

/// The MQTT address when none is given: the server's host on 1883.
fn default_mqtt(server: &str) -> String {
    let host = server
        .split("://")
        .nth(1)
        .unwrap_or(server)
        .split(['/', '?'])
        .next()
        .unwrap_or("127.0.0.1");
    let host = match host.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => h,
        _ => host,
    };
    format!("{host}:1883")
}

impl SimRun {
    /// The run configuration these options describe.
    pub fn config(&self) -> anyhow::Result<RunConfig> {
        let assets = parse_assets(&self.assets)?;
        let mut faults = vec![];
        for f in &self.faults {
            let (spec, at) = match f.rsplit_once('@') {
                Some((s, at)) => {
                    let at: f64 = at.parse().with_context(|| {
                        format!("--fault `{f}`: start `{at}` is not a number of simulated seconds")
                    })?;
                    (s, Some(at))
                }
                None => (f.as_str(), None),
            };
            faults.push((FaultSpec::parse_cli(spec)?, at));
        }
        let epoch = match &self.start {
            Some(s) => chrono::DateTime::parse_from_rfc3339(s)
                .with_context(|| format!("--start `{s}` is not an RFC 3339 time"))?
                .with_timezone(&chrono::Utc),
            None => chrono::Utc::now(),
        };
        Ok(RunConfig {
            server: self.server.clone(),
            token: self.token.clone(),
            mqtt: self
                .mqtt
                .clone()
                .unwrap_or_else(|| default_mqtt(&self.server)),
            plant: PlantConfig {
                seed: self.seed,
                dt: self.dt,
                cycle_secs: self.cycle_secs,
                prefix: self.prefix.clone(),
            },
            assets,
            speed: self.speed,
            sample_secs: self.sample,
            props_every: self.props_every,
            duration_secs: self.duration,
            api: self.api,
            faults,
            sensor_twins: self.sensor_twins,
            epoch,
            progress_secs: (self.progress > 0.0).then_some(self.progress),
            opcua: (!self.opcua_assets.is_empty()).then(|| run::OpcUaRun {
                listen: self.opcua,
                assets: self.opcua_assets.clone(),
                source_config: self.opcua_config.clone(),
            }),
        })
    }
}

/// `sim run`
pub async fn run(a: SimRun) -> anyhow::Result<()> {
    let cfg = a.config()?;
    println!(
        "ferrotwin sim: {} against {} (MQTT {}), seed {}, speed {}x",
        a.assets, cfg.server, cfg.mqtt, cfg.plant.seed, cfg.speed
    );
    let r = run::run(cfg, crate::serve::shutdown_signal()).await?;
    println!(
        "sim done: {:.0} simulated seconds, {} messages, {} acknowledged, {} dropped, {} errors, {:.1} s",
        r.sim_secs, r.messages, r.published, r.dropped, r.errors, r.wall_secs
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn mqtt_defaults_to_the_servers_host() {
        assert_eq!(super::default_mqtt("http://10.0.0.5:8080"), "10.0.0.5:1883");
        assert_eq!(
            super::default_mqtt("http://plant.local/"),
            "plant.local:1883"
        );
    }
}

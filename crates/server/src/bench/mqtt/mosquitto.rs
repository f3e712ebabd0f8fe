//! A private Mosquitto for `bench mqtt`'s ceiling: its own process on a
//! free loopback port, anonymous, stopped when dropped.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A running Mosquitto.
pub struct Mosquitto {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
}

impl Mosquitto {
    /// Starts `bin` with a configuration in `dir`. Its per-client queue is
    /// raised from the default 1,000 so that a subscriber falling briefly
    /// behind a burst does not lose QoS 1 messages (it would count as loss
    /// here, not as the broker's speed).
    pub fn start(bin: &str, dir: &std::path::Path) -> anyhow::Result<Mosquitto> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 10000000\n"
            ),
        )?;
        let child = Command::new(bin)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("running {bin} (give --mosquitto PATH, or --no-mosquitto)"))?;
        let mut m = Mosquitto {
            child,
            addr: format!("127.0.0.1:{port}"),
        };
        let t0 = Instant::now();
        while std::net::TcpStream::connect(&m.addr).is_err() {
            if let Some(status) = m.child.try_wait()? {
                bail!("{bin} exited with {status} before listening on {}", m.addr);
            }
            if t0.elapsed() > Duration::from_secs(10) {
                bail!("{bin} did not listen on {} within 10 s", m.addr);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(m)
    }
}

impl Mosquitto {
    /// The broker's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! `ferrotwin bench store`: the storage engines alone, without HTTP:
//! durable commits of random-key twin updates at several batch sizes, the
//! shape group commit produces under load.

use std::time::Instant;

use clap::Args;
use ferrotwin_graph::{Mutation, Table};
use ferrotwin_store::Engine;

/// `bench store` options.
#[derive(Args)]
pub struct StoreBench {
    /// Distinct twins updated at random.
    #[arg(long, default_value_t = 100_000)]
    pub twins: u64,
    /// Bytes per stored twin.
    #[arg(long, default_value_t = 300)]
    pub value_bytes: usize,
    /// Seconds per engine and batch size.
    #[arg(long, default_value_t = 3.0)]
    pub duration: f64,
}

/// `bench store`
pub async fn run(b: StoreBench) -> anyhow::Result<()> {
    println!(
        "ferrotwin bench store: {} twins of {} bytes, random updates, fsync per commit",
        b.twins, b.value_bytes
    );
    println!(
        "{:<6} {:>6} {:>12} {:>14} {:>10} {:>10} {:>10}",
        "engine", "batch", "commits/s", "mutations/s", "p50 ms", "p99 ms", "max ms"
    );
    for batch in [1usize, 16, 64, 256, 1024] {
        for engine in [Engine::Fjall, Engine::Redb] {
            let dir = tempfile::tempdir()?;
            let store = ferrotwin_store::open(engine, dir.path()).map_err(anyhow::Error::msg)?;
            let value = vec![b'x'; b.value_bytes];
            let load: Vec<Mutation> = (0..b.twins)
                .map(|i| Mutation::Put {
                    table: Table::Twins,
                    key: format!("twin-{i}"),
                    value: value.clone(),
                })
                .collect();
            for chunk in load.chunks(10_000) {
                store.commit(chunk).map_err(anyhow::Error::msg)?;
            }
            let mut x: u64 = 0x2545_F491_4F6C_DD1D;
            let start = Instant::now();
            let mut commits = 0u64;
            let mut hist = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            while start.elapsed().as_secs_f64() < b.duration {
                let muts: Vec<Mutation> = (0..batch)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        Mutation::Put {
                            table: Table::Twins,
                            key: format!("twin-{}", x % b.twins),
                            value: value.clone(),
                        }
                    })
                    .collect();
                let t = Instant::now();
                store.commit(&muts).map_err(anyhow::Error::msg)?;
                hist.record(t.elapsed().as_micros().max(1) as u64)?;
                commits += 1;
            }
            let secs = start.elapsed().as_secs_f64();
            let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
            println!(
                "{:<6} {:>6} {:>12.0} {:>14.0} {:>10.3} {:>10.3} {:>10.3}",
                engine.name(),
                batch,
                commits as f64 / secs,
                (commits * batch as u64) as f64 / secs,
                ms(0.5),
                ms(0.99),
                hist.max() as f64 / 1000.0
            );
        }
    }
    Ok(())
}

//! Scores the detector on a NAB corpus with parameter overrides, for
//! sensitivity checks: `cargo run --release -p ferrotwin-anomaly --example
//! nab_score -- DATA LABELS [name=value ...]`.

use std::path::Path;

use ferrotwin_anomaly::Params;
use ferrotwin_anomaly::nab::{self, corpus, labels};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let files = corpus::read(Path::new(&args[0])).expect("data");
    let windows = labels::read(Path::new(&args[1])).expect("labels");
    let mut p = Params::default();
    for kv in &args[2..] {
        let (k, v) = kv.split_once('=').expect("name=value");
        let v: f64 = v.parse().expect("number");
        match k {
            "warmup" => p.warmup = v as u32,
            "slow_horizon" => p.slow_horizon = v,
            "fast_horizon" => p.fast_horizon = v,
            "rarity_horizon" => p.rarity_horizon = v,
            "shift_rarity_horizon" => p.shift_rarity_horizon = v,
            "suppress_half_life" => p.suppress_half_life = v,
            "suppress_factor" => p.suppress_factor = v,
            "surprise_scale" => p.surprise_scale = v,
            _ => panic!("unknown parameter {k}"),
        }
    }
    let scores: Vec<Vec<f64>> = files.iter().map(|f| nab::detect(f, &p)).collect();
    for r in nab::score_corpus(&files, &scores, &windows) {
        print!(
            "{:<20} {:6.1}  thr {:.4} |",
            r.profile, r.score, r.threshold
        );
        for c in &r.categories {
            match c.score {
                Some(s) => print!(
                    " {} {:.1} ({}/{} fp {})",
                    &c.category[..8],
                    s,
                    c.detected,
                    c.windows,
                    c.false_positives
                ),
                None => print!(" {} fp {}", &c.category[..8], c.false_positives),
            }
        }
        println!();
        if std::env::var_os("FILES").is_some() && r.profile == "standard" {
            for f in &r.files {
                println!(
                    "   {:<60} {}/{} fp {} raw {:.2}",
                    f.file, f.outcome.detected, f.windows, f.outcome.false_positives, f.outcome.raw
                );
            }
        }
    }
}

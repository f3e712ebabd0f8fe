//! Cross-validates one configuration on C-MAPSS training files, for tuning
//! without building the server:
//! `cargo run --release -p ferrotwin-rul --example cross_validate -- [key=value...] FILE...`
//! with keys algorithm (trees|ridge), window, members, trees, depth, rate,
//! stride, folds, run_folds, truncations, seed, lambda.

use std::path::PathBuf;

use ferrotwin_rul::{Algorithm, TrainConfig, cmapss, validate};
use indicatif::{ProgressBar, ProgressStyle};

fn main() {
    let mut c = TrainConfig::default();
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        let Some((k, v)) = a.split_once('=') else {
            files.push(PathBuf::from(a));
            continue;
        };
        match k {
            "algorithm" => {
                c.algorithm = if v == "ridge" {
                    Algorithm::Ridge
                } else {
                    Algorithm::Trees
                }
            }
            "window" => c.window = v.parse().unwrap(),
            "members" => c.members = v.parse().unwrap(),
            "trees" => c.trees.trees = v.parse().unwrap(),
            "depth" => c.trees.max_depth = v.parse().unwrap(),
            "rate" => c.trees.learning_rate = v.parse().unwrap(),
            "subsample" => c.trees.subsample = v.parse().unwrap(),
            "stride" => c.stride = v.parse().unwrap(),
            "folds" => c.folds = v.parse().unwrap(),
            "run_folds" => c.run_folds = Some(v.parse().unwrap()),
            "truncations" => c.truncations = v.parse().unwrap(),
            "seed" => c.seed = v.parse().unwrap(),
            "lambda" => c.ridge_lambda = v.parse().unwrap(),
            _ => panic!("unknown key {k}"),
        }
    }
    let mut engines = Vec::new();
    for f in &files {
        engines.extend(cmapss::read(f).unwrap());
    }
    let bar = ProgressBar::new((c.folds_run() * c.members()) as u64).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} fits {msg} {elapsed}").unwrap(),
    );
    let start = std::time::Instant::now();
    let r = validate::cross_validate(&engines, &c, &bar).unwrap();
    bar.finish_and_clear();
    println!("{c:?}");
    print!("{r}");
    println!("{:.0} s", start.elapsed().as_secs_f64());
}

//! `ferrotwin rul train` and `ferrotwin rul predict`: files, progress and
//! printing around `ferrotwin_rul`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use ferrotwin_rul::{Algorithm, Model, TrainConfig, cmapss};
use indicatif::{ProgressBar, ProgressStyle};

/// `rul train` options.
#[derive(Args, Clone)]
pub struct RulTrain {
    /// C-MAPSS training files (such as train_FD001.txt); engines run to failure.
    #[arg(long, required = true, num_args = 1..)]
    pub train: Vec<PathBuf>,
    /// Where to save the model (JSON).
    #[arg(long)]
    pub out: PathBuf,
    /// Cross-validation folds, grouped by engine; below 2 skips validation
    /// (and the interval falls back to the ensemble's spread).
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Regressor: boosted trees, or the ridge baseline.
    #[arg(long, value_enum, default_value_t = Regressor::Trees)]
    pub algorithm: Regressor,
    /// Ensemble members (boosters with different seeds).
    #[arg(long, default_value_t = TrainConfig::default().members)]
    pub members: usize,
    /// Trees per booster.
    #[arg(long, default_value_t = TrainConfig::default().trees.trees)]
    pub trees: usize,
    /// Cycles of history per estimate.
    #[arg(long, default_value_t = TrainConfig::default().window)]
    pub window: usize,
    /// Seed of folds, truncations and boosters.
    #[arg(long, default_value_t = TrainConfig::default().seed)]
    pub seed: u64,
}

/// `rul train --algorithm`.
#[derive(ValueEnum, Clone, Copy)]
pub enum Regressor {
    /// Gradient-boosted trees.
    Trees,
    /// Ridge regression.
    Ridge,
}

/// `rul predict` options.
#[derive(Args, Clone)]
pub struct RulPredict {
    /// A model saved by `rul train`.
    #[arg(long)]
    pub model: PathBuf,
    /// A C-MAPSS test file: engines stopped some time before failure.
    #[arg(long)]
    pub test: PathBuf,
    /// Output CSV: `unit,rul`, one row per engine, at its last cycle.
    #[arg(long)]
    pub out: PathBuf,
}

/// Cross-validates, trains on all engines, saves the model and prints the
/// validation figures per data set. Returns the exit code.
pub fn train(a: RulTrain) -> i32 {
    report(train_inner(a))
}

/// Writes one estimate per test engine. Returns the exit code.
pub fn predict(a: RulPredict) -> i32 {
    report(predict_inner(a))
}

fn report(r: anyhow::Result<()>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}

fn train_inner(a: RulTrain) -> anyhow::Result<()> {
    let mut engines = Vec::new();
    for f in &a.train {
        engines.extend(cmapss::read(f)?);
    }
    let mut config = TrainConfig {
        folds: a.folds,
        members: a.members,
        window: a.window,
        seed: a.seed,
        algorithm: match a.algorithm {
            Regressor::Trees => Algorithm::Trees,
            Regressor::Ridge => Algorithm::Ridge,
        },
        ..TrainConfig::default()
    };
    config.trees.trees = a.trees;
    eprintln!(
        "{} engines, {} cycles; {} fits",
        engines.len(),
        engines.iter().map(|e| e.cycles.len()).sum::<usize>(),
        config.fits()
    );
    let bar = ProgressBar::new(config.fits()).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} fits  {msg}  {elapsed} (eta {eta})")
            .expect("valid template"),
    );
    let start = std::time::Instant::now();
    let (model, validation) = ferrotwin_rul::train::run(&engines, &config, &bar)?;
    bar.finish_and_clear();
    model.save(&a.out)?;
    eprintln!(
        "saved {} ({:.0} s)",
        a.out.display(),
        start.elapsed().as_secs_f64()
    );
    match validation {
        Some(r) => print!("{r}"),
        None => println!("no cross-validation (--folds below 2)"),
    }
    Ok(())
}

fn predict_inner(a: RulPredict) -> anyhow::Result<()> {
    let model = Model::load(&a.model)?;
    let engines = cmapss::read(&a.test)?;
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&a.out).with_context(|| format!("create {}", a.out.display()))?,
    );
    writeln!(out, "unit,rul")?;
    for e in &engines {
        writeln!(out, "{},{:.1}", e.unit, model.estimate(&e.cycles).rul)?;
    }
    out.flush()?;
    eprintln!("{} engines -> {}", engines.len(), a.out.display());
    Ok(())
}

//! Training: every cycle of every training engine becomes one sample, its
//! features from the window ending there and its target the piece-wise
//! linear RUL (cycles left, capped at [`RUL_CAP`]: wear is invisible early
//! in life, so asking for more than "healthy" there only teaches noise).

use indicatif::ProgressBar;

use crate::conditions::Conditions;
use crate::interval::Interval;
use crate::regressor::{Regressor, TreeParams};
use crate::ridge::Ridge;
use crate::validate::{self, Report};
use crate::{Engine, Error, Model, RUL_CAP, features};

/// Which regressor the ensemble is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Gradient-boosted trees (`forust-ml`), one booster per seed.
    Trees,
    /// Ridge regression: the linear baseline (one member; seeds change nothing).
    Ridge,
}

/// How to train and validate.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// The regressor.
    pub algorithm: Algorithm,
    /// Cycles of history per estimate.
    pub window: usize,
    /// Ensemble members (boosters with different seeds); their mean is the estimate.
    pub members: usize,
    /// Boosted trees' hyper-parameters.
    pub trees: TreeParams,
    /// Ridge penalty on standardised features.
    pub ridge_lambda: f64,
    /// Every `stride`-th cycle of a training engine is a sample (1: all).
    pub stride: usize,
    /// Cross-validation folds (grouped by engine); below 2, no validation.
    pub folds: usize,
    /// Validate only the first this many folds (quick checks); `None`: all.
    pub run_folds: Option<usize>,
    /// Random truncations of each held-out engine.
    pub truncations: usize,
    /// Shortest truncated history (the test files' shortest is 31 cycles).
    pub min_cycles: usize,
    /// Seed of folds, truncations and boosters.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> TrainConfig {
        TrainConfig {
            algorithm: Algorithm::Trees,
            window: 75,
            members: 3,
            trees: TreeParams {
                trees: 400,
                learning_rate: 0.05,
                max_depth: 5,
                subsample: 0.8,
                threads: 2,
            },
            ridge_lambda: 1.0,
            stride: 1,
            folds: 5,
            run_folds: None,
            truncations: 5,
            min_cycles: 31,
            seed: 42,
        }
    }
}

impl TrainConfig {
    /// Regressor fits per model.
    pub fn members(&self) -> usize {
        match self.algorithm {
            Algorithm::Trees => self.members.max(1),
            Algorithm::Ridge => 1,
        }
    }

    /// Folds that cross-validation runs.
    pub fn folds_run(&self) -> usize {
        if self.folds < 2 {
            return 0;
        }
        self.run_folds.unwrap_or(self.folds).min(self.folds)
    }

    /// Regressor fits of [`run`]: the length of its progress bar.
    pub fn fits(&self) -> u64 {
        ((self.folds_run() + 1) * self.members()) as u64
    }
}

/// Cross-validates (if `config.folds >= 2`), then fits the final model on
/// all engines, with the interval taken from the validation residuals.
pub fn run(
    engines: &[Engine],
    config: &TrainConfig,
    progress: &ProgressBar,
) -> Result<(Model, Option<Report>), Error> {
    let report = if config.folds_run() > 0 {
        Some(validate::cross_validate(engines, config, progress)?)
    } else {
        None
    };
    progress.set_message("final model");
    let mut model = fit(engines, config, progress)?;
    model.set_interval(
        report
            .as_ref()
            .and_then(|r| Interval::from_residuals(&r.pairs)),
    );
    Ok((model, report))
}

/// Fits a model on `engines` (no validation, no interval).
pub fn fit(
    engines: &[Engine],
    config: &TrainConfig,
    progress: &ProgressBar,
) -> Result<Model, Error> {
    if engines.is_empty() {
        return Err(Error::Train("no engines to train on".into()));
    }
    if config.window == 0 || config.stride == 0 {
        return Err(Error::Train("window and stride must be at least 1".into()));
    }
    let conditions = Conditions::fit(engines.iter().flat_map(|e| e.cycles.iter()));
    let cols = features::width(conditions.kept.len());
    let (x, y) = samples(engines, &conditions, config);
    let members = (0..config.members())
        .map(|i| {
            let m = match config.algorithm {
                Algorithm::Trees => {
                    Regressor::fit_trees(&x, cols, &y, &config.trees, config.seed + i as u64)?
                }
                Algorithm::Ridge => Regressor::Ridge(Ridge::fit(&x, cols, &y, config.ridge_lambda)),
            };
            progress.inc(1);
            Ok(m)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let mut sets: Vec<String> = engines.iter().map(|e| e.set.clone()).collect();
    sets.sort();
    sets.dedup();
    Ok(Model::new(config.window, conditions, members, sets))
}

/// Feature rows (row-major) and capped targets of every `stride`-th cycle.
fn samples(
    engines: &[Engine],
    conditions: &Conditions,
    config: &TrainConfig,
) -> (Vec<f64>, Vec<f64>) {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for e in engines {
        let rows: Vec<Vec<f64>> = e.cycles.iter().map(|c| conditions.normalise(c)).collect();
        let n = rows.len();
        // Counted back from failure, so every engine's last cycle is a sample.
        for t in (0..n).rev().step_by(config.stride) {
            features::row(&rows[..=t], config.window, t + 1, &mut x);
            y.push(((n - 1 - t) as f64).min(RUL_CAP));
        }
    }
    (x, y)
}

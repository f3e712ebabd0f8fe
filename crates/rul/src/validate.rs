//! Cross-validation on held-out training engines, the only honest measure
//! here (the test files' true RUL is not used).
//!
//! Engines are split into k folds by engine, never by cycle, stratified by
//! data set. Each held-out engine is cut at several random cycles, drawn
//! uniformly between `min_cycles` and its end, to look like the test files'
//! engines, which stop some time before failure; each cut is scored at its
//! last cycle against the true RUL capped at [`RUL_CAP`].

use indicatif::ProgressBar;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::interval::Interval;
use crate::metrics::{mean_sd, phm08, rmse};
use crate::train::{TrainConfig, fit};
use crate::{Engine, Error, RUL_CAP, features};

/// Figures of one data set.
#[derive(Debug, Clone)]
pub struct SetReport {
    /// Data set name.
    pub set: String,
    /// Engines held out (each once).
    pub engines: usize,
    /// RMSE over all held-out cuts of this set.
    pub rmse: f64,
    /// RMSE per fold.
    pub fold_rmse: Vec<f64>,
    /// PHM08 score summed over the held-out engines, each engine's score
    /// averaged over its cuts: comparable to a test file with as many engines.
    pub score: f64,
    /// Score per fold (same sum, over that fold's engines).
    pub fold_score: Vec<f64>,
}

impl SetReport {
    /// Mean and standard deviation of the per-fold RMSE.
    pub fn rmse_over_folds(&self) -> (f64, f64) {
        mean_sd(&self.fold_rmse)
    }
}

/// Cross-validation figures.
#[derive(Debug, Clone)]
pub struct Report {
    /// Folds run.
    pub folds: usize,
    /// Per data set, in name order.
    pub sets: Vec<SetReport>,
    /// Every held-out `(predicted, true)` pair.
    pub pairs: Vec<(f64, f64)>,
    /// Share of held-out truths inside the ~80% interval, each fold's
    /// interval built from the other folds' residuals only.
    pub coverage: f64,
}

impl std::fmt::Display for Report {
    /// A table: per data set, engines, pooled RMSE, per-fold RMSE mean ± sd, PHM08 score.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "cross-validation: {} folds by engine; each held-out engine cut at random cycles, scored at its last; true RUL capped at {RUL_CAP}",
            self.folds
        )?;
        writeln!(
            f,
            "~80% interval (residual quantiles from the other folds) holds {:.1}% of held-out truths",
            100.0 * self.coverage
        )?;
        writeln!(
            f,
            "set      engines  RMSE   RMSE per fold (mean ± sd)  PHM08 score"
        )?;
        for s in &self.sets {
            let (m, sd) = s.rmse_over_folds();
            writeln!(
                f,
                "{:<8} {:>7}  {:>5.2}  {:>8.2} ± {:<5.2}           {:>8.0}",
                s.set, s.engines, s.rmse, m, sd, s.score
            )?;
        }
        Ok(())
    }
}

/// Runs grouped k-fold cross-validation of `config` on `engines`.
pub fn cross_validate(
    engines: &[Engine],
    config: &TrainConfig,
    progress: &ProgressBar,
) -> Result<Report, Error> {
    let k = config.folds;
    let runs = config.folds_run();
    if runs == 0 {
        return Err(Error::Train(
            "cross-validation needs at least 2 folds".into(),
        ));
    }
    let mut sets: Vec<String> = engines.iter().map(|e| e.set.clone()).collect();
    sets.sort();
    sets.dedup();
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut fold = vec![0; engines.len()];
    for set in &sets {
        let mut ids: Vec<usize> = (0..engines.len())
            .filter(|&i| engines[i].set == *set)
            .collect();
        if ids.len() < k {
            return Err(Error::Train(format!(
                "{set}: {} engines for {k} folds",
                ids.len()
            )));
        }
        ids.shuffle(&mut rng);
        for (n, i) in ids.into_iter().enumerate() {
            fold[i] = n % k;
        }
    }
    let mut reports: Vec<SetReport> = sets
        .iter()
        .map(|s| SetReport {
            set: s.clone(),
            engines: 0,
            rmse: 0.0,
            fold_rmse: Vec::new(),
            score: 0.0,
            fold_score: Vec::new(),
        })
        .collect();
    let mut by_set: Vec<Vec<(f64, f64)>> = vec![Vec::new(); sets.len()];
    let mut pairs = Vec::new();
    let mut pair_fold = Vec::new();
    for f in 0..runs {
        progress.set_message(format!("fold {}/{runs}", f + 1));
        let train: Vec<Engine> = (0..engines.len())
            .filter(|&i| fold[i] != f)
            .map(|i| engines[i].clone())
            .collect();
        let model = fit(&train, config, progress)?;
        let (mut x, mut truth, mut owner) = (Vec::new(), Vec::new(), Vec::new());
        for (i, e) in engines.iter().enumerate().filter(|(i, _)| fold[*i] == f) {
            let rows: Vec<Vec<f64>> = e
                .cycles
                .iter()
                .map(|c| model.conditions().normalise(c))
                .collect();
            let n = rows.len();
            for _ in 0..config.truncations.max(1) {
                let end = rng.random_range(config.min_cycles.min(n)..=n);
                features::row(&rows[..end], config.window, end, &mut x);
                truth.push(((n - end) as f64).min(RUL_CAP));
                owner.push(i);
            }
        }
        let cols = x.len() / truth.len();
        let predicted = model.predict_rows(&x, cols);
        let cuts = config.truncations.max(1) as f64;
        for (s, report) in reports.iter_mut().enumerate() {
            let mine: Vec<(f64, f64)> = (0..truth.len())
                .filter(|&j| engines[owner[j]].set == report.set)
                .map(|j| (predicted[j], truth[j]))
                .collect();
            let score = mine.iter().map(|&(p, t)| phm08(p, t)).sum::<f64>() / cuts;
            report.engines += (mine.len() as f64 / cuts) as usize;
            report.fold_rmse.push(rmse(&mine));
            report.fold_score.push(score);
            report.score += score;
            by_set[s].extend(&mine);
            pair_fold.extend(std::iter::repeat_n(f, mine.len()));
            pairs.extend(mine);
        }
    }
    for (report, mine) in reports.iter_mut().zip(&by_set) {
        report.rmse = rmse(mine);
    }
    let coverage = coverage(&pairs, &pair_fold, runs);
    Ok(Report {
        folds: runs,
        sets: reports,
        pairs,
        coverage,
    })
}

/// Cross-fitted coverage of the residual interval: each fold is judged by
/// an interval built without it (NaN with one fold).
fn coverage(pairs: &[(f64, f64)], fold: &[usize], folds: usize) -> f64 {
    let (mut inside, mut total) = (0usize, 0usize);
    for f in 0..folds {
        let others: Vec<(f64, f64)> = (0..pairs.len())
            .filter(|&i| fold[i] != f)
            .map(|i| pairs[i])
            .collect();
        let Some(iv) = Interval::from_residuals(&others) else {
            continue;
        };
        for (_, &(p, t)) in pairs.iter().enumerate().filter(|(i, _)| fold[*i] == f) {
            let (lo, hi) = iv.around(p);
            total += 1;
            inside += usize::from(lo <= t && t <= hi);
        }
    }
    inside as f64 / total as f64
}

//! One member of a model's ensemble: gradient-boosted trees (`forust-ml`)
//! or the ridge baseline.

use forust_ml::{GradientBooster, Matrix, objective::ObjectiveType};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::ridge::Ridge;

/// Hyper-parameters of the boosted trees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TreeParams {
    /// Trees in each booster.
    pub trees: usize,
    /// Shrinkage per tree.
    pub learning_rate: f32,
    /// Depth of each tree.
    pub max_depth: usize,
    /// Share of rows each tree sees, and of columns each tree may split on.
    pub subsample: f32,
    /// Threads per fit.
    pub threads: usize,
}

/// A fitted regressor.
#[derive(Serialize, Deserialize)]
pub enum Regressor {
    /// Boosted trees.
    Trees(Box<GradientBooster>),
    /// Ridge regression.
    Ridge(Ridge),
}

impl Regressor {
    /// Fits boosted trees on row-major `x` (`cols` columns), seeded.
    pub fn fit_trees(
        x: &[f64],
        cols: usize,
        y: &[f64],
        params: &TreeParams,
        seed: u64,
    ) -> Result<Regressor, Error> {
        let rows = y.len();
        let by_column = column_major(x, cols);
        let mut booster = GradientBooster::default()
            .set_objective_type(ObjectiveType::SquaredLoss)
            .set_iterations(params.trees)
            .set_learning_rate(params.learning_rate)
            .set_max_depth(params.max_depth)
            .set_max_leaves(1 << params.max_depth)
            .set_subsample(params.subsample)
            .set_colsample_bytree(params.subsample as f64)
            .set_min_leaf_weight(20.0)
            .set_seed(seed)
            .set_parallel(params.threads > 1)
            .set_num_threads(Some(params.threads.max(1)));
        booster
            .fit_unweighted(&Matrix::new(&by_column, rows, cols), y, None)
            .map_err(|e| Error::Train(e.to_string()))?;
        Ok(Regressor::Trees(Box::new(booster)))
    }

    /// Predictions for row-major `x` with `cols` columns.
    pub fn predict(&self, x: &[f64], cols: usize) -> Vec<f64> {
        match self {
            Regressor::Ridge(r) => x.chunks_exact(cols).map(|row| r.predict(row)).collect(),
            Regressor::Trees(b) => {
                let by_column = column_major(x, cols);
                b.predict(&Matrix::new(&by_column, x.len() / cols, cols), false)
            }
        }
    }
}

/// forust reads matrices column by column.
fn column_major(x: &[f64], cols: usize) -> Vec<f64> {
    let rows = x.len() / cols;
    let mut out = vec![0.0; x.len()];
    for (r, row) in x.chunks_exact(cols).enumerate() {
        for (c, v) in row.iter().enumerate() {
            out[c * rows + r] = *v;
        }
    }
    out
}

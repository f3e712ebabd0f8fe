//! The trained model: its saved format and online estimation.
//!
//! Saved as JSON: a `format` tag and `version` first, then the window
//! length, the operating conditions with their sensor statistics, the
//! ensemble members (boosted trees as `forust-ml` writes them, or ridge
//! weights) and the interval bands. A reader refuses another format or a
//! newer version rather than guessing.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::conditions::Conditions;
use crate::interval::Interval;
use crate::regressor::Regressor;
use crate::{Cycle, Error, RUL_CAP, features};

/// The `format` tag of saved models.
pub const FORMAT: &str = "ferrotwin-rul";

/// The saved format's version; bumped when an old reader would misread it.
pub const VERSION: u32 = 1;

/// A trained RUL model. `Send + Sync`: one can serve many threads.
#[derive(Serialize, Deserialize)]
pub struct Model {
    format: String,
    version: u32,
    /// Cycles of history each estimate reads.
    pub(crate) window: usize,
    pub(crate) conditions: Conditions,
    pub(crate) members: Vec<Regressor>,
    pub(crate) interval: Option<Interval>,
    /// Data sets it was trained on.
    pub(crate) trained_on: Vec<String>,
}

/// An estimate of one engine's remaining useful life, in cycles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Remaining useful life: the ensemble's mean prediction, at least 0.
    /// Targets were capped at [`RUL_CAP`], so a healthy engine reads about that.
    pub rul: f64,
    /// Lower end of an ~80% interval: the 10% quantile of the
    /// cross-validation residuals of engines with a similar estimate
    /// (see [`crate::interval`]); without those, the lowest member's estimate.
    pub lower: f64,
    /// Upper end of the ~80% interval (90% quantile), as for `lower`.
    pub upper: f64,
    /// 1 healthy .. 0 failed: `rul / RUL_CAP`, clamped.
    pub health: f64,
}

#[derive(Deserialize)]
struct Header {
    format: String,
    version: u32,
}

impl Model {
    pub(crate) fn new(
        window: usize,
        conditions: Conditions,
        members: Vec<Regressor>,
        trained_on: Vec<String>,
    ) -> Model {
        Model {
            format: FORMAT.to_owned(),
            version: VERSION,
            window,
            conditions,
            members,
            interval: None,
            trained_on,
        }
    }

    /// Reads a model saved by [`Model::save`].
    pub fn load(path: &Path) -> Result<Model, Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Model::from_bytes(&bytes)
    }

    /// Reads a model from the bytes of a saved one.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, Error> {
        let header: Header =
            serde_json::from_slice(bytes).map_err(|e| Error::Format(e.to_string()))?;
        if header.format != FORMAT {
            return Err(Error::Format(format!(
                "not a {FORMAT} model: {:?}",
                header.format
            )));
        }
        if header.version > VERSION {
            return Err(Error::Format(format!(
                "version {} is newer than this reader's {VERSION}",
                header.version
            )));
        }
        let model: Model =
            serde_json::from_slice(bytes).map_err(|e| Error::Format(e.to_string()))?;
        if model.members.is_empty() || model.window == 0 {
            return Err(Error::Format(
                "no ensemble members or an empty window".into(),
            ));
        }
        Ok(model)
    }

    /// Writes the model as JSON.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let bytes = serde_json::to_vec(self).map_err(|e| Error::Format(e.to_string()))?;
        std::fs::write(path, bytes).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })
    }

    /// Estimate for one engine from its cycles so far (oldest first).
    ///
    /// Reads only the last [`Model::window`] cycles (75 by default); the
    /// engine's age is `cycles.len()`. A caller that keeps only a bounded
    /// buffer uses [`Model::estimate_recent`] and passes the age. Works
    /// from the first cycle: shorter histories are padded with their first
    /// cycle, as in training. With no cycles at all it returns the cap.
    pub fn estimate(&self, cycles: &[Cycle]) -> Estimate {
        self.estimate_recent(cycles, cycles.len())
    }

    /// Like [`Model::estimate`], from the engine's most recent cycles
    /// (at least [`Model::window`] of them once it is that old) and its
    /// age in cycles.
    pub fn estimate_recent(&self, recent: &[Cycle], age: usize) -> Estimate {
        let recent = &recent[recent.len().saturating_sub(self.window)..];
        if recent.is_empty() {
            return self.finish(&[RUL_CAP]);
        }
        let rows: Vec<Vec<f64>> = recent
            .iter()
            .map(|c| self.conditions.normalise(c))
            .collect();
        let mut x = Vec::new();
        features::row(&rows, self.window, age.max(recent.len()), &mut x);
        let cols = x.len();
        let each: Vec<f64> = self
            .members
            .iter()
            .map(|m| m.predict(&x, cols)[0])
            .collect();
        self.finish(&each)
    }

    /// Cycles of history each estimate reads.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Data sets the model was trained on.
    pub fn trained_on(&self) -> &[String] {
        &self.trained_on
    }

    pub(crate) fn set_interval(&mut self, interval: Option<Interval>) {
        self.interval = interval;
    }

    /// Predictions of every member for row-major feature rows.
    pub(crate) fn predict_rows(&self, x: &[f64], cols: usize) -> Vec<f64> {
        let mut sum = vec![0.0; x.len() / cols];
        for m in &self.members {
            for (s, p) in sum.iter_mut().zip(m.predict(x, cols)) {
                *s += p;
            }
        }
        sum.iter()
            .map(|s| (s / self.members.len() as f64).max(0.0))
            .collect()
    }

    pub(crate) fn conditions(&self) -> &Conditions {
        &self.conditions
    }

    fn finish(&self, each: &[f64]) -> Estimate {
        let rul = (each.iter().sum::<f64>() / each.len() as f64).max(0.0);
        let (lower, upper) = match &self.interval {
            Some(iv) => iv.around(rul),
            None => (
                each.iter().copied().fold(f64::INFINITY, f64::min).max(0.0),
                each.iter().copied().fold(0.0, f64::max),
            ),
        };
        Estimate {
            rul,
            lower: lower.min(rul),
            upper: upper.max(rul),
            health: (rul / RUL_CAP).clamp(0.0, 1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Model>();
    }
}

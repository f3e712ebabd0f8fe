//! The two seams through which analytics gets its models: a per-series
//! anomaly detector and a per-twin RUL estimator. The server supplies the
//! implementations (ferrotwin-anomaly, ferrotwin-rul, or [`crate::TrendEstimator`]).

use serde::{Deserialize, Serialize};

/// Why a score is high: which feature, expected against observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The feature, e.g. `level` or `spread`.
    pub feature: String,
    /// What the detector expected.
    pub expected: f64,
    /// What it saw.
    pub observed: f64,
}

/// A streaming anomaly detector for one series: causal, constant memory.
pub trait SeriesDetector: Send {
    /// Feeds a sample; returns its score in [0, 1] and why.
    fn update(&mut self, t_ms: i64, value: f64) -> (f64, Explanation);
}

/// A remaining-useful-life estimate with its uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The point estimate.
    pub value: f64,
    /// The interval's lower end.
    pub lower: f64,
    /// The interval's upper end.
    pub upper: f64,
    /// Its unit: `s` or `cycles`.
    pub unit: String,
    /// Health index, 1 healthy to 0 failed.
    pub health: f64,
    /// How it was made, e.g. `trend` or `cmapss`.
    pub method: String,
}

/// Estimates one twin's RUL from its signals as they arrive.
pub trait RulEstimator: Send {
    /// Feeds the signals of one event (time in ms); returns a new estimate when there is one.
    fn observe(&mut self, t_ms: i64, signals: &[(String, f64)]) -> Option<Estimate>;
}

//! Per-model and per-twin analytics settings: whether anomaly detection
//! runs (on by default for every numeric telemetry series) and how RUL is
//! estimated.

use serde::{Deserialize, Serialize};

use crate::{AnalyticsError, Scope};

/// Anomaly detection settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnomalySettings {
    /// Whether detection runs.
    pub enabled: bool,
    /// Only these signals (every numeric telemetry when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signals: Option<Vec<String>>,
}

/// How a twin's remaining useful life is estimated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "camelCase", deny_unknown_fields)]
pub enum RulSpec {
    /// Extrapolate a degradation signal's trend to a failure threshold (RUL in seconds).
    #[serde(rename_all = "camelCase")]
    Trend {
        /// The degradation signal.
        signal: String,
        /// The value at which the asset counts as failed.
        failure_threshold: f64,
    },
    /// A learned model, by name (e.g. `cmapss`); RUL in its own unit.
    Learned {
        /// The estimator's name, as the server registered it.
        estimator: String,
    },
}

/// Settings for a model's twins or for one twin; the twin's win.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Its id (from the URL).
    #[serde(default)]
    pub id: String,
    /// What it applies to.
    pub scope: Scope,
    /// Anomaly detection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anomaly: Option<AnomalySettings>,
    /// RUL estimation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rul: Option<RulSpec>,
}

impl Settings {
    /// Checks the settings' values.
    pub fn check(&self) -> Result<(), AnalyticsError> {
        let what = format!("settings '{}'", self.id);
        self.scope.check(&what)?;
        if let Some(RulSpec::Trend {
            signal,
            failure_threshold,
        }) = &self.rul
            && (signal.is_empty() || !failure_threshold.is_finite())
        {
            return Err(AnalyticsError::Invalid(format!(
                "{what}: rul.signal must name a signal and rul.failureThreshold be a finite number"
            )));
        }
        Ok(())
    }
}

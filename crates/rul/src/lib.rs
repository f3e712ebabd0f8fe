//! Remaining useful life (RUL) of turbofan engines shaped like NASA's
//! C-MAPSS data sets: one snapshot per flight cycle with three operational
//! settings and 21 sensors.
//!
//! - [`cmapss`]: reads the data sets' text files into engines.
//! - [`conditions`]: operating conditions clustered from the settings, and
//!   per-condition sensor normalisation.
//! - [`features`]: a bounded window of recent cycles turned into one row.
//! - [`ridge`] and gradient-boosted trees (`forust-ml`): the regressors.
//! - [`train`]: fits a [`Model`]; [`validate`]: grouped k-fold
//!   cross-validation on truncated held-out engines; [`metrics`]: RMSE and
//!   the PHM08 score.
//! - [`model`]: the saved, versioned model and online estimation.
//!
//! Knows nothing of HTTP, twins or storage engines: callers hand it cycles
//! and files. Design and figures: docs/rul.md.

mod error;

pub mod cmapss;
pub mod conditions;
pub mod cycle;
pub mod features;
pub mod interval;
pub mod metrics;
pub mod model;
pub mod regressor;
pub mod ridge;
pub mod train;
pub mod validate;

pub use cmapss::Engine;
pub use cycle::{Cycle, SENSOR_NAMES, SETTING_NAMES};
pub use error::Error;
pub use model::{Estimate, Model};
pub use train::{Algorithm, TrainConfig};

/// The cap of the piece-wise linear target: an engine is taken to be
/// healthy, with this RUL, until it has fewer cycles left.
pub const RUL_CAP: f64 = 125.0;

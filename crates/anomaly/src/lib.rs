//! Streaming anomaly detection for telemetry series, and its evaluation on
//! the Numenta Anomaly Benchmark (NAB).
//!
//! [`Detector`] scores one series online: each sample gets a score in
//! [0, 1] computed only from the samples before it, with an
//! [`Explanation`] naming the feature that looked wrong and what was
//! expected. State is fixed-size per series. The detector does no IO;
//! [`nab`] reads the benchmark's files and scores the detector with NAB's
//! own rules.

mod detector;
mod error;
pub mod nab;
mod params;

pub use detector::{Detector, Explanation, Score};
pub use error::Error;
pub use params::Params;

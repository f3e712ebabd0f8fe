//! Online analytics over the twin graph's event stream: an anomaly score
//! for every numeric telemetry series, remaining-useful-life estimates,
//! rules that raise deduplicated alerts with a lifecycle, and maintenance
//! work orders generated from alerts with a procedure from a per-model
//! template. The [`Engine`] is pure and clock-driven (tests feed it events
//! and times); the [`Service`] runs it on the live bus, keeps alerts and
//! work orders durable and publishes their changes as events.
//! **Knows nothing of** HTTP, MQTT, the graph's storage or a specific
//! detector or RUL model: those come in through [`SeriesDetector`],
//! [`RulEstimator`] and [`Twins`].

mod alert;
mod diagnose;
mod engine;
mod error;
mod estimate;
mod rule;
mod service;
mod settings;
mod signal;
mod store;
mod template;
mod time;
mod trend;
mod workorder;

pub use alert::{Alert, AlertState, Severity};
pub use engine::{Change, Engine, SeriesStatus, TwinStatus};
pub use engine::{DetectorMaker, LearnedMaker, Makers, ModelInfo};
pub use error::AnalyticsError;
pub use estimate::{Estimate, Explanation, RulEstimator, SeriesDetector};
pub use rule::{Condition, Op, Rule, Scope};
pub use service::{ListFilter, Service, Twins, TwinsFuture};
pub use settings::{AnomalySettings, RulSpec, Settings};
pub use signal::numeric_signals;
pub use template::{StepTemplate, Template, Torque};
pub use trend::TrendEstimator;
pub use workorder::{OrderState, Step, WorkOrder, WorkOrderEntry};

//! The virtual factory: physics and degradation models of machines (a
//! centrifugal pump, a CNC mill, a production line, a turbofan), faults
//! injected on demand, and the ground truth, streamed to ferrotwin only
//! through real protocols (MQTT to the device endpoint, twins and devices
//! created over the REST API).
//!
//! - [`model`]: the physics, free of time sources and protocols.
//! - [`plant`]: assets on one fixed-step clock, sensor faults, ground truth.
//! - [`run`]: the edge: provisioning over HTTP, publishing over MQTT,
//!   pacing simulated time against the wall clock, the simulator's REST API.
//!
//! Equations and their sources: docs/simulator.md.

mod error;
pub mod fault;
pub mod model;
pub mod plant;
pub mod rng;
pub mod run;

pub use error::SimError;
pub use fault::{FaultKind, FaultSpec, Progression};
pub use plant::{AssetKind, Plant, PlantConfig, Truth, parse_assets};

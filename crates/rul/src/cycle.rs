//! One flight cycle's snapshot, and the telemetry names of its fields.

/// Telemetry names of the three operational settings, in C-MAPSS order
/// (as the simulated turbofans report them).
pub const SETTING_NAMES: [&str; 3] = ["altitude", "mach", "throttle"];

/// Telemetry names of the 21 sensors, in C-MAPSS order.
pub const SENSOR_NAMES: [&str; 21] = [
    "t2", "t24", "t30", "t50", "p2", "p15", "p30", "nf", "nc", "epr", "ps30", "phi", "nrf", "nrc",
    "bpr", "farB", "htBleed", "nfDmd", "pcnfrDmd", "w31", "w32",
];

/// One snapshot per flight cycle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cycle {
    /// Operational settings (altitude kft, Mach, throttle resolver angle).
    pub settings: [f64; 3],
    /// The 21 sensors, in the order of [`SENSOR_NAMES`].
    pub sensors: [f64; 21],
}

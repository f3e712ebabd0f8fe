//! The edge of the simulator.

//! Subcommands other than `serve`.

pub mod demo;
pub mod device;
pub mod dtdl;
pub mod eval;
#[cfg(feature = "opcua")]
pub mod opcua;
pub mod rul;
pub mod sim;
pub mod token;

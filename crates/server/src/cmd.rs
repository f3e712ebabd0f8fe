//! Subcommands other than `serve`.

pub mod demo;
pub mod dtdl;
pub mod token;

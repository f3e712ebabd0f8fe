//! Tables generated from the DTDL metamodel by `examples/gen.rs`.

pub mod digest;
pub mod messages;

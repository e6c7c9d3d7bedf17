//! nitrocert: a conformance harness and fuzzer for NitroRPC brokers.
//!
//! Layers, lowest first (each depends only on the ones before it; README "Layout" and
//! `tests/suite/layering.rs`): clock, crypto, wire ← model (pure state machine) ← engine ←
//! scenario (the shadow) ← vectors ← gen ← fuzzing ← client ← broker ← verdict ← runner ←
//! campaign ← report ← cli.

pub mod bench;
pub mod broker;
pub mod campaign;
pub mod cli;
pub mod client;
pub mod clock;
pub mod crypto;
pub mod differential;
pub mod engine;
pub mod fidelity;
pub mod fuzzing;
pub mod gen;
pub mod model;
pub mod race;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod vectors;
pub mod verdict;
pub mod wire;

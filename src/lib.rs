//! nitrocert: a conformance harness and fuzzer for NitroRPC brokers.
//!
//! Layers, lowest first (each depends only on the ones above it in this list):
//! `wire` and `crypto` (frames, exact bytes, keccak, secp256k1, EIP-712) ← `model` (pure state
//! machine of the broker) ← vectors / generators ← runner and embedded broker ← reports ← cli.

pub mod broker;
pub mod cli;
pub mod client;
pub mod crypto;
pub mod engine;
pub mod fuzzing;
pub mod gen;
pub mod model;
pub mod race;
pub mod report;
pub mod runner;
pub mod vectors;
pub mod wire;

//! Random request sequences: plans drawn from `arbitrary` bytes (libFuzzer's, or seeded ChaCha
//! bytes for the CLI), valid by construction from the model's state with deliberate flaws at a
//! tunable rate; shrinking; and their golden vectors. The campaign that replays them on a
//! target sits above the runner, in [`crate::campaign`].

pub mod fidelity;
pub mod materialize;
pub mod mutate;
pub mod op;
pub mod script;
pub mod shrink;
pub mod world;

pub use op::{Flaw, GenConfig, Op};
pub use script::{generate, play, Script};
pub use world::{Request, Setup, World};

/// The campaign moved above the runner; this name stays for code outside `src/` written
/// against the old path (the layering test lists it as the one allowed upward arrow).
#[doc(hidden)]
pub use crate::campaign;

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// Bytes for sequence `index` of a run with `seed`: the same pair always gives the same bytes,
/// and so the same sequence (for a given generator version).
pub fn seeded_bytes(seed: u64, index: u64, len: usize) -> Vec<u8> {
    let key = crate::crypto::keccak256(format!("nitrocert/fuzz/{seed}/{index}"));
    let mut rng = ChaCha20Rng::from_seed(key);
    let mut bytes = vec![0u8; len];
    rng.fill_bytes(&mut bytes);
    bytes
}

/// Bytes enough for a sequence of `steps` plans (each draws about a dozen).
pub fn bytes_for(steps: usize) -> usize {
    64 + steps * 48
}

#[cfg(test)]
mod tests;

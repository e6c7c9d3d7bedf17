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

/// One of `count` disjoint slices of a seed's stream of sequences: the `i`-th sequence of shard
/// `index` is sequence `index + i·count` of the whole stream. The shards of a count are
/// disjoint and together they are exactly the unsharded stream, so a CI matrix can split one
/// campaign (`nitrocert fuzz --shard I/N`) and every finding keeps its place in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Default for Shard {
    /// The whole stream.
    fn default() -> Self {
        Shard { index: 0, count: 1 }
    }
}

impl Shard {
    /// The stream position of this shard's `local`-th sequence.
    pub fn sequence(&self, local: u64) -> u64 {
        self.index + local * self.count
    }

    /// How many of this shard's sequences come before stream position `sequence` (which must
    /// belong to the shard).
    pub fn local(&self, sequence: u64) -> u64 {
        debug_assert_eq!(sequence % self.count, self.index);
        sequence / self.count
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// `I/N` with `0 <= I < N`.
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?}: want I/N with 0 <= I < N, e.g. 0/4");
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = index.trim().parse().map_err(|_| bad())?;
        let count: u64 = count.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Bytes enough for a sequence of `steps` plans (each draws about a dozen).
pub fn bytes_for(steps: usize) -> usize {
    64 + steps * 48
}

#[cfg(test)]
mod tests;

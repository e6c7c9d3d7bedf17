//! The signers of signatures this process made itself, so that recovering them costs a lookup
//! instead of an elliptic-curve recovery (~82 µs each).
//!
//! A live run recovers most signatures its own process made: the shadow re-checks the requests
//! the harness signed, the embedded broker recovers them again, and the harness checks the
//! embedded broker's signature on every frame it sends (RSIG-4). Recovery is a pure function
//! of (digest, signature bytes), and a signature made by [`SecretKey::sign_digest`] recovers to
//! its key's address (libsecp256k1 returns the recovery id that makes it so; a test below checks it
//! against real recovery). So a lookup keyed by the exact digest and all 65 bytes gives what
//! recovery gives: any signature changed after signing (another `v`, a flipped byte, another
//! digest) misses and is recovered for real. Signatures from other processes (a live broker,
//! a wallet) are never in it.
//!
//! The same holds the other way: signing is deterministic (RFC 6979), and the harness signs
//! the same request more than once (the vector's fill, the shadow's plan, the replay), so the
//! signatures this process made are kept by (key, digest) as well. A fuzz campaign of 1,000
//! steps signed 33,347 times, 9,013 of them a second time.
//!
//! [`SecretKey::sign_digest`]: super::SecretKey::sign_digest

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Entries kept before the table starts over: a few seconds of a fast run, ~10 MiB at most.
const CAPACITY: usize = 1 << 16;

type Table = HashMap<([u8; 32], [u8; 65]), String>;

fn table() -> &'static Mutex<Table> {
    static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(HashMap::new()))
}

type Signed = HashMap<([u8; 32], [u8; 32]), [u8; 65]>;

fn signed_table() -> &'static Mutex<Signed> {
    static TABLE: OnceLock<Mutex<Signed>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The signature this process made with the key of `secret` over `digest`, if it still has it.
pub(super) fn signature(secret: &[u8; 32], digest: &[u8; 32]) -> Option<[u8; 65]> {
    let table = signed_table().lock().unwrap_or_else(|e| e.into_inner());
    table.get(&(*secret, *digest)).copied()
}

/// Keeps a signature made with the key of `secret` over `digest`.
pub(super) fn keep_signature(secret: &[u8; 32], digest: &[u8; 32], signature: &[u8; 65]) {
    let mut table = signed_table().lock().unwrap_or_else(|e| e.into_inner());
    if table.len() >= CAPACITY {
        table.clear();
    }
    table.insert((*secret, *digest), *signature);
}

/// Records that `signature` over `digest` was made by the key of `address`.
pub(super) fn remember(digest: &[u8; 32], signature: &[u8; 65], address: &str) {
    let mut table = table().lock().unwrap_or_else(|e| e.into_inner());
    if table.len() >= CAPACITY {
        table.clear();
    }
    table.insert((*digest, *signature), address.to_string());
}

/// The signer of a signature this process made, if it made it (and still remembers it).
pub(super) fn signer(digest: &[u8; 32], signature: &[u8; 65]) -> Option<String> {
    let table = table().lock().unwrap_or_else(|e| e.into_inner());
    table.get(&(*digest, *signature)).cloned()
}

#[cfg(test)]
mod tests {
    use super::super::{identity::from_label, keccak256, Signature};
    use super::*;

    /// What the memo answers is what real recovery answers, for the signatures it holds and
    /// for every tampered copy of them (which it does not hold).
    #[test]
    fn remembered_signers_are_what_recovery_gives() {
        for i in 0..16 {
            let key = from_label(&format!("memo/{i}"));
            let digest = keccak256(format!("message {i}"));
            let bytes = key.sign_digest(&digest);
            assert_eq!(signer(&digest, &bytes).as_deref(), Some(&*key.address()));
            let real = Signature { bytes }.recover_uncached(&digest).unwrap();
            assert_eq!(real, key.address());
            let mut other_v = bytes;
            other_v[64] -= 27;
            assert_eq!(signer(&digest, &other_v), None);
            let mut flipped = bytes;
            flipped[5] ^= 1;
            assert_eq!(signer(&digest, &flipped), None);
            assert_ne!(
                Signature { bytes: flipped }.recover(&digest).ok(),
                Some(key.address())
            );
            assert_eq!(signer(&keccak256("another message"), &bytes), None);
        }
    }

    /// A kept signature is the one signing makes afresh, and only for its own key and digest.
    #[test]
    fn kept_signatures_are_what_signing_gives() {
        let key = from_label("memo/kept");
        let other = from_label("memo/other");
        let digest = keccak256("kept message");
        let first = key.sign_digest(&digest);
        assert_eq!(signature(&key.secret_bytes(), &digest), Some(first));
        assert_eq!(key.sign_digest(&digest), first);
        assert_eq!(key.sign_uncached(&digest), first);
        assert_eq!(signature(&other.secret_bytes(), &digest), None);
        assert_eq!(
            signature(&key.secret_bytes(), &keccak256("kept message.")),
            None
        );
        assert_ne!(other.sign_digest(&digest), first);
    }
}

//! How an engine makes and checks signatures: real secp256k1 every time (the default), real
//! secp256k1 behind a cache, or a keyed-hash stand-in for fuzz targets that test the model and
//! the frame handler rather than the cryptography.
//!
//! A secp256k1 signature costs about 30 µs and a recovery about 50 µs, a hundred times a model step;
//! fuzz targets that sign and check every frame are bound by them. The cache keeps the bytes
//! real; the stand-in drops the curve arithmetic but keeps the property the handlers rely on:
//! a signature belongs to exactly one signed message and one signer.

use super::{address, keccak256, SecretKey, Signature};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Entries a [`Seal::Cached`] keeps per table before starting over.
const CACHE_ENTRIES: usize = 1 << 16;

/// How signatures are made and checked.
#[derive(Clone, Default)]
pub enum Seal {
    /// libsecp256k1: RFC 6979 signing and public-key recovery, every time.
    #[default]
    Secp256k1,
    /// The same bytes and answers as [`Seal::Secp256k1`], remembered. Both are functions of
    /// their inputs, so a remembered answer is the answer. A signature made here is also
    /// recorded as recovering to its signer (ECDSA's round trip): checking a frame the harness
    /// signed through the same seal costs a lookup, while any other signature, or the same one
    /// over other bytes, is recovered for real. Clones share the cache.
    Cached(Arc<Mutex<SealCache>>),
    /// Not ECDSA: `address(20) ‖ keccak256(digest ‖ address)(32) ‖ 0(12) ‖ 27`. It "recovers"
    /// to the address when the tag matches the digest and to nothing otherwise, so changing a
    /// single signed byte breaks it as it would break a real signature. For fuzz targets only:
    /// anyone can forge it.
    Trusted,
}

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Seal::Secp256k1 => "Secp256k1",
            Seal::Cached(_) => "Cached",
            Seal::Trusted => "Trusted",
        })
    }
}

/// The tables of a [`Seal::Cached`].
#[derive(Default)]
pub struct SealCache {
    signed: HashMap<([u8; 32], [u8; 32]), [u8; 65]>,
    recovered: HashMap<([u8; 32], [u8; 65]), Option<String>>,
    /// Lookups answered from the tables and lookups computed, for reports.
    pub hits: u64,
    pub misses: u64,
}

impl SealCache {
    fn remember_recovery(&mut self, key: ([u8; 32], [u8; 65]), who: Option<String>) {
        if self.recovered.len() >= CACHE_ENTRIES {
            self.recovered.clear();
        }
        self.recovered.insert(key, who);
    }
}

impl Seal {
    /// A [`Seal::Cached`] with empty tables.
    pub fn cached() -> Seal {
        Seal::Cached(Arc::default())
    }

    /// The 65-byte `r‖s‖v` (or stand-in) signature of `key` over `digest`.
    pub fn sign(&self, key: &SecretKey, digest: &[u8; 32]) -> [u8; 65] {
        match self {
            Seal::Secp256k1 => key.sign_digest(digest),
            Seal::Cached(cache) => {
                let id = (key.secret_bytes(), *digest);
                {
                    let mut c = lock(cache);
                    if let Some(sig) = c.signed.get(&id).copied() {
                        c.hits += 1;
                        return sig;
                    }
                }
                let sig = key.sign_digest(digest);
                let mut c = lock(cache);
                c.misses += 1;
                if c.signed.len() >= CACHE_ENTRIES {
                    c.signed.clear();
                }
                c.signed.insert(id, sig);
                c.remember_recovery((*digest, sig), Some(key.address()));
                sig
            }
            Seal::Trusted => {
                let raw = address_bytes(key.address_str());
                let mut sig = [0u8; 65];
                sig[..20].copy_from_slice(&raw);
                sig[20..52].copy_from_slice(&trusted_tag(digest, &raw));
                sig[64] = 27;
                sig
            }
        }
    }

    /// The EIP-55 address that signed `digest` with `signature`, or `None` when the bytes are
    /// not a signature or recover to nothing.
    pub fn recover(&self, digest: &[u8; 32], signature: &[u8]) -> Option<String> {
        match self {
            Seal::Secp256k1 => Signature::from_slice(signature).ok()?.recover(digest).ok(),
            Seal::Cached(cache) => {
                let sig: [u8; 65] = signature.try_into().ok()?;
                {
                    let mut c = lock(cache);
                    if let Some(who) = c.recovered.get(&(*digest, sig)).cloned() {
                        c.hits += 1;
                        return who;
                    }
                }
                let who = Signature { bytes: sig }.recover(digest).ok();
                let mut c = lock(cache);
                c.misses += 1;
                c.remember_recovery((*digest, sig), who.clone());
                who
            }
            Seal::Trusted => {
                let sig: &[u8; 65] = signature.try_into().ok()?;
                let raw: [u8; 20] = sig[..20].try_into().expect("20 bytes");
                let genuine = sig[20..52] == trusted_tag(digest, &raw)
                    && sig[52..64].iter().all(|b| *b == 0)
                    && sig[64] == 27;
                genuine.then(|| address::from_bytes(&raw))
            }
        }
    }

    /// (hits, misses) of a [`Seal::Cached`]; `None` for the others.
    pub fn cache_stats(&self) -> Option<(u64, u64)> {
        match self {
            Seal::Cached(cache) => {
                let c = lock(cache);
                Some((c.hits, c.misses))
            }
            _ => None,
        }
    }
}

fn lock(cache: &Mutex<SealCache>) -> std::sync::MutexGuard<'_, SealCache> {
    // A panic while holding the lock cannot leave the tables inconsistent (each update is one
    // insert), so a poisoned lock is still usable.
    cache.lock().unwrap_or_else(|e| e.into_inner())
}

fn address_bytes(checksummed: &str) -> [u8; 20] {
    let mut raw = [0u8; 20];
    hex::decode_to_slice(&checksummed[2..], &mut raw).expect("an address is 40 hex digits");
    raw
}

fn trusted_tag(digest: &[u8; 32], signer: &[u8; 20]) -> [u8; 32] {
    let mut input = [0u8; 52];
    input[..32].copy_from_slice(digest);
    input[32..].copy_from_slice(signer);
    keccak256(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::identity::{derive, Role};

    #[test]
    fn cached_signs_and_recovers_exactly_like_secp256k1() {
        let key = derive(3, Role::Wallet, 0);
        let other = derive(3, Role::Wallet, 1);
        let digest = keccak256(b"a request");
        let seal = Seal::cached();
        let real = Seal::Secp256k1.sign(&key, &digest);
        assert_eq!(seal.sign(&key, &digest), real);
        assert_eq!(seal.sign(&key, &digest), real, "a hit gives the same bytes");
        assert_eq!(seal.recover(&digest, &real), Some(key.address()));
        // Another signer's signature, and a signature over other bytes, are recovered for real.
        let theirs = other.sign_digest(&digest);
        assert_eq!(seal.recover(&digest, &theirs), Some(other.address()));
        let elsewhere = keccak256(b"another request");
        assert_eq!(
            seal.recover(&elsewhere, &real),
            Seal::Secp256k1.recover(&elsewhere, &real)
        );
        assert_ne!(seal.recover(&elsewhere, &real), Some(key.address()));
        assert_eq!(seal.recover(&digest, &real[..64]), None);
        let (hits, misses) = seal.cache_stats().unwrap();
        assert!(hits >= 2 && misses >= 3, "{hits} hits, {misses} misses");
    }

    #[test]
    fn trusted_recovers_only_the_signed_digest() {
        let key = derive(3, Role::Wallet, 0);
        let digest = keccak256(b"a request");
        let sig = Seal::Trusted.sign(&key, &digest);
        assert_eq!(Seal::Trusted.recover(&digest, &sig), Some(key.address()));
        assert_eq!(Seal::Trusted.recover(&keccak256(b"a requesT"), &sig), None);
        let mut forged = sig;
        forged[3] ^= 1;
        assert_eq!(Seal::Trusted.recover(&digest, &forged), None);
        // A real signature is no stand-in, and the stand-in is no real signature.
        let real = key.sign_digest(&digest);
        assert_eq!(Seal::Trusted.recover(&digest, &real), None);
        assert_ne!(Seal::Secp256k1.recover(&digest, &sig), Some(key.address()));
    }
}

//! Private keys and the single signing primitive.

use super::{address, curve, keccak256, CryptoError};
use secp256k1::Message;
use std::sync::OnceLock;

/// A secp256k1 private key (a wallet, a session key or a broker key).
#[derive(Clone)]
pub struct SecretKey {
    inner: secp256k1::SecretKey,
    /// The EIP-55 address, computed on first use (a point multiplication and two keccaks): most
    /// keys a run derives sign, few are ever named.
    address: OnceLock<String>,
}

impl std::fmt::Debug for SecretKey {
    // Keys of test identities are public anyway, but a Debug print should never leak one.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.address())
    }
}

impl SecretKey {
    /// Parses 32 bytes of hex, with or without `0x`.
    pub fn from_hex(text: &str) -> Result<Self, CryptoError> {
        let digits = text.trim();
        let digits = digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
            .unwrap_or(digits);
        let bytes =
            hex::decode(digits).map_err(|_| CryptoError::PrivateKey("not hex".to_string()))?;
        if bytes.len() != 32 {
            return Err(CryptoError::PrivateKey(format!(
                "{} bytes, want 32",
                bytes.len()
            )));
        }
        Self::from_bytes(&bytes)
    }

    /// A key from 32 big-endian bytes; fails for zero or values ≥ the curve order.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| CryptoError::PrivateKey(format!("{} bytes, want 32", bytes.len())))?;
        secp256k1::SecretKey::from_byte_array(bytes)
            .map(|inner| Self {
                inner,
                address: OnceLock::new(),
            })
            .map_err(|_| CryptoError::PrivateKey("not a valid secp256k1 scalar".to_string()))
    }

    /// `0x` + 64 hex digits.
    pub fn to_hex(&self) -> String {
        super::to_hex(self.inner.secret_bytes())
    }

    /// The EIP-55 address of this key.
    pub fn address(&self) -> String {
        self.address_str().to_string()
    }

    /// [`SecretKey::address`] without a copy.
    pub fn address_str(&self) -> &str {
        self.address
            .get_or_init(|| address::of_public_key(&self.inner.public_key(curve())))
    }

    /// The 32 secret bytes (a cache key for [`super::Seal`]).
    pub(crate) fn secret_bytes(&self) -> [u8; 32] {
        self.inner.secret_bytes()
    }

    /// Recoverable signature `r‖s‖v` over a 32-byte digest, v = 27/28, low s, RFC 6979
    /// deterministic nonce (the same bytes the SDK, go-ethereum and eth-account produce).
    /// Signatures made before come from the process's memo (the nonce is deterministic, so
    /// they are the same bytes).
    pub fn sign_digest(&self, digest: &[u8; 32]) -> [u8; 65] {
        let secret = self.secret_bytes();
        if let Some(kept) = super::memo::signature(&secret, digest) {
            return kept;
        }
        let out = self.sign_uncached(digest);
        super::memo::keep_signature(&secret, digest, &out);
        out
    }

    /// [`SecretKey::sign_digest`] always computed (what `nitrocert bench` times).
    pub fn sign_uncached(&self, digest: &[u8; 32]) -> [u8; 65] {
        let signature = curve().sign_ecdsa_recoverable(Message::from_digest(*digest), &self.inner);
        let (recovery, compact) = signature.serialize_compact();
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&compact);
        // libsecp256k1 signs with low s, so the recovery id is 0 or 1.
        out[64] = 27 + i32::from(recovery) as u8;
        super::memo::remember(digest, &out, &self.address());
        out
    }

    /// Signature over keccak256 of `bytes`, as `0x`-hex (SIG-2: no EIP-191 prefix; SDK-2: what
    /// the SDK's signers produce; VEC-2 is its known answer).
    pub fn sign_bytes_hex(&self, bytes: &[u8]) -> String {
        super::to_hex(self.sign_digest(&keccak256(bytes)))
    }
}

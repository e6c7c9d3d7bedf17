//! Hashing and signatures: keccak256, secp256k1 recoverable signatures, EIP-55, EIP-712 Policy.
//!
//! Everything signs through one primitive, [`SecretKey::sign_digest`]; request signatures,
//! broker response signatures and the EIP-712 Policy are all that primitive over a different
//! 32-byte digest.

pub mod address;
pub mod eip712;
pub mod identity;
pub mod key;
mod memo;
pub mod seal;
pub mod signature;

pub use address::{checksum, is_checksummed};
pub use key::SecretKey;
pub use seal::Seal;
pub use signature::{recover, recover_hex, Signature};

/// The libsecp256k1 context, built once (its precomputed tables cost ~1 ms): go-ethereum's own
/// recovery code, so a signature recovers here exactly as in Clearnode (SIG-3).
pub(crate) fn curve() -> &'static secp256k1::Secp256k1<secp256k1::All> {
    static CURVE: std::sync::OnceLock<secp256k1::Secp256k1<secp256k1::All>> =
        std::sync::OnceLock::new();
    CURVE.get_or_init(secp256k1::Secp256k1::new)
}

/// Ethereum's keccak256 (the pre-NIST padding), as used for request digests and ids.
pub fn keccak256(bytes: impl AsRef<[u8]>) -> [u8; 32] {
    alloy_primitives::keccak256(bytes.as_ref()).0
}

/// `0x`-prefixed lower-case hex, the form every digest and signature is written in.
pub fn to_hex(bytes: impl AsRef<[u8]>) -> String {
    format!("0x{}", hex::encode(bytes.as_ref()))
}

/// Why a key, signature or address could not be used. Operating errors (bad input), never
/// programmer errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("not 0x-prefixed hex: {0:?}")]
    NotHex(String),
    #[error("invalid signature length: got {got}, want 65")]
    SignatureLength { got: usize },
    #[error("invalid recovery byte v = {0} (want 0, 1, 27 or 28)")]
    RecoveryByte(u8),
    #[error("signature does not recover to a public key")]
    Unrecoverable,
    #[error("invalid private key: {0}")]
    PrivateKey(String),
    #[error("invalid address: {0:?}")]
    Address(String),
    #[error("EIP-712 hashing failed: {0}")]
    TypedData(String),
}

/// Decodes `0x`/`0X`-prefixed hex of even length (SIG-1): the prefix is required.
pub fn decode_prefixed_hex(text: &str) -> Result<Vec<u8>, CryptoError> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .ok_or_else(|| CryptoError::NotHex(text.to_string()))?;
    hex::decode(digits).map_err(|_| CryptoError::NotHex(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keccak_of_empty_input_is_the_ethereum_one() {
        assert_eq!(
            to_hex(keccak256(b"")),
            "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
    }

    #[test]
    fn hex_needs_a_prefix_and_even_length() {
        assert_eq!(decode_prefixed_hex("0x0aFF").unwrap(), vec![0x0a, 0xff]);
        assert_eq!(decode_prefixed_hex("0X01").unwrap(), vec![1]);
        assert_eq!(decode_prefixed_hex("0x").unwrap(), Vec::<u8>::new());
        assert!(decode_prefixed_hex("0a").is_err());
        assert!(decode_prefixed_hex("0x0").is_err());
        assert!(decode_prefixed_hex("0xzz").is_err());
        assert!(decode_prefixed_hex("").is_err());
    }
}

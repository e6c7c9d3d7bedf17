//! Recovering signers from 65-byte `r‖s‖v` signatures (SIG-3, RSIG-4).

use super::{address, decode_prefixed_hex, keccak256, CryptoError};
use k256::ecdsa::{RecoveryId, Signature as EcdsaSignature, VerifyingKey};

/// A decoded signature; accepts v in {0, 1, 27, 28} like the broker does (SIG-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    pub bytes: [u8; 65],
}

impl Signature {
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let bytes: [u8; 65] = bytes
            .try_into()
            .map_err(|_| CryptoError::SignatureLength { got: bytes.len() })?;
        Ok(Self { bytes })
    }

    pub fn from_hex(text: &str) -> Result<Self, CryptoError> {
        Self::from_slice(&decode_prefixed_hex(text)?)
    }

    /// The EIP-55 address whose key produced this signature over `digest` (SIG-4: addresses are
    /// compared as these checksummed strings). RSIG-5: one keccak256 of the exact bytes, not
    /// the Go client library's re-marshal and double hash.
    pub fn recover(&self, digest: &[u8; 32]) -> Result<String, CryptoError> {
        // SIG-8: Clearnode rewrites v to 0/1 inside the request's buffer while recovering (seen
        // only through `get_rpc_history`, which is not modelled); here v is read, never written.
        let v = self.bytes[64];
        let recovery_byte = if v >= 27 { v - 27 } else { v };
        let recovery = RecoveryId::from_byte(recovery_byte).ok_or(CryptoError::RecoveryByte(v))?;
        if recovery_byte > 1 {
            // x-overflow recovery ids are never produced by real signers and Clearnode's
            // go-ethereum recovery rejects them.
            return Err(CryptoError::RecoveryByte(v));
        }
        let signature = EcdsaSignature::from_slice(&self.bytes[..64])
            .map_err(|_| CryptoError::Unrecoverable)?;
        let key = VerifyingKey::recover_from_prehash(digest, &signature, recovery)
            .map_err(|_| CryptoError::Unrecoverable)?;
        let point = key.to_encoded_point(false);
        let hash = keccak256(&point.as_bytes()[1..]);
        let mut raw = [0u8; 20];
        raw.copy_from_slice(&hash[12..]);
        Ok(address::from_bytes(&raw))
    }
}

/// Signer of `message` (hashed with keccak256, no prefix) under a hex signature. VEC-3: other
/// bytes (re-spaced, EIP-191-prefixed) recover to someone else, never to an error.
pub fn recover_hex(message: &[u8], signature_hex: &str) -> Result<String, CryptoError> {
    Signature::from_hex(signature_hex)?.recover(&keccak256(message))
}

/// Signer of a 32-byte digest under raw signature bytes.
pub fn recover(digest: &[u8; 32], signature: &[u8]) -> Result<String, CryptoError> {
    Signature::from_slice(signature)?.recover(digest)
}

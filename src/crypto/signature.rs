//! Recovering signers from 65-byte `r‖s‖v` signatures (SIG-3, RSIG-4).

use super::{address, curve, decode_prefixed_hex, keccak256, CryptoError};
use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use secp256k1::Message;

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
        // A signature this process made recovers to the key that made it ([`super::memo`]).
        if let Some(signer) = super::memo::signer(digest, &self.bytes) {
            return Ok(signer);
        }
        self.recover_uncached(digest)
    }

    /// [`Signature::recover`] by elliptic-curve recovery, always.
    pub fn recover_uncached(&self, digest: &[u8; 32]) -> Result<String, CryptoError> {
        // SIG-8: Clearnode rewrites v to 0/1 inside the request's buffer while recovering (seen
        // only through `get_rpc_history`, which is not modelled); here v is read, never written.
        let v = self.bytes[64];
        let recovery_byte = if v >= 27 { v - 27 } else { v };
        if recovery_byte > 1 {
            // x-overflow recovery ids (2, 3) are never produced by real signers and Clearnode's
            // go-ethereum recovery rejects them.
            return Err(CryptoError::RecoveryByte(v));
        }
        let recovery = RecoveryId::try_from(i32::from(recovery_byte))
            .map_err(|_| CryptoError::RecoveryByte(v))?;
        // SIG-3: r and s must be scalars below the curve order and non-zero; a high s is
        // accepted, as go-ethereum's libsecp256k1 recovery accepts it (no low-s rule).
        let signature = RecoverableSignature::from_compact(&self.bytes[..64], recovery)
            .map_err(|_| CryptoError::Unrecoverable)?;
        let key = curve()
            .recover_ecdsa(Message::from_digest(*digest), &signature)
            .map_err(|_| CryptoError::Unrecoverable)?;
        Ok(address::of_public_key(&key))
    }
}

/// The other signature of the same key over the same digest: `s → n − s` with the recovery bit
/// flipped (27 ↔ 28, 0 ↔ 1). ECDSA cannot tell the two apart; a verifier that insists on low `s`
/// refuses this one (Wycheproof's high-S case), one that only recovers (go-ethereum's
/// libsecp256k1 recovery, Clearnode) accepts it. `None` when the bytes are not a signature
/// (`s` zero or out of range, or v not one of 0, 1, 27, 28).
pub fn malleate(sig: &[u8; 65]) -> Option<[u8; 65]> {
    let s: [u8; 32] = sig[32..64].try_into().expect("32 bytes");
    // n − s, computed as the negation of s taken as a scalar (secp256k1's secret keys are
    // exactly the scalars 1..n−1).
    let negated = secp256k1::SecretKey::from_byte_array(s).ok()?.negate();
    let v = match sig[64] {
        0 | 1 => sig[64] ^ 1,
        27 => 28,
        28 => 27,
        _ => return None,
    };
    let mut out = *sig;
    out[32..64].copy_from_slice(&negated.secret_bytes());
    out[64] = v;
    Some(out)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::identity::vector_key;

    /// The order n of secp256k1's group (SEC 2), big-endian.
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36,
        0x41, 0x41,
    ];

    /// a + b as 33 big-endian bytes.
    fn add(a: &[u8], b: &[u8]) -> [u8; 33] {
        let mut out = [0u8; 33];
        let mut carry = 0u16;
        for i in (0..32).rev() {
            let sum = u16::from(a[i]) + u16::from(b[i]) + carry;
            out[i + 1] = sum as u8;
            carry = sum >> 8;
        }
        out[0] = carry as u8;
        out
    }

    // SIG-3: the malleated twin is s' = n − s (so s + s' = n, and s' is the high one), the other
    // recovery bit (27 ↔ 28), the same r; malleating twice gives the original bytes. Recovery
    // takes the twin to the same signer: go-ethereum's libsecp256k1 recovery has no low-s rule.
    #[test]
    fn sig_3_malleate_is_the_high_s_twin_and_recovers_to_the_signer() {
        let mut n_33 = [0u8; 33];
        n_33[1..].copy_from_slice(&N);
        for i in 0..16 {
            let digest = keccak256(format!("[{i},\"ping\",{{}},1]"));
            let key = vector_key("A");
            let sig = key.sign_digest(&digest);
            assert!(sig[64] == 27 || sig[64] == 28);
            let twin = malleate(&sig).unwrap();
            assert_eq!(twin[..32], sig[..32]);
            assert_eq!(add(&sig[32..64], &twin[32..64]), n_33);
            assert!(twin[32..64] > sig[32..64], "the twin's s is the high one");
            assert_eq!(u16::from(twin[64]) + u16::from(sig[64]), 55, "27 <-> 28");
            assert_eq!(malleate(&twin).unwrap(), sig);
            let recovered = Signature { bytes: twin }.recover_uncached(&digest);
            assert_eq!(recovered.unwrap(), key.address());
            let mut raw_v = sig;
            raw_v[64] -= 27;
            assert_eq!(malleate(&raw_v).unwrap()[64], raw_v[64] ^ 1);
        }
        let sig = vector_key("A").sign_digest(&keccak256(b"x"));
        let mut zero_s = sig;
        zero_s[32..64].fill(0);
        assert_eq!(malleate(&zero_s), None);
        let mut s_is_n = sig;
        s_is_n[32..64].copy_from_slice(&N);
        assert_eq!(malleate(&s_is_n), None);
        let mut bad_v = sig;
        bad_v[64] = 29;
        assert_eq!(malleate(&bad_v), None);
    }

    // SIG-3: v outside {0, 1, 27, 28}, r or s zero or not below n do not recover.
    #[test]
    fn sig_3_out_of_range_signatures_do_not_recover() {
        let digest = keccak256(b"x");
        let sig = vector_key("A").sign_digest(&digest);
        for v in [2u8, 3, 26, 29, 30, 255] {
            let mut bad = sig;
            bad[64] = v;
            assert_eq!(
                Signature { bytes: bad }.recover_uncached(&digest),
                Err(CryptoError::RecoveryByte(v))
            );
        }
        for (at, value) in [(0, [0u8; 32]), (32, [0u8; 32]), (0, N), (32, N)] {
            let mut bad = sig;
            bad[at..at + 32].copy_from_slice(&value);
            assert_eq!(
                Signature { bytes: bad }.recover_uncached(&digest),
                Err(CryptoError::Unrecoverable)
            );
        }
    }
}

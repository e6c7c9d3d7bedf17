//! EIP-55 checksummed addresses: brokers compare addresses as exact strings (ADDR-1), so the
//! casing of every address the harness sends matters.

use super::CryptoError;
use alloy_primitives::Address;

/// EIP-55 form of a 20-byte address.
pub fn from_bytes(bytes: &[u8; 20]) -> String {
    Address::from(*bytes).to_checksum(None)
}

/// EIP-55 address of a public key: the last 20 bytes of keccak256 of its uncompressed
/// encoding without the 0x04 tag.
pub fn of_public_key(key: &secp256k1::PublicKey) -> String {
    let hash = super::keccak256(&key.serialize_uncompressed()[1..]);
    let mut raw = [0u8; 20];
    raw.copy_from_slice(&hash[12..]);
    from_bytes(&raw)
}

/// EIP-55 form of any-case `0x` + 40 hex digits.
pub fn checksum(text: &str) -> Result<String, CryptoError> {
    let digits = text
        .strip_prefix("0x")
        .filter(|d| d.len() == 40)
        .ok_or_else(|| CryptoError::Address(text.to_string()))?;
    let bytes = hex::decode(digits).map_err(|_| CryptoError::Address(text.to_string()))?;
    let mut raw = [0u8; 20];
    raw.copy_from_slice(&bytes);
    Ok(from_bytes(&raw))
}

/// True when `text` is already in EIP-55 form (the only form a broker's string compare accepts).
pub fn is_checksummed(text: &str) -> bool {
    checksum(text).is_ok_and(|c| c == text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_known_addresses() {
        assert_eq!(
            checksum("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266").unwrap(),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
        );
        assert!(is_checksummed("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"));
        assert!(!is_checksummed(
            "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"
        ));
        assert!(checksum("0x1234").is_err());
        assert!(checksum("7e5f4552091a69125d5dfcb7b8c2659029395bdf").is_err());
    }
}

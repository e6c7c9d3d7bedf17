//! The EIP-712 `Policy` that a wallet signs in `auth_verify` (AUTH-6), hashed with alloy's
//! EIP-712 implementation rather than by hand. VEC-1, the digest's example, is its known answer.

use super::{CryptoError, SecretKey};
use alloy_dyn_abi::TypedData;
use serde_json::json;

/// One spending cap of a session key, as sent in `auth_request.allowances`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    pub asset: String,
    pub amount: String,
}

/// Everything the broker hashes for `auth_verify` (AUTH-6): all of it comes from the stored
/// `auth_request`, plus the canonical challenge string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// EIP-712 domain name: the `application` of the auth_request.
    pub application: String,
    pub challenge: String,
    pub scope: String,
    pub wallet: String,
    pub session_key: String,
    pub expires_at: u64,
    pub allowances: Vec<Allowance>,
}

impl Policy {
    /// The typed data in the JSON form wallets (eth_signTypedData_v4) and the SDK use:
    /// a domain with only `name`, primary type `Policy`, fields in AUTH-6 order.
    pub fn typed_data_json(&self) -> serde_json::Value {
        let allowances: Vec<_> = self
            .allowances
            .iter()
            .map(|a| json!({"asset": a.asset, "amount": a.amount}))
            .collect();
        json!({
            "types": {
                "EIP712Domain": [{"name": "name", "type": "string"}],
                "Policy": [
                    {"name": "challenge", "type": "string"},
                    {"name": "scope", "type": "string"},
                    {"name": "wallet", "type": "address"},
                    {"name": "session_key", "type": "address"},
                    {"name": "expires_at", "type": "uint64"},
                    {"name": "allowances", "type": "Allowance[]"}
                ],
                "Allowance": [
                    {"name": "asset", "type": "string"},
                    {"name": "amount", "type": "string"}
                ]
            },
            "primaryType": "Policy",
            "domain": {"name": self.application},
            "message": {
                "challenge": self.challenge,
                "scope": self.scope,
                "wallet": self.wallet,
                "session_key": self.session_key,
                "expires_at": self.expires_at,
                "allowances": allowances
            }
        })
    }

    /// `keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(Policy))`.
    ///
    /// Fails where Clearnode's hashing fails (AUTH-7 step 2, reported as `invalid signature`):
    /// an empty application leaves go-ethereum's domain "undefined", and a wallet or session
    /// key that is not an address cannot be encoded.
    pub fn digest(&self) -> Result<[u8; 32], CryptoError> {
        if self.application.is_empty() {
            return Err(CryptoError::TypedData("domain is undefined".to_string()));
        }
        // go-ethereum encodes an `address` member that `common.IsHexAddress` accepts: 40 hex
        // digits after an optional `0x` or `0X` (a respelled key, fidelity's hex-spelling).
        let canonical = |address: &str| {
            let digits = address
                .strip_prefix("0x")
                .or_else(|| address.strip_prefix("0X"))
                .unwrap_or(address);
            match digits.len() == 40 && hex::decode(digits).is_ok() {
                true => Ok(format!("0x{}", digits.to_ascii_lowercase())),
                false => Err(CryptoError::TypedData(format!(
                    "not an address: {address:?}"
                ))),
            }
        };
        let encoded = Policy {
            wallet: canonical(&self.wallet)?,
            session_key: canonical(&self.session_key)?,
            ..self.clone()
        };
        let typed: TypedData = serde_json::from_value(encoded.typed_data_json())
            .map_err(|e| CryptoError::TypedData(e.to_string()))?;
        typed
            .eip712_signing_hash()
            .map(|h| h.0)
            .map_err(|e| CryptoError::TypedData(e.to_string()))
    }

    /// The wallet's signature over [`Policy::digest`], as `0x`-hex.
    pub fn sign(&self, wallet: &SecretKey) -> Result<String, CryptoError> {
        Ok(super::to_hex(wallet.sign_digest(&self.digest()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(wallet: &str, session_key: &str) -> Policy {
        Policy {
            application: "clearnode".into(),
            challenge: "c".into(),
            scope: "console".into(),
            wallet: wallet.into(),
            session_key: session_key.into(),
            expires_at: i64::MAX as u64,
            allowances: vec![],
        }
    }

    #[test]
    fn every_spelling_go_takes_for_an_address_hashes_alike() {
        let key = "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf";
        let wallet = "0xE1b4d6177b561A4fAE72F3aebF14EF2A73179f09";
        let digest = policy(wallet, key).digest().unwrap();
        for spelling in [
            format!("0X{}", &key[2..]),
            format!("0X{}", key[2..].to_ascii_uppercase()),
            key[2..].to_string(),
            key.to_ascii_lowercase(),
        ] {
            assert_eq!(
                policy(wallet, &spelling).digest().unwrap(),
                digest,
                "{spelling}"
            );
        }
        // Not 40 hex digits: go-ethereum cannot encode it.
        for bad in [
            "0x",
            "0xZZ5F4552091A69125d5DfCb7b8C2659029395Bdf",
            "0x0X7E5F",
        ] {
            assert!(policy(wallet, bad).digest().is_err(), "{bad}");
        }
    }
}

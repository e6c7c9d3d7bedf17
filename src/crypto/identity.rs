//! Deterministic test identities: the same seed and index always give the same key, so every
//! run of a vector or a fuzz seed signs with the same keys and produces the same bytes.

use super::{keccak256, SecretKey};

/// What an identity is for; part of the derivation so a wallet and a session key with the same
/// index never coincide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Wallet,
    SessionKey,
    Broker,
}

impl Role {
    fn label(self) -> &'static str {
        match self {
            Role::Wallet => "wallet",
            Role::SessionKey => "session-key",
            Role::Broker => "broker",
        }
    }
}

/// The key of a label: keccak256 of its bytes, re-hashed in the (astronomically unlikely) case
/// the digest is not a valid scalar. Every deterministic key of nitrocert comes from here.
pub fn from_label(label: &str) -> SecretKey {
    let mut material = label.as_bytes().to_vec();
    loop {
        let digest = keccak256(&material);
        if let Ok(key) = SecretKey::from_bytes(&digest) {
            return key;
        }
        material = digest.to_vec();
    }
}

/// Key number `index` of `role` under `seed`.
pub fn derive(seed: u64, role: Role, index: u32) -> SecretKey {
    from_label(&format!("nitrocert/{}/{seed}/{index}", role.label()))
}

/// The fixed public test key of a vector identity name: the same name is the same key in every
/// vector (never fund it on a real network).
pub fn vector_key(name: &str) -> SecretKey {
    from_label(&format!("nitrocert/vector-identity/{name}"))
}

/// A fresh key for identity `name` of case `case` in a certification run with `seed`, so that
/// runs against a broker that keeps its state do not collide (another seed, other wallets).
pub fn run_key(seed: u64, case: &str, name: &str) -> SecretKey {
    from_label(&format!("nitrocert/run/{seed}/{case}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_is_stable_and_role_separated() {
        let a = derive(1, Role::Wallet, 0);
        assert_eq!(a.to_hex(), derive(1, Role::Wallet, 0).to_hex());
        assert_ne!(a.to_hex(), derive(1, Role::SessionKey, 0).to_hex());
        assert_ne!(a.to_hex(), derive(2, Role::Wallet, 0).to_hex());
        assert_ne!(a.to_hex(), derive(1, Role::Wallet, 1).to_hex());
        // Pinned so that a change of derivation (which would change every vector) is noticed.
        assert_eq!(
            a.to_hex(),
            crate::crypto::to_hex(keccak256(b"nitrocert/wallet/1/0"))
        );
    }
}

//! The JWT the reference broker issues at `auth_verify` (AUTH-10, AUTH-11): like Clearnode's,
//! header `ES256` but signed with the broker's secp256k1 key, so clients must treat it as
//! opaque. Only this broker verifies it.

use crate::crypto::{keccak256, Seal, SecretKey};
use crate::model::JwtClaims;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

fn claims_json(c: &JwtClaims) -> Value {
    let allowance: Vec<Value> = c
        .allowances
        .iter()
        .map(|a| json!({"asset": a.asset, "amount": a.amount}))
        .collect();
    json!({
        "policy": {
            "wallet": c.wallet,
            "session_key": c.session_key,
            "scope": c.scope,
            "application": c.application,
            "allowance": allowance,
            "expiration": c.expiration_s,
        },
        "iss": c.issuer,
        "iat": c.issued_at_s,
        "nbf": c.not_before_s,
        "exp": c.expires_s,
    })
}

pub fn sign(seal: &Seal, key: &SecretKey, claims: &JwtClaims) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims_json(claims).to_string());
    let signing_input = format!("{header}.{body}");
    let sig = seal.sign(key, &keccak256(signing_input.as_bytes()));
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

pub fn verify(seal: &Seal, broker_address: &str, token: &str) -> Option<JwtClaims> {
    let (signing_input, sig) = token.rsplit_once('.')?;
    let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
    if seal.recover(&keccak256(signing_input.as_bytes()), &sig)? != broker_address {
        return None;
    }
    let (_, body) = signing_input.split_once('.')?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
    let policy = &claims["policy"];
    let text = |v: &Value| v.as_str().map(str::to_string);
    Some(JwtClaims {
        wallet: text(&policy["wallet"])?,
        session_key: text(&policy["session_key"])?,
        scope: text(&policy["scope"])?,
        application: text(&policy["application"])?,
        allowances: policy["allowance"]
            .as_array()?
            .iter()
            .map(|a| {
                Some(crate::crypto::eip712::Allowance {
                    asset: text(&a["asset"])?,
                    amount: text(&a["amount"])?,
                })
            })
            .collect::<Option<Vec<_>>>()?,
        expiration_s: policy["expiration"].as_u64()?,
        issuer: text(&claims["iss"])?,
        issued_at_s: claims["iat"].as_u64()?,
        not_before_s: claims["nbf"].as_u64()?,
        expires_s: claims["exp"].as_u64()?,
    })
}

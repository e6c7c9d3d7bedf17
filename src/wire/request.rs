//! Building requests exactly as the official SDK does: `JSON.stringify` of the `req` array
//! (compact, keys in insertion order), signed once per signer over those bytes, then spliced
//! into `{"req":…,"sig":[…]}` without re-serializing (SIG-9, SIG-10). SDK-1: the SDK's request
//! builders; VEC-4 and VEC-5 are their known answers (a transfer, a two-signer create).

use super::js::{self, JsValue};
use crate::crypto::{keccak256, to_hex, SecretKey};
use serde_json::Value;

/// The `req` array text: `[id,"method",params,ts]`, compact, params' keys in their order.
///
/// The harness's own requests: params are written as serde_json holds them, so a vector can
/// put wire forms on the wire that no SDK writes (`2.0`, `-0.0`, integers past 2^53). For
/// the same data held as doubles and ordinary strings, the text is the SDK's.
pub fn encode_req(id: u64, method: &str, params: &Value, ts: u64) -> String {
    serde_json::to_string(&serde_json::json!([id, method, params, ts]))
        .expect("a JSON value always serializes")
}

/// The SDK's `req` text for params as `JSON.parse` gave them (doubles, lone surrogates,
/// JavaScript key order): `JSON.stringify([id, method, params, ts])`.
pub fn encode_req_js(id: u64, method: &str, params: &JsValue, ts: u64) -> String {
    let mut out = format!("[{id},");
    js::write_string(&mut out, &method.encode_utf16().collect::<Vec<_>>());
    out.push(',');
    out.push_str(&js::stringify(params));
    out.push_str(&format!(",{ts}]"));
    out
}

/// One signature per key, in key order, each over keccak256 of exactly `req_text`.
pub fn sign_req(req_text: &str, keys: &[SecretKey]) -> Vec<String> {
    let digest = keccak256(req_text.as_bytes());
    keys.iter()
        .map(|k| to_hex(k.sign_digest(&digest)))
        .collect()
}

/// `{"req":<req_text verbatim>,"sig":[…]}`.
pub fn encode_signed(req_text: &str, sig: &[String]) -> String {
    let sig = serde_json::to_string(sig).expect("strings always serialize");
    format!("{{\"req\":{req_text},\"sig\":{sig}}}")
}

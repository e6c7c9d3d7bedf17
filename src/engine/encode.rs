//! Response frames as Clearnode writes them: Go's compact JSON (struct fields in declaration
//! order, `<`, `>`, `&`, U+2028/9 escaped, AS-GEN-2), signed over exactly those bytes (RSIG-1).

use crate::crypto::{keccak256, to_hex, Seal, SecretKey};
use crate::model::gojson::write_string;
use serde_json::Value;

/// Go's encoding of a value whose objects are structs (keys kept in the order given).
pub fn encode_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode_value(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (key, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                encode_value(item, out);
            }
            out.push('}');
        }
    }
}

/// `{"res":[id,"method",params,ts],"sig":["0x…"]}` signed by the broker key (WIRE-2: exactly one
/// signature; RSIG-3: it proves the broker produced these id, method, params and ts).
pub fn response_frame(key: &SecretKey, id: u64, method: &str, params: &Value, ts: u64) -> String {
    signed_frame(key, &response_array(id, method, params, ts))
}

/// The `res` array `[id,"method",params,ts]` as Clearnode marshals it (`RPCData.MarshalJSON`).
pub fn response_array(id: u64, method: &str, params: &Value, ts: u64) -> String {
    let mut res = String::with_capacity(128);
    res.push('[');
    res.push_str(&id.to_string());
    res.push(',');
    write_string(&mut res, method);
    res.push(',');
    encode_value(params, &mut res);
    res.push(',');
    res.push_str(&ts.to_string());
    res.push(']');
    res
}

/// A `res` array in its frame, signed over exactly its bytes (RSIG-1).
pub fn signed_frame(key: &SecretKey, res: &str) -> String {
    sealed_frame(&Seal::Secp256k1, key, res)
}

/// [`signed_frame`] signed through `seal`.
pub(crate) fn sealed_frame(seal: &Seal, key: &SecretKey, res: &str) -> String {
    let sig = to_hex(seal.sign(key, &keccak256(res.as_bytes())));
    format!("{{\"res\":{res},\"sig\":[\"{sig}\"]}}")
}

//! Parsing a frame as a harness client does: strictly, keeping the raw `req`/`res` bytes for
//! signature recovery (RSIG-4: never re-serialize what you verify).

use super::members::{array_elements, as_string, as_u64, read_top_level, TopLevel};
use crate::crypto::{self, keccak256, CryptoError};
use serde_json::Value;

/// Whether a frame carries a request or a response/notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    Request,
    Response,
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub kind: FrameKind,
    /// The exact text of the `req`/`res` array, from `[` to its matching `]`.
    pub raw: String,
    pub id: u64,
    pub method: String,
    pub params: Value,
    pub ts: u64,
    pub sig: Vec<String>,
    pub sid: Option<String>,
}

/// Why a frame could not be read; the text says what a broker developer needs to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("the frame is not a JSON object")]
    NotObject,
    #[error("the frame has neither a \"req\" nor a \"res\" member")]
    NoPayload,
    #[error("the frame has both \"req\" and \"res\"")]
    BothPayloads,
    #[error("\"{member}\" must be an array of exactly 4 elements [id, method, params, ts]")]
    BadArray { member: &'static str },
    #[error("element {index} of \"{member}\" is invalid: {why}")]
    BadElement {
        member: &'static str,
        index: usize,
        why: &'static str,
    },
    #[error("\"sig\" must be an array of hex strings")]
    BadSig,
    #[error("\"{0}\" appears more than once")]
    Duplicate(String),
}

impl Frame {
    /// keccak256 of the raw array bytes: the digest every signature of this frame covers.
    pub fn digest(&self) -> [u8; 32] {
        keccak256(self.raw.as_bytes())
    }

    /// The signer of each `sig` entry, in order (a response's `sig[0]` is the broker's: VEC-6 is
    /// the known answer of that check).
    pub fn signers(&self) -> Vec<Result<String, CryptoError>> {
        let digest = self.digest();
        self.sig
            .iter()
            .map(|s| crypto::Signature::from_hex(s).and_then(|sig| sig.recover(&digest)))
            .collect()
    }

    pub fn is_notification(&self) -> bool {
        self.kind == FrameKind::Response && self.id == super::NOTIFICATION_ID
    }

    /// The error text of a broker's error response (`{"error": "…"}` under method `error`).
    pub fn error_message(&self) -> Option<&str> {
        if self.method != "error" {
            return None;
        }
        self.params.get("error").and_then(Value::as_str)
    }
}

/// Parses a frame strictly: exactly one of `req`/`res`, four elements, `sig` an array of
/// strings (or absent). Member names are matched exactly.
pub fn parse_frame(text: &str) -> Result<Frame, WireError> {
    let members = match read_top_level(text).map_err(|e| WireError::NotJson(e.to_string()))? {
        TopLevel::Object(m) => m,
        _ => return Err(WireError::NotObject),
    };
    let mut payload = None;
    let mut sig = Vec::new();
    let mut sid = None;
    let mut seen = std::collections::HashSet::new();
    for (name, raw) in &members.0 {
        if !seen.insert(name.clone()) {
            return Err(WireError::Duplicate(name.clone()));
        }
        match name.as_str() {
            "req" | "res" => {
                if payload.is_some() {
                    return Err(WireError::BothPayloads);
                }
                let kind = if name == "req" {
                    FrameKind::Request
                } else {
                    FrameKind::Response
                };
                payload = Some((kind, raw));
            }
            "sig" => {
                sig = serde_json::from_str::<Option<Vec<String>>>(raw.get())
                    .map_err(|_| WireError::BadSig)?
                    .unwrap_or_default();
            }
            "sid" => sid = as_string(raw),
            _ => {}
        }
    }
    let (kind, raw) = payload.ok_or(WireError::NoPayload)?;
    let member = if kind == FrameKind::Request {
        "req"
    } else {
        "res"
    };
    let elements = array_elements(raw).ok_or(WireError::BadArray { member })?;
    if elements.len() != 4 {
        return Err(WireError::BadArray { member });
    }
    let bad = |index, why| WireError::BadElement { member, index, why };
    let id = as_u64(&elements[0]).ok_or(bad(0, "the id must be an unsigned integer"))?;
    let method = as_string(&elements[1]).ok_or(bad(1, "the method must be a string"))?;
    // Valid JSON may hold a lone surrogate (JSON.stringify writes one); the raw bytes are
    // kept for signatures and params read as Go reads them.
    let params: Value =
        super::js::go_value(elements[2].get()).map_err(|_| bad(2, "params are not JSON"))?;
    let ts = as_u64(&elements[3]).ok_or(bad(3, "the timestamp must be an unsigned integer"))?;
    Ok(Frame {
        kind,
        raw: raw.get().to_string(),
        id,
        method,
        params,
        ts,
        sig,
        sid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_exact_array_bytes() {
        let text = r#"{"req": [1, "ping", {},  1700000000000] ,"sig":[]}"#;
        let frame = parse_frame(text).unwrap();
        assert_eq!(frame.raw, r#"[1, "ping", {},  1700000000000]"#);
        assert_eq!(frame.kind, FrameKind::Request);
        assert_eq!(
            (frame.id, frame.method.as_str(), frame.ts),
            (1, "ping", 1700000000000)
        );
    }

    #[test]
    fn classifies_notifications_and_errors() {
        let n = parse_frame(r#"{"res":[0,"bu",{"balance_updates":[]},5],"sig":["0x00"]}"#).unwrap();
        assert!(n.is_notification());
        let e = parse_frame(r#"{"res":[7,"error",{"error":"boom"},5],"sig":[]}"#).unwrap();
        assert!(!e.is_notification());
        assert_eq!(e.error_message(), Some("boom"));
    }

    #[test]
    fn rejects_malformed_frames_with_a_reason() {
        for (text, want) in [
            ("nope", "not JSON"),
            ("[1]", "not a JSON object"),
            ("{}", "neither"),
            (r#"{"req":[1,"a",{},1],"res":[1,"a",{},1]}"#, "both"),
            (r#"{"res":[1,"a",{}]}"#, "exactly 4"),
            (r#"{"res":[-1,"a",{},1]}"#, "element 0"),
            (r#"{"res":[1,2,{},1]}"#, "element 1"),
            (r#"{"res":[1,"a",{},1.5]}"#, "element 3"),
            (r#"{"res":[1,"a",{},1],"sig":[1]}"#, "hex strings"),
            (
                r#"{"res":[1,"a",{},1],"res":[1,"a",{},1]}"#,
                "more than once",
            ),
        ] {
            let err = parse_frame(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
    }
}

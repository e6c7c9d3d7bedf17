//! Decoding a client frame the way Clearnode v0.5.2 does (WIRE-3 to WIRE-8, WIRE-15, SIG-1), so
//! the embedded broker answers malformed frames with the same error and the same echoed id.
//!
//! Go's `encoding/json` walks members in document order, matches names case-insensitively, lets
//! the last duplicate win, aborts on an error raised inside the `req`/`res` array or a `sig`
//! entry, and merely records a plain type mismatch of a member and carries on. Which of the two
//! happened decides whether the request id is echoed (WIRE-8).

use super::members::{array_elements, as_string, as_u64, is_null, read_top_level, TopLevel};
use crate::crypto::decode_prefixed_hex;
use serde_json::value::RawValue;
use serde_json::Value;

/// A request that passed the envelope stages (steps 1–3 of WIRE-3, WIRE-4 and WIRE-5). WIRE-1:
/// `req` is `[id, method, params, ts]`, `sig` hex strings; WIRE-14: `sid` is read as a string
/// and otherwise ignored (no forwarding in 0.5.2).
#[derive(Debug, Clone, PartialEq)]
pub struct InboundRequest {
    pub id: u64,
    pub method: String,
    pub params: Value,
    pub ts: u64,
    /// Exact bytes of the `req` array: what the signatures cover.
    pub raw: String,
    /// Decoded `sig` entries (any length; recovery decides later, SIG-1).
    pub sig: Vec<Vec<u8>>,
}

/// The result of decoding one inbound frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// A zero-length frame: skipped with no reply (TRANS-4).
    Empty,
    Request(InboundRequest),
    /// An envelope error; `id` is `None` where the broker replies with its clock (WIRE-8).
    Rejected {
        message: &'static str,
        id: Option<u64>,
        /// Clearnode v0.5.2 dereferences a nil request here and the process exits (FUZZ-1).
        crashes_clearnode: bool,
    },
}

pub const INVALID_FORMAT: &str = "invalid message format";
pub const VALIDATION_FAILED: &str = "message validation failed";
pub const REQUEST_EMPTY: &str = "message request is empty";

/// How decoding a `req`/`res` array went.
#[derive(Debug, Default, Clone)]
struct Payload {
    /// `Some` once `"req": null` was seen after the value was pre-allocated (FUZZ-1 path).
    null: bool,
    present: bool,
    id: Option<u64>,
    method: Option<String>,
    params: Option<Value>,
    ts: Option<u64>,
    raw: String,
}

/// An error that stops Go's decoder at once (raised by a custom `UnmarshalJSON`).
struct Abort;

fn decode_payload(raw: &RawValue, into: &mut Payload) -> Result<(), Abort> {
    if is_null(raw) {
        *into = Payload {
            null: true,
            ..Payload::default()
        };
        return Ok(());
    }
    into.null = false;
    into.present = true;
    let elements = array_elements(raw).ok_or(Abort)?;
    if elements.len() != 4 {
        return Err(Abort);
    }
    // Elements are assigned one by one, so a failure later in the array keeps the id (WIRE-8).
    // WIRE-10: any uint64 id is accepted and echoed exactly.
    into.id = Some(as_u64(&elements[0]).ok_or(Abort)?);
    into.method = Some(as_string(&elements[1]).ok_or(Abort)?);
    // A number that does not fit a double (1e400) fails Go's decode into `any` (AS-AMT-3);
    // a lone surrogate does not (it becomes U+FFFD).
    into.params = Some(super::js::go_value(elements[2].get()).map_err(|_| Abort)?);
    into.ts = Some(as_u64(&elements[3]).ok_or(Abort)?);
    into.raw = raw.get().to_string();
    Ok(())
}

/// Go matches struct field names case-insensitively (WIRE-15).
fn member_name(name: &str) -> Option<&'static str> {
    ["req", "res", "sig", "sid"]
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(name))
}

/// Decodes one inbound frame as Clearnode v0.5.2 does.
pub fn decode(bytes: &[u8]) -> Inbound {
    if bytes.is_empty() {
        return Inbound::Empty;
    }
    let rejected = |message, id| Inbound::Rejected {
        message,
        id,
        crashes_clearnode: false,
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return rejected(INVALID_FORMAT, None);
    };
    let members = match read_top_level(text) {
        Err(_) => return rejected(INVALID_FORMAT, None),
        // Unmarshalling `null` into the envelope is a no-op: nothing is set (WIRE-4).
        Ok(TopLevel::Null) => return rejected(VALIDATION_FAILED, None),
        Ok(TopLevel::Other) => return rejected(INVALID_FORMAT, None),
        Ok(TopLevel::Object(m)) => m,
    };

    let mut req = Payload::default();
    let mut res = Payload::default();
    let mut sig: Vec<Vec<u8>> = Vec::new();
    let mut recorded_error = false;
    let mut aborted = false;
    for (name, raw) in &members.0 {
        match member_name(name) {
            Some("req") => aborted = decode_payload(raw, &mut req).is_err(),
            Some("res") => aborted = decode_payload(raw, &mut res).is_err(),
            Some("sig") => {
                if is_null(raw) {
                    sig.clear();
                } else if let Some(entries) = array_elements(raw) {
                    sig.clear();
                    for entry in entries {
                        match as_string(&entry).map(|s| decode_prefixed_hex(&s)) {
                            Some(Ok(bytes)) => sig.push(bytes),
                            _ => {
                                aborted = true;
                                break;
                            }
                        }
                    }
                } else {
                    recorded_error = true;
                }
            }
            Some("sid") if !is_null(raw) && as_string(raw).is_none() => recorded_error = true,
            _ => {}
        }
        if aborted {
            break;
        }
    }

    if aborted || recorded_error {
        return Inbound::Rejected {
            message: INVALID_FORMAT,
            id: if req.null { None } else { req.id },
            crashes_clearnode: req.null,
        };
    }
    if req.null {
        // WIRE-5: `"req":null` with a valid `res` passes validation and then hits the nil check.
        let message = if res.present {
            REQUEST_EMPTY
        } else {
            VALIDATION_FAILED
        };
        return rejected(message, None);
    }
    let complete = req.present
        && !res.present
        && req.id.unwrap_or(0) != 0
        && !req.method.as_deref().unwrap_or("").is_empty()
        && !matches!(req.params, None | Some(Value::Null))
        && req.ts.unwrap_or(0) != 0;
    if !complete {
        return rejected(VALIDATION_FAILED, None);
    }
    Inbound::Request(InboundRequest {
        id: req.id.unwrap_or_default(),
        method: req.method.unwrap_or_default(),
        params: req.params.unwrap_or(Value::Null),
        ts: req.ts.unwrap_or_default(),
        raw: req.raw,
        sig,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(text: &str) -> (&'static str, Option<u64>) {
        match decode(text.as_bytes()) {
            Inbound::Rejected { message, id, .. } => (message, id),
            other => panic!("{text}: expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn wire_3_invalid_format_cases() {
        for text in [
            "not json",
            " ",
            "[1,2]",
            r#""x""#,
            r#"{"req":[1,"ping",{},1]} x"#,
            r#"{"req":[1,"ping",{}]}"#,
            r#"{"req":[1,"ping",{},1,5]}"#,
            r#"{"req":["1","ping",{},1]}"#,
            r#"{"req":[-1,"ping",{},1]}"#,
            r#"{"req":[1.5,"ping",{},1]}"#,
            r#"{"req":[1e3,"ping",{},1]}"#,
            r#"{"req":[18446744073709551616,"ping",{},1]}"#,
            r#"{"sig":["zz"],"req":[7,"ping",{},1]}"#,
        ] {
            // WIRE-1: `req` is exactly [uint64 id, string method, params, uint64 ts]; SIG-1: sig
            // entries are 0x-prefixed hex.
            assert_eq!(rejected(text), (INVALID_FORMAT, None), "{text}");
        }
    }

    #[test]
    fn wire_8_id_echo_depends_on_what_was_decoded() {
        assert_eq!(
            rejected(r#"{"req":[7,"ping",{},1],"sig":["zz"]}"#),
            (INVALID_FORMAT, Some(7))
        );
        assert_eq!(rejected(r#"{"req":[7,5,{},1]}"#), (INVALID_FORMAT, Some(7)));
        assert_eq!(
            rejected(r#"{"req":[7,"m",{"a":1e400},1]}"#),
            (INVALID_FORMAT, Some(7))
        );
        // WIRE-14: a `sid` that is no string is a type mismatch.
        assert_eq!(
            rejected(r#"{"sid":1,"req":[7,"ping",{},1]}"#),
            (INVALID_FORMAT, Some(7))
        );
        assert_eq!(
            rejected(r#"{"req":[7,"ping",{},1],"sig":"x"}"#),
            (INVALID_FORMAT, Some(7))
        );
        assert_eq!(
            rejected(r#"{"req":[7,"ping",{},1],"sig":["0x0"]}"#),
            (INVALID_FORMAT, Some(7))
        );
        assert_eq!(
            rejected(r#"{"req":[7,"ping",{},1],"sig":[""]}"#),
            (INVALID_FORMAT, Some(7))
        );
    }

    #[test]
    fn wire_4_validation_failures() {
        for text in [
            "{}",
            "null",
            r#"{"sig":[]}"#,
            // WIRE-9: id 0 is for notifications only.
            r#"{"req":[0,"ping",{},1]}"#,
            r#"{"req":[1,"",{},1]}"#,
            r#"{"req":[1,"ping",null,1]}"#,
            r#"{"req":[1,"ping",{},0]}"#,
            r#"{"res":[1,"ping",{},1]}"#,
            r#"{"req":[1,"ping",{},1],"res":[1,"ping",{},1]}"#,
        ] {
            assert_eq!(rejected(text), (VALIDATION_FAILED, None), "{text}");
        }
    }

    #[test]
    fn wire_5_null_req_with_res() {
        assert_eq!(
            rejected(r#"{"req":null,"res":[1,"ping",{},1]}"#),
            (REQUEST_EMPTY, None)
        );
    }

    #[test]
    fn fuzz_1_null_req_then_error_is_flagged() {
        for text in [
            r#"{"req":null,"sig":0}"#,
            r#"{"req":null,"sig":[null]}"#,
            r#"{"sid":1,"req":null}"#,
        ] {
            match decode(text.as_bytes()) {
                Inbound::Rejected {
                    crashes_clearnode, ..
                } => assert!(crashes_clearnode, "{text}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn wire_15_member_names_and_duplicates() {
        let Inbound::Request(r) =
            decode(br#"{"REQ":[1,"a",{},1],"Sig":["0x01"],"req":[2, "b",[],3]}"#)
        else {
            panic!()
        };
        assert_eq!((r.id, r.method.as_str(), r.ts), (2, "b", 3));
        assert_eq!(r.raw, r#"[2, "b",[],3]"#);
        assert_eq!(r.sig, vec![vec![1u8]]);
        // TRANS-4: an empty frame gets no reply at all.
        assert_eq!(decode(b""), Inbound::Empty);
        let Inbound::Request(r) =
            decode(br#"{"req":[18446744073709551615,"ping",0,1],"sig":null,"x":1}"#)
        else {
            panic!()
        };
        // WIRE-10: the largest uint64 id; WIRE-13: params need not be an object here.
        assert_eq!(r.id, u64::MAX);
        assert!(r.sig.is_empty());
    }
}

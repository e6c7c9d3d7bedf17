//! `transfer` cases that compute what they send: the rest are rows of
//! `vectors/fillers/transfer.toml`.

use super::common::{frame, last_result, over_other, pair, want_err, want_ok};
use crate::scenario::{SigEdit, SigSpec};
use crate::vectors::Case;
use serde_json::json;

pub fn cases() -> Vec<Case> {
    vec![
        signature_over_other_bytes(),
        high_s_signature_accepted(),
        by_user_tag(),
    ]
}

/// A signs, then sends the high-s twin of its signature (s → n − s, v 27 ↔ 28).
fn high_s_signature_accepted() -> Case {
    let what = "A's signature with s replaced by n - s and v flipped (its high-s twin) recovers \
                to A: the transfer goes through, no low-s rule.";
    Case::new("transfer/high-s-signature-accepted", what)
        .rules(&["SIG-3", "API-12"])
        .script(|r| {
            let (_, b) = pair(r);
            let params =
                json!({"destination": b, "allocations": [{"asset": "usdc", "amount": "1"}]});
            frame(r, 99, "transfer", &params, |_| {
                vec![SigSpec::Edited {
                    name: "A".to_string(),
                    edit: SigEdit::Malleated,
                }]
            });
            want_ok(r);
        })
}

/// A signs the req with its amount changed from "1" to "2".
fn signature_over_other_bytes() -> Case {
    let what = "A's signature over different bytes recovers to a stranger: invalid signature.";
    Case::new("transfer/signature-over-other-bytes", what)
        .rules(&["SIG-2", "API-12"])
        .flags(&["invalid-input"])
        .script(|r| {
            let (_, b) = pair(r);
            let params =
                json!({"destination": b, "allocations": [{"asset": "usdc", "amount": "1"}]});
            frame(r, 99, "transfer", &params, |req| {
                vec![over_other("A", &req.replace("\"1\"", "\"2\""))]
            });
            want_err(r, "invalid signature");
        })
}

/// B reads its tag (the broker chose it at B's handshake, API-11), and A transfers to it: the
/// vector carries the tag as `${result:0.tag}`, so a replay sends the tag its broker chose.
fn by_user_tag() -> Case {
    let what =
        "A transfer by destination_user_tag (lower-case, upper-cased before lookup) reaches \
                B and echoes the tag.";
    Case::new("transfer/by-user-tag", what)
        .rules(&["API-12", "API-11"])
        .script(|r| {
            pair(r);
            r.request("B", "get_user_tag", json!({}), &[]);
            want_ok(r);
            let tag = last_result(r)["tag"]
                .as_str()
                .expect("B has a tag")
                .to_lowercase();
            let allocations = json!([{"asset": "usdc", "amount": "3"}]);
            let params = json!({"destination_user_tag": tag, "allocations": allocations});
            r.request("A", "transfer", params, &["A"]);
            want_ok(r);
        })
}

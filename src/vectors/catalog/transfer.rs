//! `transfer` cases that compute what they send: the rest are rows of
//! `vectors/fillers/transfer.toml`.

use super::common::{frame, over_other, pair, want_err, want_ok};
use crate::vectors::Case;
use serde_json::json;

pub fn cases() -> Vec<Case> {
    vec![signature_over_other_bytes(), by_user_tag()]
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

/// B's tag is the one the model gave B at its handshake.
fn by_user_tag() -> Case {
    let what =
        "A transfer by destination_user_tag (lower-case, upper-cased before lookup) reaches \
                B and echoes the tag.";
    Case::new("transfer/by-user-tag", what)
        .rules(&["API-12", "API-11"])
        .script(|r| {
            let (_, b) = pair(r);
            let tag = r.model().user_tag(&b).expect("B has a tag").to_lowercase();
            let allocations = json!([{"asset": "usdc", "amount": "3"}]);
            let params = json!({"destination_user_tag": tag, "allocations": allocations});
            r.request("A", "transfer", params, &["A"]);
            want_ok(r);
        })
}

//! `submit_app_state` cases that compute what they send or check: the rest are rows of
//! `vectors/fillers/operate.toml`.

use super::common::{frame, open, operate, over_other, signer, want_err, want_ok};
use crate::crypto::{keccak256, SecretKey, Signature};
use crate::vectors::coverage::V02;
use crate::vectors::recorder::identity_key;
use crate::vectors::Case;

/// The area a protocol's operate cases live in.
fn id(name: &str, p: &str) -> String {
    let area = if p == V02 {
        "submit-v02"
    } else {
        "submit-v04-operate"
    };
    format!("{area}/{name}")
}

pub fn cases() -> Vec<Case> {
    let mut v = super::common::per_protocol(signature_over_other_bytes);
    v.push(raw_key_order_and_spacing());
    v
}

/// B signs the req array with one extra leading space; the error names the address that
/// signature recovers to over the real req.
fn signature_over_other_bytes(p: &'static str) -> Case {
    let what = "B signs the req array with one extra space, which recovers to an unknown address \
                and fails the submit.";
    Case::new(id("signature-over-other-bytes", p), what)
        .rules(&["SIG-2", "SIG-10", "AS-QUORUM-1"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let s = open(r, p, "100", "50");
            let params = operate(p, &s.sid, 2, s.rows("50", "100"));
            let req = frame(r, 94, "submit_app_state", &params, |req| {
                vec![signer("A"), over_other("B", &format!(" {req}"))]
            });
            let stray = stray_signer(&identity_key("B"), &format!(" {req}"), &req);
            want_err(
                r,
                &format!("signature from unknown participant wallet {stray}"),
            );
        })
}

/// The address `key`'s signature over `signed` recovers to when checked against `checked`.
fn stray_signer(key: &SecretKey, signed: &str, checked: &str) -> String {
    Signature::from_hex(&key.sign_bytes_hex(signed.as_bytes()))
        .and_then(|sig| sig.recover(&keccak256(checked.as_bytes())))
        .expect("a valid signature recovers to something")
}

/// Keys reordered and spaces everywhere in the req array: valid when signed over those bytes.
fn raw_key_order_and_spacing() -> Case {
    let what = "A 0.2 submit whose req array has spaces and its keys reordered is valid when \
                signed over exactly those bytes.";
    Case::new(id("raw-key-order-and-spacing", V02), what)
        .rules(&["SIG-2", "SIG-10", "AS-GEN-1"])
        .protocol(V02)
        .script(|r| {
            let s = open(r, V02, "100", "50");
            let rows = serde_json::to_string(&s.rows("60", "90")).expect("json");
            let params = format!(
                "{{ \"allocations\" : {rows} , \"app_session_id\" : \"{}\" }}",
                s.sid
            );
            let req = super::common::req_text(r, 96, "submit_app_state", &params, 0);
            let signers = ["B", "A"].map(signer).to_vec();
            r.raw_request("A", &req.replace(',', ", "), 0, signers);
            want_ok(r);
        })
}

//! `create_app_session` cases that compute what they send or check: the rest are rows of
//! `vectors/fillers/create.toml`.

use super::common::{frame, over_other, pair, per_protocol, signer, vid, want_err, want_ok};
use crate::vectors::build::{create, definition, row, session_id};
use crate::vectors::coverage::{V02, V04};
use crate::vectors::Case;
use serde_json::json;

const AREA: &str = "create";

pub fn cases() -> Vec<Case> {
    let mut v = per_protocol(protocol_unknown_version);
    v.extend(per_protocol(absent_optional_fields));
    v.extend(per_protocol(signature_other_bytes));
    v
}

/// The version next to the supported one: the description names it.
fn protocol_unknown_version(p: &'static str) -> Case {
    let bad = if p == V02 {
        "NitroRPC/0.1"
    } else {
        "NitroRPC/0.5"
    };
    let what = format!("Only 0.2 and 0.4 are supported: {bad} is rejected with its name echoed.");
    Case::new(vid(AREA, "protocol-unknown-version", p), what)
        .rules(&["AS-DEF-3"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let d = definition("app", bad, &[&a, &b], &[50, 50], 100, 1);
            r.request("A", "create_app_session", create(d, vec![], None), &["A"]);
            want_err(r, &format!("unsupported protocol: {bad}"));
        })
}

/// The digest's two AS-ID-4 examples are checked against the builder's hash (not sent); the
/// case sends the one of its protocol's shape.
fn absent_optional_fields(p: &'static str) -> Case {
    let example = if p == V02 { "second" } else { "first" };
    let what = format!(
        "Like the {example} AS-ID-4 example, a definition without application and challenge \
         hashes them as \"\" and 0."
    );
    Case::new(vid(AREA, "id-absent-application-and-challenge", p), what)
        .rules(&["AS-ID-2", "AS-ID-4", "AS-DEF-1"])
        .protocol(p)
        .script(move |r| {
            let hh_a = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
            let hh_b = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
            let mut chess = definition("chess", V04, &[hh_a, hh_b], &[50, 50], 100, 1);
            chess["challenge"] = json!(86400);
            let chess_id = "0x4b1e7acde82b2f2b1f2f0d8747f9ccecfe54843aff583beaaf14f0d3ef5d603d";
            assert_eq!(session_id(&chess), chess_id);
            let bare = json!({"protocol": V02, "participants": [hh_a, hh_b], "weights": [1, 1],
                "quorum": 2, "nonce": 42});
            let bare_id = "0x06b558fccaaca56e30fa686e0511b5299f2a52a7039a8c6e0b06104f64b351ca";
            assert_eq!(session_id(&bare), bare_id);
            let (a, b) = pair(r);
            let d = json!({"protocol": p, "participants": [a, b], "weights": [1, 1], "quorum": 2,
                "nonce": 42});
            let sid = session_id(&d);
            let rows = vec![row(&a, "usdc", "5")];
            r.request("A", "create_app_session", create(d, rows, None), &["A"]);
            want_ok(r);
            r.request(
                "A",
                "get_app_definition",
                json!({"app_session_id": sid}),
                &[],
            );
            want_ok(r);
        })
}

/// B signs the req array with a space after its first comma: the signature recovers to some
/// other address.
fn signature_other_bytes(p: &'static str) -> Case {
    let what = "B's signature over a re-spaced copy of the req array recovers to some other \
                address, so B's row lacks a signature.";
    Case::new(vid(AREA, "signature-over-other-bytes", p), what)
        .rules(&["AS-GEN-1", "SIG-2", "SIG-10", "AS-CREATE-1"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let d = definition("app", p, &[&a, &b], &[50, 50], 100, 1);
            let params = create(d, vec![row(&a, "usdc", "1"), row(&b, "usdc", "1")], None);
            frame(r, 91, "create_app_session", &params, |req| {
                vec![signer("A"), over_other("B", &req.replacen(',', ", ", 1))]
            });
            want_err(r, &format!("missing signature for participant {b}"));
        })
}

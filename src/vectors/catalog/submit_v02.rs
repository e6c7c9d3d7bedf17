//! `submit_app_state` on NitroRPC/0.2 sessions: no intent, no version, always operate
//! (AS-V02-1), plus the operate scenarios shared with 0.4.

use super::common::{open, pair, want_err, want_ok, want_spec_reject};
use super::operate_shared;
use crate::vectors::build::{create, definition, row, session_id, submit_v02, submit_v04};
use crate::vectors::coverage::V02;
use crate::vectors::Case;
use serde_json::json;

const UNSUPPORTED: &str =
    "incorrect request: specified parameters are not supported in this protocol";

fn id(name: &str) -> String {
    format!("submit-v02/{name}")
}

pub fn cases() -> Vec<Case> {
    let mut v = operate_shared::cases(V02);
    v.extend([
        Case::new(id("intent-operate-rejected"), "A 0.2 session refuses any intent, even \"operate\".")
            .rules(&["AS-V02-1", "AS-SUBMIT-1"])
            .flags(&["invalid-input"])
            .protocol(V02)
            .script(|r| {
                let s = open(r, V02, "100", "50");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "operate", 0, s.rows("50", "100")), &["A", "B"]);
                want_err(r, UNSUPPORTED);
            }),
        Case::new(id("intent-deposit-rejected"), "A 0.2 session has no deposit intent.")
            .rules(&["AS-V02-1"])
            .flags(&["invalid-input"])
            .protocol(V02)
            .script(|r| {
                let s = open(r, V02, "100", "50");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "deposit", 0, s.rows("150", "50")), &["A", "B"]);
                want_err(r, UNSUPPORTED);
            }),
        Case::new(id("version-rejected"), "A 0.2 submit carrying the next version (2) is refused.")
            .rules(&["AS-V02-1"])
            .flags(&["invalid-input"])
            .protocol(V02)
            .script(|r| {
                let s = open(r, V02, "100", "50");
                let mut params = submit_v02(&s.sid, s.rows("50", "100"));
                params["version"] = json!(2);
                r.request("A", "submit_app_state", params, &["A", "B"]);
                want_err(r, UNSUPPORTED);
            }),
        Case::new(id("empty-intent-zero-version"), "An explicit empty intent and version 0 count as absent, and the version still increments automatically.")
            .rules(&["AS-V02-1", "AS-SUBMIT-2"])
            .protocol(V02)
            .script(|r| {
                let s = open(r, V02, "100", "50");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "", 0, s.rows("50", "100")), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("null-intent-and-version"), "null intent and version decode as absent and are accepted.")
            .rules(&["AS-V02-1", "AS-GEN-6"])
            .protocol(V02)
            .script(|r| {
                let s = open(r, V02, "100", "50");
                let mut params = submit_v02(&s.sid, s.rows("50", "100"));
                params["intent"] = json!(null);
                params["version"] = json!(null);
                r.request("A", "submit_app_state", params, &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("protocol-gate-before-quorum"), "The 0.2 parameter check runs before quorum: an unsigned submit with an intent reports the protocol error.")
            .rules(&["AS-V02-1", "AS-SUBMIT-1"])
            .flags(&["invalid-input"])
            .protocol(V02)
            .script(|r| {
                let s = open(r, V02, "100", "50");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "withdraw", 0, s.rows("50", "50")), &[]);
                want_err(r, UNSUPPORTED);
            }),
        Case::new(id("replay-rolls-back"), "Resending the same signed 0.2 state byte for byte within 60 s is accepted again and rolls the session back (Q-25).")
            .rules(&["AS-V02-1", "REPLAY-3", "REPLAY-1"])
            .quirks(&["Q-25"])
            .protocol(V02)
            .script(|r| {
                let s = open(r, V02, "100", "50");
                r.request("A", "submit_app_state", submit_v02(&s.sid, s.rows("50", "100")), &["A", "B"]);
                want_ok(r);
                let replay = super::common::last_step_index(r);
                r.request("A", "submit_app_state", submit_v02(&s.sid, s.rows("120", "30")), &["A", "B"]);
                want_ok(r);
                r.resend("A", replay);
                want_ok(r);
            }),
        Case::new(id("empty-total-asset-not-deposited"), "After duplicate rows destroyed the whole usdc total (Q-2), a row in usdc is \"not deposited\" although the asset has entries.")
            .rules(&["SPEC-1", "AS-OP-2", "AS-OP-1"])
            .quirks(&["Q-2"])
            .flags(&["conservation"])
            .protocol(V02)
            .script(|r| {
                let s = open(r, V02, "100", "0");
                let rows = vec![row(&s.a, "usdc", "100"), row(&s.a, "usdc", "0")];
                r.request("A", "submit_app_state", submit_v02(&s.sid, rows), &["A", "B"]);
                want_ok(r);
                want_spec_reject(r);
                r.request("A", "submit_app_state", submit_v02(&s.sid, vec![row(&s.b, "usdc", "5")]), &["A", "B"]);
                want_err(r, "incorrect operate request: non-zero allocations sum delta: asset usdc is not deposited into the app session. Please deposit the asset first");
            }),
        Case::new(id("weights-quorum-one-signer"), "With weights 100/0 and quorum 100, A alone may move B's share: operate has no per-participant signature rule.")
            .rules(&["AS-OP-3", "AS-QUORUM-1"])
            .protocol(V02)
            .script(|r| {
                let (a, b) = pair(r);
                let d = definition("app", V02, &[&a, &b], &[100, 0], 100, 1);
                let sid = session_id(&d);
                r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "10"), row(&b, "usdc", "10")], None), &["A", "B"]);
                r.request("A", "submit_app_state", submit_v02(&sid, vec![row(&a, "usdc", "20"), row(&b, "usdc", "0")]), &["A"]);
                want_ok(r);
            }),
        Case::new(id("raw-key-order-and-spacing"), "A 0.2 submit whose req array has spaces and its keys reordered is valid when signed over exactly those bytes.")
            .rules(&["SIG-2", "SIG-10", "AS-GEN-1"])
            .protocol(V02)
            .script(|r| {
                let s = open(r, V02, "100", "50");
                let rows = serde_json::to_string(&s.rows("60", "90")).expect("json");
                let params = format!("{{ \"allocations\" : {rows} , \"app_session_id\" : \"{}\" }}", s.sid);
                let req = super::common::req_text(r, 96, "submit_app_state", &params, 0).replace(',', ", ");
                r.raw_request("A", &req, 0, super::common::signers(&["B", "A"]));
                want_ok(r);
            }),
    ]);
    v
}

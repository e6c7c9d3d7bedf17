//! Operate scenarios that hold for both protocols: a 0.2 submit always operates (AS-V02-1), a
//! 0.4 submit operates with intent `operate` (AS-V04-1). Each scenario is filed under
//! `submit-v02/` or `submit-v04-operate/` depending on the protocol it runs with.

use super::common::{
    open, operate, req_text, sign, unknown_session_id, want_err, want_ok, want_one_of,
    want_spec_reject, Open,
};
use crate::vectors::build::{create, definition, row, session_id, submit_v04};
use crate::vectors::coverage::V02;
use crate::vectors::format::SigSpec;
use crate::vectors::recorder::Recorder;
use crate::vectors::Case;
use serde_json::json;

/// The area a protocol's operate cases live in.
pub fn area(protocol: &str) -> &'static str {
    if protocol == V02 {
        "submit-v02"
    } else {
        "submit-v04-operate"
    }
}

fn id(name: &str, p: &str) -> String {
    format!("{}/{name}", area(p))
}

/// The submit that operates at `version` under `p`.
fn op(s: &Open, p: &str, version: u64, x: &str, y: &str) -> serde_json::Value {
    operate(p, &s.sid, version, s.rows(x, y))
}

const NOT_FOUND: &str = "an open app session not found: record not found";
const OP_PREFIX: &str = "incorrect operate request: non-zero allocations sum delta: ";

pub fn cases(p: &'static str) -> Vec<Case> {
    vec![
        Case::new(id("ok-redistribute", p), "A quorate operate moves 30 from A to B inside the session, bumps the version to 2 and sends asu to both participants, with no service bu.")
            .rules(&["AS-SUBMIT-1", "AS-SUBMIT-2", "AS-OP-1", "AS-OP-2", "AS-OP-3", "AS-NOTIF-3", "AS-NOTIF-4", "AS-INV-1", "AS-INV-2", "NOTIF-6", "AS-MODEL-1"])
            .quirks(&["Q-13", "Q-24"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "submit_app_state", op(&s, p, 2, "70", "80"), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("twice-version-3", p), "Two accepted operates leave the session at version 3; a failed one in between does not count.")
            .rules(&["AS-INV-2", "AS-INV-4", "AS-SUBMIT-2"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "submit_app_state", op(&s, p, 2, "70", "80"), &["A", "B"]);
                want_ok(r);
                r.request("A", "submit_app_state", op(&s, p, 3, "70", "81"), &["A", "B"]);
                want_err(r, &format!("{OP_PREFIX}asset usdc not fully redistributed"));
                r.request("A", "submit_app_state", op(&s, p, 3, "0", "150"), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("unknown-session", p), "A submit for an id no session has is not found.")
            .rules(&["AS-SUBMIT-1"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "submit_app_state", operate(p, &unknown_session_id(), 2, s.rows("50", "100")), &["A", "B"]);
                want_err(r, NOT_FOUND);
            }),
        Case::new(id("uppercase-session-id", p), "The session id matches exactly: its upper-case hex spelling is not found.")
            .rules(&["AS-SUBMIT-1"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let upper = format!("0x{}", s.sid[2..].to_uppercase());
                r.request("A", "submit_app_state", operate(p, &upper, 2, s.rows("50", "100")), &["A", "B"]);
                want_err(r, NOT_FOUND);
            }),
        Case::new(id("empty-session-id", p), "An empty session id gets no special check: it is just not found.")
            .rules(&["AS-SUBMIT-1"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "submit_app_state", operate(p, "", 2, s.rows("50", "100")), &["A", "B"]);
                want_err(r, NOT_FOUND);
            }),
        Case::new(id("closed-session", p), "Once closed, a session is not found by submit, and it never changes again.")
            .rules(&["AS-SUBMIT-1", "AS-INV-2"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "close_app_session", crate::vectors::build::close(&s.sid, s.rows("100", "50")), &["A", "B"]);
                want_ok(r);
                r.request("A", "submit_app_state", op(&s, p, 3, "50", "100"), &["A", "B"]);
                want_err(r, NOT_FOUND);
            }),
        Case::new(id("sub-quorum", p), "A alone (weight 50 of quorum 100) cannot operate.")
            .rules(&["AS-QUORUM-1", "AS-QUORUM-2", "AS-SUBMIT-1"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "submit_app_state", op(&s, p, 2, "50", "100"), &["A"]);
                want_err(r, "incorrect submit_state request: quorum not reached: 50 / 100");
            }),
        Case::new(id("unknown-signer", p), "A signature by C, who is no participant, fails the operate even though A and B reach quorum.")
            .rules(&["AS-QUORUM-1", "AS-GEN-7", "SIG-4"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let c = r.wallet("C");
                r.request("A", "submit_app_state", op(&s, p, 2, "50", "100"), &["A", "B", "C"]);
                want_err(r, &format!("signature from unknown participant wallet {c}"));
            }),
        Case::new(id("not-fully-redistributed", p), "Rows summing to 151 against a session total of 150 are rejected with the operate prefix.")
            .rules(&["AS-OP-2", "AS-INV-4"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "submit_app_state", op(&s, p, 2, "51", "100"), &["A", "B"]);
                want_err(r, &format!("{OP_PREFIX}asset usdc not fully redistributed"));
            }),
        Case::new(id("sum-numeric-equality", p), "The sum check is numeric: rows \"100.00\" and \"50.0\" match a total of 150.")
            .rules(&["AS-OP-2", "AS-AMT-2"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "submit_app_state", op(&s, p, 2, "100.00", "50.0"), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("empty-allocations-funded", p), "An empty allocation list does not match a non-zero total and is rejected.")
            .rules(&["AS-OP-2", "AS-OP-3"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "submit_app_state", operate(p, &s.sid, 2, vec![]), &["A", "B"]);
                want_err(r, &format!("{OP_PREFIX}asset usdc not fully redistributed"));
            }),
        Case::new(id("empty-allocations-empty-session", p), "When every total is 0, an empty allocation list is accepted as a pure version and session_data update.")
            .rules(&["AS-OP-3", "AS-SUBMIT-1", "AS-INV-2"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "0", "0");
                let mut params = operate(p, &s.sid, 2, vec![]);
                params["session_data"] = json!("{\"turn\":1}");
                r.request("A", "submit_app_state", params, &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("non-participant-row", p), "A row for C, who is no participant, is rejected by name.")
            .rules(&["AS-OP-1"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let c = r.wallet("C");
                let mut rows = s.rows("50", "50");
                rows.push(row(&c, "usdc", "50"));
                r.request("A", "submit_app_state", operate(p, &s.sid, 2, rows), &["A", "B"]);
                want_err(r, &format!("allocation to non-participant {c}"));
            }),
        Case::new(id("negative-row", p), "A negative row fails first, before the non-participant check of the same row.")
            .rules(&["AS-OP-1", "AS-AMT-5"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let c = r.wallet("C");
                let rows = vec![row(&s.a, "usdc", "150"), row(&c, "usdc", "-0.50")];
                r.request("A", "submit_app_state", operate(p, &s.sid, 2, rows), &["A", "B"]);
                want_err(r, "negative allocation: -0.5 for asset usdc");
            }),
        Case::new(id("unknown-asset", p), "A row in an asset the session never held is reported as unknown after the session's assets pass.")
            .rules(&["AS-OP-2"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let mut rows = s.rows("100", "50");
                rows.push(row(&s.a, "eth", "1"));
                r.request("A", "submit_app_state", operate(p, &s.sid, 2, rows), &["A", "B"]);
                want_err(r, &format!("{OP_PREFIX}allocation references unknown asset eth"));
            }),
        Case::new(id("zero-row-unknown-asset", p), "A zero row in an unknown asset is tolerated: only non-zero sums are reported.")
            .rules(&["AS-OP-2", "AS-OP-1"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let mut rows = s.rows("100", "50");
                rows.push(row(&s.a, "eth", "0"));
                r.request("A", "submit_app_state", operate(p, &s.sid, 2, rows), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("left-out-participant", p), "Leaving B (50) out while A takes the whole total 150 is accepted and creates 50 (Q-1); the spec profile rejects it.")
            .rules(&["SPEC-2", "AS-OP-3", "AS-INV-1"])
            .quirks(&["Q-1"])
            .flags(&["conservation"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "submit_app_state", operate(p, &s.sid, 2, vec![row(&s.a, "usdc", "150")]), &["A", "B"]);
                want_ok(r);
                want_spec_reject(r);
            }),
        Case::new(id("duplicate-rows", p), "Rows [A 50, A 100, B 0] pass the sum check but A ends at 100 and B at 0, destroying 50 (Q-2); the spec profile rejects duplicates.")
            .rules(&["SPEC-1", "AS-OP-1", "AS-OP-3", "AS-INV-1"])
            .quirks(&["Q-2"])
            .flags(&["conservation"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let rows = vec![row(&s.a, "usdc", "50"), row(&s.a, "usdc", "100"), row(&s.b, "usdc", "0")];
                r.request("A", "submit_app_state", operate(p, &s.sid, 2, rows), &["A", "B"]);
                want_ok(r);
                want_spec_reject(r);
            }),
        Case::new(id("session-data-kept-and-replaced", p), "session_data replaces the stored value when given (\"\" too) and is kept when absent; asu shows it.")
            .rules(&["AS-SUBMIT-1", "AS-NOTIF-3"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let mut first = op(&s, p, 2, "90", "60");
                first["session_data"] = json!("{\"move\":\"e4\"}");
                r.request("A", "submit_app_state", first, &["A", "B"]);
                want_ok(r);
                r.request("A", "submit_app_state", op(&s, p, 3, "80", "70"), &["A", "B"]);
                want_ok(r);
                let mut third = op(&s, p, 4, "70", "80");
                third["session_data"] = json!("");
                r.request("A", "submit_app_state", third, &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("stale-timestamp", p), "A fully signed operate with a ts 61 s old is refused before the handler.")
            .rules(&["AS-GEN-5", "WIRE-12"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request_at("A", "submit_app_state", op(&s, p, 2, "50", "100"), &["A", "B"], -61_000);
                want_err(r, "invalid message timestamp");
            }),
        Case::new(id("unauthenticated", p), "A fully signed operate on an unauthenticated connection is refused.")
            .rules(&["AS-GEN-5", "AUTH-14"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                r.connect("anon", None);
                let s = open(r, p, "100", "50");
                r.request("anon", "submit_app_state", op(&s, p, 2, "50", "100"), &["A", "B"]);
                want_err(r, "authentication required");
            }),
        Case::new(id("non-participant-caller", p), "A non-participant caller may submit a fully signed operate: only the signatures matter.")
            .rules(&["AS-GEN-5", "AS-QUORUM-1"])
            .protocol(p)
            .script(move |r| {
                r.participant("C");
                let s = open(r, p, "100", "50");
                r.request("C", "submit_app_state", op(&s, p, 2, "50", "100"), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("malformed-signature", p), "One signature of 65 zero bytes fails the whole submit with the wallets fallback.")
            .rules(&["AS-GEN-7", "AS-GEN-3", "SIG-6"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                bad_sig(r, &s, p, &format!("0x{}", "00".repeat(65)));
                want_err(r, "failed to get wallets from RPC message");
            }),
        Case::new(id("signature-wrong-v", p), "A signature whose v byte is 29 does not recover, so the submit fails with the wallets fallback.")
            .rules(&["AS-GEN-1", "SIG-3", "SIG-6"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let params = serde_json::to_string(&op(&s, p, 2, "50", "100")).expect("json");
                let req = req_text(r, 92, "submit_app_state", &params, 0);
                let sigs = vec![
                    SigSpec::Signer { name: "A".into() },
                    SigSpec::SignerV { name: "B".into(), v: 29 },
                ];
                r.raw_request("A", &req, 0, sigs);
                want_err(r, "failed to get wallets from RPC message");
            }),
        Case::new(id("signature-v-0-1", p), "Signatures with v = 0/1 instead of 27/28 are accepted.")
            .rules(&["AS-GEN-1", "SIG-3"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let params = serde_json::to_string(&op(&s, p, 2, "50", "100")).expect("json");
                let req = req_text(r, 93, "submit_app_state", &params, 0);
                let sigs = vec![
                    SigSpec::SignerV01 { name: "A".into() },
                    SigSpec::SignerV01 { name: "B".into() },
                ];
                r.raw_request("A", &req, 0, sigs);
                want_ok(r);
            }),
        Case::new(id("signature-over-other-bytes", p), "B signs the req array with one extra space, which recovers to an unknown address and fails the submit.")
            .rules(&["SIG-2", "SIG-10", "AS-QUORUM-1"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let params = serde_json::to_string(&op(&s, p, 2, "50", "100")).expect("json");
                let req = req_text(r, 94, "submit_app_state", &params, 0);
                let other = format!(" {req}");
                let stray = crate::crypto::Signature::from_hex(&sign(&other, &["B"])[0])
                    .and_then(|sig| sig.recover(&crate::crypto::keccak256(req.as_bytes())))
                    .expect("a valid signature recovers to something");
                let mut sigs = super::common::signers(&["A"]);
                sigs.push(super::common::over_other("B", &other));
                r.raw_request("A", &req, 0, sigs);
                want_err(r, &format!("signature from unknown participant wallet {stray}"));
            }),
        Case::new(id("lower-case-participant", p), "A participant written in lower case can never be matched by a recovered (EIP-55) signer, so its signature is an unknown wallet (Q-17).")
            .rules(&["SPEC-8", "AS-GEN-8", "AS-QUORUM-1"])
            .quirks(&["Q-17"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let (a, b) = super::common::pair(r);
                let lower_b = b.to_lowercase();
                let d = definition("app", p, &[&a, &lower_b], &[50, 50], 50, 1);
                let sid = session_id(&d);
                r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "10")], None), &["A"]);
                want_ok(r);
                r.request("A", "submit_app_state", operate(p, &sid, 2, vec![row(&a, "usdc", "10")]), &["A", "B"]);
                want_err(r, &format!("signature from unknown participant wallet {b}"));
            }),
        Case::new(id("params-type-mismatch", p), "allocations given as an object fail to parse before the session lookup.")
            .rules(&["AS-GEN-6", "AS-SUBMIT-1"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let mut params = op(&s, p, 2, "50", "100");
                params["allocations"] = json!({"participant": s.a});
                r.request("A", "submit_app_state", params, &["A", "B"]);
                want_err(r, "failed to parse parameters");
            }),
        Case::new(id("two-failing-assets", p), "When two assets fail the sum check, Clearnode names either one (Q-10): both texts are accepted.")
            .rules(&["AS-OP-2"])
            .quirks(&["Q-10"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let (a, b) = super::common::pair(r);
                r.fund("A", "eth", "10");
                let d = definition("app", p, &[&a, &b], &[50, 50], 100, 1);
                let sid = session_id(&d);
                let rows = vec![row(&a, "usdc", "10"), row(&a, "eth", "1")];
                r.request("A", "create_app_session", create(d, rows, None), &["A"]);
                want_ok(r);
                let rows = vec![row(&a, "usdc", "9"), row(&a, "eth", "2")];
                r.request("A", "submit_app_state", operate(p, &sid, 2, rows), &["A", "B"]);
                want_one_of(r, &[&format!("{OP_PREFIX}asset usdc not fully redistributed"), &format!("{OP_PREFIX}asset eth not fully redistributed")]);
            }),
        Case::new(id("oversized-amount-ledger-error", p), "A row of 1e47 (a ledger entry of magnitude ≥ 1e46) fails at the ledger write (numeric overflow) before the sum check would (Q-16).")
            .rules(&["SPEC-5", "AS-AMT-4", "AS-OP-1"])
            .quirks(&["Q-16"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "submit_app_state", op(&s, p, 2, "1e47", "50"), &["A", "B"]);
                super::common::want_err_prefix(r, "failed to record a ledger entry : ");
            }),
        Case::new(id("just-below-overflow", p), "A row just below 1e46 is written, so the sum check is what rejects it.")
            .rules(&["AS-AMT-4", "AS-OP-2"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "submit_app_state", op(&s, p, 2, "9999999999999999999999999999999999999999999999", "50"), &["A", "B"]);
                want_err(r, &format!("{OP_PREFIX}asset usdc not fully redistributed"));
            }),
    ]
}

fn bad_sig(r: &mut Recorder, s: &Open, p: &str, bad: &str) {
    let params = serde_json::to_string(&op(s, p, 2, "50", "100")).expect("json");
    let req = req_text(r, 95, "submit_app_state", &params, 0);
    let mut sigs = super::common::signers(&["A", "B"]);
    sigs.push(super::common::literal(bad));
    r.raw_request("A", &req, 0, sigs);
}

/// Keeps the v04 builder in scope for callers that build explicit intents.
pub fn v04_submit(s: &Open, intent: &str, version: u64, x: &str, y: &str) -> serde_json::Value {
    submit_v04(&s.sid, intent, version, s.rows(x, y))
}

//! `close_app_session` (AS-CLOSE-1..3) under both protocols: parameter checks, lookup, quorum in
//! submit_state wording, the row walk and the bare sum-check messages.

use super::common::{
    open, operate, pair, per_protocol, req_text, unknown_session_id, vid, want_err, want_ok,
    want_spec_reject,
};
use crate::vectors::build::{close, create, definition, row, session_id, submit_v02, submit_v04};
use crate::vectors::coverage::{V02, V04};
use crate::vectors::Case;
use serde_json::json;

const AREA: &str = "close";
const NOT_FOUND: &str = "an open app session not found: record not found";
const MISSING: &str = "missing required parameters: app_id or allocations";

pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    for p in [V02, V04] {
        v.extend(for_protocol(p));
    }
    v.extend(per_protocol(not_deposited));
    v
}

fn for_protocol(p: &'static str) -> Vec<Case> {
    vec![
        Case::new(vid(AREA, "ok-matching-rows", p), "A quorate close paying out the current balances closes the session at version 2; each paid participant gets a bu and nobody an asu.")
            .rules(&["AS-CLOSE-1", "AS-CLOSE-3", "AS-NOTIF-2", "AS-NOTIF-4", "AS-INV-1", "AS-INV-2"])
            .quirks(&["Q-12"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "close_app_session", close(&s.sid, s.rows("100", "50")), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(vid(AREA, "redistribute-freely", p), "Close may pay out differently from the balances: [A 150, B 0] from A 100 / B 50 is accepted, and the zero row is allowed.")
            .rules(&["AS-CLOSE-2", "AS-CLOSE-1"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "close_app_session", close(&s.sid, s.rows("150", "0")), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(vid(AREA, "not-fully-redistributed", p), "Rows summing to 149 against 150 fail with the bare message (no operate prefix).")
            .rules(&["AS-CLOSE-1", "AS-INV-4"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "close_app_session", close(&s.sid, s.rows("100", "49")), &["A", "B"]);
                want_err(r, "asset usdc not fully redistributed");
            }),
        Case::new(vid(AREA, "unknown-asset", p), "A non-zero row in an asset the session never held is reported bare.")
            .rules(&["AS-CLOSE-1"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let mut rows = s.rows("100", "50");
                rows.push(row(&s.b, "eth", "1"));
                r.request("A", "close_app_session", close(&s.sid, rows), &["A", "B"]);
                want_err(r, "allocation references unknown asset eth");
            }),
        Case::new(vid(AREA, "empty-session-id", p), "An empty session id is a missing parameter, checked before the lookup.")
            .rules(&["AS-CLOSE-1"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "close_app_session", close("", s.rows("100", "50")), &["A", "B"]);
                want_err(r, MISSING);
            }),
        Case::new(vid(AREA, "empty-allocations", p), "An empty allocation list is a missing parameter, even for an unknown session id.")
            .rules(&["AS-CLOSE-1"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                open(r, p, "100", "50");
                r.request("A", "close_app_session", close(&unknown_session_id(), vec![]), &["A", "B"]);
                want_err(r, MISSING);
            }),
        Case::new(vid(AREA, "null-allocations", p), "null allocations count as missing.")
            .rules(&["AS-CLOSE-1", "AS-GEN-6"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "close_app_session", json!({"app_session_id": s.sid, "allocations": null}), &["A", "B"]);
                want_err(r, MISSING);
            }),
        Case::new(vid(AREA, "unknown-session", p), "Closing an id no session has is not found.")
            .rules(&["AS-CLOSE-1"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "close_app_session", close(&unknown_session_id(), s.rows("100", "50")), &["A", "B"]);
                want_err(r, NOT_FOUND);
            }),
        Case::new(vid(AREA, "uppercase-session-id", p), "The id must match exactly: upper-case hex is not found.")
            .rules(&["AS-CLOSE-1"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let upper = format!("0x{}", s.sid[2..].to_uppercase());
                r.request("A", "close_app_session", close(&upper, s.rows("100", "50")), &["A", "B"]);
                want_err(r, NOT_FOUND);
            }),
        Case::new(vid(AREA, "twice", p), "A second close of the same session is not found: a closed session never changes.")
            .rules(&["AS-CLOSE-1", "AS-INV-2"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "close_app_session", close(&s.sid, s.rows("100", "50")), &["A", "B"]);
                want_ok(r);
                r.request("A", "close_app_session", close(&s.sid, s.rows("100", "50")), &["A", "B"]);
                want_err(r, NOT_FOUND);
            }),
        Case::new(vid(AREA, "sub-quorum-wording", p), "A sub-quorum close reports the submit_state wording (Q-11).")
            .rules(&["AS-QUORUM-2", "AS-CLOSE-1"])
            .quirks(&["Q-11"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "close_app_session", close(&s.sid, s.rows("100", "50")), &["A"]);
                want_err(r, "incorrect submit_state request: quorum not reached: 50 / 100");
            }),
        Case::new(vid(AREA, "unknown-signer", p), "A stray signature from C fails the close even with A and B signing.")
            .rules(&["AS-QUORUM-1", "AS-CLOSE-1"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let c = r.wallet("C");
                r.request("A", "close_app_session", close(&s.sid, s.rows("100", "50")), &["C", "A", "B"]);
                want_err(r, &format!("signature from unknown participant wallet {c}"));
            }),
        Case::new(vid(AREA, "negative-row", p), "A negative row is refused by amount.")
            .rules(&["AS-CLOSE-1"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "close_app_session", close(&s.sid, s.rows("151", "-1")), &["A", "B"]);
                want_err(r, "negative allocation: -1 for asset usdc");
            }),
        Case::new(vid(AREA, "non-participant-row", p), "A row for non-participant C is refused by name.")
            .rules(&["AS-CLOSE-1"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let c = r.wallet("C");
                let rows = vec![row(&s.a, "usdc", "100"), row(&c, "usdc", "50")];
                r.request("A", "close_app_session", close(&s.sid, rows), &["A", "B"]);
                want_err(r, &format!("allocation to non-participant {c}"));
            }),
        Case::new(vid(AREA, "version-and-intent-ignored", p), "Close ignores version and intent fields, so an old version closes a 0.4 session too (Q-29).")
            .rules(&["AS-CLOSE-1"])
            .quirks(&["Q-29"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let mut params = close(&s.sid, s.rows("100", "50"));
                params["version"] = json!(1);
                params["intent"] = json!("withdraw");
                r.request("A", "close_app_session", params, &["A", "B"]);
                want_ok(r);
            }),
        Case::new(vid(AREA, "left-out-participant-stranded", p), "Close [A 150] pays A the full total while B's 50 stays stranded in the closed session, creating 50 (Q-3).")
            .rules(&["SPEC-3", "AS-CLOSE-2", "AS-INV-1"])
            .quirks(&["Q-3"])
            .flags(&["conservation"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "close_app_session", close(&s.sid, vec![row(&s.a, "usdc", "150")]), &["A", "B"]);
                want_ok(r);
                want_spec_reject(r);
            }),
        Case::new(vid(AREA, "duplicate-rows-harmless", p), "Duplicate rows at close are harmless: the first empties the pair, the second debits 0.")
            .rules(&["AS-CLOSE-1", "AS-INV-1"])
            .quirks(&["Q-28"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let rows = vec![row(&s.a, "usdc", "60"), row(&s.a, "usdc", "40"), row(&s.b, "usdc", "50")];
                r.request("A", "close_app_session", close(&s.sid, rows), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(vid(AREA, "empty-session", p), "A session that never held funds closes with a zero row; nobody gets a service bu.")
            .rules(&["AS-CLOSE-1", "AS-CLOSE-3"])
            .quirks(&["Q-28", "Q-6"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "0", "0");
                r.request("A", "close_app_session", close(&s.sid, vec![row(&s.a, "usdc", "0")]), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(vid(AREA, "session-data-replaced", p), "Close replaces session_data when given; the closed record shows it.")
            .rules(&["AS-CLOSE-1", "AS-READ-1"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let mut params = close(&s.sid, s.rows("100", "50"));
                params["session_data"] = json!("{\"result\":\"draw\"}");
                r.request("A", "close_app_session", params, &["A", "B"]);
                want_ok(r);
                r.request("A", "get_app_sessions", json!({"participant": s.a, "status": "closed"}), &[]);
                want_ok(r);
            }),
        Case::new(vid(AREA, "after-operate", p), "After an operate, close must match the new total; the per-participant split may differ.")
            .rules(&["AS-CLOSE-2", "AS-INV-2"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request("A", "submit_app_state", operate(p, &s.sid, 2, s.rows("20", "130")), &["A", "B"]);
                want_ok(r);
                r.request("A", "close_app_session", close(&s.sid, s.rows("75", "75")), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(vid(AREA, "malformed-signature", p), "A 1-byte signature (\"0x00\") next to valid ones fails the close with the wallets fallback.")
            .rules(&["AS-GEN-7", "SIG-6", "SIG-1"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                let params = serde_json::to_string(&close(&s.sid, s.rows("100", "50"))).expect("json");
                let req = req_text(r, 97, "close_app_session", &params, 0);
                let mut sigs = super::common::signers(&["A", "B"]);
                sigs.push(super::common::literal("0x00"));
                r.raw_request("A", &req, 0, sigs);
                want_err(r, "failed to get wallets from RPC message");
            }),
        Case::new(vid(AREA, "stale-timestamp", p), "A close with a 61 s old ts is refused by the auth middleware.")
            .rules(&["AS-GEN-5", "WIRE-12"])
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.request_at("A", "close_app_session", close(&s.sid, s.rows("100", "50")), &["A", "B"], -61_000);
                want_err(r, "invalid message timestamp");
            }),
        Case::new(vid(AREA, "challenged-channel-not-guarded", p), "Close runs no channel guard: A's challenged channel does not stop A being paid.")
            .rules(&["AS-CHAN-1", "AS-CLOSE-1"])
            .flags(&["needs-channel-hook"])
            .protocol(p)
            .script(move |r| {
                let s = open(r, p, "100", "50");
                r.channel("A", crate::model::ChannelStatus::Challenged, "1");
                r.request("A", "close_app_session", close(&s.sid, s.rows("100", "50")), &["A", "B"]);
                want_ok(r);
            }),
    ]
}

/// A session whose usdc entries exist but sum to 0: a withdraw (0.4) or Q-2 (0.2) emptied it.
fn not_deposited(p: &'static str) -> Case {
    Case::new(vid(AREA, "asset-not-deposited", p), "When the usdc total is 0 but the asset has entries, a non-zero usdc row at close is \"not deposited\", reported bare.")
        .rules(&["AS-CLOSE-1", "AS-OP-2"])
        .quirks(if p == V02 { &["Q-2"] } else { &[] })
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let d = definition("app", p, &[&a, &b], &[50, 50], 100, 1);
            let sid = session_id(&d);
            r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "100")], None), &["A"]);
            if p == V02 {
                // the last row sets A to 0 while the sum (100) matches the total.
                r.request("A", "submit_app_state", submit_v02(&sid, vec![row(&a, "usdc", "100"), row(&a, "usdc", "0")]), &["A", "B"]);
            } else {
                r.request("A", "submit_app_state", submit_v04(&sid, "withdraw", 2, vec![row(&a, "usdc", "0")]), &["A", "B"]);
            }
            r.request("A", "close_app_session", close(&sid, vec![row(&b, "usdc", "5")]), &["A", "B"]);
            want_err(r, "asset usdc is not deposited into the app session. Please deposit the asset first");
        })
}

//! One case per observable Clearnode v0.5.2 quirk (app-sessions.md §14), named
//! `quirks/q-<n>-<what>`. Q-23 (concurrent requests without row locks) is not observable in a
//! sequential vector and has no case here.

use super::common::{open, open_with, pair, want_err, want_ok, want_one_of, want_spec_reject};
use crate::model::ChannelStatus;
use crate::vectors::build::{close, create, definition, row, session_id, submit_v02, submit_v04};
use crate::vectors::coverage::{V02, V04};
use crate::vectors::format::Auth;
use crate::vectors::recorder::allowances;
use crate::vectors::Case;
use serde_json::json;

fn id(name: &str) -> String {
    format!("quirks/{name}")
}

const OP: &str = "incorrect operate request: non-zero allocations sum delta: ";

pub fn cases() -> Vec<Case> {
    vec![
        Case::new(id("q-1-operate-creates-money"), "From A 50 / B 50, operate [A 100] passes the sum check while B keeps 50: the session total becomes 150.")
            .rules(&["SPEC-2", "AS-OP-3", "AS-INV-1"])
            .quirks(&["Q-1"])
            .flags(&["conservation"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "50", "50");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "operate", 2, vec![row(&s.a, "usdc", "100")]), &["A", "B"]);
                want_ok(r);
                want_spec_reject(r);
            }),
        Case::new(id("q-2-operate-duplicates-destroy-money"), "From A 100 / B 0, operate [A 30, A 70] passes and leaves A at 70: 30 disappear.")
            .rules(&["SPEC-1", "AS-OP-3", "AS-INV-1"])
            .quirks(&["Q-2"])
            .flags(&["conservation"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "0");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "operate", 2, vec![row(&s.a, "usdc", "30"), row(&s.a, "usdc", "70")]), &["A", "B"]);
                want_ok(r);
                want_spec_reject(r);
            }),
        Case::new(id("q-3-close-strands-left-out-balance"), "From A 50 / B 50, close [A 100] credits A 100 while B's 50 stays in the closed session (G +50).")
            .rules(&["SPEC-3", "AS-CLOSE-2", "AS-INV-1"])
            .quirks(&["Q-3"])
            .flags(&["conservation"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "50", "50");
                r.request("A", "close_app_session", close(&s.sid, vec![row(&s.a, "usdc", "100")]), &["A", "B"]);
                want_ok(r);
                want_spec_reject(r);
            }),
        Case::new(id("q-4-create-non-participant-row"), "A signed row for non-participant C is accepted at create; C's funds then cannot be withdrawn by C, and the participants must pay them out at close.")
            .rules(&["SPEC-4", "AS-CREATE-3", "AS-WD-1", "AS-CLOSE-2", "AS-INV-1"])
            .quirks(&["Q-4"])
            .flags(&["conservation"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = pair(r);
                let c = r.wallet("C");
                r.fund("C", "usdc", "40");
                let d = definition("app", V04, &[&a, &b], &[50, 50], 100, 1);
                let sid = session_id(&d);
                r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "10"), row(&c, "usdc", "40")], None), &["A", "C"]);
                want_ok(r);
                want_spec_reject(r);
                r.request("A", "submit_app_state", submit_v04(&sid, "withdraw", 2, vec![row(&c, "usdc", "0")]), &["A", "B"]);
                want_err(r, "incorrect withdrawal request: non-negative allocations sum delta");
                r.request("A", "close_app_session", close(&sid, vec![row(&a, "usdc", "50")]), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("q-5-quorum-zero-stored-as-100"), "Quorum 0 is hashed as 0 but stored as 100: get_app_definition reports 100 for the id derived with 0.")
            .rules(&["SPEC-6", "AS-DEF-3", "AS-ID-2", "AS-READ-2"])
            .quirks(&["Q-5"])
            .flags(&["invalid-input"])
            .protocol(V02)
            .script(|r| {
                let (a, b) = pair(r);
                let d = definition("app", V02, &[&a, &b], &[50, 50], 0, 1);
                let sid = session_id(&d);
                r.request("A", "create_app_session", create(d, vec![], None), &[]);
                want_ok(r);
                want_spec_reject(r);
                r.request("A", "get_app_definition", json!({"app_session_id": sid}), &[]);
            }),
        Case::new(id("q-6-zero-allocation-create-unsigned"), "A create with only zero allocations needs no signature at all: C creates a session naming A and B.")
            .rules(&["AS-CREATE-2"])
            .quirks(&["Q-6"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = pair(r);
                r.participant("C");
                let d = definition("app", V04, &[&a, &b], &[50, 50], 100, 1);
                r.request("C", "create_app_session", create(d, vec![row(&a, "usdc", "0"), row(&b, "usdc", "0")], None), &[]);
                want_ok(r);
            }),
        Case::new(id("q-7-duplicate-participants"), "Participants [A, A, B] with weights [60, 0, 40] and quorum 60 are accepted, but A's stored weight is the later 0: A alone gets 0 / 60.")
            .rules(&["SPEC-7", "AS-DEF-3", "AS-QUORUM-1"])
            .quirks(&["Q-7"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = pair(r);
                let d = definition("app", V04, &[&a, &a, &b], &[60, 0, 40], 60, 1);
                let sid = session_id(&d);
                r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "10")], None), &["A"]);
                want_ok(r);
                want_spec_reject(r);
                r.request("A", "submit_app_state", submit_v04(&sid, "operate", 2, vec![row(&a, "usdc", "0"), row(&b, "usdc", "10")]), &["A"]);
                want_err(r, "incorrect submit_state request: quorum not reached: 0 / 60");
            }),
        Case::new(id("q-8-withdraw-duplicates-over-withdraw"), "From A 100, withdraw [A 0, A 0] credits 200 to A and leaves A's session balance at -100.")
            .rules(&["SPEC-1", "AS-WD-1", "AS-INV-3"])
            .quirks(&["Q-8"])
            .flags(&["conservation"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "0");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "withdraw", 2, vec![row(&s.a, "usdc", "0"), row(&s.a, "usdc", "0")]), &["A", "B"]);
                want_ok(r);
                want_spec_reject(r);
            }),
        Case::new(id("q-9-deposit-duplicates-deposit-twice"), "From A 100, deposit [A 150, A 150] debits 100 and leaves A at 200.")
            .rules(&["SPEC-1", "AS-DEP-2", "AS-INV-1"])
            .quirks(&["Q-9"])
            .flags(&["conservation"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "0");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "deposit", 2, vec![row(&s.a, "usdc", "150"), row(&s.a, "usdc", "150")]), &["A", "B"]);
                want_ok(r);
                want_spec_reject(r);
            }),
        Case::new(id("q-10-random-choice-of-unknown-signer"), "Two strangers sign a close; either may be named, and both texts are accepted.")
            .rules(&["AS-QUORUM-1"])
            .quirks(&["Q-10"])
            .flags(&["invalid-input"])
            .protocol(V02)
            .script(|r| {
                let s = open(r, V02, "10", "10");
                let c = r.wallet("C");
                let d = r.wallet("D");
                r.request("A", "close_app_session", close(&s.sid, s.rows("10", "10")), &["D", "A", "C", "B"]);
                want_one_of(r, &[&format!("signature from unknown participant wallet {c}"), &format!("signature from unknown participant wallet {d}")]);
            }),
        Case::new(id("q-11-close-quorum-wording"), "A sub-quorum close says submit_state.")
            .rules(&["AS-QUORUM-2"])
            .quirks(&["Q-11"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "10", "10");
                r.request("A", "close_app_session", close(&s.sid, s.rows("10", "10")), &["B"]);
                want_err(r, "incorrect submit_state request: quorum not reached: 50 / 100");
            }),
        Case::new(id("q-12-response-zero-fields"), "Create, submit and close responses carry version as a number and the zero-valued fields of the shared struct (participants null, protocol \"\").")
            .rules(&["AS-CREATE-5", "AS-SUBMIT-2", "AS-CLOSE-3"])
            .quirks(&["Q-12"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "10", "10");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "operate", 2, s.rows("5", "15")), &["A", "B"]);
                want_ok(r);
                r.request("A", "close_app_session", close(&s.sid, s.rows("5", "15")), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("q-13-application-always-empty"), "The session's application \"app\" is shown by get_app_sessions but is \"\" in get_app_definition and in asu.")
            .rules(&["AS-READ-1", "AS-READ-2", "AS-NOTIF-3"])
            .quirks(&["Q-13"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "10", "10");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "operate", 2, s.rows("5", "15")), &["A", "B"]);
                r.request("A", "get_app_definition", json!({"app_session_id": s.sid}), &[]);
                want_ok(r);
                r.request("A", "get_app_sessions", json!({"participant": s.a}), &[]);
                want_ok(r);
            }),
        Case::new(id("q-14-ledger-balances-own-share"), "get_ledger_balances(account_id = session) gives A only its own 30 of the session's 100.")
            .rules(&["AS-READ-3"])
            .quirks(&["Q-14"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "30", "70");
                r.request("A", "get_ledger_balances", json!({"account_id": s.sid}), &[]);
                want_ok(r);
            }),
        Case::new(id("q-15-nonce-rounded-through-double"), "Nonce 9007199254740993 is stored and hashed as 9007199254740992, so that is the id, and the definition shows it.")
            .rules(&["AS-DEF-2", "AS-ID-2", "AS-READ-2"])
            .quirks(&["Q-15"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = pair(r);
                let sent = definition("app", V04, &[&a, &b], &[50, 50], 100, 9_007_199_254_740_993);
                let stored = definition("app", V04, &[&a, &b], &[50, 50], 100, 9_007_199_254_740_992);
                r.request("A", "create_app_session", create(sent, vec![], None), &[]);
                want_ok(r);
                r.request("A", "get_app_definition", json!({"app_session_id": session_id(&stored)}), &[]);
                want_ok(r);
            }),
        Case::new(id("q-16-ledger-overflow-before-sum-check"), "An operate row of 1e47 fails the ledger write (DECIMAL(64,18) overflow) before the sum check, so the error is the database's.")
            .rules(&["SPEC-5", "AS-AMT-4", "AS-OP-1"])
            .quirks(&["Q-16"])
            .flags(&["invalid-input"])
            .protocol(V02)
            .script(|r| {
                let s = open(r, V02, "10", "10");
                r.request("A", "submit_app_state", submit_v02(&s.sid, s.rows("1e47", "0")), &["A", "B"]);
                super::common::want_err_prefix(r, "failed to record a ledger entry : ");
            }),
        Case::new(id("q-17-lower-case-participant"), "B written in lower case can never sign, and the asu meant for it reaches no connection.")
            .rules(&["SPEC-8", "AS-GEN-8", "AS-NOTIF-3", "AS-NOTIF-1"])
            .quirks(&["Q-17"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = pair(r);
                let lower = b.to_lowercase();
                let d = definition("app", V04, &[&a, &lower], &[100, 0], 100, 1);
                let sid = session_id(&d);
                r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "10")], None), &["A"]);
                want_ok(r);
                want_spec_reject(r);
                r.request("A", "submit_app_state", submit_v04(&sid, "operate", 2, vec![row(&a, "usdc", "4"), row(&lower, "usdc", "6")]), &["A"]);
                want_ok(r);
            }),
        Case::new(id("q-18-empty-intent-operates"), "A 0.4 submit with intent \"\" operates.")
            .rules(&["AS-V04-1"])
            .quirks(&["Q-18"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "10", "10");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "", 2, s.rows("0", "20")), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("q-19-version-probe"), "An authenticated non-participant learns the next version with an unsigned submit.")
            .rules(&["AS-V04-1"])
            .quirks(&["Q-19"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                r.participant("C");
                let s = open(r, V04, "10", "10");
                r.request("C", "submit_app_state", submit_v04(&s.sid, "operate", 0, vec![]), &[]);
                want_err(r, "incorrect app state: incorrect version: expected 2, got 0");
            }),
        Case::new(id("q-20-unknown-intent-after-quorum"), "An unknown intent is only reported once quorum is met: first the quorum error, then the intent error.")
            .rules(&["AS-SUBMIT-1"])
            .quirks(&["Q-20"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "10", "10");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "transfer", 2, s.rows("0", "20")), &["A"]);
                want_err(r, "incorrect submit_state request: quorum not reached: 50 / 100");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "transfer", 2, s.rows("0", "20")), &["A", "B"]);
                want_err(r, "incorrect app state: unsupported intent: transfer");
            }),
        Case::new(id("q-21-deposit-negative-after-over-withdraw"), "After Q-8 leaves A at -100, a deposit row of -50 is an increase and reaches the negative-allocation check.")
            .rules(&["AS-DEP-1", "AS-WD-1"])
            .quirks(&["Q-21", "Q-8"])
            .flags(&["invalid-input", "conservation"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "0");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "withdraw", 2, vec![row(&s.a, "usdc", "0"), row(&s.a, "usdc", "0")]), &["A", "B"]);
                want_ok(r);
                r.request("A", "submit_app_state", submit_v04(&s.sid, "deposit", 3, vec![row(&s.a, "usdc", "-50")]), &["A", "B"]);
                want_err(r, "negative allocation: -50 for asset usdc");
            }),
        Case::new(id("q-22-create-checks-signature-before-channels"), "At create the signature check precedes the channel guards: B's unsigned row with a challenged channel reports the missing signature.")
            .rules(&["AS-CREATE-1", "AS-CHAN-1"])
            .quirks(&["Q-22"])
            .flags(&["needs-channel-hook", "invalid-input"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = pair(r);
                r.channel("B", ChannelStatus::Challenged, "0");
                let d = definition("app", V04, &[&a, &b], &[50, 50], 100, 1);
                r.request("A", "create_app_session", create(d, vec![row(&b, "usdc", "5")], None), &["A"]);
                want_err(r, &format!("missing signature for participant {b}"));
            }),
        Case::new(id("q-24-middleware-bu-on-failure"), "A failed submit by caller C (no participant) still pushes C's own bu; A and B get nothing.")
            .rules(&["AS-NOTIF-2", "AS-NOTIF-4", "NOTIF-4"])
            .quirks(&["Q-24"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                r.participant("C");
                r.fund("C", "usdc", "3");
                let s = open(r, V04, "10", "10");
                r.request("C", "submit_app_state", submit_v04(&s.sid, "operate", 2, s.rows("10", "11")), &["A", "B"]);
                want_err(r, &format!("{OP}asset usdc not fully redistributed"));
            }),
        Case::new(id("q-25-v02-replay-rolls-back"), "A signed 0.2 state replayed byte for byte after a newer one is accepted again.")
            .rules(&["AS-V02-1", "REPLAY-3"])
            .quirks(&["Q-25"])
            .protocol(V02)
            .script(|r| {
                let s = open(r, V02, "10", "10");
                r.request("A", "submit_app_state", submit_v02(&s.sid, s.rows("0", "20")), &["A", "B"]);
                let old = super::common::last_step_index(r);
                r.request("A", "submit_app_state", submit_v02(&s.sid, s.rows("20", "0")), &["A", "B"]);
                r.resend("A", old);
                want_ok(r);
            }),
        Case::new(id("q-26-invalid-sort"), "get_app_sessions with an invalid sort fails with its fallback text.")
            .rules(&["AS-READ-1", "API-0"])
            .quirks(&["Q-26"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                r.request("c", "get_app_sessions", json!({"sort": "asc; drop"}), &[]);
                want_err(r, "failed to get application sessions");
            }),
        Case::new(id("q-27-withdraw-keeps-allowance-spent"), "A capped key deposits 10 of 10, the funds are withdrawn, and a new deposit of 1 still finds 0 available.")
            .rules(&["AS-SK-3", "SK-5"])
            .quirks(&["Q-27"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = pair(r);
                r.session_key("A.app");
                let auth = Auth { wallet: "A".into(), session_key: "A.app".into(), application: "app".into(), scope: "app".into(), expires_in_s: 86_400, allowances: allowances(&[("usdc", "10")]) };
                r.connect("A2", Some(auth));
                let s = open_with(r, V04, a, b, &[50, 50], 100, "0", "0");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "deposit", 2, vec![row(&s.a, "usdc", "10")]), &["A.app", "B"]);
                want_ok(r);
                r.request("A", "submit_app_state", submit_v04(&s.sid, "withdraw", 3, vec![row(&s.a, "usdc", "0")]), &["A", "B"]);
                want_ok(r);
                r.request("A", "submit_app_state", submit_v04(&s.sid, "deposit", 4, vec![row(&s.a, "usdc", "1")]), &["A.app", "B"]);
                want_err(r, "session key spending validation failed: operation denied: insufficient session key allowance: 1 required, 0 available");
            }),
        Case::new(id("q-28-close-records-zero-rows"), "Close writes an app_withdrawal transaction even for B's zero row; with fresh sequences a later transfer gets transaction id 4 (deposit 1, withdrawals 2 and 3).")
            .rules(&["AS-CLOSE-1", "API-12"])
            .quirks(&["Q-28"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "10", "0");
                r.request("A", "close_app_session", close(&s.sid, s.rows("10", "0")), &["A", "B"]);
                want_ok(r);
                r.request("A", "transfer", json!({"destination": s.b, "allocations": [{"asset": "usdc", "amount": "1"}]}), &["A"]);
                want_ok(r);
            }),
        Case::new(id("q-29-close-ignores-version"), "A 0.4 close carrying a stale version 1 is accepted.")
            .rules(&["AS-CLOSE-1"])
            .quirks(&["Q-29"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "10", "10");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "operate", 2, s.rows("0", "20")), &["A", "B"]);
                let mut params = close(&s.sid, s.rows("0", "20"));
                params["version"] = json!(1);
                r.request("A", "close_app_session", params, &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("q-30-weight-beyond-int32"), "A weight of 2^31 passes validation and fails at insert with the generic fallback, rolling back A's funding row.")
            .rules(&["AS-CREATE-1", "AS-GEN-3"])
            .quirks(&["Q-30"])
            .flags(&["invalid-input"])
            .protocol(V02)
            .script(|r| {
                let (a, b) = pair(r);
                let d = definition("app", V02, &[&a, &b], &[2_147_483_648, 0], 1, 1);
                r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "5")], None), &["A"]);
                want_err(r, "failed to create application session");
            }),
        Case::new(id("q-31-duplicate-create"), "Re-creating an existing definition fails with the generic fallback.")
            .rules(&["AS-ID-3"])
            .quirks(&["Q-31"])
            .flags(&["invalid-input"])
            .protocol(V02)
            .script(|r| {
                let s = open(r, V02, "0", "0");
                r.request("B", "create_app_session", create(s.def.clone(), vec![], None), &[]);
                want_err(r, "failed to create application session");
            }),
        Case::new(id("q-32-synthetic-error-id"), "A frame with request id 0 fails validation and the error echoes the broker's clock as id, not 0 (the vector records the text; runners check the id).")
            .rules(&["WIRE-4", "WIRE-8"])
            .quirks(&["Q-32"])
            .flags(&["envelope", "invalid-input"])
            .script(|r| {
                r.connect("c", None);
                r.raw("c", "{\"req\":[0,\"ping\",{},1700000000000],\"sig\":[]}");
                want_err(r, "message validation failed");
            }),
        Case::new(id("q-33-empty-string-amount"), "An amount of \"\" is not zero: it fails to parse.")
            .rules(&["AS-AMT-1"])
            .quirks(&["Q-33"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = pair(r);
                let d = definition("app", V04, &[&a, &b], &[50, 50], 100, 1);
                r.request("A", "create_app_session", create(d, vec![row(&b, "usdc", "")], None), &[]);
                want_err(r, "failed to parse parameters");
            }),
        Case::new(id("q-34-weight-sum-wraps"), "Three weights of 2^63-1024 (read back as 9223372036854775000, AS-DEF-2) sum past 2^64 and wrap to 9223372036854773384, so quorum 2^63 (read as 9223372036854776000) fails the target check though the true sum is larger.")
            .rules(&["AS-DEF-3", "AS-DEF-2"])
            .quirks(&["Q-34"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = pair(r);
                let c = r.wallet("C");
                let w = 9_223_372_036_854_774_784;
                let d = definition("app", V04, &[&a, &b, &c], &[w, w, w], 9_223_372_036_854_775_808, 1);
                r.request("A", "create_app_session", create(d, vec![], None), &[]);
                want_err(r, "target quorum (9223372036854776000) cannot be greater than total sum of weights (9223372036854773384)");
            }),
        Case::new(id("q-35-lower-case-self-transfer"), "A transfer to one's own address in lower case passes the self check and moves nothing.")
            .rules(&["API-12", "ADDR-2"])
            .quirks(&["Q-35"])
            .script(|r| {
                let (a, _) = pair(r);
                r.request("A", "transfer", json!({"destination": a.to_lowercase(), "allocations": [{"asset": "usdc", "amount": "5"}]}), &["A"]);
                want_ok(r);
            }),
        Case::new(id("q-36-empty-channels-counted"), "With an empty open channel and a funded resizing one, the guard counts 2 channels.")
            .rules(&["AS-CHAN-2"])
            .quirks(&["Q-36"])
            .flags(&["needs-channel-hook", "invalid-input"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = pair(r);
                r.channel("A", ChannelStatus::Open, "0");
                r.channel("A", ChannelStatus::Resizing, "2");
                let d = definition("app", V04, &[&a, &b], &[50, 50], 100, 1);
                r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "1")], None), &["A"]);
                want_err(r, &format!("operation denied: non-zero allocation in 2 channel(s) detected owned by wallet {a}"));
            }),
        Case::new(id("q-37-empty-participant-row"), "A positive row for participant \"\" is taken as signed through A's (non-existent) session key; unsigned, it is a missing signature with a trailing space.")
            .rules(&["SPEC-8", "AS-CREATE-1", "AS-SK-3"])
            .quirks(&["Q-37"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = pair(r);
                let d = definition("app", V04, &[&a, &b], &[50, 50], 100, 1);
                r.request("A", "create_app_session", create(d.clone(), vec![row("", "usdc", "1")], None), &["A"]);
                want_err(r, &format!("session key validation failed: failed to retrieve session key {a}: record not found"));
                r.request("A", "create_app_session", create(d, vec![row("", "usdc", "1")], None), &[]);
                want_err(r, "missing signature for participant ");
            }),
    ]
}

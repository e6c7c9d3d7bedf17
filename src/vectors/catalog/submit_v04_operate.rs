//! `submit_app_state` on NitroRPC/0.4 sessions with intent `operate` (or empty, Q-18): the
//! version rule (AS-V04-1), intent dispatch, plus the operate scenarios shared with 0.2.

use super::common::{open, want_err, want_ok};
use super::operate_shared::{self, v04_submit};
use crate::vectors::build::{row, submit_v04};
use crate::vectors::coverage::V04;
use crate::vectors::Case;
use serde_json::json;

fn id(name: &str) -> String {
    format!("submit-v04-operate/{name}")
}

pub fn cases() -> Vec<Case> {
    let mut v = operate_shared::cases(V04);
    v.extend([
        Case::new(id("version-skipped"), "Version 3 on a session at version 1 is refused with the expected version.")
            .rules(&["AS-V04-1", "AS-SUBMIT-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "operate", 3, "50", "100"), &["A", "B"]);
                want_err(r, "incorrect app state: incorrect version: expected 2, got 3");
            }),
        Case::new(id("version-stale"), "Re-using the current version (1) is refused.")
            .rules(&["AS-V04-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "operate", 1, "50", "100"), &["A", "B"]);
                want_err(r, "incorrect app state: incorrect version: expected 2, got 1");
            }),
        Case::new(id("version-replayed"), "After an accepted version 2, resending a version-2 state is refused: 0.4 versions stop replays.")
            .rules(&["AS-V04-1", "REPLAY-3", "AS-INV-2"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "operate", 2, "50", "100"), &["A", "B"]);
                want_ok(r);
                let replay = super::common::last_step_index(r);
                r.resend("A", replay);
                want_err(r, "incorrect app state: incorrect version: expected 3, got 2");
            }),
        Case::new(id("version-missing"), "An absent version counts as 0.")
            .rules(&["AS-V04-1", "AS-DEF-2"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                let params = json!({"app_session_id": s.sid, "intent": "operate", "allocations": s.rows("50", "100")});
                r.request("A", "submit_app_state", params, &["A", "B"]);
                want_err(r, "incorrect app state: incorrect version: expected 2, got 0");
            }),
        Case::new(id("version-as-string"), "A version written as a string fails to parse.")
            .rules(&["AS-GEN-6", "AS-DEF-2"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                let mut params = v04_submit(&s, "operate", 2, "50", "100");
                params["version"] = json!("2");
                r.request("A", "submit_app_state", params, &["A", "B"]);
                want_err(r, "failed to parse parameters");
            }),
        Case::new(id("version-float"), "A version of 2.0 is read as the integer 2 and accepted.")
            .rules(&["AS-DEF-2", "AS-V04-1"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                let mut params = v04_submit(&s, "operate", 2, "50", "100");
                params["version"] = json!(2.0);
                r.request("A", "submit_app_state", params, &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("version-probe-unsigned"), "The version check runs before quorum, so an unsigned submit learns the expected version (Q-19).")
            .rules(&["AS-V04-1", "AS-SUBMIT-1"])
            .quirks(&["Q-19"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                r.participant("C");
                let s = open(r, V04, "100", "50");
                r.request("C", "submit_app_state", v04_submit(&s, "operate", 99, "50", "100"), &[]);
                want_err(r, "incorrect app state: incorrect version: expected 2, got 99");
            }),
        Case::new(id("empty-intent-is-operate"), "An empty intent operates (Q-18), though the docs call intent required.")
            .rules(&["AS-V04-1", "AS-SUBMIT-1"])
            .quirks(&["Q-18"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "", 2, "50", "100"), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("intent-absent-is-operate"), "An absent intent operates too.")
            .rules(&["AS-V04-1", "AS-SUBMIT-1"])
            .quirks(&["Q-18"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                let params = json!({"app_session_id": s.sid, "version": 2, "allocations": s.rows("50", "100")});
                r.request("A", "submit_app_state", params, &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("unknown-intent"), "An unknown intent is reported only after quorum and the session-key checks pass (Q-20).")
            .rules(&["AS-SUBMIT-1"])
            .quirks(&["Q-20"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "swap", 2, "50", "100"), &["A", "B"]);
                want_err(r, "incorrect app state: unsupported intent: swap");
            }),
        Case::new(id("unknown-intent-sub-quorum"), "With too few signatures an unknown intent reports the quorum error in submit_state wording (Q-20).")
            .rules(&["AS-QUORUM-2", "AS-SUBMIT-1"])
            .quirks(&["Q-20"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "Operate", 2, "50", "100"), &["B"]);
                want_err(r, "incorrect submit_state request: quorum not reached: 50 / 100");
            }),
        Case::new(id("intent-case-sensitive"), "Intents are case-sensitive: \"OPERATE\" is unsupported.")
            .rules(&["AS-SUBMIT-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "OPERATE", 2, "50", "100"), &["A", "B"]);
                want_err(r, "incorrect app state: unsupported intent: OPERATE");
            }),
        Case::new(id("asset-omitted-when-total-zero"), "An asset whose session total went to 0 may be left out of an operate, while the funded asset is redistributed.")
            .rules(&["AS-OP-3", "AS-OP-2"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = super::common::pair(r);
                r.fund("A", "eth", "5");
                let d = crate::vectors::build::definition("app", V04, &[&a, &b], &[50, 50], 100, 1);
                let sid = crate::vectors::build::session_id(&d);
                let rows = vec![row(&a, "usdc", "10"), row(&a, "eth", "5")];
                r.request("A", "create_app_session", crate::vectors::build::create(d, rows, None), &["A"]);
                r.request("A", "submit_app_state", submit_v04(&sid, "withdraw", 2, vec![row(&a, "eth", "0")]), &["A", "B"]);
                want_ok(r);
                r.request("A", "submit_app_state", submit_v04(&sid, "operate", 3, vec![row(&a, "usdc", "4"), row(&b, "usdc", "6")]), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("asset-not-deposited"), "After a withdraw empties usdc, a non-zero usdc row is \"not deposited\": deposit it first.")
            .rules(&["AS-OP-2", "AS-WD-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "withdraw", 2, "0", "0"), &["A", "B"]);
                want_ok(r);
                r.request("A", "submit_app_state", v04_submit(&s, "operate", 3, "5", "0"), &["A", "B"]);
                want_err(r, "incorrect operate request: non-zero allocations sum delta: asset usdc is not deposited into the app session. Please deposit the asset first");
            }),
    ]);
    v
}

//! `submit_app_state` intent `deposit` on NitroRPC/0.4 sessions (AS-DEP-1..2): increases only,
//! paid from the depositor's unified balance, with the depositor's signature.

use super::common::{open, open_with, pair, want_err, want_ok, want_spec_reject};
use super::operate_shared::v04_submit;
use crate::model::ChannelStatus;
use crate::vectors::build::{create, definition, row, session_id, submit_v04};
use crate::vectors::coverage::V04;
use crate::vectors::Case;

fn id(name: &str) -> String {
    format!("deposit/{name}")
}

pub fn cases() -> Vec<Case> {
    vec![
        Case::new(id("ok-one-depositor"), "A raises its row from 100 to 130: 30 leave A's unified balance, A gets a service bu, both get asu, then A gets the middleware bu.")
            .rules(&["AS-DEP-1", "AS-DEP-2", "AS-NOTIF-2", "AS-NOTIF-3", "AS-NOTIF-4", "AS-INV-1", "AS-SUBMIT-2"])
            .quirks(&["Q-24"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 2, "130", "50"), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("ok-both-deposit"), "Both participants deposit in one request; each depositor gets a bu (in any order, Q-10).")
            .rules(&["AS-DEP-1", "AS-DEP-2", "AS-NOTIF-2"])
            .quirks(&["Q-10"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 2, "110", "75"), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("decreased-allocation"), "A row below its current balance is refused in the first pass, naming the participant.")
            .rules(&["AS-DEP-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 2, "130", "49"), &["A", "B"]);
                want_err(r, &format!("incorrect deposit request: decreased allocation for participant {}", s.b));
            }),
        Case::new(id("negative-is-decrease"), "With a non-negative balance, a negative row hits the decrease check first (Q-21).")
            .rules(&["AS-DEP-1"])
            .quirks(&["Q-21"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 2, "-1", "50"), &["A", "B"]);
                want_err(r, &format!("incorrect deposit request: decreased allocation for participant {}", s.a));
            }),
        Case::new(id("nothing-increased"), "Rows equal to the current balances deposit nothing and are refused.")
            .rules(&["AS-DEP-1", "AS-DEP-2"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 2, "100", "50"), &["A", "B"]);
                want_err(r, "incorrect deposit request: non-positive allocations sum delta");
            }),
        Case::new(id("empty-list"), "An empty deposit list is refused as a non-positive delta.")
            .rules(&["AS-DEP-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "deposit", 2, vec![]), &["A", "B"]);
                want_err(r, "incorrect deposit request: non-positive allocations sum delta");
            }),
        Case::new(id("depositor-signature-required"), "With weights 100/0, A alone reaches quorum but cannot deposit on B's behalf.")
            .rules(&["AS-DEP-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = pair(r);
                let s = open_with(r, V04, a, b, &[100, 0], 100, "10", "10");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 2, "10", "20"), &["A"]);
                want_err(r, "incorrect deposit request: depositor signature is required");
            }),
        Case::new(id("depositor-via-root-key"), "The depositor may sign through its root session key.")
            .rules(&["AS-DEP-1", "AS-SK-1"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = pair(r);
                let s = open_with(r, V04, a, b, &[100, 0], 100, "10", "10");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 2, "10", "20"), &["A", "B.sk"]);
                want_ok(r);
            }),
        Case::new(id("insufficient-unified-balance"), "A deposit delta above the unified balance is refused.")
            .rules(&["AS-DEP-1", "AS-INV-3"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 2, "1000.5", "50"), &["A", "B"]);
                want_err(r, "incorrect deposit request: insufficient unified balance");
            }),
        Case::new(id("balance-read-cumulative"), "Rows [A 600, A 600] from A 100 with 900 unified: the first delta of 500 passes, the second sees the reduced balance (400) and fails, rolling both back.")
            .rules(&["SPEC-1", "AS-DEP-1", "AS-INV-4"])
            .quirks(&["Q-9"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                let rows = vec![row(&s.a, "usdc", "600"), row(&s.a, "usdc", "600")];
                r.request("A", "submit_app_state", submit_v04(&s.sid, "deposit", 2, rows), &["A", "B"]);
                want_err(r, "incorrect deposit request: insufficient unified balance");
            }),
        Case::new(id("non-participant-increase"), "An increasing row for non-participant C is refused by name in the second pass.")
            .rules(&["AS-DEP-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                let c = r.wallet("C");
                let mut rows = s.rows("100", "50");
                rows.push(row(&c, "usdc", "1"));
                r.request("A", "submit_app_state", submit_v04(&s.sid, "deposit", 2, rows), &["A", "B"]);
                want_err(r, &format!("allocation to non-participant {c}"));
            }),
        Case::new(id("sub-quorum"), "A deposit signed only by the depositor B (weight 50) fails with the deposit wording of the quorum error.")
            .rules(&["AS-QUORUM-2", "AS-DEP-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 2, "100", "80"), &["B"]);
                want_err(r, "incorrect deposit request: quorum not reached: 50 / 100");
            }),
        Case::new(id("new-asset"), "A deposit may bring an asset the session never held.")
            .rules(&["AS-DEP-2"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = pair(r);
                r.fund("B", "eth", "2");
                let s = open_with(r, V04, a, b, &[50, 50], 100, "100", "50");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "deposit", 2, vec![row(&s.b, "eth", "1.5")]), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("left-out-pairs-unchanged"), "Only listed rows change: B's untouched row stays at 50 when A deposits with a single row.")
            .rules(&["AS-DEP-2"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "deposit", 2, vec![row(&s.a, "usdc", "101")]), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("duplicate-rows-deposit-twice"), "Rows [A 150, A 150] from A 100 each deposit 50 against the stale balance: A pays 100 and holds 200 (Q-9).")
            .rules(&["SPEC-1", "AS-DEP-2", "AS-INV-1"])
            .quirks(&["Q-9"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                let rows = vec![row(&s.a, "usdc", "150"), row(&s.a, "usdc", "150")];
                r.request("A", "submit_app_state", submit_v04(&s.sid, "deposit", 2, rows), &["A", "B"]);
                want_ok(r);
                want_spec_reject(r);
            }),
        Case::new(id("challenged-channel"), "A depositor with a challenged channel is refused.")
            .rules(&["AS-CHAN-1", "AS-DEP-1"])
            .flags(&["needs-channel-hook", "invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.channel("A", ChannelStatus::Challenged, "1");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 2, "110", "50"), &["A", "B"]);
                want_err(r, &format!("participant {} has challenged channels, cannot execute operation", s.a));
            }),
        Case::new(id("funds-in-resizing-channel"), "A depositor with funds in a resizing channel is refused.")
            .rules(&["AS-CHAN-2", "AS-DEP-1"])
            .flags(&["needs-channel-hook", "invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.channel("B", ChannelStatus::Resizing, "3");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 2, "100", "60"), &["A", "B"]);
                want_err(r, &format!("operation denied: non-zero allocation in 1 channel(s) detected owned by wallet {}", s.b));
            }),
        Case::new(id("guard-before-signature"), "In deposit the channel guard runs before the depositor-signature check (Q-22): an unsigned depositor with a challenged channel gets the channel error.")
            .rules(&["AS-DEP-1", "AS-CHAN-1"])
            .quirks(&["Q-22"])
            .flags(&["needs-channel-hook", "invalid-input"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = pair(r);
                let s = open_with(r, V04, a, b, &[100, 0], 100, "10", "10");
                r.channel("B", ChannelStatus::Challenged, "0");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 2, "10", "20"), &["A"]);
                want_err(r, &format!("participant {} has challenged channels, cannot execute operation", s.b));
            }),
        Case::new(id("no-guard-for-unchanged-row"), "A row that does not increase is not guarded: B's challenged channel does not stop A's deposit.")
            .rules(&["AS-DEP-1", "AS-CHAN-1"])
            .flags(&["needs-channel-hook"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.channel("B", ChannelStatus::Challenged, "0");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 2, "120", "50"), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("version-checked"), "A deposit with the wrong version is refused before anything else.")
            .rules(&["AS-V04-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 5, "120", "50"), &["A", "B"]);
                want_err(r, "incorrect app state: incorrect version: expected 2, got 5");
            }),
        Case::new(id("unknown-signer"), "A stray signature fails a deposit before the depositor check.")
            .rules(&["AS-QUORUM-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                let c = r.wallet("C");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 2, "120", "50"), &["A", "B", "C"]);
                want_err(r, &format!("signature from unknown participant wallet {c}"));
            }),
        Case::new(id("after-zero-create"), "A session created with no funds and no signatures (Q-6) can be funded by a quorate deposit.")
            .rules(&["AS-DEP-1", "AS-CREATE-2"])
            .quirks(&["Q-6"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = pair(r);
                let d = definition("app", V04, &[&a, &b], &[50, 50], 100, 1);
                let sid = session_id(&d);
                r.request("A", "create_app_session", create(d, vec![], None), &[]);
                want_ok(r);
                r.request("A", "submit_app_state", submit_v04(&sid, "deposit", 2, vec![row(&a, "usdc", "5"), row(&b, "usdc", "5")]), &["A", "B"]);
                want_ok(r);
            }),
    ]
}

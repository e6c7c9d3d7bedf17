//! `submit_app_state` intent `withdraw` on NitroRPC/0.4 sessions (AS-WD-1): decreases only,
//! credited back to unified balances, quorum as the only signature rule.

use super::common::{open, open_with, pair, want_err, want_ok, want_spec_reject};
use super::operate_shared::v04_submit;
use crate::model::ChannelStatus;
use crate::vectors::build::{row, submit_v04};
use crate::vectors::coverage::V04;
use crate::vectors::Case;

fn id(name: &str) -> String {
    format!("withdraw/{name}")
}

pub fn cases() -> Vec<Case> {
    vec![
        Case::new(id("ok-one-withdrawer"), "B lowers its row from 50 to 20: 30 return to B's unified balance, B gets a bu, both get asu.")
            .rules(&["AS-WD-1", "AS-NOTIF-2", "AS-NOTIF-3", "AS-INV-1", "AS-SUBMIT-2"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "withdraw", 2, "100", "20"), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("withdraw-everything"), "Both rows go to 0: the session totals are 0 and both unified balances are restored.")
            .rules(&["AS-WD-1", "AS-INV-1"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "withdraw", 2, "0", "0"), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("increased-allocation"), "A row above its current balance is refused in the first pass.")
            .rules(&["AS-WD-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "withdraw", 2, "101", "0"), &["A", "B"]);
                want_err(r, &format!("incorrect withdrawal request: increased allocation for participant {}", s.a));
            }),
        Case::new(id("nothing-decreased"), "Rows equal to the balances withdraw nothing and are refused.")
            .rules(&["AS-WD-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "withdraw", 2, "100", "50"), &["A", "B"]);
                want_err(r, "incorrect withdrawal request: non-negative allocations sum delta");
            }),
        Case::new(id("empty-list"), "An empty withdraw list is refused.")
            .rules(&["AS-WD-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "withdraw", 2, vec![]), &["A", "B"]);
                want_err(r, "incorrect withdrawal request: non-negative allocations sum delta");
            }),
        Case::new(id("non-participant-positive"), "A positive row for non-participant C counts as an increase from 0.")
            .rules(&["AS-WD-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                let c = r.wallet("C");
                let mut rows = s.rows("90", "50");
                rows.push(row(&c, "usdc", "10"));
                r.request("A", "submit_app_state", submit_v04(&s.sid, "withdraw", 2, rows), &["A", "B"]);
                want_err(r, &format!("incorrect withdrawal request: increased allocation for participant {c}"));
            }),
        Case::new(id("negative-row"), "A negative row passes the increase check and fails in the second pass.")
            .rules(&["AS-WD-1", "AS-AMT-5"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "withdraw", 2, "90", "-5.000"), &["A", "B"]);
                want_err(r, "negative allocation: -5 for asset usdc");
            }),
        Case::new(id("sub-quorum"), "A withdraw signed by B alone fails with the withdrawal wording.")
            .rules(&["AS-QUORUM-2", "AS-WD-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "withdraw", 2, "100", "0"), &["B"]);
                want_err(r, "incorrect withdrawal request: quorum not reached: 50 / 100");
            }),
        Case::new(id("quorum-only-signature"), "With weights 100/0, A alone withdraws B's share to B: there is no per-withdrawer signature.")
            .rules(&["AS-WD-1", "AS-QUORUM-1"])
            .protocol(V04)
            .script(|r| {
                let (a, b) = pair(r);
                let s = open_with(r, V04, a, b, &[100, 0], 100, "10", "10");
                r.request("A", "submit_app_state", v04_submit(&s, "withdraw", 2, "10", "0"), &["A"]);
                want_ok(r);
            }),
        Case::new(id("no-channel-guard"), "Withdraw runs no channel guard: B's challenged channel does not stop it.")
            .rules(&["AS-WD-1", "AS-CHAN-1"])
            .flags(&["needs-channel-hook"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.channel("B", ChannelStatus::Challenged, "0");
                r.request("A", "submit_app_state", v04_submit(&s, "withdraw", 2, "100", "0"), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("duplicate-rows-over-withdraw"), "Rows [A 0, A 0] from A 100 each withdraw 100 against the stale balance: unified +200, session −100 (Q-8).")
            .rules(&["SPEC-1", "AS-WD-1", "AS-INV-3", "AS-INV-1"])
            .quirks(&["Q-8"])
            .flags(&["conservation"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                let rows = vec![row(&s.a, "usdc", "0"), row(&s.a, "usdc", "0")];
                r.request("A", "submit_app_state", submit_v04(&s.sid, "withdraw", 2, rows), &["A", "B"]);
                want_ok(r);
                want_spec_reject(r);
            }),
        Case::new(id("left-out-unchanged"), "A single row for B leaves A's balance as it was.")
            .rules(&["AS-WD-1"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", submit_v04(&s.sid, "withdraw", 2, vec![row(&s.b, "usdc", "25")]), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("then-deposit-again"), "Withdrawn funds can be deposited back, and versions advance by one each time.")
            .rules(&["AS-WD-1", "AS-DEP-1", "AS-INV-2"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "withdraw", 2, "40", "50"), &["A", "B"]);
                want_ok(r);
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 3, "100", "50"), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("version-checked"), "A withdraw with a stale version is refused.")
            .rules(&["AS-V04-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "withdraw", 1, "100", "0"), &["A", "B"]);
                want_err(r, "incorrect app state: incorrect version: expected 2, got 1");
            }),
    ]
}

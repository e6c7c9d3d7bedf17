//! Whole lifecycles: the worked scenario of app-sessions.md §15 and Clearnode's own 0.2 and
//! 0.4 integration lifecycles (runbook-clearnode.md).

use crate::vectors::build::{close, create, definition, row, session_id, submit_v02, submit_v04};
use crate::vectors::coverage::{V02, V04};
use crate::vectors::Case;

pub fn cases() -> Vec<Case> {
    vec![worked_scenario(), lifecycle_v04(), lifecycle_v02()]
}

/// app-sessions.md §15: create, sub-quorum, wrong version, operate, deposit (sub-quorum, then
/// signed), withdraw, a close that does not add up, close, and a submit on the closed session.
fn worked_scenario() -> Case {
    Case::new(
        "lifecycle/worked-scenario-15",
        "The worked scenario of app-sessions.md §15, step by step, with G = 2000 after every step.",
    )
    .rules(&[
        "AS-CREATE-1",
        "AS-CREATE-4",
        "AS-CREATE-5",
        "AS-CREATE-6",
        "AS-QUORUM-1",
        "AS-QUORUM-2",
        "AS-V04-1",
        "AS-OP-1",
        "AS-OP-2",
        "AS-DEP-1",
        "AS-WD-1",
        "AS-CLOSE-1",
        "AS-CLOSE-3",
        "AS-SUBMIT-1",
        "AS-SUBMIT-2",
        "AS-NOTIF-2",
        "AS-NOTIF-3",
        "AS-NOTIF-4",
        "AS-INV-1",
        "AS-INV-2",
        "AS-INV-4",
        "AS-ID-4",
    ])
    .quirks(&["Q-24"])
    .protocol(V04)
    .script(|r| {
        let a = r.participant("A");
        let b = r.participant("B");
        r.fund("A", "usdc", "1000");
        r.fund("B", "usdc", "1000");
        let def = definition("chess", V04, &[&a, &b], &[50, 50], 100, 1);
        let sid = session_id(&def);
        let rows = |x: &str, y: &str| vec![row(&a, "usdc", x), row(&b, "usdc", y)];
        r.request(
            "A",
            "create_app_session",
            create(def, rows("100", "50"), None),
            &["A", "B"],
        );
        r.request(
            "A",
            "submit_app_state",
            submit_v04(&sid, "operate", 2, rows("30", "120")),
            &["A"],
        );
        r.request(
            "A",
            "submit_app_state",
            submit_v04(&sid, "operate", 3, rows("30", "120")),
            &["A", "B"],
        );
        r.request(
            "A",
            "submit_app_state",
            submit_v04(&sid, "operate", 2, rows("30", "120")),
            &["A", "B"],
        );
        r.request(
            "A",
            "submit_app_state",
            submit_v04(&sid, "deposit", 3, rows("80", "120")),
            &["B"],
        );
        r.request(
            "A",
            "submit_app_state",
            submit_v04(&sid, "deposit", 3, rows("80", "120")),
            &["A", "B"],
        );
        r.request(
            "A",
            "submit_app_state",
            submit_v04(&sid, "withdraw", 4, rows("80", "20")),
            &["A", "B"],
        );
        r.request(
            "A",
            "close_app_session",
            close(&sid, rows("60", "41")),
            &["A", "B"],
        );
        r.request(
            "A",
            "close_app_session",
            close(&sid, rows("60", "40")),
            &["A", "B"],
        );
        r.request(
            "A",
            "submit_app_state",
            submit_v04(&sid, "operate", 6, rows("60", "40")),
            &["A", "B"],
        );
    })
}

/// runbook-clearnode.md, NitroRPC/0.4 lifecycle of Clearnode's integration suite.
fn lifecycle_v04() -> Case {
    Case::new(
        "lifecycle/clearnode-integration-v04",
        "Clearnode's NitroRPC/0.4 integration lifecycle: create, operate twice, deposit, withdraw, close.",
    )
    .rules(&["AS-CREATE-1", "AS-OP-1", "AS-DEP-1", "AS-DEP-2", "AS-WD-1", "AS-CLOSE-1", "AS-CLOSE-2", "AS-INV-2", "AS-SUBMIT-1"])
    .protocol(V04)
    .script(|r| {
        let a = r.participant("A");
        let b = r.participant("B");
        r.fund("A", "usdc", "1000");
        r.fund("B", "usdc", "1000");
        let def = definition("clearnode", V04, &[&a, &b], &[100, 0], 100, 1);
        let sid = session_id(&def);
        let rows = |x: &str, y: &str| vec![row(&a, "usdc", x), row(&b, "usdc", y)];
        let params = create(def, rows("100", "0"), Some("{\"gameType\":\"chess\",\"gameState\":\"waiting\"}"));
        r.request("A", "create_app_session", params, &["A.sk"]);
        let mut op = submit_v04(&sid, "operate", 2, rows("75", "25"));
        op["session_data"] = serde_json::json!("{\"gameType\":\"chess\",\"gameState\":\"playing\"}");
        r.request("A", "submit_app_state", op, &["A.sk"]);
        r.request("A", "submit_app_state", submit_v04(&sid, "operate", 3, rows("50", "50")), &["A.sk"]);
        r.request("A", "submit_app_state", submit_v04(&sid, "deposit", 4, rows("100", "50")), &["A.sk"]);
        r.request("A", "submit_app_state", submit_v04(&sid, "withdraw", 5, rows("75", "50")), &["A.sk"]);
        r.request("A", "close_app_session", close(&sid, rows("0", "125")), &["A.sk"]);
    })
}

/// runbook-clearnode.md, NitroRPC/0.2 lifecycle: no intent, no version.
fn lifecycle_v02() -> Case {
    Case::new(
        "lifecycle/clearnode-integration-v02",
        "Clearnode's NitroRPC/0.2 integration lifecycle: create, submit without intent or version, close.",
    )
    .rules(&["AS-CREATE-1", "AS-V02-1", "AS-OP-1", "AS-CLOSE-1", "AS-INV-2"])
    .protocol(V02)
    .script(|r| {
        let a = r.participant("A");
        let b = r.participant("B");
        r.fund("A", "usdc", "1000");
        r.fund("B", "usdc", "1000");
        let def = definition("clearnode", V02, &[&a, &b], &[100, 0], 100, 1);
        let sid = session_id(&def);
        let rows = |x: &str, y: &str| vec![row(&a, "usdc", x), row(&b, "usdc", y)];
        r.request("A", "create_app_session", create(def, rows("100", "0"), None), &["A.sk"]);
        r.request("A", "submit_app_state", submit_v02(&sid, rows("50", "50")), &["A.sk"]);
        r.request("A", "close_app_session", close(&sid, rows("0", "100")), &["A.sk"]);
    })
}

//! Read methods (AS-READ-1..4, API-5/6/9/11): session records and definitions, the caller's
//! ledger balances, and the user tag, under both protocols where a session is involved.

use super::common::{open, pair, per_protocol, unknown_session_id, vid, want_err, want_ok};
use crate::vectors::build::{close, create, definition, row, session_id};
use crate::vectors::Case;
use serde_json::json;

const AREA: &str = "reads";

pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    v.extend(per_protocol(definition_read));
    v.extend(per_protocol(definition_of_closed));
    v.extend(per_protocol(sessions_by_participant));
    v.extend(per_protocol(sessions_by_status));
    v.extend(per_protocol(sessions_sort_limit));
    v.extend(per_protocol(sessions_bad_sort));
    v.extend(per_protocol(sessions_lower_case_filter));
    v.extend(per_protocol(balances_session_share));
    v.extend(per_protocol(session_record_fields));
    v.extend(per_protocol(non_participant_share));
    v.extend(others());
    v
}

fn definition_read(p: &'static str) -> Case {
    Case::new(vid(AREA, "app-definition", p), "get_app_definition returns protocol, participants, weights, quorum, challenge and nonce, with application always \"\" (Q-13).")
        .rules(&["AS-READ-2", "API-5", "AS-MODEL-2"])
        .quirks(&["Q-13"])
        .protocol(p)
        .script(move |r| {
            let s = open(r, p, "10", "0");
            r.request("B", "get_app_definition", json!({"app_session_id": s.sid}), &[]);
            want_ok(r);
        })
}

fn definition_of_closed(p: &'static str) -> Case {
    Case::new(vid(AREA, "app-definition-any-status", p), "get_app_definition finds closed sessions too; an unknown id fails and an empty id is a missing account ID.")
        .rules(&["AS-READ-2", "API-5"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let s = open(r, p, "10", "0");
            r.request("A", "close_app_session", close(&s.sid, s.rows("10", "0")), &["A", "B"]);
            r.request("A", "get_app_definition", json!({"app_session_id": s.sid}), &[]);
            want_ok(r);
            r.request("A", "get_app_definition", json!({"app_session_id": unknown_session_id()}), &[]);
            want_err(r, "failed to get application session");
            r.request("A", "get_app_definition", json!({}), &[]);
            want_err(r, "missing account ID");
        })
}

fn two_sessions(
    r: &mut crate::vectors::recorder::Recorder,
    p: &str,
) -> (String, String, String, String) {
    let (a, b) = pair(r);
    let c = r.wallet("C");
    let first = definition("app", p, &[&a, &b], &[50, 50], 100, 1);
    let second = definition("other", p, &[&a, &c], &[50, 50], 100, 2);
    let (s1, s2) = (session_id(&first), session_id(&second));
    r.request(
        "A",
        "create_app_session",
        create(first, vec![row(&a, "usdc", "1")], Some("{\"n\":1}")),
        &["A"],
    );
    r.request(
        "A",
        "create_app_session",
        create(second, vec![row(&a, "usdc", "2")], None),
        &["A"],
    );
    (a, b, s1, s2)
}

fn sessions_by_participant(p: &'static str) -> Case {
    Case::new(vid(AREA, "sessions-by-participant", p), "get_app_sessions filters by exact participant: A is in both sessions, B in one, newest update first.")
        .rules(&["AS-READ-1", "API-6"])
        .protocol(p)
        .script(move |r| {
            let (a, b, _, _) = two_sessions(r, p);
            r.request("A", "get_app_sessions", json!({"participant": a}), &[]);
            want_ok(r);
            r.request("A", "get_app_sessions", json!({"participant": b}), &[]);
            want_ok(r);
        })
}

fn sessions_by_status(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "sessions-by-status", p),
        "get_app_sessions filters by exact status after one of two sessions is closed.",
    )
    .rules(&["AS-READ-1"])
    .protocol(p)
    .script(move |r| {
        let (a, b, s1, _) = two_sessions(r, p);
        r.request(
            "A",
            "close_app_session",
            close(&s1, vec![row(&a, "usdc", "1")]),
            &["A", "B"],
        );
        r.request(
            "B",
            "get_app_sessions",
            json!({"participant": a, "status": "closed"}),
            &[],
        );
        want_ok(r);
        r.request(
            "B",
            "get_app_sessions",
            json!({"participant": b, "status": "open"}),
            &[],
        );
        want_ok(r);
    })
}

fn sessions_sort_limit(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "sessions-sort-and-limit", p),
        "sort asc puts the older update first; limit 1 and offset 1 page through the list.",
    )
    .rules(&["AS-READ-1", "API-0"])
    .quirks(&["Q-26"])
    .protocol(p)
    .script(move |r| {
        let (a, _, _, _) = two_sessions(r, p);
        r.request(
            "A",
            "get_app_sessions",
            json!({"participant": a, "sort": "asc"}),
            &[],
        );
        want_ok(r);
        r.request(
            "A",
            "get_app_sessions",
            json!({"participant": a, "limit": 1, "offset": 1}),
            &[],
        );
        want_ok(r);
    })
}

fn sessions_bad_sort(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "sessions-invalid-sort", p),
        "A sort value that is not valid SQL gives the method's fallback error (Q-26).",
    )
    .rules(&["AS-READ-1", "API-0"])
    .quirks(&["Q-26"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, _, _, _) = two_sessions(r, p);
        r.request(
            "A",
            "get_app_sessions",
            json!({"participant": a, "sort": "sideways"}),
            &[],
        );
        want_err(r, "failed to get application sessions");
    })
}

fn sessions_lower_case_filter(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "sessions-filter-exact-string", p),
        "The participant filter is an exact string match: A's address in lower case finds nothing.",
    )
    .rules(&["AS-READ-1", "AS-GEN-8"])
    .protocol(p)
    .script(move |r| {
        let (a, _, _, _) = two_sessions(r, p);
        r.request(
            "A",
            "get_app_sessions",
            json!({"participant": a.to_lowercase()}),
            &[],
        );
        want_ok(r);
    })
}

fn balances_session_share(p: &'static str) -> Case {
    Case::new(vid(AREA, "ledger-balances-session-share", p), "get_ledger_balances with a session id returns only the caller's own share (Q-14); with another wallet's address, []; with its own address in lower case, its balances.")
        .rules(&["AS-READ-3", "API-9", "ADDR-2"])
        .quirks(&["Q-14"])
        .protocol(p)
        .script(move |r| {
            let s = open(r, p, "100", "50");
            r.request("B", "get_ledger_balances", json!({"account_id": s.sid}), &[]);
            want_ok(r);
            r.request("B", "get_ledger_balances", json!({"account_id": s.a}), &[]);
            want_ok(r);
            r.request("B", "get_ledger_balances", json!({"account_id": s.b.to_lowercase()}), &[]);
            want_ok(r);
        })
}

fn session_record_fields(p: &'static str) -> Case {
    Case::new(vid(AREA, "session-record", p), "A session record carries application, session_data (omitted when empty), the stored quorum, version and RFC 3339 times.")
        .rules(&["AS-READ-1", "AS-MODEL-2", "API-6"])
        .protocol(p)
        .script(move |r| {
            let s = open(r, p, "10", "10");
            r.request("A", "submit_app_state", super::common::operate(p, &s.sid, 2, s.rows("5", "15")), &["A", "B"]);
            r.request("A", "get_app_sessions", json!({"participant": s.b}), &[]);
            want_ok(r);
        })
}

fn non_participant_share(p: &'static str) -> Case {
    Case::new(vid(AREA, "non-participant-session-balance", p), "A signed non-participant C funds a create row (Q-4); C's session balance is readable through get_ledger_balances(session) on C's connection, and only entries without a wallet filter (AS-READ-4) show the whole session.")
        .rules(&["SPEC-4", "AS-READ-3", "AS-READ-4", "AS-CREATE-3", "AS-MODEL-1"])
        .quirks(&["Q-4", "Q-14"])
        .flags(&["conservation"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let c = r.participant("C");
            r.fund("C", "usdc", "30");
            let d = definition("app", p, &[&a, &b], &[50, 50], 100, 1);
            let sid = session_id(&d);
            r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "5"), row(&c, "usdc", "30")], None), &["A", "C"]);
            want_ok(r);
            r.request("C", "get_ledger_balances", json!({"account_id": sid}), &[]);
            want_ok(r);
        })
}

fn others() -> Vec<Case> {
    let id = |n: &str| format!("{AREA}/{n}");
    vec![
        Case::new(
            id("ledger-balances-zero-row"),
            "An asset whose balance went to 0 is still listed, as \"0\".",
        )
        .rules(&["AS-READ-3", "API-9", "AS-AMT-5"])
        .script(|r| {
            let (_, b) = pair(r);
            r.request(
                "A",
                "transfer",
                json!({"destination": b, "allocations": [{"asset": "usdc", "amount": "1000"}]}),
                &["A"],
            );
            want_ok(r);
            r.request("A", "get_ledger_balances", json!({}), &[]);
            want_ok(r);
        }),
        Case::new(
            id("ledger-balances-empty"),
            "A wallet that never had an entry gets an empty list, not null.",
        )
        .rules(&["AS-READ-3", "API-9", "SDK-3"])
        .script(|r| {
            r.participant("A");
            r.request(
                "A",
                "get_ledger_balances",
                json!({"participant": "ignored"}),
                &[],
            );
            want_ok(r);
        }),
        Case::new(
            id("user-tag"),
            "get_user_tag returns the tag created by the signature handshake.",
        )
        .rules(&["API-11"])
        .script(|r| {
            r.participant("A");
            r.request("A", "get_user_tag", json!({}), &[]);
            want_ok(r);
        }),
        Case::new(id("ping"), "ping answers pong with null params.")
            .rules(&["API-1", "WIRE-2"])
            .script(|r| {
                r.connect("c", None);
                r.request("c", "ping", json!({}), &[]);
                want_ok(r);
            }),
        Case::new(
            id("sessions-none"),
            "get_app_sessions for a participant with no session returns an empty list.",
        )
        .rules(&["AS-READ-1", "API-6"])
        .script(|r| {
            let (a, _) = pair(r);
            r.request("A", "get_app_sessions", json!({"participant": a}), &[]);
            want_ok(r);
        }),
    ]
}

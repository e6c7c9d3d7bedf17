//! Quorum over the wallets set (AS-QUORUM-1..3, AS-GEN-7) under both protocols: weights from the
//! stored session, de-duplication, unknown wallets before the sum, and the wording per intent.

use super::common::{
    open, open_with, operate, pair, per_protocol, vid, want_err, want_ok, want_one_of,
    want_spec_reject,
};
use crate::vectors::build::{close, create, definition, row, session_id};
use crate::vectors::Case;

const AREA: &str = "quorum";

pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    v.extend(per_protocol(heavier_alone));
    v.extend(per_protocol(lighter_alone));
    v.extend(per_protocol(duplicate_signatures));
    v.extend(per_protocol(wallet_and_key_once));
    v.extend(per_protocol(no_signatures));
    v.extend(per_protocol(unknown_before_sum));
    v.extend(per_protocol(two_unknown_signers));
    v.extend(per_protocol(order_irrelevant));
    v.extend(per_protocol(zero_weight_signer));
    v.extend(per_protocol(quorum_one));
    v.extend(per_protocol(three_party));
    v.extend(per_protocol(duplicate_participants));
    v.extend(per_protocol(quorum_zero));
    v.extend(per_protocol(close_by_heavier));
    v
}

fn heavier_alone(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "heavier-participant-alone", p),
        "With weights 60/40 and quorum 60, A's signature alone is enough.",
    )
    .rules(&["AS-QUORUM-1", "AS-QUORUM-2"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let s = open_with(r, p, a, b, &[60, 40], 60, "50", "50");
        r.request(
            "A",
            "submit_app_state",
            operate(p, &s.sid, 2, s.rows("40", "60")),
            &["A"],
        );
        want_ok(r);
    })
}

fn lighter_alone(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "lighter-participant-alone", p),
        "With weights 60/40 and quorum 60, B alone reaches 40 of 60.",
    )
    .rules(&["AS-QUORUM-1", "AS-QUORUM-2"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let s = open_with(r, p, a, b, &[60, 40], 60, "50", "50");
        r.request(
            "A",
            "submit_app_state",
            operate(p, &s.sid, 2, s.rows("40", "60")),
            &["B"],
        );
        want_err(
            r,
            "incorrect submit_state request: quorum not reached: 40 / 60",
        );
    })
}

fn duplicate_signatures(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "duplicate-signatures-count-once", p),
        "A signing three times still weighs 50.",
    )
    .rules(&["AS-QUORUM-1", "SIG-6", "AS-GEN-7"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let s = open(r, p, "100", "50");
        r.request(
            "A",
            "submit_app_state",
            operate(p, &s.sid, 2, s.rows("50", "100")),
            &["A", "A", "A"],
        );
        want_err(
            r,
            "incorrect submit_state request: quorum not reached: 50 / 100",
        );
    })
}

fn wallet_and_key_once(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "wallet-and-its-key-count-once", p),
        "A signing directly and through its root session key is one wallet: 50 of 100.",
    )
    .rules(&["AS-QUORUM-1", "AS-GEN-7", "AS-SK-1"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let s = open(r, p, "100", "50");
        r.request(
            "A",
            "submit_app_state",
            operate(p, &s.sid, 2, s.rows("50", "100")),
            &["A", "A.sk"],
        );
        want_err(
            r,
            "incorrect submit_state request: quorum not reached: 50 / 100",
        );
    })
}

fn no_signatures(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "no-signatures", p),
        "An unsigned operate weighs 0.",
    )
    .rules(&["AS-QUORUM-2"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let s = open(r, p, "100", "50");
        r.request(
            "A",
            "submit_app_state",
            operate(p, &s.sid, 2, s.rows("50", "100")),
            &[],
        );
        want_err(
            r,
            "incorrect submit_state request: quorum not reached: 0 / 100",
        );
    })
}

fn unknown_before_sum(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "unknown-wallet-before-sum", p),
        "A lone stranger's signature is reported as an unknown wallet, not as a quorum shortfall.",
    )
    .rules(&["AS-QUORUM-1"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let s = open(r, p, "100", "50");
        let c = r.wallet("C");
        r.request(
            "A",
            "submit_app_state",
            operate(p, &s.sid, 2, s.rows("50", "100")),
            &["C"],
        );
        want_err(r, &format!("signature from unknown participant wallet {c}"));
    })
}

fn two_unknown_signers(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "two-unknown-signers", p),
        "With two strangers signing, Clearnode names either (Q-10); both texts are accepted.",
    )
    .rules(&["AS-QUORUM-1"])
    .quirks(&["Q-10"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let s = open(r, p, "100", "50");
        let c = r.wallet("C");
        let d = r.wallet("D");
        r.request(
            "A",
            "submit_app_state",
            operate(p, &s.sid, 2, s.rows("50", "100")),
            &["A", "B", "C", "D"],
        );
        want_one_of(
            r,
            &[
                &format!("signature from unknown participant wallet {c}"),
                &format!("signature from unknown participant wallet {d}"),
            ],
        );
    })
}

fn order_irrelevant(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "signature-order-irrelevant", p),
        "Signatures form a set: B before A works.",
    )
    .rules(&["AS-QUORUM-1", "SIG-6"])
    .protocol(p)
    .script(move |r| {
        let s = open(r, p, "100", "50");
        r.request(
            "A",
            "submit_app_state",
            operate(p, &s.sid, 2, s.rows("50", "100")),
            &["B", "A"],
        );
        want_ok(r);
    })
}

fn zero_weight_signer(p: &'static str) -> Case {
    Case::new(vid(AREA, "zero-weight-signer", p), "A zero-weight participant may sign (it is no stranger) but adds nothing: 0 of 100 without A.")
        .rules(&["AS-QUORUM-1", "AS-QUORUM-2"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let s = open_with(r, p, a, b, &[100, 0], 100, "10", "10");
            r.request("A", "submit_app_state", operate(p, &s.sid, 2, s.rows("20", "0")), &["B"]);
            want_err(r, "incorrect submit_state request: quorum not reached: 0 / 100");
        })
}

fn quorum_one(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "quorum-one-of-two", p),
        "With weights 1/1 and quorum 1 either participant can operate alone.",
    )
    .rules(&["AS-QUORUM-2"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let s = open_with(r, p, a, b, &[1, 1], 1, "10", "10");
        r.request(
            "A",
            "submit_app_state",
            operate(p, &s.sid, 2, s.rows("0", "20")),
            &["B"],
        );
        want_ok(r);
    })
}

fn three_party(p: &'static str) -> Case {
    Case::new(vid(AREA, "two-of-three", p), "In a three-party session with weights 1/1/1 and quorum 2, A and C suffice while B alone does not.")
        .rules(&["AS-QUORUM-1", "AS-QUORUM-2"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let c = r.participant("C");
            let d = definition("app", p, &[&a, &b, &c], &[1, 1, 1], 2, 1);
            let sid = session_id(&d);
            r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "30")], None), &["A"]);
            r.request("A", "submit_app_state", operate(p, &sid, 2, vec![row(&a, "usdc", "10"), row(&c, "usdc", "20")]), &["B"]);
            want_err(r, "incorrect submit_state request: quorum not reached: 1 / 2");
            r.request("A", "submit_app_state", operate(p, &sid, 2, vec![row(&a, "usdc", "10"), row(&c, "usdc", "20")]), &["C", "A"]);
            want_ok(r);
        })
}

fn duplicate_participants(p: &'static str) -> Case {
    Case::new(vid(AREA, "duplicate-participants-last-weight", p), "Participants [A, B, A] with weights [50, 50, 0] are accepted (Q-7), but A then weighs 0, so A and B reach only 50 of 100.")
        .rules(&["SPEC-7", "AS-QUORUM-1", "AS-DEF-3"])
        .quirks(&["Q-7"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let d = definition("app", p, &[&a, &b, &a], &[50, 50, 0], 100, 1);
            let sid = session_id(&d);
            r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "10")], None), &["A"]);
            want_ok(r);
            want_spec_reject(r);
            r.request("A", "submit_app_state", operate(p, &sid, 2, vec![row(&a, "usdc", "5"), row(&b, "usdc", "5")]), &["A", "B"]);
            want_err(r, "incorrect submit_state request: quorum not reached: 50 / 100");
        })
}

fn quorum_zero(p: &'static str) -> Case {
    Case::new(vid(AREA, "quorum-zero-stored-as-100", p), "Quorum 0 passes create but is stored as 100 (Q-5): with weights 1/1 the session can never be updated.")
        .rules(&["SPEC-6", "AS-DEF-3", "AS-QUORUM-2", "AS-ID-2"])
        .quirks(&["Q-5"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let d = definition("app", p, &[&a, &b], &[1, 1], 0, 1);
            let sid = session_id(&d);
            r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "10")], None), &["A"]);
            want_ok(r);
            want_spec_reject(r);
            r.request("A", "submit_app_state", operate(p, &sid, 2, vec![row(&a, "usdc", "5"), row(&b, "usdc", "5")]), &["A", "B"]);
            want_err(r, "incorrect submit_state request: quorum not reached: 2 / 100");
        })
}

fn close_by_heavier(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "close-by-weighted-majority", p),
        "A close needs quorum like a submit: A (weight 70, quorum 70) closes alone.",
    )
    .rules(&["AS-QUORUM-1", "AS-CLOSE-1"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let s = open_with(r, p, a, b, &[70, 30], 70, "10", "10");
        r.request(
            "A",
            "close_app_session",
            close(&s.sid, s.rows("0", "20")),
            &["A"],
        );
        want_ok(r);
    })
}

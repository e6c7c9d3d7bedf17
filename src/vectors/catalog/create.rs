//! `create_app_session`: the definition checks and their order (AS-DEF-1..3), the id
//! (AS-ID-1..4), the row walk (AS-CREATE-1..4), the response and notifications (AS-CREATE-5..6),
//! under both protocol versions.

use super::common::{pair, per_protocol, vid, want_err, want_ok, want_spec_reject};
use crate::vectors::build::{close, create, definition, row, session_id};
use crate::vectors::coverage::{V02, V04};
use crate::vectors::Case;
use serde_json::{json, Value};

const AREA: &str = "create";

pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    v.extend(per_protocol(ok_two_funded));
    v.extend(per_protocol(only_funded_sign));
    v.extend(per_protocol(missing_signature));
    v.extend(per_protocol(protocol_wrong_case));
    v.extend(per_protocol(protocol_unknown_version));
    v.extend(per_protocol(one_participant));
    v.extend(per_protocol(weights_mismatch));
    v.extend(per_protocol(nonce_zero));
    v.extend(per_protocol(nonce_missing));
    v.extend(per_protocol(negative_weight));
    v.extend(per_protocol(quorum_above_sum));
    v.extend(per_protocol(quorum_equals_sum));
    v.extend(per_protocol(zero_weight));
    v.extend(per_protocol(order_protocol_first));
    v.extend(per_protocol(order_count_before_weights));
    v.extend(per_protocol(order_nonce_before_weight_sign));
    v.extend(per_protocol(order_definition_before_rows));
    v.extend(per_protocol(negative_allocation));
    v.extend(per_protocol(negative_before_signature));
    v.extend(per_protocol(zero_row_skips_everything));
    v.extend(per_protocol(insufficient_funds));
    v.extend(per_protocol(insufficient_cumulative));
    v.extend(per_protocol(duplicate_rows_add_up));
    v.extend(per_protocol(unknown_asset));
    v.extend(per_protocol(asset_case_sensitive));
    v.extend(per_protocol(unsigned_non_participant));
    v.extend(per_protocol(duplicate_id));
    v.extend(per_protocol(duplicate_id_after_close));
    v.extend(per_protocol(reordered_keys_same_id));
    v.extend(per_protocol(absent_optional_fields));
    v.extend(per_protocol(escaped_application));
    v.extend(per_protocol(case_insensitive_keys));
    v.extend(per_protocol(params_array));
    v.extend(per_protocol(weights_string));
    v.extend(per_protocol(quorum_fraction));
    v.extend(per_protocol(quorum_float_integral));
    v.extend(per_protocol(quorum_negative));
    v.extend(per_protocol(session_data_object));
    v.extend(per_protocol(session_key_signs));
    v.extend(per_protocol(unauthenticated));
    v.extend(per_protocol(stale_timestamp));
    v.extend(per_protocol(future_timestamp));
    v.extend(per_protocol(non_participant_caller));
    v.extend(per_protocol(extra_signer_ignored));
    v.extend(per_protocol(malformed_signature));
    v.extend(per_protocol(short_signature));
    v.extend(per_protocol(signature_other_bytes));
    v.extend(per_protocol(challenged_channel));
    v.extend(per_protocol(funded_channel));
    v.push(missing_protocol());
    v
}

fn def(protocol: &str, a: &str, b: &str) -> Value {
    definition("app", protocol, &[a, b], &[50, 50], 100, 1)
}

fn ok_two_funded(p: &'static str) -> Case {
    Case::new(vid(AREA, "ok-two-funded", p), "A create funded by both participants, both signing, moves 100 and 50 usdc into the session at version 1 and sends each a bu.")
        .rules(&["AS-CREATE-1", "AS-CREATE-4", "AS-CREATE-5", "AS-CREATE-6", "AS-ID-1", "AS-DEF-1", "AS-MODEL-1", "AS-MODEL-2", "AS-NOTIF-1", "AS-NOTIF-2", "AS-NOTIF-4", "AS-GEN-1", "AS-GEN-2", "AS-INV-1", "SIG-2", "SIG-5", "SIG-9", "NOTIF-1", "NOTIF-4"])
        .quirks(&["Q-12", "Q-24"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let d = def(p, &a, &b);
            let rows = vec![row(&a, "usdc", "100"), row(&b, "usdc", "50")];
            r.request("A", "create_app_session", create(d.clone(), rows, None), &["A", "B"]);
            want_ok(r);
            if r.profile == crate::model::Profile::Clearnode052 {
                assert_eq!(super::common::last_result(r)["app_session_id"], json!(session_id(&d)));
            }
        })
}

fn only_funded_sign(p: &'static str) -> Case {
    Case::new(vid(AREA, "only-funded-participants-sign", p), "Only a participant with a positive allocation must sign: B allocates 0 and does not sign, and the create succeeds.")
        .rules(&["AS-CREATE-2", "AS-CREATE-1", "AS-CREATE-6"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let rows = vec![row(&a, "usdc", "100"), row(&b, "usdc", "0")];
            r.request("A", "create_app_session", create(def(p, &a, &b), rows, None), &["A"]);
            want_ok(r);
        })
}

fn missing_signature(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "missing-signature", p),
        "B allocates 50 but only A signs, so the create fails naming B and nothing moves.",
    )
    .rules(&["AS-CREATE-1", "AS-CREATE-2", "AS-INV-4"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let rows = vec![row(&a, "usdc", "100"), row(&b, "usdc", "50")];
        r.request(
            "A",
            "create_app_session",
            create(def(p, &a, &b), rows, None),
            &["A"],
        );
        want_err(r, &format!("missing signature for participant {b}"));
    })
}

fn protocol_wrong_case(p: &'static str) -> Case {
    Case::new(vid(AREA, "protocol-wrong-case", p), "The protocol must match exactly: the lower-case spelling is unsupported and echoed in the error.")
        .rules(&["AS-DEF-1", "AS-DEF-3"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let lower = p.to_lowercase();
            let d = definition("app", &lower, &[&a, &b], &[50, 50], 100, 1);
            r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "1")], None), &["A"]);
            want_err(r, &format!("unsupported protocol: {lower}"));
        })
}

fn protocol_unknown_version(p: &'static str) -> Case {
    let bad = if p == V02 {
        "NitroRPC/0.1"
    } else {
        "NitroRPC/0.5"
    };
    Case::new(
        vid(AREA, "protocol-unknown-version", p),
        format!("Only 0.2 and 0.4 are supported: {bad} is rejected with its name echoed."),
    )
    .rules(&["AS-DEF-3"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let d = definition("app", bad, &[&a, &b], &[50, 50], 100, 1);
        r.request("A", "create_app_session", create(d, vec![], None), &["A"]);
        want_err(r, &format!("unsupported protocol: {bad}"));
    })
}

fn missing_protocol() -> Case {
    Case::new(format!("{AREA}/missing-protocol"), "A definition without a protocol fails with the empty protocol echoed after a trailing space.")
        .rules(&["AS-DEF-3", "AS-DEF-1"])
        .flags(&["invalid-input"])
        .script(|r| {
            let (a, b) = pair(r);
            let d = json!({"participants": [a, b], "weights": [50, 50], "quorum": 100, "nonce": 1});
            r.request("A", "create_app_session", create(d, vec![], None), &["A"]);
            want_err(r, "unsupported protocol: ");
        })
}

fn one_participant(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "one-participant", p),
        "A session needs at least two participants.",
    )
    .rules(&["AS-DEF-3"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, _) = pair(r);
        let d = definition("app", p, &[&a], &[100], 100, 1);
        r.request(
            "A",
            "create_app_session",
            create(d, vec![row(&a, "usdc", "1")], None),
            &["A"],
        );
        want_err(r, "invalid number of participants");
    })
}

fn weights_mismatch(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "weights-length-mismatch", p),
        "Three weights for two participants are rejected.",
    )
    .rules(&["AS-DEF-3"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let d = definition("app", p, &[&a, &b], &[50, 50, 0], 100, 1);
        r.request("A", "create_app_session", create(d, vec![], None), &["A"]);
        want_err(r, "number of weights must be equal to participants");
    })
}

fn nonce_zero(p: &'static str) -> Case {
    Case::new(vid(AREA, "nonce-zero", p), "A zero nonce is rejected.")
        .rules(&["AS-DEF-3", "AS-DEF-1"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let d = definition("app", p, &[&a, &b], &[50, 50], 100, 0);
            r.request("A", "create_app_session", create(d, vec![], None), &["A"]);
            want_err(r, "nonce is zero or not provided");
        })
}

fn nonce_missing(p: &'static str) -> Case {
    Case::new(vid(AREA, "nonce-missing", p), "An absent nonce decodes as 0 and is rejected like a zero nonce.")
        .rules(&["AS-DEF-3", "AS-DEF-2"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let d = json!({"application": "app", "protocol": p, "participants": [a, b], "weights": [50, 50], "quorum": 100});
            r.request("A", "create_app_session", create(d, vec![], None), &["A"]);
            want_err(r, "nonce is zero or not provided");
        })
}

fn negative_weight(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "negative-weight", p),
        "The first negative weight is reported with its participant string.",
    )
    .rules(&["AS-DEF-3"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let d = definition("app", p, &[&a, &b], &[150, -50], 100, 1);
        r.request("A", "create_app_session", create(d, vec![], None), &["A"]);
        want_err(r, &format!("participant {b} weight cannot be negative"));
    })
}

fn quorum_above_sum(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "quorum-above-sum", p),
        "A quorum of 101 over weights summing to 100 is rejected with both numbers.",
    )
    .rules(&["AS-DEF-3"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let d = definition("app", p, &[&a, &b], &[50, 50], 101, 1);
        r.request("A", "create_app_session", create(d, vec![], None), &["A"]);
        want_err(
            r,
            "target quorum (101) cannot be greater than total sum of weights (100)",
        );
    })
}

fn quorum_equals_sum(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "quorum-equals-sum", p),
        "A quorum equal to the sum of weights is allowed.",
    )
    .rules(&["AS-DEF-3", "AS-CREATE-1"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let d = definition("app", p, &[&a, &b], &[30, 70], 100, 1);
        r.request(
            "A",
            "create_app_session",
            create(d, vec![row(&a, "usdc", "10")], None),
            &["A"],
        );
        want_ok(r);
    })
}

fn zero_weight(p: &'static str) -> Case {
    Case::new(vid(AREA, "zero-weight-allowed", p), "A zero weight is allowed, and a zero-weight participant can still fund the session by signing.")
        .rules(&["AS-DEF-3", "AS-CREATE-2"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let d = definition("app", p, &[&a, &b], &[100, 0], 100, 1);
            r.request("A", "create_app_session", create(d, vec![row(&b, "usdc", "10")], None), &["B"]);
            want_ok(r);
        })
}

fn order_protocol_first(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "order-protocol-before-count", p),
        "With a bad protocol and a single participant, the protocol error wins (AS-DEF-3 order).",
    )
    .rules(&["AS-DEF-3"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, _) = pair(r);
        let bad = format!("{p} ");
        let d = definition("app", &bad, &[&a], &[100], 100, 0);
        r.request("A", "create_app_session", create(d, vec![], None), &["A"]);
        want_err(r, &format!("unsupported protocol: {bad}"));
    })
}

fn order_count_before_weights(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "order-count-before-weights", p),
        "One participant and no weights reports the participant count, not the weights length.",
    )
    .rules(&["AS-DEF-3"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, _) = pair(r);
        let d = definition("app", p, &[&a], &[], 100, 0);
        r.request("A", "create_app_session", create(d, vec![], None), &["A"]);
        want_err(r, "invalid number of participants");
    })
}

fn order_nonce_before_weight_sign(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "order-nonce-before-negative-weight", p),
        "A zero nonce is reported before a negative weight and an excessive quorum.",
    )
    .rules(&["AS-DEF-3"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let d = definition("app", p, &[&a, &b], &[-1, 50], 500, 0);
        r.request("A", "create_app_session", create(d, vec![], None), &["A"]);
        want_err(r, "nonce is zero or not provided");
    })
}

fn order_definition_before_rows(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "order-definition-before-rows", p),
        "A definition error is reported before a negative allocation row.",
    )
    .rules(&["AS-CREATE-1", "AS-DEF-3"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let d = definition("app", p, &[&a, &b], &[50, 50], 101, 1);
        r.request(
            "A",
            "create_app_session",
            create(d, vec![row(&a, "usdc", "-1")], None),
            &["A"],
        );
        want_err(
            r,
            "target quorum (101) cannot be greater than total sum of weights (100)",
        );
    })
}

fn negative_allocation(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "negative-allocation", p),
        "A negative row fails with the amount rendered without trailing zeros.",
    )
    .rules(&["AS-CREATE-1", "AS-AMT-5"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let rows = vec![row(&a, "usdc", "10"), row(&b, "usdc", "-5.50")];
        r.request(
            "A",
            "create_app_session",
            create(def(p, &a, &b), rows, None),
            &["A", "B"],
        );
        want_err(r, "negative allocation: -5.5 for asset usdc");
    })
}

fn negative_before_signature(p: &'static str) -> Case {
    Case::new(vid(AREA, "negative-before-signature", p), "An unsigned negative row reports the negative amount, because the sign check precedes the signature check.")
        .rules(&["AS-CREATE-1"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            r.request("A", "create_app_session", create(def(p, &a, &b), vec![row(&b, "usdc", "-1")], None), &["A"]);
            want_err(r, "negative allocation: -1 for asset usdc");
        })
}

fn zero_row_skips_everything(p: &'static str) -> Case {
    Case::new(vid(AREA, "zero-row-skips-checks", p), "A zero row for an unsigned non-participant in an unknown asset is skipped without any check.")
        .rules(&["AS-CREATE-1", "AS-CREATE-3"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let c = r.wallet("C");
            let rows = vec![row(&a, "usdc", "10"), row(&c, "nothing", "0")];
            r.request("A", "create_app_session", create(def(p, &a, &b), rows, None), &["A"]);
            want_ok(r);
        })
}

fn insufficient_funds(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "insufficient-funds", p),
        "A row above the unified balance fails with the participant and asset named.",
    )
    .rules(&["AS-CREATE-1", "AS-INV-3", "AS-INV-4"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        r.request(
            "A",
            "create_app_session",
            create(def(p, &a, &b), vec![row(&a, "usdc", "1000.000001")], None),
            &["A"],
        );
        want_err(r, &format!("insufficient funds: {a} for asset usdc"));
    })
}

fn insufficient_cumulative(p: &'static str) -> Case {
    Case::new(vid(AREA, "insufficient-funds-cumulative", p), "Two rows of 600 for the same wallet with 1000 fail on the second: the balance read sees the first debit, and everything rolls back.")
        .rules(&["AS-CREATE-1", "AS-CREATE-3", "AS-INV-4", "AS-MODEL-3"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let rows = vec![row(&a, "usdc", "600"), row(&a, "usdc", "600")];
            r.request("A", "create_app_session", create(def(p, &a, &b), rows, None), &["A"]);
            want_err(r, &format!("insufficient funds: {a} for asset usdc"));
        })
}

fn duplicate_rows_add_up(p: &'static str) -> Case {
    Case::new(vid(AREA, "duplicate-rows-add-up", p), "Two rows for the same participant and asset add up (300 + 200 = 500 in the session), and conservation holds.")
        .rules(&["AS-CREATE-3", "AS-CREATE-4", "AS-INV-1"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let rows = vec![row(&a, "usdc", "300"), row(&a, "usdc", "200")];
            r.request("A", "create_app_session", create(def(p, &a, &b), rows, None), &["A"]);
            want_ok(r);
        })
}

fn unknown_asset(p: &'static str) -> Case {
    Case::new(vid(AREA, "unknown-asset", p), "An asset nobody holds is not validated as such; a positive row in it fails with insufficient funds.")
        .rules(&["AS-CREATE-3", "AS-AMT-2"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            r.request("A", "create_app_session", create(def(p, &a, &b), vec![row(&a, "eth", "1")], None), &["A"]);
            want_err(r, &format!("insufficient funds: {a} for asset eth"));
        })
}

fn asset_case_sensitive(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "asset-case-sensitive", p),
        "\"USDC\" is another asset than \"usdc\": A holds none of it.",
    )
    .rules(&["AS-CREATE-3"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        r.request(
            "A",
            "create_app_session",
            create(def(p, &a, &b), vec![row(&a, "USDC", "1")], None),
            &["A"],
        );
        want_err(r, &format!("insufficient funds: {a} for asset USDC"));
    })
}

fn unsigned_non_participant(p: &'static str) -> Case {
    Case::new(vid(AREA, "unsigned-non-participant-row", p), "A positive row for a non-participant C that did not sign fails with a missing signature for C.")
        .rules(&["SPEC-4", "AS-CREATE-1", "AS-CREATE-2"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let c = r.wallet("C");
            r.fund("C", "usdc", "100");
            r.request("A", "create_app_session", create(def(p, &a, &b), vec![row(&c, "usdc", "5")], None), &["A", "B"]);
            want_err(r, &format!("missing signature for participant {c}"));
            want_spec_reject(r);
        })
}

fn duplicate_id(p: &'static str) -> Case {
    Case::new(vid(AREA, "duplicate-definition", p), "Creating the same definition twice fails at insert with the generic fallback, and the second create's debit rolls back.")
        .rules(&["AS-ID-3", "AS-GEN-3", "AS-INV-4"])
        .quirks(&["Q-31"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let d = def(p, &a, &b);
            r.request("A", "create_app_session", create(d.clone(), vec![row(&a, "usdc", "10")], None), &["A"]);
            want_ok(r);
            r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "20")], None), &["A"]);
            want_err(r, "failed to create application session");
        })
}

fn duplicate_id_after_close(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "duplicate-definition-after-close", p),
        "A closed session's id stays taken: re-creating its definition fails with the fallback.",
    )
    .rules(&["AS-ID-3", "AS-GEN-3"])
    .quirks(&["Q-31"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let d = def(p, &a, &b);
        let sid = session_id(&d);
        r.request(
            "A",
            "create_app_session",
            create(d.clone(), vec![row(&a, "usdc", "10")], None),
            &["A"],
        );
        r.request(
            "A",
            "close_app_session",
            close(&sid, vec![row(&a, "usdc", "10")]),
            &["A", "B"],
        );
        want_ok(r);
        r.request("A", "create_app_session", create(d, vec![], None), &[]);
        want_err(r, "failed to create application session");
    })
}

fn reordered_keys_same_id(p: &'static str) -> Case {
    Case::new(vid(AREA, "id-ignores-key-order", p), "The id hashes the parsed definition: keys in reverse order give the same id, which a follow-up read finds.")
        .rules(&["AS-ID-1", "AS-ID-2", "AS-READ-2"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let d = def(p, &a, &b);
            let sid = session_id(&d);
            let reversed = json!({"nonce": 1, "challenge": 0, "quorum": 100, "weights": [50, 50], "participants": [a, b], "protocol": p, "application": "app"});
            r.request("A", "create_app_session", create(reversed, vec![], None), &[]);
            want_ok(r);
            r.request("A", "get_app_definition", json!({"app_session_id": sid}), &[]);
            want_ok(r);
        })
}

fn absent_optional_fields(p: &'static str) -> Case {
    let example = if p == V02 { "second" } else { "first" };
    Case::new(vid(AREA, "id-absent-application-and-challenge", p), format!("Like the {example} AS-ID-4 example, a definition without application and challenge hashes them as \"\" and 0."))
        .rules(&["AS-ID-2", "AS-ID-4", "AS-DEF-1"])
        .protocol(p)
        .script(move |r| {
            // The digest's own examples, checked against the builder's hash (not sent).
            let hh_a = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
            let hh_b = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
            let mut chess = definition("chess", V04, &[hh_a, hh_b], &[50, 50], 100, 1);
            chess["challenge"] = json!(86400);
            assert_eq!(session_id(&chess), "0x4b1e7acde82b2f2b1f2f0d8747f9ccecfe54843aff583beaaf14f0d3ef5d603d");
            let bare = json!({"protocol": V02, "participants": [hh_a, hh_b], "weights": [1, 1], "quorum": 2, "nonce": 42});
            assert_eq!(session_id(&bare), "0x06b558fccaaca56e30fa686e0511b5299f2a52a7039a8c6e0b06104f64b351ca");
            let (a, b) = pair(r);
            let d = json!({"protocol": p, "participants": [a, b], "weights": [1, 1], "quorum": 2, "nonce": 42});
            let sid = session_id(&d);
            r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "5")], None), &["A"]);
            want_ok(r);
            r.request("A", "get_app_definition", json!({"app_session_id": sid}), &[]);
            want_ok(r);
        })
}

fn escaped_application(p: &'static str) -> Case {
    Case::new(vid(AREA, "id-go-escapes-application", p), "An application with <, >, &, a quote and a tab is hashed with Go's escaping (\\u003c, \\u003e, \\u0026, \\\", \\t).")
        .rules(&["AS-ID-2", "AS-ID-1"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let d = definition("<chess & \"go\">\t", p, &[&a, &b], &[50, 50], 100, 1);
            let sid = session_id(&d);
            r.request("A", "create_app_session", create(d, vec![], None), &[]);
            want_ok(r);
            if r.profile == crate::model::Profile::Clearnode052 {
                assert_eq!(super::common::last_result(r)["app_session_id"], json!(sid));
            }
        })
}

fn case_insensitive_keys(p: &'static str) -> Case {
    Case::new(vid(AREA, "case-insensitive-keys", p), "Params keys match case-insensitively and unknown keys are ignored: \"Definition\", \"ALLOCATIONS\" and \"Participants\" work.")
        .rules(&["AS-GEN-6", "AS-CREATE-1"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let d = json!({"application": "app", "Protocol": p, "Participants": [a, b], "WEIGHTS": [50, 50], "quorum": 100, "Nonce": 1, "extra": true});
            let params = json!({"Definition": d, "ALLOCATIONS": [row(&a, "usdc", "7")], "metadata": {"x": 1}});
            r.request("A", "create_app_session", params, &["A"]);
            want_ok(r);
        })
}

fn params_array(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "params-array", p),
        "Params that are an array instead of an object fail to parse.",
    )
    .rules(&["AS-GEN-6", "AS-GEN-3", "WIRE-13"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        r.request("A", "create_app_session", json!([def(p, &a, &b)]), &["A"]);
        want_err(r, "failed to parse parameters");
    })
}

fn weights_string(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "weights-as-strings", p),
        "Integer fields accept JSON numbers only: weights written as strings fail to parse.",
    )
    .rules(&["AS-DEF-2", "AS-GEN-6"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let mut d = def(p, &a, &b);
        d["weights"] = json!(["50", "50"]);
        r.request("A", "create_app_session", create(d, vec![], None), &[]);
        want_err(r, "failed to parse parameters");
    })
}

fn quorum_fraction(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "quorum-fraction", p),
        "A fractional quorum (99.5) is not an integer and fails to parse.",
    )
    .rules(&["AS-DEF-2"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let mut d = def(p, &a, &b);
        d["quorum"] = json!(99.5);
        r.request("A", "create_app_session", create(d, vec![], None), &[]);
        want_err(r, "failed to parse parameters");
    })
}

fn quorum_float_integral(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "quorum-integral-float", p),
        "An integral float (100.0) is read as the integer 100, and the id hashes 100.",
    )
    .rules(&["AS-DEF-2", "AS-ID-2"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let d = def(p, &a, &b);
        let sid = session_id(&d);
        let mut sent = d.clone();
        sent["quorum"] = json!(100.0);
        r.request("A", "create_app_session", create(sent, vec![], None), &[]);
        want_ok(r);
        r.request(
            "A",
            "get_app_definition",
            json!({"app_session_id": sid}),
            &[],
        );
        want_ok(r);
    })
}

fn quorum_negative(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "quorum-negative", p),
        "A negative value for the unsigned quorum fails to parse.",
    )
    .rules(&["AS-DEF-2"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let mut d = def(p, &a, &b);
        d["quorum"] = json!(-1);
        r.request("A", "create_app_session", create(d, vec![], None), &[]);
        want_err(r, "failed to parse parameters");
    })
}

fn session_data_object(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "session-data-object", p),
        "session_data must be a string: an object fails to parse.",
    )
    .rules(&["AS-GEN-6"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let mut params = create(def(p, &a, &b), vec![], None);
        params["session_data"] = json!({"state": 1});
        r.request("A", "create_app_session", params, &[]);
        want_err(r, "failed to parse parameters");
    })
}

fn session_key_signs(p: &'static str) -> Case {
    Case::new(vid(AREA, "signed-by-root-session-keys", p), "Each funding participant may sign through its root (clearnode) session key instead of its wallet.")
        .rules(&["AS-CREATE-1", "AS-SK-1", "AS-GEN-7"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let rows = vec![row(&a, "usdc", "10"), row(&b, "usdc", "20")];
            r.request("A", "create_app_session", create(def(p, &a, &b), rows, None), &["A.sk", "B.sk"]);
            want_ok(r);
        })
}

fn unauthenticated(p: &'static str) -> Case {
    Case::new(vid(AREA, "unauthenticated", p), "A fully signed create on a connection that never authenticated fails with authentication required and no bu.")
        .rules(&["AS-GEN-5", "AUTH-3", "AUTH-14", "AS-NOTIF-2"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            r.connect("anon", None);
            r.request("anon", "create_app_session", create(def(p, &a, &b), vec![row(&a, "usdc", "1")], None), &["A"]);
            want_err(r, "authentication required");
        })
}

fn stale_timestamp(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "stale-timestamp", p),
        "A create whose ts is 61 s old fails with invalid message timestamp, and no bu follows.",
    )
    .rules(&["AS-GEN-5", "WIRE-12", "AS-NOTIF-2"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        r.request_at(
            "A",
            "create_app_session",
            create(def(p, &a, &b), vec![row(&a, "usdc", "1")], None),
            &["A"],
            -61_000,
        );
        want_err(r, "invalid message timestamp");
    })
}

fn future_timestamp(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "future-timestamp", p),
        "A ts one hour in the future is accepted.",
    )
    .rules(&["AS-GEN-5", "WIRE-12"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        r.request_at(
            "A",
            "create_app_session",
            create(def(p, &a, &b), vec![row(&a, "usdc", "1")], None),
            &["A"],
            3_600_000,
        );
        want_ok(r);
    })
}

fn non_participant_caller(p: &'static str) -> Case {
    Case::new(vid(AREA, "non-participant-caller", p), "The caller plays no part: C, authenticated but no participant, sends a create signed by A and B, and it succeeds.")
        .rules(&["AS-GEN-5", "AS-CREATE-2"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            r.participant("C");
            let rows = vec![row(&a, "usdc", "10"), row(&b, "usdc", "10")];
            r.request("C", "create_app_session", create(def(p, &a, &b), rows, None), &["A", "B"]);
            want_ok(r);
        })
}

fn extra_signer_ignored(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "extra-signers-ignored", p),
        "Signatures of a non-participant and a duplicate signature by A are ignored at create.",
    )
    .rules(&["AS-CREATE-2", "AS-GEN-7", "SIG-6"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        r.wallet("C");
        r.request(
            "A",
            "create_app_session",
            create(def(p, &a, &b), vec![row(&a, "usdc", "10")], None),
            &["C", "A", "A"],
        );
        want_ok(r);
    })
}

/// A create signed by A plus a second `sig` entry that does not recover.
fn bad_second_sig(r: &mut crate::vectors::recorder::Recorder, p: &str, bad: &str) {
    let (a, b) = pair(r);
    let params = create(def(p, &a, &b), vec![row(&a, "usdc", "1")], None);
    let req = super::common::req_text(
        r,
        90,
        "create_app_session",
        &serde_json::to_string(&params).expect("json"),
        0,
    );
    let mut sigs = super::common::signers(&["A"]);
    sigs.push(super::common::literal(bad));
    r.raw_request("A", &req, 0, sigs);
}

fn malformed_signature(p: &'static str) -> Case {
    Case::new(vid(AREA, "signature-65-zero-bytes", p), "A 65-byte all-zero signature next to a valid one does not recover, so the whole create fails with the signers fallback.")
        .rules(&["AS-GEN-7", "AS-GEN-3", "SIG-3", "SIG-6"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            bad_second_sig(r, p, &format!("0x{}", "00".repeat(65)));
            want_err(r, "failed to get signers from RPC message");
        })
}

fn short_signature(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "signature-64-bytes", p),
        "A 64-byte signature has the wrong length, so the create fails with the signers fallback.",
    )
    .rules(&["AS-GEN-7", "SIG-3", "SIG-6", "SIG-1"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        bad_second_sig(r, p, &format!("0x{}", "11".repeat(64)));
        want_err(r, "failed to get signers from RPC message");
    })
}

fn signature_other_bytes(p: &'static str) -> Case {
    Case::new(vid(AREA, "signature-over-other-bytes", p), "B's signature over a re-spaced copy of the req array recovers to some other address, so B's row lacks a signature.")
        .rules(&["AS-GEN-1", "SIG-2", "SIG-10", "AS-CREATE-1"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let rows = vec![row(&a, "usdc", "1"), row(&b, "usdc", "1")];
            let params = serde_json::to_string(&create(def(p, &a, &b), rows, None)).expect("json");
            let req = super::common::req_text(r, 91, "create_app_session", &params, 0);
            let spaced = req.replacen(',', ", ", 1);
            let mut sigs = super::common::signers(&["A"]);
            sigs.push(super::common::over_other("B", &spaced));
            r.raw_request("A", &req, 0, sigs);
            want_err(r, &format!("missing signature for participant {b}"));
        })
}

fn challenged_channel(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "challenged-channel", p),
        "A participant with a challenged channel cannot fund a create.",
    )
    .rules(&["AS-CHAN-1", "AS-CREATE-1"])
    .flags(&["needs-channel-hook", "invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        r.channel("A", crate::model::ChannelStatus::Challenged, "0");
        r.request(
            "A",
            "create_app_session",
            create(def(p, &a, &b), vec![row(&a, "usdc", "1")], None),
            &["A"],
        );
        want_err(
            r,
            &format!("participant {a} has challenged channels, cannot execute operation"),
        );
    })
}

fn funded_channel(p: &'static str) -> Case {
    Case::new(vid(AREA, "funds-in-open-channel", p), "A participant whose open channel holds funds cannot fund a create; a zero-allocation participant with such a channel is not checked.")
        .rules(&["AS-CHAN-2", "AS-CREATE-1"])
        .flags(&["needs-channel-hook", "invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            r.channel("A", crate::model::ChannelStatus::Open, "5");
            let rows = vec![row(&a, "usdc", "0"), row(&b, "usdc", "1")];
            r.request("A", "create_app_session", create(def(p, &a, &b), rows, None), &["B"]);
            want_ok(r);
            let d = definition("app2", p, &[&a, &b], &[50, 50], 100, 1);
            r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "1")], None), &["A"]);
            want_err(r, &format!("operation denied: non-zero allocation in 1 channel(s) detected owned by wallet {a}"));
        })
}

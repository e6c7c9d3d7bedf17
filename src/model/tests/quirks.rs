//! One test per quirk that changes an observable result, in the clearnode profile, and
//! the spec profile's rejection where the quirk creates, destroys or strands funds.

use super::*;

const P4: &str = "NitroRPC/0.4";

fn d2(nonce: u64) -> Value {
    def("app", P4, &[A, B], &[50, 50], 100, nonce)
}

fn start(profile: Profile, a: &str, b: &str) -> (H, String) {
    let mut h = H::funded(profile, "1000");
    let sid = h.create(d2(1), allocs(&[(A, a), (B, b)]), &[A, B]);
    (h, sid)
}

fn spec_rejects(out: &Outcome, rule: &str) {
    let e = out.response.error().expect("spec profile rejects");
    assert!(e.any_text && e.rule == Some(rule), "{e:?}");
}

fn op(sid: &str, v: u64, rows: &[(&str, &str)]) -> Value {
    submit(sid, "operate", v, rows)
}

#[test]
fn q_1_operate_left_out_participant_creates_money() {
    let (mut h, sid) = start(Profile::Clearnode052, "50", "50");
    ok(&h.call("submit_app_state", op(&sid, 2, &[(A, "100")]), &[A, B]));
    assert_eq!(
        [h.sbal(&sid, A), h.sbal(&sid, B), h.total()],
        ["100", "50", "2050"]
    );
    assert_eq!(h.violations.len(), 1);
    let (mut h, sid) = start(Profile::Spec, "50", "50");
    spec_rejects(
        &h.call("submit_app_state", op(&sid, 2, &[(A, "100")]), &[A, B]),
        "SPEC-2",
    );
    assert!(h.violations.is_empty());
}

#[test]
fn q_2_operate_duplicate_rows_destroy_money() {
    let (mut h, sid) = start(Profile::Clearnode052, "100", "0");
    ok(&h.call(
        "submit_app_state",
        op(&sid, 2, &[(A, "30"), (A, "70")]),
        &[A, B],
    ));
    assert_eq!([h.sbal(&sid, A), h.total()], ["70", "1970"]);
    // Equal duplicates lose money too (AS-INV-1): [A 50, A 50, B 0] from 50/50.
    let (mut h, sid) = start(Profile::Clearnode052, "50", "50");
    ok(&h.call(
        "submit_app_state",
        op(&sid, 2, &[(A, "50"), (A, "50"), (B, "0")]),
        &[A, B],
    ));
    assert_eq!(render(&h.m.session_totals(&sid)["usdc"]), "50");
    let (mut h, sid) = start(Profile::Spec, "100", "0");
    spec_rejects(
        &h.call(
            "submit_app_state",
            op(&sid, 2, &[(A, "30"), (A, "70")]),
            &[A, B],
        ),
        "SPEC-1",
    );
}

#[test]
fn q_3_close_strands_left_out_balance() {
    let (mut h, sid) = start(Profile::Clearnode052, "50", "50");
    let out = h.call("close_app_session", close(&sid, &[(A, "100")]), &[A, B]);
    assert_eq!(notes(&out), vec![n("bu", A), n("bu", A)]);
    assert_eq!(
        [h.bal(A), h.bal(B), h.sbal(&sid, B), h.total()],
        ["1050", "950", "50", "2050"]
    );
    // Duplicate rows on close are harmless.
    let (mut h, sid) = start(Profile::Clearnode052, "50", "50");
    ok(&h.call(
        "close_app_session",
        close(&sid, &[(A, "30"), (A, "70"), (B, "0")]),
        &[A, B],
    ));
    assert_eq!(h.total(), "2000");
    let (mut h, sid) = start(Profile::Spec, "50", "50");
    spec_rejects(
        &h.call("close_app_session", close(&sid, &[(A, "100")]), &[A, B]),
        "SPEC-3",
    );
}

#[test]
fn q_4_create_accepts_non_participant_rows() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    h.m.fund(C, "usdc", &dec("100"));
    let sid = h.create(d2(1), allocs(&[(A, "10"), (C, "40")]), &[A, C]);
    assert_eq!(h.sbal(&sid, C), "40");
    // C's funds can only leave by being allocated to participants at close.
    let out = h.call("close_app_session", close(&sid, &[(A, "10")]), &[A, B]);
    assert_eq!(err(&out), "asset usdc not fully redistributed");
    ok(&h.call("close_app_session", close(&sid, &[(A, "50")]), &[A, B]));
    assert_eq!([h.bal(A), h.bal(C)], ["1040", "60"]);
    let mut h = H::funded(Profile::Spec, "1000");
    h.m.fund(C, "usdc", &dec("100"));
    let out = h.call(
        "create_app_session",
        json!({"definition": d2(1), "allocations": allocs(&[(A, "10"), (C, "40")])}),
        &[A, C],
    );
    spec_rejects(&out, "SPEC-4");
}

#[test]
fn q_5_quorum_zero_is_stored_as_100_but_hashed_as_0() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let d = def("app", P4, &[A, B], &[1, 1], 0, 5);
    let sid = h.create(d, json!([]), &[A, B]);
    let want = gojson::DefinitionBytes {
        application: "app",
        protocol: P4,
        participants: &[A.into(), B.into()],
        weights: &[1, 1],
        quorum: 0,
        challenge: 0,
        nonce: 5,
    }
    .session_id();
    assert_eq!(sid, want);
    assert_eq!(
        ok(&h.call("get_app_definition", json!({"app_session_id": sid}), &[]))["quorum"],
        json!(100)
    );
    let out = h.call("submit_app_state", op(&sid, 2, &[]), &[A, B]);
    assert_eq!(
        err(&out),
        "incorrect submit_state request: quorum not reached: 2 / 100"
    );
    let mut h = H::funded(Profile::Spec, "1000");
    spec_rejects(
        &h.call(
            "create_app_session",
            json!({"definition": def("app", P4, &[A, B], &[1, 1], 0, 5)}),
            &[],
        ),
        "SPEC-6",
    );
}

#[test]
fn q_6_create_needs_no_quorum() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let out = h.call(
        "create_app_session",
        json!({"definition": d2(1), "allocations": allocs(&[(A, "0"), (B, "0")])}),
        &[],
    );
    assert_eq!(notes(&out), vec![n("bu", A)]);
    assert!(h
        .call(
            "create_app_session",
            json!({"definition": d2(2), "allocations": []}),
            &[]
        )
        .is_ok());
}

#[test]
fn q_7_duplicate_participants_last_weight_wins() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let sid = h.create(
        def("app", P4, &[A, A, B], &[60, 0, 40], 100, 1),
        allocs(&[(A, "10")]),
        &[A],
    );
    let out = h.call("submit_app_state", op(&sid, 2, &[(A, "10")]), &[A, B]);
    assert_eq!(
        err(&out),
        "incorrect submit_state request: quorum not reached: 40 / 100"
    );
    let out = h.call(
        "submit_app_state",
        submit(&sid, "withdraw", 2, &[(A, "5")]),
        &[A, B],
    );
    assert!(out.is_err_like());
    let mut h = H::funded(Profile::Spec, "1000");
    spec_rejects(
        &h.call(
            "create_app_session",
            json!({"definition": def("app", P4, &[A, A, B], &[60, 0, 40], 100, 1)}),
            &[],
        ),
        "SPEC-7",
    );
}

#[test]
fn q_8_withdraw_duplicates_over_withdraw() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let sid = h.create(d2(1), allocs(&[(A, "100")]), &[A]);
    let out = h.call(
        "submit_app_state",
        submit(&sid, "withdraw", 2, &[(A, "0"), (A, "0")]),
        &[A, B],
    );
    assert!(out.is_ok());
    assert_eq!(
        [h.bal(A), h.sbal(&sid, A), h.total()],
        ["1100", "-100", "2000"]
    );
    // L-2: the asu lists the negative balance.
    let asu = out
        .notifications
        .iter()
        .find(|n| n.method == "asu")
        .unwrap();
    assert_eq!(
        asu.params["participant_allocations"],
        json!([{"participant": A, "asset": "usdc", "amount": "-100"}])
    );
    // Q-21 follow-up: deposit's negative-allocation branch becomes reachable.
    let out = h.call(
        "submit_app_state",
        submit(&sid, "deposit", 3, &[(A, "-50")]),
        &[A, B],
    );
    assert_eq!(err(&out), "negative allocation: -50 for asset usdc");
    let mut h = H::funded(Profile::Spec, "1000");
    let sid = h.create(d2(1), allocs(&[(A, "100")]), &[A]);
    spec_rejects(
        &h.call(
            "submit_app_state",
            submit(&sid, "withdraw", 2, &[(A, "0"), (A, "0")]),
            &[A, B],
        ),
        "SPEC-1",
    );
}

#[test]
fn q_9_deposit_duplicates_deposit_twice() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let sid = h.create(d2(1), allocs(&[(A, "100")]), &[A]);
    ok(&h.call(
        "submit_app_state",
        submit(&sid, "deposit", 2, &[(A, "150"), (A, "150")]),
        &[A, B],
    ));
    assert_eq!(
        [h.bal(A), h.sbal(&sid, A), h.total()],
        ["800", "200", "2000"]
    );
    let mut h = H::funded(Profile::Spec, "1000");
    let sid = h.create(d2(1), allocs(&[(A, "100")]), &[A]);
    spec_rejects(
        &h.call(
            "submit_app_state",
            submit(&sid, "deposit", 2, &[(A, "150"), (A, "150")]),
            &[A, B],
        ),
        "SPEC-1",
    );
}

#[test]
fn q_10_random_choices_give_sets() {
    let (mut h, sid) = start(Profile::Clearnode052, "10", "10");
    let out = h.call(
        "submit_app_state",
        op(&sid, 2, &[(A, "10"), (B, "10")]),
        &[A, C, D],
    );
    let mut e = errs(&out);
    e.sort();
    let mut want = vec![
        format!("signature from unknown participant wallet {C}"),
        format!("signature from unknown participant wallet {D}"),
    ];
    want.sort();
    assert_eq!(e, want);
    h.m.fund(A, "eth", &dec("10"));
    ok(&h.call("submit_app_state", json!({"app_session_id": sid, "intent": "deposit", "version": 2, "allocations": [{"participant": A, "asset": "eth", "amount": "5"}]}), &[A, B]));
    let out = h.call("submit_app_state", op(&sid, 3, &[]), &[A, B]);
    assert_eq!(errs(&out).len(), 2);
    // Several service bus: one permutable group.
    let out = h.call("close_app_session", json!({"app_session_id": sid, "allocations": [{"participant": A, "asset": "usdc", "amount": "10"}, {"participant": B, "asset": "usdc", "amount": "10"}, {"participant": A, "asset": "eth", "amount": "5"}]}), &[A, B]);
    let groups: Vec<u32> = out.notifications.iter().map(|n| n.group).collect();
    assert_eq!(groups, vec![1, 1, 0]);
}

#[test]
fn q_11_close_quorum_error_says_submit_state() {
    let (mut h, sid) = start(Profile::Clearnode052, "50", "50");
    let out = h.call(
        "close_app_session",
        close(&sid, &[(A, "50"), (B, "50")]),
        &[A],
    );
    assert_eq!(
        err(&out),
        "incorrect submit_state request: quorum not reached: 50 / 100"
    );
}

#[test]
fn q_12_version_is_a_number_and_zero_fields_present() {
    let (mut h, sid) = start(Profile::Clearnode052, "1", "1");
    let out = h.call(
        "submit_app_state",
        op(&sid, 2, &[(A, "1"), (B, "1")]),
        &[A, B],
    );
    assert!(ok(&out)["version"].is_u64());
    assert_eq!(ok(&out)["participants"], Value::Null);
    assert_eq!(ok(&out)["weights"], Value::Null);
}

#[test]
fn q_13_application_empty_in_definition_and_asu() {
    let (mut h, sid) = start(Profile::Clearnode052, "1", "1");
    assert_eq!(
        ok(&h.call("get_app_definition", json!({"app_session_id": sid}), &[]))["application"],
        json!("")
    );
    let out = h.call(
        "submit_app_state",
        op(&sid, 2, &[(A, "1"), (B, "1")]),
        &[A, B],
    );
    assert_eq!(
        out.notifications[0].params["app_session"]["application"],
        json!("")
    );
    assert_eq!(
        ok(&h.call("get_app_sessions", json!({}), &[]))["app_sessions"][0]["application"],
        json!("app")
    );
}

#[test]
fn q_14_ledger_balances_of_a_session_show_only_the_callers_share() {
    let (mut h, sid) = start(Profile::Clearnode052, "30", "70");
    assert_eq!(
        ok(&h.call("get_ledger_balances", json!({"account_id": sid}), &[])),
        &json!({"ledger_balances": [{"asset": "usdc", "amount": "30"}]})
    );
    assert_eq!(
        ok(&h.call(
            "get_ledger_balances",
            json!({"account_id": B, "participant": B}),
            &[]
        )),
        &json!({"ledger_balances": []})
    );
}

#[test]
fn q_15_large_nonce_is_hashed_rounded() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let out = h.call(
        "create_app_session",
        json!({"definition": def("app", P4, &[A, B], &[50, 50], 100, 9007199254740993)}),
        &[],
    );
    let want = gojson::DefinitionBytes {
        application: "app",
        protocol: P4,
        participants: &[A.into(), B.into()],
        weights: &[50, 50],
        quorum: 100,
        challenge: 0,
        nonce: 9007199254740992,
    }
    .session_id();
    assert_eq!(ok(&out)["app_session_id"], json!(want));
}

#[test]
fn q_16_rounding_and_overflow_order() {
    // Writes round each difference half away from zero; with three holders the roundings do not
    // cancel: 30/30/40 → 33.3333333333333333335 ×2 + 33.333333333333333333 creates 1e-18.
    let rows = [
        (A, "33.3333333333333333335"),
        (B, "33.3333333333333333335"),
        (C, "33.333333333333333333"),
    ];
    for profile in Profile::ALL {
        let mut h = H::funded(profile, "1000");
        h.m.fund(C, "usdc", &dec("1000"));
        let sid = h.create(
            def("app", P4, &[A, B, C], &[1, 1, 1], 1, 1),
            allocs(&[(A, "30"), (B, "30"), (C, "40")]),
            &[A, B, C],
        );
        let out = h.call("submit_app_state", op(&sid, 2, &rows), &[A]);
        if profile.is_spec() {
            spec_rejects(&out, "SPEC-5");
        } else {
            ok(&out);
            assert_eq!(
                render(&h.m.session_totals(&sid)["usdc"]),
                "100.000000000000000001"
            );
        }
    }
    // The overflowing write happens before the sum check.
    let (mut h, sid) = start(Profile::Clearnode052, "50", "50");
    let out = h.call(
        "submit_app_state",
        op(&sid, 2, &[(A, "2e46"), (B, "0")]),
        &[A, B],
    );
    assert!(
        out.response.error().unwrap().texts[0].starts_with("failed to record a ledger entry : ")
    );
}

#[test]
fn q_17_lower_case_participant_never_signs_and_gets_no_notification() {
    // SIG-4: recovered signers are EIP-55 strings, so a lower-case participant never matches.
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let lower = A.to_lowercase();
    let sid = h.create(
        def("app", P4, &[&lower, B], &[50, 50], 100, 1),
        allocs(&[(B, "10")]),
        &[B],
    );
    let out = h.call("submit_app_state", op(&sid, 2, &[(B, "10")]), &[A, B]);
    assert_eq!(
        err(&out),
        format!("signature from unknown participant wallet {A}")
    );
    let out = h.call("submit_app_state", op(&sid, 2, &[(B, "10")]), &[B]);
    assert_eq!(
        err(&out),
        "incorrect submit_state request: quorum not reached: 50 / 100"
    );
    let mut h = H::funded(Profile::Spec, "1000");
    spec_rejects(
        &h.call(
            "create_app_session",
            json!({"definition": def("app", P4, &[&lower, B], &[50, 50], 100, 1)}),
            &[],
        ),
        "SPEC-8",
    );
}

#[test]
fn q_18_empty_intent_is_operate() {
    let (mut h, sid) = start(Profile::Clearnode052, "50", "50");
    let out = h.call("submit_app_state", json!({"app_session_id": sid, "version": 2, "allocations": allocs(&[(A, "40"), (B, "60")])}), &[A, B]);
    assert_eq!(ok(&out)["version"], json!(2));
}

#[test]
fn q_19_version_probe_without_signatures() {
    let (mut h, sid) = start(Profile::Clearnode052, "50", "50");
    let out = h.call("submit_app_state", op(&sid, 5, &[]), &[]);
    assert_eq!(
        err(&out),
        "incorrect app state: incorrect version: expected 2, got 5"
    );
}

#[test]
fn q_20_unknown_intent_after_quorum() {
    let (mut h, sid) = start(Profile::Clearnode052, "50", "50");
    assert_eq!(
        err(&h.call("submit_app_state", submit(&sid, "foo", 2, &[]), &[A])),
        "incorrect submit_state request: quorum not reached: 50 / 100"
    );
    assert_eq!(
        err(&h.call("submit_app_state", submit(&sid, "foo", 2, &[]), &[A, B])),
        "incorrect app state: unsupported intent: foo"
    );
}

#[test]
fn q_21_deposit_decrease_check_comes_first() {
    let (mut h, sid) = start(Profile::Clearnode052, "50", "50");
    let out = h.call(
        "submit_app_state",
        submit(&sid, "deposit", 2, &[(A, "-5")]),
        &[A, B],
    );
    assert_eq!(
        err(&out),
        format!("incorrect deposit request: decreased allocation for participant {A}")
    );
}

#[test]
fn q_22_check_order_differs_between_create_and_deposit() {
    // Create: signature before the channel guard. Deposit: channel guard before signature.
    let (mut h, sid) = start(Profile::Clearnode052, "50", "50");
    h.m.add_channel(
        B,
        Channel {
            channel_id: "c".into(),
            status: ChannelStatus::Open,
            raw_amount: dec("1"),
        },
    );
    let out = h.call(
        "create_app_session",
        json!({"definition": d2(2), "allocations": allocs(&[(B, "1")])}),
        &[A],
    );
    assert_eq!(err(&out), format!("missing signature for participant {B}"));
    let out = h.call(
        "submit_app_state",
        submit(&sid, "deposit", 2, &[(B, "60")]),
        &[A],
    );
    assert_eq!(
        err(&out),
        "incorrect deposit request: quorum not reached: 50 / 100"
    );
    let sid2 = h.create(def("app", P4, &[A, B], &[100, 0], 100, 3), allocs(&[]), &[]);
    let out = h.call(
        "submit_app_state",
        submit(&sid2, "deposit", 2, &[(B, "1")]),
        &[A],
    );
    assert_eq!(
        err(&out),
        format!(
            "operation denied: non-zero allocation in 1 channel(s) detected owned by wallet {B}"
        )
    );
}

#[test]
fn q_24_middleware_bu_on_failures_and_twice_for_participants() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let out = h.call("close_app_session", close("nope", &[(A, "1")]), &[]);
    assert_eq!(notes(&out), vec![n("bu", A)]);
    let out = h.call(
        "transfer",
        json!({"destination": B, "allocations": []}),
        &[A],
    );
    assert_eq!(notes(&out), vec![n("bu", A)]);
    let out = h.call(
        "create_app_session",
        json!({"definition": d2(1), "allocations": allocs(&[(A, "1")])}),
        &[A],
    );
    assert_eq!(notes(&out), vec![n("bu", A), n("bu", A)]);
}

#[test]
fn q_25_0_2_states_can_be_replayed() {
    // REPLAY-3: app-session calls have no replay cache; a 0.2 state has no version either.
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let sid = h.create(
        def("app", "NitroRPC/0.2", &[A, B], &[50, 50], 100, 1),
        allocs(&[(A, "50"), (B, "50")]),
        &[A, B],
    );
    let p = json!({"app_session_id": sid, "allocations": allocs(&[(A, "10"), (B, "90")])});
    ok(&h.call("submit_app_state", p.clone(), &[A, B]));
    ok(&h.call(
        "submit_app_state",
        json!({"app_session_id": sid, "allocations": allocs(&[(A, "90"), (B, "10")])}),
        &[A, B],
    ));
    ok(&h.call("submit_app_state", p, &[A, B]));
    assert_eq!([h.sbal(&sid, A), h.sbal(&sid, B)], ["10", "90"]);
    assert_eq!(h.m.session(&sid).unwrap().version, 4);
}

#[test]
fn q_26_sort_is_validated_only_by_sql() {
    // API-0, FUZZ-6: `sort` reaches ORDER BY; only what SQL accepts passes.
    let mut h = H::funded(Profile::Clearnode052, "1000");
    assert!(h
        .call("get_app_sessions", json!({"sort": "asc nulls last"}), &[])
        .is_ok());
    assert_eq!(
        err(&h.call(
            "get_app_sessions",
            json!({"sort": "asc; drop table x"}),
            &[]
        )),
        "failed to get application sessions"
    );
}

#[test]
fn q_27_root_keys_skip_expiry_in_the_db_check() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    ok(&h.register_key(CONN_A, A, KA, "clearnode", json!([]), 1_800_000_000));
    ok(&h.call("revoke_session_key", json!({"session_key": KA}), &[A]));
    // The revoked root key no longer maps (cache), so it cannot sign for A…
    let out = h.call(
        "create_app_session",
        json!({"definition": d2(1), "allocations": allocs(&[(A, "1")])}),
        &[KA],
    );
    assert_eq!(err(&out), format!("missing signature for participant {A}"));
    // …but as the signer of a "" row its DB row still passes the check.
    let d = def("app", P4, &["", B], &[50, 50], 100, 2);
    let out = h.call("create_app_session", json!({"definition": d, "allocations": [{"participant": "", "asset": "usdc", "amount": "1"}]}), &[KA]);
    assert_eq!(err(&out), "insufficient funds:  for asset usdc");
}

#[test]
fn q_28_close_uses_transaction_ids_for_zero_rows() {
    let (mut h, sid) = start(Profile::Clearnode052, "10", "0");
    ok(&h.call(
        "close_app_session",
        close(&sid, &[(A, "10"), (B, "0")]),
        &[A, B],
    ));
    let out = h.call(
        "transfer",
        json!({"destination": B, "allocations": [{"asset": "usdc", "amount": "1"}]}),
        &[A],
    );
    // create: 1 app_deposit; close: 2 app_withdrawal (one of 0); transfer: id 4.
    assert_eq!(ok(&out)["transactions"][0]["id"], json!(4));
}

#[test]
fn q_29_close_ignores_version() {
    let (mut h, sid) = start(Profile::Clearnode052, "10", "0");
    let out = h.call("close_app_session", json!({"app_session_id": sid, "version": 99, "intent": "deposit", "allocations": allocs(&[(A, "10")])}), &[A, B]);
    assert_eq!(ok(&out)["version"], json!(2));
}

#[test]
fn q_30_database_ranges_fail_at_insert() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let out = h.call("create_app_session", json!({"definition": def("app", P4, &[A, B], &[2_147_483_648, 0], 1, 1), "allocations": allocs(&[(A, "1")])}), &[A]);
    assert_eq!(err(&out), "failed to create application session");
    assert_eq!(h.bal(A), "1000");
    let out = h.call(
        "create_app_session",
        json!({"definition": def("app", P4, &[A, B], &[1, 1], 1, 9_223_372_036_854_775_808)}),
        &[],
    );
    assert_eq!(err(&out), "failed to create application session");
}

#[test]
fn q_31_duplicate_create_generic_error() {
    let (mut h, _) = start(Profile::Clearnode052, "1", "1");
    let out = h.call("create_app_session", json!({"definition": d2(1)}), &[]);
    assert_eq!(err(&out), "failed to create application session");
}

#[test]
fn q_33_empty_string_amount_is_a_parse_error() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let out = h.call("create_app_session", json!({"definition": d2(1), "allocations": [{"participant": A, "asset": "usdc", "amount": ""}]}), &[]);
    assert_eq!(err(&out), "failed to parse parameters");
}

#[test]
fn q_34_weight_sum_overflow_wraps() {
    // The int64 sum wraps and is compared as unsigned, which equals the true sum modulo 2^64.
    // Weights pass through a double and Go's shortest text: 2^62 arrives as 4611686018427388000,
    // and four of those wrap to 384. i64::MAX rounds to 2^63 and fails parsing.
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let w = 1i64 << 62;
    let out = h.call(
        "create_app_session",
        json!({"definition": def("app", P4, &[A, B, C, D], &[w, w, w, w], 1000, 1)}),
        &[],
    );
    assert_eq!(
        err(&out),
        "target quorum (1000) cannot be greater than total sum of weights (384)"
    );
    // Without a wrap the huge weights pass the check and fail at insert.
    let out = h.call(
        "create_app_session",
        json!({"definition": def("app", P4, &[A, B], &[w, w], 1000, 1)}),
        &[],
    );
    assert_eq!(err(&out), "failed to create application session");
    let out = h.call(
        "create_app_session",
        json!({"definition": def("app", P4, &[A, B], &[i64::MAX, 0], 1, 1)}),
        &[],
    );
    assert_eq!(err(&out), "failed to parse parameters");
}

#[test]
fn q_35_lower_case_self_transfer() {
    // FUZZ-7: casing changes the outcome silently.
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let out = h.call(
        "transfer",
        json!({"destination": A.to_lowercase(), "allocations": [{"asset": "usdc", "amount": "5"}]}),
        &[A],
    );
    assert!(out.is_ok());
    assert_eq!(h.bal(A), "1000");
    assert_eq!(
        notes(&out),
        vec![
            n("bu", A),
            n("tr", A),
            n("bu", &A.to_lowercase()),
            n("tr", &A.to_lowercase()),
            n("bu", A)
        ]
    );
    let out = h.call(
        "transfer",
        json!({"destination": A, "allocations": [{"asset": "usdc", "amount": "5"}]}),
        &[A],
    );
    assert_eq!(err(&out), "cannot transfer to self");
}

#[test]
fn q_36_empty_channels_are_counted() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    for (i, amt) in ["0", "0", "3"].iter().enumerate() {
        h.m.add_channel(
            A,
            Channel {
                channel_id: format!("c{i}"),
                status: ChannelStatus::Open,
                raw_amount: dec(amt),
            },
        );
    }
    let out = h.call(
        "transfer",
        json!({"destination": B, "allocations": [{"asset": "usdc", "amount": "1"}]}),
        &[A],
    );
    assert_eq!(
        err(&out),
        format!(
            "operation denied: non-zero allocation in 3 channel(s) detected owned by wallet {A}"
        )
    );
}

#[test]
fn q_37_empty_participant_is_vouched_for_by_any_plain_signer() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let d = def("app", P4, &["", B], &[50, 50], 100, 1);
    let row = json!([{"participant": "", "asset": "usdc", "amount": "1"}]);
    let out = h.call(
        "create_app_session",
        json!({"definition": d, "allocations": row}),
        &[A, C],
    );
    let mut e = errs(&out);
    e.sort();
    assert_eq!(e, vec![
        format!("session key validation failed: failed to retrieve session key {C}: record not found"),
        format!("session key validation failed: failed to retrieve session key {A}: record not found"),
    ].into_iter().collect::<std::collections::BTreeSet<_>>().into_iter().collect::<Vec<_>>());
    let out = h.call(
        "create_app_session",
        json!({"definition": d, "allocations": row}),
        &[],
    );
    assert_eq!(err(&out), "missing signature for participant ");
    // A once-registered, now revoked app key gives "session key expired".
    ok(&h.register_key(CONN_A, A, KA, "app", json!([]), 1_800_000_000));
    ok(&h.call("revoke_session_key", json!({"session_key": KA}), &[A]));
    let out = h.call(
        "create_app_session",
        json!({"definition": d, "allocations": row}),
        &[KA],
    );
    assert_eq!(
        err(&out),
        "session key validation failed: session key expired"
    );
}

trait ErrLike {
    fn is_err_like(&self) -> bool;
}

impl ErrLike for Outcome {
    fn is_err_like(&self) -> bool {
        matches!(self.response, Expected::Err(_))
    }
}

//! One test (at least) per AS-* rule of app-sessions.md, named after it.

use super::*;

const P4: &str = "NitroRPC/0.4";
const P2: &str = "NitroRPC/0.2";

fn h() -> H {
    H::funded(Profile::Clearnode052, "1000")
}

fn d2(nonce: u64) -> Value {
    def("app", P4, &[A, B], &[50, 50], 100, nonce)
}

fn create_ab(h: &mut H, nonce: u64, a: &str, b: &str) -> String {
    h.create(d2(nonce), allocs(&[(A, a), (B, b)]), &[A, B])
}

fn create_call(def: Value, rows: Value) -> Value {
    json!({"definition": def, "allocations": rows})
}

#[test]
fn as_gen_1_signatures_are_the_recovered_sig_entries() {
    let mut h = h();
    let out = h.call(
        "create_app_session",
        create_call(d2(1), allocs(&[(A, "1")])),
        &[B],
    );
    assert_eq!(err(&out), format!("missing signature for participant {A}"));
    assert!(h
        .call(
            "create_app_session",
            create_call(d2(1), allocs(&[(A, "1")])),
            &[B, A]
        )
        .is_ok());
}

#[test]
fn as_gen_2_success_echoes_method_and_error_is_a_text() {
    let mut h = h();
    let out = h.call("create_app_session", create_call(d2(1), allocs(&[])), &[]);
    assert!(matches!(
        out.response,
        Expected::Ok {
            method: "create_app_session",
            ..
        }
    ));
    let out = h.call("ping", json!({}), &[]);
    assert_eq!(
        out.response,
        Expected::Ok {
            method: "pong",
            result: Value::Null
        }
    );
}

#[test]
fn as_gen_3_fallback_and_parse_texts() {
    // WIRE-17: without a client-visible error the handler's fallback text is sent.
    let mut h = h();
    create_ab(&mut h, 1, "0", "0");
    let out = h.call("create_app_session", create_call(d2(1), allocs(&[])), &[]);
    assert_eq!(err(&out), "failed to create application session");
    for m in [
        "create_app_session",
        "submit_app_state",
        "close_app_session",
    ] {
        assert_eq!(
            err(&h.call(m, json!([]), &[])),
            "failed to parse parameters",
            "{m}"
        );
    }
}

#[test]
fn as_gen_4_frame_level_errors() {
    let mut h = h();
    assert_eq!(
        err(&h.call("ping", Value::Null, &[])),
        "message validation failed"
    );
    assert_eq!(
        err(&h.call("", json!({}), &[])),
        "message validation failed"
    );
    let (sigs, empty) = ([], json!({}));
    let call = Call {
        ts: 0,
        ..Call::new(CONN_A, "ping", &empty, &sigs, T0)
    };
    assert_eq!(h.m.step(&call).error_text(), "message validation failed");
    // NOTIF-8: the SDK's `message` is no method of 0.5.2.
    let out = h.call("message", json!({}), &[]);
    assert_eq!(err(&out), "unknown method: message");
    assert!(out.notifications.is_empty());
}

#[test]
fn as_gen_5_private_methods_need_auth_and_a_fresh_timestamp() {
    let mut h = h();
    let out = h.call_on(
        9,
        "create_app_session",
        create_call(d2(1), allocs(&[])),
        &[],
    );
    assert_eq!(err(&out), "authentication required");
    // WIRE-7: the auth middleware runs before the handler and its bu.
    assert!(
        out.notifications.is_empty(),
        "no middleware bu before auth passes"
    );
    // SIG-5: a public read needs neither authentication nor signatures.
    assert!(h.call_on(9, "get_app_sessions", json!({}), &[]).is_ok());
    // WIRE-12, LIM-3: private methods need a 13-digit ts at most 60 s old; WIRE-11: a public one
    // (above) does not.
    let p = create_call(d2(1), allocs(&[]));
    let sigs = [];
    for ts in [999_999_999_999, 10_000_000_000_000, h.now - 61_000] {
        let call = Call {
            ts,
            ..Call::new(CONN_A, "create_app_session", &p, &sigs, h.now)
        };
        let out = h.m.step(&call);
        assert_eq!(out.error_text(), "invalid message timestamp", "{ts}");
        assert!(out.notifications.is_empty());
    }
    let call = Call {
        ts: h.now + 3_600_000,
        ..Call::new(CONN_A, "create_app_session", &p, &sigs, h.now)
    };
    assert!(h.m.step(&call).is_ok(), "future timestamps are accepted");
    // The caller plays no part: C (authenticated, not a participant) submits a signed state.
    let sid = create_ab(&mut h, 2, "10", "10");
    h.m.login(3, C, h.now);
    let out = h.call_on(
        3,
        "submit_app_state",
        submit(&sid, "operate", 2, &[(A, "20"), (B, "0")]),
        &[A, B],
    );
    assert!(out.is_ok());
    assert_eq!(notes(&out).last(), Some(&n("bu", C)));
}

#[test]
fn as_gen_5_session_expired_after_24h_idle() {
    // AUTH-13, LIM-2: the wallet's auth session lapses after 24 h without a private call.
    let mut h = h();
    h.now += 24 * 3_600_000 + 1;
    let out = h.call("get_ledger_balances", json!({}), &[]);
    assert_eq!(err(&out), "session expired, please re-authenticate");
}

#[test]
fn as_gen_6_case_insensitive_keys_and_duplicates() {
    let mut h = h();
    let p = json!({"Definition": {"Participants": [A, B], "WEIGHTS": [50, 50], "quorum": 100, "nonce": 1, "Protocol": P4, "application": "chess", "challenge": 86400},
        "allocations": allocs(&[(A, "100")])});
    let out = h.call("create_app_session", p, &[A]);
    assert_eq!(
        ok(&out)["app_session_id"],
        json!("0x4b1e7acde82b2f2b1f2f0d8747f9ccecfe54843aff583beaaf14f0d3ef5d603d")
    );
    let bad = json!({"definition": {"participants": [A, B], "weights": [50, 50], "quorum": "100", "nonce": 1, "protocol": P4}});
    assert_eq!(
        err(&h.call("create_app_session", bad, &[])),
        "failed to parse parameters"
    );
    let bad = json!({"definition": d2(3), "session_data": {"x": 1}});
    assert_eq!(
        err(&h.call("create_app_session", bad, &[])),
        "failed to parse parameters"
    );
    let esc = json!({"definition": d2(4), "allocations": [{"participant": A, "asset": "usdc", "amount": "\u{0031}"}]});
    assert!(h.call("create_app_session", esc, &[A]).is_ok());
}

#[test]
fn as_gen_7_signer_and_wallet_sets() {
    let mut h = h();
    let bad = vec![Some(A.to_string()), None];
    let p = create_call(d2(1), allocs(&[]));
    let out = h.call_raw(CONN_A, "create_app_session", &p, &bad);
    assert_eq!(err(&out), "failed to get signers from RPC message");
    let sid = create_ab(&mut h, 2, "10", "10");
    let out = h.call_raw(
        CONN_A,
        "submit_app_state",
        &submit(&sid, "operate", 2, &[(A, "10"), (B, "10")]),
        &bad,
    );
    assert_eq!(err(&out), "failed to get wallets from RPC message");
    let out = h.call_raw(
        CONN_A,
        "close_app_session",
        &close(&sid, &[(A, "10"), (B, "10")]),
        &bad,
    );
    assert_eq!(err(&out), "failed to get wallets from RPC message");
    // Duplicate signatures count once (SIG-6).
    let out = h.call(
        "submit_app_state",
        submit(&sid, "operate", 2, &[(A, "10"), (B, "10")]),
        &[A, A],
    );
    assert_eq!(
        err(&out),
        "incorrect submit_state request: quorum not reached: 50 / 100"
    );
}

#[test]
fn as_gen_8_identity_is_an_exact_string_but_ledger_keys_are_normalised() {
    let mut h = h();
    let lower = A.to_lowercase();
    let out = h.call(
        "create_app_session",
        create_call(
            def("x", P4, &[&lower, B], &[50, 50], 50, 1),
            allocs(&[(&lower, "5")]),
        ),
        &[A],
    );
    assert_eq!(
        err(&out),
        format!("missing signature for participant {lower}")
    );
    let out = h.call(
        "create_app_session",
        create_call(
            def("x", P4, &[&lower, B], &[50, 50], 50, 1),
            allocs(&[(B, "5")]),
        ),
        &[B],
    );
    let sid = ok(&out)["app_session_id"].as_str().unwrap().to_string();
    // B's unified debit and session credit are keyed by the checksummed wallet.
    assert_eq!(h.bal(&B.to_lowercase()), "995");
    assert_eq!(h.sbal(&sid, B), "5");
}

#[test]
fn as_model_1_ledger_keeps_per_wallet_split_in_sessions() {
    let mut h = h();
    h.m.fund(C, "usdc", &dec("100"));
    let out = h.call(
        "create_app_session",
        create_call(d2(1), allocs(&[(A, "10"), (C, "30")])),
        &[A, C],
    );
    let sid = ok(&out)["app_session_id"].as_str().unwrap().to_string();
    assert_eq!([h.sbal(&sid, A), h.sbal(&sid, C)], ["10", "30"]);
    assert_eq!(render(&h.m.session_totals(&sid)["usdc"]), "40");
    // A zero row writes nothing: B has no entry at all.
    create_ab(&mut h, 2, "1", "0");
    assert_eq!(
        h.m.ledger()
            .rows(&ledger::account_key(B), &ledger::account_key(B))
            .count(),
        1
    );
}

#[test]
fn as_model_2_session_record() {
    let mut h = h();
    let out = h.call("create_app_session", json!({"definition": def("chess", P2, &[A, B], &[1, 1], 2, 9), "allocations": [], "session_data": "d"}), &[]);
    let sid = ok(&out)["app_session_id"].as_str().unwrap().to_string();
    let s = h.m.session(&sid).unwrap();
    assert_eq!(
        (
            s.protocol.as_str(),
            s.application.as_str(),
            s.version,
            s.status,
            s.session_data.as_str()
        ),
        (P2, "chess", 1, Status::Open, "d")
    );
    assert_eq!((s.quorum, s.nonce, s.challenge), (2, 9, 0));
}

#[test]
fn as_model_3_a_failed_request_rolls_back_every_write() {
    let mut h = h();
    let out = h.call(
        "create_app_session",
        create_call(d2(1), allocs(&[(A, "100"), (B, "2000")])),
        &[A, B],
    );
    assert_eq!(err(&out), format!("insufficient funds: {B} for asset usdc"));
    assert_eq!([h.bal(A), h.bal(B)], ["1000", "1000"]);
    assert_eq!(h.m.sessions().count(), 0);
    assert!(h.violations.is_empty());
}

#[test]
fn as_def_1_protocol_is_exact_and_application_optional() {
    let mut h = h();
    let out = h.call(
        "create_app_session",
        create_call(def("", "nitrorpc/0.4", &[A, B], &[1, 1], 1, 1), allocs(&[])),
        &[],
    );
    assert_eq!(err(&out), "unsupported protocol: nitrorpc/0.4");
    let out = h.call(
        "create_app_session",
        json!({"definition": {"participants": [A, B], "weights": [1, 1], "quorum": 1, "nonce": 1}}),
        &[],
    );
    assert_eq!(err(&out), "unsupported protocol: ");
    let out = h.call("create_app_session", json!({"definition": {"protocol": P4, "participants": [A, B], "weights": [1, 1], "quorum": 1, "nonce": 1}}), &[]);
    assert!(out.is_ok());
}

#[test]
fn as_def_2_integers_pass_through_a_double() {
    let mut h = h();
    let out = h.call("create_app_session", json!({"definition": {"protocol": P4, "participants": [A, B], "weights": [1.0, 1e0], "quorum": 2, "nonce": 9007199254740993u64}}), &[]);
    let sid = ok(&out)["app_session_id"].as_str().unwrap().to_string();
    assert_eq!(h.m.session(&sid).unwrap().nonce, 9007199254740992);
    let out = h.call("create_app_session", json!({"definition": {"protocol": P4, "participants": [A, B], "weights": [1, 1], "quorum": 2, "nonce": 1.5}}), &[]);
    assert_eq!(err(&out), "failed to parse parameters");
}

#[test]
fn as_def_3_validation_order() {
    let mut h = h();
    let cases = [
        (
            json!({"protocol": "x", "participants": [A], "weights": [], "nonce": 0}),
            "unsupported protocol: x".to_string(),
        ),
        (
            json!({"protocol": P4, "participants": [A], "weights": [], "nonce": 0}),
            "invalid number of participants".into(),
        ),
        (
            json!({"protocol": P4, "participants": [A, B], "weights": [1], "nonce": 0}),
            "number of weights must be equal to participants".into(),
        ),
        (
            json!({"protocol": P4, "participants": [A, B], "weights": [-1, -2], "nonce": 0}),
            "nonce is zero or not provided".into(),
        ),
        (
            json!({"protocol": P4, "participants": [A, B], "weights": [1, -2], "nonce": 1, "quorum": 9}),
            format!("participant {B} weight cannot be negative"),
        ),
        (
            json!({"protocol": P4, "participants": [A, B], "weights": [1, 2], "nonce": 1, "quorum": 4}),
            "target quorum (4) cannot be greater than total sum of weights (3)".into(),
        ),
    ];
    for (d, want) in cases {
        assert_eq!(
            err(&h.call("create_app_session", json!({"definition": d}), &[])),
            want
        );
    }
    assert!(h.call("create_app_session", json!({"definition": {"protocol": P4, "participants": [A, B], "weights": [0, 3], "nonce": 1, "quorum": 3}}), &[]).is_ok());
}

#[test]
fn as_id_2_key_order_and_spacing_do_not_matter() {
    let mut h = h();
    let p: Value = serde_json::from_str(&format!(
        r#"{{ "allocations": [], "definition": {{ "nonce": 1, "challenge": 86400, "quorum": 100, "weights": [50, 50], "participants": ["{A}", "{B}"], "protocol": "NitroRPC/0.4", "application": "chess" }} }}"#
    )).unwrap();
    let out = h.call("create_app_session", p, &[]);
    assert_eq!(
        ok(&out)["app_session_id"],
        json!("0x4b1e7acde82b2f2b1f2f0d8747f9ccecfe54843aff583beaaf14f0d3ef5d603d")
    );
}

#[test]
fn as_id_3_ids_are_unique_even_after_close() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "10", "0");
    ok(&h.call("close_app_session", close(&sid, &[(A, "10")]), &[A, B]));
    let out = h.call(
        "create_app_session",
        create_call(d2(1), allocs(&[(A, "5")])),
        &[A],
    );
    assert_eq!(err(&out), "failed to create application session");
    assert_eq!(h.bal(A), "1000");
}

#[test]
fn as_id_4_sdk_vector_through_create() {
    let mut h = h();
    let d = def(
        "conformance-app",
        P4,
        &[
            "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf",
            "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF",
        ],
        &[50, 50],
        100,
        1_700_000_000_000,
    );
    let out = h.call("create_app_session", json!({"definition": d}), &[]);
    assert_eq!(
        ok(&out)["app_session_id"],
        json!("0x94fd7e40b7632bf94e0bbef3918e3e552ad7814d5a4974506e5ab04d1b9c89bd")
    );
}

#[test]
fn as_create_1_row_pipeline_order() {
    let mut h = h();
    // A zero row is skipped before anything else is looked at.
    assert!(h.call("create_app_session", create_call(d2(1), json!([{"participant": "nobody", "asset": "zzz", "amount": "0"}, {"participant": A, "asset": "usdc", "amount": null}])), &[]).is_ok());
    let out = h.call(
        "create_app_session",
        create_call(d2(2), allocs(&[(B, "-1"), (A, "5")])),
        &[],
    );
    assert_eq!(err(&out), "negative allocation: -1 for asset usdc");
    let out = h.call(
        "create_app_session",
        create_call(d2(2), allocs(&[(A, "600"), (A, "600")])),
        &[A],
    );
    assert_eq!(err(&out), format!("insufficient funds: {A} for asset usdc"));
    assert!(h
        .call(
            "create_app_session",
            create_call(d2(2), allocs(&[(A, "600"), (A, "400")])),
            &[A]
        )
        .is_ok());
    assert_eq!(h.bal(A), "0");
}

#[test]
fn as_create_2_only_positive_rows_sign_and_no_quorum() {
    let mut h = h();
    let out = h.call(
        "create_app_session",
        create_call(d2(1), allocs(&[(A, "10"), (B, "0")])),
        &[A],
    );
    assert!(out.is_ok());
    assert!(h
        .call(
            "create_app_session",
            create_call(d2(2), allocs(&[(A, "0"), (B, "0")])),
            &[]
        )
        .is_ok());
    assert!(h
        .call("create_app_session", create_call(d2(3), Value::Null), &[])
        .is_ok());
}

#[test]
fn as_create_3_rows_are_not_validated() {
    let mut h = h();
    let out = h.call(
        "create_app_session",
        create_call(
            d2(1),
            json!([{"participant": A, "asset": "USDC", "amount": "1"}]),
        ),
        &[A],
    );
    assert_eq!(err(&out), format!("insufficient funds: {A} for asset USDC"));
    let out = h.call(
        "create_app_session",
        create_call(d2(1), allocs(&[(A, "0.000001"), (A, "2")])),
        &[A],
    );
    let sid = ok(&out)["app_session_id"].as_str().unwrap().to_string();
    assert_eq!(h.sbal(&sid, A), "2.000001");
}

#[test]
fn as_create_4_balances_move_from_unified_to_session() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "100.5", "0.25");
    assert_eq!(
        [h.bal(A), h.bal(B), h.sbal(&sid, A), h.sbal(&sid, B)],
        ["899.5", "999.75", "100.5", "0.25"]
    );
    assert_eq!(h.m.session(&sid).unwrap().version, 1);
}

#[test]
fn as_create_5_response_shape() {
    let mut h = h();
    let out = h.call(
        "create_app_session",
        json!({"definition": d2(1), "session_data": "x"}),
        &[],
    );
    let r = ok(&out).as_object().unwrap();
    let keys: Vec<&str> = r.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "app_session_id",
            "application",
            "status",
            "participants",
            "protocol",
            "challenge",
            "weights",
            "quorum",
            "version",
            "nonce",
            "created_at",
            "updated_at"
        ]
    );
    assert_eq!(r["version"], json!(1));
}

#[test]
fn as_create_6_bu_per_positive_participant_no_asu() {
    let mut h = h();
    let out = h.call(
        "create_app_session",
        create_call(d2(1), allocs(&[(B, "5"), (A, "0"), (B, "1")])),
        &[B],
    );
    assert_eq!(notes(&out), vec![n("bu", B), n("bu", A)]);
}

#[test]
fn as_quorum_1_unknown_wallet_fails_before_the_sum() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "10", "10");
    let out = h.call(
        "submit_app_state",
        submit(&sid, "operate", 2, &[(A, "10"), (B, "10")]),
        &[A, B, C],
    );
    assert_eq!(
        err(&out),
        format!("signature from unknown participant wallet {C}")
    );
    // A direct signature and A's session key count once.
    ok(&h.register_key(CONN_A, A, KA, "app", json!([]), 1_800_000_000));
    let out = h.call(
        "submit_app_state",
        submit(&sid, "operate", 2, &[(A, "10"), (B, "10")]),
        &[A, KA],
    );
    assert_eq!(
        err(&out),
        "incorrect submit_state request: quorum not reached: 50 / 100"
    );
}

#[test]
fn as_quorum_2_wording_depends_on_intent() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "10", "10");
    let cases = [
        ("deposit", "deposit"),
        ("withdraw", "withdrawal"),
        ("operate", "submit_state"),
        ("", "submit_state"),
        ("bogus", "submit_state"),
    ];
    for (intent, kind) in cases {
        let out = h.call(
            "submit_app_state",
            submit(&sid, intent, 2, &[(A, "10"), (B, "10")]),
            &[A],
        );
        assert_eq!(
            err(&out),
            format!("incorrect {kind} request: quorum not reached: 50 / 100")
        );
    }
    let out = h.call(
        "close_app_session",
        close(&sid, &[(A, "10"), (B, "10")]),
        &[B],
    );
    assert_eq!(
        err(&out),
        "incorrect submit_state request: quorum not reached: 50 / 100"
    );
}

#[test]
fn as_quorum_3_key_scope_after_quorum() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "10", "10");
    ok(&h.register_key(CONN_A, A, KA, "other", json!([]), 1_800_000_000));
    let out = h.call(
        "submit_app_state",
        submit(&sid, "operate", 2, &[(A, "10"), (B, "10")]),
        &[KA],
    );
    assert_eq!(
        err(&out),
        "incorrect submit_state request: quorum not reached: 50 / 100"
    );
    let out = h.call(
        "submit_app_state",
        submit(&sid, "operate", 2, &[(A, "10"), (B, "10")]),
        &[KA, B],
    );
    assert_eq!(err(&out), format!("session key application validation failed for signer {KA}: session key application mismatch: session key is for 'other', but app session is for 'app'"));
}

#[test]
fn as_submit_1_lookup_gate_and_session_data() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "10", "10");
    let out = h.call(
        "submit_app_state",
        submit(&sid.to_uppercase(), "operate", 2, &[]),
        &[A, B],
    );
    assert_eq!(err(&out), "an open app session not found: record not found");
    assert_eq!(
        err(&h.call("submit_app_state", json!({"version": 2}), &[])),
        "an open app session not found: record not found"
    );
    let mut p = submit(&sid, "operate", 2, &[(A, "15"), (B, "5")]);
    p["session_data"] = json!("one");
    ok(&h.call("submit_app_state", p, &[A, B]));
    let mut p = submit(&sid, "operate", 3, &[(A, "15"), (B, "5")]);
    p["session_data"] = Value::Null;
    ok(&h.call("submit_app_state", p, &[A, B]));
    assert_eq!(h.m.session(&sid).unwrap().session_data, "one");
    let mut p = submit(&sid, "operate", 4, &[(A, "15"), (B, "5")]);
    p["session_data"] = json!("");
    ok(&h.call("submit_app_state", p, &[A, B]));
    assert_eq!(h.m.session(&sid).unwrap().session_data, "");
}

#[test]
fn as_submit_2_response() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "10", "10");
    let out = h.call(
        "submit_app_state",
        submit(&sid, "operate", 2, &[(A, "10"), (B, "10")]),
        &[A, B],
    );
    assert_eq!(ok(&out), &session::short_response(&sid, Status::Open, 2));
}

#[test]
fn as_v02_1_no_intent_no_version() {
    let mut h = h();
    let sid = h.create(
        def("app", P2, &[A, B], &[50, 50], 100, 1),
        allocs(&[(A, "10")]),
        &[A],
    );
    let out = h.call(
        "submit_app_state",
        submit(&sid, "operate", 0, &[(A, "10")]),
        &[A, B],
    );
    assert_eq!(
        err(&out),
        "incorrect request: specified parameters are not supported in this protocol"
    );
    let out = h.call(
        "submit_app_state",
        json!({"app_session_id": sid, "allocations": allocs(&[(A, "4"), (B, "6")])}),
        &[A, B],
    );
    assert_eq!(ok(&out)["version"], json!(2));
}

#[test]
fn as_v04_1_version_must_be_next() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "10", "10");
    let out = h.call("submit_app_state", json!({"app_session_id": sid, "intent": "operate", "allocations": allocs(&[(A, "10"), (B, "10")])}), &[A, B]);
    assert_eq!(
        err(&out),
        "incorrect app state: incorrect version: expected 2, got 0"
    );
}

#[test]
fn as_op_1_row_walk() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "10", "10");
    let out = h.call(
        "submit_app_state",
        submit(&sid, "operate", 2, &[(A, "-1"), (C, "1")]),
        &[A, B],
    );
    assert_eq!(err(&out), "negative allocation: -1 for asset usdc");
    let out = h.call(
        "submit_app_state",
        submit(&sid, "operate", 2, &[(C, "1"), (A, "-1")]),
        &[A, B],
    );
    assert_eq!(err(&out), format!("allocation to non-participant {C}"));
}

#[test]
fn as_op_2_sum_check_variants() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "10", "10");
    let p = |rows: Value| json!({"app_session_id": sid, "intent": "operate", "version": 2, "allocations": rows});
    let out = h.call("submit_app_state", p(json!([{"participant": A, "asset": "eth", "amount": "1"}, {"participant": A, "asset": "usdc", "amount": "10"}, {"participant": B, "asset": "usdc", "amount": "10"}])), &[A, B]);
    assert_eq!(err(&out), "incorrect operate request: non-zero allocations sum delta: allocation references unknown asset eth");
    let out = h.call(
        "submit_app_state",
        p(allocs(&[(A, "10.0"), (B, "10.00")])),
        &[A, B],
    );
    assert!(out.is_ok(), "numeric equality");
}

#[test]
fn as_op_2_not_deposited_after_emptied_asset() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "10", "0");
    ok(&h.call(
        "submit_app_state",
        submit(&sid, "withdraw", 2, &[(A, "0")]),
        &[A, B],
    ));
    let out = h.call(
        "submit_app_state",
        submit(&sid, "operate", 3, &[(A, "1")]),
        &[A, B],
    );
    assert_eq!(err(&out), "incorrect operate request: non-zero allocations sum delta: asset usdc is not deposited into the app session. Please deposit the asset first");
}

#[test]
fn as_op_3_empty_operate_when_totals_are_zero() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "0", "0");
    let out = h.call("submit_app_state", json!({"app_session_id": sid, "intent": "operate", "version": 2, "allocations": [], "session_data": "v"}), &[A, B]);
    assert_eq!(ok(&out)["version"], json!(2));
    assert!(notes(&out)
        .iter()
        .all(|(m, _)| m != "bu" || out.notifications.len() == 3));
}

#[test]
fn as_dep_1_deposit_checks() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "10", "10");
    let out = h.call(
        "submit_app_state",
        submit(&sid, "deposit", 2, &[(A, "20"), (C, "5")]),
        &[A, B],
    );
    assert_eq!(err(&out), format!("allocation to non-participant {C}"));
    let out = h.call("submit_app_state", submit(&sid, "deposit", 2, &[]), &[A, B]);
    assert_eq!(
        err(&out),
        "incorrect deposit request: non-positive allocations sum delta"
    );
}

#[test]
fn as_dep_2_new_asset_and_untouched_pairs() {
    let mut h = h();
    h.m.fund(A, "eth", &dec("5"));
    let sid = create_ab(&mut h, 1, "10", "10");
    let rows = json!([{"participant": A, "asset": "eth", "amount": "2"}]);
    let out = h.call(
        "submit_app_state",
        json!({"app_session_id": sid, "intent": "deposit", "version": 2, "allocations": rows}),
        &[A, B],
    );
    assert!(out.is_ok());
    assert_eq!(render(&h.m.session_balance(&sid, A, "eth")), "2");
    assert_eq!(h.sbal(&sid, B), "10");
}

#[test]
fn as_wd_1_withdraw() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "10", "10");
    let out = h.call(
        "submit_app_state",
        submit(&sid, "withdraw", 2, &[(A, "-1")]),
        &[A, B],
    );
    assert_eq!(err(&out), "negative allocation: -1 for asset usdc");
    let out = h.call(
        "submit_app_state",
        submit(&sid, "withdraw", 2, &[(C, "1")]),
        &[A, B],
    );
    assert_eq!(
        err(&out),
        format!("incorrect withdrawal request: increased allocation for participant {C}")
    );
    let out = h.call(
        "submit_app_state",
        submit(&sid, "withdraw", 2, &[(A, "4")]),
        &[A, B],
    );
    // NOTIF-6: a successful submit sends `asu` to every participant.
    assert_eq!(
        notes(&out),
        vec![n("bu", A), n("asu", A), n("asu", B), n("bu", A)]
    );
    assert_eq!(
        [h.bal(A), h.sbal(&sid, A), h.sbal(&sid, B)],
        ["996", "4", "10"]
    );
}

#[test]
fn as_close_1_pipeline() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "10", "10");
    assert_eq!(
        err(&h.call("close_app_session", close("", &[(A, "1")]), &[])),
        "missing required parameters: app_id or allocations"
    );
    assert_eq!(
        err(&h.call("close_app_session", json!({"app_session_id": sid}), &[])),
        "missing required parameters: app_id or allocations"
    );
    assert_eq!(
        err(&h.call("close_app_session", close("0x00", &[(A, "1")]), &[])),
        "an open app session not found: record not found"
    );
    let out = h.call(
        "close_app_session",
        close(&sid, &[(A, "5"), (B, "5")]),
        &[A, B],
    );
    assert_eq!(err(&out), "asset usdc not fully redistributed");
    let out = h.call("close_app_session", close(&sid, &[(C, "20")]), &[A, B]);
    assert_eq!(err(&out), format!("allocation to non-participant {C}"));
    let out = h.call("close_app_session", json!({"app_session_id": sid, "allocations": [{"participant": A, "asset": "eth", "amount": "1"}, {"participant": A, "asset": "usdc", "amount": "20"}, {"participant": B, "asset": "usdc", "amount": "0"}]}), &[A, B]);
    assert_eq!(err(&out), "allocation references unknown asset eth");
    let out = h.call(
        "close_app_session",
        close(&sid, &[(A, "20"), (B, "0")]),
        &[A, B],
    );
    assert_eq!(ok(&out)["version"], json!(2));
    let out = h.call("close_app_session", close(&sid, &[(A, "20")]), &[A, B]);
    assert_eq!(err(&out), "an open app session not found: record not found");
}

#[test]
fn as_close_2_free_redistribution() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "30", "10");
    ok(&h.call(
        "close_app_session",
        close(&sid, &[(A, "0"), (B, "40")]),
        &[A, B],
    ));
    assert_eq!([h.bal(A), h.bal(B)], ["970", "1030"]);
}

#[test]
fn as_close_3_response_and_notifications() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "30", "10");
    let out = h.call(
        "close_app_session",
        close(&sid, &[(A, "0"), (B, "40")]),
        &[A, B],
    );
    assert_eq!(ok(&out), &session::short_response(&sid, Status::Closed, 2));
    assert_eq!(notes(&out), vec![n("bu", B), n("bu", A)]);
}

#[test]
fn as_sk_1_mapping_replacement_and_revocation() {
    let mut h = h();
    ok(&h.register_key(
        CONN_A,
        A,
        KA,
        "app",
        json!([{"asset": "usdc", "amount": "100"}]),
        1_800_000_000,
    ));
    let sid = h.create(d2(1), allocs(&[(A, "10")]), &[KA]);
    assert_eq!(render(&h.m.session_keys().spent(KA, "usdc")), "10");
    // A new key for the same application replaces the old one.
    ok(&h.register_key(
        CONN_A,
        A,
        KB,
        "app",
        json!([{"asset": "usdc", "amount": "100"}]),
        1_800_000_000,
    ));
    assert!(h.m.session_keys().get(KA).is_none());
    let out = h.call(
        "submit_app_state",
        submit(&sid, "operate", 2, &[(A, "10")]),
        &[KA, B],
    );
    assert_eq!(
        err(&out),
        format!("signature from unknown participant wallet {KA}")
    );
    ok(&h.call("revoke_session_key", json!({"session_key": KB}), &[A]));
    let out = h.call(
        "create_app_session",
        create_call(d2(2), allocs(&[(A, "1")])),
        &[KB],
    );
    assert_eq!(err(&out), format!("missing signature for participant {A}"));
}

#[test]
fn as_sk_2_scope_errors() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "10", "10");
    ok(&h.register_key(CONN_A, A, KA, "clearnode", json!([]), 1_800_000_000));
    ok(&h.register_key(CONN_B, B, KB, "app", json!([]), 1_800_000_000));
    assert!(h
        .call(
            "submit_app_state",
            submit(&sid, "operate", 2, &[(A, "10"), (B, "10")]),
            &[KA, KB]
        )
        .is_ok());
}

#[test]
fn as_sk_2_l_15_a_wallet_that_is_its_own_key_signs_as_the_wallet() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "10", "10");
    // A registers its own address as a key for another application (FUZZ-4's relation).
    ok(&h.register_key(CONN_A, A, A, "chess", json!([]), 1_800_000_000));
    let out = h.call(
        "submit_app_state",
        submit(&sid, "operate", 2, &[(A, "10"), (B, "10")]),
        &[A, B],
    );
    assert!(out.is_ok(), "{:?}", out.response);
}

#[test]
fn l_17_a_wallet_that_is_its_own_key_transfers_as_the_wallet() {
    let mut h = h();
    // A's own address as its key for another application, capped at 1 usdc and no eth.
    ok(&h.register_key(
        CONN_A,
        A,
        A,
        "other-app",
        json!([{"asset": "usdc", "amount": "1"}]),
        1_800_000_000,
    ));
    h.m.fund(A, "eth", &crate::model::amount::dec("1"));
    let out = h.call(
        "transfer",
        json!({"destination": B, "allocations": [{"asset": "eth", "amount": "0.5"}]}),
        &[A],
    );
    assert!(out.is_ok(), "{:?}", out.response);
}

#[test]
fn as_sk_3_spending_checks() {
    let mut h = h();
    ok(&h.register_key(
        CONN_A,
        A,
        KA,
        "app",
        json!([{"asset": "usdc", "amount": "15"}]),
        1_800_000_000,
    ));
    let out = h.call(
        "create_app_session",
        create_call(
            d2(1),
            json!([{"participant": A, "asset": "eth", "amount": "1"}]),
        ),
        &[KA],
    );
    assert_eq!(err(&out), "session key spending validation failed: operation denied: asset eth not allowed in session key spending cap");
    let out = h.call(
        "create_app_session",
        create_call(
            def("chess", P4, &[A, B], &[50, 50], 100, 1),
            allocs(&[(A, "1")]),
        ),
        &[KA],
    );
    assert_eq!(err(&out), "session key application validation failed: session key application mismatch: session key is for 'app', but app session is for 'chess'");
    let sid = h.create(d2(1), allocs(&[(A, "10")]), &[KA]);
    let out = h.call(
        "create_app_session",
        create_call(d2(2), allocs(&[(A, "6")])),
        &[KA],
    );
    assert_eq!(err(&out), "session key spending validation failed: operation denied: insufficient session key allowance: 6 required, 5 available");
    // Withdrawals do not give allowance back (Q-27).
    ok(&h.call(
        "submit_app_state",
        submit(&sid, "withdraw", 2, &[(A, "0")]),
        &[KA, B],
    ));
    let out = h.call(
        "submit_app_state",
        submit(&sid, "deposit", 3, &[(A, "6")]),
        &[KA, B],
    );
    assert_eq!(err(&out), "session key spending validation failed: operation denied: insufficient session key allowance: 6 required, 5 available");
    // A direct wallet signature wins over the key: no allowance check.
    assert!(h
        .call(
            "submit_app_state",
            submit(&sid, "deposit", 3, &[(A, "600")]),
            &[A, KA, B]
        )
        .is_ok());
}

#[test]
fn as_sk_4_l_15_several_keys_of_one_wallet_one_failing_is_undecided() {
    let mut h = h();
    ok(&h.register_key(
        CONN_A,
        A,
        KA,
        "app",
        json!([{"asset": "usdc", "amount": "1"}]),
        1_800_000_000,
    ));
    ok(&h.register_key(
        CONN_A,
        A,
        KB,
        "app2",
        json!([{"asset": "usdc", "amount": "100"}]),
        1_800_000_000,
    ));
    let out = h.call(
        "create_app_session",
        create_call(
            def("app2", P4, &[A, B], &[50, 50], 100, 1),
            allocs(&[(A, "5")]),
        ),
        &[KA, KB],
    );
    // KA's cap of 1 fails, KB passes: Clearnode checks whichever its map walk meets first.
    assert!(
        matches!(out.response, Expected::Unmodelled(why) if why.starts_with("Q-37")),
        "{:?}",
        out.response
    );
    assert_eq!(render(&h.m.session_keys().spent(KB, "usdc")), "0");
}

#[test]
fn as_chan_1_challenged_channel() {
    let mut h = h();
    h.m.add_channel(
        A,
        Channel {
            channel_id: "c".into(),
            status: ChannelStatus::Challenged,
            raw_amount: dec("0"),
        },
    );
    let out = h.call(
        "create_app_session",
        create_call(d2(1), allocs(&[(A, "1")])),
        &[A],
    );
    assert_eq!(
        err(&out),
        format!("participant {A} has challenged channels, cannot execute operation")
    );
    let out = h.call(
        "transfer",
        json!({"destination": B, "allocations": [{"asset": "usdc", "amount": "1"}]}),
        &[A],
    );
    assert_eq!(
        err(&out),
        format!("participant {A} has challenged channels, cannot execute operation")
    );
}

#[test]
fn as_chan_2_funded_channel_counts_all_live_channels() {
    let mut h = h();
    h.m.add_channel(
        A,
        Channel {
            channel_id: "c1".into(),
            status: ChannelStatus::Open,
            raw_amount: dec("0"),
        },
    );
    assert!(h
        .call(
            "create_app_session",
            create_call(d2(1), allocs(&[(A, "1")])),
            &[A]
        )
        .is_ok());
    h.m.add_channel(
        A,
        Channel {
            channel_id: "c2".into(),
            status: ChannelStatus::Resizing,
            raw_amount: dec("5"),
        },
    );
    h.m.add_channel(
        A,
        Channel {
            channel_id: "c3".into(),
            status: ChannelStatus::Closed,
            raw_amount: dec("5"),
        },
    );
    let out = h.call(
        "create_app_session",
        create_call(d2(2), allocs(&[(A, "1")])),
        &[A],
    );
    assert_eq!(
        err(&out),
        format!(
            "operation denied: non-zero allocation in 2 channel(s) detected owned by wallet {A}"
        )
    );
}

#[test]
fn as_amt_1_amount_forms_in_requests() {
    let mut h = h();
    let sid = h.create(d2(1), json!([{"participant": A, "asset": "usdc", "amount": "1e1"}, {"participant": A, "asset": "usdc", "amount": 2.5}, {"participant": B, "asset": "usdc", "amount": "-0"}]), &[A]);
    assert_eq!(h.sbal(&sid, A), "12.5");
    for bad in [
        json!(""),
        json!(" 1"),
        json!(true),
        json!("0x1"),
        json!([1]),
    ] {
        let out = h.call(
            "create_app_session",
            create_call(
                d2(2),
                json!([{"participant": A, "asset": "usdc", "amount": bad}]),
            ),
            &[A],
        );
        assert_eq!(err(&out), "failed to parse parameters");
    }
}

#[test]
fn as_amt_2_exact_in_memory() {
    let mut h = h();
    h.m.fund(A, "x", &dec("0.000000000000000001"));
    let out = h.call(
        "create_app_session",
        create_call(
            d2(1),
            json!([{"participant": A, "asset": "x", "amount": "0.0000000000000000011"}]),
        ),
        &[A],
    );
    assert_eq!(err(&out), format!("insufficient funds: {A} for asset x"));
}

#[test]
fn as_amt_3_json_numbers_go_through_a_double() {
    let mut h = h();
    h.m.fund(A, "big", &dec("1e30"));
    let sid = h.create(
        d2(1),
        json!([{"participant": A, "asset": "big", "amount": 123456789012345678901u128 as f64}]),
        &[A],
    );
    assert_eq!(
        render(&h.m.session_balance(&sid, A, "big")),
        "123456789012345680000"
    );
}

#[test]
fn as_amt_4_storage_rounding_and_overflow() {
    let mut h = h();
    let sid = h.create(d2(1), allocs(&[(A, "0.0000000000000000005")]), &[A]);
    assert_eq!(h.sbal(&sid, A), "0.000000000000000001");
    assert_eq!(h.bal(A), "999.999999999999999999");
    h.m.fund(C, "big", &dec("2e46"));
    h.m.login(3, C, h.now);
    let out = h.call_on(
        3,
        "create_app_session",
        create_call(
            def("x", P4, &[C, A], &[1, 1], 1, 2),
            json!([{"participant": C, "asset": "big", "amount": "1e46"}]),
        ),
        &[C],
    );
    let e = out.response.error().unwrap().clone();
    assert!(e.accepts(
        "failed to record a ledger entry : ERROR: numeric field overflow (SQLSTATE 22003)"
    ));
    assert!(e.accepts("failed to record a ledger entry : anything the DB said"));
}

#[test]
fn as_amt_5_rendering_in_outputs() {
    let mut h = h();
    let sid = h.create(d2(1), allocs(&[(A, "100.50")]), &[A]);
    let out = h.call("get_ledger_balances", json!({"account_id": sid}), &[]);
    assert_eq!(
        ok(&out),
        &json!({"ledger_balances": [{"asset": "usdc", "amount": "100.5"}]})
    );
    let out = h.call(
        "create_app_session",
        create_call(d2(2), allocs(&[(A, "-50.00")])),
        &[A],
    );
    assert_eq!(err(&out), "negative allocation: -50 for asset usdc");
}

#[test]
fn as_read_1_get_app_sessions() {
    let mut h = h();
    let s1 = create_ab(&mut h, 1, "1", "0");
    let s2 = h.create(def("z", P4, &[B, C], &[1, 1], 1, 2), allocs(&[]), &[]);
    ok(&h.call("close_app_session", close(&s1, &[(A, "1")]), &[A, B]));
    let ids = |out: &Outcome| -> Vec<String> {
        ok(out)["app_sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["app_session_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(&h.call("get_app_sessions", json!({}), &[])),
        vec![s1.clone(), s2.clone()]
    );
    assert_eq!(
        ids(&h.call("get_app_sessions", json!({"sort": "asc"}), &[])),
        vec![s2.clone(), s1.clone()]
    );
    assert_eq!(
        ids(&h.call("get_app_sessions", json!({"participant": C}), &[])),
        vec![s2.clone()]
    );
    assert_eq!(
        ids(&h.call("get_app_sessions", json!({"status": "closed"}), &[])),
        vec![s1.clone()]
    );
    assert_eq!(
        // API-0: the list options.
        ids(&h.call("get_app_sessions", json!({"limit": 1, "offset": 1}), &[])),
        vec![s2]
    );
    assert_eq!(
        err(&h.call("get_app_sessions", json!({"sort": "sideways"}), &[])),
        "failed to get application sessions"
    );
    assert_eq!(
        err(&h.call("get_app_sessions", json!({"limit": "1"}), &[])),
        "failed to parse parameters"
    );
    assert_eq!(
        ok(&h.call("get_app_sessions", json!({"participant": D}), &[])),
        &json!({"app_sessions": []})
    );
}

#[test]
fn as_read_2_get_app_definition() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "0", "0");
    assert_eq!(
        err(&h.call("get_app_definition", json!({}), &[])),
        "missing account ID"
    );
    assert_eq!(
        err(&h.call("get_app_definition", json!({"app_session_id": "0x1"}), &[])),
        "failed to get application session"
    );
    let out = h.call("get_app_definition", json!({"app_session_id": sid}), &[]);
    assert_eq!(
        ok(&out),
        &json!({"application": "", "protocol": P4, "participants": [A, B], "weights": [50, 50], "quorum": 100, "challenge": 0, "nonce": 1})
    );
}

#[test]
fn as_read_3_get_ledger_balances() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "10", "0");
    assert_eq!(
        ok(&h.call("get_ledger_balances", json!({}), &[])),
        &json!({"ledger_balances": [{"asset": "usdc", "amount": "990"}]})
    );
    assert_eq!(
        ok(&h.call(
            "get_ledger_balances",
            json!({"account_id": A.to_lowercase()}),
            &[]
        )),
        &json!({"ledger_balances": [{"asset": "usdc", "amount": "990"}]})
    );
    assert_eq!(
        ok(&h.call("get_ledger_balances", json!({"account_id": B}), &[])),
        &json!({"ledger_balances": []})
    );
    assert_eq!(
        ok(&h.call_on(
            CONN_B,
            "get_ledger_balances",
            json!({"account_id": sid}),
            &[]
        )),
        &json!({"ledger_balances": []})
    );
    ok(&h.call("close_app_session", close(&sid, &[(A, "10")]), &[A, B]));
    assert_eq!(
        ok(&h.call("get_ledger_balances", json!({"account_id": sid}), &[])),
        &json!({"ledger_balances": [{"asset": "usdc", "amount": "0"}]})
    );
}

#[test]
fn as_read_4_ledger_entry_reads_are_public() {
    // API-7: served from the journals (tests/reads.rs); public, so no authentication needed.
    let mut h = h();
    assert!(h.call_on(99, "get_ledger_entries", json!({}), &[]).is_ok());
    assert!(h
        .call_on(99, "get_ledger_transactions", json!({}), &[])
        .is_ok());
}

#[test]
fn as_notif_1_recipients_are_wallet_strings() {
    let mut h = h();
    let out = h.call(
        "create_app_session",
        create_call(d2(1), allocs(&[(B, "1")])),
        &[B],
    );
    assert_eq!(out.notifications[0].to, Recipient::Wallet(B.to_string()));
    assert_eq!(h.m.connections_of(B), vec![CONN_B]);
}

#[test]
fn as_notif_2_bu_payload_is_the_full_unified_balance() {
    let mut h = h();
    h.m.fund(A, "eth", &dec("2"));
    let out = h.call(
        "create_app_session",
        create_call(d2(1), allocs(&[(A, "1")])),
        &[A],
    );
    let mut p = out.notifications[0].params.clone();
    notify::normalize_unordered(&mut p);
    assert_eq!(
        p,
        json!({"balance_updates": [{"asset": "eth", "amount": "2"}, {"asset": "usdc", "amount": "999"}]})
    );
}

#[test]
fn as_notif_4_failed_request_gets_only_middleware_bu() {
    // AS-INV-4 (a failed request leaves no trace but this bu), Q-24.
    let mut h = h();
    let out = h.call(
        "create_app_session",
        create_call(d2(1), allocs(&[(A, "5000")])),
        &[A],
    );
    assert_eq!(notes(&out), vec![n("bu", A)]);
    assert!(out.after_response.is_empty());
}

#[test]
fn as_inv_2_versions_and_closed_sessions() {
    let mut h = h();
    let sid = create_ab(&mut h, 1, "5", "5");
    for v in 2..6 {
        ok(&h.call(
            "submit_app_state",
            submit(&sid, "operate", v, &[(A, "5"), (B, "5")]),
            &[A, B],
        ));
    }
    ok(&h.call(
        "close_app_session",
        close(&sid, &[(A, "5"), (B, "5")]),
        &[A, B],
    ));
    assert_eq!(h.m.session(&sid).unwrap().version, 6);
    assert!(h.violations.is_empty(), "{:?}", h.violations);
}

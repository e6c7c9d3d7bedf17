//! runbook-clearnode.md "Clearnode's own integration scenarios": the 17 NitroRPC/0.4 cases and
//! both lifecycles, signed with root ("clearnode") session keys as the integration suite does.

use super::*;

const DATA: &str = r#"{"gameType":"chess","gameState":"waiting"}"#;

fn setup(profile: Profile) -> H {
    let mut h = H::funded(profile, "1000");
    ok(&h.register_key(CONN_A, A, KA, "clearnode", json!([]), 1_800_000_000));
    ok(&h.register_key(CONN_B, B, KB, "clearnode", json!([]), 1_800_000_000));
    h
}

fn session(h: &mut H, proto: &str, nonce: u64) -> String {
    let out = h.call(
        "create_app_session",
        json!({"definition": def("clearnode", proto, &[A, B], &[100, 0], 100, nonce),
            "allocations": allocs(&[(A, "100"), (B, "0")]), "session_data": DATA}),
        &[KA],
    );
    ok(&out)["app_session_id"].as_str().unwrap().to_string()
}

fn unchanged(h: &H, sid: &str) {
    let s = h.m.session(sid).unwrap();
    assert_eq!((s.version, s.session_data.as_str()), (1, DATA));
    assert_eq!(
        [h.bal(A), h.bal(B), h.sbal(sid, A), h.sbal(sid, B)],
        ["900", "1000", "100", "0"]
    );
}

fn funded_channel() -> Channel {
    Channel {
        channel_id: "0xc1".into(),
        status: ChannelStatus::Open,
        raw_amount: dec("1"),
    }
}

#[test]
fn runbook_0_4_error_cases_1_to_17() {
    for profile in Profile::ALL {
        let mut h = setup(profile);
        // 1: funded open channel blocks create.
        h.m.add_channel(A, funded_channel());
        let out = h.call(
            "create_app_session",
            json!({"definition": def("clearnode", "NitroRPC/0.4", &[A, B], &[100, 0], 100, 1),
            "allocations": allocs(&[(A, "100"), (B, "0")])}),
            &[KA],
        );
        assert_eq!(err(&out), format!("operation denied: non-zero allocation in 1 channel(s) detected owned by wallet {A}"));
        assert_eq!(h.bal(A), "1000");
        h.m.clear_channels(A);
        // 2: channel funded after create blocks a deposit.
        let sid = session(&mut h, "NitroRPC/0.4", 2);
        h.m.add_channel(A, funded_channel());
        let out = h.call(
            "submit_app_state",
            submit(&sid, "deposit", 2, &[(A, "110"), (B, "0")]),
            &[KA],
        );
        assert_eq!(err(&out), format!("operation denied: non-zero allocation in 1 channel(s) detected owned by wallet {A}"));
        h.m.clear_channels(A);
        unchanged(&h, &sid);
        type Case<'a> = (&'a str, u64, Vec<(&'a str, &'a str)>, Vec<&'a str>, String);
        let cases: Vec<Case> = vec![
            ("operate", 43, vec![(A, "100"), (B, "0")], vec![KA], "incorrect app state: incorrect version: expected 2, got 43".into()),
            ("operate", 2, vec![(A, "110"), (B, "0")], vec![KA], "incorrect operate request: non-zero allocations sum delta: asset usdc not fully redistributed".into()),
            ("operate", 2, vec![(A, "90"), (B, "0")], vec![KA], "incorrect operate request: non-zero allocations sum delta: asset usdc not fully redistributed".into()),
            ("deposit", 2, vec![(A, "100"), (B, "0")], vec![KA], "incorrect deposit request: non-positive allocations sum delta".into()),
            ("deposit", 2, vec![(A, "90"), (B, "0")], vec![KA], format!("incorrect deposit request: decreased allocation for participant {A}")),
            ("deposit", 2, vec![(A, "120"), (B, "-10")], vec![KA], format!("incorrect deposit request: decreased allocation for participant {B}")),
            ("deposit", 2, vec![(A, "10000"), (B, "0")], vec![KA], "incorrect deposit request: insufficient unified balance".into()),
            ("deposit", 2, vec![(A, "100"), (B, "10")], vec![KA], "incorrect deposit request: depositor signature is required".into()),
            ("deposit", 2, vec![(A, "100"), (B, "10")], vec![KB], "incorrect deposit request: quorum not reached: 0 / 100".into()),
            ("withdraw", 2, vec![(A, "100"), (B, "0")], vec![KA], "incorrect withdrawal request: non-negative allocations sum delta".into()),
            ("withdraw", 2, vec![(A, "110"), (B, "0")], vec![KA], format!("incorrect withdrawal request: increased allocation for participant {A}")),
            ("withdraw", 2, vec![(A, "110"), (B, "-20")], vec![KA], format!("incorrect withdrawal request: increased allocation for participant {A}")),
        ];
        for (i, (intent, v, rows, sigs, want)) in cases.into_iter().enumerate() {
            let out = h.call("submit_app_state", submit(&sid, intent, v, &rows), &sigs);
            assert_eq!(err(&out), want, "{profile} case {}", i + 3);
            assert_eq!(notes(&out), vec![n("bu", A)]);
            unchanged(&h, &sid);
        }
        // 10 and 16: intents on a 0.2 session.
        let sid2 = session(&mut h, "NitroRPC/0.2", 3);
        for intent in ["deposit", "withdraw"] {
            let out = h.call(
                "submit_app_state",
                submit(&sid2, intent, 2, &[(A, "100"), (B, "0")]),
                &[KA],
            );
            assert_eq!(
                err(&out),
                "incorrect request: specified parameters are not supported in this protocol"
            );
        }
        // 17: operate 50/50 at v2, then Bob alone withdraws at v3.
        let out = h.call(
            "submit_app_state",
            json!({"app_session_id": sid, "intent": "operate", "version": 2,
            "allocations": allocs(&[(A, "50"), (B, "50")]), "session_data": "v2"}),
            &[KA],
        );
        assert_eq!(ok(&out)["version"], json!(2));
        let out = h.call(
            "submit_app_state",
            json!({"app_session_id": sid, "intent": "withdraw", "version": 3,
            "allocations": allocs(&[(A, "50"), (B, "10")]), "session_data": "v3"}),
            &[KB],
        );
        assert_eq!(
            err(&out),
            "incorrect withdrawal request: quorum not reached: 0 / 100"
        );
        assert_eq!(h.m.session(&sid).unwrap().session_data, "v2");
        assert!(h.violations.is_empty(), "{profile}: {:?}", h.violations);
    }
}

#[test]
fn runbook_0_4_lifecycle() {
    for profile in Profile::ALL {
        let mut h = setup(profile);
        let sid = session(&mut h, "NitroRPC/0.4", 10);
        assert_eq!([h.bal(A), h.bal(B)], ["900", "1000"]);
        let out = h.call(
            "submit_app_state",
            json!({"app_session_id": sid, "intent": "operate", "version": 2,
            "allocations": allocs(&[(A, "75"), (B, "25")]), "session_data": "{\"turn\":2}"}),
            &[KA],
        );
        assert_eq!(ok(&out)["version"], json!(2));
        let read = h.call("get_app_sessions", json!({"participant": A}), &[]);
        assert_eq!(
            ok(&read)["app_sessions"][0]["session_data"],
            json!("{\"turn\":2}")
        );
        assert_eq!(
            ok(&read)["app_sessions"][0]["application"],
            json!("clearnode")
        );
        ok(&h.call(
            "submit_app_state",
            submit(&sid, "operate", 3, &[(A, "50"), (B, "50")]),
            &[KA],
        ));
        let out = h.call(
            "submit_app_state",
            submit(&sid, "deposit", 4, &[(A, "100"), (B, "50")]),
            &[KA],
        );
        assert_eq!(
            notes(&out),
            vec![n("bu", A), n("asu", A), n("asu", B), n("bu", A)]
        );
        assert_eq!(
            [h.bal(A), h.bal(B), h.sbal(&sid, A), h.sbal(&sid, B)],
            ["850", "1000", "100", "50"]
        );
        ok(&h.call(
            "submit_app_state",
            submit(&sid, "withdraw", 5, &[(A, "75"), (B, "50")]),
            &[KA],
        ));
        assert_eq!([h.bal(A), h.sbal(&sid, A)], ["875", "75"]);
        let out = h.call(
            "close_app_session",
            close(&sid, &[(A, "0"), (B, "125")]),
            &[KA],
        );
        assert_eq!(ok(&out)["version"], json!(6));
        assert_eq!(ok(&out)["status"], json!("closed"));
        assert_eq!(notes(&out), vec![n("bu", B), n("bu", A)]);
        assert_eq!(
            [h.bal(A), h.bal(B), h.sbal(&sid, A), h.sbal(&sid, B)],
            ["875", "1125", "0", "0"]
        );
        assert!(h.violations.is_empty(), "{profile}: {:?}", h.violations);
    }
}

#[test]
fn runbook_0_2_lifecycle() {
    for profile in Profile::ALL {
        let mut h = setup(profile);
        let sid = session(&mut h, "NitroRPC/0.2", 20);
        let out = h.call(
            "submit_app_state",
            json!({"app_session_id": sid, "allocations": allocs(&[(A, "50"), (B, "50")])}),
            &[KA],
        );
        assert_eq!(ok(&out)["version"], json!(2));
        assert_eq!(notes(&out), vec![n("asu", A), n("asu", B), n("bu", A)]);
        let out = h.call(
            "close_app_session",
            close(&sid, &[(A, "0"), (B, "100")]),
            &[KA],
        );
        assert_eq!(ok(&out)["version"], json!(3));
        assert_eq!([h.bal(A), h.bal(B)], ["900", "1100"]);
        // A funded channel makes a 0.2 create fail too.
        h.m.add_channel(A, funded_channel());
        let out = h.call(
            "create_app_session",
            json!({"definition": def("clearnode", "NitroRPC/0.2", &[A, B], &[100, 0], 100, 21),
            "allocations": allocs(&[(A, "100"), (B, "0")])}),
            &[KA],
        );
        assert_eq!(err(&out), format!("operation denied: non-zero allocation in 1 channel(s) detected owned by wallet {A}"));
        // A create whose rows are all zero is not guarded (live).
        let out = h.call(
            "create_app_session",
            json!({"definition": def("clearnode", "NitroRPC/0.4", &[A, B], &[100, 0], 100, 22),
            "allocations": allocs(&[(A, "0"), (B, "0")])}),
            &[KA],
        );
        assert!(out.is_ok());
        assert!(h.violations.is_empty(), "{profile}: {:?}", h.violations);
    }
}

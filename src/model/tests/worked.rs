//! app-sessions.md §15, step by step, with exact strings, balances and notifications.

use super::*;

const SID: &str = "0x4b1e7acde82b2f2b1f2f0d8747f9ccecfe54843aff583beaaf14f0d3ef5d603d";

fn chess() -> Value {
    json!({"application": "chess", "protocol": "NitroRPC/0.4", "participants": [A, B],
        "weights": [50, 50], "quorum": 100, "challenge": 86400, "nonce": 1})
}

fn state(h: &H) -> [String; 4] {
    [h.bal(A), h.bal(B), h.sbal(SID, A), h.sbal(SID, B)]
}

fn expect(h: &H, s: [&str; 4]) {
    assert_eq!(state(h), s.map(String::from));
    assert_eq!(h.total(), "2000");
}

#[test]
fn worked_scenario_section_15() {
    for profile in Profile::ALL {
        let mut h = H::funded(profile, "1000");
        // 1: create
        let out = h.call(
            "create_app_session",
            json!({"definition": chess(), "allocations": allocs(&[(A, "100"), (B, "50")])}),
            &[A, B],
        );
        assert_eq!(
            ok(&out),
            &json!({"app_session_id": SID, "application": "", "status": "open", "participants": null,
                "protocol": "", "challenge": 0, "weights": null, "quorum": 0, "version": 1, "nonce": 0,
                "created_at": "", "updated_at": ""})
        );
        assert_eq!(notes(&out), vec![n("bu", A), n("bu", B), n("bu", A)]);
        assert_eq!(out.notifications[0].group, 1);
        assert_eq!(out.notifications[2].group, 0);
        assert_eq!(
            out.notifications[2].params,
            json!({"balance_updates": [{"asset": "usdc", "amount": "900"}]})
        );
        expect(&h, ["900", "950", "100", "50"]);
        // 2: quorum not reached
        let out = h.call(
            "submit_app_state",
            submit(SID, "operate", 2, &[(A, "30"), (B, "120")]),
            &[A],
        );
        assert_eq!(
            err(&out),
            "incorrect submit_state request: quorum not reached: 50 / 100"
        );
        assert_eq!(notes(&out), vec![n("bu", A)]);
        expect(&h, ["900", "950", "100", "50"]);
        // 3: wrong version
        let out = h.call(
            "submit_app_state",
            submit(SID, "operate", 3, &[(A, "30"), (B, "120")]),
            &[A, B],
        );
        assert_eq!(
            err(&out),
            "incorrect app state: incorrect version: expected 2, got 3"
        );
        expect(&h, ["900", "950", "100", "50"]);
        // 4: operate
        let out = h.call(
            "submit_app_state",
            submit(SID, "operate", 2, &[(A, "30"), (B, "120")]),
            &[A, B],
        );
        assert_eq!(ok(&out)["version"], json!(2));
        assert_eq!(ok(&out)["status"], json!("open"));
        assert_eq!(notes(&out), vec![n("asu", A), n("asu", B), n("bu", A)]);
        expect(&h, ["900", "950", "30", "120"]);
        // 5: deposit without quorum
        let out = h.call(
            "submit_app_state",
            submit(SID, "deposit", 3, &[(A, "80"), (B, "120")]),
            &[B],
        );
        assert_eq!(
            err(&out),
            "incorrect deposit request: quorum not reached: 50 / 100"
        );
        expect(&h, ["900", "950", "30", "120"]);
        // 6: deposit
        let out = h.call(
            "submit_app_state",
            submit(SID, "deposit", 3, &[(A, "80"), (B, "120")]),
            &[A, B],
        );
        assert_eq!(ok(&out)["version"], json!(3));
        assert_eq!(
            notes(&out),
            vec![n("bu", A), n("asu", A), n("asu", B), n("bu", A)]
        );
        expect(&h, ["850", "950", "80", "120"]);
        // 7: withdraw
        let out = h.call(
            "submit_app_state",
            submit(SID, "withdraw", 4, &[(A, "80"), (B, "20")]),
            &[A, B],
        );
        assert_eq!(ok(&out)["version"], json!(4));
        assert_eq!(
            notes(&out),
            vec![n("bu", B), n("asu", A), n("asu", B), n("bu", A)]
        );
        expect(&h, ["850", "1050", "80", "20"]);
        // 8: close not fully redistributed
        let out = h.call(
            "close_app_session",
            close(SID, &[(A, "60"), (B, "41")]),
            &[A, B],
        );
        assert_eq!(err(&out), "asset usdc not fully redistributed");
        expect(&h, ["850", "1050", "80", "20"]);
        // 9: close
        let out = h.call(
            "close_app_session",
            close(SID, &[(A, "60"), (B, "40")]),
            &[A, B],
        );
        assert_eq!(ok(&out)["version"], json!(5));
        assert_eq!(ok(&out)["status"], json!("closed"));
        assert_eq!(notes(&out), vec![n("bu", A), n("bu", B), n("bu", A)]);
        expect(&h, ["910", "1090", "0", "0"]);
        // 10: closed
        let out = h.call(
            "submit_app_state",
            submit(SID, "operate", 6, &[(A, "0"), (B, "0")]),
            &[A, B],
        );
        assert_eq!(err(&out), "an open app session not found: record not found");
        assert_eq!(notes(&out), vec![n("bu", A)]);
        expect(&h, ["910", "1090", "0", "0"]);
        assert!(h.violations.is_empty(), "{profile}: {:?}", h.violations);
    }
}

#[test]
fn as_notif_3_asu_payload_after_worked_step_4() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    h.call("create_app_session", json!({"definition": chess(), "allocations": allocs(&[(A, "100"), (B, "50")]), "session_data": "s"}), &[A, B]);
    let out = h.call(
        "submit_app_state",
        submit(SID, "operate", 2, &[(A, "30"), (B, "120")]),
        &[A, B],
    );
    let mut p = out.notifications[0].params.clone();
    notify::normalize_unordered(&mut p);
    let t = clock::rfc3339(T0 + 1000);
    let u = clock::rfc3339(T0 + 2000);
    assert_eq!(
        p,
        json!({"app_session": {"app_session_id": SID, "application": "", "status": "open",
            "participants": [A, B], "session_data": "s", "protocol": "NitroRPC/0.4", "challenge": 86400,
            "weights": [50, 50], "quorum": 100, "version": 2, "nonce": 1, "created_at": t, "updated_at": u},
            "participant_allocations": [
                {"participant": B, "asset": "usdc", "amount": "120"},
                {"participant": A, "asset": "usdc", "amount": "30"}]})
    );
}

#[test]
fn worked_quirk_vectors_q1_q2_q3() {
    let base = |h: &mut H| {
        h.create(
            def("chess", "NitroRPC/0.4", &[A, B], &[50, 50], 100, 7),
            allocs(&[(A, "50"), (B, "50")]),
            &[A, B],
        )
    };
    //
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let sid = base(&mut h);
    ok(&h.call(
        "submit_app_state",
        submit(&sid, "operate", 2, &[(A, "100")]),
        &[A, B],
    ));
    assert_eq!(render(&h.m.session_totals(&sid)["usdc"]), "150");
    //
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let sid = base(&mut h);
    ok(&h.call(
        "submit_app_state",
        submit(&sid, "operate", 2, &[(A, "60"), (A, "40")]),
        &[A, B],
    ));
    assert_eq!([h.sbal(&sid, A), h.sbal(&sid, B)], ["40", "50"]);
    assert_eq!(render(&h.m.session_totals(&sid)["usdc"]), "90");
    //
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let sid = base(&mut h);
    ok(&h.call("close_app_session", close(&sid, &[(A, "100")]), &[A, B]));
    assert_eq!([h.bal(A), h.sbal(&sid, B)], ["1050", "50"]);
    assert_eq!(h.total(), "2050");
}

//! AUTH-*, SK-* and API-12 (transfer) behaviour through `step`.

use super::*;
use crate::crypto::eip712::Policy;

const EXP: u64 = 1_800_000_000;

fn req(wallet: &str, key: &str, app: &str) -> Value {
    json!({"address": wallet, "session_key": key, "application": app, "allowances": [{"asset": "usdc", "amount": "100"}],
        "expires_at": EXP, "scope": "console"})
}

fn challenge(h: &mut H, conn: ConnId, p: Value) -> String {
    let out = h.call_on(conn, "auth_request", p, &[]);
    assert!(matches!(
        out.response,
        Expected::Ok {
            method: "auth_challenge",
            ..
        }
    ));
    ok(&out)["challenge_message"].as_str().unwrap().to_string()
}

fn verify(h: &mut H, conn: ConnId, params: Value, signer: Option<&str>) -> Outcome {
    let sigs = vec![Some("0xsig".to_string())];
    let who = signer.map(str::to_string);
    let f = move |_: &Policy| who.clone();
    h.now += 1000;
    let mut call = Call::new(conn, "auth_verify", &params, &sigs, h.now);
    call.auth.policy_signer = Some(&f);
    h.m.step(&call)
}

#[test]
fn auth_4_to_8_signature_flow() {
    let mut h = H::new(Profile::Clearnode052);
    let c = challenge(&mut h, 7, req(A, KA, "clearnode"));
    assert_eq!(h.m.challenge_policy(&c.to_uppercase()).unwrap().wallet, A);
    let out = verify(&mut h, 7, json!({"challenge": c}), Some(A));
    assert_eq!(
        ok(&out),
        &json!({"address": A, "jwt_token": JWT_PLACEHOLDER, "session_key": KA, "success": true})
    );
    // AUTH-11, LIM-2: the JWT's claims; it lives 24 h.
    let claims = out.jwt.clone().unwrap();
    assert_eq!(
        (
            claims.wallet.as_str(),
            claims.expiration_s,
            claims.expires_s - claims.issued_at_s
        ),
        (A, EXP, 86_400)
    );
    assert!(out.notifications.is_empty());
    let after: Vec<&str> = out.after_response.iter().map(|n| n.method).collect();
    assert_eq!(after, ["channels", "bu"]);
    assert_eq!(out.after_response[0].to, Recipient::Conn(7));
    assert_eq!(out.after_response[0].params, json!({"channels": []}));
    assert_eq!(h.m.connection_wallet(7), Some(A));
    // Re-auth as the same wallet: no pushes (AUTH-12); the challenge is single-use (AUTH-7,
    // REPLAY-4).
    let c2 = challenge(&mut h, 7, req(A, KA, "clearnode"));
    assert!(verify(&mut h, 7, json!({"challenge": c2}), Some(A))
        .after_response
        .is_empty());
    assert_eq!(
        verify(&mut h, 7, json!({"challenge": c2}), Some(A)).error_text(),
        "invalid challenge or signature"
    );
    assert_eq!(
        verify(&mut h, 7, json!({"challenge": c2}), Some(A)).error_text(),
        "invalid challenge"
    );
}

#[test]
fn auth_7_verification_errors_in_order() {
    let mut h = H::new(Profile::Clearnode052);
    assert_eq!(
        verify(
            &mut h,
            7,
            json!({"challenge": "550e8400-e29b-41d4-a716-446655440000"}),
            Some(A)
        )
        .error_text(),
        "invalid challenge"
    );
    assert_eq!(
        verify(&mut h, 7, json!({"challenge": "nope"}), Some(A)).error_text(),
        "failed to parse auth parameters"
    );
    assert_eq!(
        verify(&mut h, 7, json!({}), Some(A)).error_text(),
        "invalid challenge"
    );
    let out = h.call_on(7, "auth_verify", json!({}), &[]);
    assert_eq!(
        err(&out),
        "invalid authentication method: expected JWT or signature"
    );
    let c = challenge(&mut h, 7, req(A, KA, "clearnode"));
    assert_eq!(
        verify(&mut h, 7, json!({"challenge": c}), None).error_text(),
        "invalid signature"
    );
    assert_eq!(
        verify(&mut h, 7, json!({"challenge": c}), Some(B)).error_text(),
        "invalid challenge or signature"
    );
    // Not consumed by a wrong signer; expires after 5 minutes (LIM-1).
    h.now += 5 * 60_000;
    assert_eq!(
        verify(&mut h, 7, json!({"challenge": c}), Some(A)).error_text(),
        "invalid challenge or signature"
    );
    assert_eq!(
        verify(&mut h, 7, json!({"challenge": c}), Some(A)).error_text(),
        "invalid challenge"
    );
    assert_eq!(h.m.connection_wallet(7), None);
    // L-5: no address, or an empty application, cannot be hashed.
    let c = challenge(
        &mut h,
        7,
        json!({"session_key": KA, "application": "x", "expires_at": EXP}),
    );
    assert_eq!(
        verify(&mut h, 7, json!({"challenge": c}), Some("0x")).error_text(),
        "invalid signature"
    );
    let c = challenge(&mut h, 7, req(A, KA, ""));
    assert_eq!(
        verify(&mut h, 7, json!({"challenge": c}), Some(A)).error_text(),
        "invalid signature"
    );
    let c = challenge(
        &mut h,
        7,
        json!({"address": A, "session_key": KA, "application": "x", "expires_at": 253_402_300_800u64}),
    );
    assert_eq!(
        verify(&mut h, 7, json!({"challenge": c}), Some(A)).error_text(),
        "failed to generate JWT token"
    );
}

#[test]
fn auth_7_step_9_allowance_errors() {
    let mut h = H::new(Profile::Clearnode052);
    let cases = [
        (json!([{"asset": "eth", "amount": "1"}]), "unsupported token: asset 'eth' is not supported"),
        (json!([{"asset": "usdc", "amount": "1.2.3"}]), "unsupported token: invalid amount '1.2.3' for asset 'usdc': can't convert 1.2.3 to decimal: too many .s"),
        (json!([{"asset": "usdc", "amount": "-1"}]), "unsupported token: allowance amount cannot be negative for asset 'usdc', got '-1'"),
    ];
    for (al, want) in cases {
        let c = challenge(
            &mut h,
            7,
            json!({"address": A, "session_key": KA, "application": "x", "allowances": al, "expires_at": EXP}),
        );
        assert_eq!(
            verify(&mut h, 7, json!({"challenge": c}), Some(A)).error_text(),
            want
        );
    }
    // AUTH-4a: an allowance amount sent as a number fails the auth_request parse.
    let out = h.call_on(
        7,
        "auth_request",
        json!({"address": A, "allowances": [{"asset": "usdc", "amount": 1}]}),
        &[],
    );
    assert_eq!(err(&out), "failed to parse auth parameters");
}

#[test]
fn sk_2_and_sk_3_registration_rules() {
    let mut h = H::new(Profile::Clearnode052);
    ok(&h.register_key(CONN_A, A, KA, "app", json!([]), EXP));
    let out = h.register_key(CONN_B, B, KA, "app", json!([]), EXP);
    assert_eq!(
        out.error_text(),
        "signer is already in use for another wallet"
    );
    let out = h.register_key(CONN_B, B, KB, "app", json!([]), 1);
    assert_eq!(
        out.error_text(),
        "expiration time must be set and in the future"
    );
    // Re-auth with the live key keeps the stored application and caps.
    ok(&h.register_key(
        CONN_A,
        A,
        KA,
        "other",
        json!([{"asset": "usdc", "amount": "5"}]),
        EXP,
    ));
    assert_eq!(h.m.session_keys().get(KA).unwrap().application, "app");
    ok(&h.call("revoke_session_key", json!({"session_key": KA}), &[A]));
    assert_eq!(
        h.register_key(CONN_A, A, KA, "app", json!([]), EXP)
            .error_text(),
        "session key already exists but is expired"
    );
    assert_eq!(
        h.register_key(CONN_B, B, KA, "app", json!([]), EXP)
            .error_text(),
        "session key already exists but is expired"
    );
}

#[test]
fn sk_6_and_auth_3_expired_keys_stop_mapping() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    ok(&h.register_key(CONN_A, A, KA, "clearnode", json!([]), (T0 / 1000) + 100));
    assert!(h
        .call(
            "transfer",
            json!({"destination": B, "allocations": [{"asset": "usdc", "amount": "1"}]}),
            &[KA]
        )
        .is_ok());
    h.now += 200_000;
    let out = h.call(
        "transfer",
        json!({"destination": B, "allocations": [{"asset": "usdc", "amount": "1"}]}),
        &[KA],
    );
    assert_eq!(err(&out), "invalid signature");
}

#[test]
fn sk_7_get_session_keys() {
    let mut h = H::new(Profile::Clearnode052);
    ok(&h.register_key(
        CONN_A,
        A,
        KA,
        "app",
        json!([{"asset": "usdc", "amount": "100"}]),
        EXP,
    ));
    ok(&h.register_key(CONN_A, A, KB, "app2", json!([]), EXP));
    let out = h.call("get_session_keys", json!({}), &[]);
    let keys = ok(&out)["session_keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["session_key"], json!(KB));
    assert_eq!(
        keys[1]["allowances"],
        json!([{"asset": "usdc", "allowance": "100", "used": "0"}])
    );
    assert_eq!(keys[1]["scope"], json!("app"));
    assert_eq!(keys[1]["expires_at"], json!("2027-01-15T08:00:00Z"));
    assert_eq!(
        ok(&h.call("get_session_keys", json!({"limit": 1, "offset": 1}), &[]))["session_keys"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn sk_8_revoke_session_key() {
    let mut h = H::new(Profile::Clearnode052);
    ok(&h.register_key(CONN_A, A, KA, "app", json!([]), EXP));
    ok(&h.register_key(CONN_A, A, KB, "app2", json!([]), EXP));
    assert_eq!(
        err(&h.call("revoke_session_key", json!({}), &[A])),
        "session_key parameter is required"
    );
    // SIG-7: the verifySigner errors, verbatim: no sig[0], a sig[0] that does not recover, and
    // one by another wallet.
    assert_eq!(
        err(&h.call("revoke_session_key", json!({"session_key": KA}), &[])),
        "missing participant signature"
    );
    assert_eq!(
        err(&h.call_raw(
            CONN_A,
            "revoke_session_key",
            &json!({"session_key": KA}),
            &[None]
        )),
        "failed to verify signer"
    );
    assert_eq!(
        err(&h.call("revoke_session_key", json!({"session_key": KA}), &[B])),
        "invalid signature"
    );
    assert_eq!(
        err(&h.call("revoke_session_key", json!({"session_key": C}), &[A])),
        "operation denied: provided address is not an active session key of this user"
    );
    assert_eq!(
        err(&h.call("revoke_session_key", json!({"session_key": KA}), &[KB])),
        "operation denied: insufficient permissions for the active session key"
    );
    assert_eq!(
        ok(&h.call("revoke_session_key", json!({"session_key": KA}), &[KA])),
        &json!({"session_key": KA})
    );
    assert_eq!(
        err(&h.call("revoke_session_key", json!({"session_key": KA}), &[A])),
        "operation denied: provided address is not an active session key of this user"
    );
    // Revocation does not de-authenticate (SK-8).
    assert!(h.call("get_ledger_balances", json!({}), &[]).is_ok());
}

#[test]
fn auth_10_jwt_reauth() {
    let mut h = H::new(Profile::Clearnode052);
    let claims = JwtClaims {
        wallet: B.into(),
        session_key: KB.into(),
        scope: "s".into(),
        application: "app".into(),
        allowances: vec![],
        expiration_s: EXP,
        issuer: "clearnode".into(),
        issued_at_s: T0 / 1000,
        not_before_s: T0 / 1000,
        expires_s: T0 / 1000 + 86_400,
    };
    let good = claims.clone();
    let verifier = move |t: &str| (t == "tok").then(|| good.clone());
    let params = json!({"jwt": "tok", "challenge": "garbage-is-checked-first-though"});
    let _ = params;
    let params = json!({"jwt": "tok"});
    let sigs = [];
    let mut call = Call::new(9, "auth_verify", &params, &sigs, T0 + 1000);
    call.auth.jwt_verifier = Some(&verifier);
    let out = h.m.step(&call);
    assert_eq!(
        ok(&out),
        &json!({"address": B, "session_key": KB, "success": true})
    );
    assert_eq!(out.after_response.len(), 2);
    let bad = json!({"jwt": "other"});
    let call = Call {
        params: &bad,
        ..call
    };
    assert_eq!(h.m.step(&call).error_text(), "invalid JWT token");
    let late = Call {
        params: &params,
        now_ms: T0 + 90_000_000,
        ..call
    };
    assert_eq!(h.m.step(&late).error_text(), "invalid JWT token");
}

#[test]
fn auth_14_unauthenticated_connections() {
    let mut h = H::new(Profile::Clearnode052);
    for m in [
        "get_ledger_balances",
        "transfer",
        "get_session_keys",
        "revoke_session_key",
        "get_user_tag",
        "create_channel",
    ] {
        assert_eq!(
            err(&h.call_on(42, m, json!({}), &[])),
            "authentication required",
            "{m}"
        );
    }
    assert_eq!(
        h.call_on(42, "get_config", json!({}), &[]).response,
        Expected::Unmodelled("handler not modelled")
    );
    assert_eq!(
        h.call_on(42, "ping", json!([]), &[]).response,
        Expected::Ok {
            method: "pong",
            result: Value::Null
        }
    );
}

#[test]
fn api_12_transfer_check_order() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let t = |dest: Value, al: Value| json!({"destination": dest, "allocations": al});
    let one = json!([{"asset": "usdc", "amount": "1"}]);
    assert_eq!(
        err(&h.call("transfer", json!({"allocations": one}), &[A])),
        "destination or destination_tag must be provided"
    );
    assert_eq!(
        err(&h.call("transfer", t(json!("0x12"), one.clone()), &[A])),
        "invalid destination account: 0x12"
    );
    assert_eq!(
        err(&h.call("transfer", t(json!(B), json!([])), &[A])),
        "allocations cannot be empty"
    );
    assert_eq!(
        err(&h.call("transfer", t(json!(B), one.clone()), &[])),
        "missing participant signature"
    );
    assert_eq!(
        err(&h.call("transfer", t(json!(B), one.clone()), &[B])),
        "invalid signature"
    );
    assert_eq!(
        err(&h.call(
            "transfer",
            json!({"destination_user_tag": "NOPE", "allocations": one}),
            &[A]
        )),
        "failed to get wallet by tag: NOPE"
    );
    assert_eq!(
        err(&h.call(
            "transfer",
            t(json!(B), json!([{"asset": "usdc", "amount": "0"}])),
            &[A]
        )),
        "invalid allocation: 0 for asset usdc"
    );
    assert_eq!(
        err(&h.call(
            "transfer",
            t(json!(B), json!([{"asset": "usdc", "amount": "-2.50"}])),
            &[A]
        )),
        "invalid allocation: -2.5 for asset usdc"
    );
    assert_eq!(
        err(&h.call(
            "transfer",
            t(
                json!(B),
                json!([{"asset": "usdc", "amount": "1"}, {"asset": "usdc", "amount": "1000"}])
            ),
            &[A]
        )),
        format!("insufficient funds: {A} for asset usdc")
    );
    assert_eq!([h.bal(A), h.bal(B)], ["1000", "1000"]);
    assert!(h.violations.is_empty());
}

#[test]
fn api_12_transfer_success_notifications_and_tags() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let tag_b = h.m.user_tag(B).unwrap().to_string();
    let out = h.call("transfer", json!({"destination_user_tag": tag_b.to_lowercase(), "allocations": [{"asset": "usdc", "amount": "1.5"}]}), &[A]);
    let tx = &ok(&out)["transactions"][0];
    assert_eq!(tx["from_account"], json!(A));
    assert_eq!(tx["to_account"], json!(B));
    assert_eq!(tx["amount"], json!("1.5"));
    assert_eq!(tx["tx_type"], json!("transfer"));
    // NOTIF-5: `tr` to both sides, with the response's payload; NOTIF-9: all of it queued
    // before the response. API-11: B was found by its tag, given lower case.
    assert_eq!(
        notes(&out),
        vec![n("bu", A), n("tr", A), n("bu", B), n("tr", B), n("bu", A)]
    );
    assert_eq!(out.notifications[1].params, ok(&out).clone());
    assert_eq!([h.bal(A), h.bal(B)], ["998.5", "1001.5"]);
    // A lower-case destination is credited to the checksummed account, notified as written
    // (ADDR-1: notification routing compares exact strings).
    let out = h.call(
        "transfer",
        json!({"destination": C.to_lowercase(), "allocations": [{"asset": "usdc", "amount": "1"}]}),
        &[A],
    );
    assert_eq!(ok(&out)["transactions"][0]["to_account"], json!(C));
    assert_eq!(h.bal(C), "1");
}

#[test]
fn replay_2_transfer_replay_cache() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    let p = json!({"destination": B, "allocations": [{"asset": "usdc", "amount": "1"}]});
    let sigs = [Some(A.to_string())];
    let mut call = Call::new(CONN_A, "transfer", &p, &sigs, T0 + 1000);
    call.req_digest = Some([7; 32]);
    assert!(h.m.step(&call).is_ok());
    assert_eq!(
        h.m.step(&call).error_text(),
        "operation denied: the request has already been processed"
    );
    let later = Call {
        now_ms: T0 + 62_000,
        ts: T0 + 61_000,
        ..call
    };
    assert!(
        h.m.step(&later).is_ok(),
        "cache entry lapsed, ts still fresh"
    );
}

#[test]
fn sk_5_transfer_through_a_session_key() {
    let mut h = H::funded(Profile::Clearnode052, "1000");
    ok(&h.register_key(
        CONN_A,
        A,
        KA,
        "app",
        json!([{"asset": "usdc", "amount": "3"}]),
        EXP,
    ));
    let t =
        |amt: &str| json!({"destination": B, "allocations": [{"asset": "usdc", "amount": amt}]});
    assert!(h.call("transfer", t("2"), &[KA]).is_ok());
    assert_eq!(err(&h.call("transfer", t("2"), &[KA])), "session key spending validation failed: operation denied: insufficient session key allowance: 2 required, 1 available");
    assert_eq!(err(&h.call("transfer", json!({"destination": B, "allocations": [{"asset": "eth", "amount": "1"}]}), &[KA])), "session key spending validation failed: operation denied: asset eth not allowed in session key spending cap");
    assert!(h.call("transfer", t("2"), &[A]).is_ok());
}

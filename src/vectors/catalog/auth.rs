//! Authentication (AUTH-1..14, SK-2..3, ADDR-1/3): the handshake, its failures in AUTH-7 order,
//! JWT re-authentication, re-authentication on an open connection, and the wallet's 24 h session.
//!
//! Hand-played handshakes send `auth_request` as a request and `auth_verify` as an
//! [`AuthVerify`] step, which a live runner rebuilds from the challenge its broker issued.

use super::common::{last_result, now_ms, pair, want_err, want_ok};
use crate::vectors::format::{Auth, AuthVerify};
use crate::vectors::recorder::{allowances, Recorder, START_MS};
use crate::vectors::Case;
use serde_json::{json, Value};

const AREA: &str = "auth";
const BAD_PAIR: &str = "invalid challenge or signature";
/// Session-key expiry used by hand-played handshakes (one day after the first step).
const EXPIRES_AT: u64 = START_MS / 1000 + 86_400;

fn id(name: &str) -> String {
    format!("{AREA}/{name}")
}

/// `auth_request` params as the SDK sends them.
fn request_params(address: &str, session_key: &str, application: &str) -> Value {
    json!({
        "address": address,
        "session_key": session_key,
        "application": application,
        "allowances": [],
        "expires_at": EXPIRES_AT,
        "scope": "console",
    })
}

/// Sends `auth_request` on `conn` and returns the challenge.
fn ask(r: &mut Recorder, conn: &str, params: Value) -> String {
    r.request(conn, "auth_request", params, &[]);
    want_ok(r);
    last_result(r)["challenge_message"]
        .as_str()
        .expect("a challenge")
        .to_string()
}

/// An `auth_verify` answering the last `auth_request` on `conn` (or `policy_conn`): `signer`
/// signs (`sign` = `policy` or `req`), `challenge` = `issued`, `issued-braces-upper`, `absent`
/// or a literal. Live runners rebuild it from the challenge their broker issued.
fn verify(r: &mut Recorder, conn: &str, signer: &str, challenge: &str, sign: &str) {
    verify_from(r, conn, None, signer, challenge, sign);
}

fn verify_from(
    r: &mut Recorder,
    conn: &str,
    policy_conn: Option<&str>,
    signer: &str,
    challenge: &str,
    sign: &str,
) {
    r.auth_verify(
        conn,
        AuthVerify {
            signer: Some(signer.to_string()),
            policy_conn: policy_conn.map(str::to_string),
            challenge: challenge.to_string(),
            sign: sign.to_string(),
        },
    );
}

/// A full hand-played handshake of `wallet` registering root key `key` on `conn`.
fn handshake(r: &mut Recorder, conn: &str, wallet: &str, key: &str) {
    let a = r.wallet(wallet);
    let k = r.session_key(key);
    ask(r, conn, request_params(&a, &k, "clearnode"));
    verify(r, conn, wallet, "issued", "policy");
}

fn auth_of(
    r: &mut Recorder,
    wallet: &str,
    key: &str,
    caps: &[(&str, &str)],
    expires_in_s: u64,
) -> Auth {
    r.wallet(wallet);
    r.session_key(key);
    Auth {
        wallet: wallet.to_string(),
        session_key: key.to_string(),
        application: "clearnode".to_string(),
        scope: "console".to_string(),
        expires_in_s,
        allowances: allowances(caps),
    }
}

pub fn cases() -> Vec<Case> {
    vec![
        Case::new(id("ok-signature"), "A signature handshake succeeds with address, session_key, jwt_token and success, followed by channels and bu on that connection only.")
            .rules(&["AUTH-5", "AUTH-6", "AUTH-7", "AUTH-8", "AUTH-11", "NOTIF-3", "NOTIF-9", "SK-1", "AUTH-2"])
            .script(|r| {
                r.fund("A", "usdc", "7");
                r.connect("c", None);
                r.connect("other", None);
                handshake(r, "c", "A", "A.k");
                want_ok(r);
            }),
        Case::new(id("request-returns-challenge"), "auth_request is answered by method auth_challenge with a UUID, and its (garbage) signature is ignored.")
            .rules(&["AUTH-4", "SIG-5", "AUTH-1"])
            .script(|r| {
                r.connect("c", None);
                let a = r.wallet("A");
                let k = r.session_key("A.k");
                let req = format!("[1,\"auth_request\",{},{}]", request_params(&a, &k, "clearnode"), now_ms(r));
                r.raw_request("c", &req, 0, vec![super::common::literal("0xdeadbeef")]);
                want_ok(r);
            }),
        Case::new(id("allowance-unsupported-asset"), "An allowance in an asset the broker does not support fails verification after the challenge is consumed.")
            .rules(&["AUTH-7"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                let auth = auth_of(r, "A", "A.k", &[("eth", "1")], 86_400);
                r.authenticate("c", auth);
                want_err(r, "unsupported token: asset 'eth' is not supported");
            }),
        Case::new(id("allowance-asset-case"), "Asset symbols in allowances are case-sensitive: USDC is not supported.")
            .rules(&["AUTH-7"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                let auth = auth_of(r, "A", "A.k", &[("USDC", "1")], 86_400);
                r.authenticate("c", auth);
                want_err(r, "unsupported token: asset 'USDC' is not supported");
            }),
        Case::new(id("allowance-invalid-amount"), "An allowance amount that is no decimal is reported with the decimal library's error.")
            .rules(&["AUTH-7", "AS-AMT-1"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                let auth = auth_of(r, "A", "A.k", &[("usdc", "abc")], 86_400);
                r.authenticate("c", auth);
                want_err(r, "unsupported token: invalid amount 'abc' for asset 'usdc': can't convert abc to decimal");
            }),
        Case::new(id("allowance-amount-with-e"), "\"ten\" contains an e, so the decimal library reads \"n\" as an exponent and says so.")
            .rules(&["AUTH-7", "AS-AMT-1"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                let auth = auth_of(r, "A", "A.k", &[("usdc", "ten")], 86_400);
                r.authenticate("c", auth);
                want_err(r, "unsupported token: invalid amount 'ten' for asset 'usdc': can't convert ten to decimal: exponent is not numeric");
            }),
        Case::new(id("allowance-amount-two-dots"), "An allowance with two dots is reported as too many dots.")
            .rules(&["AUTH-7", "AS-AMT-1"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                let auth = auth_of(r, "A", "A.k", &[("usdc", "1.2.3")], 86_400);
                r.authenticate("c", auth);
                want_err(r, "unsupported token: invalid amount '1.2.3' for asset 'usdc': can't convert 1.2.3 to decimal: too many .s");
            }),
        Case::new(id("allowance-negative"), "A negative allowance is refused, quoting the amount as sent.")
            .rules(&["AUTH-7"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                let auth = auth_of(r, "A", "A.k", &[("usdc", "-1.50")], 86_400);
                r.authenticate("c", auth);
                want_err(r, "unsupported token: allowance amount cannot be negative for asset 'usdc', got '-1.50'");
            }),
        Case::new(id("allowance-number"), "An allowance amount sent as a JSON number fails to parse auth_request.")
            .rules(&["AUTH-4", "AUTH-4a"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                let a = r.wallet("A");
                let k = r.session_key("A.k");
                let mut params = request_params(&a, &k, "clearnode");
                params["allowances"] = json!([{"asset": "usdc", "amount": 5}]);
                r.request("c", "auth_request", params, &[]);
                want_err(r, "failed to parse auth parameters");
            }),
        Case::new(id("expiry-not-in-future"), "A session key that expires now is refused at registration.")
            .rules(&["AUTH-7", "SK-3"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                let auth = auth_of(r, "A", "A.k", &[], 0);
                r.authenticate("c", auth);
                want_err(r, "expiration time must be set and in the future");
            }),
        Case::new(id("expiry-after-year-9999"), "An expiry after 9999-12-31 (a milliseconds value by mistake) cannot be put in the JWT.")
            .rules(&["AUTH-7", "SK-3", "AUTH-11"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                let auth = auth_of(r, "A", "A.k", &[], 1_800_000_000_000);
                r.authenticate("c", auth);
                want_err(r, "failed to generate JWT token");
            }),
        Case::new(id("key-of-another-wallet"), "B cannot register A's live session key as its own.")
            .rules(&["AUTH-7", "SK-2"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.participant("A");
                r.connect("c", None);
                let mut auth = r.root_auth("B");
                auth.session_key = "A.sk".to_string();
                r.authenticate("c", auth);
                want_err(r, "signer is already in use for another wallet");
            }),
        Case::new(id("revoked-key-reused"), "Re-registering a revoked key fails: it exists but is expired.")
            .rules(&["SK-2", "SK-8", "AUTH-7"])
            .flags(&["invalid-input"])
            .script(|r| {
                let auth = auth_of(r, "A", "A.k", &[], 86_400);
                r.connect("A", Some(auth.clone()));
                let key = r.addr("A.k");
                r.request("A", "revoke_session_key", json!({"session_key": key}), &["A"]);
                want_ok(r);
                r.authenticate("A", auth);
                want_err(r, "session key already exists but is expired");
            }),
        Case::new(id("existing-key-keeps-stored-values"), "Re-authenticating with a live key keeps its stored application and allowances; get_session_keys still shows the first cap.")
            .rules(&["SK-2", "SK-7"])
            .script(|r| {
                let mut auth = auth_of(r, "A", "A.k", &[("usdc", "10")], 86_400);
                auth.application = "app".to_string();
                r.connect("A", Some(auth.clone()));
                auth.allowances = allowances(&[("usdc", "999")]);
                auth.application = "other".to_string();
                r.authenticate("A", auth);
                want_ok(r);
                r.request("A", "get_session_keys", json!({}), &[]);
                want_ok(r);
            }),
        Case::new(id("unknown-challenge"), "A well-formed challenge that was never issued is invalid.")
            .rules(&["AUTH-7", "AUTH-5"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                r.wallet("A");
                r.request("c", "auth_verify", json!({"challenge": "550e8400-e29b-41d4-a716-446655440000"}), &["A"]);
                want_err(r, "invalid challenge");
            }),
        Case::new(id("no-signature-no-jwt"), "auth_verify with neither a signature nor a jwt names the two methods.")
            .rules(&["AUTH-5", "AUTH-7"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                r.request("c", "auth_verify", json!({"challenge": "550e8400-e29b-41d4-a716-446655440000"}), &[]);
                want_err(r, "invalid authentication method: expected JWT or signature");
            }),
        Case::new(id("challenge-not-uuid"), "A challenge that is no UUID fails to parse.")
            .rules(&["AUTH-5"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                r.wallet("A");
                r.request("c", "auth_verify", json!({"challenge": "not-a-uuid"}), &["A"]);
                want_err(r, "failed to parse auth parameters");
            }),
        Case::new(id("challenge-absent"), "An absent challenge becomes the zero UUID; with a signature present that is an invalid challenge.")
            .rules(&["AUTH-5"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                r.wallet("A");
                r.request("c", "auth_verify", json!({}), &["A"]);
                want_err(r, "invalid challenge");
            }),
        Case::new(id("wrong-signer-then-right"), "A Policy signed by B for A's challenge fails without consuming it; A's own signature then succeeds.")
            .rules(&["AUTH-7", "AUTH-6", "ADDR-1"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                let a = r.wallet("A");
                r.wallet("B");
                let k = r.session_key("A.k");
                ask(r, "c", request_params(&a, &k, "clearnode"));
                verify(r, "c", "B", "issued", "policy");
                want_err(r, BAD_PAIR);
                verify(r, "c", "A", "issued", "policy");
                want_ok(r);
            }),
        Case::new(id("signature-over-req-bytes"), "A signature over the auth_verify req bytes instead of the Policy recovers to another address.")
            .rules(&["AUTH-6", "AUTH-7", "SIG-5"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                let a = r.wallet("A");
                let k = r.session_key("A.k");
                ask(r, "c", request_params(&a, &k, "clearnode"));
                verify(r, "c", "A", "issued", "req");
                want_err(r, BAD_PAIR);
            }),
        Case::new(id("challenge-reused"), "A challenge is single-use: replaying the successful auth_verify frame fails.")
            .rules(&["AUTH-7", "REPLAY-4"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                let a = r.wallet("A");
                let k = r.session_key("A.k");
                ask(r, "c", request_params(&a, &k, "clearnode"));
                verify(r, "c", "A", "issued", "policy");
                want_ok(r);
                verify(r, "c", "A", "issued", "policy");
                want_err(r, BAD_PAIR);
            }),
        Case::new(id("challenge-expired"), "A challenge older than 5 minutes is refused (and deleted).")
            .rules(&["AUTH-7", "LIM-1"])
            .flags(&["invalid-input", "needs-clock"])
            .script(|r| {
                r.connect("c", None);
                let a = r.wallet("A");
                let k = r.session_key("A.k");
                ask(r, "c", request_params(&a, &k, "clearnode"));
                r.advance(300_000);
                verify(r, "c", "A", "issued", "policy");
                want_err(r, BAD_PAIR);
            }),
        Case::new(id("challenge-other-connection"), "Challenges are global: one requested on connection c1 is redeemed on c2, which becomes authenticated.")
            .rules(&["AUTH-8", "AUTH-2"])
            .script(|r| {
                r.connect("c1", None);
                r.connect("c2", None);
                let a = r.wallet("A");
                let k = r.session_key("A.k");
                ask(r, "c1", request_params(&a, &k, "clearnode"));
                verify_from(r, "c2", Some("c1"), "A", "issued", "policy");
                want_ok(r);
                r.request("c2", "get_ledger_balances", json!({}), &[]);
                want_ok(r);
            }),
        Case::new(id("challenge-upper-case-braces"), "The challenge is parsed as a UUID: upper case in braces redeems the canonical one.")
            .rules(&["AUTH-5", "AUTH-6"])
            .script(|r| {
                r.connect("c", None);
                let a = r.wallet("A");
                let k = r.session_key("A.k");
                ask(r, "c", request_params(&a, &k, "clearnode"));
                verify(r, "c", "A", "issued-braces-upper", "policy");
                want_ok(r);
            }),
        Case::new(id("empty-application"), "An empty application leaves the EIP-712 domain undefined, so any signature is an invalid signature.")
            .rules(&["AUTH-4", "AUTH-7"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                let a = r.wallet("A");
                let k = r.session_key("A.k");
                ask(r, "c", request_params(&a, &k, ""));
                verify(r, "c", "A", "issued", "policy");
                want_err(r, "invalid signature");
            }),
        Case::new(id("address-without-prefix"), "An address without 0x is stored with 0x prepended, so the usual Policy signature succeeds.")
            .rules(&["ADDR-3", "AUTH-4"])
            .script(|r| {
                r.connect("c", None);
                let a = r.wallet("A");
                let k = r.session_key("A.k");
                ask(r, "c", request_params(&a[2..], &k, "clearnode"));
                verify(r, "c", "A", "issued", "policy");
                want_ok(r);
            }),
        Case::new(id("address-lower-case"), "A lower-case address never equals the recovered EIP-55 signer: invalid challenge or signature.")
            .rules(&["ADDR-1", "AUTH-7"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                let a = r.wallet("A");
                let k = r.session_key("A.k");
                let lower = a.to_lowercase();
                ask(r, "c", request_params(&lower, &k, "clearnode"));
                verify(r, "c", "A", "issued", "policy");
                want_err(r, BAD_PAIR);
            }),
        Case::new(id("jwt-invalid"), "A jwt that does not verify is an invalid JWT token.")
            .rules(&["AUTH-10"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                r.request("c", "auth_verify", json!({"jwt": "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"}), &[]);
                want_err(r, "invalid JWT token");
            }),
        Case::new(id("jwt-reauth"), "The JWT from a signature handshake re-authenticates another connection without a signature; the reply has no jwt_token.")
            .rules(&["AUTH-10", "AUTH-11", "REPLAY-4", "NOTIF-3"])
            .script(|r| {
                r.connect("c1", None);
                r.connect("c2", None);
                let auth = r.root_auth("A");
                r.authenticate("c1", auth);
                want_ok(r);
                let token = last_result(r)["jwt_token"].as_str().expect("a jwt").to_string();
                r.request("c2", "auth_verify", json!({"jwt": token}), &[]);
                want_ok(r);
            }),
        Case::new(id("reauth-same-wallet-no-pushes"), "Re-authenticating an open connection as the same wallet succeeds with no channels or bu pushes.")
            .rules(&["AUTH-12", "NOTIF-3"])
            .script(|r| {
                pair(r);
                handshake(r, "A", "A", "A.k2");
                want_ok(r);
            }),
        Case::new(id("reauth-other-wallet-moves"), "Re-authenticating A's connection as B moves it: channels and bu for B follow, and a transfer to B is pushed there.")
            .rules(&["AUTH-12", "NOTIF-1", "NOTIF-5"])
            .script(|r| {
                r.participant("A");
                r.participant("C");
                r.fund("C", "usdc", "10");
                handshake(r, "A", "B", "B.k");
                want_ok(r);
                let b = r.addr("B");
                r.request("C", "transfer", json!({"destination": b, "allocations": [{"asset": "usdc", "amount": "1"}]}), &["C"]);
                want_ok(r);
            }),
        Case::new(id("failed-verify-keeps-identity"), "A failed auth_verify leaves the connection authenticated as before.")
            .rules(&["AUTH-12", "AUTH-7"])
            .flags(&["invalid-input"])
            .script(|r| {
                pair(r);
                let auth = auth_of(r, "B", "B.k2", &[("eth", "1")], 86_400);
                r.authenticate("A", auth);
                want_err(r, "unsupported token: asset 'eth' is not supported");
                r.request("A", "get_ledger_balances", json!({}), &[]);
                want_ok(r);
            }),
        Case::new(id("session-idle-24h"), "After 24 h without activity the wallet's auth session has lapsed: private calls ask to re-authenticate.")
            .rules(&["AUTH-13", "AUTH-3", "LIM-2"])
            .flags(&["needs-clock", "invalid-input"])
            .script(|r| {
                let auth = auth_of(r, "A", "A.k", &[], 3 * 86_400);
                r.connect("A", Some(auth));
                r.advance(86_401_000);
                r.request("A", "get_ledger_balances", json!({}), &[]);
                want_err(r, "session expired, please re-authenticate");
            }),
        Case::new(id("session-refreshed-by-activity"), "A private call at 23 h refreshes the sliding 24 h session, so a call at 25 h still works.")
            .rules(&["AUTH-13", "AUTH-3"])
            .flags(&["needs-clock"])
            .script(|r| {
                let auth = auth_of(r, "A", "A.k", &[], 3 * 86_400);
                r.connect("A", Some(auth));
                r.advance(23 * 3_600_000);
                r.request("A", "get_ledger_balances", json!({}), &[]);
                want_ok(r);
                r.advance(2 * 3_600_000);
                r.request("A", "get_ledger_balances", json!({}), &[]);
                want_ok(r);
            }),
        Case::new(id("public-methods-without-auth"), "Public methods work without authentication: ping, get_app_sessions and get_app_definition.")
            .rules(&["AUTH-1", "AUTH-14", "AS-GEN-5", "API-1"])
            .script(|r| {
                r.connect("c", None);
                let a = r.wallet("A");
                r.request("c", "ping", json!({}), &[]);
                want_ok(r);
                // Filtered by the case's own wallet: a shared broker lists everyone's sessions.
                r.request("c", "get_app_sessions", json!({ "participant": a }), &[]);
                want_ok(r);
                r.request("c", "get_app_definition", json!({"app_session_id": ""}), &[]);
                want_err(r, "missing account ID");
            }),
        Case::new(id("private-methods-need-auth"), "Every private method answers authentication required on an unauthenticated connection, with no bu.")
            .rules(&["AUTH-1", "AUTH-3", "AUTH-14", "AS-NOTIF-2"])
            .flags(&["invalid-input"])
            .script(|r| {
                r.connect("c", None);
                r.wallet("A");
                for method in ["get_ledger_balances", "get_user_tag", "get_session_keys", "revoke_session_key", "transfer", "close_app_session"] {
                    r.request("c", method, json!({}), &["A"]);
                    want_err(r, "authentication required");
                }
            }),
    ]
}

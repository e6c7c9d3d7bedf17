//! Session keys inside app sessions (AS-SK-1..4, SK-1..8): root (`clearnode`) keys, keys scoped
//! to one application with spending caps, expiry, replacement and revocation.

use super::common::{open, pair, per_protocol, vid, want_err, want_ok};
use super::operate_shared::v04_submit;
use crate::vectors::build::{close, create, definition, row, session_id};
use crate::vectors::coverage::V04;
use crate::vectors::format::Auth;
use crate::vectors::recorder::{allowances, Recorder};
use crate::vectors::Case;
use serde_json::json;

const AREA: &str = "session-keys";

/// A session key `key` of `wallet` for `application`, with spending caps.
fn app_auth(
    r: &mut Recorder,
    wallet: &str,
    key: &str,
    application: &str,
    caps: &[(&str, &str)],
    expires_in_s: u64,
) -> Auth {
    r.wallet(wallet);
    r.session_key(key);
    Auth {
        wallet: wallet.to_string(),
        session_key: key.to_string(),
        application: application.to_string(),
        scope: "app".to_string(),
        expires_in_s,
        allowances: allowances(caps),
    }
}

/// A and B as usual, plus a second connection `A2` of A that registered `A.app`.
fn with_app_key(
    r: &mut Recorder,
    application: &str,
    caps: &[(&str, &str)],
    expires_in_s: u64,
) -> (String, String, String) {
    let (a, b) = pair(r);
    let auth = app_auth(r, "A", "A.app", application, caps, expires_in_s);
    r.connect("A2", Some(auth));
    let key = r.addr("A.app");
    (a, b, key)
}

fn def(p: &str, a: &str, b: &str, nonce: u64) -> serde_json::Value {
    definition("app", p, &[a, b], &[50, 50], 100, nonce)
}

fn operate(p: &str, sid: &str, version: u64, rows: Vec<serde_json::Value>) -> serde_json::Value {
    super::common::operate(p, sid, version, rows)
}

pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    v.extend(per_protocol(create_within_allowance));
    v.extend(per_protocol(create_over_allowance));
    v.extend(per_protocol(create_wrong_application));
    v.extend(per_protocol(create_no_allowance));
    v.extend(per_protocol(create_asset_not_capped));
    v.extend(per_protocol(create_wallet_wins));
    v.extend(per_protocol(create_two_keys));
    v.extend(per_protocol(create_no_scope_sweep));
    v.extend(per_protocol(submit_matching_key));
    v.extend(per_protocol(submit_wrong_application));
    v.extend(per_protocol(close_wrong_application));
    v.extend(per_protocol(submit_expired_key));
    v.extend(per_protocol(create_expired_key));
    v.extend(per_protocol(submit_revoked_key));
    v.extend(per_protocol(create_revoked_key));
    v.extend(v04_only());
    v.extend(revoke());
    v
}

fn create_within_allowance(p: &'static str) -> Case {
    Case::new(vid(AREA, "create-within-allowance", p), "A's key for application \"app\" with a 100 usdc cap funds a 60 usdc row, and get_session_keys then shows 60 used.")
        .rules(&["AS-SK-1", "AS-SK-3", "SK-4", "SK-5", "SK-7", "AS-CREATE-1"])
        .protocol(p)
        .script(move |r| {
            let (a, b, _) = with_app_key(r, "app", &[("usdc", "100")], 86_400);
            r.request("A", "create_app_session", create(def(p, &a, &b, 1), vec![row(&a, "usdc", "60")], None), &["A.app"]);
            want_ok(r);
            r.request("A2", "get_session_keys", json!({}), &[]);
            want_ok(r);
        })
}

fn create_over_allowance(p: &'static str) -> Case {
    Case::new(vid(AREA, "create-over-allowance", p), "After spending 60 of a 100 cap, a 50 usdc row through the key is refused with 40 available.")
        .rules(&["AS-SK-3", "SK-5"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b, _) = with_app_key(r, "app", &[("usdc", "100")], 86_400);
            r.request("A", "create_app_session", create(def(p, &a, &b, 1), vec![row(&a, "usdc", "60")], None), &["A.app"]);
            r.request("A", "create_app_session", create(def(p, &a, &b, 2), vec![row(&a, "usdc", "50")], None), &["A.app"]);
            want_err(r, "session key spending validation failed: operation denied: insufficient session key allowance: 50 required, 40 available");
        })
}

fn create_wrong_application(p: &'static str) -> Case {
    Case::new(vid(AREA, "create-key-of-other-application", p), "A key scoped to \"chess\" cannot fund a session of application \"app\".")
        .rules(&["AS-SK-3", "SK-4"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b, _) = with_app_key(r, "chess", &[("usdc", "100")], 86_400);
            r.request("A", "create_app_session", create(def(p, &a, &b, 1), vec![row(&a, "usdc", "1")], None), &["A.app"]);
            want_err(r, "session key application validation failed: session key application mismatch: session key is for 'chess', but app session is for 'app'");
        })
}

fn create_no_allowance(p: &'static str) -> Case {
    Case::new(vid(AREA, "create-key-without-allowances", p), "A key registered with no allowances may spend nothing.")
        .rules(&["AS-SK-3", "SK-5"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b, _) = with_app_key(r, "app", &[], 86_400);
            r.request("A", "create_app_session", create(def(p, &a, &b, 1), vec![row(&a, "usdc", "1")], None), &["A.app"]);
            want_err(r, "session key spending validation failed: operation denied: asset usdc not allowed in session key spending cap");
        })
}

fn create_asset_not_capped(p: &'static str) -> Case {
    Case::new(vid(AREA, "create-asset-outside-cap", p), "A key capped in usdc cannot fund an eth row.")
        .rules(&["AS-SK-3", "SK-5"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b, _) = with_app_key(r, "app", &[("usdc", "100")], 86_400);
            r.fund("A", "eth", "1");
            r.request("A", "create_app_session", create(def(p, &a, &b, 1), vec![row(&a, "eth", "1")], None), &["A.app"]);
            want_err(r, "session key spending validation failed: operation denied: asset eth not allowed in session key spending cap");
        })
}

fn create_wallet_wins(p: &'static str) -> Case {
    Case::new(vid(AREA, "create-wallet-signature-wins", p), "When A signs directly, its uncapped key's signature alongside is irrelevant: no session-key check runs.")
        .rules(&["AS-SK-3", "AS-CREATE-1"])
        .protocol(p)
        .script(move |r| {
            let (a, b, _) = with_app_key(r, "app", &[], 86_400);
            r.request("A", "create_app_session", create(def(p, &a, &b, 1), vec![row(&a, "usdc", "5")], None), &["A.app", "A"]);
            want_ok(r);
        })
}

fn create_two_keys(p: &'static str) -> Case {
    Case::new(vid(AREA, "create-two-keys-of-one-wallet", p), "A signs through both its root key and its capped key; either may be checked and charged (AS-SK-4), and both pass, so the create succeeds.")
        .rules(&["AS-SK-4", "AS-SK-3"])
        .protocol(p)
        .script(move |r| {
            let (a, b, _) = with_app_key(r, "app", &[("usdc", "100")], 86_400);
            r.request("A", "create_app_session", create(def(p, &a, &b, 1), vec![row(&a, "usdc", "5")], None), &["A.sk", "A.app"]);
            want_ok(r);
        })
}

fn create_no_scope_sweep(p: &'static str) -> Case {
    Case::new(vid(AREA, "create-has-no-scope-sweep", p), "At create, a signature by A's \"chess\" key on an \"app\" session is ignored when A signs directly: only submit and close sweep all signers.")
        .rules(&["AS-SK-2", "AS-CREATE-2"])
        .protocol(p)
        .script(move |r| {
            let (a, b, _) = with_app_key(r, "chess", &[], 86_400);
            r.request("A", "create_app_session", create(def(p, &a, &b, 1), vec![row(&a, "usdc", "5")], None), &["A", "A.app"]);
            want_ok(r);
        })
}

fn submit_matching_key(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "submit-with-matching-app-key", p),
        "A key scoped to the session's application counts as its wallet in the quorum.",
    )
    .rules(&["AS-SK-1", "AS-SK-2", "AS-QUORUM-3", "SK-6"])
    .protocol(p)
    .script(move |r| {
        let (a, b, _) = with_app_key(r, "app", &[], 86_400);
        let d = def(p, &a, &b, 1);
        let sid = session_id(&d);
        r.request(
            "A",
            "create_app_session",
            create(d, vec![row(&a, "usdc", "10")], None),
            &["A"],
        );
        r.request(
            "A",
            "submit_app_state",
            operate(p, &sid, 2, vec![row(&a, "usdc", "4"), row(&b, "usdc", "6")]),
            &["A.app", "B"],
        );
        want_ok(r);
    })
}

fn submit_wrong_application(p: &'static str) -> Case {
    Case::new(vid(AREA, "submit-with-key-of-other-application", p), "A submit signed through A's \"chess\" key on an \"app\" session fails the scope sweep, naming the key.")
        .rules(&["AS-SK-2", "AS-QUORUM-3", "SK-4"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b, key) = with_app_key(r, "chess", &[], 86_400);
            let d = def(p, &a, &b, 1);
            let sid = session_id(&d);
            r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "10")], None), &["A"]);
            r.request("A", "submit_app_state", operate(p, &sid, 2, vec![row(&a, "usdc", "4"), row(&b, "usdc", "6")]), &["A.app", "B"]);
            want_err(r, &format!("session key application validation failed for signer {key}: session key application mismatch: session key is for 'chess', but app session is for 'app'"));
        })
}

fn close_wrong_application(p: &'static str) -> Case {
    Case::new(vid(AREA, "close-with-key-of-other-application", p), "The scope sweep runs at close too, even when A's wallet also signed.")
        .rules(&["AS-SK-2", "AS-CLOSE-1"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b, key) = with_app_key(r, "chess", &[], 86_400);
            let d = def(p, &a, &b, 1);
            let sid = session_id(&d);
            r.request("A", "create_app_session", create(d, vec![row(&a, "usdc", "10")], None), &["A"]);
            r.request("A", "close_app_session", close(&sid, vec![row(&a, "usdc", "10")]), &["A", "A.app", "B"]);
            want_err(r, &format!("session key application validation failed for signer {key}: session key application mismatch: session key is for 'chess', but app session is for 'app'"));
        })
}

fn submit_expired_key(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "submit-with-expired-key", p),
        "Once A's key has expired it no longer maps to A, so its signature is an unknown wallet.",
    )
    .rules(&["AS-SK-1", "AS-QUORUM-1", "SK-3", "SK-6"])
    .flags(&["needs-clock", "invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b, key) = with_app_key(r, "app", &[], 120);
        let d = def(p, &a, &b, 1);
        let sid = session_id(&d);
        r.request(
            "A",
            "create_app_session",
            create(d, vec![row(&a, "usdc", "10")], None),
            &["A"],
        );
        r.advance(121_000);
        r.request(
            "A",
            "submit_app_state",
            operate(p, &sid, 2, vec![row(&a, "usdc", "4"), row(&b, "usdc", "6")]),
            &["A.app", "B"],
        );
        want_err(
            r,
            &format!("signature from unknown participant wallet {key}"),
        );
    })
}

fn create_expired_key(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "create-with-expired-key", p),
        "An expired key cannot vouch for A at create: A's row lacks a signature.",
    )
    .rules(&["AS-SK-1", "AS-CREATE-1", "SK-3"])
    .flags(&["needs-clock", "invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b, _) = with_app_key(r, "app", &[("usdc", "100")], 120);
        r.advance(121_000);
        r.request(
            "A",
            "create_app_session",
            create(def(p, &a, &b, 1), vec![row(&a, "usdc", "10")], None),
            &["A.app"],
        );
        want_err(r, &format!("missing signature for participant {a}"));
    })
}

fn submit_revoked_key(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "submit-with-revoked-key", p),
        "After A revokes its key, the key's signature on a submit is an unknown wallet.",
    )
    .rules(&["AS-SK-1", "SK-8", "AS-QUORUM-1"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b, key) = with_app_key(r, "app", &[], 86_400);
        let d = def(p, &a, &b, 1);
        let sid = session_id(&d);
        r.request(
            "A",
            "create_app_session",
            create(d, vec![row(&a, "usdc", "10")], None),
            &["A"],
        );
        r.request(
            "A",
            "revoke_session_key",
            json!({"session_key": key}),
            &["A"],
        );
        want_ok(r);
        r.request(
            "A",
            "submit_app_state",
            operate(p, &sid, 2, vec![row(&a, "usdc", "4"), row(&b, "usdc", "6")]),
            &["A.app", "B"],
        );
        want_err(
            r,
            &format!("signature from unknown participant wallet {key}"),
        );
    })
}

fn create_revoked_key(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "create-with-revoked-key", p),
        "After A revokes its key, a create signed only by that key lacks A's signature.",
    )
    .rules(&["AS-SK-1", "SK-8", "AS-CREATE-1"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b, key) = with_app_key(r, "app", &[("usdc", "100")], 86_400);
        r.request(
            "A",
            "revoke_session_key",
            json!({"session_key": key}),
            &["A"],
        );
        want_ok(r);
        r.request(
            "A",
            "create_app_session",
            create(def(p, &a, &b, 1), vec![row(&a, "usdc", "10")], None),
            &["A.app"],
        );
        want_err(r, &format!("missing signature for participant {a}"));
    })
}

fn v04_only() -> Vec<Case> {
    vec![
        Case::new(format!("{AREA}/deposit-over-allowance-v04"), "Deposits through a capped key are charged by their delta: 30 of 100 pass, then a delta of 80 finds 70 available.")
            .rules(&["AS-SK-3", "AS-DEP-1", "SK-5"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let (a, b, _) = with_app_key(r, "app", &[("usdc", "100")], 86_400);
                let s = super::common::open_with(r, V04, a, b, &[50, 50], 100, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 2, "130", "50"), &["A.app", "B"]);
                want_ok(r);
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 3, "210", "50"), &["A.app", "B"]);
                want_err(r, "session key spending validation failed: operation denied: insufficient session key allowance: 80 required, 70 available");
            }),
        Case::new(format!("{AREA}/deposit-key-of-other-application-v04"), "In a deposit the quorum sweep (AS-SK-2) rejects a key of another application before the spending check.")
            .rules(&["AS-SK-2", "AS-SK-3", "AS-DEP-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let (a, b, key) = with_app_key(r, "chess", &[("usdc", "100")], 86_400);
                let s = super::common::open_with(r, V04, a, b, &[50, 50], 100, "100", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 2, "130", "50"), &["A.app", "B"]);
                want_err(r, &format!("session key application validation failed for signer {key}: session key application mismatch: session key is for 'chess', but app session is for 'app'"));
            }),
        Case::new(format!("{AREA}/withdraw-does-not-restore-allowance-v04"), "Withdrawing deposited funds does not give the key its allowance back (Q-27): 60 deposited and withdrawn leave 40 to spend.")
            .rules(&["AS-WD-1", "AS-SK-3", "SK-5"])
            .quirks(&["Q-27"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let (a, b, _) = with_app_key(r, "app", &[("usdc", "100")], 86_400);
                let s = super::common::open_with(r, V04, a, b, &[50, 50], 100, "0", "50");
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 2, "60", "50"), &["A.app", "B"]);
                want_ok(r);
                r.request("A", "submit_app_state", v04_submit(&s, "withdraw", 3, "0", "50"), &["A.app", "B"]);
                want_ok(r);
                r.request("A", "submit_app_state", v04_submit(&s, "deposit", 4, "50", "50"), &["A.app", "B"]);
                want_err(r, "session key spending validation failed: operation denied: insufficient session key allowance: 50 required, 40 available");
            }),
        Case::new(format!("{AREA}/replaced-key-stops-mapping-v04"), "Registering a second key for the same application replaces the first: the old key's signature becomes an unknown wallet.")
            .rules(&["AS-SK-1", "SK-2", "SK-1"])
            .flags(&["invalid-input"])
            .protocol(V04)
            .script(|r| {
                let (a, b, old) = with_app_key(r, "app", &[], 86_400);
                let newer = app_auth(r, "A", "A.app2", "app", &[], 86_400);
                let s = super::common::open_with(r, V04, a, b, &[50, 50], 100, "10", "10");
                r.authenticate("A2", newer);
                want_ok(r);
                r.request("A", "submit_app_state", v04_submit(&s, "operate", 2, "5", "15"), &["A.app", "B"]);
                want_err(r, &format!("signature from unknown participant wallet {old}"));
                r.request("A", "submit_app_state", v04_submit(&s, "operate", 2, "5", "15"), &["A.app2", "B"]);
                want_ok(r);
            }),
    ]
}

fn revoke() -> Vec<Case> {
    let id = |n: &str| format!("{AREA}/{n}");
    vec![
        Case::new(id("revoke-by-wallet"), "The wallet revokes its key; the response echoes the key and get_session_keys no longer lists it.")
            .rules(&["SK-8", "SK-7", "SIG-5"])
            .script(|r| {
                let (_, _, key) = with_app_key(r, "app", &[], 86_400);
                r.request("A", "revoke_session_key", json!({"session_key": key}), &["A"]);
                want_ok(r);
                r.request("A", "get_session_keys", json!({}), &[]);
                want_ok(r);
            }),
        Case::new(id("revoke-self-by-key"), "A key may revoke itself.")
            .rules(&["SK-8"])
            .script(|r| {
                let (_, _, key) = with_app_key(r, "app", &[], 86_400);
                r.request("A2", "revoke_session_key", json!({"session_key": key}), &["A.app"]);
                want_ok(r);
            }),
        Case::new(id("revoke-other-by-root-key"), "A root (clearnode) key may revoke the wallet's other keys.")
            .rules(&["SK-8", "SK-4"])
            .script(|r| {
                let (_, _, key) = with_app_key(r, "app", &[], 86_400);
                r.request("A", "revoke_session_key", json!({"session_key": key}), &["A.sk"]);
                want_ok(r);
            }),
        Case::new(id("revoke-other-by-app-key"), "An application-scoped key may not revoke another key.")
            .rules(&["SK-8"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (_, _, _) = with_app_key(r, "app", &[], 86_400);
                let root = r.addr("A.sk");
                r.request("A2", "revoke_session_key", json!({"session_key": root}), &["A.app"]);
                want_err(r, "operation denied: insufficient permissions for the active session key");
            }),
        Case::new(id("revoke-not-a-key"), "Revoking an address that is no active key of the caller is refused.")
            .rules(&["SK-8"])
            .flags(&["invalid-input"])
            .script(|r| {
                pair(r);
                let b_key = r.addr("B.sk");
                r.request("A", "revoke_session_key", json!({"session_key": b_key}), &["A"]);
                want_err(r, "operation denied: provided address is not an active session key of this user");
            }),
        Case::new(id("revoke-empty"), "An empty session_key is refused before the signature is looked at.")
            .rules(&["SK-8"])
            .flags(&["invalid-input"])
            .script(|r| {
                pair(r);
                r.request("A", "revoke_session_key", json!({"session_key": ""}), &[]);
                want_err(r, "session_key parameter is required");
            }),
        Case::new(id("revoke-unsigned"), "revoke_session_key needs sig[0].")
            .rules(&["SK-8", "SIG-7"])
            .flags(&["invalid-input"])
            .script(|r| {
                pair(r);
                let key = r.addr("A.sk");
                r.request("A", "revoke_session_key", json!({"session_key": key}), &[]);
                want_err(r, "missing participant signature");
            }),
        Case::new(id("revoke-signed-by-other-wallet"), "sig[0] by B on A's connection is an invalid signature; extra signatures are ignored.")
            .rules(&["SK-8", "SIG-7", "SIG-5"])
            .flags(&["invalid-input"])
            .script(|r| {
                pair(r);
                let key = r.addr("A.sk");
                r.request("A", "revoke_session_key", json!({"session_key": key}), &["B", "A"]);
                want_err(r, "invalid signature");
            }),
        Case::new(id("revoke-keeps-connection-authenticated"), "Revoking the key a connection authenticated with does not log it out: a private read still works.")
            .rules(&["SK-8", "AUTH-2"])
            .script(|r| {
                pair(r);
                let key = r.addr("A.sk");
                r.request("A", "revoke_session_key", json!({"session_key": key}), &["A"]);
                want_ok(r);
                r.request("A", "get_ledger_balances", json!({}), &[]);
                want_ok(r);
            }),
        Case::new(id("list-newest-first"), "get_session_keys lists the caller's live keys newest first with their caps and usage; limit 1 keeps the newest.")
            .rules(&["SK-7"])
            .script(|r| {
                with_app_key(r, "app", &[("usdc", "25.50")], 86_400);
                r.request("A", "get_session_keys", json!({}), &[]);
                want_ok(r);
                r.request("A", "get_session_keys", json!({"limit": 1}), &[]);
                want_ok(r);
            }),
        Case::new(id("open-same-state-via-any-key"), "Open a session, then every step signed through root keys only: create, operate and close succeed.")
            .rules(&["AS-SK-1", "SK-4", "SK-6"])
            .protocol(V04)
            .script(|r| {
                let s = open(r, V04, "10", "10");
                r.request("A", "submit_app_state", v04_submit(&s, "operate", 2, "15", "5"), &["A.sk", "B.sk"]);
                want_ok(r);
                r.request("A", "close_app_session", close(&s.sid, s.rows("15", "5")), &["B.sk", "A.sk"]);
                want_ok(r);
            }),
    ]
}

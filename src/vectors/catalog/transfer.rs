//! `transfer` between unified balances (API-12 and app-sessions.md §13.3): the check order and
//! exact errors, the replay cache (REPLAY-2), session-key spending (SK-5), channel guards, and
//! the `bu`/`tr` pushes to both sides (NOTIF-5, NOTIF-9).

use super::common::{pair, req_text, want_err, want_ok};
use crate::model::ChannelStatus;
use crate::vectors::format::Auth;
use crate::vectors::recorder::allowances;
use crate::vectors::Case;
use serde_json::{json, Value};

fn id(name: &str) -> String {
    format!("transfer/{name}")
}

fn to(destination: &str, rows: &[(&str, &str)]) -> Value {
    let rows: Vec<Value> = rows
        .iter()
        .map(|(a, x)| json!({"asset": a, "amount": x}))
        .collect();
    json!({"destination": destination, "allocations": rows})
}

pub fn cases() -> Vec<Case> {
    vec![
        Case::new(id("ok"), "A sends B 1.5 usdc: A sees bu, tr, bu then the response; B's connection gets bu and tr.")
            .rules(&["API-12", "NOTIF-4", "NOTIF-5", "NOTIF-9", "SIG-5"])
            .script(|r| {
                let (_, b) = pair(r);
                r.request("A", "transfer", to(&b, &[("usdc", "1.5")]), &["A"]);
                want_ok(r);
            }),
        Case::new(id("replay-same-bytes"), "Resending the identical signed transfer within 60 s is refused by the replay cache.")
            .rules(&["API-12", "REPLAY-2"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (_, b) = pair(r);
                r.request("A", "transfer", to(&b, &[("usdc", "1")]), &["A"]);
                want_ok(r);
                let again = super::common::last_step_index(r);
                r.resend("A", again);
                want_err(r, "operation denied: the request has already been processed");
            }),
        Case::new(id("failed-transfer-not-cached"), "A transfer that failed is not cached: the same bytes are processed again (and fail the same way).")
            .rules(&["REPLAY-2"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (a, b) = pair(r);
                r.request("A", "transfer", to(&b, &[("usdc", "5000")]), &["A"]);
                let again = super::common::last_step_index(r);
                r.resend("A", again);
                want_err(r, &format!("insufficient funds: {a} for asset usdc"));
            }),
        Case::new(id("no-destination"), "Neither destination nor destination_user_tag: refused.")
            .rules(&["API-12"])
            .flags(&["invalid-input"])
            .script(|r| {
                pair(r);
                r.request("A", "transfer", json!({"allocations": [{"asset": "usdc", "amount": "1"}]}), &["A"]);
                want_err(r, "destination or destination_tag must be provided");
            }),
        Case::new(id("invalid-destination"), "A destination that is no hex address is echoed in the error.")
            .rules(&["API-12", "ADDR-2"])
            .flags(&["invalid-input"])
            .script(|r| {
                pair(r);
                r.request("A", "transfer", to("0x1234", &[("usdc", "1")]), &["A"]);
                want_err(r, "invalid destination account: 0x1234");
            }),
        Case::new(id("destination-before-allocations"), "The destination check runs before the empty-allocations check.")
            .rules(&["API-12"])
            .flags(&["invalid-input"])
            .script(|r| {
                pair(r);
                r.request("A", "transfer", json!({"destination": "nobody", "allocations": []}), &["A"]);
                want_err(r, "invalid destination account: nobody");
            }),
        Case::new(id("empty-allocations"), "An empty allocation list is refused.")
            .rules(&["API-12"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (_, b) = pair(r);
                r.request("A", "transfer", to(&b, &[]), &["A"]);
                want_err(r, "allocations cannot be empty");
            }),
        Case::new(id("unsigned"), "A transfer needs sig[0].")
            .rules(&["API-12", "SIG-7"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (_, b) = pair(r);
                r.request("A", "transfer", to(&b, &[("usdc", "1")]), &[]);
                want_err(r, "missing participant signature");
            }),
        Case::new(id("allocations-before-signature"), "Empty allocations are reported before a missing signature.")
            .rules(&["API-12"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (_, b) = pair(r);
                r.request("A", "transfer", to(&b, &[]), &[]);
                want_err(r, "allocations cannot be empty");
            }),
        Case::new(id("signed-by-other-wallet"), "sig[0] by B on A's connection is an invalid signature, even with A's signature second.")
            .rules(&["API-12", "SIG-7", "SIG-5"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (_, b) = pair(r);
                r.request("A", "transfer", to(&b, &[("usdc", "1")]), &["B", "A"]);
                want_err(r, "invalid signature");
            }),
        Case::new(id("extra-signatures-ignored"), "Only sig[0] counts: A's signature followed by B's works.")
            .rules(&["SIG-5", "API-12"])
            .script(|r| {
                let (_, b) = pair(r);
                r.request("A", "transfer", to(&b, &[("usdc", "1")]), &["A", "B"]);
                want_ok(r);
            }),
        Case::new(id("malformed-signature"), "A sig[0] of 64 bytes does not recover: failed to verify signer.")
            .rules(&["API-12", "SIG-6", "SIG-3"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (_, b) = pair(r);
                let params = serde_json::to_string(&to(&b, &[("usdc", "1")])).expect("json");
                let req = req_text(r, 98, "transfer", &params, 0);
                r.raw_request("A", &req, 0, vec![super::common::literal(&format!("0x{}", "22".repeat(64)))]);
                want_err(r, "failed to verify signer");
            }),
        Case::new(id("signature-over-other-bytes"), "A's signature over different bytes recovers to a stranger: invalid signature.")
            .rules(&["SIG-2", "API-12"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (_, b) = pair(r);
                let params = serde_json::to_string(&to(&b, &[("usdc", "1")])).expect("json");
                let req = req_text(r, 99, "transfer", &params, 0);
                let other = req.replace("\"1\"", "\"2\"");
                r.raw_request("A", &req, 0, vec![super::common::over_other("A", &other)]);
                want_err(r, "invalid signature");
            }),
        Case::new(id("signed-by-root-key"), "sig[0] by A's root session key maps to A and the transfer goes through.")
            .rules(&["API-12", "SK-6", "SK-4"])
            .script(|r| {
                let (_, b) = pair(r);
                r.request("A", "transfer", to(&b, &[("usdc", "2")]), &["A.sk"]);
                want_ok(r);
            }),
        Case::new(id("app-key-within-then-over-cap"), "A key capped at 10 usdc sends 6, then 5 more is refused with 4 available.")
            .rules(&["SK-5", "API-12"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (_, b) = pair(r);
                r.session_key("A.app");
                let auth = Auth { wallet: "A".into(), session_key: "A.app".into(), application: "app".into(), scope: "app".into(), expires_in_s: 86_400, allowances: allowances(&[("usdc", "10")]) };
                r.connect("A2", Some(auth));
                r.request("A2", "transfer", to(&b, &[("usdc", "6")]), &["A.app"]);
                want_ok(r);
                r.request("A2", "transfer", to(&b, &[("usdc", "5")]), &["A.app"]);
                want_err(r, "session key spending validation failed: operation denied: insufficient session key allowance: 5 required, 4 available");
            }),
        Case::new(id("app-key-no-cap"), "A key without allowances can send nothing.")
            .rules(&["SK-5"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (_, b) = pair(r);
                r.session_key("A.app");
                let auth = Auth { wallet: "A".into(), session_key: "A.app".into(), application: "app".into(), scope: "app".into(), expires_in_s: 86_400, allowances: vec![] };
                r.connect("A2", Some(auth));
                r.request("A2", "transfer", to(&b, &[("usdc", "1")]), &["A.app"]);
                want_err(r, "session key spending validation failed: operation denied: asset usdc not allowed in session key spending cap");
            }),
        Case::new(id("by-user-tag"), "A transfer by destination_user_tag (lower-case, upper-cased before lookup) reaches B and echoes the tag.")
            .rules(&["API-12", "API-11"])
            .script(|r| {
                let (_, b) = pair(r);
                let tag = r.model().user_tag(&b).expect("B has a tag").to_string();
                r.request("A", "transfer", json!({"destination_user_tag": tag.to_lowercase(), "allocations": [{"asset": "usdc", "amount": "3"}]}), &["A"]);
                want_ok(r);
            }),
        Case::new(id("unknown-user-tag"), "An unknown tag is refused by name (after the signature check).")
            .rules(&["API-12"])
            .flags(&["invalid-input"])
            .script(|r| {
                pair(r);
                r.request("A", "transfer", json!({"destination_user_tag": "NOSUCH", "allocations": [{"asset": "usdc", "amount": "1"}]}), &["A"]);
                want_err(r, "failed to get wallet by tag: NOSUCH");
            }),
        Case::new(id("to-self"), "Sending to one's own address (as written) is refused.")
            .rules(&["API-12"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (a, _) = pair(r);
                r.request("A", "transfer", to(&a, &[("usdc", "1")]), &["A"]);
                want_err(r, "cannot transfer to self");
            }),
        Case::new(id("self-before-amount"), "The self check comes before the per-row amount check.")
            .rules(&["API-12"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (a, _) = pair(r);
                r.request("A", "transfer", to(&a, &[("usdc", "0")]), &["A"]);
                want_err(r, "cannot transfer to self");
            }),
        Case::new(id("zero-amount"), "A zero amount is an invalid allocation.")
            .rules(&["API-12"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (_, b) = pair(r);
                r.request("A", "transfer", to(&b, &[("usdc", "0.000")]), &["A"]);
                want_err(r, "invalid allocation: 0 for asset usdc");
            }),
        Case::new(id("negative-amount"), "A negative amount is an invalid allocation, rendered plainly.")
            .rules(&["API-12", "AS-AMT-5"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (_, b) = pair(r);
                r.request("A", "transfer", to(&b, &[("usdc", "-2.50")]), &["A"]);
                want_err(r, "invalid allocation: -2.5 for asset usdc");
            }),
        Case::new(id("insufficient-funds"), "More than the unified balance is refused, naming the sender.")
            .rules(&["API-12"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (a, b) = pair(r);
                r.request("A", "transfer", to(&b, &[("usdc", "1000.01")]), &["A"]);
                want_err(r, &format!("insufficient funds: {a} for asset usdc"));
            }),
        Case::new(id("atomic-rows"), "A two-row transfer whose second row cannot be paid moves nothing.")
            .rules(&["API-12", "AS-INV-4"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (a, b) = pair(r);
                r.request("A", "transfer", to(&b, &[("usdc", "600"), ("usdc", "600")]), &["A"]);
                want_err(r, &format!("insufficient funds: {a} for asset usdc"));
            }),
        Case::new(id("malformed-amount"), "A malformed amount fails to parse before anything else.")
            .rules(&["API-12", "AS-AMT-1"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (_, b) = pair(r);
                r.request("A", "transfer", to(&b, &[("usdc", "1_000")]), &["A"]);
                want_err(r, "failed to parse parameters");
            }),
        Case::new(id("exponent-amount-rendered"), "An amount of 1e-3 is sent as 0.001 in the transaction.")
            .rules(&["API-12", "AS-AMT-5", "NOTIF-5"])
            .script(|r| {
                let (_, b) = pair(r);
                r.request("A", "transfer", to(&b, &[("usdc", "1e-3")]), &["A"]);
                want_ok(r);
            }),
        Case::new(id("destination-without-prefix"), "A destination without 0x is a valid address and credits B's account.")
            .rules(&["ADDR-2", "API-12"])
            .script(|r| {
                let (_, b) = pair(r);
                r.request("A", "transfer", to(&b[2..], &[("usdc", "1")]), &["A"]);
                want_ok(r);
            }),
        Case::new(id("destination-lower-case"), "A lower-case destination credits B's account, but B's connection gets no bu or tr (pushes use the raw string).")
            .rules(&["ADDR-2", "NOTIF-1", "API-12"])
            .script(|r| {
                let (_, b) = pair(r);
                r.request("A", "transfer", to(&b.to_lowercase(), &[("usdc", "1")]), &["A"]);
                want_ok(r);
            }),
        Case::new(id("to-fresh-wallet"), "The recipient needs no registration or connection.")
            .rules(&["API-12"])
            .script(|r| {
                pair(r);
                let c = r.wallet("C");
                r.request("A", "transfer", to(&c, &[("usdc", "4")]), &["A"]);
                want_ok(r);
            }),
        Case::new(id("challenged-channel"), "A sender with a challenged channel cannot transfer.")
            .rules(&["API-12", "AS-CHAN-1"])
            .flags(&["needs-channel-hook", "invalid-input"])
            .script(|r| {
                let (a, b) = pair(r);
                r.channel("A", ChannelStatus::Challenged, "0");
                r.request("A", "transfer", to(&b, &[("usdc", "1")]), &["A"]);
                want_err(r, &format!("participant {a} has challenged channels, cannot execute operation"));
            }),
        Case::new(id("funds-in-channel"), "A sender with funds in an open channel cannot transfer.")
            .rules(&["API-12", "AS-CHAN-2"])
            .flags(&["needs-channel-hook", "invalid-input"])
            .script(|r| {
                let (a, b) = pair(r);
                r.channel("A", ChannelStatus::Open, "10");
                r.request("A", "transfer", to(&b, &[("usdc", "1")]), &["A"]);
                want_err(r, &format!("operation denied: non-zero allocation in 1 channel(s) detected owned by wallet {a}"));
            }),
        Case::new(id("recipient-channel-not-guarded"), "Only the sender is guarded: B's challenged channel does not block a transfer to B.")
            .rules(&["API-12", "AS-CHAN-1"])
            .flags(&["needs-channel-hook"])
            .script(|r| {
                let (_, b) = pair(r);
                r.channel("B", ChannelStatus::Challenged, "0");
                r.request("A", "transfer", to(&b, &[("usdc", "1")]), &["A"]);
                want_ok(r);
            }),
        Case::new(id("stale-timestamp"), "A transfer with a 61 s old ts is refused and sends no bu.")
            .rules(&["WIRE-12", "REPLAY-1", "AS-NOTIF-2"])
            .flags(&["invalid-input"])
            .script(|r| {
                let (_, b) = pair(r);
                r.request_at("A", "transfer", to(&b, &[("usdc", "1")]), &["A"], -61_000);
                want_err(r, "invalid message timestamp");
            }),
    ]
}

//! Comparing what a broker did with what the model expects, into findings of a class (PASS,
//! INFORMATIONAL, NON-STRICT, FAIL). A divergence is data, never an `Err`.

use crate::model::amount::render;
use crate::model::invariants::check_step;
use crate::model::Dec;
use crate::scenario::books::Rows;
use crate::scenario::{Books, Push, Reply};
use crate::verdict::{Class, Finding};
use crate::wire::Frame;
use serde_json::Value;
use std::collections::BTreeMap;

/// Result fields whose values are the broker's own (clock, randomness, tokens): only their
/// presence is compared.
const VOLATILE: &[&str] = &[
    "created_at",
    "updated_at",
    "jwt_token",
    "challenge_message",
    // Row ids of the broker's database (session keys, transactions): sequences shared by all users.
    "id",
    // User tags are drawn at random by the broker (the model derives its own).
    "tag",
    "from_account_tag",
    "to_account_tag",
];

fn finding(class: Class, what: &str, message: impl Into<String>) -> Finding {
    Finding {
        class,
        what: what.to_string(),
        message: message.into(),
        expected: None,
        received: None,
    }
}

fn with(mut f: Finding, expected: impl Into<String>, received: impl Into<String>) -> Finding {
    f.expected = Some(expected.into());
    f.received = Some(received.into());
    f
}

/// A JSON value Go writes for an unset field.
fn is_zero_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// Compares the reply (if one came) with the expected one.
pub fn reply(expected: &Reply, got: Option<&Frame>) -> Vec<Finding> {
    let Some(got) = got else {
        return match expected {
            Reply::None => vec![],
            _ => vec![finding(Class::Fail, "response", "no reply came")],
        };
    };
    match expected {
        Reply::Unmodelled(reason) => vec![finding(
            Class::Skip,
            "response",
            format!("the model does not decide this request ({reason})"),
        )],
        Reply::None => vec![with(
            finding(Class::Fail, "response", "no reply was expected (TRANS-4)"),
            "(no frame)",
            format!("{} {}", got.method, got.params),
        )],
        Reply::Err(errors) => match got.error_message() {
            None => vec![with(
                finding(
                    Class::Fail,
                    "accept/reject",
                    "the request should have been rejected, and was accepted",
                ),
                format!("error: {}", errors.text()),
                format!("{}: {}", got.method, got.params),
            )],
            Some(text) if errors.accepts(text) => vec![],
            Some(text) => vec![with(
                finding(
                    Class::NonStrict,
                    "error text",
                    "rejected as expected, with another text",
                ),
                errors.texts.join(" | "),
                text,
            )],
        },
        Reply::Ok { method, result } => success(method, result, got),
    }
}

fn success(method: &str, result: &Value, got: &Frame) -> Vec<Finding> {
    if let Some(text) = got.error_message() {
        return vec![with(
            finding(
                Class::Fail,
                "accept/reject",
                "the request should have been accepted, and was rejected",
            ),
            format!("{method}: {result}"),
            format!("error: {text}"),
        )];
    }
    let mut out = Vec::new();
    if got.method != method {
        out.push(with(
            finding(
                Class::Fail,
                "response method",
                "the reply names another method",
            ),
            method,
            got.method.clone(),
        ));
    }
    compare_values("result", result, &got.params, &mut out);
    out
}

fn compare_values(path: &str, expected: &Value, received: &Value, out: &mut Vec<Finding>) {
    match (expected, received) {
        (Value::Object(e), Value::Object(r)) => {
            for (key, ev) in e {
                let sub = format!("{path}.{key}");
                match r.get(key) {
                    None if is_zero_value(ev) => out.push(finding(
                        Class::Informational,
                        "zero-valued field",
                        format!("{sub} ({ev}) is absent"),
                    )),
                    None => out.push(with(
                        finding(Class::Fail, "field", format!("{sub} is missing")),
                        ev.to_string(),
                        "(absent)",
                    )),
                    Some(_) if VOLATILE.contains(&key.as_str()) => {}
                    Some(rv) if key == "response" && recorded_reply(ev, rv, &sub, out) => {}
                    Some(rv) => compare_values(&sub, ev, rv, out),
                }
            }
            for key in r.keys().filter(|k| !e.contains_key(*k)) {
                out.push(finding(
                    Class::Informational,
                    "extra field",
                    format!("{path}.{key} is not in the expected result"),
                ));
            }
        }
        (Value::Array(e), Value::Array(r)) if e.len() == r.len() => {
            for (i, (ev, rv)) in e.iter().zip(r).enumerate() {
                compare_values(&format!("{path}[{i}]"), ev, rv, out);
            }
        }
        _ if expected == received => {}
        _ if is_zero_value(expected) && is_zero_value(received) => out.push(finding(
            Class::Informational,
            "zero-valued field",
            format!("{path}: {expected} vs {received}"),
        )),
        _ => out.push(with(
            finding(Class::Fail, "field", format!("{path} differs")),
            expected.to_string(),
            received.to_string(),
        )),
    }
}

/// API-10: a `get_rpc_history` row's `response` is the text of the reply's `res` array: its
/// result is compared as a result (its volatile fields, such as row ids and times, by presence
/// only) and its last element, the broker's clock when it answered, not at all. `false` when
/// either text is no such array (then the texts are compared as they are).
fn recorded_reply(expected: &Value, received: &Value, path: &str, out: &mut Vec<Finding>) -> bool {
    let res = |v: &Value| -> Option<Vec<Value>> {
        let items: Vec<Value> = serde_json::from_str(v.as_str()?).ok()?;
        (items.len() == 4).then_some(items)
    };
    let (Some(e), Some(r)) = (res(expected), res(received)) else {
        return false;
    };
    for (i, (ev, rv)) in e.iter().zip(&r).take(3).enumerate() {
        compare_values(&format!("{path}[{i}]"), ev, rv, out);
    }
    true
}

/// The parts of a notification that must match: the event, and for balance and session
/// updates their content as sets (Clearnode's row order is random, Q-10).
fn push_key(method: &str, params: &Value) -> String {
    let mut rows: Vec<String> = match method {
        "bu" => params["balance_updates"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|r| format!("{}={}", r["asset"], r["amount"]))
                    .collect()
            })
            .unwrap_or_default(),
        "asu" => {
            let s = &params["app_session"];
            let mut rows: Vec<String> = params["participant_allocations"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|r| format!("{}/{}={}", r["participant"], r["asset"], r["amount"]))
                        .collect()
                })
                .unwrap_or_default();
            rows.push(format!(
                "#{} v{} {}",
                s["app_session_id"], s["version"], s["status"]
            ));
            rows
        }
        _ => vec![],
    };
    rows.sort();
    format!("{method}[{}]", rows.join(","))
}

/// Compares the pushes one connection received during a step with the expected ones: the
/// same notifications (contents as [`push_key`] reads them), in the model's order on that
/// connection, where a run of equal non-zero groups may come in any order (Q-10; NOTIF-9 and
/// AS-NOTIF-4 fix the rest). A push the model did not expect must still be the connection's
/// wallet's own ([`leak`]); else it is a FAIL in both profiles.
pub fn pushes(
    conn: &str,
    expected: &[&Push],
    received: &[Frame],
    entitled: &Entitled,
) -> Vec<Finding> {
    let want: Vec<(String, u32)> = expected
        .iter()
        .map(|p| (push_key(&p.method, &p.params), p.group))
        .collect();
    let got: Vec<String> = received
        .iter()
        .map(|f| push_key(&f.method, &f.params))
        .collect();
    // Match each received push with the first unmatched expected one of the same content.
    let mut matched = vec![false; want.len()];
    let mut arrived = Vec::new();
    let mut extra = Vec::new();
    for (r, g) in got.iter().enumerate() {
        match (0..want.len()).find(|&i| !matched[i] && want[i].0 == *g) {
            Some(i) => {
                matched[i] = true;
                arrived.push(g.as_str());
            }
            None => extra.push(r),
        }
    }
    let mut out = Vec::new();
    for (w, _) in want.iter().zip(&matched).filter(|(_, m)| !**m) {
        out.push(with(
            finding(
                Class::Fail,
                "notification",
                format!("{conn}: a notification is missing"),
            ),
            w.0.clone(),
            got.join(" "),
        ));
    }
    for r in extra {
        out.push(unexpected(conn, expected, &received[r], &got[r], entitled));
    }
    let delivered: Vec<&(String, u32)> = want
        .iter()
        .zip(&matched)
        .filter(|(_, m)| **m)
        .map(|(w, _)| w)
        .collect();
    if !in_order(&delivered, &arrived) {
        let expected: Vec<String> = delivered.iter().map(|(k, g)| grouped(k, *g)).collect();
        out.push(with(
            finding(
                Class::Fail,
                "notification order",
                format!("{conn}: notifications arrived in another order than the model's (NOTIF-9, AS-NOTIF-4)"),
            ),
            expected.join(" "),
            arrived.join(" "),
        ));
    }
    out
}

/// A push no expected one matched: a leak when it is not the connection's wallet's, else
/// other content than expected (FAIL) or an extra notification (INFORMATIONAL).
fn unexpected(
    conn: &str,
    expected: &[&Push],
    frame: &Frame,
    key: &str,
    entitled: &Entitled,
) -> Finding {
    if let Some(why) = leak(frame, entitled) {
        return with(
            finding(
                Class::Fail,
                "notification leak",
                format!("{conn}: {why} (NOTIF-1, NOTIF-5, NOTIF-6, AS-NOTIF-2)"),
            ),
            entitled.who(),
            key,
        );
    }
    let wrong_content = expected
        .iter()
        .any(|n| key.starts_with(&format!("{}[", n.method)));
    let (class, message) = match wrong_content {
        true => (
            Class::Fail,
            format!("{conn}: a notification carries other content than expected"),
        ),
        false => (
            Class::Informational,
            format!("{conn}: an extra notification"),
        ),
    };
    with(finding(class, "notification", message), "", key)
}

/// Who may receive a connection's notifications: the wallets it is authenticated as before
/// and after the step, and what each side booked for them (the leak check).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entitled {
    /// Wallet addresses (none: the connection is not authenticated, and no wallet's `bu`,
    /// `asu` or `tr` is for it).
    pub wallets: Vec<String>,
    /// Unified balances of those wallets (asset → amount, zero rows left out) as the model and
    /// the broker booked them before and after the step: a `bu` must show one of them.
    pub balances: Vec<BTreeMap<String, Dec>>,
    /// The same for the case's other wallets: a `bu` showing one of these (and none of the
    /// wallet's own) is another wallet's.
    pub others: Vec<BTreeMap<String, Dec>>,
    /// Participants of the sessions the model knows, for an `asu` whose payload lacks them.
    pub sessions: BTreeMap<String, Vec<String>>,
}

impl Entitled {
    fn is_wallet(&self, address: &str) -> bool {
        // Case-insensitive on purpose: a leak check must never cry wolf over casing (Q-17
        // casing rules are judged elsewhere).
        self.wallets.iter().any(|w| w.eq_ignore_ascii_case(address))
    }

    fn who(&self) -> String {
        match self.wallets.is_empty() {
            true => "(an unauthenticated connection)".into(),
            false => self.wallets.join(" or "),
        }
    }
}

/// Why `frame`, pushed to a connection, is not for the wallets it is entitled to, if it is
/// not: an `asu` of a session none of them is a participant of (NOTIF-6), a `tr` of a
/// transaction that involves none of them (NOTIF-5), a `bu` whose balances are another wallet's
/// of the case and none of theirs (a `bu` names no wallet, so its rows tell; AS-NOTIF-2,
/// NOTIF-3/4). A `bu` listing no
/// balance discloses nothing and is never a leak; other methods are not checked.
pub fn leak(frame: &Frame, entitled: &Entitled) -> Option<String> {
    let p = &frame.params;
    match frame.method.as_str() {
        "asu" => {
            let id = p["app_session"]["app_session_id"].as_str().unwrap_or("");
            let listed: Option<Vec<String>> =
                p["app_session"]["participants"].as_array().map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                });
            let Some(participants) = listed.or_else(|| entitled.sessions.get(id).cloned()) else {
                return Some(format!(
                    "an `asu` of session {id} that names no participants"
                ));
            };
            (!participants.iter().any(|p| entitled.is_wallet(p))).then(|| {
                format!(
                    "an `asu` of session {id}, whose participants ({}) do not include this connection's wallet",
                    participants.join(", ")
                )
            })
        }
        "tr" => {
            let txs = p["transactions"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            txs.iter()
                .find(|tx| {
                    let party = |k: &str| tx[k].as_str().is_some_and(|a| entitled.is_wallet(a));
                    !party("from_account") && !party("to_account")
                })
                .map(|tx| {
                    format!(
                        "a `tr` of a transfer from {} to {}, which does not involve this connection's wallet",
                        tx["from_account"], tx["to_account"]
                    )
                })
        }
        "bu" => {
            // Rows that cannot be read tell no owner: judged as content, not as a leak.
            let rows = balance_rows(p)?;
            // Only balances that are another wallet's and not its own are a leak: a `bu` of an
            // intermediate state the books never show is judged as other content instead.
            let leaked = !rows.is_empty()
                && !entitled.balances.contains(&rows)
                && entitled.others.contains(&rows);
            leaked.then(|| {
                "a `bu` showing another wallet's balances, not this connection's wallet's".into()
            })
        }
        _ => None,
    }
}

/// The non-zero rows of a `bu` (asset → amount); `None` when one cannot be read.
fn balance_rows(params: &Value) -> Option<BTreeMap<String, Dec>> {
    let mut rows = BTreeMap::new();
    for row in params["balance_updates"].as_array().into_iter().flatten() {
        let asset = row["asset"].as_str()?;
        let text = match &row["amount"] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        let amount = crate::model::amount::parse_decimal(&text).ok()?;
        if !bigdecimal::Zero::is_zero(&amount) {
            rows.insert(asset.to_string(), amount);
        }
    }
    Some(rows)
}

/// NOTIF-9: the notifications a request causes on its own connection come before its reply;
/// NOTIF-3: those the model writes after it (`channels` and `bu` after `auth_verify`) come
/// after. `expected` are the connection's expected pushes in the model's order, the first
/// `expected_before` of them before the reply; `received` arrived in order, the first
/// `received_before` before the reply. A push that came on the wrong side of the reply is a
/// FAIL even though a later read collected it. Pushes missing altogether are reported by
/// [`pushes`].
pub fn reply_order(
    conn: &str,
    expected: &[&Push],
    expected_before: usize,
    received: &[Frame],
    received_before: usize,
) -> Vec<Finding> {
    let keys = |pushes: &[&Push]| -> Vec<String> {
        pushes
            .iter()
            .map(|p| push_key(&p.method, &p.params))
            .collect()
    };
    let frames = |frames: &[Frame]| -> Vec<String> {
        frames
            .iter()
            .map(|f| push_key(&f.method, &f.params))
            .collect()
    };
    let split = expected_before.min(expected.len());
    let cut = received_before.min(received.len());
    let (want_before, want_after) = (keys(&expected[..split]), keys(&expected[split..]));
    let (got_before, got_after) = (frames(&received[..cut]), frames(&received[cut..]));
    let mut out = Vec::new();
    for key in multiset_minus(&want_before, &got_before) {
        if got_after.contains(&key) {
            out.push(with(
                finding(
                    Class::Fail,
                    "notification order",
                    format!(
                        "{conn}: a notification came after the reply it must precede (NOTIF-9)"
                    ),
                ),
                format!("{key} before the reply"),
                format!("{key} after the reply"),
            ));
        }
    }
    for key in multiset_minus(&want_after, &got_after) {
        if got_before.contains(&key) {
            out.push(with(
                finding(
                    Class::Fail,
                    "notification order",
                    format!("{conn}: a notification came before the reply it must follow (NOTIF-3, NOTIF-9)"),
                ),
                format!("{key} after the reply"),
                format!("{key} before the reply"),
            ));
        }
    }
    out
}

/// The members of `a` left after taking out one of each member of `b` (multisets).
fn multiset_minus(a: &[String], b: &[String]) -> Vec<String> {
    let mut rest = b.to_vec();
    a.iter()
        .filter(|k| match rest.iter().position(|r| r == *k) {
            Some(i) => {
                rest.remove(i);
                false
            }
            None => true,
        })
        .cloned()
        .collect()
}

fn grouped(key: &str, group: u32) -> String {
    match group {
        0 => key.to_string(),
        g => format!("{key}~{g}"),
    }
}

/// Does `arrived` follow `want` (both the same multiset), where a run of equal non-zero groups
/// in `want` is one block whose members may arrive in any order?
fn in_order(want: &[&(String, u32)], arrived: &[&str]) -> bool {
    let mut rest = arrived;
    let mut i = 0;
    while i < want.len() {
        let group = want[i].1;
        let mut end = i + 1;
        while group != 0 && end < want.len() && want[end].1 == group {
            end += 1;
        }
        let mut block: Vec<&str> = want[i..end].iter().map(|(k, _)| k.as_str()).collect();
        let Some((head, tail)) = rest.split_at_checked(block.len()) else {
            return false;
        };
        let mut came = head.to_vec();
        block.sort_unstable();
        came.sort_unstable();
        if block != came {
            return false;
        }
        rest = tail;
        i = end;
    }
    rest.is_empty()
}

/// Rows as the vectors print them (amounts rendered), for a finding.
fn rows_text(rows: &Rows) -> String {
    let rendered: BTreeMap<&str, BTreeMap<&str, String>> = rows
        .iter()
        .map(|(name, assets)| {
            let assets = assets
                .iter()
                .map(|(a, v)| (a.as_str(), render(v)))
                .collect();
            (name.as_str(), assets)
        })
        .collect();
    serde_json::to_string(&rendered).unwrap_or_default()
}

/// Compares the books read back from the broker with the model's.
pub fn books(expected: &Books, received: &Books) -> Vec<Finding> {
    let mut out = Vec::new();
    if expected.unified != received.unified {
        out.push(with(
            finding(
                Class::Fail,
                "balance",
                "unified balances differ from the model's",
            ),
            rows_text(&expected.unified),
            rows_text(&received.unified),
        ));
    }
    for e in &expected.sessions {
        let Some(r) = received
            .sessions
            .iter()
            .find(|r| r.app_session_id == e.app_session_id)
        else {
            out.push(with(
                finding(Class::Fail, "session", "a session is missing"),
                e.app_session_id.clone(),
                "(not listed by get_app_sessions)",
            ));
            continue;
        };
        if (r.version, &r.status) != (e.version, &e.status) {
            out.push(with(
                finding(Class::Fail, "session", "version or status differs"),
                format!("v{} {}", e.version, e.status),
                format!("v{} {}", r.version, r.status),
            ));
        }
        if r.balances != e.balances {
            out.push(with(
                finding(
                    Class::Fail,
                    "balance",
                    "session balances differ from the model's",
                ),
                rows_text(&e.balances),
                rows_text(&r.balances),
            ));
        }
    }
    for r in &received.sessions {
        if !expected
            .sessions
            .iter()
            .any(|e| e.app_session_id == r.app_session_id)
        {
            out.push(with(
                finding(
                    Class::Fail,
                    "session",
                    "the broker holds a session the model does not",
                ),
                "",
                r.app_session_id.clone(),
            ));
        }
    }
    out
}

/// The books of both sides from one step to the next, for the invariants over a step.
pub struct Trail {
    /// Cumulative funding per asset (setup balances).
    pub funded: BTreeMap<String, Dec>,
    /// The model's books after the previous step.
    pub model: Books,
    /// The books read from the broker after the previous step.
    pub live: Books,
}

impl Trail {
    /// The invariants over the broker's step (conservation, rejected steps change nothing,
    /// versions, closed sessions; AS-INV-1..4) that the model's own step keeps: a broker
    /// that breaks one the model breaks too (a Clearnode quirk) is judged by the books alone.
    pub fn step(
        &mut self,
        model: &Books,
        model_accepted: bool,
        live: Books,
        live_accepted: bool,
    ) -> Vec<Finding> {
        let broken_by_model: Vec<&str> = check_step(
            &self.model.snapshot(&self.funded),
            &model.snapshot(&self.funded),
            model_accepted,
        )
        .iter()
        .map(|v| v.rule())
        .collect();
        let findings = check_step(
            &self.live.snapshot(&self.funded),
            &live.snapshot(&self.funded),
            live_accepted,
        )
        .into_iter()
        .filter(|v| !broken_by_model.contains(&v.rule()))
        .map(|v| finding(Class::Fail, "invariant", v.to_string()))
        .collect();
        self.model = model.clone();
        self.live = live;
        findings
    }
}

/// Every frame the broker sent carries its signature: `sig[0]` recovers to its address
/// (RSIG-1, RSIG-4).
pub fn signatures(broker: &str, received: &[(String, Frame)]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (conn, frame) in received {
        let signer = frame.signers().into_iter().next();
        if matches!(&signer, Some(Ok(a)) if a == broker) {
            continue;
        }
        out.push(with(
            finding(
                Class::Fail,
                "broker signature",
                format!(
                    "{conn}: sig[0] of a `{}` frame does not recover to the broker address (RSIG-4)",
                    frame.method
                ),
            ),
            broker,
            match signer {
                Some(Ok(a)) => a,
                Some(Err(e)) => e.to_string(),
                None => "(no signature)".into(),
            },
        ));
    }
    out
}

/// The class of a list of findings: the worst one, PASS when there are none.
pub fn worst(findings: &[Finding]) -> Class {
    findings
        .iter()
        .map(|f| f.class)
        .max()
        .unwrap_or(Class::Pass)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn push(method: &str, amount: &str, group: u32) -> Push {
        Push {
            conn: "A".into(),
            method: method.into(),
            params: json!({"balance_updates": [{"asset": "usdc", "amount": amount}]}),
            group,
        }
    }

    fn frame(p: &Push) -> Frame {
        crate::wire::parse_frame(&format!(
            "{{\"res\":[0,\"{}\",{},1],\"sig\":[]}}",
            p.method, p.params
        ))
        .unwrap()
    }

    fn classes(expected: &[Push], arrived: &[&Push]) -> Vec<(Class, String)> {
        let want: Vec<&Push> = expected.iter().collect();
        let got: Vec<Frame> = arrived.iter().map(|p| frame(p)).collect();
        pushes("A", &want, &got, &Entitled::default())
            .into_iter()
            .map(|f| (f.class, f.what))
            .collect()
    }

    #[test]
    fn order_is_checked_on_a_connection_and_a_group_is_free() {
        let (a, b, c) = (push("bu", "1", 0), push("bu", "2", 0), push("bu", "3", 0));
        let fixed = [a.clone(), b.clone(), c.clone()];
        assert!(classes(&fixed, &[&a, &b, &c]).is_empty());
        assert_eq!(
            classes(&fixed, &[&b, &a, &c]),
            vec![(Class::Fail, "notification order".to_string())]
        );
        // Q-10: a run of one non-zero group arrives in any order, but not across its bounds.
        let (a1, b1) = (push("bu", "1", 1), push("bu", "2", 1));
        let grouped = [a1.clone(), b1.clone(), c.clone()];
        assert!(classes(&grouped, &[&b1, &a1, &c]).is_empty());
        assert_eq!(
            classes(&grouped, &[&a1, &c, &b1]),
            vec![(Class::Fail, "notification order".to_string())]
        );
    }

    // API-10: a history row's recorded reply is compared as a result, without its clock.
    #[test]
    fn api_10_a_recorded_reply_is_compared_without_the_brokers_clock() {
        let row = |id: u64, amount: &str, ts: u64| {
            let res = json!([3, "transfer", {"transactions": [{"id": id, "amount": amount}]}, ts]);
            Reply::Ok {
                method: "get_rpc_history".into(),
                result: json!({"rpc_entries": [{"response": res.to_string()}]}),
            }
        };
        let got = |reply: Reply| {
            let Reply::Ok { method, result } = reply else {
                unreachable!()
            };
            crate::wire::parse_frame(&format!(
                "{{\"res\":[4,\"{method}\",{result},1],\"sig\":[]}}"
            ))
            .unwrap()
        };
        assert!(reply(&row(1, "5", 100), Some(&got(row(9, "5", 101)))).is_empty());
        let differs = reply(&row(1, "5", 100), Some(&got(row(1, "6", 100))));
        assert_eq!(differs.len(), 1, "{differs:?}");
        assert!(differs[0].message.contains("response[2]"), "{differs:?}");
    }

    #[test]
    fn a_missing_push_is_reported_once_not_as_disorder() {
        let (a, b, c) = (push("bu", "1", 0), push("bu", "2", 0), push("bu", "3", 0));
        assert_eq!(
            classes(&[a.clone(), b, c.clone()], &[&a, &c]),
            vec![(Class::Fail, "notification".to_string())]
        );
    }

    fn notification(method: &str, params: serde_json::Value) -> Frame {
        crate::wire::parse_frame(&format!(r#"{{"res":[0,"{method}",{params},1],"sig":[]}}"#))
            .unwrap()
    }

    const A: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    const B: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const C: &str = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

    fn entitled_a(usdc: &str) -> Entitled {
        Entitled {
            wallets: vec![A.to_string()],
            balances: vec![[("usdc".to_string(), crate::model::amount::dec(usdc))].into()],
            others: vec![[("usdc".to_string(), crate::model::amount::dec("7"))].into()],
            sessions: [("0x5e55".to_string(), vec![A.to_string(), B.to_string()])].into(),
        }
    }

    // NOTIF-6: an asu is for the session's participants only.
    #[test]
    fn notif_6_an_asu_of_a_session_without_the_wallet_is_a_leak() {
        let asu = |participants: serde_json::Value| {
            notification(
                "asu",
                json!({"app_session": {"app_session_id": "0x5e55", "participants": participants},
                    "participant_allocations": []}),
            )
        };
        let a = entitled_a("5");
        assert_eq!(leak(&asu(json!([A, B])), &a), None);
        // Casing never makes a leak (Q-17 is judged elsewhere).
        assert_eq!(leak(&asu(json!([A.to_lowercase(), B])), &a), None);
        assert!(leak(&asu(json!([B, C])), &a)
            .unwrap()
            .contains("do not include"));
        // No participants in the payload: the model's session decides.
        let bare = notification("asu", json!({"app_session": {"app_session_id": "0x5e55"}}));
        assert_eq!(leak(&bare, &a), None);
        let unknown = notification("asu", json!({"app_session": {"app_session_id": "0x0"}}));
        assert!(leak(&unknown, &a).is_some());
        // An unauthenticated connection is entitled to no asu at all.
        assert!(leak(&asu(json!([A, B])), &Entitled::default()).is_some());
    }

    // NOTIF-5: a tr is for the transfer's sender and recipient.
    #[test]
    fn notif_5_a_tr_not_involving_the_wallet_is_a_leak() {
        let tr = |from: &str, to: &str| {
            notification(
                "tr",
                json!({"transactions": [{"from_account": from, "to_account": to}]}),
            )
        };
        let a = entitled_a("5");
        assert_eq!(leak(&tr(A, B), &a), None);
        assert_eq!(leak(&tr(B, A), &a), None);
        assert!(leak(&tr(B, C), &a).is_some());
    }

    // AS-NOTIF-2: a bu lists the recipient's own balances, so its rows tell whose it is.
    #[test]
    fn as_notif_2_a_bu_with_another_wallets_balances_is_a_leak() {
        let bu = |rows: serde_json::Value| notification("bu", json!({"balance_updates": rows}));
        let a = entitled_a("5");
        assert_eq!(
            leak(&bu(json!([{"asset": "usdc", "amount": "5"}])), &a),
            None
        );
        // Zero rows are left out on both sides; "5.0" is 5.
        let zero = json!([{"asset": "usdc", "amount": "5.0"}, {"asset": "eth", "amount": "0"}]);
        assert_eq!(leak(&bu(zero), &a), None);
        // Another wallet's balances (7), and none of A's: a leak.
        assert!(leak(&bu(json!([{"asset": "usdc", "amount": "7"}])), &a).is_some());
        // Nobody's balances (an intermediate state): not a leak, judged as content.
        assert_eq!(
            leak(&bu(json!([{"asset": "usdc", "amount": "9"}])), &a),
            None
        );
        assert_eq!(
            leak(&bu(json!([{"asset": "usdc", "amount": "x"}])), &a),
            None
        );
        // A bu that lists nothing discloses nothing.
        assert_eq!(leak(&bu(json!([])), &Entitled::default()), None);
        // Other methods are not attributed.
        assert_eq!(
            leak(&notification("channels", json!({})), &Entitled::default()),
            None
        );
    }

    #[test]
    fn a_leak_is_a_fail_and_an_own_extra_notification_is_informational() {
        let a = entitled_a("5");
        let own = notification(
            "bu",
            json!({"balance_updates": [{"asset": "usdc", "amount": "5"}]}),
        );
        let other = notification(
            "bu",
            json!({"balance_updates": [{"asset": "usdc", "amount": "7"}]}),
        );
        let got = pushes("A", &[], &[own], &a);
        assert_eq!(
            (got[0].class, got[0].what.as_str()),
            (Class::Informational, "notification")
        );
        let got = pushes("A", &[], &[other], &a);
        assert_eq!(
            (got[0].class, got[0].what.as_str()),
            (Class::Fail, "notification leak")
        );
    }

    // NOTIF-9: the pushes a request causes on its connection come before its reply; NOTIF-3:
    // `channels` and `bu` after `auth_verify` come after it.
    #[test]
    fn notif_9_a_push_on_the_wrong_side_of_the_reply_fails() {
        let (a, b) = (push("bu", "1", 0), push("bu", "2", 0));
        let expected = [&a, &b];
        let frames = [frame(&a), frame(&b)];
        // Both expected before the reply.
        assert!(reply_order("A", &expected, 2, &frames, 2).is_empty());
        let late = reply_order("A", &expected, 2, &frames, 1);
        assert_eq!(late.len(), 1);
        assert!(late[0].message.contains("must precede (NOTIF-9)"));
        // Both expected after it (auth_verify): one came early.
        assert!(reply_order("A", &expected, 0, &frames, 0).is_empty());
        let early = reply_order("A", &expected, 0, &frames, 1);
        assert!(early[0].message.contains("must follow (NOTIF-3, NOTIF-9)"));
        // Missing pushes are reported by `pushes`, not here.
        assert!(reply_order("A", &expected, 2, &frames[..1], 1).is_empty());
    }

    #[test]
    fn error_texts_are_judged_by_the_models_error_set() {
        let errors = crate::model::ErrorSet {
            prefixes: vec!["failed to".into()],
            ..crate::model::ErrorSet::one("exact")
        };
        let reply = |text: &str| {
            crate::wire::parse_frame(&format!(
                "{{\"res\":[1,\"error\",{{\"error\":\"{text}\"}},1],\"sig\":[]}}"
            ))
            .unwrap()
        };
        let expected = Reply::Err(errors);
        assert!(super::reply(&expected, Some(&reply("exact"))).is_empty());
        assert!(super::reply(&expected, Some(&reply("failed to x"))).is_empty());
        assert_eq!(
            super::reply(&expected, Some(&reply("other")))[0].class,
            Class::NonStrict
        );
    }
}

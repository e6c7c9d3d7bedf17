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
/// AS-NOTIF-4 fix the rest).
pub fn pushes(conn: &str, expected: &[&Push], received: &[Frame]) -> Vec<Finding> {
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
    for g in &got {
        match (0..want.len()).find(|&i| !matched[i] && want[i].0 == *g) {
            Some(i) => {
                matched[i] = true;
                arrived.push(g.as_str());
            }
            None => extra.push(g),
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
    for e in extra {
        let wrong_content = expected
            .iter()
            .any(|n| e.starts_with(&format!("{}[", n.method)));
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
        out.push(with(finding(class, "notification", message), "", e.clone()));
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
        pushes("A", &want, &got)
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
        // a run of one non-zero group arrives in any order, but not across its bounds.
        let (a1, b1) = (push("bu", "1", 1), push("bu", "2", 1));
        let grouped = [a1.clone(), b1.clone(), c.clone()];
        assert!(classes(&grouped, &[&b1, &a1, &c]).is_empty());
        assert_eq!(
            classes(&grouped, &[&a1, &c, &b1]),
            vec![(Class::Fail, "notification order".to_string())]
        );
    }

    #[test]
    fn a_missing_push_is_reported_once_not_as_disorder() {
        let (a, b, c) = (push("bu", "1", 0), push("bu", "2", 0), push("bu", "3", 0));
        assert_eq!(
            classes(&[a.clone(), b, c.clone()], &[&a, &c]),
            vec![(Class::Fail, "notification".to_string())]
        );
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

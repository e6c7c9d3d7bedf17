//! Comparing what a broker sent with what the model expects, into findings of a class
//! (PASS, INFORMATIONAL, NON-STRICT, FAIL). A divergence is data, never an `Err`.

use crate::report::{Class, Finding};
use crate::vectors::format::{Notification, Response, State};
use crate::wire::Frame;
use serde_json::Value;

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

/// Compares a reply with the expected response.
pub fn response(expected: &Response, reply: &Frame) -> Vec<Finding> {
    let mut out = Vec::new();
    match expected {
        Response::Unmodelled { reason } => out.push(finding(
            Class::Skip,
            "response",
            format!("the model does not decide this request ({reason})"),
        )),
        Response::None => out.push(with(
            finding(Class::Fail, "response", "no reply was expected (TRANS-4)"),
            "(no frame)",
            format!("{} {}", reply.method, reply.params),
        )),
        Response::Error {
            one_of,
            prefixes,
            any_text,
            ..
        } => match reply.error_message() {
            None => out.push(with(
                finding(
                    Class::Fail,
                    "accept/reject",
                    "the request should have been rejected, and was accepted",
                ),
                format!(
                    "error: {}",
                    one_of.first().map(String::as_str).unwrap_or("")
                ),
                format!("{}: {}", reply.method, reply.params),
            )),
            Some(text) => {
                let exact = *any_text
                    || one_of.iter().any(|t| t == text)
                    || prefixes.iter().any(|p| text.starts_with(p.as_str()));
                if !exact {
                    out.push(with(
                        finding(
                            Class::NonStrict,
                            "error text",
                            "rejected as expected, with another text",
                        ),
                        one_of.join(" | "),
                        text,
                    ));
                }
            }
        },
        Response::Ok { method, result } => {
            if let Some(text) = reply.error_message() {
                out.push(with(
                    finding(
                        Class::Fail,
                        "accept/reject",
                        "the request should have been accepted, and was rejected",
                    ),
                    format!("{method}: {result}"),
                    format!("error: {text}"),
                ));
                return out;
            }
            if &reply.method != method {
                out.push(with(
                    finding(
                        Class::Fail,
                        "response method",
                        "the reply names another method",
                    ),
                    method.clone(),
                    reply.method.clone(),
                ));
            }
            compare_values("result", result, &reply.params, &mut out);
        }
    }
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
fn notification_key(method: &str, params: &Value) -> String {
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

/// Compares the notifications one connection received during a step with the expected ones.
/// Order is checked as a sequence of methods; contents as sets per method.
pub fn notifications(conn: &str, expected: &[&Notification], received: &[Frame]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut want: Vec<String> = expected
        .iter()
        .map(|n| notification_key(&n.method, &n.params))
        .collect();
    let got: Vec<String> = received
        .iter()
        .map(|f| notification_key(&f.method, &f.params))
        .collect();
    let mut extra = Vec::new();
    for g in &got {
        match want.iter().position(|w| w == g) {
            Some(i) => {
                want.remove(i);
            }
            None => extra.push(g.clone()),
        }
    }
    for missing in &want {
        out.push(with(
            finding(
                Class::Fail,
                "notification",
                format!("{conn}: a notification is missing"),
            ),
            missing.clone(),
            got.join(" "),
        ));
    }
    for e in extra {
        let wrong_content = expected
            .iter()
            .any(|n| e.starts_with(&format!("{}[", n.method)));
        let class = if wrong_content {
            Class::Fail
        } else {
            Class::Informational
        };
        let message = if wrong_content {
            format!("{conn}: a notification carries other content than expected")
        } else {
            format!("{conn}: an extra notification")
        };
        out.push(with(finding(class, "notification", message), "", e));
    }
    out
}

/// Compares balances and sessions read back from the broker with the model's.
pub fn state(expected: &State, received: &State) -> Vec<Finding> {
    let mut out = Vec::new();
    if expected.unified != received.unified {
        out.push(with(
            finding(
                Class::Fail,
                "balance",
                "unified balances differ from the model's",
            ),
            serde_json::to_string(&expected.unified).unwrap_or_default(),
            serde_json::to_string(&received.unified).unwrap_or_default(),
        ));
    }
    for e in &expected.sessions {
        match received
            .sessions
            .iter()
            .find(|r| r.app_session_id == e.app_session_id)
        {
            None => out.push(with(
                finding(Class::Fail, "session", "a session is missing"),
                e.app_session_id.clone(),
                "(not listed by get_app_sessions)",
            )),
            Some(r) => {
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
                        serde_json::to_string(&e.balances).unwrap_or_default(),
                        serde_json::to_string(&r.balances).unwrap_or_default(),
                    ));
                }
            }
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

/// The class of a list of findings: the worst one, PASS when there are none.
pub fn worst(findings: &[Finding]) -> Class {
    findings
        .iter()
        .map(|f| f.class)
        .max()
        .unwrap_or(Class::Pass)
}

//! The one interpreter of filler rows: a [`Row`] becomes a [`Case`] whose script plays the
//! row's setup and steps on a [`Recorder`], checking each answer the row gives against the
//! model under the clearnode profile.

use super::common::{
    check, literal, req_text, signers, splice, want_spec_reject, Want as Check, A_AND_B,
};
use super::filler::{Alloc, AuthRow, Row, Send, SetupOp, Sig, Step, Want};
use crate::vectors::build::{close, create, definition, row, session_id, submit_v02, submit_v04};
use crate::vectors::coverage::V02;
use crate::vectors::format::{AllowanceSpec, Auth, AuthVerify, SigSpec};
use crate::vectors::recorder::Recorder;
use crate::vectors::Case;
use serde_json::{json, Map, Value};
use std::rc::Rc;

/// The case a row describes.
pub fn case(row: Row) -> Case {
    let row = Rc::new(row);
    let script_row = Rc::clone(&row);
    let mut case = Case::new(row.id.clone(), row.what.clone());
    case.rules = row.rules.clone();
    case.quirks = row.quirks.clone();
    case.flags = row.flags.clone();
    case.protocol = row.protocol.map(str::to_string);
    case.script(move |r| play(r, &script_row))
}

fn play(r: &mut Recorder, row: &Row) {
    for op in &row.setup {
        set_up(r, row, op);
    }
    for step in &row.steps {
        send(r, row, step);
        if let Some(want) = &step.want {
            check(r, &expected(r, row, want));
        }
        if step.spec_rejects {
            want_spec_reject(r);
        }
    }
}

fn set_up(r: &mut Recorder, row: &Row, op: &SetupOp) {
    match op {
        SetupOp::Pair => {
            super::common::pair(r);
        }
        SetupOp::Open([x, y]) => {
            super::common::pair(r);
            session(r, row, x, y);
        }
        SetupOp::Session([x, y]) => session(r, row, x, y),
        SetupOp::Wallet(name) => {
            r.wallet(name);
        }
        SetupOp::Key(name) => {
            r.session_key(name);
        }
        SetupOp::Participant(name) => {
            r.participant(name);
        }
        SetupOp::Fund(alloc) => r.fund(&alloc.who, &alloc.asset, &alloc.amount),
        SetupOp::Connect(name) => r.connect(name, None),
        SetupOp::ConnectAs(auth) => {
            let conn = auth.conn.clone().unwrap_or_else(|| auth.wallet.clone());
            let auth = auth_of(r, auth);
            r.connect(&conn, Some(auth));
        }
        SetupOp::Channel(hook) => r.channel(&hook.wallet, hook.status, &hook.amount),
    }
}

/// The case's session, A paying `x` and B `y`, signed by both.
fn session(r: &mut Recorder, row: &Row, x: &str, y: &str) {
    let rows = vec![row_of(r, "A", "usdc", x), row_of(r, "B", "usdc", y)];
    let params = create(definition_of(r, row, &Map::new()), rows, None);
    r.request("A", "create_app_session", params, A_AND_B);
    check(r, &Check::Ok);
}

/// The session definition: application "app", the row's protocol, participants [A, B],
/// weights [50, 50], quorum 100, nonce 1, with the row's and then the step's changes.
fn definition_of(r: &Recorder, row: &Row, step: &Map<String, Value>) -> Value {
    let protocol = row.protocol.expect("a session case has a protocol");
    let (a, b) = (r.addr("A"), r.addr("B"));
    let mut def = definition("app", protocol, &[&a, &b], &[50, 50], 100, 1);
    for (key, value) in row.def.iter().chain(step) {
        def[key] = resolve_json(r, row, value);
    }
    def
}

fn sid(r: &Recorder, row: &Row) -> String {
    session_id(&definition_of(r, row, &Map::new()))
}

fn send(r: &mut Recorder, row: &Row, step: &Step) {
    let conn = step.conn.as_str();
    let (method, mut params) = match &step.send {
        Send::Raw(text) => return r.raw(conn, text),
        Send::Resend(index) => return r.resend(conn, *index),
        Send::Advance(ms) => return r.advance(*ms),
        Send::Authenticate(auth) => {
            let auth = auth_of(r, auth);
            r.authenticate(conn, auth);
            return;
        }
        Send::AuthVerify(v) => {
            r.auth_verify(conn, verify_of(v));
            return;
        }
        other => request_of(r, row, other),
    };
    for (key, value) in &step.set {
        params[key] = resolve_json(r, row, value);
    }
    match step.frame {
        Some(id) => {
            let text = match &step.send {
                Send::Amount { amount, literal } if *literal => {
                    splice(&params, amount.as_str().expect("a literal is text"))
                }
                _ => serde_json::to_string(&params).expect("json"),
            };
            let req = req_text(r, id, &method, &text, step.ts);
            let sigs = step.sig.iter().map(sig_spec).collect();
            r.raw_request(conn, &req, step.ts, sigs);
        }
        None => {
            let names: Vec<&str> = step.sig.iter().map(signer_name).collect();
            r.request_at(conn, &method, params, &names, step.ts);
        }
    }
}

/// The method and params of a request step.
fn request_of(r: &Recorder, row: &Row, send: &Send) -> (String, Value) {
    let rows = |allocs: &[Alloc]| -> Vec<Value> {
        allocs
            .iter()
            .map(|a| row_of(r, &a.who, &a.asset, &a.amount))
            .collect()
    };
    match send {
        Send::Create { rows: allocs, def } => {
            let params = create(definition_of(r, row, def), rows(allocs), None);
            ("create_app_session".into(), params)
        }
        Send::Amount { amount, literal } => {
            let amount = if *literal {
                json!("@N@")
            } else {
                amount.clone()
            };
            let a = r.addr("A");
            let cell = json!({"participant": a, "asset": "usdc", "amount": amount});
            let def = definition_of(r, row, &Map::new());
            ("create_app_session".into(), create(def, vec![cell], None))
        }
        Send::Operate {
            rows: allocs,
            version,
        } => {
            let params = match row.protocol {
                Some(V02) => submit_v02(&sid(r, row), rows(allocs)),
                _ => submit_v04(&sid(r, row), "operate", *version, rows(allocs)),
            };
            ("submit_app_state".into(), params)
        }
        Send::Submit {
            intent,
            version,
            rows: allocs,
        } => {
            let params = submit_v04(&sid(r, row), intent, *version, rows(allocs));
            ("submit_app_state".into(), params)
        }
        Send::Close(allocs) => (
            "close_app_session".into(),
            close(&sid(r, row), rows(allocs)),
        ),
        Send::Transfer { to, pays } => {
            let pays: Vec<Value> = pays
                .iter()
                .map(|p| json!({"asset": p.asset, "amount": p.amount}))
                .collect();
            let to = resolve(r, row, to);
            (
                "transfer".into(),
                json!({"destination": to, "allocations": pays}),
            )
        }
        Send::Call { method, params } => (method.clone(), resolve_json(r, row, params)),
        other => unreachable!("not a request: {other:?}"),
    }
}

fn row_of(r: &Recorder, who: &str, asset: &str, amount: &str) -> Value {
    row(&address(r, who), asset, amount)
}

fn signer_name(sig: &Sig) -> &str {
    match sig {
        Sig::Signer(name) => name,
        other => panic!("{other:?} needs a `frame` step"),
    }
}

fn sig_spec(sig: &Sig) -> SigSpec {
    match sig {
        Sig::Signer(name) => signers(&[name]).remove(0),
        Sig::SignerV(name, v) => SigSpec::SignerV {
            name: name.clone(),
            v: *v,
        },
        Sig::SignerV01(name) => SigSpec::SignerV01 { name: name.clone() },
        Sig::Literal(hex) => literal(hex),
    }
}

/// The [`Auth`] of a handshake row; declares its wallet and key.
fn auth_of(r: &mut Recorder, auth: &AuthRow) -> Auth {
    r.wallet(&auth.wallet);
    r.session_key(&auth.key);
    Auth {
        wallet: auth.wallet.clone(),
        session_key: auth.key.clone(),
        application: auth.application.clone(),
        scope: auth.scope.clone(),
        expires_in_s: auth.expires_in_s,
        allowances: auth
            .caps
            .iter()
            .map(|c| AllowanceSpec {
                asset: c.asset.clone(),
                amount: c.amount.clone(),
            })
            .collect(),
    }
}

fn verify_of(v: &super::filler::VerifyRow) -> AuthVerify {
    AuthVerify {
        signer: Some(v.signer.clone()),
        policy_conn: v.policy_conn.clone(),
        challenge: v.challenge.clone(),
        sign: v.sign.clone(),
    }
}

fn expected(r: &Recorder, row: &Row, want: &Want) -> Check {
    match want {
        Want::Ok => Check::Ok,
        Want::OkWith(members) => {
            let members = members
                .iter()
                .map(|(k, v)| (k.clone(), resolve_json(r, row, v)));
            Check::OkWith(members.collect())
        }
        Want::Err(text) => Check::OneOf(vec![resolve(r, row, text)]),
        Want::OneOf(texts) => Check::OneOf(texts.iter().map(|t| resolve(r, row, t)).collect()),
        Want::Prefix(text) => Check::Prefix(resolve(r, row, text)),
        Want::NoReply => Check::NoReply,
    }
}

/// `text` with every `{NAME}` or `{NAME:MOD}` replaced: NAME is an identity (its address),
/// `sid` (the case's session id) or `p` (the protocol); MOD is `lower`, `upper` (hex digits
/// upper-cased after `0x`) or `bare` (no `0x`). Other braces are left alone.
pub fn resolve(r: &Recorder, row: &Row, text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let tail = &rest[open + 1..];
        let inner = tail.find('}').map(|close| &tail[..close]);
        match inner.filter(|i| is_placeholder(i)) {
            Some(inner) => {
                out.push_str(&placeholder(r, row, inner));
                rest = &tail[inner.len() + 1..];
            }
            None => {
                out.push('{');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_placeholder(inner: &str) -> bool {
    !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == ':')
}

fn placeholder(r: &Recorder, row: &Row, inner: &str) -> String {
    let (name, modifier) = inner.split_once(':').unwrap_or((inner, ""));
    let value = match name {
        "sid" => sid(r, row),
        "p" => row.protocol.expect("{p} needs a protocol").to_string(),
        name => r.addr(name),
    };
    modify(&value, modifier)
}

fn modify(value: &str, modifier: &str) -> String {
    match modifier {
        "" => value.to_string(),
        "lower" => value.to_lowercase(),
        "upper" => format!("0x{}", value[2..].to_uppercase()),
        "bare" => value[2..].to_string(),
        other => panic!("unknown placeholder modifier {other:?}"),
    }
}

/// An identity's address in a row: `NAME` or `NAME:MOD`.
fn address(r: &Recorder, who: &str) -> String {
    let (name, modifier) = who.split_once(':').unwrap_or((who, ""));
    modify(&r.addr(name), modifier)
}

/// A JSON value with [`resolve`] applied to every string in it.
fn resolve_json(r: &Recorder, row: &Row, value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(resolve(r, row, s)),
        Value::Array(items) => items.iter().map(|v| resolve_json(r, row, v)).collect(),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve_json(r, row, v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

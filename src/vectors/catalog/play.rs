//! The one interpreter of filler rows: a [`Row`] becomes a [`Case`] whose script plays the
//! row's setup and steps on a [`Recorder`], and checks every answer the row gives (the
//! digests' strings) against the model under the clearnode profile.

use super::common::{check, literal, pair, req_text, splice, want_spec_reject, Want, A_AND_B};
use super::filler::{Alloc, AuthRow, Pay, Row, Send, SetupOp, Sig, Step, VerifyRow};
use crate::vectors::build::{close, create, definition, row, session_id, submit_v02, submit_v04};
use crate::vectors::coverage::V02;
use crate::vectors::format::{AllowanceSpec, Auth, AuthVerify, SigSpec};
use crate::vectors::recorder::{Recorder, START_MS};
use crate::vectors::Case;
use serde_json::{json, Map, Value};

/// The case a row describes.
pub fn case(row: Row) -> Case {
    let mut case = Case::new(row.id.clone(), row.what.clone());
    case.rules = row.rules.clone();
    case.quirks = row.quirks.clone();
    case.flags = row.flags.clone();
    case.protocol = row.protocol.map(str::to_string);
    case.script(move |r| play(r, &row))
}

fn play(r: &mut Recorder, row: &Row) {
    for op in &row.setup {
        set_up(r, row, op);
    }
    for step in &row.steps {
        send(r, row, step);
        if let Some(want) = &step.want {
            check(r, &resolve_want(r, row, want));
        }
        if step.spec_rejects {
            want_spec_reject(r);
        }
    }
}

fn set_up(r: &mut Recorder, row: &Row, op: &SetupOp) {
    match op {
        SetupOp::Pair => {
            pair(r);
        }
        SetupOp::Open([x, y]) => {
            pair(r);
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
        SetupOp::Channel(hook) => r.channel(&hook.row.who, hook.status, &hook.row.amount),
    }
}

/// The case's session, A paying `x` and B `y`, signed by both; it must succeed.
fn session(r: &mut Recorder, row: &Row, x: &str, y: &str) {
    let rows = vec![row_of(r, "A", "usdc", x), row_of(r, "B", "usdc", y)];
    let params = create(definition_of(r, row, &Map::new()), rows, None);
    r.request("A", "create_app_session", params, A_AND_B);
    check(r, &Want::Ok);
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

/// The id of the case's session (its definition with the row's changes).
fn sid(r: &Recorder, row: &Row) -> String {
    session_id(&definition_of(r, row, &Map::new()))
}

fn send(r: &mut Recorder, row: &Row, step: &Step) {
    let conn = step.conn.as_str();
    match &step.send {
        Send::Raw(text) => r.raw(conn, text),
        Send::Resend(index) => r.resend(conn, *index),
        Send::Advance(ms) => r.advance(*ms),
        Send::Authenticate(auth) => {
            let auth = auth_of(r, auth);
            r.authenticate(conn, auth);
        }
        Send::AuthVerify(v) => {
            r.auth_verify(conn, verify_of(v));
        }
        request => {
            if let Send::AuthRequest(auth) = request {
                r.wallet(auth.wallet.split(':').next().unwrap_or_default());
                r.session_key(&auth.key);
            }
            send_request(r, row, step);
        }
    }
}

/// A request step: built, changed by `set`, then signed as a request or a hand-built frame.
fn send_request(r: &mut Recorder, row: &Row, step: &Step) {
    let (method, mut params) = request_of(r, row, &step.send);
    for (key, value) in &step.set {
        params[key] = resolve_json(r, row, value);
    }
    let conn = step.conn.as_str();
    let Some(id) = step.frame else {
        let names: Vec<&str> = step.sig.iter().map(signer_name).collect();
        r.request_at(conn, method, params, &names, step.ts);
        return;
    };
    let text = match &step.send {
        Send::Literal(amount) => splice(&params, amount),
        _ => serde_json::to_string(&params).expect("json"),
    };
    let req = req_text(r, id, method, &text, step.ts);
    let sigs = step.sig.iter().map(sig_spec).collect();
    r.raw_request(conn, &req, step.ts, sigs);
}

/// The method and params of a request step.
fn request_of<'a>(r: &Recorder, row: &Row, send: &'a Send) -> (&'a str, Value) {
    let rows = |allocs: &[Alloc]| -> Vec<Value> {
        let row = |a: &Alloc| row_of(r, &a.who, &a.asset, &a.amount);
        allocs.iter().map(row).collect()
    };
    let sid = || sid(r, row);
    match send {
        Send::Create { rows: allocs, def } => {
            let def = definition_of(r, row, def);
            ("create_app_session", create(def, rows(allocs), None))
        }
        Send::Amount(amount) => ("create_app_session", create_one(r, row, amount.clone())),
        Send::Literal(_) => ("create_app_session", create_one(r, row, json!("@N@"))),
        Send::Operate {
            rows: allocs,
            version,
        } => match row.protocol {
            Some(V02) => ("submit_app_state", submit_v02(&sid(), rows(allocs))),
            _ => {
                let params = submit_v04(&sid(), "operate", *version, rows(allocs));
                ("submit_app_state", params)
            }
        },
        Send::Submit {
            intent,
            version,
            rows: allocs,
        } => {
            let params = submit_v04(&sid(), intent, *version, rows(allocs));
            ("submit_app_state", params)
        }
        Send::Close(allocs) => ("close_app_session", close(&sid(), rows(allocs))),
        Send::Transfer { to, pays } => {
            let to = resolve(r, row, to);
            (
                "transfer",
                json!({"destination": to, "allocations": allowances(pays)}),
            )
        }
        Send::AuthRequest(auth) => ("auth_request", auth_request(r, auth)),
        Send::Call { method, params } => (method, resolve_json(r, row, params)),
        other => unreachable!("not a request: {other:?}"),
    }
}

/// A create of the case's definition whose only row is A's, in usdc, with this `amount`.
fn create_one(r: &Recorder, row: &Row, amount: Value) -> Value {
    let cell = json!({"participant": r.addr("A"), "asset": "usdc", "amount": amount});
    create(definition_of(r, row, &Map::new()), vec![cell], None)
}

/// `auth_request` params as the SDK sends them; the expiry counts from the first step.
fn auth_request(r: &Recorder, auth: &AuthRow) -> Value {
    json!({
        "address": address(r, &auth.wallet),
        "session_key": r.addr(&auth.key),
        "application": auth.application,
        "allowances": allowances(&auth.caps),
        "expires_at": START_MS / 1000 + auth.expires_in_s,
        "scope": auth.scope,
    })
}

/// Rows `{"asset", "amount"}` (transfers, allowances).
fn allowances(caps: &[Pay]) -> Value {
    caps.iter()
        .map(|c| json!({"asset": c.asset, "amount": c.amount}))
        .collect()
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
        Sig::Signer(name) => super::common::signer(name),
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
    let caps = auth.caps.iter().map(|c| AllowanceSpec {
        asset: c.asset.clone(),
        amount: c.amount.clone(),
    });
    Auth {
        wallet: auth.wallet.clone(),
        session_key: auth.key.clone(),
        application: auth.application.clone(),
        scope: auth.scope.clone(),
        expires_in_s: auth.expires_in_s,
        allowances: caps.collect(),
    }
}

fn verify_of(v: &VerifyRow) -> AuthVerify {
    AuthVerify {
        signer: Some(v.signer.clone()),
        policy_conn: v.policy_conn.clone(),
        challenge: v.challenge.clone(),
        sign: v.sign.clone(),
    }
}

fn resolve_want(r: &Recorder, row: &Row, want: &Want) -> Want {
    match want {
        Want::OkWith(members) => {
            let members = members
                .iter()
                .map(|(k, v)| (k.clone(), resolve_json(r, row, v)));
            Want::OkWith(members.collect())
        }
        Want::OneOf(texts) => Want::OneOf(texts.iter().map(|t| resolve(r, row, t)).collect()),
        Want::Prefix(text) => Want::Prefix(resolve(r, row, text)),
        other => other.clone(),
    }
}

/// `text` with every `{NAME}` or `{NAME:MOD}` replaced: NAME is an identity (its address),
/// `sid` (the case's session id) or `p` (the protocol); MOD is `lower`, `upper` (hex digits
/// upper-cased after `0x`) or `bare` (no `0x`). Other braces are left alone.
fn resolve(r: &Recorder, row: &Row, text: &str) -> String {
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

//! Shared pieces of the catalogue: the usual two-party setup, protocol variants, hand-built
//! (raw) frames for inputs the request builder cannot express, and in-script checks of the
//! model's answer against the digests' exact strings (the catalogue is a second reading of the
//! spec, not a copy of the model).

use crate::model::Profile;
use crate::vectors::build::{create, definition, row, session_id, submit_v02, submit_v04};
use crate::vectors::coverage::{V02, V04};
use crate::vectors::format::{ExpectOrSame, Response, SigSpec};
use crate::vectors::recorder::{identity_key, Recorder};
use crate::vectors::Case;
use serde_json::{Map, Value};

/// Both protocol versions, in a stable order.
pub const PROTOCOLS: [&str; 2] = [V02, V04];

/// The short tag of a protocol for case ids: `v02` or `v04`.
pub fn tag(protocol: &str) -> &'static str {
    if protocol == V02 {
        "v02"
    } else {
        "v04"
    }
}

/// One case per protocol, ids suffixed `-v02` / `-v04`.
pub fn per_protocol(make: impl Fn(&'static str) -> Case) -> Vec<Case> {
    PROTOCOLS.iter().map(|p| make(p)).collect()
}

/// `<area>/<name>-<v02|v04>`.
pub fn vid(area: &str, name: &str, protocol: &str) -> String {
    format!("{area}/{name}-{}", tag(protocol))
}

/// A and B, each with an authenticated connection (root session key) and 1000 usdc.
pub fn pair(r: &mut Recorder) -> (String, String) {
    let a = r.participant("A");
    let b = r.participant("B");
    r.fund("A", "usdc", "1000");
    r.fund("B", "usdc", "1000");
    (a, b)
}

/// An open two-party session and what scripts need to address it.
pub struct Open {
    pub a: String,
    pub b: String,
    pub sid: String,
    pub def: Value,
}

impl Open {
    /// Rows `[A x, B y]` in usdc.
    pub fn rows(&self, x: &str, y: &str) -> Vec<Value> {
        vec![row(&self.a, "usdc", x), row(&self.b, "usdc", y)]
    }
}

/// [`pair`], then a session (application `app`, weights 50/50, quorum 100, nonce 1) created
/// with A `x` and B `y` usdc, signed by A and B. The create must succeed.
pub fn open(r: &mut Recorder, protocol: &str, x: &str, y: &str) -> Open {
    let (a, b) = pair(r);
    open_with(r, protocol, a, b, &[50, 50], 100, x, y)
}

/// A session between existing participants A and B with the given weights and quorum.
#[allow(clippy::too_many_arguments)]
pub fn open_with(
    r: &mut Recorder,
    protocol: &str,
    a: String,
    b: String,
    weights: &[i64],
    quorum: u64,
    x: &str,
    y: &str,
) -> Open {
    let def = definition("app", protocol, &[&a, &b], weights, quorum, 1);
    let sid = session_id(&def);
    let s = Open { a, b, sid, def };
    let params = create(s.def.clone(), s.rows(x, y), None);
    r.request("A", "create_app_session", params, &["A", "B"]);
    want_ok(r);
    s
}

/// An operate submit (0.4: intent `operate` with `version`; 0.2: neither).
pub fn operate(protocol: &str, sid: &str, version: u64, rows: Vec<Value>) -> Value {
    if protocol == V02 {
        submit_v02(sid, rows)
    } else {
        submit_v04(sid, "operate", version, rows)
    }
}

// ----- checks ---------------------------------------------------------------------------------

/// Both participants of the usual session sign.
pub const A_AND_B: &[&str] = &["A", "B"];

/// What the digests say the last step answers; checked under the clearnode profile only (the
/// spec profile is checked by [`want_spec_reject`]).
#[derive(Debug, Clone)]
pub enum Want {
    Ok,
    /// Success with these members in the result.
    OkWith(Map<String, Value>),
    /// An error whose text is one of these (Q-10: Clearnode picks one); the model's
    /// alternatives must be exactly these.
    OneOf(Vec<String>),
    /// An error whose text starts with this.
    Prefix(String),
    /// No reply at all (an empty frame).
    NoReply,
}

/// The last step's expected response under the recorder's profile.
fn last_response(r: &Recorder) -> Response {
    let step = r.last_step().expect("a step was recorded");
    match step.expect.get(r.profile.name()) {
        Some(ExpectOrSame::Expect(e)) => e.response.clone(),
        other => panic!("no expectation for {}: {other:?}", r.profile),
    }
}

/// Under the clearnode profile, the model's answer to the last step must be `want`.
pub fn check(r: &Recorder, want: &Want) {
    if r.profile != Profile::Clearnode052 {
        return;
    }
    let got = last_response(r);
    let fits = match (want, &got) {
        (Want::Ok, Response::Ok { .. }) | (Want::NoReply, Response::None) => true,
        (Want::OkWith(members), Response::Ok { result, .. }) => {
            members.iter().all(|(k, v)| result.get(k) == Some(v))
        }
        (Want::OneOf(texts), Response::Error { one_of, .. }) => {
            let mut got: Vec<&String> = one_of.iter().collect();
            let mut want: Vec<&String> = texts.iter().collect();
            got.sort_unstable();
            want.sort_unstable();
            got == want
        }
        (
            Want::Prefix(prefix),
            Response::Error {
                one_of, prefixes, ..
            },
        ) => one_of
            .iter()
            .chain(prefixes)
            .any(|t| t.starts_with(prefix.as_str())),
        _ => false,
    };
    assert!(fits, "the digests say {want:?}, the model says {got:?}");
}

/// The last step must have succeeded (clearnode profile).
pub fn want_ok(r: &Recorder) {
    check(r, &Want::Ok);
}

/// The last step must fail with exactly `text`, the digest's string (clearnode profile).
pub fn want_err(r: &Recorder, text: &str) {
    check(r, &Want::OneOf(vec![text.to_string()]));
}

/// Under the spec profile, the last step must be rejected (a SPEC-* rejection or any error).
pub fn want_spec_reject(r: &Recorder) {
    if r.profile != Profile::Spec {
        return;
    }
    assert!(
        matches!(last_response(r), Response::Error { .. }),
        "the spec profile accepts it"
    );
}

// ----- raw frames -----------------------------------------------------------------------------

/// The recorder's clock: the broker time of the next step.
pub fn now_ms(r: &Recorder) -> u64 {
    r.now_ms()
}

/// A `req` array text `[id,"method",<params_text>,ts]` with `ts` = the clock of the next step
/// plus `ts_offset_ms`, so a private method passes the timestamp window.
pub fn req_text(
    r: &Recorder,
    id: u64,
    method: &str,
    params_text: &str,
    ts_offset_ms: i64,
) -> String {
    let ts = (now_ms(r) as i64 + ts_offset_ms) as u64;
    format!("[{id},\"{method}\",{params_text},{ts}]")
}

/// Signatures of `signers` (identity names) over exactly `req`, as hex strings.
pub fn sign(req: &str, signers: &[&str]) -> Vec<String> {
    let keys: Vec<_> = signers.iter().map(|s| identity_key(s)).collect();
    crate::wire::sign_req(req, &keys)
}

/// `params` as compact JSON with the string `"@N@"` replaced by the literal JSON text `n`
/// (numbers the builder cannot write as such: `1e3`, `123456789012345678901`, `1e400`).
pub fn splice(params: &Value, literal: &str) -> String {
    let text = serde_json::to_string(params).expect("serializable");
    assert!(text.contains("\"@N@\""), "no @N@ placeholder in {text}");
    text.replace("\"@N@\"", literal)
}

/// Template signatures of `signers` (identity names) over the req, in order.
pub fn signers(signers: &[&str]) -> Vec<SigSpec> {
    signers
        .iter()
        .map(|s| SigSpec::Signer {
            name: s.to_string(),
        })
        .collect()
}

/// `name`'s signature over the req.
pub fn signer(name: &str) -> SigSpec {
    SigSpec::Signer {
        name: name.to_string(),
    }
}

/// Sends `method(params)` on A's connection as a hand-built frame with request id `id`, its
/// `sig` entries made by `sigs` from the exact req text; returns that text.
pub fn frame(
    r: &mut Recorder,
    id: u64,
    method: &str,
    params: &Value,
    sigs: impl FnOnce(&str) -> Vec<SigSpec>,
) -> String {
    let text = serde_json::to_string(params).expect("json");
    let req = req_text(r, id, method, &text, 0);
    let sigs = sigs(&req);
    r.raw_request("A", &req, 0, sigs);
    req
}

/// A template signature entry fixed to `hex` (a malformed signature).
pub fn literal(hex: &str) -> SigSpec {
    SigSpec::Literal {
        hex: hex.to_string(),
    }
}

/// `name`'s signature over `bytes` instead of the req.
pub fn over_other(name: &str, bytes: &str) -> SigSpec {
    SigSpec::OverOther {
        name: name.to_string(),
        bytes: bytes.to_string(),
    }
}

/// A raw, correctly signed private request whose params text is given verbatim.
pub fn signed_raw(r: &mut Recorder, conn: &str, method: &str, params_text: &str, names: &[&str]) {
    let req = req_text(r, 900 + r.steps.len() as u64, method, params_text, 0);
    r.raw_request(conn, &req, 0, signers(names));
}

/// The index of the last step (to resend its frame with [`Recorder::resend`]).
pub fn last_step_index(r: &Recorder) -> usize {
    r.steps.len().checked_sub(1).expect("a step was recorded")
}

/// The `result` of the last successful step.
pub fn last_result(r: &Recorder) -> Value {
    match last_response(r) {
        Response::Ok { result, .. } => result,
        other => panic!("step {} did not succeed: {other:?}", r.steps.len()),
    }
}

/// A 66-character id no session has.
pub fn unknown_session_id() -> String {
    format!("0x{}", "ab".repeat(32))
}

// TRANSITION shims
pub fn want_one_of(r: &Recorder, texts: &[&str]) {
    check(
        r,
        &Want::OneOf(texts.iter().map(|t| t.to_string()).collect()),
    );
}
pub fn want_err_prefix(r: &Recorder, prefix: &str) {
    check(r, &Want::Prefix(prefix.to_string()));
}
pub fn want_no_reply(r: &Recorder) {
    check(r, &Want::NoReply);
}

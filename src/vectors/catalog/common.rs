//! Shared pieces of the catalogue: the usual two-party setup, protocol variants, hand-built
//! frames for inputs the request builder cannot express, and in-script checks of the model's
//! answer against the digests' exact strings (the catalogue is a second reading of the spec,
//! not a copy of the model).

use crate::model::Profile;
use crate::vectors::build::{create, definition, row, session_id, submit_v02, submit_v04};
use crate::vectors::coverage::{V02, V04};
use crate::vectors::format::{Response, SigSpec};
use crate::vectors::recorder::Recorder;
use crate::vectors::Case;
use serde_json::{Map, Value};

/// One case per protocol.
pub fn per_protocol(make: impl Fn(&'static str) -> Case) -> Vec<Case> {
    [V02, V04].into_iter().map(make).collect()
}

/// `<area>/<name>-<v02|v04>`.
pub fn vid(area: &str, name: &str, protocol: &str) -> String {
    let tag = if protocol == V02 { "v02" } else { "v04" };
    format!("{area}/{name}-{tag}")
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
    let def = definition("app", protocol, &[&a, &b], &[50, 50], 100, 1);
    let s = Open {
        sid: session_id(&def),
        a,
        b,
    };
    r.request(
        "A",
        "create_app_session",
        create(def, s.rows(x, y), None),
        A_AND_B,
    );
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
    match r.last_expected() {
        Some(e) => e.response.clone(),
        None => panic!("no step with an expectation for {} was recorded", r.profile),
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

/// The `result` of the last successful step.
pub fn last_result(r: &Recorder) -> Value {
    match last_response(r) {
        Response::Ok { result, .. } => result,
        other => panic!("the last step did not succeed: {other:?}"),
    }
}

// ----- hand-built frames ----------------------------------------------------------------------

/// A `req` array text `[id,"method",<params_text>,ts]` with `ts` = the clock of the next step
/// plus `ts_offset_ms`, so a private method passes the timestamp window.
pub fn req_text(
    r: &Recorder,
    id: u64,
    method: &str,
    params_text: &str,
    ts_offset_ms: i64,
) -> String {
    let ts = (r.now_ms() as i64 + ts_offset_ms) as u64;
    format!("[{id},\"{method}\",{params_text},{ts}]")
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

/// `params` as compact JSON with the string `"@N@"` replaced by the literal JSON text `n`
/// (numbers the builder cannot write as such: `1e3`, `123456789012345678901`, `1e400`).
pub fn splice(params: &Value, literal: &str) -> String {
    let text = serde_json::to_string(params).expect("serializable");
    assert!(text.contains("\"@N@\""), "no @N@ placeholder in {text}");
    text.replace("\"@N@\"", literal)
}

/// `name`'s signature over the req.
pub fn signer(name: &str) -> SigSpec {
    SigSpec::Signer {
        name: name.to_string(),
    }
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

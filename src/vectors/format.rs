//! The golden-vector file format, `nitrocert-vector/1`: language-neutral JSON that a third party
//! replays without our code. One file per case; `vectors/schema.json` is its JSON Schema and
//! `vectors/README.md` explains it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub const FORMAT: &str = "nitrocert-vector/1";

/// One case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vector {
    pub format: String,
    /// `<area>/<case>`, also the file path under `vectors/` without `.json`.
    pub id: String,
    pub description: String,
    /// Spec rule ids this case checks (AS-*, WIRE-*, SIG-*, AUTH-*, SK-*, …).
    pub rules: Vec<String>,
    /// Clearnode quirks it exercises (Q-*), if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quirks: Vec<String>,
    /// Labels such as `invalid-input`, `conservation`, `needs-channel-hook`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// `NitroRPC/0.2` or `NitroRPC/0.4` for app-session cases; absent for envelope/auth cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    pub provenance: Provenance,
    pub setup: Setup,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// `nitrocert <version>`.
    pub generator: String,
    /// The model profiles the expectations were filled from.
    pub profiles: Vec<String>,
    /// keccak256 of the case's inputs (setup and steps without expectations), canonical JSON.
    pub source_hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setup {
    /// The broker clock at the first step (Unix ms); each step's `at_ms` is relative to it.
    pub now_ms: u64,
    /// Public test keys. Never fund them on a real network.
    pub identities: Vec<Identity>,
    /// Unified balances credited before the first step.
    pub balances: Vec<Balance>,
    /// Connections opened (and authenticated, when `wallet` is set) before the first step.
    pub connections: Vec<Connection>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub name: String,
    /// `wallet` or `session_key`.
    pub role: String,
    pub private_key: String,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    /// An identity name.
    pub wallet: String,
    pub asset: String,
    pub amount: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub name: String,
    /// The wallet (identity name) it authenticates as; absent: never authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
}

/// An `auth_request` / `auth_verify` handshake (AUTH-4 … AUTH-8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Auth {
    pub wallet: String,
    /// Identity name of the session key registered by this handshake.
    pub session_key: String,
    pub application: String,
    pub scope: String,
    /// Seconds after `setup.now_ms`.
    pub expires_in_s: u64,
    pub allowances: Vec<AllowanceSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AllowanceSpec {
    pub asset: String,
    pub amount: String,
}

/// One thing the harness does, and what each profile expects of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Broker clock of this step, ms after `setup.now_ms`.
    pub at_ms: u64,
    /// The connection it is sent on.
    pub conn: String,
    pub action: Action,
    /// Profile name → expectation. `"same-as": "<profile>"` avoids repeating one.
    pub expect: BTreeMap<String, ExpectOrSame>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A request signed by `signers` (identity names, in `sig` order). `wire` is the exact frame
    /// sent at fill time. Live replays rebuild it with fresh identities and timestamp: replace
    /// every identity address and session id, set `req[3]` to now + `ts_offset_ms`, and re-sign
    /// the new array bytes with the same signers.
    Request {
        method: String,
        signers: Vec<String>,
        wire: String,
        /// `req[3]` minus the broker clock (negative: stale requests, WIRE-12).
        #[serde(default, skip_serializing_if = "is_zero")]
        ts_offset_ms: i64,
    },
    /// A frame sent byte for byte as filled. Without a `template` it is never rebuilt (envelope
    /// cases); with one, live replays rebuild it from the template (see [`RawTemplate`]).
    Raw {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        template: Option<RawTemplate>,
    },
    /// A signature handshake on this connection.
    Authenticate(Auth),
    /// `auth_verify` built at replay time from the last `auth_request` sent on `policy_conn`
    /// (default: this connection) and the challenge the broker issued for it, so that a live
    /// broker's random challenges can be answered (AUTH-5 … AUTH-7).
    AuthVerify(AuthVerify),
    /// Harness hook: give `wallet` a channel in `status` holding `amount` (AS-CHAN-1/2).
    Channel {
        wallet: String,
        status: String,
        amount: String,
    },
}

/// How a hand-built signed frame is rebuilt at another clock and with other identities. `text`
/// is `{"req":<req>,"sig":[…]}` with `req` as given but its last element (the `ts`) set to the
/// broker clock + `ts_offset_ms`, and `sig` built from `sig` in order. With `resend_step`, the
/// frame is instead exactly the one sent at that step (index into `steps`) of the same case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawTemplate {
    /// The `req` array text exactly as sent (live replays rename identities and session ids in
    /// it like in requests); its last element, the `ts`, is a plain integer.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub req: String,
    /// `req[3]` minus the broker clock (negative: stale, positive: in the future).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ts_offset_ms: i64,
    /// How each `sig` entry is made, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sig: Vec<SigSpec>,
    /// Resend the frame sent at this step, byte for byte (replay cache, 0.2 rollback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resend_step: Option<usize>,
}

/// One `sig` entry of a [`RawTemplate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SigSpec {
    /// The identity's signature over the `req` bytes.
    Signer { name: String },
    /// The same with its last byte (v) replaced by `v`, e.g. 29.
    SignerV { name: String, v: u8 },
    /// The same with v − 27 (v = 0/1 instead of 27/28).
    SignerV01 { name: String },
    /// The identity's signature over `bytes` (renamed like `req`) instead of the `req`.
    OverOther { name: String, bytes: String },
    /// A fixed hex string (malformed signatures: `0x00`, 64 bytes, 65 zero bytes).
    Literal { hex: String },
}

/// How an `auth_verify` step is built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthVerify {
    /// The identity that signs; absent: `sig: []`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// The connection whose last `auth_request` and challenge are used (default: the step's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_conn: Option<String>,
    /// `issued` (the challenge as issued), `issued-braces-upper` (`{…}` in upper case, AUTH-5),
    /// `absent` (no `challenge` member), or any other text, sent as is.
    pub challenge: String,
    /// `policy` (the EIP-712 Policy, AUTH-6) or `req` (keccak256 of the req bytes: wrong on
    /// purpose).
    pub sign: String,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ExpectOrSame {
    Same {
        #[serde(rename = "same-as")]
        same_as: String,
    },
    Expect(Box<Expect>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expect {
    pub response: Response,
    /// Every notification pushed to the case's connections during the step, per connection in
    /// order; a run of equal non-zero `group`s may arrive in any order.
    pub notifications: Vec<Notification>,
    /// Balances and sessions after the step.
    pub state: State,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// `res = [id, method, result, ts]`.
    Ok { method: String, result: Value },
    /// `res = [id, "error", {"error": text}, ts]` with `text` in `one_of` (or starting with one
    /// of `prefixes`); `any_text`: only the rejection is required (SPEC-* rules).
    Error {
        one_of: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        prefixes: Vec<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        any_text: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<String>,
    },
    /// No frame comes back (an empty frame, TRANS-4; a harness hook).
    None,
    /// The model does not decide this request (never in a vector file; live replays only).
    Unmodelled { reason: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub conn: String,
    pub method: String,
    pub params: Value,
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub group: u32,
}

fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

/// Observable balances: wallet name → asset → amount (zero rows left out), and sessions.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct State {
    pub unified: BTreeMap<String, BTreeMap<String, String>>,
    pub sessions: Vec<SessionState>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    pub app_session_id: String,
    pub status: String,
    pub version: u64,
    /// Wallet name (or the participant string when it names no identity) → asset → amount.
    pub balances: BTreeMap<String, BTreeMap<String, String>>,
}

impl Vector {
    /// The area: the part of the id before `/`.
    pub fn area(&self) -> &str {
        self.id.split('/').next().unwrap_or("")
    }

    /// The expectation of `profile` at `step`, following `same-as`.
    pub fn expectation<'a>(&'a self, step: &'a Step, profile: &str) -> Option<&'a Expect> {
        match step.expect.get(profile)? {
            ExpectOrSame::Expect(e) => Some(e),
            ExpectOrSame::Same { same_as } if same_as != profile => self.expectation(step, same_as),
            ExpectOrSame::Same { .. } => None,
        }
    }
}

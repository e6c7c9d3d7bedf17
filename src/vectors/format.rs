//! The golden-vector file format, `nitrocert-vector/1`: language-neutral JSON that a third party
//! replays without our code. One file per case; `vectors/schema.json` is its JSON Schema and
//! `vectors/README.md` explains it.

use crate::model::{ChannelStatus, Dec};
use crate::scenario::{self, edge, Challenge, Expectation, Outgoing, Reply, SignKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Every notification pushed to the case's connections during a step.
pub use crate::scenario::Push as Notification;
pub use crate::scenario::{
    AllowanceSpec, Auth, Balance, Connection, Identity, RawTemplate, Role, Setup, SigSpec,
    VerifySpec,
};
/// Observable balances (amounts as decimal strings on disk) and sessions.
pub use crate::scenario::{Books as State, SessionBook as SessionState};

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
        #[serde(default, skip_serializing_if = "edge::is_zero")]
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
    AuthVerify(VerifySpec),
    /// Harness hook: give `wallet` a channel in `status` holding `amount` (AS-CHAN-1/2).
    Channel {
        wallet: String,
        #[serde(with = "edge::channel_status")]
        status: ChannelStatus,
        #[serde(with = "edge::decimal")]
        amount: Dec,
    },
}

impl Action {
    /// How the file records a planned action: with the bytes the shadow planned for it
    /// (`now_ms`: the broker clock it was planned at, which a template's `req` carries).
    pub fn recorded(action: &scenario::Action, outgoing: &Outgoing, now_ms: u64) -> Action {
        let sent = || match outgoing {
            Outgoing::Frame { text, .. } => text.clone(),
            other => unreachable!("a request or a raw frame plans a frame, not {other:?}"),
        };
        match action {
            scenario::Action::Request {
                method,
                signers,
                ts_offset_ms,
                ..
            } => Action::Request {
                method: method.clone(),
                signers: signers.clone(),
                wire: sent(),
                ts_offset_ms: *ts_offset_ms,
            },
            scenario::Action::Raw { text, .. } => Action::Raw {
                text: text.clone(),
                template: None,
            },
            scenario::Action::Template { template, .. } => Action::Raw {
                text: sent(),
                template: Some(template.stamped(now_ms)),
            },
            scenario::Action::Authenticate { auth, .. } => Action::Authenticate(auth.clone()),
            scenario::Action::AuthVerify { spec, .. } => Action::AuthVerify(spec.clone()),
            scenario::Action::Channel {
                wallet,
                status,
                amount,
            } => Action::Channel {
                wallet: wallet.clone(),
                status: *status,
                amount: amount.clone(),
            },
        }
    }
}

/// An `auth_verify` step as catalogue scripts spell it (kinds as text). The file and the
/// shadow use the typed [`VerifySpec`] it converts into.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthVerify {
    pub signer: Option<String>,
    pub policy_conn: Option<String>,
    /// `issued`, `issued-braces-upper`, `absent`, or a literal challenge.
    pub challenge: String,
    /// `policy` or `req`.
    pub sign: String,
}

impl From<AuthVerify> for VerifySpec {
    fn from(spec: AuthVerify) -> Self {
        let sign = match spec.sign.as_str() {
            "policy" => SignKind::Policy,
            "req" => SignKind::Req,
            other => panic!("an auth_verify signs `policy` or `req`, not {other:?}"),
        };
        VerifySpec {
            signer: spec.signer,
            policy_conn: spec.policy_conn,
            challenge: Challenge::from(spec.challenge),
            sign,
        }
    }
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

impl From<&Reply> for Response {
    fn from(reply: &Reply) -> Self {
        match reply {
            Reply::Ok { method, result } => Response::Ok {
                method: method.clone(),
                result: result.clone(),
            },
            Reply::Err(e) => Response::Error {
                one_of: e.texts.clone(),
                prefixes: e.prefixes.clone(),
                any_text: e.any_text,
                rule: e.rule.map(str::to_string),
            },
            Reply::None => Response::None,
            Reply::Unmodelled(reason) => Response::Unmodelled {
                reason: reason.clone(),
            },
        }
    }
}

impl From<&Expectation> for Expect {
    fn from(e: &Expectation) -> Self {
        Expect {
            response: Response::from(&e.reply),
            notifications: e.pushes.clone(),
            state: e.books.clone(),
        }
    }
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

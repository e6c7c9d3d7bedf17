//! What a case does, typed: its [`Setup`] (identities, balances, connections) and its
//! [`Action`]s. The vector file stores the same types (serde only at the edge, so roles,
//! statuses and kinds are enums in memory and strings on disk).

use super::edge;
use crate::model::{ChannelStatus, Dec};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What an identity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Wallet,
    /// A key a wallet registers (AUTH-4, SK-1).
    SessionKey,
}

/// What exists before the first step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setup {
    /// The broker clock at the first step (Unix ms); each step's `at_ms` is relative to it.
    pub now_ms: u64,
    /// Public test keys. Never fund them on a real network.
    pub identities: Vec<Identity>,
    /// Unified balances credited before the first step.
    pub balances: Vec<Balance>,
    /// Connections opened (and authenticated, when `auth` is set) before the first step.
    pub connections: Vec<Connection>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub name: String,
    pub role: Role,
    pub private_key: String,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    /// An identity name.
    pub wallet: String,
    pub asset: String,
    #[serde(with = "edge::decimal")]
    pub amount: Dec,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub name: String,
    /// The handshake it authenticates with; absent: never authenticated.
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
    /// Seconds after the broker clock of the handshake.
    pub expires_in_s: u64,
    pub allowances: Vec<AllowanceSpec>,
}

/// One allowance of an [`Auth`]: wire text, signed into the Policy as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AllowanceSpec {
    pub asset: String,
    pub amount: String,
}

/// A hand-built signed frame: `{"req":<req>,"sig":[…]}` with `req` exactly as given and `sig`
/// built from `sig` in order. With `resend_step`, the frame is instead exactly the one sent at
/// that step of the same case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawTemplate {
    /// The `req` array text exactly as sent. Its last element is the `ts`, a plain integer.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub req: String,
    /// The `ts` of `req` minus the broker clock it was made at (negative: stale, positive: in
    /// the future): how a vector writes it as a placeholder (`${now_ms-61000}`).
    #[serde(default, skip_serializing_if = "edge::is_zero")]
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
    /// The identity's signature over the `req` bytes, then edited (the fidelity campaign's
    /// signature mutations, SIG-3).
    Edited { name: String, edit: SigEdit },
}

/// How an [`SigSpec::Edited`] signature is changed after signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SigEdit {
    /// `s → n − s` with the recovery bit flipped: the same signer, a high s.
    Malleated,
    /// The hex without its `0x` prefix.
    NoPrefix,
    /// `0X` and upper-case digits.
    UpperHex,
    /// The last byte (v) dropped: 64 bytes.
    Truncated,
    /// A zero byte appended: 66 bytes.
    Extended,
}

/// Which challenge an `auth_verify` step sends (AUTH-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Challenge {
    /// The challenge as issued.
    Issued,
    /// The issued UUID in upper case inside braces (`{…}`), which Go's UUID parser accepts.
    IssuedBracesUpper,
    /// No `challenge` member at all.
    Absent,
    /// Any other text, sent as is.
    Literal(String),
}

impl From<String> for Challenge {
    fn from(text: String) -> Self {
        match text.as_str() {
            "issued" => Challenge::Issued,
            "issued-braces-upper" => Challenge::IssuedBracesUpper,
            "absent" => Challenge::Absent,
            _ => Challenge::Literal(text),
        }
    }
}

impl From<Challenge> for String {
    fn from(c: Challenge) -> Self {
        match c {
            Challenge::Issued => "issued".into(),
            Challenge::IssuedBracesUpper => "issued-braces-upper".into(),
            Challenge::Absent => "absent".into(),
            Challenge::Literal(text) => text,
        }
    }
}

/// What the signer of an `auth_verify` step signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignKind {
    /// The EIP-712 Policy of the answered `auth_request` (AUTH-6).
    Policy,
    /// keccak256 of the `req` bytes, as for any other request: wrong on purpose.
    Req,
}

/// How an `auth_verify` step is built: from the last `auth_request` answered on
/// `policy_conn` (default: the step's connection) and the challenge the broker issued for it,
/// so that a live broker's random challenges can be answered (AUTH-5 … AUTH-7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifySpec {
    /// The identity that signs; absent: `sig: []`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// The connection whose last `auth_request` and challenge are used (default: the step's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_conn: Option<String>,
    pub challenge: Challenge,
    pub sign: SignKind,
}

/// One thing a case does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `method(params)` on `conn` with the connection's next request id, `req[3]` = now +
    /// `ts_offset_ms` (negative: stale, WIRE-12), signed by `signers` (identity names) in order.
    Request {
        conn: String,
        method: String,
        params: Value,
        signers: Vec<String>,
        ts_offset_ms: i64,
    },
    /// `text` byte for byte (envelope cases).
    Raw { conn: String, text: String },
    /// A hand-built signed frame (see [`RawTemplate`]).
    Template { conn: String, template: RawTemplate },
    /// A request whose `req` text is given (a vector's, its placeholders filled), signed by
    /// `signers` (identity names) in order.
    Signed {
        conn: String,
        method: String,
        req: String,
        signers: Vec<String>,
    },
    /// A signature handshake on `conn`.
    Authenticate { conn: String, auth: Auth },
    /// An `auth_verify` answering a challenge the broker issued (see [`VerifySpec`]).
    AuthVerify { conn: String, spec: VerifySpec },
    /// Harness hook: give `wallet` a channel in `status` holding `amount` (AS-CHAN-1/2).
    Channel {
        wallet: String,
        status: ChannelStatus,
        amount: Dec,
    },
}

impl Action {
    /// The connection the action uses (a channel hook: its wallet's).
    pub fn conn(&self) -> &str {
        match self {
            Action::Request { conn, .. }
            | Action::Raw { conn, .. }
            | Action::Template { conn, .. }
            | Action::Signed { conn, .. }
            | Action::Authenticate { conn, .. }
            | Action::AuthVerify { conn, .. } => conn,
            Action::Channel { wallet, .. } => wallet,
        }
    }

    /// What reports call the step: the method, or `raw`, `authenticate`, `auth_verify`,
    /// `channel`.
    pub fn name(&self) -> &str {
        match self {
            Action::Request { method, .. } | Action::Signed { method, .. } => method,
            Action::Raw { .. } | Action::Template { .. } => "raw",
            Action::Authenticate { .. } => "authenticate",
            Action::AuthVerify { .. } => "auth_verify",
            Action::Channel { .. } => "channel",
        }
    }
}

/// `now_ms` + `offset_ms`, never below 0.
pub fn offset(now_ms: u64, offset_ms: i64) -> u64 {
    (now_ms as i64).saturating_add(offset_ms).max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_keep_their_file_spelling() {
        for text in ["issued", "issued-braces-upper", "absent", "{not-a-uuid}"] {
            let c = Challenge::from(text.to_string());
            assert_eq!(String::from(c.clone()), text);
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{text}\""));
        }
        assert_eq!(
            Challenge::from("issued".to_string()),
            Challenge::Issued,
            "a kind is not a literal"
        );
        assert_eq!(serde_json::to_string(&SignKind::Req).unwrap(), "\"req\"");
        assert_eq!(
            serde_json::to_string(&Role::SessionKey).unwrap(),
            "\"session_key\""
        );
    }
}

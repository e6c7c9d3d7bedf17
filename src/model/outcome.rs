//! What goes into one model step (a decoded request plus the inputs the broker supplies) and what
//! comes out (the expected response and the notifications, with the freedom Clearnode has, Q-10).

use crate::crypto::eip712::{Allowance, Policy};
use serde_json::Value;

/// One WebSocket connection; authentication is per connection (AUTH-2).
pub type ConnId = u64;

/// A request as the broker sees it once the frame is decoded.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    pub conn: ConnId,
    pub method: &'a str,
    /// `req[2]` as serde_json decoded it (float_roundtrip); Go's typed decode is applied here.
    pub params: &'a Value,
    /// `req[3]`.
    pub ts: u64,
    /// Per `sig` entry, in order: the EIP-55 address recovered over the raw req bytes, or
    /// `None` when that entry does not recover (AS-GEN-7).
    pub signatures: &'a [Option<String>],
    pub now_ms: u64,
    /// keccak256 of the raw req bytes, for the transfer replay cache (REPLAY-2). `None` means
    /// every call counts as new.
    pub req_digest: Option<[u8; 32]>,
    pub auth: AuthInputs<'a>,
}

impl<'a> Call<'a> {
    pub fn new(
        conn: ConnId,
        method: &'a str,
        params: &'a Value,
        signatures: &'a [Option<String>],
        now_ms: u64,
    ) -> Self {
        Call {
            conn,
            method,
            params,
            ts: now_ms,
            signatures,
            now_ms,
            req_digest: None,
            auth: AuthInputs::default(),
        }
    }
}

/// Recovers the wallet that signed a policy (AUTH-7 step 2).
pub type PolicySigner<'a> = &'a dyn Fn(&Policy) -> Option<String>;
/// Verifies a JWT's signature and returns its claims (AUTH-10).
pub type JwtVerifier<'a> = &'a dyn Fn(&str) -> Option<JwtClaims>;
/// Signs JWT claims (AUTH-11).
pub type JwtSigner<'a> = &'a dyn Fn(&JwtClaims) -> String;

/// Inputs of the auth methods that come from outside the model (randomness and signatures).
#[derive(Clone, Copy, Default)]
pub struct AuthInputs<'a> {
    /// The challenge UUID the broker issues for `auth_request`; `None`: a counter-based UUID.
    pub challenge_uuid: Option<&'a str>,
    /// AUTH-7 step 2: the EIP-55 address recovered from `sig[0]` over the EIP-712 digest of the
    /// stored policy, or `None` when hashing or recovery fails (`invalid signature`). Use
    /// [`crate::model::Model::challenge_policy`] to get the policy first if that suits better.
    pub policy_signer: Option<PolicySigner<'a>>,
    /// AUTH-10: checks a JWT's signature and returns its claims (`None`: `invalid JWT token`).
    /// Expiry, not-before and issuer are checked by the model against `now_ms`.
    pub jwt_verifier: Option<JwtVerifier<'a>>,
    /// Signs the claims of a successful signature auth; `None`: [`JWT_PLACEHOLDER`] is returned.
    pub jwt_signer: Option<JwtSigner<'a>>,
}

/// Stands in for `jwt_token` when no signer was supplied.
pub const JWT_PLACEHOLDER: &str = "<jwt>";

/// The claims Clearnode puts in its JWT (AUTH-11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtClaims {
    pub wallet: String,
    pub session_key: String,
    pub scope: String,
    pub application: String,
    pub allowances: Vec<Allowance>,
    /// The session key's `expires_at`, Unix seconds (rendered RFC 3339 in the token).
    pub expiration_s: u64,
    pub issuer: String,
    pub issued_at_s: u64,
    pub not_before_s: u64,
    pub expires_s: u64,
}

/// A set of acceptable error texts. Clearnode sometimes picks among several by random map
/// order; DB errors are matched by prefix; `any_text` marks a rejection the spec
/// requires without fixing its text (SPEC.md).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorSet {
    pub texts: Vec<String>,
    pub prefixes: Vec<String>,
    pub any_text: bool,
    /// The rule that decided the rejection, when it is a SPEC-* rule.
    pub rule: Option<&'static str>,
}

impl ErrorSet {
    pub fn one(text: impl Into<String>) -> Self {
        ErrorSet {
            texts: vec![text.into()],
            ..Default::default()
        }
    }
    pub fn any_of(texts: Vec<String>) -> Self {
        debug_assert!(!texts.is_empty());
        ErrorSet {
            texts,
            ..Default::default()
        }
    }
    /// Does a broker's error text satisfy this expectation?
    pub fn accepts(&self, text: &str) -> bool {
        self.any_text
            || self.texts.iter().any(|t| t == text)
            || self.prefixes.iter().any(|p| text.starts_with(p.as_str()))
    }
    /// The model's own choice of text (the first alternative).
    pub fn text(&self) -> &str {
        self.texts
            .first()
            .or(self.prefixes.first())
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// The expected response frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// `res = [id, method, result, ts]`; `method` is the response method (`pong`,
    /// `auth_challenge`, or the request method).
    Ok { method: &'static str, result: Value },
    /// `res = [id, "error", {"error": text}, ts]` with a text from the set.
    Err(ErrorSet),
    /// The method is routed but its handler is not modelled (channels, history, config, …), or
    /// the input is outside the model's range; only routing and auth were checked.
    Unmodelled(&'static str),
}

impl Expected {
    pub fn is_ok(&self) -> bool {
        matches!(self, Expected::Ok { .. })
    }
    pub fn result(&self) -> Option<&Value> {
        match self {
            Expected::Ok { result, .. } => Some(result),
            _ => None,
        }
    }
    pub fn error(&self) -> Option<&ErrorSet> {
        match self {
            Expected::Err(e) => Some(e),
            _ => None,
        }
    }
}

/// Who receives a notification: every connection authenticated as exactly that wallet string
/// (NOTIF-1), or one connection (the `channels`/`bu` pair after `auth_verify`, NOTIF-3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Recipient {
    Wallet(String),
    Conn(ConnId),
}

/// One pushed frame `{"res":[0, method, params, ts]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub to: Recipient,
    pub method: &'static str,
    pub params: Value,
    /// 0: fixed position. Consecutive notifications sharing a non-zero group may arrive in any
    /// order among themselves (Clearnode iterates a Go map, Q-10).
    pub group: u32,
}

/// Everything one step produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub response: Expected,
    /// Queued before the response, in order (AS-NOTIF-4, NOTIF-9).
    pub notifications: Vec<Notification>,
    /// Queued after the response: `channels` then `bu` after a successful `auth_verify` (NOTIF-3).
    pub after_response: Vec<Notification>,
    /// The claims of a JWT issued by a successful signature `auth_verify` (AUTH-11).
    pub jwt: Option<JwtClaims>,
}

impl Outcome {
    pub fn is_ok(&self) -> bool {
        self.response.is_ok()
    }
    /// The model's chosen error text, or `""` for a success.
    pub fn error_text(&self) -> &str {
        self.response.error().map(ErrorSet::text).unwrap_or("")
    }
}

//! The shadow: the reference broker (an [`Engine`], the model behind the wire) playing a case
//! beside whoever needs it. [`Shadow::plan`] turns one [`Action`] into the bytes to send and the
//! [`Expectation`] for exactly those bytes. The vector filler records plans, the file replayer
//! compares them with a file, and certify sends them to a live broker: one shadow, no modes.
//! The caller sets the clock ([`Shadow::set_now`]); identities get the keys the caller gives.

use super::action::{
    offset, Action, Auth, Challenge, RawTemplate, Role, SigEdit, SigSpec, SignKind, VerifySpec,
};
use super::books::Books;
use super::expectation::{Expectation, Push, Reply};
use crate::crypto::eip712::{Allowance, Policy};
use crate::crypto::{identity::vector_key, keccak256, to_hex, SecretKey};
use crate::engine::{Engine, Handled};
use crate::model::invariants::Snapshot;
use crate::model::{
    Channel, ChannelStatus, ConnId, Dec, ErrorSet, Expected, Model, Outcome, Profile,
};
use crate::wire::{encode_req, encode_signed, parse_frame, sign_req, FrameKind};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// Why an action cannot be planned: the case names something it never set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("connection {0} is not open")]
    NoConnection(String),
    #[error("identity {0} is not declared")]
    NoIdentity(String),
    #[error("no auth_request was answered with a challenge on {0}")]
    NoChallenge(String),
    #[error("step {0} sent no frame to resend")]
    NothingToResend(usize),
}

/// What to send for one action, and what must come back.
#[derive(Debug, Clone)]
pub struct Planned {
    pub outgoing: Outgoing,
    pub expect: Expectation,
    /// The model's verdict (for an envelope error, the engine's); `None` for a harness hook.
    pub outcome: Option<Outcome>,
}

/// What goes to the broker.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// These exact bytes on `conn`.
    Frame { conn: String, text: String },
    /// A signature handshake on `conn`: `request` (the `auth_request`), then `verify` built with
    /// the challenge the broker issued for it.
    Handshake {
        conn: String,
        request: String,
        verify: VerifyFrame,
    },
    /// An `auth_verify` on `conn` answering the challenge the broker last issued on `source`.
    AuthVerify {
        conn: String,
        source: String,
        verify: VerifyFrame,
    },
    /// Harness hook: the wallet at `wallet` (an address) gets a channel.
    Channel {
        wallet: String,
        status: ChannelStatus,
        amount: Dec,
    },
}

/// An `auth_verify` frame waiting for the challenge it answers: each broker draws its own (a
/// live one at random), so the shadow and a live run build it with their own.
#[derive(Debug, Clone)]
pub struct VerifyFrame {
    /// The params of the `auth_request` it answers (the Policy is built from them).
    pub params: Value,
    pub spec: VerifySpec,
    pub keys: Vec<SecretKey>,
    pub id: u64,
    pub ts: u64,
}

impl VerifyFrame {
    /// The frame answering `issued` (the challenge the broker issued, AUTH-5 … AUTH-7).
    pub fn text(&self, issued: &str) -> String {
        let challenge = match &self.spec.challenge {
            Challenge::Issued => Some(issued.to_string()),
            Challenge::IssuedBracesUpper => Some(format!("{{{}}}", issued.to_ascii_uppercase())),
            Challenge::Absent => None,
            Challenge::Literal(text) => Some(text.clone()),
        };
        let verify_params = match &challenge {
            Some(c) => json!({ "challenge": c }),
            None => json!({}),
        };
        let req = encode_req(self.id, "auth_verify", &verify_params, self.ts);
        let policy = policy_of(&self.params, issued);
        let sig: Vec<String> = self
            .keys
            .iter()
            .map(|k| match self.spec.sign {
                SignKind::Req => k.sign_bytes_hex(req.as_bytes()),
                // A policy that cannot be hashed (an empty application) signs zero bytes: the
                // broker fails at hashing anyway (AUTH-7 step 2).
                SignKind::Policy => policy
                    .sign(k)
                    .unwrap_or_else(|_| to_hex(k.sign_digest(&[0u8; 32]))),
            })
            .collect();
        encode_signed(&req, &sig)
    }
}

/// The EIP-712 Policy of an `auth_request` with `params`, answering `challenge` (AUTH-6).
fn policy_of(params: &Value, challenge: &str) -> Policy {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    Policy {
        application: text(&params["application"]),
        challenge: challenge.to_string(),
        scope: text(&params["scope"]),
        wallet: text(&params["address"]),
        session_key: text(&params["session_key"]),
        expires_at: params["expires_at"].as_u64().unwrap_or_default(),
        allowances: params["allowances"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| Allowance {
                asset: text(&a["asset"]),
                amount: text(&a["amount"]),
            })
            .collect(),
    }
}

/// `sig` (a `0x`-hex signature this shadow made) changed as `edit` says.
fn edited(sig: &str, edit: SigEdit) -> String {
    let digits = &sig[2..];
    match edit {
        SigEdit::Malleated => {
            let bytes: [u8; 65] = hex::decode(digits)
                .ok()
                .and_then(|b| b.try_into().ok())
                .expect("the shadow signs 65 bytes");
            to_hex(crate::crypto::signature::malleate(&bytes).expect("a real signature"))
        }
        SigEdit::NoPrefix => digits.to_string(),
        SigEdit::UpperHex => format!("0X{}", digits.to_ascii_uppercase()),
        SigEdit::Truncated => sig[..sig.len() - 2].to_string(),
        SigEdit::Extended => format!("{sig}00"),
    }
}

/// The challenge an `auth_request` reply issues (`auth_challenge`, AUTH-4), if it is one.
pub fn issued_challenge<'a>(method: &str, result: &'a Value) -> Option<&'a str> {
    (method == "auth_challenge")
        .then(|| result["challenge_message"].as_str())
        .flatten()
}

/// `auth_request` params as the SDK writes them (key order included).
fn auth_request_params(wallet: &str, session_key: &str, auth: &Auth, now_ms: u64) -> Value {
    let allowances: Vec<Value> = auth
        .allowances
        .iter()
        .map(|a| json!({"asset": a.asset, "amount": a.amount}))
        .collect();
    json!({
        "address": wallet,
        "session_key": session_key,
        "application": auth.application,
        "allowances": allowances,
        "expires_at": now_ms / 1000 + auth.expires_in_s,
        "scope": auth.scope,
    })
}

#[derive(Clone)]
struct Conn {
    id: ConnId,
    next_request_id: u64,
}

#[derive(Clone)]
struct Known {
    name: String,
    role: Role,
    key: SecretKey,
    address: String,
}

/// The params of an answered `auth_request` step and the challenge it got.
#[derive(Clone)]
struct Issued {
    params: Value,
    challenge: String,
}

/// The `expires_at` an `auth_request` proposed (AUTH-4), and where it was sent: what a vector's
/// `${expires_at:REF}` placeholder names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    /// The setup connection whose handshake sent it, or the index of the step that did.
    pub reference: String,
    /// Unix seconds.
    pub secs: u64,
    /// The identity name of the proposed session key (the address when it names none).
    pub session_key: String,
}

/// The reference broker beside a case (see the module doc).
#[derive(Clone)]
pub struct Shadow {
    engine: Engine,
    now_ms: u64,
    identities: Vec<Known>,
    /// Lower-case address → identity name.
    names: HashMap<String, String>,
    conns: BTreeMap<String, Conn>,
    conn_names: HashMap<ConnId, String>,
    /// Per connection: the last `auth_request` step answered with a challenge.
    issued: HashMap<String, Issued>,
    /// The frame each step sent (`None`: no fixed frame), for resends.
    sent: Vec<Option<String>>,
    /// Every `auth_request` expiry proposed so far, in order.
    expiries: Vec<Expiry>,
}

impl Shadow {
    /// The reference broker of `profile` (usdc, the vectors' broker key) at `now_ms`.
    pub fn new(profile: Profile, now_ms: u64) -> Self {
        Self {
            engine: Engine::reference(profile, vector_key("broker"), 0).without_frame_signatures(),
            now_ms,
            identities: Vec::new(),
            names: HashMap::new(),
            conns: BTreeMap::new(),
            conn_names: HashMap::new(),
            issued: HashMap::new(),
            sent: Vec::new(),
            expiries: Vec::new(),
        }
    }

    /// Every `auth_request` expiry proposed so far (handshakes and `auth_request` steps).
    pub fn expiries(&self) -> &[Expiry] {
        &self.expiries
    }

    /// Records the expiry proposed by `auth_request` params sent by `reference`.
    fn note_expiry(&mut self, reference: String, params: &Value) {
        let Some(secs) = params["expires_at"].as_u64() else {
            return;
        };
        let key = params["session_key"].as_str().unwrap_or_default();
        let session_key = self
            .names
            .get(&key.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| key.to_string());
        self.expiries.push(Expiry {
            reference,
            secs,
            session_key,
        });
    }

    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// Sets the broker clock of the next action.
    pub fn set_now(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
    }

    /// The model as it stands.
    pub fn model(&self) -> &Model {
        &self.engine.model
    }

    /// The wallet connection `name` is authenticated as, as the model holds it (the wallet
    /// whose notifications it may receive, NOTIF-1).
    pub fn conn_wallet(&self, name: &str) -> Option<&str> {
        let id = self.conns.get(name)?.id;
        self.engine.model.connection_wallet(id)
    }

    /// Declares identity `name` with `key` and returns its EIP-55 address; a name declared
    /// before keeps its first key.
    pub fn declare(&mut self, name: &str, role: Role, key: SecretKey) -> String {
        if let Some(known) = self.identities.iter().find(|i| i.name == name) {
            return known.address.clone();
        }
        let address = key.address();
        self.names
            .insert(address.to_ascii_lowercase(), name.to_string());
        self.identities.push(Known {
            name: name.to_string(),
            role,
            key,
            address: address.clone(),
        });
        address
    }

    fn known(&self, name: &str) -> Result<&Known, PlanError> {
        self.identities
            .iter()
            .find(|i| i.name == name)
            .ok_or_else(|| PlanError::NoIdentity(name.to_string()))
    }

    /// The address of a declared identity.
    pub fn address(&self, name: &str) -> Result<&str, PlanError> {
        self.known(name).map(|k| k.address.as_str())
    }

    /// The key of a declared identity.
    pub fn key(&self, name: &str) -> Result<&SecretKey, PlanError> {
        self.known(name).map(|k| &k.key)
    }

    /// The declared identities of `role`, in declaration order.
    pub fn names_of(&self, role: Role) -> impl Iterator<Item = &str> {
        self.identities
            .iter()
            .filter(move |i| i.role == role)
            .map(|i| i.name.as_str())
    }

    /// Credits a unified balance of a declared identity (a ledger insert).
    pub fn fund(&mut self, wallet: &str, asset: &str, amount: &Dec) -> Result<(), PlanError> {
        let address = self.address(wallet)?.to_string();
        self.engine.model.fund(&address, asset, amount);
        Ok(())
    }

    /// Opens connection `name` (its `assets` greeting is setup, not compared) and plans its
    /// handshake when `auth` is given.
    pub fn connect(
        &mut self,
        name: &str,
        auth: Option<&Auth>,
    ) -> Result<Option<Planned>, PlanError> {
        let (id, _greeting) = self.engine.connect(self.now_ms);
        self.conns.insert(
            name.to_string(),
            Conn {
                id,
                next_request_id: 1,
            },
        );
        self.conn_names.insert(id, name.to_string());
        auth.map(|auth| self.handshake(name, auth, name.to_string()))
            .transpose()
    }

    /// Plans one step.
    pub fn plan(&mut self, action: &Action) -> Result<Planned, PlanError> {
        let step = self.sent.len().to_string();
        let planned = match action {
            Action::Request {
                conn,
                method,
                params,
                signers,
                ts_offset_ms,
            } => self.request(conn, method, params, signers, *ts_offset_ms)?,
            Action::Raw { conn, text } => self.frame(conn, text.clone())?,
            Action::Template { conn, template } => {
                let text = self.template_text(template)?;
                self.frame(conn, text)?
            }
            Action::Signed {
                conn, req, signers, ..
            } => {
                let text = encode_signed(req, &sign_req(req, &self.keys(signers)?));
                self.frame(conn, text)?
            }
            Action::Authenticate { conn, auth } => self.handshake(conn, auth, step)?,
            Action::AuthVerify { conn, spec } => self.auth_verify(conn, spec)?,
            Action::Channel {
                wallet,
                status,
                amount,
            } => self.channel(wallet, *status, amount)?,
        };
        self.sent.push(match &planned.outgoing {
            Outgoing::Frame { text, .. } => Some(text.clone()),
            _ => None,
        });
        Ok(planned)
    }

    /// The frame a frame-sending action makes, without delivering it: a live run sends it
    /// instead of the planned one when it carries the broker's own values (a captured JWT or
    /// tag) where the plan carries the model's. `None` for any other action.
    pub fn frame_of(&self, action: &Action) -> Result<Option<Outgoing>, PlanError> {
        let (conn, text) = match action {
            Action::Raw { conn, text } => (conn, text.clone()),
            Action::Template { conn, template } => (conn, self.template_text(template)?),
            Action::Signed {
                conn, req, signers, ..
            } => (
                conn,
                encode_signed(req, &sign_req(req, &self.keys(signers)?)),
            ),
            _ => return Ok(None),
        };
        let conn = conn.clone();
        Ok(Some(Outgoing::Frame { conn, text }))
    }

    fn next_id(&mut self, conn: &str) -> Result<(ConnId, u64), PlanError> {
        let c = self
            .conns
            .get_mut(conn)
            .ok_or_else(|| PlanError::NoConnection(conn.to_string()))?;
        let id = c.next_request_id;
        // A mutated frame may have used the largest id (fidelity: ids at their edges).
        c.next_request_id = c.next_request_id.saturating_add(1);
        Ok((c.id, id))
    }

    fn keys(&self, names: &[String]) -> Result<Vec<SecretKey>, PlanError> {
        names.iter().map(|n| self.key(n).cloned()).collect()
    }

    fn request(
        &mut self,
        conn: &str,
        method: &str,
        params: &Value,
        signers: &[String],
        ts_offset_ms: i64,
    ) -> Result<Planned, PlanError> {
        let (_, id) = self.next_id(conn)?;
        let req = encode_req(id, method, params, offset(self.now_ms, ts_offset_ms));
        let text = encode_signed(&req, &sign_req(&req, &self.keys(signers)?));
        self.frame(conn, text)
    }

    /// Hands a frame to the engine. A request id in it moves the connection's counter past it,
    /// so that frames the shadow builds later (handshakes, `auth_verify`) get the same ids
    /// whether the earlier frames were built here or given.
    fn frame(&mut self, conn: &str, text: String) -> Result<Planned, PlanError> {
        let step = self.sent.len().to_string();
        let c = self
            .conns
            .get_mut(conn)
            .ok_or_else(|| PlanError::NoConnection(conn.to_string()))?;
        let conn_id = c.id;
        let parsed = parse_frame(&text).ok();
        if let Some(f) = parsed.as_ref().filter(|f| f.kind == FrameKind::Request) {
            c.next_request_id = c.next_request_id.max(f.id.saturating_add(1));
            if f.method == "auth_request" {
                self.note_expiry(step, &f.params);
            }
        }
        let (outcome, expect) = self.deliver(conn_id, &text);
        self.note_challenge(conn, &expect.reply, || {
            parsed.map(|f| f.params).unwrap_or(Value::Null)
        });
        let outgoing = Outgoing::Frame {
            conn: conn.to_string(),
            text,
        };
        Ok(Planned {
            outgoing,
            expect,
            outcome: Some(outcome),
        })
    }

    /// A frame step whose reply issued a challenge (`params`: those of the request it
    /// answered): later `auth_verify` steps answer it. A live run keeps the same record; the
    /// challenges of handshakes count on neither side.
    fn note_challenge(&mut self, conn: &str, reply: &Reply, params: impl FnOnce() -> Value) {
        let Reply::Ok { method, result } = reply else {
            return;
        };
        if let Some(challenge) = issued_challenge(method, result) {
            let issued = Issued {
                params: params(),
                challenge: challenge.to_string(),
            };
            self.issued.insert(conn.to_string(), issued);
        }
    }

    /// The frame a template makes.
    fn template_text(&self, template: &RawTemplate) -> Result<String, PlanError> {
        if let Some(step) = template.resend_step {
            return self
                .sent
                .get(step)
                .cloned()
                .flatten()
                .ok_or(PlanError::NothingToResend(step));
        }
        let sigs = template
            .sig
            .iter()
            .map(|spec| self.sig_entry(&template.req, spec))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(encode_signed(&template.req, &sigs))
    }

    /// One `sig` entry of a raw template over `req`.
    fn sig_entry(&self, req: &str, spec: &SigSpec) -> Result<String, PlanError> {
        let set_v = |sig: String, v: u8| format!("{}{v:02x}", &sig[..sig.len() - 2]);
        let over_req = |name: &str| -> Result<String, PlanError> {
            Ok(self.key(name)?.sign_bytes_hex(req.as_bytes()))
        };
        Ok(match spec {
            SigSpec::Signer { name } => over_req(name)?,
            SigSpec::SignerV { name, v } => set_v(over_req(name)?, *v),
            SigSpec::SignerV01 { name } => {
                let sig = over_req(name)?;
                let v = u8::from_str_radix(&sig[sig.len() - 2..], 16).expect("hex v");
                set_v(sig, v.wrapping_sub(27))
            }
            SigSpec::OverOther { name, bytes } => self.key(name)?.sign_bytes_hex(bytes.as_bytes()),
            SigSpec::Literal { hex } => hex.clone(),
            SigSpec::Edited { name, edit } => edited(&over_req(name)?, *edit),
        })
    }

    /// `auth_request` then an `auth_verify` signing the Policy of the issued challenge; the
    /// expectation is that of the `auth_verify`.
    /// `reference`: what the vector calls this handshake (its setup connection or its step).
    fn handshake(
        &mut self,
        conn: &str,
        auth: &Auth,
        reference: String,
    ) -> Result<Planned, PlanError> {
        let wallet = self.known(&auth.wallet)?;
        let (wallet_key, wallet_address) = (wallet.key.clone(), wallet.address.clone());
        let session_key = self.address(&auth.session_key)?.to_string();
        let params = auth_request_params(&wallet_address, &session_key, auth, self.now_ms);
        self.note_expiry(reference, &params);
        let (conn_id, id) = self.next_id(conn)?;
        let request = encode_signed(&encode_req(id, "auth_request", &params, self.now_ms), &[]);
        let first = self.engine.handle(conn_id, request.as_bytes(), self.now_ms);
        let challenge = first
            .outcome
            .as_ref()
            .and_then(|o| match &o.response {
                Expected::Ok { method, result } => issued_challenge(method, result),
                _ => None,
            })
            .ok_or_else(|| PlanError::NoChallenge(conn.to_string()))?
            .to_string();
        let (_, id) = self.next_id(conn)?;
        let verify = VerifyFrame {
            params,
            spec: VerifySpec {
                signer: Some(auth.wallet.clone()),
                policy_conn: None,
                challenge: Challenge::Issued,
                sign: SignKind::Policy,
            },
            keys: vec![wallet_key],
            id,
            ts: self.now_ms,
        };
        let (outcome, expect) = self.deliver(conn_id, &verify.text(&challenge));
        let outgoing = Outgoing::Handshake {
            conn: conn.to_string(),
            request,
            verify,
        };
        Ok(Planned {
            outgoing,
            expect,
            outcome: Some(outcome),
        })
    }

    fn auth_verify(&mut self, conn: &str, spec: &VerifySpec) -> Result<Planned, PlanError> {
        let source = spec.policy_conn.clone().unwrap_or_else(|| conn.to_string());
        let keys = self.keys(spec.signer.as_slice())?;
        let (conn_id, id) = self.next_id(conn)?;
        let issued = self
            .issued
            .get(&source)
            .ok_or_else(|| PlanError::NoChallenge(source.clone()))?;
        let verify = VerifyFrame {
            params: issued.params.clone(),
            spec: spec.clone(),
            keys,
            id,
            ts: self.now_ms,
        };
        let text = verify.text(&issued.challenge);
        let (outcome, expect) = self.deliver(conn_id, &text);
        let outgoing = Outgoing::AuthVerify {
            conn: conn.to_string(),
            source,
            verify,
        };
        Ok(Planned {
            outgoing,
            expect,
            outcome: Some(outcome),
        })
    }

    fn channel(
        &mut self,
        wallet: &str,
        status: ChannelStatus,
        amount: &Dec,
    ) -> Result<Planned, PlanError> {
        let address = self.address(wallet)?.to_string();
        let channel = Channel {
            channel_id: format!("0x{}", hex::encode(keccak256(address.as_bytes()))),
            status,
            raw_amount: amount.clone(),
        };
        self.engine.model.add_channel(&address, channel);
        let expect = Expectation {
            reply: Reply::None,
            pushes: vec![],
            before_reply: 0,
            books: self.books(),
        };
        let outgoing = Outgoing::Channel {
            wallet: address,
            status,
            amount: amount.clone(),
        };
        Ok(Planned {
            outgoing,
            expect,
            outcome: None,
        })
    }

    /// Hands `text` to the engine on `conn` and reads what it answers as an expectation.
    fn deliver(&mut self, conn: ConnId, text: &str) -> (Outcome, Expectation) {
        let Handled { frames, outcome } = self.engine.handle(conn, text.as_bytes(), self.now_ms);
        let mut pushes = Vec::new();
        let mut envelope_error = None;
        // NOTIF-9: the engine writes a request's own pushes before its reply, except those the
        // model sends after it (NOTIF-3).
        let mut before_reply = None;
        for out in &frames {
            let frame = parse_frame(&out.text).expect("the engine writes valid frames");
            if !frame.is_notification() {
                envelope_error = envelope_error.or(frame.error_message().map(str::to_string));
                if out.conn == conn {
                    let own = |p: &&Push| self.conn_names.get(&conn) == Some(&p.conn);
                    before_reply.get_or_insert(pushes.iter().filter(own).count());
                }
                continue;
            }
            let Some(name) = self.conn_names.get(&out.conn) else {
                continue;
            };
            // The group the model gave this push; the engine writes one frame per
            // recipient of each notification.
            let group = outcome
                .iter()
                .flat_map(|o| o.notifications.iter().chain(o.after_response.iter()))
                .find(|n| n.method == frame.method && n.params == frame.params)
                .map(|n| n.group)
                .unwrap_or(0);
            pushes.push(Push {
                conn: name.clone(),
                method: frame.method,
                params: frame.params,
                group,
            });
        }
        // An empty frame gets no reply at all (TRANS-4).
        let no_reply = outcome.is_none() && !frames.iter().any(|o| o.conn == conn);
        // An envelope error never reaches the model: the expectation is the engine's reply.
        let outcome = outcome.unwrap_or_else(|| Outcome {
            response: Expected::Err(ErrorSet::one(envelope_error.unwrap_or_default())),
            notifications: vec![],
            after_response: vec![],
            jwt: None,
        });
        let reply = if no_reply {
            Reply::None
        } else {
            Reply::of(&outcome.response)
        };
        let own = pushes
            .iter()
            .filter(|p| self.conn_names.get(&conn) == Some(&p.conn))
            .count();
        let expect = Expectation {
            reply,
            before_reply: before_reply.unwrap_or(own),
            pushes,
            books: self.books(),
        };
        (outcome, expect)
    }

    /// The books as they stand, identities by name.
    pub fn books(&self) -> Books {
        let name_of = |key: &str| {
            self.names
                .get(&key.to_ascii_lowercase())
                .cloned()
                .unwrap_or_else(|| key.to_string())
        };
        Books::of(&Snapshot::of(&self.engine.model), name_of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::amount::dec;

    const NOW_MS: u64 = 1_700_000_000_000;

    fn shadow_with_a() -> Shadow {
        let mut shadow = Shadow::new(Profile::Clearnode052, NOW_MS);
        shadow.declare("A", Role::Wallet, vector_key("A"));
        shadow.declare("A.sk", Role::SessionKey, vector_key("A.sk"));
        shadow
    }

    fn root_auth() -> Auth {
        Auth {
            wallet: "A".into(),
            session_key: "A.sk".into(),
            application: "clearnode".into(),
            scope: "console".into(),
            expires_in_s: 3600,
            allowances: vec![],
        }
    }

    #[test]
    fn a_handshake_answers_the_challenge_of_whichever_broker_issued_it() {
        let mut shadow = shadow_with_a();
        let planned = shadow.connect("c", Some(&root_auth())).unwrap().unwrap();
        assert!(
            matches!(&planned.expect.reply, Reply::Ok { method, .. } if method == "auth_verify"),
            "{:?}",
            planned.expect.reply
        );
        let Outgoing::Handshake {
            request, verify, ..
        } = &planned.outgoing
        else {
            panic!("{:?}", planned.outgoing)
        };
        assert_eq!(parse_frame(request).unwrap().method, "auth_request");
        // A live broker's own challenge goes into the frame, signed over its Policy.
        let frame = parse_frame(&verify.text("1b4e28ba-2fa1-11d2-883f-0016d3cca427")).unwrap();
        assert_eq!(
            frame.params["challenge"],
            "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
        );
        let policy = policy_of(&verify.params, "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
        let signer = crate::crypto::Signature::from_hex(&frame.sig[0])
            .and_then(|s| s.recover(&policy.digest().unwrap()))
            .unwrap();
        assert_eq!(signer, shadow.address("A").unwrap());
    }

    #[test]
    fn a_plan_names_what_the_case_never_set_up() {
        let mut shadow = shadow_with_a();
        shadow.connect("c", None).unwrap();
        let verify = VerifySpec {
            signer: Some("A".into()),
            policy_conn: None,
            challenge: Challenge::Issued,
            sign: SignKind::Policy,
        };
        let unanswered = Action::AuthVerify {
            conn: "c".into(),
            spec: verify,
        };
        assert_eq!(
            shadow.plan(&unanswered).unwrap_err(),
            PlanError::NoChallenge("c".into())
        );
        let channel = Action::Channel {
            wallet: "A".into(),
            status: ChannelStatus::Open,
            amount: dec("1"),
        };
        let planned = shadow.plan(&channel).unwrap();
        assert_eq!(planned.expect.reply, Reply::None);
        let resend = RawTemplate {
            req: String::new(),
            ts_offset_ms: 0,
            sig: vec![],
            resend_step: Some(1),
        };
        let resend = Action::Template {
            conn: "c".into(),
            template: resend,
        };
        // Step 1 is the channel hook: it sent no frame.
        assert_eq!(
            shadow.plan(&resend).unwrap_err(),
            PlanError::NothingToResend(1)
        );
        let elsewhere = Action::Raw {
            conn: "d".into(),
            text: String::new(),
        };
        assert_eq!(
            shadow.plan(&elsewhere).unwrap_err(),
            PlanError::NoConnection("d".into())
        );
    }

    #[test]
    fn an_empty_frame_expects_no_reply_and_books_by_name() {
        let mut shadow = shadow_with_a();
        shadow.fund("A", "usdc", &dec("5")).unwrap();
        shadow.connect("c", None).unwrap();
        let planned = shadow
            .plan(&Action::Raw {
                conn: "c".into(),
                text: String::new(),
            })
            .unwrap();
        assert_eq!(planned.expect.reply, Reply::None);
        assert_eq!(planned.expect.books.unified["A"]["usdc"], dec("5"));
    }
}

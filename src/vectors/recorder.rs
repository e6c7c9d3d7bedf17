//! Filling a case: a scenario script drives a [`Recorder`], which sends every frame through the
//! engine (the model behind the wire) and records the exact bytes sent and what the model
//! expects back. A case is recorded once per profile and the two recordings are merged.

use super::format::{
    Action, AllowanceSpec, Auth, AuthVerify, Balance, Connection, Expect, Identity, Notification,
    RawTemplate, Response, SessionState, SigSpec, State, Step,
};
use crate::crypto::{keccak256, SecretKey};
use crate::engine::{Asset, Engine};
use crate::model::invariants::Snapshot;
use crate::model::{
    amount::{parse_decimal, render},
    Channel, ChannelStatus, Config, ConnId, Expected, Model, Outcome, Profile,
};
use crate::wire::{encode_req, encode_signed, parse_frame, sign_req};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// The broker clock at the first step of every case (2023-11-14T22:13:20Z).
pub const START_MS: u64 = 1_700_000_000_000;
/// Gap between steps, so timestamps stay distinct and readable.
const STEP_MS: u64 = 1_000;

/// The fixed public test key of an identity name: the same name is the same key in every case.
pub fn identity_key(name: &str) -> SecretKey {
    let mut material = format!("nitrocert/vector-identity/{name}").into_bytes();
    loop {
        let digest = keccak256(&material);
        if let Ok(key) = SecretKey::from_bytes(&digest) {
            return key;
        }
        material = digest.to_vec();
    }
}

/// The reference broker's key in vectors.
pub fn broker_key() -> SecretKey {
    identity_key("broker")
}

struct Conn {
    id: ConnId,
    next_request_id: u64,
}

/// Records one case under one profile.
pub struct Recorder {
    pub profile: Profile,
    engine: Engine,
    now_ms: u64,
    identities: Vec<(Identity, SecretKey)>,
    names_by_key: HashMap<String, String>,
    balances: Vec<Balance>,
    connections: Vec<Connection>,
    conns: BTreeMap<String, Conn>,
    conn_names: HashMap<ConnId, String>,
    pub(crate) steps: Vec<Step>,
    last: Option<Outcome>,
    /// Keys to use instead of the fixed test keys (a live replay's fresh identities).
    keys: HashMap<String, SecretKey>,
    /// When set, the clock is driven from outside ([`Recorder::set_now`]) and steps do not tick.
    external_clock: bool,
    /// Per connection: the params of the last `auth_request` sent and the challenge issued.
    pending_auth: HashMap<String, (Value, String)>,
}

impl Recorder {
    pub fn new(profile: Profile) -> Self {
        let model = Model::new(profile, Config::default());
        let assets = vec![Asset {
            symbol: "usdc".into(),
            token: "0x0000000000000000000000000000000000000000".into(),
            chain_id: 0,
            decimals: 6,
        }];
        Self {
            profile,
            engine: Engine::new(model, broker_key(), assets, 0),
            now_ms: START_MS,
            identities: Vec::new(),
            names_by_key: HashMap::new(),
            balances: Vec::new(),
            connections: Vec::new(),
            conns: BTreeMap::new(),
            conn_names: HashMap::new(),
            steps: Vec::new(),
            last: None,
            keys: HashMap::new(),
            external_clock: false,
            pending_auth: HashMap::new(),
        }
    }

    /// A recorder for replaying a vector live: identities get `keys` (by name), and the clock
    /// follows the caller ([`Recorder::set_now`]) instead of ticking per step.
    pub fn instance(profile: Profile, now_ms: u64, keys: HashMap<String, SecretKey>) -> Self {
        let mut r = Self::new(profile);
        r.now_ms = now_ms;
        r.keys = keys;
        r.external_clock = true;
        r
    }

    /// Sets the broker clock (live replays).
    pub fn set_now(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
    }

    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// The step recorded last, with this profile's expectation.
    pub fn last_step(&self) -> Option<&Step> {
        self.steps.last()
    }

    /// The key of a declared identity (live replays sign with it).
    pub fn key_of(&self, name: &str) -> SecretKey {
        self.key(name)
    }

    fn identity(&mut self, name: &str, role: &str) -> String {
        if let Some((id, _)) = self.identities.iter().find(|(i, _)| i.name == name) {
            return id.address.clone();
        }
        let key = self
            .keys
            .get(name)
            .cloned()
            .unwrap_or_else(|| identity_key(name));
        let address = key.address();
        self.names_by_key
            .insert(address.to_ascii_lowercase(), name.to_string());
        self.identities.push((
            Identity {
                name: name.to_string(),
                role: role.to_string(),
                private_key: key.to_hex(),
                address: address.clone(),
            },
            key,
        ));
        address
    }

    /// Declares a wallet and returns its EIP-55 address.
    pub fn wallet(&mut self, name: &str) -> String {
        self.identity(name, "wallet")
    }

    /// Declares a session key and returns its address.
    pub fn session_key(&mut self, name: &str) -> String {
        self.identity(name, "session_key")
    }

    /// The address of a declared identity.
    pub fn addr(&self, name: &str) -> String {
        self.identities
            .iter()
            .find(|(i, _)| i.name == name)
            .map(|(i, _)| i.address.clone())
            .unwrap_or_else(|| panic!("identity {name} is not declared"))
    }

    fn key(&self, name: &str) -> SecretKey {
        self.identities
            .iter()
            .find(|(i, _)| i.name == name)
            .map(|(_, k)| k.clone())
            .unwrap_or_else(|| panic!("identity {name} is not declared"))
    }

    fn assert_setup(&self, what: &str) {
        assert!(
            self.steps.is_empty(),
            "{what} belongs before the first step"
        );
    }

    /// Credits a unified balance before the first step.
    pub fn fund(&mut self, wallet: &str, asset: &str, amount: &str) {
        self.assert_setup("fund");
        let address = self.wallet(wallet);
        let value = parse_decimal(amount).expect("a decimal amount");
        self.engine.model.fund(&address, asset, &value);
        self.balances.push(Balance {
            wallet: wallet.to_string(),
            asset: asset.to_string(),
            amount: amount.to_string(),
        });
    }

    /// The usual handshake of a wallet: a root (`clearnode`) session key named `<wallet>.sk`.
    pub fn root_auth(&mut self, wallet: &str) -> Auth {
        self.wallet(wallet);
        let session_key = format!("{wallet}.sk");
        self.session_key(&session_key);
        Auth {
            wallet: wallet.to_string(),
            session_key,
            application: "clearnode".to_string(),
            scope: "console".to_string(),
            expires_in_s: 86_400,
            allowances: vec![],
        }
    }

    /// Opens a connection before the first step, authenticated when `auth` is given.
    pub fn connect(&mut self, name: &str, auth: Option<Auth>) {
        self.assert_setup("connect");
        let (id, _hello) = self.engine.connect(self.now_ms);
        self.conns.insert(
            name.to_string(),
            Conn {
                id,
                next_request_id: 1,
            },
        );
        self.conn_names.insert(id, name.to_string());
        if let Some(auth) = &auth {
            let (outcome, _) = self.handshake(name, auth);
            assert!(
                outcome.is_ok(),
                "setup handshake of {name} failed: {:?}",
                outcome.response
            );
        }
        self.connections.push(Connection {
            name: name.to_string(),
            auth,
        });
    }

    /// A wallet with its own authenticated connection named after it (the common case).
    pub fn participant(&mut self, wallet: &str) -> String {
        let auth = self.root_auth(wallet);
        self.connect(wallet, Some(auth));
        self.addr(wallet)
    }

    fn next_id(&mut self, conn: &str) -> (ConnId, u64) {
        let c = self
            .conns
            .get_mut(conn)
            .unwrap_or_else(|| panic!("connection {conn} is not open"));
        let id = c.next_request_id;
        c.next_request_id += 1;
        (c.id, id)
    }

    fn handshake(&mut self, conn: &str, auth: &Auth) -> (Outcome, Vec<(ConnId, String)>) {
        let wallet_key = self.key(&auth.wallet);
        let session_key = self.addr(&auth.session_key);
        let expires_at = self.now_ms / 1000 + auth.expires_in_s;
        let allowances: Vec<Value> = auth
            .allowances
            .iter()
            .map(|a| json!({"asset": a.asset, "amount": a.amount}))
            .collect();
        let params = json!({
            "address": wallet_key.address(),
            "session_key": session_key,
            "application": auth.application,
            "allowances": allowances,
            "expires_at": expires_at,
            "scope": auth.scope,
        });
        let (conn_id, id) = self.next_id(conn);
        let req = encode_req(id, "auth_request", &params, self.now_ms);
        let handled = self
            .engine
            .handle(conn_id, encode_signed(&req, &[]).as_bytes(), self.now_ms);
        let challenge = handled
            .outcome
            .as_ref()
            .and_then(|o| o.response.result())
            .and_then(|r| r["challenge_message"].as_str())
            .expect("auth_request always issues a challenge")
            .to_string();
        let policy = crate::crypto::eip712::Policy {
            application: auth.application.clone(),
            challenge: challenge.clone(),
            scope: auth.scope.clone(),
            wallet: wallet_key.address(),
            session_key,
            expires_at,
            allowances: auth
                .allowances
                .iter()
                .map(|a| crate::crypto::eip712::Allowance {
                    asset: a.asset.clone(),
                    amount: a.amount.clone(),
                })
                .collect(),
        };
        let sig = policy.sign(&wallet_key).expect("a well-formed policy");
        let (_, id) = self.next_id(conn);
        let req = encode_req(
            id,
            "auth_verify",
            &json!({ "challenge": challenge }),
            self.now_ms,
        );
        let handled =
            self.engine
                .handle(conn_id, encode_signed(&req, &[sig]).as_bytes(), self.now_ms);
        let frames = handled
            .frames
            .into_iter()
            .map(|o| (o.conn, o.text))
            .collect();
        (
            handled.outcome.expect("auth_verify reaches the model"),
            frames,
        )
    }

    /// Sends `method(params)` on `conn`, signed by `signers` in order, with `req[3]` = now.
    pub fn request(
        &mut self,
        conn: &str,
        method: &str,
        params: Value,
        signers: &[&str],
    ) -> &Outcome {
        self.request_at(conn, method, params, signers, 0)
    }

    /// Like [`Recorder::request`] with `req[3]` = now + `ts_offset_ms`.
    pub fn request_at(
        &mut self,
        conn: &str,
        method: &str,
        params: Value,
        signers: &[&str],
        ts_offset_ms: i64,
    ) -> &Outcome {
        let (conn_id, id) = self.next_id(conn);
        let ts = (self.now_ms as i64 + ts_offset_ms).max(0) as u64;
        let req = encode_req(id, method, &params, ts);
        let keys: Vec<SecretKey> = signers.iter().map(|s| self.key(s)).collect();
        let wire = encode_signed(&req, &sign_req(&req, &keys));
        let action = Action::Request {
            method: method.to_string(),
            signers: signers.iter().map(|s| s.to_string()).collect(),
            wire: wire.clone(),
            ts_offset_ms,
        };
        self.send(conn, conn_id, wire.as_bytes(), action);
        self.last.as_ref().expect("just recorded")
    }

    /// Sends `text` byte for byte.
    pub fn raw(&mut self, conn: &str, text: &str) {
        let conn_id = self.conns[conn].id;
        self.send(
            conn,
            conn_id,
            text.as_bytes(),
            Action::Raw {
                text: text.to_string(),
                template: None,
            },
        );
    }

    /// Sends a hand-built signed private request: `req` (an array text whose last element is
    /// the `ts`) with `ts` = now + `ts_offset_ms`, signed as `sig` says. Live replays rebuild it
    /// with their identities and clock (see [`RawTemplate`]).
    pub fn raw_request(&mut self, conn: &str, req: &str, ts_offset_ms: i64, sig: Vec<SigSpec>) {
        self.raw_template(
            conn,
            RawTemplate {
                req: req.to_string(),
                ts_offset_ms,
                sig,
                resend_step: None,
            },
        );
    }

    /// Resends the frame sent at step `step` (an index into the case's steps) byte for byte.
    pub fn resend(&mut self, conn: &str, step: usize) {
        self.raw_template(
            conn,
            RawTemplate {
                req: String::new(),
                ts_offset_ms: 0,
                sig: vec![],
                resend_step: Some(step),
            },
        );
    }

    /// Sends the frame `template` makes at the recorder's clock and records it with the
    /// template (its `req` as sent).
    pub fn raw_template(&mut self, conn: &str, mut template: RawTemplate) {
        let text = match template.resend_step {
            Some(step) => match self.steps.get(step).map(|s| &s.action) {
                Some(Action::Request { wire, .. }) => wire.clone(),
                Some(Action::Raw { text, .. }) => text.clone(),
                other => panic!("step {step} sent no frame to resend: {other:?}"),
            },
            None => {
                let ts = (self.now_ms as i64 + template.ts_offset_ms).max(0) as u64;
                template.req = with_ts(&template.req, ts);
                let sigs: Vec<String> = template
                    .sig
                    .iter()
                    .map(|spec| self.sig_entry(&template.req, spec))
                    .collect();
                encode_signed(&template.req, &sigs)
            }
        };
        let conn_id = self.conns[conn].id;
        self.send(
            conn,
            conn_id,
            text.as_bytes(),
            Action::Raw {
                text: text.clone(),
                template: Some(template),
            },
        );
    }

    /// One `sig` entry of a raw template over `req`.
    fn sig_entry(&self, req: &str, spec: &SigSpec) -> String {
        let set_v = |sig: String, v: u8| format!("{}{v:02x}", &sig[..sig.len() - 2]);
        match spec {
            SigSpec::Signer { name } => self.key(name).sign_bytes_hex(req.as_bytes()),
            SigSpec::SignerV { name, v } => {
                set_v(self.key(name).sign_bytes_hex(req.as_bytes()), *v)
            }
            SigSpec::SignerV01 { name } => {
                let sig = self.key(name).sign_bytes_hex(req.as_bytes());
                let v = u8::from_str_radix(&sig[sig.len() - 2..], 16).expect("hex v");
                set_v(sig, v.wrapping_sub(27))
            }
            SigSpec::OverOther { name, bytes } => self.key(name).sign_bytes_hex(bytes.as_bytes()),
            SigSpec::Literal { hex } => hex.clone(),
        }
    }

    /// A signature handshake as a step (its expected response is the `auth_verify` reply).
    pub fn authenticate(&mut self, conn: &str, auth: Auth) -> &Outcome {
        let before = self.now_ms;
        let (outcome, frames) = self.handshake(conn, &auth);
        self.record(
            conn,
            Action::Authenticate(auth),
            outcome,
            &frames,
            before,
            false,
        );
        self.last.as_ref().expect("just recorded")
    }

    /// An `auth_verify` built from the last `auth_request` sent on `spec.policy_conn` (or
    /// `conn`) and its issued challenge (see [`AuthVerify`]).
    pub fn auth_verify(&mut self, conn: &str, spec: AuthVerify) -> &Outcome {
        let source = spec.policy_conn.clone().unwrap_or_else(|| conn.to_string());
        let (params, issued) = self
            .pending_auth
            .get(&source)
            .cloned()
            .unwrap_or_else(|| panic!("no auth_request was sent on {source}"));
        let keys: Vec<SecretKey> = spec.signer.iter().map(|s| self.key(s)).collect();
        let (conn_id, id) = self.next_id(conn);
        let wire = build_auth_verify(&params, &issued, &spec, &keys, id, self.now_ms);
        self.send(conn, conn_id, wire.as_bytes(), Action::AuthVerify(spec));
        self.last.as_ref().expect("just recorded")
    }

    /// Harness hook: `wallet` now has a channel (AS-CHAN-1/2).
    pub fn channel(&mut self, wallet: &str, status: ChannelStatus, amount: &str) {
        let address = self.addr(wallet);
        self.engine.model.add_channel(
            &address,
            Channel {
                channel_id: format!("0x{}", hex::encode(keccak256(address.as_bytes()))),
                status,
                raw_amount: parse_decimal(amount).expect("a decimal amount"),
            },
        );
        let state = self.state();
        let at = self.now_ms;
        self.tick();
        self.steps.push(Step {
            at_ms: at - START_MS,
            conn: wallet.to_string(),
            action: Action::Channel {
                wallet: wallet.to_string(),
                status: status.as_str().to_string(),
                amount: amount.to_string(),
            },
            expect: BTreeMap::from([(
                self.profile.name().to_string(),
                super::format::ExpectOrSame::Expect(Box::new(Expect {
                    response: Response::None,
                    notifications: vec![],
                    state,
                })),
            )]),
        });
    }

    /// Moves the broker clock forward (expiry, stale timestamps).
    pub fn advance(&mut self, ms: u64) {
        self.now_ms += ms;
    }

    fn tick(&mut self) {
        if !self.external_clock {
            self.now_ms += STEP_MS;
        }
    }

    fn send(&mut self, conn: &str, conn_id: ConnId, bytes: &[u8], action: Action) {
        let before = self.now_ms;
        let handled = self.engine.handle(conn_id, bytes, self.now_ms);
        let frames: Vec<(ConnId, String)> = handled
            .frames
            .into_iter()
            .map(|o| (o.conn, o.text))
            .collect();
        // An empty frame gets no reply at all (TRANS-4).
        let no_reply = handled.outcome.is_none() && !frames.iter().any(|(c, _)| *c == conn_id);
        let outcome = handled
            .outcome
            .unwrap_or_else(|| envelope_outcome(&frames, conn_id));
        self.record(conn, action, outcome, &frames, before, no_reply);
    }

    fn record(
        &mut self,
        conn: &str,
        action: Action,
        outcome: Outcome,
        frames: &[(ConnId, String)],
        at: u64,
        no_reply: bool,
    ) {
        let response = match &outcome.response {
            _ if no_reply => Response::None,
            Expected::Ok { method, result } => Response::Ok {
                method: method.to_string(),
                result: result.clone(),
            },
            Expected::Err(e) => Response::Error {
                one_of: e.texts.clone(),
                prefixes: e.prefixes.clone(),
                any_text: e.any_text,
                rule: e.rule.map(str::to_string),
            },
            // Filling a vector must never reach an unmodelled path (the catalogue would be
            // wrong); a live replay may, and then that step has no expectation.
            Expected::Unmodelled(what) if self.external_clock => Response::Unmodelled {
                reason: what.to_string(),
            },
            Expected::Unmodelled(what) => {
                panic!("a vector step reached an unmodelled path: {what}")
            }
        };
        let mut notifications = Vec::new();
        for (to, text) in frames {
            let frame = parse_frame(text).expect("the engine writes valid frames");
            if !frame.is_notification() || !self.conn_names.contains_key(to) {
                continue;
            }
            let group = outcome
                .notifications
                .iter()
                .chain(outcome.after_response.iter())
                .find(|n| n.method == frame.method && n.params == frame.params)
                .map(|n| n.group)
                .unwrap_or(0);
            notifications.push(Notification {
                conn: self.conn_names[to].clone(),
                method: frame.method.clone(),
                params: frame.params.clone(),
                group,
            });
        }
        if let (Action::Request { method, wire, .. }, Expected::Ok { result, .. }) =
            (&action, &outcome.response)
        {
            if method == "auth_request" {
                if let (Ok(frame), Some(challenge)) =
                    (parse_frame(wire), result["challenge_message"].as_str())
                {
                    self.pending_auth
                        .insert(conn.to_string(), (frame.params, challenge.to_string()));
                }
            }
        }
        let state = self.state();
        self.steps.push(Step {
            at_ms: at - START_MS,
            conn: conn.to_string(),
            action,
            expect: BTreeMap::from([(
                self.profile.name().to_string(),
                super::format::ExpectOrSame::Expect(Box::new(Expect {
                    response,
                    notifications,
                    state,
                })),
            )]),
        });
        self.last = Some(outcome);
        self.tick();
    }

    fn name_of(&self, wallet_key: &str) -> String {
        self.names_by_key
            .get(&wallet_key.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| wallet_key.to_string())
    }

    /// Observable state: unified balances of every identity, and every session.
    pub fn state(&self) -> State {
        let snap = Snapshot::of(&self.engine.model);
        let mut state = State::default();
        for ((wallet, asset), amount) in &snap.unified {
            state
                .unified
                .entry(self.name_of(wallet))
                .or_default()
                .insert(asset.clone(), render(amount));
        }
        for (id, s) in &snap.sessions {
            let mut balances: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
            for ((wallet, asset), amount) in &s.balances {
                balances
                    .entry(self.name_of(wallet))
                    .or_default()
                    .insert(asset.clone(), render(amount));
            }
            state.sessions.push(SessionState {
                app_session_id: id.clone(),
                status: s.status.clone(),
                version: s.version,
                balances,
            });
        }
        state
    }

    /// The model as it stands (for assertions inside scenario scripts).
    pub fn model(&self) -> &Model {
        &self.engine.model
    }

    pub(crate) fn into_parts(self) -> RecordedCase {
        RecordedCase {
            identities: self.identities.into_iter().map(|(i, _)| i).collect(),
            balances: self.balances,
            connections: self.connections,
            steps: self.steps,
        }
    }
}

/// What a recording contributes to the vector file.
pub(crate) struct RecordedCase {
    pub identities: Vec<Identity>,
    pub balances: Vec<Balance>,
    pub connections: Vec<Connection>,
    pub steps: Vec<Step>,
}

/// `req` with its last element (the `ts`, a plain integer) replaced by `ts`, every other byte
/// kept.
pub fn with_ts(req: &str, ts: u64) -> String {
    let close = req.rfind(']').expect("a req array");
    let head = req[..close].trim_end_matches(|c: char| c.is_ascii_whitespace());
    let digits = head.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-');
    assert!(
        digits.len() < head.len(),
        "the last element of {req} is no integer"
    );
    format!("{digits}{ts}{}", &req[head.len()..])
}

/// An envelope error never reaches the model; its expectation is the engine's reply (none at
/// all for an empty frame).
fn envelope_outcome(frames: &[(ConnId, String)], conn: ConnId) -> Outcome {
    let text = frames
        .iter()
        .find(|(c, _)| *c == conn)
        .and_then(|(_, text)| parse_frame(text).ok())
        .and_then(|frame| frame.error_message().map(str::to_string))
        .unwrap_or_default();
    let response = Expected::Err(crate::model::ErrorSet::one(text));
    Outcome {
        response,
        notifications: vec![],
        after_response: vec![],
        jwt: None,
    }
}

/// The `auth_verify` frame of an [`AuthVerify`] step: `params` are those of the `auth_request`
/// it answers, `issued` the challenge the broker issued for it. Shared by the recorder and the
/// live runner, so both send the same kind of frame.
pub fn build_auth_verify(
    params: &Value,
    issued: &str,
    spec: &AuthVerify,
    keys: &[SecretKey],
    id: u64,
    ts: u64,
) -> String {
    let challenge = match spec.challenge.as_str() {
        "issued" => Some(issued.to_string()),
        "issued-braces-upper" => Some(format!("{{{}}}", issued.to_ascii_uppercase())),
        "absent" => None,
        literal => Some(literal.to_string()),
    };
    let verify_params = match &challenge {
        Some(c) => json!({ "challenge": c }),
        None => json!({}),
    };
    let req = encode_req(id, "auth_verify", &verify_params, ts);
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let policy = crate::crypto::eip712::Policy {
        application: text(&params["application"]),
        challenge: issued.to_string(),
        scope: text(&params["scope"]),
        wallet: text(&params["address"]),
        session_key: text(&params["session_key"]),
        expires_at: params["expires_at"].as_u64().unwrap_or_default(),
        allowances: params["allowances"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| crate::crypto::eip712::Allowance {
                asset: text(&a["asset"]),
                amount: text(&a["amount"]),
            })
            .collect(),
    };
    let sig: Vec<String> = keys
        .iter()
        .map(|k| match spec.sign.as_str() {
            "req" => k.sign_bytes_hex(req.as_bytes()),
            // A policy that cannot be hashed (an empty application) signs zero bytes: the
            // broker fails at hashing anyway (AUTH-7 step 2).
            _ => policy
                .sign(k)
                .unwrap_or_else(|_| crate::crypto::to_hex(k.sign_digest(&[0u8; 32]))),
        })
        .collect();
    encode_signed(&req, &sig)
}

/// Allowance rows for an [`Auth`].
pub fn allowances(rows: &[(&str, &str)]) -> Vec<AllowanceSpec> {
    rows.iter()
        .map(|(asset, amount)| AllowanceSpec {
            asset: asset.to_string(),
            amount: amount.to_string(),
        })
        .collect()
}

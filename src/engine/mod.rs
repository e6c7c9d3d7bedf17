//! The model behind the wire, without sockets: bytes of a client frame in, broker-signed frames
//! out (the reply, the notifications, to which connections, in which order). The embedded
//! broker serves it over WebSocket and the vector generator calls it directly, so both speak
//! exactly the same bytes and neither re-implements a rule of the model.

mod encode;
pub mod fault;
mod jwt;

pub use encode::{encode_value, response_frame};
pub use fault::Fault;

use crate::crypto::{keccak256, Seal, SecretKey};
use crate::model::{AuthInputs, Call, ConnId, Expected, Model, Notification, Outcome, Recipient};
use crate::wire::inbound::{decode, Inbound};
use serde_json::{json, Value};

/// One asset the broker announces (NOTIF-2, API-3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    pub symbol: String,
    pub token: String,
    pub chain_id: u64,
    pub decimals: u8,
}

/// A frame for one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Out {
    pub conn: ConnId,
    pub text: String,
}

/// What one inbound frame produced, besides the frames to send.
#[derive(Debug, Clone)]
pub struct Handled {
    pub frames: Vec<Out>,
    /// The model's verdict, when the frame reached the model.
    pub outcome: Option<Outcome>,
}

/// The broker's side of every connection.
#[derive(Debug, Clone)]
pub struct Engine {
    pub model: Model,
    broker_key: SecretKey,
    assets: Vec<Asset>,
    next_conn: ConnId,
    /// Challenges are derived from this seed and a counter, so a run is reproducible.
    challenge_seed: u64,
    challenges_issued: u64,
    fault: Option<Fault>,
    /// How frames are signed and request signatures checked (real secp256k1 by default).
    seal: Seal,
}

impl Engine {
    pub fn new(
        model: Model,
        broker_key: SecretKey,
        assets: Vec<Asset>,
        challenge_seed: u64,
    ) -> Self {
        Self {
            model,
            broker_key,
            assets,
            next_conn: 1,
            challenge_seed,
            challenges_issued: 0,
            fault: None,
            seal: Seal::Secp256k1,
        }
    }

    /// Signs and checks signatures through `seal` (see [`Seal`]; fuzz targets use its cache or
    /// its stand-in).
    pub fn with_seal(mut self, seal: Seal) -> Self {
        self.seal = seal;
        self
    }

    pub fn seal(&self) -> &Seal {
        &self.seal
    }

    /// Makes this broker carry a seeded bug (for proving the harness catches it).
    pub fn with_fault(mut self, fault: Option<Fault>) -> Self {
        self.fault = fault;
        self
    }

    pub fn broker_address(&self) -> String {
        self.broker_key.address()
    }

    /// A new connection: the broker pushes `assets` before anything else (TRANS-6, NOTIF-2).
    pub fn connect(&mut self, now_ms: u64) -> (ConnId, Vec<Out>) {
        let conn = self.next_conn;
        self.next_conn += 1;
        let text = self.frame(0, "assets", &self.assets_json(), now_ms);
        (conn, vec![Out { conn, text }])
    }

    pub fn disconnect(&mut self, conn: ConnId) {
        self.model.disconnect(conn);
    }

    fn assets_json(&self) -> Value {
        let assets: Vec<Value> = self
            .assets
            .iter()
            .map(|a| json!({"token": a.token, "chain_id": a.chain_id, "symbol": a.symbol, "decimals": a.decimals}))
            .collect();
        json!({ "assets": assets })
    }

    fn frame(&self, id: u64, method: &str, params: &Value, now_ms: u64) -> String {
        encode::sealed_frame(&self.seal, &self.broker_key, id, method, params, now_ms)
    }

    fn error_frame(&self, id: u64, text: &str, now_ms: u64) -> String {
        self.frame(id, "error", &json!({ "error": text }), now_ms)
    }

    fn next_challenge(&mut self) -> String {
        self.challenges_issued += 1;
        let digest = keccak256(format!(
            "nitrocert/challenge/{}/{}",
            self.challenge_seed, self.challenges_issued
        ));
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }

    /// Handles one inbound frame on `conn`.
    pub fn handle(&mut self, conn: ConnId, bytes: &[u8], now_ms: u64) -> Handled {
        let request = match decode(bytes) {
            Inbound::Empty => {
                return Handled {
                    frames: vec![],
                    outcome: None,
                }
            }
            Inbound::Rejected { message, id, .. } => {
                let text = self.error_frame(id.unwrap_or(now_ms), message, now_ms);
                return Handled {
                    frames: vec![Out { conn, text }],
                    outcome: None,
                };
            }
            Inbound::Request(request) => request,
        };
        let challenge = self.next_challenge();
        let digest = keccak256(request.raw.as_bytes());
        let signatures: Vec<Option<String>> = request
            .sig
            .iter()
            .map(|s| self.seal.recover(&digest, s))
            .collect();
        let first_sig = request.sig.first();
        let seal = &self.seal;
        let policy_signer = move |policy: &crate::crypto::eip712::Policy| -> Option<String> {
            seal.recover(&policy.digest().ok()?, first_sig?)
        };
        let broker_key = &self.broker_key;
        let jwt_signer =
            move |claims: &crate::model::JwtClaims| jwt::sign(seal, broker_key, claims);
        let verify_key = broker_key.address_str();
        let jwt_verifier = move |token: &str| jwt::verify(seal, verify_key, token);
        let call = Call {
            conn,
            method: &request.method,
            params: &request.params,
            ts: request.ts,
            signatures: &signatures,
            now_ms,
            req_digest: Some(digest),
            auth: AuthInputs {
                challenge_uuid: Some(&challenge),
                policy_signer: Some(&policy_signer),
                jwt_verifier: Some(&jwt_verifier),
                jwt_signer: Some(&jwt_signer),
            },
        };
        let outcome = match self.fault {
            Some(fault) => fault.step(&mut self.model, &call),
            None => self.model.step(&call),
        };
        if self.fault.is_some_and(Fault::swallows) {
            return Handled {
                frames: vec![],
                outcome: Some(outcome),
            };
        }
        let mut frames = Vec::new();
        self.push_notifications(&outcome.notifications, now_ms, &mut frames);
        let reply = match &outcome.response {
            Expected::Ok { method, result } => self.frame(request.id, method, result, now_ms),
            Expected::Err(errors) => self.error_frame(request.id, errors.text(), now_ms),
            Expected::Unmodelled(what) => match request.method.as_str() {
                "get_config" => self.frame(
                    request.id,
                    "get_config",
                    &json!({"broker_address": self.broker_address(), "networks": []}),
                    now_ms,
                ),
                "get_assets" => self.frame(request.id, "get_assets", &self.assets_json(), now_ms),
                _ => self.error_frame(
                    request.id,
                    &format!(
                        "nitrocert reference broker: {} is not modelled ({what})",
                        request.method
                    ),
                    now_ms,
                ),
            },
        };
        frames.push(Out { conn, text: reply });
        self.push_notifications(&outcome.after_response, now_ms, &mut frames);
        Handled {
            frames,
            outcome: Some(outcome),
        }
    }

    fn push_notifications(&self, notifications: &[Notification], now_ms: u64, out: &mut Vec<Out>) {
        for n in notifications {
            let text = self.frame(0, n.method, &n.params, now_ms);
            let conns = match &n.to {
                Recipient::Conn(c) => vec![*c],
                Recipient::Wallet(w) => self.model.auth.connections_of(w),
            };
            for conn in conns {
                out.push(Out {
                    conn,
                    text: text.clone(),
                });
            }
        }
    }
}

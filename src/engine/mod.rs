//! The model behind the wire, without sockets: bytes of a client frame in, broker-signed frames
//! out (the reply, the notifications, to which connections, in which order). The embedded
//! broker serves it over WebSocket and the vector generator calls it directly, so both speak
//! exactly the same bytes and neither re-implements a rule of the model.

mod encode;
pub mod fault;
mod jwt;

pub use encode::{encode_value, response_array, response_frame, signed_frame};
pub use fault::{Fault, StaleRead};

use crate::crypto::{keccak256, Seal, SecretKey};
use crate::model::{
    AuthInputs, Call, Config, ConnId, Expected, Model, Notification, Outcome, Profile, Recipient,
};
use crate::wire::inbound::{decode, Inbound, InboundRequest};
use serde_json::{json, Value};

/// One asset the broker announces (NOTIF-2, API-3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    pub symbol: String,
    pub token: String,
    pub chain_id: u64,
    pub decimals: u8,
}

impl Asset {
    /// A test asset as the reference broker announces it: no token contract, chain 0, six
    /// decimals like usdc.
    pub fn test(symbol: &str) -> Self {
        Asset {
            symbol: symbol.to_string(),
            token: "0x0000000000000000000000000000000000000000".to_string(),
            chain_id: 0,
            decimals: 6,
        }
    }
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

/// A response whose `res` array is written but not yet signed, and the connections it goes to
/// (one signature for a notification several connections get).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsealed {
    pub res: String,
    pub to: Vec<ConnId>,
}

/// What one inbound frame produced, before the broker signs it ([`Sealer::seal`]).
#[derive(Debug, Clone)]
pub struct Stepped {
    pub frames: Vec<Unsealed>,
    pub outcome: Option<Outcome>,
}

/// An inbound frame decoded, with the signers its signatures recover to: the work of a request
/// that reads no broker state ([`Sealer::prepare`]).
#[derive(Debug, Clone)]
pub struct Prepared {
    inbound: Inbound,
    /// keccak256 of the `req` bytes and what each `sig` entry recovers to over it.
    recovered: Option<([u8; 32], Vec<Option<String>>)>,
}

/// The stateless half of the broker: decoding and recovering what comes in, signing what goes
/// out. It holds only the broker key and the [`Seal`], so the embedded broker runs it outside
/// its engine lock and connections recover and sign in parallel; the engine's
/// [`Engine::step_prepared`] between the two is the only part that reads or writes state.
#[derive(Debug, Clone)]
pub struct Sealer {
    /// How frames are signed and request signatures checked (real secp256k1 by default).
    seal: Seal,
    broker_key: SecretKey,
    /// Whether frames carry the broker's signature (off for a shadow, whose frames are only
    /// read for what they say: [`Engine::without_frame_signatures`]).
    sign_frames: bool,
}

impl Sealer {
    /// Decodes `bytes` and recovers the signers of a request's signatures.
    pub fn prepare(&self, bytes: &[u8]) -> Prepared {
        let inbound = decode(bytes);
        let recovered = match &inbound {
            Inbound::Request(request) => {
                let digest = keccak256(request.raw.as_bytes());
                let signers = request
                    .sig
                    .iter()
                    .map(|s| self.seal.recover(&digest, s))
                    .collect();
                Some((digest, signers))
            }
            _ => None,
        };
        Prepared { inbound, recovered }
    }

    /// Signs every frame (RSIG-1), in order, each once for all its connections.
    pub fn seal(&self, frames: Vec<Unsealed>) -> Vec<Out> {
        let mut out = Vec::with_capacity(frames.len());
        for Unsealed { res, to } in frames {
            if to.is_empty() {
                continue;
            }
            let text = self.sign(&res);
            out.extend(to.into_iter().map(|conn| Out {
                conn,
                text: text.clone(),
            }));
        }
        out
    }

    /// A `res` array in its frame, sealed (signed) unless [`Engine::without_frame_signatures`].
    fn sign(&self, res: &str) -> String {
        if self.sign_frames {
            encode::sealed_frame(&self.seal, &self.broker_key, res)
        } else {
            format!("{{\"res\":{res},\"sig\":[\"0x{}\"]}}", "00".repeat(65))
        }
    }
}

/// The broker's side of every connection.
#[derive(Debug, Clone)]
pub struct Engine {
    pub model: Model,
    /// The broker key, the seal and whether frames are signed.
    sealer: Sealer,
    assets: Vec<Asset>,
    next_conn: ConnId,
    /// Challenges are derived from this seed and a counter, so a run is reproducible.
    challenge_seed: u64,
    challenges_issued: u64,
    fault: Option<Fault>,
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
            sealer: Sealer {
                seal: Seal::Secp256k1,
                broker_key,
                sign_frames: true,
            },
            assets,
            next_conn: 1,
            challenge_seed,
            challenges_issued: 0,
            fault: None,
        }
    }

    /// Signs and checks signatures through `seal` (see [`Seal`]; fuzz targets use its cache or
    /// its stand-in).
    pub fn with_seal(mut self, seal: Seal) -> Self {
        self.sealer.seal = seal;
        self
    }

    pub fn seal(&self) -> &Seal {
        &self.sealer.seal
    }

    /// The reference broker of vectors, certify and fuzzing: the model of `profile` with the
    /// default config (usdc enabled), announcing usdc.
    pub fn reference(profile: Profile, broker_key: SecretKey, challenge_seed: u64) -> Self {
        Self::serving(profile, &["usdc".to_string()], broker_key, challenge_seed)
    }

    /// A reference broker that enables and announces `assets` (test assets, see [`Asset::test`]).
    pub fn serving(
        profile: Profile,
        assets: &[String],
        broker_key: SecretKey,
        challenge_seed: u64,
    ) -> Self {
        let config = Config {
            assets: assets.to_vec(),
            ..Config::default()
        };
        let announced = assets.iter().map(|a| Asset::test(a)).collect();
        Self::new(
            Model::new(profile, config),
            broker_key,
            announced,
            challenge_seed,
        )
    }

    /// Makes this broker carry a seeded bug (for proving the harness catches it).
    pub fn with_fault(mut self, fault: Option<Fault>) -> Self {
        self.fault = fault;
        self
    }

    /// Frames with a placeholder signature instead of the broker's (65 zero bytes): for a
    /// shadow, whose frames are parsed for their method and params and never sent, so a
    /// signature per frame (~46 µs) buys nothing. JWTs are still signed: their text is part of
    /// what the shadow expects.
    pub fn without_frame_signatures(mut self) -> Self {
        self.sealer.sign_frames = false;
        self
    }

    /// Becomes a copy of `fresh` (a broker reset), except that connection ids keep counting:
    /// a connection of before the reset must never be mistaken for one of after.
    pub fn reset_to(&mut self, fresh: &Engine) {
        let next_conn = self.next_conn.max(fresh.next_conn);
        *self = fresh.clone();
        self.next_conn = next_conn;
    }

    pub fn broker_address(&self) -> String {
        self.sealer.broker_key.address()
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
        self.sealer
            .sign(&response_array(id, method, params, now_ms))
    }

    /// This broker's stateless half: its key and seal.
    pub fn sealer(&self) -> Sealer {
        self.sealer.clone()
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
        self.handle_after_read(conn, bytes, now_ms, None)
    }

    /// The read half of a frame when this broker carries a fault that splits reads from
    /// writes ([`Fault::splits_read_and_write`]); `None` otherwise. The caller releases its
    /// lock, lets other requests run, then calls [`Engine::handle_after_read`] with it.
    pub fn read_phase(&self, conn: ConnId, bytes: &[u8]) -> Option<StaleRead> {
        let fault = self.fault.filter(|f| f.splits_read_and_write())?;
        match decode(bytes) {
            Inbound::Request(r) => fault.read_phase(&self.model, conn, &r.method, &r.params),
            _ => None,
        }
    }

    /// [`Engine::handle`] with what [`Engine::read_phase`] read earlier.
    pub fn handle_after_read(
        &mut self,
        conn: ConnId,
        bytes: &[u8],
        now_ms: u64,
        stale: Option<&StaleRead>,
    ) -> Handled {
        let sealer = self.sealer();
        let prepared = sealer.prepare(bytes);
        let stepped = self.step_prepared(conn, prepared, now_ms, stale);
        Handled {
            frames: sealer.seal(stepped.frames),
            outcome: stepped.outcome,
        }
    }

    /// The stateful middle of [`Engine::handle_after_read`]: the model's step on a prepared
    /// frame, and the frames it produced, in order, not yet signed.
    pub fn step_prepared(
        &mut self,
        conn: ConnId,
        prepared: Prepared,
        now_ms: u64,
        stale: Option<&StaleRead>,
    ) -> Stepped {
        let request = match prepared.inbound {
            Inbound::Empty => {
                return Stepped {
                    frames: vec![],
                    outcome: None,
                }
            }
            // WIRE-16: an envelope error is a normal broker-signed response. Q-32: before the
            // request id is read, the broker's clock stands in for it.
            Inbound::Rejected { message, id, .. } => {
                let params = json!({ "error": message });
                let res = response_array(id.unwrap_or(now_ms), "error", &params, now_ms);
                return Stepped {
                    frames: vec![Unsealed {
                        res,
                        to: vec![conn],
                    }],
                    outcome: None,
                };
            }
            Inbound::Request(request) => request,
        };
        let (digest, signatures) = prepared
            .recovered
            .expect("a request is prepared with its signers");
        let challenge = self.next_challenge();
        let first_sig = request.sig.first();
        let seal = &self.sealer.seal;
        let policy_signer = move |policy: &crate::crypto::eip712::Policy| -> Option<String> {
            seal.recover(&policy.digest().ok()?, first_sig?)
        };
        let broker_key = &self.sealer.broker_key;
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
            Some(fault) => fault.step_after_read(&mut self.model, &call, stale),
            None => self.model.step(&call),
        };
        if self.fault.is_some_and(Fault::swallows) {
            self.model.take_history_sender();
            return Stepped {
                frames: vec![],
                outcome: Some(outcome),
            };
        }
        let mut frames = Vec::new();
        self.push_notifications(&outcome.notifications, now_ms, &mut frames);
        // WIRE-12a: the reply's ts is the broker's clock, even before a future-dated request's.
        let (method, params) = self.reply_parts(&request, &outcome.response);
        // A seeded fault may answer under another id (`wrong-reply-id`).
        let reply_id = self
            .fault
            .map_or(request.id, |f| f.reply_id(&request.method, request.id));
        let res = response_array(reply_id, &method, &params, now_ms);
        if let Some(sender) = self.model.take_history_sender() {
            self.record_history(sender, &request, &res);
        }
        frames.push(Unsealed {
            res,
            to: vec![conn],
        });
        self.push_notifications(&outcome.after_response, now_ms, &mut frames);
        Stepped {
            frames,
            outcome: Some(outcome),
        }
    }

    /// The reply's method and params: the model's answer, or the engine's own for what the
    /// model leaves to the broker (`get_config`, `get_assets`, channel operations).
    fn reply_parts(&self, request: &InboundRequest, response: &Expected) -> (String, Value) {
        let error = |text: &str| ("error".to_string(), json!({ "error": text }));
        match response {
            Expected::Ok { method, result } => (method.to_string(), result.clone()),
            Expected::Err(errors) => error(errors.text()),
            Expected::Unmodelled(what) => match request.method.as_str() {
                // API-2, RSIG-2: the address announced is the key that signs every frame and the
                // JWTs.
                "get_config" => (
                    "get_config".into(),
                    json!({"broker_address": self.broker_address(), "networks": []}),
                ),
                "get_assets" => ("get_assets".into(), self.assets_json()),
                _ => error(&format!(
                    "nitrocert reference broker: {} is not modelled ({what})",
                    request.method
                )),
            },
        }
    }

    /// API-10: the history middleware's row for a call of the history group, with the bytes
    /// only the broker has (the request's signatures, the reply's `res`).
    fn record_history(&mut self, sender: String, request: &InboundRequest, res: &str) {
        let recovered = self.model.sigs_recovered();
        self.model.record_rpc(crate::model::books::RpcRow {
            id: 0,
            sender,
            req_id: request.id,
            method: request.method.clone(),
            params: crate::model::books::go_any_json(&request.params),
            timestamp: request.ts,
            req_sig: request
                .sig
                .iter()
                .enumerate()
                .map(|(i, s)| crate::model::books::history_signature(s, i < recovered))
                .collect(),
            response: res.to_string(),
        });
    }

    fn push_notifications(
        &self,
        notifications: &[Notification],
        now_ms: u64,
        out: &mut Vec<Unsealed>,
    ) {
        for n in notifications {
            // AS-NOTIF-1: a notification is a `res` frame with request id 0.
            let res = response_array(0, n.method, &n.params, now_ms);
            let to = match &n.to {
                Recipient::Conn(c) => vec![*c],
                Recipient::Wallet(w) => self.model.auth.connections_of(w),
            };
            out.push(Unsealed { res, to });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::identity::{derive, Role};
    use crate::model::{Config, Profile};
    use crate::wire::{encode_req, encode_signed, parse_frame, sign_req};

    const NOW: u64 = 1_700_000_000_000;

    /// The reply frame of one request (the last frame for `conn`).
    fn reply(engine: &mut Engine, conn: ConnId, frame: &str, now: u64) -> String {
        let handled = engine.handle(conn, frame.as_bytes(), now);
        handled
            .frames
            .into_iter()
            .rev()
            .find(|o| o.conn == conn && !o.text.starts_with("{\"res\":[0,"))
            .expect("a reply")
            .text
    }

    #[test]
    fn api_10_rpc_history_rows_carry_the_request_and_the_reply() {
        let alice = derive(3, Role::Wallet, 0);
        let bob = derive(3, Role::Wallet, 1);
        let mut model = Model::new(Profile::Clearnode052, Config::default());
        model.fund(&alice.address(), "usdc", &crate::model::amount::dec("10"));
        let mut engine = Engine::new(model, derive(3, Role::Broker, 0), vec![], 3);
        let (conn, _) = engine.connect(NOW);
        engine.model.login(conn, &alice.address(), NOW);
        // A failed call is recorded too; keys come back sorted, numbers as Go floats.
        let params = json!({"destination": bob.address(),
            "allocations": [{"asset": "usdc", "amount": "1000"}], "a<b": 1e21});
        let req = encode_req(7, "transfer", &params, NOW);
        let sigs = sign_req(&req, std::slice::from_ref(&alice));
        let sent = encode_signed(&req, &sigs);
        let answer = reply(&mut engine, conn, &sent, NOW + 5);
        // Not in the history group: not recorded.
        let ping = encode_signed(&encode_req(8, "ping", &json!({}), NOW), &[]);
        reply(&mut engine, conn, &ping, NOW + 6);
        let ask = encode_signed(&encode_req(9, "get_rpc_history", &json!({}), NOW), &[]);
        let history = parse_frame(&reply(&mut engine, conn, &ask, NOW + 7)).unwrap();
        let rows = history.params["rpc_entries"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        let row = &rows[0];
        assert_eq!(row["id"], 1);
        assert_eq!(row["sender"], json!(alice.address()));
        assert_eq!(row["req_id"], 7);
        assert_eq!(row["method"], "transfer");
        assert_eq!(
            row["params"],
            json!(format!(
                "{{\"a\\u003cb\":1e+21,\"allocations\":[{{\"amount\":\"1000\",\"asset\":\"usdc\"}}],\"destination\":\"{}\"}}",
                bob.address()
            ))
        );
        assert_eq!(row["timestamp"], NOW);
        // SIG-8: v rewritten to 0/1, and the request's signatures again as res_sig.
        let v = &sigs[0][sigs[0].len() - 2..];
        let shown = row["req_sig"][0].as_str().unwrap();
        assert_eq!(&shown[..shown.len() - 2], &sigs[0][..sigs[0].len() - 2]);
        assert_eq!(
            &shown[shown.len() - 2..],
            if v == "1b" { "00" } else { "01" }
        );
        assert_eq!(row["res_sig"], row["req_sig"]);
        // The reply's `res` array, byte for byte.
        let res_start = answer.find('[').unwrap();
        let res_end = answer.find(",\"sig\":").unwrap();
        assert_eq!(row["response"], json!(&answer[res_start..res_end]));
        assert!(answer.contains("insufficient funds"));

        // A channel operation is refused (not modelled) but recorded, as Clearnode records
        // every call of the history group; newest first.
        let chan = encode_req(10, "create_channel", &json!({"chain_id": 1}), NOW + 1);
        let chan = encode_signed(&chan, &sign_req(&chan, std::slice::from_ref(&alice)));
        let refused = reply(&mut engine, conn, &chan, NOW + 8);
        assert!(
            refused.contains("create_channel is not modelled"),
            "{refused}"
        );
        let ask = encode_signed(&encode_req(11, "get_rpc_history", &json!({}), NOW), &[]);
        let history = parse_frame(&reply(&mut engine, conn, &ask, NOW + 9)).unwrap();
        let methods: Vec<&str> = history.params["rpc_entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["method"].as_str().unwrap())
            .collect();
        assert_eq!(methods, vec!["create_channel", "transfer"]);
    }

    #[test]
    fn l_18_a_request_id_past_bigint_is_answered_but_not_listed() {
        let alice = derive(3, Role::Wallet, 0);
        let model = Model::new(Profile::Clearnode052, Config::default());
        let mut engine = Engine::new(model, derive(3, Role::Broker, 0), vec![], 3);
        let (conn, _) = engine.connect(NOW);
        engine.model.login(conn, &alice.address(), NOW);
        for id in [u64::MAX, i64::MAX as u64] {
            let params = json!({"destination": "0x", "allocations": []});
            let req = encode_req(id, "transfer", &params, NOW);
            let sent = encode_signed(&req, &sign_req(&req, std::slice::from_ref(&alice)));
            assert!(reply(&mut engine, conn, &sent, NOW + 1).contains("invalid destination"));
        }
        let ask = encode_signed(&encode_req(9, "get_rpc_history", &json!({}), NOW), &[]);
        let history = parse_frame(&reply(&mut engine, conn, &ask, NOW + 2)).unwrap();
        let ids: Vec<u64> = history.params["rpc_entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["req_id"].as_u64().unwrap())
            .collect();
        assert_eq!(ids, vec![i64::MAX as u64]);
    }

    #[test]
    fn l_12_a_request_refused_before_recovery_keeps_its_v() {
        let alice = derive(3, Role::Wallet, 0);
        let bob = derive(3, Role::Wallet, 1);
        let model = Model::new(Profile::Clearnode052, Config::default());
        let mut engine = Engine::new(model, derive(3, Role::Broker, 0), vec![], 3);
        let (conn, _) = engine.connect(NOW);
        engine.model.login(conn, &alice.address(), NOW);
        let history_v = |engine: &mut Engine, params: Value, signers: &[&SecretKey], id: u64| {
            let req = encode_req(id, "transfer", &params, NOW);
            let keys: Vec<SecretKey> = signers.iter().map(|k| (*k).clone()).collect();
            let sigs = sign_req(&req, &keys);
            reply(engine, conn, &encode_signed(&req, &sigs), NOW + 1);
            let ask = encode_req(id + 1, "get_rpc_history", &json!({}), NOW);
            let history = parse_frame(&reply(engine, conn, &encode_signed(&ask, &[]), NOW + 2));
            let rows = history.unwrap().params["rpc_entries"].clone();
            let shown: Vec<String> = rows[0]["req_sig"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap()[130..].to_string())
                .collect();
            let sent: Vec<String> = sigs.iter().map(|s| s[130..].to_string()).collect();
            (shown, sent)
        };
        // Go's HandleTransfer refuses a destination that is no address before verifySigner.
        let bad = json!({"destination": "0x", "allocations": [{"asset": "usdc", "amount": "1"}]});
        let (shown, sent) = history_v(&mut engine, bad, &[&alice], 1);
        assert_eq!(shown, sent);
        assert!(sent[0] == "1b" || sent[0] == "1c");
        // Past that check, verifySigner recovers sig[0] only: its v is 0/1, the second's as sent.
        let good = json!({"destination": bob.address(), "allocations": [{"asset": "usdc", "amount": "1"}]});
        let (shown, sent) = history_v(&mut engine, good, &[&alice, &bob], 3);
        assert_eq!(shown[0], if sent[0] == "1b" { "00" } else { "01" });
        assert_eq!(shown[1], sent[1]);
    }
}

//! Scenario tests of the model: the digest's worked scenario (§15), the runbook's Clearnode
//! integration cases, one test per AS-* rule and Q-* quirk, auth, and the spec-profile property.

mod auth_flow;
mod property;
mod quirks;
mod reads;
mod rules;
mod runbook;
mod worked;

use super::amount::{dec, render};
use super::invariants::{check_step, Violation};
use super::*;
use serde_json::{json, Value};

/// Hardhat accounts 0, 1, 2 and 3.
pub const A: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
pub const B: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
pub const C: &str = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
pub const D: &str = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
/// Session-key addresses (Hardhat 4, 5).
pub const KA: &str = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
pub const KB: &str = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";
pub const T0: u64 = 1_700_000_000_000;
pub const CONN_A: ConnId = 1;
pub const CONN_B: ConnId = 2;

/// A model with A and B logged in (connections 1 and 2) and funded.
pub struct H {
    pub m: Model,
    pub now: u64,
    /// Invariant violations seen after each step.
    pub violations: Vec<(String, Violation)>,
}

impl H {
    pub fn new(profile: Profile) -> H {
        let mut m = Model::new(profile, Config::default());
        m.login(CONN_A, A, T0);
        m.login(CONN_B, B, T0);
        H {
            m,
            now: T0,
            violations: Vec::new(),
        }
    }

    pub fn funded(profile: Profile, amount: &str) -> H {
        let mut h = H::new(profile);
        h.m.fund(A, "usdc", &dec(amount));
        h.m.fund(B, "usdc", &dec(amount));
        h
    }

    pub fn call_on(&mut self, conn: ConnId, method: &str, params: Value, sigs: &[&str]) -> Outcome {
        let sigs: Vec<Option<String>> = sigs.iter().map(|s| Some(s.to_string())).collect();
        self.call_raw(conn, method, &params, &sigs)
    }

    pub fn call_raw(
        &mut self,
        conn: ConnId,
        method: &str,
        params: &Value,
        sigs: &[Option<String>],
    ) -> Outcome {
        self.now += 1000;
        let before = self.m.snapshot();
        let call = Call::new(conn, method, params, sigs, self.now);
        let out = self.m.step(&call);
        let after = self.m.snapshot();
        for v in check_step(&before, &after, out.is_ok()) {
            self.violations.push((method.to_string(), v));
        }
        out
    }

    /// Caller A (connection 1).
    pub fn call(&mut self, method: &str, params: Value, sigs: &[&str]) -> Outcome {
        self.call_on(CONN_A, method, params, sigs)
    }

    pub fn bal(&self, w: &str) -> String {
        render(&self.m.unified_balance(w, "usdc"))
    }

    pub fn sbal(&self, sid: &str, w: &str) -> String {
        render(&self.m.session_balance(sid, w, "usdc"))
    }

    pub fn total(&self) -> String {
        render(&self.m.total("usdc"))
    }

    /// Creates a session and returns its id; panics on failure.
    pub fn create(&mut self, def: Value, allocs: Value, sigs: &[&str]) -> String {
        let out = self.call(
            "create_app_session",
            json!({"definition": def, "allocations": allocs}),
            sigs,
        );
        ok(&out)["app_session_id"].as_str().expect("id").to_string()
    }

    /// Registers a session key through auth_request + auth_verify on `conn`.
    pub fn register_key(
        &mut self,
        conn: ConnId,
        wallet: &str,
        key: &str,
        application: &str,
        allowances: Value,
        expires_at_s: u64,
    ) -> Outcome {
        let params = json!({"address": wallet, "session_key": key, "application": application,
            "allowances": allowances, "expires_at": expires_at_s, "scope": "app"});
        let out = self.call_on(conn, "auth_request", params, &[]);
        let challenge = ok(&out)["challenge_message"].as_str().unwrap().to_string();
        let sigs = vec![Some("0xsig".to_string())];
        let signer = |p: &crate::crypto::eip712::Policy| Some(p.wallet.clone());
        let params = json!({"challenge": challenge});
        self.now += 1000;
        let mut call = Call::new(conn, "auth_verify", &params, &sigs, self.now);
        call.auth.policy_signer = Some(&signer);
        self.m.step(&call)
    }
}

pub fn ok(out: &Outcome) -> &Value {
    match &out.response {
        Expected::Ok { result, .. } => result,
        other => panic!("expected success, got {other:?}"),
    }
}

pub fn err(out: &Outcome) -> String {
    match &out.response {
        Expected::Err(e) => {
            assert_eq!(
                e.texts.len(),
                1,
                "expected one error text, got {:?}",
                e.texts
            );
            e.texts[0].clone()
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

pub fn errs(out: &Outcome) -> Vec<String> {
    match &out.response {
        Expected::Err(e) => e.texts.clone(),
        other => panic!("expected an error, got {other:?}"),
    }
}

pub fn def(
    app: &str,
    proto: &str,
    parts: &[&str],
    weights: &[i64],
    quorum: u64,
    nonce: u64,
) -> Value {
    json!({"application": app, "protocol": proto, "participants": parts, "weights": weights,
        "quorum": quorum, "challenge": 0, "nonce": nonce})
}

pub fn allocs(rows: &[(&str, &str)]) -> Value {
    Value::Array(
        rows.iter()
            .map(|(p, a)| json!({"participant": p, "asset": "usdc", "amount": a}))
            .collect(),
    )
}

/// (method, recipient wallet or conn) of each notification, for order assertions.
pub fn notes(out: &Outcome) -> Vec<(String, String)> {
    out.notifications
        .iter()
        .map(|n| {
            let to = match &n.to {
                Recipient::Wallet(w) => w.clone(),
                Recipient::Conn(c) => format!("conn{c}"),
            };
            (n.method.to_string(), to)
        })
        .collect()
}

pub fn n(method: &str, to: &str) -> (String, String) {
    (method.to_string(), to.to_string())
}

pub fn submit(id: &str, intent: &str, version: u64, rows: &[(&str, &str)]) -> Value {
    json!({"app_session_id": id, "intent": intent, "version": version, "allocations": allocs(rows)})
}

pub fn close(id: &str, rows: &[(&str, &str)]) -> Value {
    json!({"app_session_id": id, "allocations": allocs(rows)})
}

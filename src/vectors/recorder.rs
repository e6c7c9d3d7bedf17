//! Filling a case: a scenario script drives a [`Recorder`], which plans every step on a
//! [`Shadow`] (the reference broker) and records the exact bytes sent and what the model
//! expects back. A case is recorded once per profile and the two recordings are merged.

use super::format::{
    Action as FileAction, AllowanceSpec, Auth, Balance, Connection, Expect, ExpectOrSame, Identity,
    RawTemplate, SigSpec, Step,
};
use crate::crypto::SecretKey;
use crate::model::{amount::parse_decimal, ChannelStatus, Model, Outcome, Profile};
use crate::scenario::{Action, Books, Reply, Role, Shadow, VerifySpec};
use serde_json::Value;
use std::collections::BTreeMap;

pub use crate::crypto::identity::vector_key as identity_key;

/// The broker clock at the first step of every case (2023-11-14T22:13:20Z).
pub const START_MS: u64 = 1_700_000_000_000;
/// Gap between steps, so timestamps stay distinct and readable.
const STEP_MS: u64 = 1_000;

/// The reference broker's key in vectors.
pub fn broker_key() -> SecretKey {
    identity_key("broker")
}

/// Records one case under one profile.
pub struct Recorder {
    pub profile: Profile,
    shadow: Shadow,
    identities: Vec<Identity>,
    balances: Vec<Balance>,
    connections: Vec<Connection>,
    pub(crate) steps: Vec<Step>,
    last: Option<Outcome>,
}

impl Recorder {
    pub fn new(profile: Profile) -> Self {
        Self {
            profile,
            shadow: Shadow::new(profile, START_MS),
            identities: Vec::new(),
            balances: Vec::new(),
            connections: Vec::new(),
            steps: Vec::new(),
            last: None,
        }
    }

    /// The broker clock of the next step.
    pub fn now_ms(&self) -> u64 {
        self.shadow.now_ms()
    }

    fn identity(&mut self, name: &str, role: Role) -> String {
        if let Ok(address) = self.shadow.address(name) {
            return address.to_string();
        }
        let key = identity_key(name);
        let private_key = key.to_hex();
        let address = self.shadow.declare(name, role, key);
        self.identities.push(Identity {
            name: name.to_string(),
            role,
            private_key,
            address: address.clone(),
        });
        address
    }

    /// Declares a wallet and returns its EIP-55 address.
    pub fn wallet(&mut self, name: &str) -> String {
        self.identity(name, Role::Wallet)
    }

    /// Declares a session key and returns its address.
    pub fn session_key(&mut self, name: &str) -> String {
        self.identity(name, Role::SessionKey)
    }

    /// The address of a declared identity.
    pub fn addr(&self, name: &str) -> String {
        self.shadow
            .address(name)
            .unwrap_or_else(|e| panic!("{e}"))
            .to_string()
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
        self.wallet(wallet);
        let amount = parse_decimal(amount).expect("a decimal amount");
        self.shadow
            .fund(wallet, asset, &amount)
            .unwrap_or_else(|e| panic!("{e}"));
        self.balances.push(Balance {
            wallet: wallet.to_string(),
            asset: asset.to_string(),
            amount,
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
        let handshake = self
            .shadow
            .connect(name, auth.as_ref())
            .unwrap_or_else(|e| panic!("setup handshake of {name}: {e}"));
        if let Some(planned) = handshake {
            assert!(
                matches!(planned.expect.reply, Reply::Ok { .. }),
                "setup handshake of {name} failed: {:?}",
                planned.expect.reply
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
        self.step(Action::Request {
            conn: conn.to_string(),
            method: method.to_string(),
            params,
            signers: signers.iter().map(|s| s.to_string()).collect(),
            ts_offset_ms,
        });
        self.last.as_ref().expect("just recorded")
    }

    /// Sends `text` byte for byte.
    pub fn raw(&mut self, conn: &str, text: &str) {
        self.step(Action::Raw {
            conn: conn.to_string(),
            text: text.to_string(),
        });
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
    pub fn raw_template(&mut self, conn: &str, template: RawTemplate) {
        self.step(Action::Template {
            conn: conn.to_string(),
            template,
        });
    }

    /// A signature handshake as a step (its expected response is the `auth_verify` reply).
    pub fn authenticate(&mut self, conn: &str, auth: Auth) -> &Outcome {
        self.step(Action::Authenticate {
            conn: conn.to_string(),
            auth,
        });
        self.last.as_ref().expect("just recorded")
    }

    /// An `auth_verify` built from the last `auth_request` answered on `spec.policy_conn` (or
    /// `conn`) and its issued challenge (see [`VerifySpec`]; scripts may spell it as an
    /// [`AuthVerify`](super::format::AuthVerify)).
    pub fn auth_verify(&mut self, conn: &str, spec: impl Into<VerifySpec>) -> &Outcome {
        self.step(Action::AuthVerify {
            conn: conn.to_string(),
            spec: spec.into(),
        });
        self.last.as_ref().expect("just recorded")
    }

    /// Harness hook: `wallet` now has a channel (AS-CHAN-1/2).
    pub fn channel(&mut self, wallet: &str, status: ChannelStatus, amount: &str) {
        self.step(Action::Channel {
            wallet: wallet.to_string(),
            status,
            amount: parse_decimal(amount).expect("a decimal amount"),
        });
    }

    /// Moves the broker clock forward (expiry, stale timestamps).
    pub fn advance(&mut self, ms: u64) {
        self.shadow.set_now(self.shadow.now_ms() + ms);
    }

    /// Plans `action` on the shadow and records it; the clock then ticks.
    fn step(&mut self, action: Action) {
        let at = self.shadow.now_ms();
        let planned = self
            .shadow
            .plan(&action)
            .unwrap_or_else(|e| panic!("step {}: {e}", self.steps.len()));
        // Filling a vector must never reach an unmodelled path (the catalogue would be wrong).
        if let Reply::Unmodelled(what) = &planned.expect.reply {
            panic!("a vector step reached an unmodelled path: {what}");
        }
        let expect = ExpectOrSame::Expect(Box::new(Expect::from(&planned.expect)));
        self.steps.push(Step {
            at_ms: at - START_MS,
            conn: action.conn().to_string(),
            action: FileAction::recorded(&action, &planned.outgoing, at),
            expect: BTreeMap::from([(self.profile.name().to_string(), expect)]),
        });
        if planned.outcome.is_some() {
            self.last = planned.outcome;
        }
        self.shadow.set_now(at + STEP_MS);
    }

    /// What this profile expects of the step recorded last (for checks inside scripts).
    pub fn last_expected(&self) -> Option<&Expect> {
        match self.steps.last()?.expect.get(self.profile.name())? {
            ExpectOrSame::Expect(e) => Some(e),
            ExpectOrSame::Same { .. } => None,
        }
    }

    /// Observable state: unified balances of every identity, and every session.
    pub fn state(&self) -> Books {
        self.shadow.books()
    }

    /// The model as it stands (for assertions inside scenario scripts).
    pub fn model(&self) -> &Model {
        self.shadow.model()
    }

    pub(crate) fn into_parts(self) -> RecordedCase {
        RecordedCase {
            identities: self.identities,
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

/// Allowance rows for an [`Auth`].
pub fn allowances(rows: &[(&str, &str)]) -> Vec<AllowanceSpec> {
    rows.iter()
        .map(|(asset, amount)| AllowanceSpec {
            asset: asset.to_string(),
            amount: amount.to_string(),
        })
        .collect()
}

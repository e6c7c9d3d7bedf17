//! The state a generator draws from: a model of one profile, set up exactly as a
//! [`Recorder`](crate::vectors::recorder::Recorder) sets up a generated case (the same names,
//! addresses, connections, root session keys, funding and clock), but stepped directly with
//! signer addresses instead of signed frames, so drawing and shrinking cost no cryptography.

use crate::model::amount::parse_decimal;
use crate::model::{AuthInputs, Call, Config, ConnId, Detail, Model, Outcome, Profile};
use crate::vectors::recorder::{identity_key, START_MS};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Wallet names, in the order a setup declares them; each gets a connection of the same name.
pub const WALLETS: [&str; 4] = ["A", "B", "C", "D"];
/// A wallet with no connection and no funds: a foreign signer, a non-participant row.
pub const OUTSIDER: &str = "X";
/// Recorder steps are this far apart (its clock ticks once per step).
pub const STEP_MS: u64 = 1_000;
/// How long the root session keys of the setup live (the Recorder's `root_auth`).
const ROOT_KEY_LIFETIME_S: u64 = 86_400;

/// The session key a wallet registers at login (the Recorder's `root_auth` naming).
pub fn session_key_name(wallet: &str) -> String {
    format!("{wallet}.sk")
}

/// The fixed address of an identity name (the Recorder's `identity_key`), computed once per
/// name: a key derivation costs more than a model step.
pub fn address(name: &str) -> &'static str {
    // Looked up several times per generated step: a fast fixed hasher (the names are ours).
    type Names = HashMap<String, String, foldhash::fast::FixedState>;
    static CACHE: OnceLock<Names> = OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        let mut names: Vec<String> = WALLETS.iter().map(|w| w.to_string()).collect();
        names.extend(WALLETS.iter().map(|w| session_key_name(w)));
        names.push(OUTSIDER.to_string());
        names
            .into_iter()
            .map(|n| {
                let a = identity_key(&n).address();
                (n, a)
            })
            .collect()
    });
    cache
        .get(name)
        .unwrap_or_else(|| panic!("{name} is not a generator identity"))
}

/// The Recorder's handshake on `conn` (`auth_request` then `auth_verify`, registering
/// `<wallet>.sk` for application `clearnode`), with the policy signature taken as valid: the
/// model decides who signed from what the caller says (no cryptography).
pub fn login(model: &mut Model, conn: ConnId, wallet: &str, now_ms: u64) {
    let wallet_address = address(wallet).to_string();
    let params = json!({
        "address": wallet_address,
        "session_key": address(&session_key_name(wallet)),
        "application": "clearnode",
        "allowances": [],
        "expires_at": now_ms / 1000 + ROOT_KEY_LIFETIME_S,
        "scope": "console",
    });
    let out = model.step(&Call::new(conn, "auth_request", &params, &[], now_ms));
    let challenge = out
        .response
        .result()
        .and_then(|r| r["challenge_message"].as_str())
        .expect("auth_request issues a challenge")
        .to_string();
    let signer = wallet_address.clone();
    let policy_signer = move |_: &crate::crypto::eip712::Policy| Some(signer.clone());
    let sigs = [Some(wallet_address)];
    let verify = json!({ "challenge": challenge });
    let call = Call {
        auth: AuthInputs {
            policy_signer: Some(&policy_signer),
            ..AuthInputs::default()
        },
        ..Call::new(conn, "auth_verify", &verify, &sigs, now_ms)
    };
    let out = model.step(&call);
    assert!(out.is_ok(), "setup login of {wallet}: {:?}", out.response);
}

/// A world with `names` logged in (connection ids in declaration order, from 1, as the engine
/// numbers them) and nothing funded. The logins are eight model steps of JSON per wallet, more
/// than most fuzz inputs cost, and their result depends only on the names: each thread keeps
/// the worlds it built and hands out copies.
fn logged_in(profile: Profile, names: Vec<String>) -> World {
    thread_local! {
        static BUILT: std::cell::RefCell<HashMap<(Profile, Vec<String>), World>> =
            Default::default();
    }
    let key = (profile, names);
    if let Some(world) = BUILT.with_borrow(|built| built.get(&key).cloned()) {
        return world;
    }
    let (profile, names) = key;
    let mut world = World {
        model: Model::new(profile, Config::default()),
        now_ms: START_MS,
        names: names.clone(),
        conns: HashMap::new(),
    };
    for (i, name) in names.iter().enumerate() {
        let conn = i as ConnId + 1;
        login(&mut world.model, conn, name, START_MS);
        world.conns.insert(name.clone(), conn);
    }
    BUILT.with_borrow_mut(|built| {
        if built.len() >= 64 {
            built.clear();
        }
        built.insert((profile, names), world.clone());
    });
    world
}

/// Credits every wallet of `setup` (the outsider included) as the setup says.
pub fn fund(model: &mut Model, setup: &Setup) {
    for w in setup.wallets.iter().chain(std::iter::once(&setup.outsider)) {
        for (asset, amount) in &w.funds {
            let value = parse_decimal(amount).expect("setup amounts are decimals");
            model.fund(address(&w.name), asset, &value);
        }
    }
}

/// One funded wallet of a setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletSetup {
    pub name: String,
    /// (asset, amount) credited before the first step.
    pub funds: Vec<(String, String)>,
}

/// What exists before the first step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    pub wallets: Vec<WalletSetup>,
    /// The outsider's funds (a case declares and funds it only when a step names it).
    pub outsider: WalletSetup,
}

/// One concrete request: what a Recorder script sends (`request_at`).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The connection (a wallet name) it is sent on.
    pub conn: String,
    pub method: String,
    pub params: Value,
    /// Identity names, in `sig` order.
    pub signers: Vec<String>,
    /// `req[3]` minus the broker clock.
    pub ts_offset_ms: i64,
}

/// A model with a generated case's setup, stepped without signatures.
#[derive(Debug, Clone)]
pub struct World {
    model: Model,
    now_ms: u64,
    names: Vec<String>,
    conns: HashMap<String, ConnId>,
}

impl World {
    pub fn new(profile: Profile, setup: &Setup) -> World {
        let names: Vec<String> = setup.wallets.iter().map(|w| w.name.clone()).collect();
        let mut world = logged_in(profile, names);
        fund(&mut world.model, setup);
        world
    }

    /// A world over `model` (a shadow's, stepped with signed frames) for drawing and
    /// materializing plans: the setup's wallets, connections numbered as [`World::new`] does.
    pub fn over(model: Model, setup: &Setup, now_ms: u64) -> World {
        World {
            model,
            now_ms,
            names: setup.wallets.iter().map(|w| w.name.clone()).collect(),
            conns: (setup.wallets.iter().enumerate())
                .map(|(i, w)| (w.name.clone(), i as ConnId + 1))
                .collect(),
        }
    }

    /// How much of each outcome the model builds (see [`Detail`]); `Full` unless set.
    pub fn set_detail(&mut self, detail: Detail) {
        self.model.set_detail(detail);
    }

    /// Sends one request and moves the clock as the Recorder does.
    pub fn play(&mut self, request: &Request) -> Outcome {
        let conn = self.conn(&request.conn);
        let sigs: Vec<Option<String>> = request
            .signers
            .iter()
            .map(|n| Some(address(n).to_string()))
            .collect();
        let call = Call {
            ts: (self.now_ms as i64 + request.ts_offset_ms).max(0) as u64,
            ..Call::new(conn, &request.method, &request.params, &sigs, self.now_ms)
        };
        let outcome = self.model.step(&call);
        self.now_ms += STEP_MS;
        outcome
    }

    pub fn conn(&self, name: &str) -> ConnId {
        *self
            .conns
            .get(name)
            .unwrap_or_else(|| panic!("no connection {name}"))
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// The setup's wallet names, in order.
    pub fn wallets(&self) -> &[String] {
        &self.names
    }

    /// The identity name of an address, if it is one of the generator's identities.
    pub fn name_of(&self, address_text: &str) -> Option<String> {
        self.names
            .iter()
            .map(String::as_str)
            .chain(std::iter::once(OUTSIDER))
            .find(|n| address(n) == address_text)
            .map(str::to_string)
    }
}

//! The fidelity generator: the sequences of [`super::script`] plus steps it never makes (reads
//! with odd list options, re-authentication, key revocation), each step possibly carrying one
//! wire-level [`Mutation`]. Where the plain generator steps a model with signer names, this one
//! plays every step as signed bytes through a [`Shadow`] per profile, because a mutation acts
//! on bytes (a malleated signature, a duplicate key) that only the engine reads as the broker
//! does. A step the model does not decide under some profile is dropped, as in
//! [`super::script::Player`]: the vector must be fillable.

use super::materialize::materialize;
use super::mutate::{self, Cast, Mutation, Wire};
use super::op::{draw, GenConfig, Op};
use super::script::draw_setup;
use super::world::{session_key_name, Request, Setup, World, OUTSIDER};
use crate::model::Profile;
use crate::scenario::{
    Action, AllowanceSpec, Auth, Challenge, Planned, RawTemplate, Reply, Role, Shadow, SignKind,
    VerifySpec,
};
use crate::vectors::recorder::{identity_key, START_MS};
use crate::vectors::{Case, Vector};
use arbitrary::{Arbitrary, Result, Unstructured};
use serde_json::{json, Value};

/// Recorder steps are this far apart.
const STEP_MS: u64 = 1_000;
/// How long the setup's root keys live (the Recorder's `root_auth`).
const ROOT_KEY_LIFETIME_S: u64 = 86_400;

/// Knobs of the fidelity generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FidelityGen {
    pub gen: GenConfig,
    /// Percentage of steps carrying a wire-level mutation.
    pub mutate_percent: u8,
    /// Percentage of steps that are reads, logins or revocations instead of a generator op.
    pub extra_percent: u8,
}

impl Default for FidelityGen {
    fn default() -> Self {
        FidelityGen {
            gen: GenConfig::default(),
            mutate_percent: 35,
            extra_percent: 25,
        }
    }
}

/// A read method with list options or filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
pub enum ReadMethod {
    LedgerEntries,
    LedgerTransactions,
    RpcHistory,
    AppSessions,
    Channels,
    LedgerBalances,
    SessionKeys,
    AppDefinition,
    UserTag,
    Config,
    Assets,
}

impl ReadMethod {
    /// The params without which the method would list every client's rows: mutations leave
    /// them alone.
    fn filters(self) -> &'static [&'static str] {
        match self {
            ReadMethod::AppSessions | ReadMethod::Channels => &["participant"],
            ReadMethod::LedgerTransactions => &["account_id"],
            ReadMethod::LedgerEntries => &["wallet"],
            _ => &[],
        }
    }

    fn name(self) -> &'static str {
        match self {
            ReadMethod::LedgerEntries => "get_ledger_entries",
            ReadMethod::LedgerTransactions => "get_ledger_transactions",
            ReadMethod::RpcHistory => "get_rpc_history",
            ReadMethod::AppSessions => "get_app_sessions",
            ReadMethod::Channels => "get_channels",
            ReadMethod::LedgerBalances => "get_ledger_balances",
            ReadMethod::SessionKeys => "get_session_keys",
            ReadMethod::AppDefinition => "get_app_definition",
            ReadMethod::UserTag => "get_user_tag",
            ReadMethod::Config => "get_config",
            ReadMethod::Assets => "get_assets",
        }
    }
}

/// A read: which method, whose rows (`subject`), filters and list options (each `None`:
/// absent; else an index into its list of odd values, wrapping).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
pub struct Read {
    pub method: ReadMethod,
    pub subject: u8,
    pub filter: Option<u8>,
    pub sort: Option<u8>,
    pub limit: Option<u8>,
    pub offset: Option<u8>,
}

/// The session key a login registers, relative to the wallet that logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
pub enum KeyRelation {
    /// A key never seen before.
    Fresh,
    /// The wallet's root key of the setup again (re-authentication with an existing key).
    OwnRoot,
    /// The wallet's own address.
    OwnWallet,
    /// Another wallet's address (FUZZ-4).
    OtherWallet,
    /// Another wallet's root key.
    OtherKey,
    /// The outsider's address.
    Outsider,
}

/// A login on the step's connection: a whole handshake with a key lifetime relative to the
/// clock, or an `auth_request` with an absolute `expires_at` at its edges (and whatever
/// mutation the step carries) answered by an `auth_verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
pub struct Login {
    pub key: KeyRelation,
    pub application: u8,
    pub scope: u8,
    pub allowances: u8,
    /// Handshake: the key's lifetime; request: the absolute `expires_at`.
    pub expiry: u8,
    /// Who signs the Policy: the wallet (mostly), the key itself, another wallet.
    pub signer: u8,
    pub handshake: bool,
}

/// `revoke_session_key` of a key in some relation to the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
pub struct Revoke {
    pub target: u8,
    /// Whether the sender signs through its root key.
    pub via_key: bool,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Plan {
    Op(Op),
    Read { read: Read, conn: u8 },
    Login { login: Login, conn: u8 },
    Revoke { revoke: Revoke, conn: u8 },
}

/// One step: a plan and at most one mutation of its request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Step {
    pub plan: Plan,
    pub mutation: Option<Mutation>,
}

/// A fidelity sequence: regenerate it from these plans.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub setup: Setup,
    pub steps: Vec<Step>,
}

/// One action that was played, with the step it came from and what it is, for grouping
/// divergences: the method and the mutation that was applied (if any was).
#[derive(Debug, Clone)]
pub struct Played {
    pub step: usize,
    pub action: Action,
    pub method: String,
    pub mutation: Option<&'static str>,
    /// Identity names the action needs declared beyond the setup's (fresh keys).
    pub keys: Vec<String>,
}

impl Played {
    /// What a divergence at this action is grouped by: `method` or `method/mutation`.
    pub fn label(&self) -> String {
        match self.mutation {
            Some(m) => format!("{}/{m}", self.method),
            None => self.method.clone(),
        }
    }
}

fn draw_extra(u: &mut Unstructured) -> Result<Plan> {
    Ok(match u.int_in_range(0..=9u8)? {
        0..=5 => Plan::Read {
            read: Read::arbitrary(u)?,
            conn: u.arbitrary()?,
        },
        6..=8 => Plan::Login {
            login: Login::arbitrary(u)?,
            conn: u.arbitrary()?,
        },
        _ => Plan::Revoke {
            revoke: Revoke::arbitrary(u)?,
            conn: u.arbitrary()?,
        },
    })
}

fn draw_step(u: &mut Unstructured, world: &World, config: &FidelityGen) -> Result<Step> {
    let plan = if config.extra_percent > 0 && u.ratio(config.extra_percent.min(100), 100u8)? {
        draw_extra(u)?
    } else {
        Plan::Op(draw(u, world, &config.gen)?)
    };
    let mutation = if config.mutate_percent > 0 && u.ratio(config.mutate_percent.min(100), 100u8)? {
        Some(Mutation::arbitrary(u)?)
    } else {
        None
    };
    Ok(Step { plan, mutation })
}

/// Draws a whole fidelity sequence under `profile`.
pub fn generate(u: &mut Unstructured, profile: Profile, config: &FidelityGen) -> Script {
    let setup = draw_setup(u);
    let mut player = Player::new(profile, &setup);
    let mut steps = Vec::new();
    while steps.len() < config.gen.max_steps && !u.is_empty() {
        let Ok(step) = draw_step(u, &player.world(), config) else {
            break;
        };
        if player.push(&step, steps.len()) {
            steps.push(step);
        }
    }
    Script { setup, steps }
}

/// Sequence `index` of the campaign `seed`: its script, what was played and its vector (named
/// `id`); `None` when nothing of it could be played.
pub fn sequence(
    profile: Profile,
    config: &FidelityGen,
    seed: u64,
    index: u64,
    id: &str,
) -> Option<(Script, Vec<Played>, Vector)> {
    let bytes = super::seeded_bytes(seed, index, 2 * super::bytes_for(config.gen.max_steps));
    let script = generate(&mut Unstructured::new(&bytes), profile, config);
    if script.steps.is_empty() {
        return None;
    }
    let played = play(&script, profile);
    let vector = to_vector(id, "", &script, &played);
    Some((script, played, vector))
}

/// Replays a script's plans against fresh shadows.
pub fn play(script: &Script, profile: Profile) -> Vec<Played> {
    let mut player = Player::new(profile, &script.setup);
    for (i, step) in script.steps.iter().enumerate() {
        player.push(step, i);
    }
    player.played
}

/// Plays steps as signed frames on one shadow per profile (the campaign's first).
pub struct Player {
    profile: Profile,
    setup: Setup,
    /// In [`Profile::ALL`] order.
    shadows: Vec<Shadow>,
    now_ms: u64,
    cast: Cast,
    played: Vec<Played>,
    /// The wallets of the case (the outsider included): whose books the harness reads.
    names: std::collections::BTreeSet<String>,
}

/// The Recorder's root handshake of `wallet` (`Recorder::root_auth`).
pub fn root_auth(wallet: &str) -> Auth {
    Auth {
        wallet: wallet.to_string(),
        session_key: session_key_name(wallet),
        application: "clearnode".to_string(),
        scope: "console".to_string(),
        expires_in_s: ROOT_KEY_LIFETIME_S,
        allowances: vec![],
    }
}

/// A shadow set up exactly as [`case`] sets the Recorder up: each wallet and its root key
/// declared and connected, the outsider declared, then every balance funded.
fn set_up(profile: Profile, setup: &Setup) -> Shadow {
    let mut shadow = Shadow::new(profile, START_MS);
    for w in &setup.wallets {
        let sk = session_key_name(&w.name);
        shadow.declare(&w.name, Role::Wallet, identity_key(&w.name));
        shadow.declare(&sk, Role::SessionKey, identity_key(&sk));
        shadow
            .connect(&w.name, Some(&root_auth(&w.name)))
            .expect("the setup handshake plans");
    }
    shadow.declare(OUTSIDER, Role::Wallet, identity_key(OUTSIDER));
    for w in setup.wallets.iter().chain(std::iter::once(&setup.outsider)) {
        for (asset, amount) in &w.funds {
            let amount = crate::model::amount::parse_decimal(amount).expect("setup decimals");
            shadow.fund(&w.name, asset, &amount).expect("declared");
        }
    }
    shadow
}

/// The identities of a setup as a mutation may bring them in.
fn cast_of(setup: &Setup) -> Cast {
    let mut identities: Vec<(String, String)> = Vec::new();
    for w in &setup.wallets {
        identities.push((w.name.clone(), identity_key(&w.name).address()));
    }
    for w in &setup.wallets {
        let sk = session_key_name(&w.name);
        let address = identity_key(&sk).address();
        identities.push((sk, address));
    }
    identities.push((OUTSIDER.into(), identity_key(OUTSIDER).address()));
    Cast {
        identities,
        outsider: OUTSIDER.into(),
    }
}

impl Player {
    pub fn new(profile: Profile, setup: &Setup) -> Self {
        Player {
            profile,
            setup: setup.clone(),
            shadows: Profile::ALL.iter().map(|p| set_up(*p, setup)).collect(),
            now_ms: START_MS,
            names: (setup.wallets.iter().map(|w| w.name.clone()))
                .chain(std::iter::once(OUTSIDER.to_string()))
                .collect(),
            cast: cast_of(setup),
            played: Vec::new(),
        }
    }

    fn main(&self) -> &Shadow {
        let i = Profile::ALL.iter().position(|p| *p == self.profile);
        &self.shadows[i.expect("a profile of ALL")]
    }

    /// The campaign profile's state as a generator world.
    pub fn world(&self) -> World {
        World::over(self.main().model().clone(), &self.setup, self.now_ms)
    }

    pub fn played(&self) -> &[Played] {
        &self.played
    }

    /// Plays one action on every shadow, unless some profile does not decide it; the
    /// campaign profile's plan.
    fn try_action(&mut self, action: &Action) -> Option<Planned> {
        let mut next = Vec::with_capacity(self.shadows.len());
        let mut main = None;
        for (shadow, profile) in self.shadows.iter().zip(Profile::ALL) {
            let mut trial = shadow.clone();
            trial.set_now(self.now_ms);
            let planned = trial.plan(action).ok()?;
            if matches!(planned.expect.reply, Reply::Unmodelled(_)) {
                return None;
            }
            if profile == self.profile {
                if !self.owned(&planned) {
                    return None;
                }
                main = Some(planned);
            }
            next.push(trial);
        }
        self.shadows = next;
        self.now_ms += STEP_MS;
        main
    }

    /// Plays step `index`; whether anything of it was played.
    pub fn push(&mut self, step: &Step, index: usize) -> bool {
        let actions = match &step.plan {
            Plan::Op(op) => self.op_actions(op, step.mutation.as_ref(), index),
            Plan::Read { read, conn } => self.read_actions(read, *conn, step.mutation.as_ref()),
            Plan::Revoke { revoke, conn } => {
                self.revoke_actions(revoke, *conn, step.mutation.as_ref())
            }
            Plan::Login { login, conn } => {
                return self.login(login, *conn, step.mutation.as_ref(), index)
            }
        };
        self.record_first(actions, index).is_some()
    }

    fn record(&mut self, mut played: Played, index: usize) -> Option<Planned> {
        let planned = self.try_action(&played.action)?;
        played.step = index;
        self.played.push(played);
        Some(planned)
    }

    /// Whether the books name only wallets of the case: a step that credits an address
    /// outside them (a transfer to an invalid address, or to a session key) cannot be checked
    /// on a live broker, which the harness reads through one observer per wallet (an address
    /// outside the case is also shared by every case there).
    fn owned(&self, planned: &Planned) -> bool {
        let known = |name: &String| self.names.contains(name);
        let books = &planned.expect.books;
        books.unified.keys().all(known)
            && books.sessions.iter().all(|s| s.balances.keys().all(known))
    }

    fn wallet(&self, conn: u8) -> String {
        let w = &self.setup.wallets;
        w[conn as usize % w.len()].name.clone()
    }

    /// A request as played actions to try in order: mutated (when the step says so and the
    /// mutation applies), then as it is. `keep`: top-level params no mutation touches.
    fn candidates(
        &self,
        request: Request,
        mutation: Option<&Mutation>,
        keep: &[&str],
    ) -> Vec<Played> {
        let played = |wire: Wire, mutation: Option<&'static str>| Played {
            step: 0,
            method: request.method.clone(),
            action: action_of(wire),
            mutation,
            keys: vec![],
        };
        let mut out = Vec::with_capacity(2);
        if let Some(m) = mutation {
            if let Some(wire) = mutate::apply(m, &request, &self.cast, keep) {
                out.push(played(wire, Some(m.kind.name())));
            }
        }
        out.push(played(Wire::Request(request.clone()), None));
        out
    }

    /// Plays the first of `candidates` that every profile decides and that books nothing to
    /// an address outside the case.
    fn record_first(&mut self, candidates: Vec<Played>, index: usize) -> Option<Planned> {
        candidates.into_iter().find_map(|p| self.record(p, index))
    }

    fn op_actions(&self, op: &Op, mutation: Option<&Mutation>, index: usize) -> Vec<Played> {
        let world = self.world();
        match materialize(op, &world, index) {
            Some(request) => self.candidates(request, mutation, &[]),
            None => vec![],
        }
    }

    fn read_actions(&self, read: &Read, conn: u8, mutation: Option<&Mutation>) -> Vec<Played> {
        let conn = self.wallet(conn);
        let params = read_params(read, &conn, &self.cast, self.main());
        let request = Request {
            conn,
            method: read.method.name().to_string(),
            params,
            signers: vec![],
            ts_offset_ms: 0,
        };
        self.candidates(request, mutation, read.method.filters())
    }

    fn revoke_actions(&self, r: &Revoke, conn: u8, mutation: Option<&Mutation>) -> Vec<Played> {
        let conn = self.wallet(conn);
        let target = revoke_target(r.target, &conn, &self.cast, &self.played);
        let signer = if r.via_key {
            session_key_name(&conn)
        } else {
            conn.clone()
        };
        let request = Request {
            conn,
            method: "revoke_session_key".into(),
            params: json!({ "session_key": target }),
            signers: vec![signer],
            ts_offset_ms: 0,
        };
        self.candidates(request, mutation, &[])
    }

    /// A login: a handshake step, or an `auth_request` (mutated if the step says so) and, when
    /// it issued a challenge, an `auth_verify` answering it.
    fn login(&mut self, l: &Login, conn: u8, mutation: Option<&Mutation>, index: usize) -> bool {
        let conn = self.wallet(conn);
        let (key_name, key_address) = login_key(l.key, &conn, &self.cast, index);
        let keys: Vec<String> = key_name.iter().filter(|n| is_fresh(n)).cloned().collect();
        for k in &keys {
            for s in &mut self.shadows {
                s.declare(k, Role::SessionKey, identity_key(k));
            }
        }
        let signer = login_signer(l.signer, &conn, key_name.as_deref(), &self.cast);
        if l.handshake && mutation.is_none() {
            if let Some(session_key) = key_name {
                let auth = Auth {
                    wallet: conn.clone(),
                    session_key,
                    application: APPLICATIONS[l.application as usize % APPLICATIONS.len()].into(),
                    scope: SCOPES[l.scope as usize % SCOPES.len()].into(),
                    expires_in_s: LIFETIMES_S[l.expiry as usize % LIFETIMES_S.len()],
                    allowances: allowances(l.allowances),
                };
                let played = Played {
                    step: 0,
                    action: Action::Authenticate { conn, auth },
                    method: "authenticate".into(),
                    mutation: None,
                    keys,
                };
                return self.record(played, index).is_some();
            }
        }
        let params = auth_request_params(l, &self.cast, &conn, &key_address);
        let request = Request {
            conn: conn.clone(),
            method: "auth_request".into(),
            params,
            signers: vec![],
            ts_offset_ms: 0,
        };
        let mut candidates = self.candidates(request, mutation, &[]);
        for c in &mut candidates {
            c.keys = keys.clone();
        }
        let Some(planned) = self.record_first(candidates, index) else {
            return false;
        };
        let label = self.played.last().and_then(|p| p.mutation);
        let issued = matches!(&planned.expect.reply,
            Reply::Ok { method, .. } if method == "auth_challenge");
        if issued {
            let spec = VerifySpec {
                signer: Some(signer),
                policy_conn: None,
                challenge: Challenge::Issued,
                sign: SignKind::Policy,
            };
            let verify = Played {
                step: 0,
                action: Action::AuthVerify { conn, spec },
                method: "auth_verify".into(),
                mutation: label,
                keys: vec![],
            };
            self.record(verify, index);
        }
        true
    }
}

fn action_of(wire: Wire) -> Action {
    match wire {
        Wire::Request(r) => Action::Request {
            conn: r.conn,
            method: r.method,
            params: r.params,
            signers: r.signers,
            ts_offset_ms: r.ts_offset_ms,
        },
        Wire::Template {
            conn,
            req,
            ts_offset_ms,
            sig,
        } => Action::Template {
            conn,
            template: RawTemplate {
                req,
                ts_offset_ms,
                sig,
                resend_step: None,
            },
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Reads

/// `sort` values: what SQL accepts after `ORDER BY <column>` and what it does not, but nothing
/// that is SQL beyond a sort direction (that is FUZZ-6, a destructive probe).
const SORTS: &[&str] = &[
    "asc",
    "desc",
    "ASC",
    "Desc",
    "",
    "asc nulls first",
    "DESC NULLS LAST",
    "nulls first",
    "ascending",
    "random",
    "asc desc",
    " asc ",
];

/// `limit` and `offset` values (uint32 in Clearnode).
fn count_value(pick: u8) -> Value {
    match pick % 14 {
        0 => json!(0),
        1 => json!(1),
        2 => json!(2),
        3 => json!(100),
        4 => json!(101),
        5 => json!(4_294_967_295u64),
        6 => json!(4_294_967_296u64),
        7 => json!(-1),
        8 => json!(1.5),
        9 => json!("5"),
        10 => Value::Null,
        11 => json!(1e2),
        12 => json!(3),
        _ => json!(true),
    }
}

fn sort_value(pick: u8) -> Value {
    match pick as usize % (SORTS.len() + 3) {
        i if i < SORTS.len() => json!(SORTS[i]),
        i if i == SORTS.len() => json!(1),
        i if i == SORTS.len() + 1 => Value::Null,
        _ => json!(["asc"]),
    }
}

/// The ids of the sessions the shadow knows, oldest first.
fn session_ids(shadow: &Shadow) -> Vec<String> {
    let mut s: Vec<_> = shadow.model().sessions().collect();
    s.sort_by_key(|s| s.seq);
    s.into_iter().map(|s| s.id.clone()).collect()
}

/// An account a read names: the sender (as it is, or in lower case), another identity, a
/// session, a session key. Never nothing: an unfiltered list read lists other clients' rows,
/// which no model of one case can predict.
fn account(pick: u8, conn: &str, cast: &Cast, shadow: &Shadow) -> String {
    let address = |name: &str| {
        cast.identities
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a.clone())
            .unwrap_or_default()
    };
    let sessions = session_ids(shadow);
    match pick % 7 {
        0 | 1 => address(conn),
        2 => cast.identities[pick as usize / 7 % cast.identities.len()]
            .1
            .clone(),
        3 | 4 if !sessions.is_empty() => sessions[pick as usize / 7 % sessions.len()].clone(),
        5 => address(&session_key_name(conn)).to_lowercase(),
        _ => address(conn).to_lowercase(),
    }
}

const TX_TYPES: &[&str] = &[
    "transfer",
    "deposit",
    "withdrawal",
    "app_deposit",
    "app_withdrawal",
    "escrow_lock",
    "Transfer",
    "bogus",
];
const STATUSES: &[&str] = &["open", "closed", "OPEN", "bogus", ""];
const ASSETS: &[&str] = &["usdc", "eth", "USDC", "weth", ""];

/// The params of a read, with its filters and list options.
fn read_params(read: &Read, conn: &str, cast: &Cast, shadow: &Shadow) -> Value {
    let mut p = serde_json::Map::new();
    let subject = account(read.subject, conn, cast, shadow);
    let f = read.filter.map(|f| f as usize);
    let mut put = |k: &str, v: Value| {
        p.insert(k.to_string(), v);
    };
    match read.method {
        ReadMethod::LedgerEntries | ReadMethod::LedgerBalances => {
            if !subject.is_empty() {
                put("account_id", json!(subject));
            }
            if let (Some(f), ReadMethod::LedgerEntries) = (f, read.method) {
                put("asset", json!(ASSETS[f % ASSETS.len()]));
                if f % 3 == 0 {
                    put("wallet", json!(account(f as u8, conn, cast, shadow)));
                }
            }
        }
        ReadMethod::LedgerTransactions => {
            if !subject.is_empty() {
                put("account_id", json!(subject));
            }
            if let Some(f) = f {
                put("tx_type", json!(TX_TYPES[f % TX_TYPES.len()]));
                if f % 2 == 0 {
                    put("asset", json!(ASSETS[f / 2 % ASSETS.len()]));
                }
            }
        }
        ReadMethod::AppSessions | ReadMethod::Channels => {
            if !subject.is_empty() {
                put("participant", json!(subject));
            }
            if let Some(f) = f {
                put("status", json!(STATUSES[f % STATUSES.len()]));
            }
        }
        ReadMethod::AppDefinition => put("app_session_id", json!(subject)),
        _ => {}
    }
    let listed = matches!(
        read.method,
        ReadMethod::LedgerEntries
            | ReadMethod::LedgerTransactions
            | ReadMethod::RpcHistory
            | ReadMethod::AppSessions
            | ReadMethod::Channels
            | ReadMethod::SessionKeys
    );
    if listed {
        if let Some(s) = read.sort {
            put("sort", sort_value(s));
        }
        if let Some(l) = read.limit {
            put("limit", count_value(l));
        }
        if let Some(o) = read.offset {
            put("offset", count_value(o));
        }
    }
    Value::Object(p)
}

// ---------------------------------------------------------------------------------------------
// Logins and revocations

const APPLICATIONS: &[&str] = &[
    "clearnode",
    "fuzz",
    "clearnode",
    "",
    "Clearnode",
    "other-app",
];
const SCOPES: &[&str] = &["console", "", "app.create", "transfer"];
/// Key lifetimes of a handshake, seconds after the clock. Each is expired or alive for the
/// whole sequence, at the filler's tick as in a live run that sends the steps back to back: a
/// key of 1 s would expire between steps at the tick and not live, so the vector would not hold
/// (expiry in real time is what the four `expired-key` vectors of the catalogue check).
const LIFETIMES_S: &[u64] = &[86_400, 3_600, 0, 315_360_000, 4_294_967_295];
/// Absolute `expires_at` values of an `auth_request` (seconds): the past, far futures, the
/// integer edges, and other types.
fn expires_at(pick: u8) -> Value {
    match pick % 12 {
        0 => json!(0),
        1 => json!(1),
        2 => json!(4_294_967_295u64),
        3 => json!(9_007_199_254_740_993u64),
        4 => json!(i64::MAX),
        5 => json!(u64::MAX),
        6 => json!("4102444800"),
        7 => json!(-1),
        8 => json!(4_102_444_800.5),
        9 => Value::Null,
        10 => json!(1e20),
        _ => json!(4_102_444_800u64),
    }
}

fn allowances(pick: u8) -> Vec<AllowanceSpec> {
    let rows: &[(&str, &str)] = match pick % 10 {
        0 | 1 => &[],
        2 => &[("usdc", "100")],
        3 => &[("usdc", "0")],
        4 => &[("usdc", "-1")],
        5 => &[("usdc", "1e2")],
        6 => &[("eth", "1"), ("usdc", "1")],
        7 => &[("usdc", "1"), ("usdc", "2")],
        8 => &[("xyz", "1")],
        _ => &[("usdc", "abc")],
    };
    crate::vectors::recorder::allowances(rows)
}

/// A fresh key name of this module (never a setup identity).
fn is_fresh(name: &str) -> bool {
    name.contains(".k")
}

/// The key a login registers: its identity name (when it is one) and its address text.
fn login_key(
    relation: KeyRelation,
    conn: &str,
    cast: &Cast,
    index: usize,
) -> (Option<String>, String) {
    let address = |name: &str| {
        cast.identities
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a.clone())
    };
    let other = cast
        .identities
        .iter()
        .map(|(n, _)| n.as_str())
        .find(|n| !n.contains('.') && *n != conn && *n != OUTSIDER)
        .unwrap_or(OUTSIDER)
        .to_string();
    let name = match relation {
        KeyRelation::Fresh => {
            let n = format!("{conn}.k{index}");
            let a = identity_key(&n).address();
            return (Some(n), a);
        }
        KeyRelation::OwnRoot => session_key_name(conn),
        KeyRelation::OwnWallet => conn.to_string(),
        KeyRelation::OtherWallet => other,
        KeyRelation::OtherKey => session_key_name(&other),
        KeyRelation::Outsider => OUTSIDER.to_string(),
    };
    let a = address(&name).unwrap_or_else(|| identity_key(&name).address());
    (Some(name), a)
}

fn login_signer(pick: u8, conn: &str, key: Option<&str>, cast: &Cast) -> String {
    match (pick % 8, key) {
        (6, Some(k)) => k.to_string(),
        (7, _) => cast
            .identities
            .iter()
            .map(|(n, _)| n.as_str())
            .find(|n| !n.contains('.') && *n != conn)
            .unwrap_or(OUTSIDER)
            .to_string(),
        _ => conn.to_string(),
    }
}

fn auth_request_params(l: &Login, cast: &Cast, conn: &str, key: &str) -> Value {
    let wallet = cast
        .identities
        .iter()
        .find(|(n, _)| n == conn)
        .map(|(_, a)| a.clone())
        .unwrap_or_default();
    let allowances: Vec<Value> = allowances(l.allowances)
        .iter()
        .map(|a| json!({"asset": a.asset, "amount": a.amount}))
        .collect();
    json!({
        "address": wallet,
        "session_key": key,
        "application": APPLICATIONS[l.application as usize % APPLICATIONS.len()],
        "allowances": allowances,
        "expires_at": expires_at(l.expiry),
        "scope": SCOPES[l.scope as usize % SCOPES.len()],
    })
}

/// What a revocation names: the sender's root key, a key it registered in this sequence, the
/// wallet itself, another wallet's root key, an address that is no key.
fn revoke_target(pick: u8, conn: &str, cast: &Cast, played: &[Played]) -> String {
    let address = |name: &str| {
        cast.identities
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a.clone())
            .unwrap_or_else(|| identity_key(name).address())
    };
    let fresh: Vec<&String> = played
        .iter()
        .flat_map(|p| p.keys.iter())
        .filter(|k| k.starts_with(&format!("{conn}.k")))
        .collect();
    match pick % 6 {
        0 | 1 => address(&session_key_name(conn)),
        2 if !fresh.is_empty() => address(fresh[pick as usize / 6 % fresh.len()]),
        3 => address(conn),
        4 => {
            let other = cast
                .identities
                .iter()
                .map(|(n, _)| n.as_str())
                .find(|n| !n.contains('.') && *n != conn && *n != OUTSIDER)
                .unwrap_or(OUTSIDER);
            address(&session_key_name(other))
        }
        _ => "0x000000000000000000000000000000000000dEaD".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Vectors

/// The golden-vector case of a played fidelity sequence.
pub fn case(id: &str, description: &str, setup: &Setup, played: &[Played]) -> Case {
    let setup = setup.clone();
    let actions: Vec<Action> = played.iter().map(|p| p.action.clone()).collect();
    let mut keys: Vec<String> = played.iter().flat_map(|p| p.keys.clone()).collect();
    keys.dedup();
    Case::new(id, description)
        .rules(&["AS-INV-1", "AS-INV-2", "AS-INV-3", "AS-INV-4"])
        .flags(&["fuzz", "fidelity"])
        .script(move |r| {
            for w in &setup.wallets {
                r.participant(&w.name);
            }
            r.wallet(OUTSIDER);
            for k in &keys {
                r.session_key(k);
            }
            for w in setup.wallets.iter().chain(std::iter::once(&setup.outsider)) {
                for (asset, amount) in &w.funds {
                    r.fund(&w.name, asset, amount);
                }
            }
            for a in &actions {
                record(r, a);
            }
        })
}

fn record(r: &mut crate::vectors::recorder::Recorder, action: &Action) {
    match action {
        Action::Request {
            conn,
            method,
            params,
            signers,
            ts_offset_ms,
        } => {
            let signers: Vec<&str> = signers.iter().map(String::as_str).collect();
            r.request_at(conn, method, params.clone(), &signers, *ts_offset_ms);
        }
        Action::Template { conn, template } => r.raw_template(conn, template.clone()),
        Action::Authenticate { conn, auth } => {
            r.authenticate(conn, auth.clone());
        }
        Action::AuthVerify { conn, spec } => {
            r.auth_verify(conn, spec.clone());
        }
        other => unreachable!("the fidelity generator never plays {other:?}"),
    }
}

/// Fills a played fidelity sequence into a vector.
pub fn to_vector(id: &str, description: &str, script: &Script, played: &[Played]) -> Vector {
    crate::vectors::fill(&case(id, description, &script.setup, played))
}

pub mod shrink;

#[cfg(test)]
mod tests;

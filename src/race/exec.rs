//! Running one race vector on a broker: fresh keys, funding, one signature login per wallet
//! (other connections reuse its JWT), the setup requests one after another, then each burst
//! released by a barrier, the books read at every quiescent point, and the checker.
//!
//! A shadow [`Engine`] (the model behind the wire) takes the same logins and setup frames, so
//! the checker starts from the state the broker must be in; a setup the broker answers
//! differently from the model is a sequential divergence (certify's business) and ends the
//! run as ERROR, never as a race finding.

use super::check::{self, Budget, CheckOp, Observed, Serial};
use super::history::{Books, BurstHistory, Op, OpOutcome, Push};
use super::vector::{fill, Burst, ConnSpec, Kind, Login, Placeholder, RaceVector, RequestSpec};
use super::verdict::{self, Anomaly, RaceClass};
use crate::client::{AuthRequest, Connection, Received};
use crate::crypto::eip712::{Allowance, Policy};
use crate::crypto::identity::{derive, Role};
use crate::crypto::{keccak256, SecretKey};
use crate::engine::{Asset, Engine};
use crate::model::amount::parse_decimal;
use crate::model::invariants::SessionSnapshot;
use crate::model::{Config, ConnId, Dec, Model, Profile, Snapshot};
use crate::runner::Target;
use crate::wire::{encode_req, encode_signed, parse_frame, sign_req};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where and how races run.
#[derive(Clone)]
pub struct Env {
    pub target: Target,
    pub profile: Profile,
    pub seed: u64,
    pub budget: Budget,
}

/// The verdict on one race (one group) of a burst.
#[derive(Debug, Clone, Serialize)]
pub struct GroupVerdict {
    pub group: String,
    pub kind: Kind,
    pub class: RaceClass,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub anomalies: Vec<Anomaly>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BurstReport {
    pub history: BurstHistory,
    pub serial: Serial,
    /// Independent parts the checker searched apart, each with its own verdict.
    pub parts: Vec<PartSummary>,
    pub model_steps: u64,
    pub check_us: u64,
    pub groups: Vec<GroupVerdict>,
}

/// One independent part of a burst (the operations of one race, normally).
#[derive(Debug, Clone, Serialize)]
pub struct PartSummary {
    pub ops: Vec<usize>,
    pub serial: Serial,
}

/// One run of a race vector.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceReport {
    pub vector: String,
    pub try_index: usize,
    /// name → address.
    pub wallets: BTreeMap<String, String>,
    pub setup: Vec<Op>,
    pub bursts: Vec<BurstReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `auth_request`s spent (AUTH-9).
    pub logins: usize,
    pub duration_ms: u64,
}

impl InstanceReport {
    /// The worst class of each group over the bursts (ERROR for all when the run failed).
    pub fn classes(&self, vector: &RaceVector) -> Vec<(String, Kind, RaceClass)> {
        vector
            .groups
            .iter()
            .map(|g| {
                let worst = self
                    .bursts
                    .iter()
                    .flat_map(|b| b.groups.iter().filter(|v| v.group == g.name))
                    .map(|v| v.class)
                    .max();
                let class = match (&self.error, worst) {
                    (Some(_), _) | (None, None) => RaceClass::Error,
                    (None, Some(c)) => c,
                };
                (g.name.clone(), g.kind, class)
            })
            .collect()
    }
}

/// A fresh key per run: a function of the seed, the vector, the try and the identity name.
pub fn identity_key(seed: u64, vector: &str, try_index: usize, name: &str) -> SecretKey {
    let mut material = format!("nitrocert/race/{seed}/{vector}/{try_index}/{name}").into_bytes();
    loop {
        let digest = keccak256(&material);
        if let Ok(key) = SecretKey::from_bytes(&digest) {
            return key;
        }
        material = digest.to_vec();
    }
}

fn shadow_engine(env: &Env) -> Engine {
    let assets = vec![Asset {
        symbol: "usdc".into(),
        token: "0x0000000000000000000000000000000000000000".into(),
        chain_id: 0,
        decimals: 6,
    }];
    let model = Model::new(env.profile, Config::default());
    Engine::new(model, derive(env.seed, Role::Broker, 0), assets, env.seed)
}

/// The live side of a run and its shadow.
struct Live {
    conns: BTreeMap<String, Connection>,
    shadow: Engine,
    shadow_conns: BTreeMap<String, ConnId>,
    jwts: BTreeMap<String, (String, String)>,
    keys: BTreeMap<String, SecretKey>,
    /// lower-case address → wallet name.
    names: BTreeMap<String, String>,
    sessions: BTreeMap<usize, String>,
    funded: BTreeMap<String, BTreeMap<String, Dec>>,
    epoch: Instant,
}

impl Live {
    fn address(&self, name: &str) -> String {
        self.keys[name].address()
    }

    fn resolve(&self, p: &Placeholder) -> Option<String> {
        match p {
            Placeholder::Identity(name) => self.keys.get(*name).map(SecretKey::address),
            Placeholder::Session(n) => self.sessions.get(n).cloned(),
        }
    }

    fn name_of(&self, key: &str) -> String {
        self.names
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }

    /// A signed frame for `spec` on its connection, dated `now`.
    fn frame(&mut self, spec: &RequestSpec, now: u64) -> Result<String, String> {
        let params = fill(&spec.params, &|p| self.resolve(p))?;
        let signers: Vec<SecretKey> = spec.sig.iter().map(|s| self.keys[s].clone()).collect();
        let conn = self
            .conns
            .get_mut(&spec.conn)
            .ok_or_else(|| format!("connection {} is gone", spec.conn))?;
        let req = encode_req(conn.next_id(), &spec.method, &params, now);
        Ok(encode_signed(&req, &sign_req(&req, &signers)))
    }

    fn us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    async fn close(self) {
        for (_, c) in self.conns {
            c.close().await;
        }
    }
}

/// Runs `vector` once (`try_index` picks the fresh keys) and checks every burst.
pub async fn run(vector: &RaceVector, env: &Env, try_index: usize) -> InstanceReport {
    let started = Instant::now();
    let mut keys = BTreeMap::new();
    for name in vector.wallets().into_iter().chain(vector.session_keys()) {
        let key = identity_key(env.seed, &vector.id, try_index, &name);
        keys.insert(name, key);
    }
    let names = vector
        .wallets()
        .into_iter()
        .map(|w| (keys[&w].address().to_ascii_lowercase(), w))
        .collect();
    let mut live = Live {
        conns: BTreeMap::new(),
        shadow: shadow_engine(env),
        shadow_conns: BTreeMap::new(),
        jwts: BTreeMap::new(),
        keys,
        names,
        sessions: BTreeMap::new(),
        funded: BTreeMap::new(),
        epoch: started,
    };
    let mut report = InstanceReport {
        vector: vector.id.clone(),
        try_index,
        wallets: vector
            .wallets()
            .iter()
            .map(|w| (w.clone(), live.address(w)))
            .collect(),
        setup: vec![],
        bursts: vec![],
        error: None,
        logins: 0,
        duration_ms: 0,
    };
    if let Err(e) = drive(vector, env, &mut live, &mut report).await {
        report.error = Some(e);
    }
    live.close().await;
    report.duration_ms = started.elapsed().as_millis() as u64;
    report
}

async fn drive(
    vector: &RaceVector,
    env: &Env,
    live: &mut Live,
    report: &mut InstanceReport,
) -> Result<(), String> {
    for b in &vector.balances {
        let address = live.address(&b.wallet);
        env.target.fund(&address, &b.asset, &b.amount).await?;
        let amount = parse_decimal(&b.amount).map_err(|e| format!("amount {}: {e:?}", b.amount))?;
        live.shadow.model.fund(&address, &b.asset, &amount);
        let group = vector.connections.iter().find(|c| c.wallet == b.wallet);
        let group = group.map(|c| c.group.clone()).unwrap_or_default();
        *live
            .funded
            .entry(group)
            .or_default()
            .entry(b.asset.clone())
            .or_default() += amount;
    }
    for c in &vector.connections {
        report.logins += login(c, env, live).await?;
    }
    settle(live, live.epoch, &mut BTreeMap::new()).await?;
    for (i, spec) in vector.setup.iter().enumerate() {
        let op = setup_request(i, spec, env, live).await?;
        report.setup.push(op);
    }
    settle(live, live.epoch, &mut BTreeMap::new()).await?;
    for (b, burst) in vector.bursts.iter().enumerate() {
        let before = read_books(vector, env, live).await?;
        if !check::same_books(&before, &Snapshot::of(&live.shadow.model)) {
            return Err(format!(
                "before burst {b} the broker's books are not the model's: a sequential divergence (certify shows it), not a race"
            ));
        }
        let burst_report = run_burst(vector, burst, &before, env, live).await?;
        let end = burst_report.1;
        report.bursts.push(burst_report.0);
        match end {
            Some(model) => live.shadow.model = model,
            None => break,
        }
    }
    Ok(())
}

/// Opens and authenticates one connection, live and in the shadow; returns the challenges spent.
async fn login(c: &ConnSpec, env: &Env, live: &mut Live) -> Result<usize, String> {
    let mut conn = Connection::connect(&env.target.url, env.target.limits.clone())
        .await
        .map_err(|e| e.to_string())?;
    let now = env.target.now_ms();
    let (shadow_id, _) = live.shadow.connect(now);
    let spent = match &c.login {
        Login::Signature {
            session_key,
            application,
            allowances,
        } => {
            let request = AuthRequest {
                session_key: live.address(session_key),
                application: application.clone(),
                scope: if application == "clearnode" {
                    "console".into()
                } else {
                    application.clone()
                },
                expires_at: now / 1000 + 24 * 3600,
                allowances: allowances
                    .iter()
                    .map(|a| Allowance {
                        asset: a.asset.clone(),
                        amount: a.amount.clone(),
                    })
                    .collect(),
            };
            let wallet = live.keys[&c.wallet].clone();
            let done = conn
                .authenticate(&wallet, &request, now)
                .await
                .map_err(|e| format!("{}: {e}", c.name))?;
            if let Some(error) = done.error {
                return Err(format!("{} could not log in: {error}", c.name));
            }
            let jwt = done.jwt.ok_or(format!("{}: no jwt_token", c.name))?;
            let shadow_jwt = shadow_signature_login(
                live,
                shadow_id,
                &done.request.sent,
                &request,
                &wallet,
                now,
            )?;
            live.jwts.insert(c.name.clone(), (jwt, shadow_jwt));
            1
        }
        Login::Jwt { of } => {
            let (jwt, shadow_jwt) = live.jwts[of].clone();
            jwt_login(&mut conn, &jwt, now).await?;
            let verify = jwt_frame(1, &shadow_jwt, now);
            let reply = shadow_reply(&mut live.shadow, shadow_id, &verify, now)?;
            if reply.method != "auth_verify" {
                return Err(format!("the model refused the JWT login of {}", c.name));
            }
            0
        }
    };
    live.conns.insert(c.name.clone(), conn);
    live.shadow_conns.insert(c.name.clone(), shadow_id);
    Ok(spent)
}

fn jwt_frame(id: u64, jwt: &str, now: u64) -> String {
    encode_signed(
        &encode_req(id, "auth_verify", &json!({ "jwt": jwt }), now),
        &[],
    )
}

async fn jwt_login(conn: &mut Connection, jwt: &str, now: u64) -> Result<(), String> {
    let id = conn.next_id();
    let x = conn
        .exchange(&jwt_frame(id, jwt, now))
        .await
        .map_err(|e| e.to_string())?;
    match x.reply.frame.method.as_str() {
        "auth_verify" => Ok(()),
        _ => Err(format!("JWT login refused: {}", x.reply.text)),
    }
}

/// The shadow's reply to `text` on `conn` (its other frames are pushes).
fn shadow_reply(
    shadow: &mut Engine,
    conn: ConnId,
    text: &str,
    now: u64,
) -> Result<crate::wire::Frame, String> {
    let handled = shadow.handle(conn, text.as_bytes(), now);
    handled
        .frames
        .iter()
        .filter(|o| o.conn == conn)
        .filter_map(|o| parse_frame(&o.text).ok())
        .find(|f| !f.is_notification())
        .ok_or_else(|| "the model sent no reply".to_string())
}

/// The same `auth_request` bytes in the shadow, then a verify signed over the shadow's
/// challenge; returns the shadow's JWT.
fn shadow_signature_login(
    live: &mut Live,
    conn: ConnId,
    auth_request: &str,
    request: &AuthRequest,
    wallet: &SecretKey,
    now: u64,
) -> Result<String, String> {
    let challenge = shadow_reply(&mut live.shadow, conn, auth_request, now)?;
    let challenge = challenge.params["challenge_message"]
        .as_str()
        .ok_or("the model issued no challenge")?
        .to_string();
    let policy = Policy {
        application: request.application.clone(),
        challenge: challenge.clone(),
        scope: request.scope.clone(),
        wallet: wallet.address(),
        session_key: request.session_key.clone(),
        expires_at: request.expires_at,
        allowances: request.allowances.clone(),
    };
    let sig = policy.sign(wallet).map_err(|e| e.to_string())?;
    let req = encode_req(2, "auth_verify", &json!({ "challenge": challenge }), now);
    let reply = shadow_reply(&mut live.shadow, conn, &encode_signed(&req, &[sig]), now)?;
    reply.params["jwt_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "the model refused the login".to_string())
}

/// Reads every connection up to a `ping`, so nothing queued before is left (TRANS-7); the
/// pushes go to `pushes` by connection name, timed from `epoch`.
async fn settle(
    live: &mut Live,
    epoch: Instant,
    pushes: &mut BTreeMap<String, Vec<Push>>,
) -> Result<(), String> {
    for (name, conn) in live.conns.iter_mut() {
        let got = conn.sync().await.map_err(|e| format!("{name}: {e}"))?;
        let at_us = epoch.elapsed().as_micros() as u64;
        pushes
            .entry(name.clone())
            .or_default()
            .extend(got.into_iter().map(|r| Push {
                at_us,
                text: r.text,
            }));
    }
    Ok(())
}

async fn setup_request(
    i: usize,
    spec: &RequestSpec,
    env: &Env,
    live: &mut Live,
) -> Result<Op, String> {
    let now = env.target.now_ms();
    let text = live.frame(spec, now)?;
    let invoke_us = live.us();
    let conn = live.conns.get_mut(&spec.conn).expect("frame() checked it");
    let x = conn
        .exchange(&text)
        .await
        .map_err(|e| format!("setup {i}: {e}"))?;
    let shadow = shadow_reply(&mut live.shadow, live.shadow_conns[&spec.conn], &text, now)?;
    let error = x.reply.frame.error_message().map(str::to_string);
    if error.is_some() || shadow.error_message().is_some() {
        return Err(format!(
            "setup {i} ({}): the broker answered {}, the model {}",
            spec.method, x.reply.text, shadow.params
        ));
    }
    if spec.method == "create_app_session" {
        let id = x.reply.frame.params["app_session_id"].as_str();
        if id.is_none() || id != shadow.params["app_session_id"].as_str() {
            return Err(format!("setup {i}: session id {id:?} is not the model's"));
        }
        live.sessions.insert(i, id.unwrap_or_default().to_string());
    }
    Ok(Op {
        index: i,
        conn: spec.conn.clone(),
        group: String::new(),
        method: spec.method.clone(),
        sent: text,
        invoke_us,
        complete_us: Some(live.us()),
        outcome: OpOutcome::Ok,
        reply: Some(x.reply.text),
        pushes: x
            .notifications
            .into_iter()
            .map(|r| Push {
                at_us: invoke_us,
                text: r.text,
            })
            .collect(),
    })
}

/// What one released request got: its reply (or why none), the pushes before it, and when.
struct Released {
    invoke_us: u64,
    complete_us: Option<u64>,
    reply: Result<Received, String>,
    pushes: Vec<Push>,
}

/// Sends `text` and reads until its reply, timing everything from `base`.
async fn send_timed(conn: &mut Connection, text: &str, base: Instant, wait_ms: u64) -> Released {
    let us = || base.elapsed().as_micros() as u64;
    let invoke_us = us();
    let mut out = Released {
        invoke_us,
        complete_us: None,
        reply: Err(String::new()),
        pushes: vec![],
    };
    if let Err(e) = conn.send(text).await {
        out.reply = Err(e.to_string());
        return out;
    }
    let deadline = Instant::now() + Duration::from_millis(wait_ms);
    loop {
        match conn.read(deadline).await {
            Ok(r) if r.frame.is_notification() => out.pushes.push(Push {
                at_us: us(),
                text: r.text,
            }),
            Ok(r) => {
                out.complete_us = Some(us());
                out.reply = Ok(r);
                return out;
            }
            Err(e) => {
                out.reply = Err(e.to_string());
                return out;
            }
        }
    }
}

/// Releases the burst: every request waits at one barrier, then all are sent at once.
async fn release(
    vector: &RaceVector,
    burst: &Burst,
    env: &Env,
    live: &mut Live,
) -> Result<(Vec<Op>, u64, Instant), String> {
    let now = env.target.now_ms();
    let mut frames: Vec<String> = Vec::new();
    for r in &burst.release {
        let text = match r.same_as {
            Some(j) => frames[j].clone(),
            None => live.frame(r, now)?,
        };
        frames.push(text);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(burst.release.len()));
    let base = Instant::now();
    let wait_ms = env.target.limits.reply_timeout_ms;
    let mut tasks = Vec::new();
    for (r, text) in burst.release.iter().zip(&frames) {
        let mut conn = live.conns.remove(&r.conn).expect("validated");
        let (barrier, text) = (barrier.clone(), text.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let released = send_timed(&mut conn, &text, base, wait_ms).await;
            (conn, released)
        }));
    }
    let mut ops = Vec::new();
    for (i, (task, r)) in tasks.into_iter().zip(&burst.release).enumerate() {
        let (conn, got) = task
            .await
            .map_err(|e| format!("a release task failed: {e}"))?;
        if got.reply.is_ok() {
            live.conns.insert(r.conn.clone(), conn);
        } else {
            conn.close().await;
        }
        let group = vector.connection(&r.conn).map(|c| c.group.clone());
        ops.push(op_of(i, r, group.unwrap_or_default(), &frames[i], got));
    }
    Ok((ops, now, base))
}

fn op_of(i: usize, r: &RequestSpec, group: String, sent: &str, got: Released) -> Op {
    let (outcome, reply) = match got.reply {
        Ok(reply) => (
            match reply.frame.error_message() {
                None => OpOutcome::Ok,
                Some(e) => OpOutcome::Error {
                    error: e.to_string(),
                },
            },
            Some(reply.text),
        ),
        Err(why) => (OpOutcome::Info { why }, None),
    };
    Op {
        index: i,
        conn: r.conn.clone(),
        group,
        method: r.method.clone(),
        sent: sent.to_string(),
        invoke_us: got.invoke_us,
        complete_us: got.complete_us,
        outcome,
        reply,
        pushes: got.pushes,
    }
}

/// Connections lost in the burst are opened again (by JWT) for the reads.
async fn reopen(vector: &RaceVector, env: &Env, live: &mut Live) -> Result<(), String> {
    for c in &vector.connections {
        if live.conns.contains_key(&c.name) {
            continue;
        }
        let source = vector
            .connections
            .iter()
            .find(|s| s.wallet == c.wallet && matches!(s.login, Login::Signature { .. }))
            .ok_or("no signature login")?;
        let (jwt, _) = live.jwts[&source.name].clone();
        let mut conn = Connection::connect(&env.target.url, env.target.limits.clone())
            .await
            .map_err(|e| e.to_string())?;
        jwt_login(&mut conn, &jwt, env.target.now_ms()).await?;
        live.conns.insert(c.name.clone(), conn);
    }
    Ok(())
}

async fn run_burst(
    vector: &RaceVector,
    burst: &Burst,
    before: &Snapshot,
    env: &Env,
    live: &mut Live,
) -> Result<(BurstReport, Option<Model>), String> {
    let (mut ops, now, base) = release(vector, burst, env, live).await?;
    if ops
        .iter()
        .any(|o| matches!(o.outcome, OpOutcome::Info { .. }))
    {
        // A request without an answer may still land: give it the time it had, then read.
        tokio::time::sleep(Duration::from_millis(env.target.limits.reply_timeout_ms)).await;
    }
    reopen(vector, env, live).await?;
    let mut late = BTreeMap::new();
    settle(live, base, &mut late).await?;
    for op in &mut ops {
        if let Some(p) = late.remove(&op.conn) {
            op.pushes.extend(p);
        }
    }
    let after = read_books(vector, env, live).await?;
    let check_ops = ops
        .iter()
        .map(|o| check_op(o, live.shadow_conns[&o.conn], now))
        .collect::<Result<Vec<_>, _>>()?;
    let (start, observed, budget) = (live.shadow.model.clone(), after.clone(), env.budget);
    let checked =
        tokio::task::spawn_blocking(move || check::check(&start, &check_ops, &observed, budget))
            .await
            .map_err(|e| format!("the checker failed: {e}"))?;
    let groups = vector
        .groups
        .iter()
        .map(|g| {
            group_verdict(
                &g.name,
                g.kind,
                vector,
                &ops,
                before,
                &after,
                &checked,
                env.profile,
                live,
            )
        })
        .collect();
    let report = BurstReport {
        history: BurstHistory {
            before: Books::of(before, &live.names),
            after: Books::of(&after, &live.names),
            ops,
        },
        serial: checked.serial(),
        parts: checked
            .parts
            .iter()
            .map(|p| PartSummary {
                ops: p.ops.clone(),
                serial: p.serial.clone(),
            })
            .collect(),
        model_steps: checked.model_steps,
        check_us: checked.micros,
        groups,
    };
    Ok((report, checked.end))
}

/// What the checker needs of an operation: the frame as the broker decodes it.
fn check_op(op: &Op, conn: ConnId, now: u64) -> Result<CheckOp, String> {
    let frame = parse_frame(&op.sent).map_err(|e| format!("our own frame: {e}"))?;
    Ok(CheckOp {
        conn,
        method: frame.method.clone(),
        params: frame.params.clone(),
        ts: frame.ts,
        signatures: frame.signers().into_iter().map(Result::ok).collect(),
        digest: frame.digest(),
        now_ms: now,
        invoke_us: op.invoke_us,
        complete_us: op.complete_us,
        observed: match op.outcome {
            OpOutcome::Ok => Observed::Accepted,
            OpOutcome::Error { .. } => Observed::Rejected,
            OpOutcome::Info { .. } => Observed::Indeterminate,
        },
    })
}

#[allow(clippy::too_many_arguments)]
fn group_verdict(
    group: &str,
    kind: Kind,
    vector: &RaceVector,
    ops: &[Op],
    before: &Snapshot,
    after: &Snapshot,
    checked: &check::CheckReport,
    profile: Profile,
    live: &Live,
) -> GroupVerdict {
    let wallets: Vec<String> = vector
        .connections
        .iter()
        .filter(|c| c.group == group)
        .map(|c| live.address(&c.wallet).to_ascii_lowercase())
        .collect();
    let mine: Vec<usize> = ops
        .iter()
        .filter(|o| o.group == group)
        .map(|o| o.index)
        .collect();
    let keep = |w: &str| wallets.iter().any(|x| x == w);
    let name = |w: &str| live.name_of(w);
    let funded = live.funded.get(group).cloned().unwrap_or_default();
    let mut anomalies = verdict::invariants(before, &funded, &keep, &name);
    for a in verdict::invariants(after, &funded, &keep, &name) {
        if !anomalies.contains(&a) {
            anomalies.push(a);
        }
    }
    let parts: Vec<&check::PartVerdict> = checked
        .parts
        .iter()
        .filter(|p| p.ops.iter().any(|i| mine.contains(i)))
        .collect();
    let mut unknown = None;
    for p in &parts {
        anomalies.extend(verdict::from_serial(&p.serial));
        if let Serial::Unknown { why } = &p.serial {
            unknown = Some(why.clone());
        }
    }
    let moved: Vec<String> = checked
        .moved
        .iter()
        .filter(|k| keep(k) || !k.starts_with("0x") || k.len() != 42)
        .map(|k| name(k))
        .collect();
    if !moved.is_empty() {
        anomalies.push(Anomaly::UntouchedBooksMoved { keys: moved });
    }
    let own: Vec<&Op> = ops.iter().filter(|o| o.group == group).collect();
    anomalies.extend(verdict::from_replies(&own));
    let serial = match &unknown {
        Some(why) => Serial::Unknown { why: why.clone() },
        None => Serial::Serializable {
            order: vec![],
            not_applied: vec![],
        },
    };
    GroupVerdict {
        group: group.to_string(),
        kind,
        class: verdict::classify(profile, &anomalies, &serial),
        anomalies,
        unknown,
    }
}

/// The books of every wallet of the vector and of every session they are listed in:
/// `get_ledger_balances` (own, and per session share, Q-14) and `get_app_sessions`.
async fn read_books(vector: &RaceVector, env: &Env, live: &mut Live) -> Result<Snapshot, String> {
    let mut snap = Snapshot::default();
    let mut shares: Vec<(String, String)> = Vec::new();
    for wallet in vector.wallets() {
        let conn_name = vector
            .connections
            .iter()
            .find(|c| c.wallet == wallet && live.conns.contains_key(&c.name))
            .map(|c| c.name.clone())
            .ok_or(format!("no connection of {wallet} to read with"))?;
        let address = live.address(&wallet);
        let key = address.to_ascii_lowercase();
        let conn = live.conns.get_mut(&conn_name).expect("found above");
        for (asset, v) in rows(&read(conn, env, "get_ledger_balances", json!({})).await?) {
            snap.unified.insert((key.clone(), asset), v);
        }
        let list = read(
            conn,
            env,
            "get_app_sessions",
            json!({"participant": address, "limit": 100}),
        )
        .await?;
        for s in list["app_sessions"].as_array().into_iter().flatten() {
            let id = s["app_session_id"].as_str().unwrap_or_default().to_string();
            snap.sessions.insert(
                id.clone(),
                SessionSnapshot {
                    version: s["version"].as_u64().unwrap_or(0),
                    status: s["status"].as_str().unwrap_or_default().to_string(),
                    balances: BTreeMap::new(),
                },
            );
            shares.push((conn_name.clone(), id));
        }
    }
    for (conn_name, id) in shares {
        let wallet = vector
            .connection(&conn_name)
            .expect("validated")
            .wallet
            .clone();
        let key = live.address(&wallet).to_ascii_lowercase();
        let conn = live.conns.get_mut(&conn_name).expect("read above");
        let got = rows(&read(conn, env, "get_ledger_balances", json!({"account_id": id})).await?);
        let session = snap.sessions.get_mut(&id).expect("listed above");
        for (asset, v) in got {
            session.balances.insert((key.clone(), asset), v);
        }
    }
    Ok(snap)
}

async fn read(
    conn: &mut Connection,
    env: &Env,
    method: &str,
    params: Value,
) -> Result<Value, String> {
    let id = conn.next_id();
    let req = encode_req(id, method, &params, env.target.now_ms());
    let x = conn
        .exchange(&encode_signed(&req, &[]))
        .await
        .map_err(|e| format!("reading the books ({method}): {e}"))?;
    match x.reply.frame.error_message() {
        Some(e) => Err(format!("reading the books ({method}): {e}")),
        None => Ok(x.reply.frame.params),
    }
}

/// Non-zero `ledger_balances` rows: asset → amount.
fn rows(value: &Value) -> Vec<(String, Dec)> {
    let mut out = Vec::new();
    for row in value["ledger_balances"].as_array().into_iter().flatten() {
        let asset = row["asset"].as_str().unwrap_or_default().to_string();
        let text = match &row["amount"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if let Ok(v) = parse_decimal(&text) {
            if !bigdecimal::Zero::is_zero(&v) {
                out.push((asset, v));
            }
        }
    }
    out
}

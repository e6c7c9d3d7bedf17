//! Replaying one vector on a live target. The case is instantiated with fresh identities
//! (derived from the run seed and the case id), and a shadow [`Recorder`] replays the same
//! inputs through the model at the same moments: it builds the exact frames to send (fresh
//! timestamps, re-signed) and says what the target must answer, push and book.

use super::diff;
use super::observe::{snapshot, Observers};
use super::target::Target;
use crate::client::{now_ms, AuthRequest, ClientError, Connection, Exchange, Received};
use crate::crypto::eip712::Allowance;
use crate::crypto::{keccak256, SecretKey};
use crate::model::invariants::check_step;
use crate::model::{amount::parse_decimal, ChannelStatus, Dec, Profile};
use crate::report::{CaseReport, Class, Finding, StepReport, WireLine};
use crate::vectors::build::session_id;
use crate::vectors::format::{Action, Auth, Expect, Notification, Response, State, Step};
use crate::vectors::recorder::{build_auth_verify, Recorder};
use crate::vectors::Vector;
use crate::wire::members::array_elements;
use crate::wire::parse_frame;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// Why a case could not be run to the end (an ERROR verdict, or a SKIP).
#[derive(Debug, Clone, thiserror::Error)]
pub enum CaseError {
    #[error("{0}")]
    Client(#[from] ClientError),
    #[error("setup: {0}")]
    Setup(String),
    #[error("reading the books: {0}")]
    Observe(String),
    /// The case cannot be replayed on this target (a SKIP, not an ERROR).
    #[error("{0}")]
    NotReplayable(String),
}

/// Vectors whose steps are further apart than this need a controllable clock.
const MAX_STEP_GAP_MS: u64 = 1_000;
/// How long to wait to be sure no reply comes (empty frames, TRANS-4).
const SILENCE_MS: u64 = 300;

/// Fresh keys for a case: a function of the run seed, the case id and the identity name.
pub fn fresh_key(seed: u64, case: &str, name: &str) -> SecretKey {
    let mut material = format!("nitrocert/run/{seed}/{case}/{name}").into_bytes();
    loop {
        let digest = keccak256(&material);
        if let Ok(key) = SecretKey::from_bytes(&digest) {
            return key;
        }
        material = digest.to_vec();
    }
}

/// The identity and connection name of a wallet's observer (never a vector identity name:
/// those have no `/`).
fn observer_name(wallet: &str) -> String {
    format!("{wallet}/observer")
}

/// Why a case cannot run on this target, if it cannot.
pub fn skip_reason(vector: &Vector, target: &Target) -> Option<String> {
    let gaps = vector
        .steps
        .windows(2)
        .any(|w| w[1].at_ms.saturating_sub(w[0].at_ms) > MAX_STEP_GAP_MS);
    if (gaps || vector.flags.iter().any(|f| f == "needs-clock")) && target.clock.is_none() {
        return Some("needs a broker clock the harness controls (needs-clock)".into());
    }
    let channels = vector
        .steps
        .iter()
        .any(|s| matches!(s.action, Action::Channel { .. }));
    if channels && !target.supports_channels() {
        return Some("needs a channel hook (--channel-cmd)".into());
    }
    None
}

/// Replaces every old identity address (EIP-55 and lower-case) and session id.
struct Substitution(Vec<(String, String)>);

impl Substitution {
    fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (old, new) in &self.0 {
            if out.contains(old.as_str()) {
                out = out.replace(old.as_str(), new);
            }
        }
        out
    }

    /// Adds `old → new` in EIP-55 and lower case. Addresses are replaced by their 40 digits,
    /// so a destination written without `0x` (API-12) is renamed too.
    fn add(&mut self, old: &str, new: &str) {
        let strip = |s: &str| s.strip_prefix("0x").unwrap_or(s).to_string();
        let (old, new) = if old.len() == 42 {
            (strip(old), strip(new))
        } else {
            (old.to_string(), new.to_string())
        };
        if old != new && !self.0.iter().any(|(o, _)| *o == old) {
            self.0
                .push((old.to_ascii_lowercase(), new.to_ascii_lowercase()));
            self.0.push((old, new));
        }
    }
}

struct Live {
    conns: BTreeMap<String, Connection>,
    wire: Vec<WireLine>,
}

impl Live {
    fn log_sent(&mut self, conn: &str, text: &str) {
        self.wire.push(WireLine {
            dir: ">".into(),
            conn: conn.into(),
            text: text.into(),
        });
    }
    fn log_received(&mut self, conn: &str, r: &Received) {
        self.wire.push(WireLine {
            dir: "<".into(),
            conn: conn.into(),
            text: r.text.clone(),
        });
    }
    fn log_exchange(&mut self, conn: &str, x: &Exchange) {
        self.log_sent(conn, &x.sent);
        for n in &x.notifications {
            self.log_received(conn, n);
        }
        self.log_received(conn, &x.reply);
    }
}

fn auth_request(auth: &Auth, shadow: &Recorder, now_s: u64) -> AuthRequest {
    AuthRequest {
        session_key: shadow.key_of(&auth.session_key).address(),
        application: auth.application.clone(),
        scope: auth.scope.clone(),
        expires_at: now_s + auth.expires_in_s,
        allowances: auth
            .allowances
            .iter()
            .map(|a| Allowance {
                asset: a.asset.clone(),
                amount: a.amount.clone(),
            })
            .collect(),
    }
}

fn expectation(shadow: &Recorder, profile: Profile) -> &Expect {
    let step = shadow.last_step().expect("the shadow recorded the step");
    match step.expect.get(profile.name()) {
        Some(crate::vectors::format::ExpectOrSame::Expect(e)) => e,
        _ => unreachable!("a recorder records its own profile"),
    }
}

/// The old session id a create step of the vector produced, and the definition it hashed.
fn old_session(vector: &Vector, step: &Step) -> Option<(Option<String>, Value)> {
    let Action::Request { method, wire, .. } = &step.action else {
        return None;
    };
    if method != "create_app_session" {
        return None;
    }
    let frame = parse_frame(wire).ok()?;
    let from_result = step.expect.keys().find_map(|p| {
        vector.expectation(step, p).and_then(|e| match &e.response {
            Response::Ok { result, .. } => result["app_session_id"].as_str().map(str::to_string),
            _ => None,
        })
    });
    Some((from_result, frame.params["definition"].clone()))
}

/// A case that ended in a harness failure (ERROR with `message`).
pub fn harness_failure(vector: &Vector, message: String) -> CaseReport {
    CaseReport {
        id: vector.id.clone(),
        area: vector.area().to_string(),
        description: vector.description.clone(),
        rules: vector.rules.clone(),
        quirks: vector.quirks.clone(),
        protocol: vector.protocol.clone(),
        class: Class::Error,
        note: Some(message.clone()),
        steps: vec![StepReport {
            index: 0,
            action: "harness".into(),
            conn: String::new(),
            class: Class::Error,
            findings: vec![Finding {
                class: Class::Error,
                what: "harness".into(),
                message,
                expected: None,
                received: None,
            }],
            wire: vec![],
        }],
        duration_ms: 0,
    }
}

/// Runs one case; never panics on anything the target sends.
pub async fn run(vector: &Vector, target: &Target, profile: Profile, seed: u64) -> CaseReport {
    let started = Instant::now();
    let mut report = CaseReport {
        id: vector.id.clone(),
        area: vector.area().to_string(),
        description: vector.description.clone(),
        rules: vector.rules.clone(),
        quirks: vector.quirks.clone(),
        protocol: vector.protocol.clone(),
        class: Class::Pass,
        note: None,
        steps: Vec::new(),
        duration_ms: 0,
    };
    if let Some(reason) = skip_reason(vector, target) {
        report.class = Class::Skip;
        report.note = Some(reason);
        return report;
    }
    let mut live = Live {
        conns: BTreeMap::new(),
        wire: Vec::new(),
    };
    let mut observers = Observers {
        conns: BTreeMap::new(),
        clock_offset_ms: target.now_ms().saturating_sub(now_ms()),
        logins: BTreeMap::new(),
    };
    let outcome = replay(
        vector,
        target,
        profile,
        seed,
        &mut live,
        &mut observers,
        &mut report,
    )
    .await;
    if let Err(CaseError::NotReplayable(reason)) = &outcome {
        report.steps.clear();
        report.note = Some(reason.clone());
        report.class = Class::Skip;
        for (_, conn) in live.conns {
            conn.close().await;
        }
        observers.close().await;
        report.duration_ms = started.elapsed().as_millis() as u64;
        return report;
    }
    if let Err(e) = outcome {
        report.steps.push(StepReport {
            index: report.steps.len(),
            action: "harness".into(),
            conn: String::new(),
            class: Class::Error,
            findings: vec![Finding {
                class: Class::Error,
                what: "harness".into(),
                message: e.to_string(),
                expected: None,
                received: None,
            }],
            wire: std::mem::take(&mut live.wire),
        });
    }
    for (_, conn) in live.conns {
        conn.close().await;
    }
    observers.close().await;
    report.class = report
        .steps
        .iter()
        .map(|s| s.class)
        .max()
        .unwrap_or(Class::Pass);
    report.duration_ms = started.elapsed().as_millis() as u64;
    report
}

async fn replay(
    vector: &Vector,
    target: &Target,
    profile: Profile,
    seed: u64,
    live: &mut Live,
    observers: &mut Observers,
    report: &mut CaseReport,
) -> Result<(), CaseError> {
    // Fresh identities, and the text substitution from the vector's to ours.
    let mut keys = HashMap::new();
    let mut subst = Substitution(Vec::new());
    for identity in &vector.setup.identities {
        let key = fresh_key(seed, &vector.id, &identity.name);
        subst.add(&identity.address, &key.address());
        keys.insert(identity.name.clone(), key);
        if identity.role == "wallet" {
            let observer = observer_name(&identity.name);
            keys.insert(observer.clone(), fresh_key(seed, &vector.id, &observer));
        }
    }
    let mut shadow = Recorder::instance(profile, target.now_ms(), keys.clone());
    for identity in &vector.setup.identities {
        match identity.role.as_str() {
            "session_key" => shadow.session_key(&identity.name),
            _ => shadow.wallet(&identity.name),
        };
    }

    // Funding first, so that no case connection sees the funding's notifications.
    let mut funded: BTreeMap<String, Dec> = BTreeMap::new();
    for b in &vector.setup.balances {
        let address = keys[&b.wallet].address();
        target
            .fund(&address, &b.asset, &b.amount)
            .await
            .map_err(CaseError::Setup)?;
        shadow.fund(&b.wallet, &b.asset, &b.amount);
        *funded.entry(b.asset.clone()).or_default() +=
            parse_decimal(&b.amount).map_err(|e| CaseError::Setup(format!("{e:?}")))?;
    }

    let mut jwts: HashMap<String, String> = HashMap::new();
    for c in &vector.setup.connections {
        let mut conn = Connection::connect(&target.url, target.limits.clone()).await?;
        if let Some(auth) = &c.auth {
            let now = target.now_ms();
            shadow.set_now(now);
            let request = auth_request(auth, &shadow, now / 1000);
            let done = conn
                .authenticate(&keys[&auth.wallet], &request, now)
                .await?;
            live.log_exchange(&c.name, &done.request);
            live.log_exchange(&c.name, &done.verify);
            if let Some(error) = done.error {
                return Err(CaseError::Setup(format!(
                    "{} could not authenticate: {error}",
                    c.name
                )));
            }
            if let Some(jwt) = done.jwt {
                jwts.insert(auth.wallet.clone(), jwt);
            }
        }
        shadow.connect(&c.name, c.auth.clone());
        live.conns.insert(c.name.clone(), conn);
    }
    // Pushes after login (`channels`, `bu`, NOTIF-3) and the first `assets` are setup.
    for (name, conn) in live.conns.iter_mut() {
        for r in conn.sync().await? {
            live.wire.push(WireLine {
                dir: "<".into(),
                conn: name.clone(),
                text: r.text,
            });
        }
    }
    for identity in vector
        .setup
        .identities
        .iter()
        .filter(|i| i.role == "wallet")
    {
        let observer = observer_name(&identity.name);
        let jwt = jwts.get(&identity.name).map(String::as_str);
        observers
            .add(
                &target.url,
                &target.limits,
                &identity.name,
                &keys[&identity.name],
                jwt,
                &keys[&observer],
            )
            .await?;
        if jwt.is_none() {
            // A signature login registers a key and a user tag on the broker: the shadow
            // must know, or it would expect a tag-less wallet (API-12 `to_account_tag`).
            shadow.session_key(&observer);
            let now = target.now_ms();
            shadow.set_now(now);
            shadow.connect(
                &observer,
                Some(Auth {
                    wallet: identity.name.clone(),
                    session_key: observer.clone(),
                    application: super::observe::OBSERVER_APPLICATION.into(),
                    scope: "observer".into(),
                    expires_in_s: 24 * 3600,
                    allowances: vec![],
                }),
            );
        }
    }

    let session_ids = |state: &State| -> Vec<String> {
        state
            .sessions
            .iter()
            .map(|s| s.app_session_id.clone())
            .collect()
    };
    let mut expected_state = shadow.state();
    let mut before = observers.read(&session_ids(&expected_state)).await?;
    let setup_findings = diff::state(&expected_state, &before);
    if !setup_findings.is_empty() {
        return Err(CaseError::Setup(format!(
            "after funding, the books differ from the model's (a broker that kept the wallets of \
             an earlier run with the same --seed? reset it or use another --seed): {}",
            setup_findings
                .iter()
                .map(|f| format!(
                    "{} (expected {:?}, read {:?})",
                    f.message, f.expected, f.received
                ))
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    live.wire.clear();

    let mut pending_auth: HashMap<String, (Value, String)> = HashMap::new();
    for (index, step) in vector.steps.iter().enumerate() {
        let mut findings = Vec::new();
        // Steps further apart than the recorder's tick moved the model's clock (needs-clock):
        // move the broker's by as much.
        if index > 0 {
            let gap = step.at_ms.saturating_sub(vector.steps[index - 1].at_ms);
            if gap > MAX_STEP_GAP_MS && target.advance(gap - MAX_STEP_GAP_MS) {
                observers.clock_offset_ms += gap - MAX_STEP_GAP_MS;
            }
        }
        let now = target.now_ms();
        shadow.set_now(now);
        let mut reply: Option<Received> = None;
        let mut own_pushes: Vec<Received> = Vec::new();
        let action_name;
        match &step.action {
            Action::Request {
                method,
                signers,
                wire,
                ts_offset_ms,
            } => {
                action_name = method.clone();
                let frame = parse_frame(wire)
                    .map_err(|e| CaseError::Setup(format!("step {index}: {e}")))?;
                let elements = array_elements(
                    &serde_json::value::RawValue::from_string(frame.raw.clone())
                        .map_err(|e| CaseError::Setup(e.to_string()))?,
                )
                .ok_or_else(|| CaseError::Setup("req is not an array".into()))?;
                let params_text = subst.apply(elements[2].get());
                let params: Value = serde_json::from_str(&params_text)
                    .map_err(|e| CaseError::Setup(format!("step {index}: {e}")))?;
                let signers: Vec<&str> = signers.iter().map(String::as_str).collect();
                if let Some((old_id, definition)) = old_session(vector, step) {
                    let new_definition: Value =
                        serde_json::from_str(&subst.apply(&definition.to_string()))
                            .unwrap_or(Value::Null);
                    let old = old_id.unwrap_or_else(|| session_id(&definition));
                    subst.add(&old, &session_id(&new_definition));
                }
                shadow.request_at(&step.conn, method, params, &signers, *ts_offset_ms);
                let Some(Step {
                    action: Action::Request { wire: sent, .. },
                    ..
                }) = shadow.last_step()
                else {
                    unreachable!("the shadow just recorded a request");
                };
                let sent = sent.clone();
                let conn = live
                    .conns
                    .get_mut(&step.conn)
                    .ok_or_else(|| CaseError::Setup(format!("no connection {}", step.conn)))?;
                let x = conn.exchange(&sent).await?;
                live.log_exchange(&step.conn, &x);
                if method == "auth_request" {
                    if let (Ok(frame), Some(challenge)) = (
                        parse_frame(&sent),
                        x.reply.frame.params["challenge_message"].as_str(),
                    ) {
                        pending_auth
                            .insert(step.conn.clone(), (frame.params, challenge.to_string()));
                    }
                }
                own_pushes = x.notifications;
                reply = Some(x.reply);
            }
            Action::Raw { text, template } => {
                action_name = "raw".into();
                let text = if let Some(template) = template {
                    // Rebuilt with our identities, session ids, keys and the target's clock;
                    // the shadow builds the same frame and gives its expectation.
                    let mut template = template.clone();
                    template.req = subst.apply(&template.req);
                    for spec in &mut template.sig {
                        if let crate::vectors::format::SigSpec::OverOther { bytes, .. } = spec {
                            *bytes = subst.apply(bytes);
                        }
                    }
                    shadow.raw_template(&step.conn, template);
                    let Some(Step {
                        action: Action::Raw { text: sent, .. },
                        ..
                    }) = shadow.last_step()
                    else {
                        unreachable!("the shadow just recorded a raw frame");
                    };
                    sent.clone()
                } else {
                    shadow.raw(&step.conn, text);
                    // A raw frame keeps the vector's identities and timestamp. When that makes
                    // the model answer otherwise than the vector says (a stale `ts` on a
                    // private method, a signer the case no longer has), the replay would prove
                    // nothing.
                    let faithful = vector
                        .expectation(step, profile.name())
                        .is_some_and(|e| e.response == expectation(&shadow, profile).response);
                    if !faithful {
                        return Err(CaseError::NotReplayable(format!(
                            "step {index} is a raw frame with the vector's fixed identities and \
                             timestamp, which a live broker answers differently; `cargo test` \
                             replays it through the model"
                        )));
                    }
                    text.clone()
                };
                let text = &text;
                let expects_reply =
                    !matches!(expectation(&shadow, profile).response, Response::None);
                let conn = live
                    .conns
                    .get_mut(&step.conn)
                    .ok_or_else(|| CaseError::Setup(format!("no connection {}", step.conn)))?;
                if expects_reply {
                    let x = conn.exchange(text).await?;
                    live.log_exchange(&step.conn, &x);
                    own_pushes = x.notifications;
                    reply = Some(x.reply);
                } else {
                    live.wire.push(WireLine {
                        dir: ">".into(),
                        conn: step.conn.clone(),
                        text: text.clone(),
                    });
                    conn.send(text).await?;
                    for r in conn.drain(SILENCE_MS).await? {
                        live.log_received(&step.conn, &r);
                        if r.frame.is_notification() {
                            own_pushes.push(r);
                        } else {
                            reply = Some(r);
                        }
                    }
                }
            }
            Action::Authenticate(auth) => {
                action_name = "authenticate".into();
                shadow.authenticate(&step.conn, auth.clone());
                let request = auth_request(auth, &shadow, now / 1000);
                let conn = live
                    .conns
                    .get_mut(&step.conn)
                    .ok_or_else(|| CaseError::Setup(format!("no connection {}", step.conn)))?;
                let done = conn
                    .authenticate(&keys[&auth.wallet], &request, now)
                    .await?;
                live.log_exchange(&step.conn, &done.request);
                live.log_exchange(&step.conn, &done.verify);
                own_pushes = done.verify.notifications.clone();
                reply = Some(done.verify.reply);
            }
            Action::AuthVerify(spec) => {
                action_name = "auth_verify".into();
                let source = spec
                    .policy_conn
                    .clone()
                    .unwrap_or_else(|| step.conn.clone());
                let (params, issued) = pending_auth.get(&source).cloned().ok_or_else(|| {
                    CaseError::Setup(format!(
                        "step {index}: no auth_request was answered on {source}"
                    ))
                })?;
                shadow.auth_verify(&step.conn, spec.clone());
                let keys: Vec<SecretKey> = spec.signer.iter().map(|s| keys[s].clone()).collect();
                let conn = live
                    .conns
                    .get_mut(&step.conn)
                    .ok_or_else(|| CaseError::Setup(format!("no connection {}", step.conn)))?;
                let id = conn.next_id();
                let text = build_auth_verify(&params, &issued, spec, &keys, id, now);
                let x = conn.exchange(&text).await?;
                live.log_exchange(&step.conn, &x);
                own_pushes = x.notifications;
                reply = Some(x.reply);
            }
            Action::Channel {
                wallet,
                status,
                amount,
            } => {
                action_name = "channel".into();
                let status_value = match status.as_str() {
                    "challenged" => ChannelStatus::Challenged,
                    "resizing" => ChannelStatus::Resizing,
                    _ => ChannelStatus::Open,
                };
                target
                    .channel(&keys[wallet].address(), status, amount)
                    .await
                    .map_err(CaseError::Setup)?;
                shadow.channel(wallet, status_value, amount);
            }
        }
        let expect = expectation(&shadow, profile).clone();

        // The reply.
        match (&expect.response, &reply) {
            (Response::None, None) => {}
            (_, Some(r)) => findings.extend(diff::response(&expect.response, &r.frame)),
            (_, None) if matches!(step.action, Action::Channel { .. }) => {}
            (_, None) => findings.push(Finding {
                class: Class::Fail,
                what: "response".into(),
                message: "no reply came".into(),
                expected: None,
                received: None,
            }),
        }

        // Notifications, per connection.
        let mut by_conn: BTreeMap<&str, Vec<&Notification>> = BTreeMap::new();
        for n in &expect.notifications {
            by_conn.entry(n.conn.as_str()).or_default().push(n);
        }
        let names: Vec<String> = live.conns.keys().cloned().collect();
        for name in names {
            let wanted = by_conn.get(name.as_str()).cloned().unwrap_or_default();
            let mut got: Vec<Received> = if name == step.conn {
                std::mem::take(&mut own_pushes)
            } else {
                Vec::new()
            };
            let conn = live.conns.get_mut(&name).expect("listed above");
            // Pushes to other connections are queued before the sender's reply is written, so
            // a ping round trip collects all of them (and any that should not be there).
            got.extend(conn.sync().await?);
            for r in &got {
                if name != step.conn {
                    live.log_received(&name, r);
                }
            }
            let frames: Vec<_> = got
                .iter()
                .filter(|r| r.frame.is_notification())
                .map(|r| r.frame.clone())
                .collect();
            findings.extend(diff::notifications(&name, &wanted, &frames));
            if got.iter().any(|r| !r.frame.is_notification()) {
                findings.push(Finding {
                    class: Class::Fail,
                    what: "response".into(),
                    message: format!("{name}: a reply nobody asked for"),
                    expected: None,
                    received: None,
                });
            }
        }

        // The books, and the invariants over what was read.
        let accepted = matches!(expect.response, Response::Ok { .. });
        let after = observers.read(&session_ids(&expect.state)).await?;
        findings.extend(diff::state(&expect.state, &after));
        let live_violations = check_step(
            &snapshot(&before, &funded),
            &snapshot(&after, &funded),
            reply
                .as_ref()
                .is_some_and(|r| r.frame.error_message().is_none()),
        );
        let model_violations: Vec<&str> = check_step(
            &snapshot(&expected_state, &funded),
            &snapshot(&expect.state, &funded),
            accepted,
        )
        .iter()
        .map(|v| v.rule())
        .collect();
        for v in live_violations {
            if !model_violations.contains(&v.rule()) {
                findings.push(Finding {
                    class: Class::Fail,
                    what: "invariant".into(),
                    message: v.to_string(),
                    expected: None,
                    received: None,
                });
            }
        }
        expected_state = expect.state.clone();
        before = after;

        // Every frame the broker sent in this step carries its signature (RSIG-1, RSIG-4).
        if let Some(broker) = &target.broker_address {
            for line in live.wire.iter().filter(|w| w.dir == "<") {
                let Ok(frame) = parse_frame(&line.text) else {
                    continue;
                };
                let signer = frame.signers().into_iter().next();
                let ok = matches!(&signer, Some(Ok(a)) if a == broker);
                if !ok {
                    findings.push(Finding {
                        class: Class::Fail,
                        what: "broker signature".into(),
                        message: format!(
                            "{}: sig[0] of a `{}` frame does not recover to the broker address (RSIG-4)",
                            line.conn, frame.method
                        ),
                        expected: Some(broker.clone()),
                        received: Some(match signer {
                            Some(Ok(a)) => a,
                            Some(Err(e)) => e.to_string(),
                            None => "(no signature)".into(),
                        }),
                    });
                }
            }
        }
        report.steps.push(StepReport {
            index,
            action: action_name,
            conn: step.conn.clone(),
            class: diff::worst(&findings),
            findings,
            wire: std::mem::take(&mut live.wire),
        });
    }
    Ok(())
}

//! Replaying one vector on a live target. The case gets fresh identities (derived from the run
//! seed and the case id), and a [`Shadow`] plays the same inputs at the same broker clock. Every
//! step is planned on the shadow (the exact bytes, and what must come back for them), sent to
//! the broker, its books read back, and diffed: plan, send, observe, diff.

use super::diff::{self, Entitled, Trail};
use super::error::CaseError;
use super::live::Live;
use super::observe::Observers;
use super::target::Target;
use super::timeline::{self, MAX_STEP_GAP_MS};
use crate::client::now_ms;
use crate::crypto::identity::run_key;
use crate::model::Profile;
use crate::scenario::{Books, Reply, Role, Shadow};
use crate::vectors::format::{Hook, Step};
use crate::vectors::instance::Instance;
use crate::vectors::Vector;
use crate::verdict::{CaseReport, Class, Finding, StepReport, WireLine};
use crate::wire::Frame;
use std::collections::BTreeMap;
use std::time::Instant;

/// Why a case cannot run on this target, if it cannot.
pub fn skip_reason(vector: &Vector, target: &Target) -> Option<String> {
    if let Some(reason) = timeline::clock_skip_reason(vector, target) {
        return Some(reason);
    }
    if vector.hooks.contains(&Hook::Channel) && !target.supports_channels() {
        return Some("needs a channel hook (--channel-cmd)".into());
    }
    None
}

/// One case on one target: the shadow beside the broker, and the harness's connections.
pub(super) struct Case<'a> {
    pub(super) vector: &'a Vector,
    pub(super) target: &'a Target,
    pub(super) seed: u64,
    profile: Profile,
    pub(super) shadow: Shadow,
    instance: Instance,
    pub(super) live: Live,
    pub(super) observers: Observers,
    /// The broker's time when the previous step had been answered (and its books read).
    answered_ms: Option<u64>,
    /// The books read after each completed step.
    read_books: Vec<Books>,
}

/// Runs one case; never panics on anything the target sends.
pub async fn run(vector: &Vector, target: &Target, profile: Profile, seed: u64) -> CaseReport {
    run_observed(vector, target, profile, seed).await.0
}

/// Runs one case, and returns with its report the books read back after each completed step
/// (for `nitrocert diff`, which compares two brokers' books with each other).
pub async fn run_observed(
    vector: &Vector,
    target: &Target,
    profile: Profile,
    seed: u64,
) -> (CaseReport, Vec<Books>) {
    let started = Instant::now();
    let mut report = blank_report(vector);
    if let Some(reason) = skip_reason(vector, target) {
        report.class = Class::Skip;
        report.note = Some(reason);
        return (report, vec![]);
    }
    let mut case = Case::new(vector, target, profile, seed);
    let outcome = case.play(&mut report).await;
    let wire = case.live.take_wire();
    case.live.close().await;
    case.observers.close().await;
    conclude(&mut report, outcome, wire);
    report.duration_ms = started.elapsed().as_millis() as u64;
    (report, case.read_books)
}

impl<'a> Case<'a> {
    fn new(vector: &'a Vector, target: &'a Target, profile: Profile, seed: u64) -> Self {
        let mut shadow = Shadow::new(profile, target.now_ms());
        for identity in &vector.setup.identities {
            let key = run_key(seed, &vector.id, &identity.name);
            shadow.declare(&identity.name, identity.role, key);
        }
        let instance =
            Instance::renamed(vector, |name| shadow.address(name).ok().map(str::to_string));
        let observers = Observers {
            conns: BTreeMap::new(),
            clock_offset_ms: target.now_ms().saturating_sub(now_ms()),
            logins: BTreeMap::new(),
        };
        Case {
            vector,
            target,
            seed,
            profile,
            shadow,
            instance,
            live: Live::default(),
            observers,
            answered_ms: None,
            read_books: Vec::new(),
        }
    }

    async fn play(&mut self, report: &mut CaseReport) -> Result<(), CaseError> {
        let mut trail = self.set_up().await?;
        for (index, step) in self.vector.steps.iter().enumerate() {
            self.move_clock(index).await;
            let done = self.step(index, step, &mut trail).await?;
            self.answered_ms = Some(self.target.now_ms());
            let stop = done.class.is_harness();
            report.steps.push(done);
            if stop {
                // What follows would be judged on a case the harness could not set up.
                report.note = Some("the harness could not run this case to the end".into());
                break;
            }
        }
        Ok(())
    }

    /// Steps further apart than the filler's tick moved the model's clock (needs-clock; the
    /// first step counts from the setup): the time passes on the broker (its clock moved, or
    /// waited for, [`timeline::pass_time`]) so that this step comes at least as long after the
    /// previous one as in the vector, counted from when the previous step had been answered:
    /// the broker handled it (a challenge issued, a key registered) somewhere between its
    /// sending and its answer, and a stall of the machine in between must not eat the
    /// vector's margin around an expiry time (`auth/challenge-expired` once came out
    /// NON-STRICT in 1 of 4 runs). The shadow planned that step at its sending, so its own gap
    /// is at least as long. Then the shadow takes the broker's time.
    async fn move_clock(&mut self, index: usize) {
        let now = self.target.now_ms();
        let gap = timeline::gap_before(self.vector, index);
        let since = self.answered_ms.unwrap_or(self.shadow.now_ms());
        let due = since.max(self.shadow.now_ms()) + gap;
        if gap > MAX_STEP_GAP_MS && due > now {
            if let Some(moved) = timeline::pass_time(self.target, due - now).await {
                self.observers.clock_offset_ms += moved;
            }
        }
        self.shadow.set_now(self.target.now_ms());
    }

    /// Plan, send, observe, diff.
    async fn step(
        &mut self,
        index: usize,
        step: &Step,
        trail: &mut Trail,
    ) -> Result<StepReport, CaseError> {
        // The frame comes from the vector's templates, and the file's expectation (read with
        // this run's names) must be the model's for exactly those bytes, or the replay would
        // prove nothing: a harness error, never a finding.
        let action = self
            .instance
            .action(self.vector, index, &self.shadow)
            .map_err(|e| CaseError::Setup(format!("step {index}: {e}")))?;
        let wallets_before = self.conn_wallets();
        let planned = self.shadow.plan(&action)?;
        let profile = self.profile;
        let checked = self
            .instance
            .check(self.vector, index, profile, &planned, &self.shadow);
        checked.map_err(|e| CaseError::Setup(format!("the vector does not hold: {e}")))?;
        // A frame carrying a value the broker chose (a JWT, a tag) carries the broker's own.
        let live = self
            .instance
            .live_action(self.vector, index, &self.shadow)
            .map_err(|e| CaseError::Setup(format!("step {index}: {e}")))?;
        let outgoing = match live {
            Some(live) => self.shadow.frame_of(&live)?,
            None => None,
        };
        let expect = &planned.expect;
        let expects_reply = !matches!(expect.reply, Reply::None);
        let outgoing = outgoing.as_ref().unwrap_or(&planned.outgoing);
        let observed = self.live.send(outgoing, expects_reply, self.target).await?;
        if let Some(trouble) = challenge_store_full(&expect.reply, observed.reply.as_ref()) {
            // Nothing the model expected after that login can be judged.
            return Ok(StepReport {
                index,
                action: action.name().to_string(),
                conn: step.conn.clone(),
                class: trouble.class,
                findings: vec![trouble],
                wire: observed.wire,
            });
        }
        self.instance.capture(index, &expect.reply);
        if let Some(reply) = &observed.reply {
            self.instance.capture_live(index, &reply.params);
        }
        let books = self.observers.read(&expect.books.session_ids()).await?;

        let mut findings = diff::reply(&expect.reply, observed.reply.as_ref());
        for conn in self.live.names() {
            let wanted: Vec<_> = expect.pushes_to(&conn).collect();
            let got = observed.pushes.get(&conn).map(Vec::as_slice).unwrap_or(&[]);
            let mut wallets: Vec<String> = wallets_before.get(&conn).cloned().into_iter().collect();
            wallets.extend(self.shadow.conn_wallet(&conn).map(str::to_string));
            let entitled =
                self.entitled(wallets, [&trail.model, &trail.live, &expect.books, &books]);
            findings.extend(diff::pushes(&conn, &wanted, got, &entitled));
            if let (true, true, Some(came)) = (
                expects_reply,
                conn == observed.sender,
                observed.before_reply,
            ) {
                findings.extend(diff::reply_order(
                    &conn,
                    &wanted,
                    expect.before_reply,
                    got,
                    came,
                ));
            }
        }
        for conn in &observed.stray_replies {
            findings.push(Finding {
                class: Class::Fail,
                what: "response".into(),
                message: format!("{conn}: a reply nobody asked for"),
                expected: None,
                received: None,
            });
        }
        findings.extend(diff::books(&expect.books, &books));
        let accepted = observed
            .reply
            .as_ref()
            .is_some_and(|r| r.error_message().is_none());
        let model_accepted = matches!(expect.reply, Reply::Ok { .. });
        self.read_books.push(books.clone());
        findings.extend(trail.step(&expect.books, model_accepted, books, accepted));
        if let Some(broker) = &self.target.broker_address {
            findings.extend(diff::signatures(broker, &observed.received));
        }
        Ok(StepReport {
            index,
            action: action.name().to_string(),
            conn: step.conn.clone(),
            class: diff::worst(&findings),
            findings,
            wire: observed.wire,
        })
    }

    /// The wallet each case connection is authenticated as, as the shadow holds it.
    fn conn_wallets(&self) -> BTreeMap<String, String> {
        self.live
            .names()
            .into_iter()
            .filter_map(|c| {
                let wallet = self.shadow.conn_wallet(&c)?.to_string();
                Some((c, wallet))
            })
            .collect()
    }

    /// Who may receive what a connection got during a step: `wallets` (before and after it),
    /// their balances and those of the case's other wallets in each of `books` (the model's
    /// and the broker's, before and after), and the participants of the sessions the model
    /// knows.
    fn entitled(&self, mut wallets: Vec<String>, books: [&Books; 4]) -> Entitled {
        wallets.dedup();
        let (own, other): (Vec<&str>, Vec<&str>) =
            self.shadow.names_of(Role::Wallet).partition(|n| {
                self.shadow
                    .address(n)
                    .is_ok_and(|a| wallets.iter().any(|w| w.eq_ignore_ascii_case(a)))
            });
        let rows = |names: &[&str]| {
            let mut out = Vec::new();
            for b in books {
                for name in names {
                    let mut rows = b.unified.get(*name).cloned().unwrap_or_default();
                    rows.retain(|_, v| !bigdecimal::Zero::is_zero(v));
                    out.push(rows);
                }
            }
            out
        };
        let sessions = self
            .shadow
            .model()
            .sessions
            .iter()
            .map(|(id, s)| (id.clone(), s.participants.clone()))
            .collect();
        Entitled {
            wallets,
            balances: rows(&own),
            others: rows(&other),
            sessions,
        }
    }
}

fn blank_report(vector: &Vector) -> CaseReport {
    CaseReport {
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
    }
}

/// The step that records why a case stopped (its class from whose trouble it was), with the
/// wire log up to it.
fn stopped_step(index: usize, error: &CaseError, wire: Vec<WireLine>) -> StepReport {
    let finding = error.finding();
    StepReport {
        index,
        action: "harness".into(),
        conn: String::new(),
        class: finding.class,
        findings: vec![finding],
        wire,
    }
}

/// The case's class from how it ended: a SKIP when it cannot be replayed here, else the worst
/// step (why it stopped is a step of its own).
fn conclude(report: &mut CaseReport, outcome: Result<(), CaseError>, wire: Vec<WireLine>) {
    match outcome {
        Err(CaseError::NotReplayable(reason)) => {
            report.steps.clear();
            report.note = Some(reason);
            report.class = Class::Skip;
            return;
        }
        Err(e) => {
            if e.class().is_harness() {
                report.note = Some(format!("the harness could not run this case: {e}"));
            }
            report
                .steps
                .push(stopped_step(report.steps.len(), &e, wire))
        }
        Ok(()) => {}
    }
    report.class = report
        .steps
        .iter()
        .map(|s| s.class)
        .max()
        .unwrap_or(Class::Pass);
}

/// A case the harness failed on (HARNESS with `message`): a panic of its own, never a
/// finding against the broker.
pub fn harness_failure(vector: &Vector, message: String) -> CaseReport {
    let mut report = blank_report(vector);
    let error = CaseError::Setup(message.clone());
    report.class = error.class();
    report.note = Some(message);
    report.steps.push(stopped_step(0, &error, vec![]));
    report
}

/// AUTH-9's refusal where the model expected a login to go on: the broker's store of pending
/// challenges is full. The store is global and the shadow of one case cannot know it, so
/// this is the harness's load (its earlier cases' logins), not the broker's fault: a HARNESS
/// finding instead of a FAIL.
fn challenge_store_full(expected: &Reply, got: Option<&Frame>) -> Option<Finding> {
    let text = got?.error_message()?;
    if text != AUTH_9_FULL || !matches!(expected, Reply::Ok { .. }) {
        return None;
    }
    Some(Finding {
        class: Class::Harness,
        what: "harness trouble".into(),
        message: "the broker refused a login with `failed to generate challenge`: its store of \
                  pending challenges is full (AUTH-9), filled by the harness's earlier logins; \
                  restart the broker between cases (--restart-cmd, --challenge-budget) or give \
                  the harness its clock (--control)"
            .into(),
        expected: None,
        received: Some(text.to_string()),
    })
}

/// The refusal of `auth_request` when the broker holds its maximum of pending challenges.
const AUTH_9_FULL: &str = "failed to generate challenge";

//! Replaying one vector on a live target. The case gets fresh identities (derived from the run
//! seed and the case id), and a [`Shadow`] plays the same inputs at the same broker clock. Every
//! step is planned on the shadow (the exact bytes, and what must come back for them), sent to
//! the broker, its books read back, and diffed: plan, send, observe, diff.

use super::diff::{self, Trail};
use super::error::CaseError;
use super::live::Live;
use super::observe::Observers;
use super::target::Target;
use crate::client::now_ms;
use crate::crypto::identity::run_key;
use crate::model::Profile;
use crate::scenario::{Action, Planned, Reply, Shadow};
use crate::vectors::format::{Response, Step};
use crate::vectors::instance::Instance;
use crate::vectors::Vector;
use crate::verdict::{CaseReport, Class, Finding, StepReport, WireLine};
use std::collections::BTreeMap;
use std::time::Instant;

/// Vectors whose steps are further apart than this need a controllable clock.
const MAX_STEP_GAP_MS: u64 = 1_000;

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
        .any(|s| matches!(s.action, crate::vectors::format::Action::Channel { .. }));
    if channels && !target.supports_channels() {
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
}

/// Runs one case; never panics on anything the target sends.
pub async fn run(vector: &Vector, target: &Target, profile: Profile, seed: u64) -> CaseReport {
    let started = Instant::now();
    let mut report = blank_report(vector);
    if let Some(reason) = skip_reason(vector, target) {
        report.class = Class::Skip;
        report.note = Some(reason);
        return report;
    }
    let mut case = Case::new(vector, target, profile, seed);
    let outcome = case.play(&mut report).await;
    let wire = case.live.take_wire();
    case.live.close().await;
    case.observers.close().await;
    conclude(&mut report, outcome, wire);
    report.duration_ms = started.elapsed().as_millis() as u64;
    report
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
        }
    }

    async fn play(&mut self, report: &mut CaseReport) -> Result<(), CaseError> {
        let mut trail = self.set_up().await?;
        for (index, step) in self.vector.steps.iter().enumerate() {
            self.move_clock(index);
            let done = self.step(index, step, &mut trail).await?;
            report.steps.push(done);
        }
        Ok(())
    }

    /// Steps further apart than the filler's tick moved the model's clock (needs-clock): the
    /// broker's clock is moved so that this step comes exactly as long after the previous one
    /// as in the vector (the vector's margins around expiry times hold); then the shadow takes
    /// the broker's time.
    fn move_clock(&mut self, index: usize) {
        let now = self.target.now_ms();
        if index > 0 {
            let steps = &self.vector.steps;
            let gap = steps[index].at_ms.saturating_sub(steps[index - 1].at_ms);
            let due = self.shadow.now_ms() + gap;
            if gap > MAX_STEP_GAP_MS && due > now && self.target.advance(due - now) {
                self.observers.clock_offset_ms += due - now;
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
        let action = self
            .instance
            .action(self.vector, step)
            .map_err(|e| CaseError::Setup(format!("step {index}: {e}")))?;
        let planned = self.shadow.plan(&action)?;
        self.check_faithful(index, step, &action, &planned)?;
        let expect = &planned.expect;
        let expects_reply = !matches!(expect.reply, Reply::None);
        let observed = self
            .live
            .send(&planned.outgoing, expects_reply, self.target)
            .await?;
        let books = self.observers.read(&expect.books.session_ids()).await?;

        let mut findings = diff::reply(&expect.reply, observed.reply.as_ref());
        for conn in self.live.names() {
            let wanted: Vec<_> = expect.pushes_to(&conn).collect();
            let got = observed.pushes.get(&conn).map(Vec::as_slice).unwrap_or(&[]);
            findings.extend(diff::pushes(&conn, &wanted, got));
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

    /// A raw frame keeps the vector's identities and timestamp. When that makes the model
    /// answer otherwise than the vector says (a stale `ts` on a private method, a signer the
    /// case no longer has), the replay would prove nothing: the case is skipped.
    fn check_faithful(
        &self,
        index: usize,
        step: &Step,
        action: &Action,
        planned: &Planned,
    ) -> Result<(), CaseError> {
        if !matches!(action, Action::Raw { .. }) {
            return Ok(());
        }
        let now = Response::from(&planned.expect.reply);
        let filed = self.vector.expectation(step, self.profile.name());
        if filed.is_some_and(|e| e.response == now) {
            return Ok(());
        }
        Err(CaseError::NotReplayable(format!(
            "step {index} is a raw frame with the vector's fixed identities and timestamp, which \
             a live broker answers differently; `cargo test` replays it through the model"
        )))
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

/// A step that records a harness error (ERROR), with the wire log up to it.
fn harness_step(index: usize, message: String, wire: Vec<WireLine>) -> StepReport {
    StepReport {
        index,
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
        wire,
    }
}

/// The case's class from how it ended: a SKIP when it cannot be replayed here, else the worst
/// step (a harness error is a step of its own).
fn conclude(report: &mut CaseReport, outcome: Result<(), CaseError>, wire: Vec<WireLine>) {
    match outcome {
        Err(CaseError::NotReplayable(reason)) => {
            report.steps.clear();
            report.note = Some(reason);
            report.class = Class::Skip;
            return;
        }
        Err(e) => report
            .steps
            .push(harness_step(report.steps.len(), e.to_string(), wire)),
        Ok(()) => {}
    }
    report.class = report
        .steps
        .iter()
        .map(|s| s.class)
        .max()
        .unwrap_or(Class::Pass);
}

/// A case that ended in a harness failure (ERROR with `message`).
pub fn harness_failure(vector: &Vector, message: String) -> CaseReport {
    let mut report = blank_report(vector);
    report.class = Class::Error;
    report.note = Some(message.clone());
    report.steps.push(harness_step(0, message, vec![]));
    report
}

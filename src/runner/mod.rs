//! Certifying a broker: replay every vector on a target, diff every reply, push and balance
//! against the model, and collect a [`RunReport`]. A divergence is a finding in the report;
//! `Err` only means the harness itself could not run.

pub mod budget;
pub mod case;
pub mod diff;
mod error;
pub mod funder;
pub mod known;
pub mod live;
pub mod observe;
mod setup;
pub mod target;

pub use error::CaseError;
pub use target::{ChannelHook, Funding, Target};

use crate::model::Profile;
use crate::scenario::Role;
use crate::vectors::Vector;
use crate::verdict::{CaseReport, RunReport, Summary};

/// Prints progress; a bar on a terminal, plain lines elsewhere.
pub trait Progress {
    fn case_done(&mut self, done: usize, total: usize, report: &CaseReport);

    /// Why the run should end now, if it should (`--fail-fast`, [`budget::FindingsBudget`]):
    /// the cases not run yet are reported as SKIP with this reason.
    fn stop(&self) -> Option<String> {
        None
    }
}

/// No progress output.
pub struct Quiet;

impl Progress for Quiet {
    fn case_done(&mut self, _: usize, _: usize, _: &CaseReport) {}
}

/// What to run and where.
pub struct RunConfig {
    pub target: Target,
    pub profile: Profile,
    pub seed: u64,
    pub known: known::KnownDivergences,
    pub broker_address: Option<String>,
}

/// Replays `vectors` on the target, one case after another.
pub async fn run(config: &RunConfig, vectors: &[Vector], progress: &mut dyn Progress) -> RunReport {
    let started = std::time::Instant::now();
    let started_at = crate::model::clock::rfc3339(crate::clock::now_ms());
    let mut cases = Vec::new();
    let mut challenges_spent = 0;
    for (i, vector) in vectors.iter().enumerate() {
        let estimate = challenge_estimate(vector);
        if challenges_spent + estimate > config.target.challenge_budget {
            if let Some(command) = &config.target.restart {
                if let Err(e) = target::run_command(command).await {
                    eprintln!("nitrocert: warning: restarting the broker failed: {e}");
                }
                if let Funding::Funder(funder) = &config.target.funding {
                    funder.forget().await;
                }
                challenges_spent = 0;
            } else if config.target.advance(CHALLENGE_PURGE_MS) {
                // A broker whose clock the harness moves (the embedded one) drops its spent
                // and expired challenges once they are this old (AUTH-9).
                challenges_spent = 0;
            }
        }
        challenges_spent += estimate;
        // A panic is a harness bug, but it must still end as a verdict for this case, not
        // as the end of the run.
        let (v, target, profile, seed) = (
            vector.clone(),
            config.target.clone(),
            config.profile,
            config.seed,
        );
        let mut report =
            match tokio::spawn(async move { case::run(&v, &target, profile, seed).await }).await {
                Ok(report) => report,
                Err(e) => {
                    case::harness_failure(vector, format!("the harness failed on this case: {e}"))
                }
            };
        config.known.apply(&mut report);
        progress.case_done(i + 1, vectors.len(), &report);
        cases.push(report);
        if let Some(reason) = progress.stop() {
            cases.extend(vectors[i + 1..].iter().map(|v| budget::not_run(v, &reason)));
            break;
        }
    }
    let summary = Summary::of(&cases);
    RunReport {
        generator: crate::vectors::fill::generator(),
        target: config.target.name.clone(),
        endpoint: config.target.url.clone(),
        broker_address: config.broker_address.clone(),
        profile: config.profile.name().to_string(),
        seed: config.seed,
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        summary,
        cases,
    }
}

/// How far to move a broker's clock so that every pending challenge is purged (5 min TTL plus
/// the 10 min sweep, AUTH-9).
const CHALLENGE_PURGE_MS: u64 = 16 * 60 * 1000;

/// An upper bound of the `auth_request`s a case sends: its authenticated connections, one
/// observer per wallet, its auth steps, and the funder's login.
fn challenge_estimate(vector: &Vector) -> usize {
    use crate::vectors::format::Action;
    let connections = vector
        .setup
        .connections
        .iter()
        .filter(|c| c.auth.is_some())
        .count();
    let wallets = vector
        .setup
        .identities
        .iter()
        .filter(|i| i.role == Role::Wallet)
        .count();
    let steps = vector
        .steps
        .iter()
        .filter(|s| match &s.action {
            Action::Authenticate(_) => true,
            Action::Request { method, .. } => method == "auth_request",
            _ => false,
        })
        .count();
    connections + wallets + steps + 1
}

/// Exit code of a run: 0 conformant, 1 findings.
pub fn exit_code(report: &RunReport) -> i32 {
    if report.cases.iter().any(|c| c.class.is_finding()) {
        1
    } else {
        0
    }
}

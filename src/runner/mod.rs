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
pub mod schedule;
mod setup;
pub mod target;
pub mod timeline;

pub use error::CaseError;
pub use schedule::{challenge_estimate, CHALLENGE_PURGE_MS};
pub use target::{ChannelHook, Funding, Target};

use crate::model::Profile;
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
    /// Cases run at once ([`schedule::default_jobs`]: the cores); the report does not depend
    /// on it.
    pub jobs: usize,
}

/// Replays `vectors` on the target, up to `config.jobs` cases at once ([`schedule`]); the
/// report keeps the vectors' order.
pub async fn run(config: &RunConfig, vectors: &[Vector], progress: &mut dyn Progress) -> RunReport {
    let started = std::time::Instant::now();
    let started_at = crate::model::clock::rfc3339(crate::clock::now_ms());
    let cases = schedule::run_cases(config, vectors, progress).await;
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

/// The `auth_request`s the harness has spent on a broker that holds at most 1000 pending
/// challenges (AUTH-9). Before a batch of cases would go over the target's budget, the
/// broker is restarted (`--restart-cmd`) or its clock moved past the purge (embedded, or
/// `--control`), so that its refusals are never the harness's doing; a target with neither
/// hook keeps counting, and a refusal then ends the case as HARNESS.
#[derive(Debug, Default)]
pub struct ChallengeBudget {
    spent: usize,
    /// How often the store was freed (a restart or a clock move), for the campaign's report.
    pub purges: u64,
}

impl ChallengeBudget {
    /// Accounts for `estimate` more `auth_request`s, freeing the broker's store first when
    /// they would not fit. Call it only while no case runs on the target.
    pub async fn spend(&mut self, target: &Target, estimate: usize) {
        if self.spent + estimate > target.challenge_budget
            && schedule::purge_challenges(target).await
        {
            self.spent = 0;
            self.purges += 1;
        }
        self.spent += estimate;
    }

    /// Readies the target for a campaign's batch of cases, `vectors` run with `seed`, while
    /// none runs: frees the challenge store if their logins would not fit ([`Self::spend`]),
    /// and credits all their wallets in one call of a batch funding hook (the other hooks fund
    /// case by case). A failed batch is left to the cases: each funds itself and says why it
    /// could not.
    pub async fn ready(&mut self, target: &Target, vectors: &[&Vector], seed: u64) {
        self.spend(target, vectors.iter().map(|v| challenge_estimate(v)).sum())
            .await;
        let rows: Vec<_> = vectors
            .iter()
            .flat_map(|v| schedule::funding_rows(v, seed))
            .collect();
        if let Err(e) = target.prefund(&rows).await {
            eprintln!("nitrocert: warning: batch funding failed, each case funds its own: {e}");
        }
    }
}

/// Exit code of a run: 0 conformant, 1 findings, 2 no finding but harness trouble
/// ([`crate::verdict::Outcome`]).
pub fn exit_code(report: &RunReport) -> i32 {
    Summary::of(&report.cases).outcome().exit_code()
}

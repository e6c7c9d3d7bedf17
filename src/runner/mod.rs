//! Certifying a broker: replay every vector on a target, diff every reply, push and balance
//! against the model, and collect a [`RunReport`]. A divergence is a finding in the report;
//! `Err` only means the harness itself could not run.

pub mod case;
pub mod diff;
pub mod funder;
pub mod known;
pub mod observe;
pub mod target;

pub use target::{ChannelHook, Funding, Target};

use crate::model::Profile;
use crate::report::{Class, RunReport, Summary};
use crate::vectors::Vector;

/// Prints progress; a bar on a terminal, plain lines elsewhere.
pub trait Progress {
    fn case_done(&mut self, done: usize, total: usize, report: &crate::report::CaseReport);
}

/// No progress output.
pub struct Quiet;

impl Progress for Quiet {
    fn case_done(&mut self, _: usize, _: usize, _: &crate::report::CaseReport) {}
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
    let started_at = crate::model::clock::rfc3339(crate::client::now_ms());
    let mut cases = Vec::new();
    for (i, vector) in vectors.iter().enumerate() {
        let mut report = case::run(vector, &config.target, config.profile, config.seed).await;
        config.known.apply(&mut report);
        progress.case_done(i + 1, vectors.len(), &report);
        cases.push(report);
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

/// Exit code of a run: 0 conformant, 1 findings.
pub fn exit_code(report: &RunReport) -> i32 {
    if report.cases.iter().any(|c| c.class.is_finding()) {
        1
    } else {
        0
    }
}

#[allow(dead_code)]
fn _classes_are_ordered() {
    debug_assert!(Class::Pass < Class::Fail);
}

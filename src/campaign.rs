//! A fuzz campaign against a target, above the runner: generated sequences ([`crate::gen`])
//! are filled into vectors and replayed with [`crate::runner::case::run`], which diffs every
//! reply, push and balance against the model and checks the invariants after every step. The
//! first case that is not PASS or INFORMATIONAL is a finding: it is shrunk against the same
//! target and written as a regression vector that replays with no generator and no seed.
//!
//! Everything is a function of the seed: sequence *i* of seed *s* is the same sequence, with the
//! same fresh keys and the same vector, on every run (live timestamps aside).

use crate::broker::{self, BrokerHandle};
use crate::client::Limits;
use crate::crypto::identity::{derive, Role};
use crate::engine::{Engine, Fault};
use crate::gen::script::{generate, play, to_vector, Played, Script};
use crate::gen::shrink::shrink;
use crate::gen::{bytes_for, seeded_bytes, GenConfig};
use crate::model::Profile;
use crate::runner::{self, case as runner_case, ChallengeBudget, Target};
use crate::vectors::{self, Vector};
use crate::verdict::{CaseReport, Class};
use arbitrary::Unstructured;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct CampaignConfig {
    pub profile: Profile,
    pub seed: u64,
    pub gen: GenConfig,
    /// Stop after this many replayed steps in total.
    pub max_steps: Option<u64>,
    /// Stop starting new sequences after this long.
    pub time_limit: Option<Duration>,
    /// Names case ids and the regression file: the fault, or the target.
    pub label: String,
    /// Most candidates shrinking may run.
    pub shrink_budget: usize,
    /// Folder the regression vector goes to (`vectors/regressions`); `None`: not written.
    pub regressions: Option<PathBuf>,
    /// Cases run at once (sequences, or shrinking candidates). Results are taken in order, so
    /// the outcome does not depend on it; 2 keeps both cores of a small machine busy.
    pub jobs: usize,
    /// The slice of the seed's sequences to run (all by default; `--shard I/N`).
    pub shard: crate::gen::Shard,
}

/// The first finding of a campaign, shrunk.
#[derive(Debug, Clone)]
pub struct Catch {
    /// Which sequence of the seed failed (regenerate with the same seed and index).
    pub sequence: u64,
    /// Steps replayed on the target up to and including the failing one.
    pub steps_to_catch: u64,
    pub class: Class,
    /// The first finding of the shrunk vector: what was compared, and the method of its step.
    pub what: String,
    pub message: String,
    pub method: String,
    pub original_steps: usize,
    pub shrink_attempts: usize,
    /// The regression vector (its steps are the shrunk sequence).
    pub vector: Vector,
    pub path: Option<PathBuf>,
    /// Whether the regression vector itself fails on the target (it should).
    pub confirmed: bool,
}

#[derive(Debug, Clone)]
pub struct CampaignReport {
    pub sequences: u64,
    pub steps: u64,
    pub catch: Option<Catch>,
    /// The harness's own trouble that ended the campaign without a verdict (its setup, its
    /// funding, its logins): never a catch, never shrunk into a vector.
    pub harness: Option<HarnessTrouble>,
    pub elapsed: Duration,
}

/// A sequence the harness could not run (a case that ended HARNESS).
#[derive(Debug, Clone, PartialEq)]
pub struct HarnessTrouble {
    pub sequence: u64,
    /// Why, as the case report says it.
    pub message: String,
}

impl HarnessTrouble {
    fn of(sequence: u64, report: &CaseReport) -> Self {
        let message = report
            .steps
            .iter()
            .flat_map(|s| &s.findings)
            .find(|f| f.class.is_harness())
            .map(|f| f.message.clone())
            .or_else(|| report.note.clone())
            .unwrap_or_default();
        HarnessTrouble { sequence, message }
    }
}

/// The first step of a case report that is a finding: (step index, class, what, message).
/// A broker error before the first step counts as step 0. A case the harness could not run
/// (HARNESS) has none: its trouble is not the broker's.
pub fn first_finding(report: &CaseReport) -> Option<(usize, Class, String, String)> {
    if matches!(
        report.class,
        Class::Pass | Class::Informational | Class::Skip | Class::Harness
    ) {
        return None;
    }
    let step = report
        .steps
        .iter()
        .find(|s| !matches!(s.class, Class::Pass | Class::Informational))?;
    let f = step
        .findings
        .iter()
        .find(|f| !matches!(f.class, Class::Pass | Class::Informational));
    Some((
        step.index,
        step.class,
        f.map(|f| f.what.clone()).unwrap_or_default(),
        f.map(|f| f.message.clone()).unwrap_or_default(),
    ))
}

/// What a failure is, for shrinking: candidates must fail the same way (a timeout, or another
/// bug met on the way, is not the failure being shrunk).
type FailureKind = (Class, String);

/// One case run: the vector, what was played, the report, and the first finding's kind and
/// plan index, if any.
struct Ran {
    vector: Vector,
    played: Vec<Played>,
    report: CaseReport,
    failing: Option<(FailureKind, usize)>,
}

/// Fills and runs scripts on the target, up to `config.jobs` at once (each fill on a blocking
/// thread, each case on its own task); results in input order. The batch's logins are
/// accounted for and its wallets funded (one call of a batch hook) before it starts, so the
/// broker's challenge store is freed between batches,
/// never under a running case (AUTH-9).
fn run_batch(
    rt: &tokio::runtime::Handle,
    target: &Target,
    config: &CampaignConfig,
    challenges: &mut ChallengeBudget,
    batch: Vec<(String, Script)>,
) -> Vec<Ran> {
    let profile = config.profile;
    let fills: Vec<_> = batch
        .into_iter()
        .map(|(id, script)| {
            rt.spawn_blocking(move || {
                let played = play(&script, profile);
                (to_vector(&id, "", &script, &played), played)
            })
        })
        .collect();
    rt.block_on(async {
        let mut filled = Vec::with_capacity(fills.len());
        for fill in fills {
            filled.push(fill.await.expect("filling a generated case does not panic"));
        }
        let vectors: Vec<&Vector> = filled.iter().map(|(v, _)| v).collect();
        challenges.ready(target, &vectors, config.seed).await;
        let tasks: Vec<_> = filled
            .into_iter()
            .map(|(vector, played)| {
                let (target, seed) = (target.clone(), config.seed);
                tokio::spawn(async move {
                    let report = runner_case::run(&vector, &target, profile, seed).await;
                    let failing = first_finding(&report).map(|(step, class, what, _)| {
                        ((class, what), played[step.min(played.len() - 1)].op)
                    });
                    Ran {
                        vector,
                        played,
                        report,
                        failing,
                    }
                })
            })
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        for task in tasks {
            out.push(task.await.expect("a case run does not panic"));
        }
        out
    })
}

/// After a NON-STRICT finding (the right verdict with another error text, which `certify` does
/// not fail on), how many more steps a campaign spends looking for a FAIL or ERROR to shrink.
const STRONGER_SEARCH_STEPS: u64 = 600;

/// A failing sequence to shrink: (sequence index, script, kind, failing plan, length).
type Failing = (u64, Script, FailureKind, usize, usize);

/// Generates and replays sequences until a finding, the step budget or the time limit.
/// `progress` is told (sequences, steps) after each sequence.
pub fn run(
    config: &CampaignConfig,
    target: &Target,
    rt: &tokio::runtime::Handle,
    progress: &mut dyn FnMut(u64, u64),
) -> std::io::Result<CampaignReport> {
    let started = Instant::now();
    let mut steps: u64 = 0;
    let mut sequence: u64 = 0;
    let label = &config.label;
    let seed = config.seed;
    let mut first_catch: Option<u64> = None;
    let mut weak: Option<Failing> = None;
    let mut strong: Option<Failing> = None;
    let mut harness: Option<HarnessTrouble> = None;
    let mut challenges = ChallengeBudget::default();
    'campaign: loop {
        let stop = |steps: u64, first_catch: Option<u64>| {
            first_catch.is_some_and(|at| steps >= at + STRONGER_SEARCH_STEPS)
                || config.max_steps.is_some_and(|m| steps >= m)
                || config.time_limit.is_some_and(|t| started.elapsed() >= t)
        };
        if stop(steps, first_catch) {
            break;
        }
        let mut batch = Vec::new();
        while batch.len() < config.jobs.max(1) {
            let position = config.shard.sequence(sequence);
            let bytes = seeded_bytes(seed, position, bytes_for(config.gen.max_steps));
            let script = generate(&mut Unstructured::new(&bytes), config.profile, &config.gen);
            if !script.ops.is_empty() {
                batch.push((position, script));
            }
            sequence += 1;
        }
        let runs = run_batch(
            rt,
            target,
            config,
            &mut challenges,
            batch
                .iter()
                .map(|(i, s)| (format!("fuzz/{label}-{seed}-{i}"), s.clone()))
                .collect(),
        );
        // In sequence order, as if run one at a time: later results of a batch that ends the
        // campaign are dropped, so the report does not depend on `jobs`.
        for ((index, script), ran) in batch.into_iter().zip(runs) {
            if stop(steps, first_catch) {
                break 'campaign;
            }
            let before = steps;
            steps += ran.vector.steps.len() as u64;
            progress(config.shard.local(index) + 1, steps);
            if ran.report.class.is_harness() {
                // What runs after it would be judged on a harness that cannot run cases.
                harness = Some(HarnessTrouble::of(index, &ran.report));
                break 'campaign;
            }
            let Some((kind, op)) = ran.failing else {
                continue;
            };
            let (step, ..) = first_finding(&ran.report).expect("a failing op has a finding");
            first_catch.get_or_insert(before + (step.min(ran.vector.steps.len() - 1) + 1) as u64);
            let failing = (index, script, kind, op, ran.played.len());
            if failing.2 .0.is_finding() {
                strong = Some(failing);
                break 'campaign;
            }
            weak.get_or_insert(failing);
        }
    }
    let sequences = strong
        .as_ref()
        .map(|f| config.shard.local(f.0) + 1)
        .or(harness.as_ref().map(|h| config.shard.local(h.sequence) + 1))
        .unwrap_or(sequence);
    // Harness trouble leaves no verdict: not even an earlier NON-STRICT is shrunk on a
    // harness that cannot run cases.
    let failing = match harness {
        Some(_) => None,
        None => strong.or(weak),
    };
    let catch = match failing {
        Some(failing) => Some(Catch {
            steps_to_catch: first_catch.expect("a catch was counted"),
            ..shrink_and_write(config, target, rt, &mut challenges, failing)?
        }),
        None => None,
    };
    Ok(CampaignReport {
        sequences,
        steps,
        catch,
        harness,
        elapsed: started.elapsed(),
    })
}

fn shrink_and_write(
    config: &CampaignConfig,
    target: &Target,
    rt: &tokio::runtime::Handle,
    challenges: &mut ChallengeBudget,
    (index, script, kind, failing, original_steps): Failing,
) -> std::io::Result<Catch> {
    let (label, seed) = (&config.label, config.seed);
    let mut attempt = 0;
    let shrunk = shrink(
        script,
        failing,
        config.shrink_budget,
        config.jobs,
        |candidates| {
            let batch = candidates
                .iter()
                .map(|c| {
                    attempt += 1;
                    (format!("fuzz/{label}-{seed}-{index}-{attempt}"), c.clone())
                })
                .collect();
            run_batch(rt, target, config, challenges, batch)
                .into_iter()
                .map(|ran| match ran.failing {
                    Some((k, op)) if k == kind && !ran.played.is_empty() => Some(op),
                    _ => None,
                })
                .collect()
        },
    );
    let played = play(&shrunk.script, config.profile);
    let id = format!("{}/{label}-{seed}", vectors::REGRESSIONS);
    let mut vector = to_vector(&id, "", &shrunk.script, &played);
    rt.block_on(challenges.spend(target, runner::challenge_estimate(&vector)));
    let report = rt.block_on(runner_case::run(
        &vector,
        target,
        config.profile,
        config.seed,
    ));
    let found = first_finding(&report);
    let (class, what, message, method) = match &found {
        Some((step, class, what, message)) => (
            *class,
            what.clone(),
            message.clone(),
            played
                .get(*step)
                .map(|p| p.request.method.clone())
                .unwrap_or_default(),
        ),
        None => (Class::Pass, String::new(), String::new(), String::new()),
    };
    vector.description = format!(
        "Regression found by `nitrocert fuzz --seed {seed}` against {label} (sequence {index}, \
         shrunk from {original_steps} to {} steps): {} {what} at step {} ({method}). Replays \
         with no generator; a conformant broker passes it.",
        vector.steps.len(),
        class.name(),
        found.as_ref().map(|f| f.0).unwrap_or(0),
    );
    let path = match &config.regressions {
        Some(dir) => Some(write_vector(dir, &vector)?),
        None => None,
    };
    Ok(Catch {
        sequence: index,
        steps_to_catch: 0,
        class,
        what,
        message,
        method,
        original_steps,
        shrink_attempts: shrunk.attempts,
        vector,
        path,
        confirmed: found.is_some(),
    })
}

/// Writes `vector` as `<dir>/<name>.json`, where the id is `regressions/<name>`.
pub fn write_vector(dir: &Path, vector: &Vector) -> std::io::Result<PathBuf> {
    let name = vector.id.rsplit('/').next().unwrap_or(&vector.id);
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, vectors::to_text(vector))?;
    Ok(path)
}

/// The embedded reference broker, in-process, optionally with a seeded bug; the target that
/// `certify` builds for it (the model funds wallets and gives channels directly).
pub async fn spawn_embedded(
    profile: Profile,
    fault: Option<Fault>,
    seed: u64,
    limits: Limits,
) -> std::io::Result<(Target, BrokerHandle)> {
    let engine = Engine::reference(profile, derive(seed, Role::Broker, 0), seed).with_fault(fault);
    let handle = broker::spawn(engine, "127.0.0.1:0".parse().expect("an address")).await?;
    let name = match fault {
        Some(f) => format!("embedded-fault-{}", f.name()),
        None => "embedded".into(),
    };
    let target = Target::embedded(&handle, name, limits);
    Ok((target, handle))
}

/// One fault's line of the kill-rate table.
#[derive(Debug, Clone)]
pub struct Kill {
    pub fault: Fault,
    pub report: CampaignReport,
}

impl Kill {
    pub fn caught(&self) -> bool {
        self.report.catch.is_some()
    }
}

/// Runs a campaign against the embedded broker carrying each fault in turn (label: the fault's
/// name). A fault that no campaign catches within the budget is a gap of the harness.
pub fn kill_rate(
    faults: &[Fault],
    base: &CampaignConfig,
    limits: &Limits,
    rt: &tokio::runtime::Handle,
    each: &mut dyn FnMut(&Kill),
) -> std::io::Result<Vec<Kill>> {
    let mut out = Vec::new();
    for &fault in faults {
        let (target, handle) = rt.block_on(spawn_embedded(
            base.profile,
            Some(fault),
            base.seed,
            limits.clone(),
        ))?;
        let config = CampaignConfig {
            label: fault.name().to_string(),
            ..base.clone()
        };
        let report = run(&config, &target, rt, &mut |_, _| {});
        rt.block_on(handle.stop());
        let kill = Kill {
            fault,
            report: report?,
        };
        each(&kill);
        out.push(kill);
    }
    Ok(out)
}

//! The fidelity campaign (`nitrocert fuzz --mutate`): how faithfully the model predicts a live
//! broker on paths no vector takes. Sequences come from [`crate::gen::fidelity`] (the
//! generator's sequences plus reads, logins and revocations, a share of steps mutated at the
//! wire level) and are replayed with [`crate::runner::case::run`] exactly as `fuzz` and
//! `certify` replay them. Unlike `fuzz`, a divergence does not end the campaign: every step is
//! counted (agreeing or diverging), each first divergence of a sequence is grouped by what
//! diverged (the method, the mutation, the class and what was compared), and one sequence per
//! group is shrunk into a vector for triage.
//!
//! Everything is a function of the seed and the first sequence index (live timestamps aside).

use crate::campaign::write_vector;
use crate::gen::fidelity::shrink::shrink;
use crate::gen::fidelity::{play, sequence, to_vector, FidelityGen, Played, Script};
use crate::model::Profile;
use crate::runner::{case as runner_case, ChallengeBudget, Target};
use crate::vectors::Vector;
use crate::verdict::{CaseReport, Class};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct FidelityConfig {
    pub profile: Profile,
    pub seed: u64,
    pub gen: FidelityGen,
    /// Stop after this many replayed steps.
    pub max_steps: Option<u64>,
    /// Stop starting new sequences after this long.
    pub time_limit: Option<Duration>,
    /// Names case ids and vector files (the target).
    pub label: String,
    /// Most candidates shrinking one group may run.
    pub shrink_budget: usize,
    /// Most groups shrunk (the rest are listed with the sequence that found them).
    pub max_shrinks: usize,
    /// Folder the shrunk vectors go to; `None`: not written.
    pub out: Option<PathBuf>,
    /// Sequences run at once; the report does not depend on it.
    pub jobs: usize,
    /// The index of the first sequence (a campaign run in chunks resumes where one ended).
    pub first_sequence: u64,
}

/// One kind of divergence: what diverged at the first diverging step of a sequence.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// `method` or `method/mutation` of the step.
    pub label: String,
    pub class: Class,
    /// What was compared (`response`, `error text`, `balance`, `harness`, …).
    pub what: String,
    /// The first occurrence's finding message.
    pub message: String,
    /// Sequences whose first divergence is of this kind.
    pub count: u64,
    pub first_sequence: u64,
    pub first_step: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shrunk: Option<ShrunkGroup>,
}

/// The shrunk vector of a group.
#[derive(Debug, Clone, Serialize)]
pub struct ShrunkGroup {
    pub steps: usize,
    pub attempts: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// Whether the shrunk vector diverges the same way on its own.
    pub confirmed: bool,
    pub message: String,
    #[serde(skip)]
    pub vector: Option<Vector>,
}

/// Steps and diverging steps of one label.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Tally {
    pub steps: u64,
    pub divergent: u64,
}

/// What a campaign measured.
#[derive(Debug, Clone, Serialize)]
pub struct FidelityReport {
    pub target: String,
    pub profile: String,
    pub seed: u64,
    pub first_sequence: u64,
    pub sequences: u64,
    pub steps: u64,
    /// Steps whose class is PASS or INFORMATIONAL.
    pub agreeing: u64,
    /// Every other step (a harness error ending a case counts as its step).
    pub divergent: u64,
    /// Cases not replayable on the target (SKIP), and sequences the filler refused.
    pub skipped_cases: u64,
    pub unfillable: u64,
    /// Restarts (or clock moves) to keep under the broker's pending-challenge cap.
    pub restarts: u64,
    pub groups: Vec<Group>,
    /// Per label (`method` or `method/mutation`): steps and diverging steps.
    pub labels: BTreeMap<String, Tally>,
    pub elapsed_ms: u64,
}

impl FidelityReport {
    /// Agreeing steps in percent.
    pub fn agreement(&self) -> f64 {
        if self.steps == 0 {
            return 100.0;
        }
        self.agreeing as f64 * 100.0 / self.steps as f64
    }
}

/// One sequence filled into a vector.
struct Filled {
    index: u64,
    script: Script,
    played: Vec<Played>,
    vector: Vector,
}

/// A case run of a filled sequence.
struct Ran {
    filled: Filled,
    report: CaseReport,
}

fn agrees(class: Class) -> bool {
    matches!(class, Class::Pass | Class::Informational)
}

/// The first diverging step of a report: (step index, class, what, message), the message
/// with the finding's expected and received texts.
fn first_divergence(report: &CaseReport) -> Option<(usize, Class, String, String)> {
    let step = report.steps.iter().find(|s| !agrees(s.class))?;
    let f = step.findings.iter().find(|f| !agrees(f.class));
    let message = f.map(|f| match (&f.expected, &f.received) {
        (None, None) => f.message.clone(),
        (e, r) => format!(
            "{} (model: {}; broker: {})",
            f.message,
            e.as_deref().unwrap_or("-"),
            r.as_deref().unwrap_or("-")
        ),
    });
    Some((
        step.index,
        step.class,
        f.map(|f| f.what.clone()).unwrap_or_default(),
        message.unwrap_or_default(),
    ))
}

/// The group key of a divergence at `step`: (label, class, what).
type Key = (String, Class, String);

fn key_of(played: &[Played], step: usize, class: Class, what: &str) -> Key {
    let label = played
        .get(step)
        .map(Played::label)
        .unwrap_or_else(|| "setup".into());
    (label, class, what.to_string())
}

/// Generates, plays and fills sequence `index` (a blocking job).
fn fill(config: &FidelityConfig, index: u64) -> Option<Filled> {
    let id = format!("fidelity/{}-{}-{index}", config.label, config.seed);
    let (script, played, vector) = sequence(config.profile, &config.gen, config.seed, index, &id)?;
    Some(Filled {
        index,
        script,
        played,
        vector,
    })
}

/// The campaign's state between batches.
struct State {
    next: u64,
    steps: u64,
    report: FidelityReport,
    /// The first diverging sequence of each group, for shrinking.
    samples: BTreeMap<Key, (Script, usize)>,
    challenges: ChallengeBudget,
}

/// Fills and runs `count` sequences from `state.next` on, up to `jobs` at once; in order.
fn run_batch(
    rt: &tokio::runtime::Handle,
    target: &Target,
    config: &FidelityConfig,
    state: &mut State,
    count: usize,
) -> Vec<Option<Ran>> {
    let fills: Vec<_> = (0..count as u64)
        .map(|k| {
            let (config, index) = (config.clone(), state.next + k);
            rt.spawn_blocking(move || fill(&config, index))
        })
        .collect();
    state.next += count as u64;
    let filled: Vec<Option<Filled>> = rt.block_on(async {
        let mut out = Vec::new();
        for f in fills {
            // A sequence the filler panics on is a generator bug: counted, never fatal.
            out.push(f.await.unwrap_or(None));
        }
        out
    });
    let vectors: Vec<&Vector> = filled.iter().flatten().map(|f| &f.vector).collect();
    rt.block_on(state.challenges.ready(target, &vectors, config.seed));
    let tasks: Vec<_> = filled
        .into_iter()
        .map(|f| {
            let (target, profile, seed) = (target.clone(), config.profile, config.seed);
            rt.spawn(async move {
                let f = f?;
                let report = runner_case::run(&f.vector, &target, profile, seed).await;
                Some(Ran { filled: f, report })
            })
        })
        .collect();
    rt.block_on(async {
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap_or(None));
        }
        out
    })
}

/// Counts one case run into the report.
fn account(state: &mut State, ran: Ran) {
    let Ran { filled, report } = ran;
    let r = &mut state.report;
    if report.class == Class::Skip {
        r.skipped_cases += 1;
        return;
    }
    for step in &report.steps {
        let label = key_of(&filled.played, step.index, step.class, "").0;
        let tally = r.labels.entry(label).or_default();
        tally.steps += 1;
        r.steps += 1;
        if agrees(step.class) {
            r.agreeing += 1;
        } else {
            tally.divergent += 1;
            r.divergent += 1;
        }
    }
    state.steps += report.steps.len() as u64;
    let Some((step, class, what, message)) = first_divergence(&report) else {
        return;
    };
    let key = key_of(&filled.played, step, class, &what);
    match r
        .groups
        .iter_mut()
        .find(|g| (&g.label, g.class, &g.what) == (&key.0, key.1, &key.2))
    {
        Some(g) => g.count += 1,
        None => {
            r.groups.push(Group {
                label: key.0.clone(),
                class,
                what,
                message,
                count: 1,
                first_sequence: filled.index,
                first_step: step,
                shrunk: None,
            });
            let plan_step = filled.played.get(step).map(|p| p.step).unwrap_or(0);
            state.samples.insert(key, (filled.script, plan_step));
        }
    }
}

/// Runs the campaign: sequences until the step budget or the time limit, then shrinks one
/// sequence per group. `progress` gets (sequences, steps, diverging steps) after each batch.
pub fn run(
    config: &FidelityConfig,
    target: &Target,
    rt: &tokio::runtime::Handle,
    progress: &mut dyn FnMut(u64, u64, u64),
) -> std::io::Result<FidelityReport> {
    let started = Instant::now();
    let mut state = State {
        next: config.first_sequence,
        steps: 0,
        report: FidelityReport {
            target: target.name.clone(),
            profile: config.profile.name().to_string(),
            seed: config.seed,
            first_sequence: config.first_sequence,
            sequences: 0,
            steps: 0,
            agreeing: 0,
            divergent: 0,
            skipped_cases: 0,
            unfillable: 0,
            restarts: 0,
            groups: vec![],
            labels: BTreeMap::new(),
            elapsed_ms: 0,
        },
        samples: BTreeMap::new(),
        challenges: ChallengeBudget::default(),
    };
    loop {
        let done = config.max_steps.is_some_and(|m| state.steps >= m)
            || config.time_limit.is_some_and(|t| started.elapsed() >= t);
        if done {
            break;
        }
        for ran in run_batch(rt, target, config, &mut state, config.jobs.max(1)) {
            state.report.sequences += 1;
            match ran {
                Some(ran) => account(&mut state, ran),
                None => state.report.unfillable += 1,
            }
        }
        let r = &state.report;
        progress(r.sequences, r.steps, r.divergent);
    }
    shrink_groups(config, target, rt, &mut state)?;
    state.report.restarts = state.challenges.purges;
    state.report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(state.report)
}

/// Runs candidate scripts on the target: for each, the plan step of its first divergence
/// when that divergence has `key`.
fn diverges_as(
    config: &FidelityConfig,
    target: &Target,
    rt: &tokio::runtime::Handle,
    key: &Key,
    candidates: &[Script],
    attempt: &mut usize,
    challenges: &mut ChallengeBudget,
) -> Vec<Option<usize>> {
    let filled: Vec<(Vec<Played>, Vector)> = candidates
        .iter()
        .map(|script| {
            *attempt += 1;
            let id = format!("fidelity/{}-{}-shrink-{attempt}", config.label, config.seed);
            let played = play(script, config.profile);
            let vector = to_vector(&id, "", script, &played);
            (played, vector)
        })
        .collect();
    let vectors: Vec<&Vector> = filled.iter().map(|(_, v)| v).collect();
    rt.block_on(challenges.ready(target, &vectors, config.seed));
    let tasks: Vec<_> = filled
        .into_iter()
        .map(|(played, vector)| {
            let (target, profile, seed) = (target.clone(), config.profile, config.seed);
            let key = key.clone();
            rt.spawn(async move {
                let report = runner_case::run(&vector, &target, profile, seed).await;
                let (step, class, what, _) = first_divergence(&report)?;
                (key_of(&played, step, class, &what) == key).then(|| played[step].step)
            })
        })
        .collect();
    rt.block_on(async {
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.ok().flatten());
        }
        out
    })
}

fn shrink_groups(
    config: &FidelityConfig,
    target: &Target,
    rt: &tokio::runtime::Handle,
    state: &mut State,
) -> std::io::Result<()> {
    let mut order: Vec<usize> = (0..state.report.groups.len()).collect();
    // The most frequent kinds first: they weigh most on the agreement figure.
    order.sort_by_key(|&i| std::cmp::Reverse(state.report.groups[i].count));
    for (n, i) in order.into_iter().take(config.max_shrinks).enumerate() {
        let g = &state.report.groups[i];
        let key: Key = (g.label.clone(), g.class, g.what.clone());
        let Some((script, failing)) = state.samples.get(&key).cloned() else {
            continue;
        };
        let mut attempt = 0;
        let challenges = &mut state.challenges;
        let shrunk = shrink(
            script,
            failing,
            config.shrink_budget,
            config.jobs,
            |batch| diverges_as(config, target, rt, &key, batch, &mut attempt, challenges),
        );
        let shrunk_group = confirm(config, target, rt, &key, &shrunk.script, n, shrunk.attempts)?;
        state.report.groups[i].shrunk = Some(shrunk_group);
    }
    Ok(())
}

/// Fills the shrunk script as a vector, runs it once more and writes it.
fn confirm(
    config: &FidelityConfig,
    target: &Target,
    rt: &tokio::runtime::Handle,
    key: &Key,
    script: &Script,
    n: usize,
    attempts: usize,
) -> std::io::Result<ShrunkGroup> {
    let played = play(script, config.profile);
    let name = key.0.replace('/', "-");
    let id = format!("fidelity/{}-{}-{n}-{name}", config.label, config.seed);
    let description = format!(
        "Divergence found by the fidelity campaign (`nitrocert fuzz --mutate`, seed {}) \
         against {}: {} {} at {}. Replays with no generator.",
        config.seed,
        config.label,
        key.1.name(),
        key.2,
        key.0
    );
    let vector = to_vector(&id, &description, script, &played);
    let report = rt.block_on(runner_case::run(
        &vector,
        target,
        config.profile,
        config.seed,
    ));
    let found = first_divergence(&report);
    let confirmed = found
        .as_ref()
        .is_some_and(|(s, c, w, _)| key_of(&played, *s, *c, w) == *key);
    let path = match &config.out {
        Some(dir) => Some(write_vector(dir, &vector)?),
        None => None,
    };
    Ok(ShrunkGroup {
        steps: vector.steps.len(),
        attempts,
        path,
        confirmed,
        message: found.map(|f| f.3).unwrap_or_default(),
        vector: Some(vector),
    })
}

/// The report as Markdown: the figures, then one row per group.
pub fn markdown(report: &FidelityReport) -> String {
    let mut out = format!(
        "# Fidelity campaign: {} ({})\n\nSeed {}, sequences {}…{}: **{} steps, {} agreeing \
         ({:.4} %), {} diverging**; {} cases skipped, {} sequences not fillable, {} restarts, \
         {:.0} s.\n\n",
        report.target,
        report.profile,
        report.seed,
        report.first_sequence,
        report.first_sequence + report.sequences,
        report.steps,
        report.agreeing,
        report.agreement(),
        report.divergent,
        report.skipped_cases,
        report.unfillable,
        report.restarts,
        report.elapsed_ms as f64 / 1000.0,
    );
    out.push_str("| label | class | what | sequences | first | shrunk | message |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for g in &report.groups {
        let shrunk = g
            .shrunk
            .as_ref()
            .map(|s| {
                format!(
                    "{} steps{}",
                    s.steps,
                    if s.confirmed { "" } else { " (unconfirmed)" }
                )
            })
            .unwrap_or_else(|| "—".into());
        let message: String = g.message.chars().take(400).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {}#{} | {} | {} |\n",
            g.label,
            g.class.name(),
            g.what,
            g.count,
            g.first_sequence,
            g.first_step,
            shrunk,
            message.replace('|', "\\|").replace('\n', " ")
        ));
    }
    out
}

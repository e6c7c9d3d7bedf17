//! Races: many connections send conflicting requests at once, released together by a barrier,
//! and a checker decides whether some serial order explains what the broker answered and
//! booked (Jepsen's bank workload and Knossos/Porcupine's search, on NitroRPC).
//!
//! - [`vector`]: race vectors (`vectors/races/*.race`), which requests are released together;
//! - [`catalog`]: the kinds of race and their vectors, built from a seed;
//! - [`exec`]: one run of a race vector on a broker, with its history and verdicts;
//! - [`check`]: the serializability search; [`verdict`]: anomalies and classes;
//! - [`timeline`]: the history as an HTML timeline per connection;
//! - [`verdicts`]: the verdicts on Q-23 and FUZZ-5 as data for `quirks.md` (`races.json`).
//!
//! [`explore`] is `nitrocert race`: rounds of every kind, merged into one burst on disjoint
//! wallets; the first anomaly of a kind becomes a two-client race vector, replayed
//! [`ExploreConfig::tries`] times for its reproduction rate. [`replay`] runs a race vector K
//! times (the entry point `certify` can call).

pub mod catalog;
pub mod check;
pub mod exec;
pub mod history;
pub mod timeline;
pub mod vector;
pub mod verdict;
pub mod verdicts;

pub use exec::{Env, InstanceReport};
pub use vector::{Kind, RaceVector};
pub use verdict::RaceClass;

use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How far to move a broker clock the harness controls so every pending challenge is purged
/// (5 min TTL plus the 10 min sweep, AUTH-9).
const CHALLENGE_PURGE_MS: u64 = 16 * 60 * 1000;

/// What `nitrocert race` explores.
#[derive(Debug, Clone)]
pub struct ExploreConfig {
    pub kinds: Vec<Kind>,
    /// Racing connections per race.
    pub clients: usize,
    pub time: Duration,
    pub max_rounds: Option<u64>,
    /// Replays of a found race's minimal vector (its reproduction rate).
    pub tries: usize,
    /// Where found races are written as vectors (`None`: not written).
    pub races_dir: Option<PathBuf>,
    /// Names the written vectors (`races/<label>-<kind>`).
    pub label: String,
    /// `auth_request`s allowed before the broker must forget its challenges (AUTH-9).
    pub challenge_budget: usize,
    /// A command that restarts the broker (its challenges go with it).
    pub restart: Option<String>,
    /// Stop at the first FAIL (the kill-rate self-test).
    pub stop_on_fail: bool,
}

/// A found race, replayed.
#[derive(Debug, Clone, Serialize)]
pub struct Reproducer {
    pub vector: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub tries: usize,
    /// Replays with an anomaly (QUIRK or FAIL) …
    pub reproduced: usize,
    /// … of which FAILed (in `clearnode-0.5.2`: money created or destroyed).
    pub failed: usize,
}

/// The counts of one kind.
#[derive(Debug, Clone, Serialize)]
pub struct KindTally {
    pub kind: Kind,
    pub rules: Vec<String>,
    pub bursts: usize,
    pub pass: usize,
    pub quirk: usize,
    pub fail: usize,
    pub unknown: usize,
    pub error: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub first_anomalies: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reproducer: Option<Reproducer>,
}

impl KindTally {
    fn new(kind: Kind) -> Self {
        KindTally {
            kind,
            rules: kind.rules().iter().map(|r| r.to_string()).collect(),
            bursts: 0,
            pass: 0,
            quirk: 0,
            fail: 0,
            unknown: 0,
            error: 0,
            first_anomalies: vec![],
            reproducer: None,
        }
    }

    fn count(&mut self, class: RaceClass) {
        self.bursts += 1;
        match class {
            RaceClass::Pass => self.pass += 1,
            RaceClass::Quirk => self.quirk += 1,
            RaceClass::Fail => self.fail += 1,
            RaceClass::Unknown => self.unknown += 1,
            RaceClass::Error => self.error += 1,
        }
    }

    /// The class this kind ends with (the worst seen).
    pub fn class(&self) -> RaceClass {
        [
            (self.error, RaceClass::Error),
            (self.fail, RaceClass::Fail),
            (self.unknown, RaceClass::Unknown),
            (self.quirk, RaceClass::Quirk),
        ]
        .into_iter()
        .find(|(n, _)| *n > 0)
        .map(|(_, c)| c)
        .unwrap_or(RaceClass::Pass)
    }
}

/// What the checker cost, over every checked burst of the exploration.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckerStats {
    pub bursts: usize,
    pub us_total: u64,
    pub us_max: u64,
    pub model_steps_total: u64,
    pub model_steps_max: u64,
    /// Independent parts searched (Porcupine's partitions), in total.
    pub parts: usize,
    /// Bursts whose search ended `unknown`.
    pub unknown: usize,
}

impl CheckerStats {
    fn add(&mut self, instance: &InstanceReport) {
        for b in &instance.bursts {
            self.bursts += 1;
            self.us_total += b.check_us;
            self.us_max = self.us_max.max(b.check_us);
            self.model_steps_total += b.model_steps;
            self.model_steps_max = self.model_steps_max.max(b.model_steps);
            self.parts += b.parts.len();
            if matches!(b.serial, check::Serial::Unknown { .. }) {
                self.unknown += 1;
            }
        }
    }
}

/// Everything a `nitrocert race` run found.
#[derive(Debug, Clone, Serialize)]
pub struct RaceReport {
    pub target: String,
    pub endpoint: String,
    pub profile: String,
    pub seed: u64,
    pub clients: usize,
    pub rounds: u64,
    pub logins: usize,
    pub kinds: Vec<KindTally>,
    pub checker: CheckerStats,
    /// Runs worth reading: round 0, and the first run of each kind that ended in each class
    /// other than PASS (the counts cover the rest).
    pub instances: Vec<InstanceReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub duration_ms: u64,
}

impl RaceReport {
    /// Exit code: 1 when a race FAILed or could not run.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.kinds.iter().any(|k| k.class().is_finding()))
    }
}

/// Signature logins a run of `vector` spends (AUTH-9).
pub fn logins_of(vector: &RaceVector) -> usize {
    vector
        .connections
        .iter()
        .filter(|c| matches!(c.login, vector::Login::Signature { .. }))
        .count()
}

/// Keeps the broker under its pending-challenge cap: restarts it, or moves its clock, or
/// says why it cannot go on.
struct Challenges {
    spent: usize,
}

impl Challenges {
    async fn make_room(
        &mut self,
        needed: usize,
        env: &Env,
        config: &ExploreConfig,
    ) -> Result<(), String> {
        if self.spent + needed <= config.challenge_budget {
            self.spent += needed;
            return Ok(());
        }
        if let Some(command) = &config.restart {
            run_command(command).await?;
            if let crate::runner::Funding::Funder(f) = &env.target.funding {
                f.forget().await;
            }
        } else if !env.target.advance(CHALLENGE_PURGE_MS) {
            return Err(format!(
                "stopped after {} logins: the broker holds at most 1000 pending challenges for ~15 min (AUTH-9); give --restart-cmd or a larger --challenge-budget",
                self.spent
            ));
        }
        self.spent = needed;
        Ok(())
    }

    /// A broker that refused a login for its challenge cap (AUTH-9, shared with other users)
    /// gets the restart (or the clock move) before the next run.
    fn after(&mut self, run: &InstanceReport) {
        if run
            .error
            .as_deref()
            .is_some_and(|e| e.contains("failed to generate challenge"))
        {
            self.spent = usize::MAX / 2;
        }
    }
}

async fn run_command(command: &str) -> Result<(), String> {
    let run = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(Duration::from_secs(120), run).await {
        Err(_) => Err(format!("`{command}` did not finish within 120 s")),
        Ok(Err(e)) => Err(format!("`{command}` could not start: {e}")),
        Ok(Ok(out)) if out.status.success() => Ok(()),
        Ok(Ok(out)) => Err(format!(
            "`{command}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// Runs rounds until the time or the round limit is reached; see the module doc.
pub async fn explore(
    env: &Env,
    config: &ExploreConfig,
    progress: &mut dyn FnMut(&str),
) -> RaceReport {
    let started = Instant::now();
    let mut report = RaceReport {
        target: env.target.name.clone(),
        endpoint: env.target.url.clone(),
        profile: env.profile.name().to_string(),
        seed: env.seed,
        clients: config.clients,
        rounds: 0,
        logins: 0,
        kinds: config.kinds.iter().map(|k| KindTally::new(*k)).collect(),
        checker: CheckerStats::default(),
        instances: vec![],
        note: None,
        duration_ms: 0,
    };
    let mut challenges = Challenges { spent: 0 };
    let mut shown: std::collections::BTreeSet<(Kind, RaceClass)> = Default::default();
    while report.rounds < config.max_rounds.unwrap_or(u64::MAX) && started.elapsed() < config.time {
        let round = report.rounds;
        let vector = round_vector(env.seed, round, config);
        if let Err(e) = challenges.make_room(logins_of(&vector), env, config).await {
            report.note = Some(e);
            break;
        }
        let instance = exec::run(&vector, env, round as usize).await;
        challenges.after(&instance);
        report.rounds += 1;
        report.logins += instance.logins;
        let classes = instance.classes(&vector);
        report.checker.add(&instance);
        for kind in tally(&mut report, &vector, &instance) {
            if let Err(e) = reproduce(kind, round, env, config, &mut report, &mut challenges).await
            {
                report.note = Some(e);
            }
        }
        progress(&round_line(round, &instance, &classes));
        let failed = classes.iter().any(|(_, _, c)| *c == RaceClass::Fail);
        // A new (kind, class) pair is worth a timeline; a repeat only adds to the counts.
        let new: Vec<_> = classes
            .iter()
            .map(|(_, k, c)| (*k, *c))
            .filter(|pair| !shown.contains(pair))
            .collect();
        if round == 0 || new.iter().any(|(_, c)| *c != RaceClass::Pass) {
            shown.extend(new);
            report.instances.push(instance);
        }
        if config.stop_on_fail && failed {
            break;
        }
    }
    report.duration_ms = started.elapsed().as_millis() as u64;
    report
}

/// Round `round`: one race of every kind, merged into one burst.
pub fn round_vector(seed: u64, round: u64, config: &ExploreConfig) -> RaceVector {
    let parts: Vec<RaceVector> = config
        .kinds
        .iter()
        .map(|k| catalog::build(*k, config.clients, &mut catalog::kind_rng(seed, round, *k)))
        .collect();
    catalog::merge(&format!("races/round-{round}"), &parts)
}

/// Counts the round's verdicts; returns the kinds that reproduced a race for the first time.
fn tally(report: &mut RaceReport, vector: &RaceVector, instance: &InstanceReport) -> Vec<Kind> {
    let mut first = Vec::new();
    for (group, kind, class) in instance.classes(vector) {
        let Some(t) = report.kinds.iter_mut().find(|t| t.kind == kind) else {
            continue;
        };
        t.count(class);
        for b in &instance.bursts {
            let Some(v) = b.groups.iter().find(|v| v.group == group) else {
                continue;
            };
            if class.reproduced() && t.first_anomalies.is_empty() {
                t.first_anomalies = v.anomalies.iter().map(|a| a.describe()).collect();
            }
        }
        if class.reproduced() && t.reproducer.is_none() {
            first.push(kind);
        }
    }
    first
}

fn round_line(
    round: u64,
    instance: &InstanceReport,
    classes: &[(String, Kind, RaceClass)],
) -> String {
    let notable: Vec<String> = classes
        .iter()
        .filter(|(_, _, c)| *c != RaceClass::Pass)
        .map(|(_, k, c)| format!("{} {}", c.name(), k.name()))
        .collect();
    match (&instance.error, notable.is_empty()) {
        (Some(e), _) => format!("round {round}: ERROR {e}"),
        (None, true) => format!("round {round}: every race serializable"),
        (None, false) => format!("round {round}: {}", notable.join(", ")),
    }
}

/// Writes the two-client race of `kind` from `round` as a vector and replays it.
async fn reproduce(
    kind: Kind,
    round: u64,
    env: &Env,
    config: &ExploreConfig,
    report: &mut RaceReport,
    challenges: &mut Challenges,
) -> Result<(), String> {
    let mut vector = catalog::build(kind, 2, &mut catalog::kind_rng(env.seed, round, kind));
    vector.id = format!("races/{}-{}", config.label, kind.name());
    let path = match &config.races_dir {
        Some(dir) => {
            let path = vector::path_of(dir, vector.id.trim_start_matches("races/"));
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            std::fs::write(&path, vector::to_text(&vector))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Some(path.display().to_string())
        }
        None => None,
    };
    let (mut reproduced, mut failed) = (0, 0);
    for k in 0..config.tries {
        challenges
            .make_room(logins_of(&vector), env, config)
            .await?;
        let run = exec::run(&vector, env, k).await;
        report.logins += run.logins;
        challenges.after(&run);
        let worst = run.classes(&vector).iter().map(|(_, _, c)| *c).max();
        reproduced += usize::from(worst.is_some_and(RaceClass::reproduced));
        failed += usize::from(worst == Some(RaceClass::Fail));
    }
    if let Some(t) = report.kinds.iter_mut().find(|t| t.kind == kind) {
        t.reproducer = Some(Reproducer {
            vector: vector.id.clone(),
            path,
            tries: config.tries,
            reproduced,
            failed,
        });
    }
    Ok(())
}

/// A race vector replayed K times.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    pub vector: String,
    pub tries: usize,
    /// Runs in which some race of the vector showed an anomaly.
    pub reproduced: usize,
    /// Runs per worst class.
    pub classes: std::collections::BTreeMap<String, usize>,
    pub logins: usize,
    /// The first run that reproduced, and every run that failed to run.
    pub instances: Vec<InstanceReport>,
}

impl ReplayReport {
    pub fn worst(&self) -> RaceClass {
        [
            RaceClass::Error,
            RaceClass::Fail,
            RaceClass::Unknown,
            RaceClass::Quirk,
        ]
        .into_iter()
        .find(|c| self.classes.contains_key(c.name()))
        .unwrap_or(RaceClass::Pass)
    }
}

/// Runs `vector` `tries` times with fresh keys each time (tries `first..first + tries`).
pub async fn replay(vector: &RaceVector, env: &Env, tries: usize, first: usize) -> ReplayReport {
    let mut out = ReplayReport {
        vector: vector.id.clone(),
        tries,
        reproduced: 0,
        classes: Default::default(),
        logins: 0,
        instances: vec![],
    };
    for k in first..first + tries {
        let run = exec::run(vector, env, k).await;
        out.logins += run.logins;
        let worst = run
            .classes(vector)
            .iter()
            .map(|(_, _, c)| *c)
            .max()
            .unwrap_or(RaceClass::Error);
        *out.classes.entry(worst.name().to_string()).or_default() += 1;
        let first_repro = worst.reproduced() && out.reproduced == 0;
        if worst.reproduced() {
            out.reproduced += 1;
        }
        if first_repro || run.error.is_some() {
            out.instances.push(run);
        }
    }
    out
}

/// The race self-test of one seeded fault: the embedded broker carrying `fault`, explored for
/// at most `rounds` rounds (stopping at the first FAIL). Caught when some race FAILs.
pub async fn against_fault(
    fault: crate::engine::Fault,
    profile: crate::model::Profile,
    seed: u64,
    rounds: u64,
    limits: crate::client::Limits,
) -> std::io::Result<RaceReport> {
    let (target, handle) =
        crate::gen::campaign::spawn_embedded(profile, Some(fault), seed, limits).await?;
    let env = Env {
        target,
        profile,
        seed,
        budget: check::Budget::default(),
    };
    let config = ExploreConfig {
        kinds: Kind::ALL.to_vec(),
        clients: 2,
        time: Duration::from_secs(600),
        max_rounds: Some(rounds),
        tries: 0,
        races_dir: None,
        label: fault.name().to_string(),
        challenge_budget: 800,
        restart: None,
        stop_on_fail: true,
    };
    let report = explore(&env, &config, &mut |_| {}).await;
    handle.stop().await;
    Ok(report)
}

//! Running a run's cases at once. Cases are independent (each has fresh wallets, derived from
//! the seed and its id), so up to `jobs` of them run concurrently on the target; the report
//! keeps the vectors' order and every case's verdict is what it would be alone. Three things
//! are shared and scheduled here:
//!
//! - **The broker's clock.** A case that moves it (needs-clock, on a target with a clock hook)
//!   runs alone: nothing else is in flight while the broker's time jumps.
//! - **Real time.** A case that waits for real time instead ([`timeline::compress`], on a
//!   target without a clock hook) starts first and waits beside the others, outside the
//!   `jobs` slots, so a run is not made longer by its wait.
//! - **The broker's challenge store** (AUTH-9: Clearnode holds at most 1000 pending challenges
//!   for everyone). The run counts what its own logins hold ([`AuthLedger`]), releases the
//!   completed ones ([`Janitor`]), and never starts a case that could take it past
//!   [`Target::challenge_budget`]: first it releases, then it lets the cases in flight finish,
//!   then it restarts the broker (`--restart-cmd`), moves its clock past the sweep (a clock
//!   hook), or, with neither, waits for the broker's own sweep and says so.
//!
//! Funding that takes batches ([`super::Funding::Batch`]) is done for many cases in one call,
//! ahead of them.

use super::target::{run_command, Credit, Funding, Target};
use super::{budget, case, timeline, Progress, RunConfig};
use crate::client::{AuthLedger, Connection, Limits};
use crate::crypto::identity::run_key;
use crate::model::amount::render;
use crate::scenario::Role;
use crate::vectors::format::Action;
use crate::vectors::Vector;
use crate::verdict::CaseReport;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// How far to move a broker's clock so that every pending challenge is purged (5 min TTL plus
/// the 10 min sweep, AUTH-9).
pub const CHALLENGE_PURGE_MS: u64 = 16 * 60 * 1000;

/// Cases whose wallets one batch funding call credits.
const FUNDING_WINDOW: usize = 256;

/// The cores of this machine: the default number of cases run at once.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// An upper bound of the `auth_request`s a case sends: its authenticated connections, one
/// observer per wallet, its auth steps, and the funder's login.
pub fn challenge_estimate(vector: &Vector) -> usize {
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
            // A mutated login (fidelity) may still reach the broker as one.
            Action::Raw { text, .. } => text.contains("auth_request"),
            _ => false,
        })
        .count();
    connections + wallets + steps + 1
}

/// The balances a case credits in its setup, as the funding hook gets them: (wallet address,
/// asset, amount), the wallets being the case's fresh identities for `seed`.
pub fn funding_rows(vector: &Vector, seed: u64) -> Vec<Credit> {
    vector
        .setup
        .balances
        .iter()
        .map(|b| Credit {
            wallet: run_key(seed, &vector.id, &b.wallet).address(),
            asset: b.asset.clone(),
            amount: render(&b.amount),
        })
        .collect()
}

/// How a case shares the target with the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Share {
    /// Beside up to `jobs - 1` others.
    Together,
    /// With nothing else in flight: it moves the broker's clock.
    Alone,
    /// Started first, outside the `jobs` slots: it mostly waits for real time to pass.
    Waits,
}

/// One case as scheduled: the vector it runs (compressed in time, or as loaded) and how.
struct Planned {
    vector: Vector,
    share: Share,
    estimate: usize,
    /// Why the case runs other than as filed (said in its report).
    note: Option<String>,
}

fn plan(vector: &Vector, target: &Target) -> Planned {
    let estimate = challenge_estimate(vector);
    let plain = |share| Planned {
        vector: vector.clone(),
        share,
        estimate,
        note: None,
    };
    if !timeline::needs_time(vector) {
        return plain(Share::Together);
    }
    if target.clock.is_some() {
        return plain(Share::Alone);
    }
    match timeline::compress(vector) {
        Some(short) => Planned {
            vector: short,
            share: Share::Waits,
            estimate,
            note: Some(format!(
                "run in real time (the target has no clock hook): the short-lived session key \
                 lives {} s instead of as filed, and the steps after its expiry come as much \
                 earlier, each as far from the expiry as filed",
                timeline::SHORT_LIFETIME_S
            )),
        },
        None => plain(Share::Together),
    }
}

/// Presents completed logins to the broker once more, so that it forgets their challenges
/// ([`AuthLedger`]): on a connection of the run's own, never a case's.
pub struct Janitor {
    url: String,
    limits: Limits,
    conn: Option<Connection>,
}

impl Janitor {
    pub fn new(target: &Target) -> Self {
        let limits = Limits {
            auth_ledger: None,
            ..target.limits.clone()
        };
        Self {
            url: target.url.clone(),
            limits,
            conn: None,
        }
    }

    /// Releases the completed logins of `ledger` but those of the cases `in_flight` (a case may
    /// present its own login again, AUTH-7); how many challenges the broker let go (a refusal
    /// of the repeated `auth_verify` means it did, REPLAY-4).
    pub async fn release(&mut self, ledger: &AuthLedger, in_flight: &HashSet<usize>) -> u64 {
        let frames = ledger.take_completed(|case| !in_flight.contains(&case));
        let mut released = 0;
        for frame in frames {
            if self.conn.is_none() {
                match Connection::connect(&self.url, self.limits.clone()).await {
                    Ok(c) => self.conn = Some(c),
                    Err(_) => break,
                }
            }
            let conn = self.conn.as_mut().expect("connected above");
            match conn.exchange(&frame).await {
                Ok(x) if x.reply.frame.error_message().is_some() => released += 1,
                Ok(_) => {}
                Err(_) => self.conn = None,
            }
        }
        ledger.released(released);
        released
    }

    /// Forgets the connection (the broker restarted).
    pub async fn forget(&mut self) {
        if let Some(conn) = self.conn.take() {
            conn.close().await;
        }
    }
}

/// Empties the broker's challenge store by a hook (AUTH-9): a restart (`--restart-cmd`), or its
/// clock moved past the purge (a broker whose clock the harness moves drops its spent and
/// expired challenges once they are this old). False when the target has neither hook.
pub async fn purge_challenges(target: &Target) -> bool {
    match &target.restart {
        Some(command) => {
            if let Err(e) = run_command(command).await {
                eprintln!("nitrocert: warning: restarting the broker failed: {e}");
            }
            if let Funding::Funder(funder) = &target.funding {
                funder.forget().await;
            }
            true
        }
        None => target.advance(CHALLENGE_PURGE_MS),
    }
}

/// Keeps a run's challenges under the target's budget.
pub struct ChallengeGate {
    janitor: Janitor,
    budget: u64,
    warned: bool,
}

impl ChallengeGate {
    pub fn new(target: &Target) -> Self {
        Self {
            janitor: Janitor::new(target),
            budget: target.challenge_budget as u64,
            warned: false,
        }
    }

    /// Whether `more` challenges fit beside the ones the run holds, releasing completed
    /// logins of the cases over first when they would not. `reserved`: the estimates of the
    /// cases `in_flight`.
    pub async fn fits(
        &mut self,
        target: &Target,
        in_flight: &HashSet<usize>,
        reserved: u64,
        more: u64,
    ) -> bool {
        let Some(ledger) = target.ledger() else {
            return true;
        };
        let fits = |l: &AuthLedger| l.pending() + reserved + more <= self.budget;
        // Releasing costs a round trip per login: done in bulk, once half the budget is used.
        if ledger.pending() + reserved + more > self.budget / 2 {
            self.janitor.release(ledger, in_flight).await;
        }
        fits(ledger) || (ledger.pending() == 0 && reserved == 0)
    }

    /// Empties the broker's challenge store with nothing in flight: a restart, the clock moved
    /// past the sweep, or, with neither hook, a wait for the broker's own sweep.
    pub async fn recover(&mut self, target: &Target) {
        let Some(ledger) = target.ledger() else {
            return;
        };
        if purge_challenges(target).await {
            self.janitor.forget().await;
        } else {
            self.wait_for_sweep(ledger).await;
        }
        ledger.clear();
    }

    /// Waits until the broker's sweep has removed every challenge of the run: 15 minutes
    /// after the last one was issued at most (5 min TTL, a sweep every 10 min, AUTH-9).
    async fn wait_for_sweep(&mut self, ledger: &AuthLedger) {
        let latest = ledger.last_issued().unwrap_or_else(Instant::now);
        let until = latest + Duration::from_millis(15 * 60 * 1000 + 5_000);
        let left = until.saturating_duration_since(Instant::now());
        if !self.warned {
            eprintln!(
                "nitrocert: the broker holds {} challenges of this run's own logins that it \
                 only drops at its sweep (AUTH-9: at most 1000 pending, swept every 10 min); \
                 waiting {:.0} s for the sweep instead of overflowing it. A hook avoids the \
                 wait: --restart-cmd (restarts the broker) or --control (moves its clock).",
                ledger.pending(),
                left.as_secs_f64()
            );
            self.warned = true;
        } else {
            eprintln!(
                "nitrocert: waiting {:.0} s for the broker's challenge sweep (AUTH-9)",
                left.as_secs_f64()
            );
        }
        tokio::time::sleep(left).await;
    }

    /// Releases what is left at the end of a run (the next run starts from a clean store).
    pub async fn finish(&mut self, target: &Target) {
        if let Some(ledger) = target.ledger() {
            self.janitor.release(ledger, &HashSet::new()).await;
        }
        self.janitor.forget().await;
    }
}

/// The cases in flight and the results so far.
struct Flight<'p> {
    tasks: JoinSet<CaseReport>,
    index_of: HashMap<tokio::task::Id, usize>,
    together: usize,
    reserved: u64,
    results: Vec<Option<CaseReport>>,
    reported: usize,
    stopped: Option<String>,
    progress: &'p mut dyn Progress,
}

impl Flight<'_> {
    fn launch(&mut self, index: usize, planned: &Planned, config: &RunConfig) {
        let (vector, mut target) = (planned.vector.clone(), config.target.clone());
        if let Some(ledger) = &mut target.limits.auth_ledger {
            *ledger = ledger.for_case(index);
        }
        let (profile, seed) = (config.profile, config.seed);
        let handle = self
            .tasks
            .spawn(async move { case::run(&vector, &target, profile, seed).await });
        self.index_of.insert(handle.id(), index);
        self.together += usize::from(planned.share == Share::Together);
        self.reserved += planned.estimate as u64;
    }

    fn busy(&self) -> bool {
        !self.tasks.is_empty()
    }

    /// The cases in flight.
    fn in_flight(&self) -> HashSet<usize> {
        self.index_of.values().copied().collect()
    }

    /// Waits for one case to end and reports every case that is next in order.
    async fn land(&mut self, plans: &[Planned], vectors: &[Vector], config: &RunConfig) {
        let Some(joined) = self.tasks.join_next_with_id().await else {
            return;
        };
        let (index, mut report) = match joined {
            Ok((id, report)) => (self.index_of.remove(&id).expect("launched"), report),
            // A panic is a harness bug, but it must still end as a verdict for this case.
            Err(e) => {
                let index = self.index_of.remove(&e.id()).expect("launched");
                let message = format!("the harness failed on this case: {e}");
                (index, case::harness_failure(&vectors[index], message))
            }
        };
        let planned = &plans[index];
        self.together -= usize::from(planned.share == Share::Together);
        self.reserved -= planned.estimate as u64;
        if let (Some(note), None) = (&planned.note, &report.note) {
            report.note = Some(note.clone());
        }
        config.known.apply(&mut report);
        self.results[index] = Some(report);
        self.report_in_order();
    }

    fn report_in_order(&mut self) {
        let total = self.results.len();
        while self.stopped.is_none() && self.reported < total {
            let Some(report) = &self.results[self.reported] else {
                break;
            };
            self.reported += 1;
            self.progress.case_done(self.reported, total, report);
            self.stopped = self.progress.stop();
        }
    }
}

/// Runs `vectors` on the target, up to `config.jobs` at once; the reports in vector order.
pub async fn run_cases(
    config: &RunConfig,
    vectors: &[Vector],
    progress: &mut dyn Progress,
) -> Vec<CaseReport> {
    let target = &config.target;
    let plans: Vec<Planned> = vectors.iter().map(|v| plan(v, target)).collect();
    let mut flight = Flight {
        tasks: JoinSet::new(),
        index_of: HashMap::new(),
        together: 0,
        reserved: 0,
        results: vec![None; vectors.len()],
        reported: 0,
        stopped: None,
        progress,
    };
    let mut gate = ChallengeGate::new(target);
    let mut funded = vec![false; plans.len()];
    // The cases that wait for real time first, then every other in order.
    let order: Vec<usize> = (0..plans.len())
        .filter(|&i| plans[i].share == Share::Waits)
        .chain((0..plans.len()).filter(|&i| plans[i].share != Share::Waits))
        .collect();
    for (position, &index) in order.iter().enumerate() {
        if flight.stopped.is_some() {
            break;
        }
        let planned = &plans[index];
        if !funded[index] {
            let window = &order[position..(position + FUNDING_WINDOW).min(order.len())];
            prefund(config, &plans, window, &mut funded).await;
        }
        if planned.share == Share::Alone {
            while flight.busy() {
                flight.land(&plans, vectors, config).await;
            }
        }
        while planned.share == Share::Together && flight.together >= config.jobs.max(1) {
            flight.land(&plans, vectors, config).await;
        }
        let more = planned.estimate as u64;
        while !gate
            .fits(target, &flight.in_flight(), flight.reserved, more)
            .await
        {
            match flight.busy() {
                true => flight.land(&plans, vectors, config).await,
                false => gate.recover(target).await,
            }
        }
        if flight.stopped.is_some() {
            break;
        }
        flight.launch(index, planned, config);
        if planned.share == Share::Alone {
            flight.land(&plans, vectors, config).await;
        }
    }
    while flight.stopped.is_none() && flight.busy() {
        flight.land(&plans, vectors, config).await;
    }
    flight.tasks.abort_all();
    while flight.tasks.join_next().await.is_some() {}
    gate.finish(target).await;
    let reason = flight.stopped.clone().unwrap_or_default();
    let reported = flight.reported;
    flight
        .results
        .into_iter()
        .zip(vectors)
        .enumerate()
        .map(|(i, (r, v))| match r {
            Some(r) if i < reported => r,
            _ => budget::not_run(v, &reason),
        })
        .collect()
}

/// Credits, in one call of a batch funding hook, the wallets of the cases of `window` (the next
/// cases to start) that are not funded yet and will run. A failed batch is left to the cases:
/// each funds itself and says why it could not.
async fn prefund(config: &RunConfig, plans: &[Planned], window: &[usize], funded: &mut [bool]) {
    let batch = matches!(config.target.funding, Funding::Batch(_));
    let mut rows = Vec::new();
    for &i in window {
        if std::mem::replace(&mut funded[i], true) {
            continue;
        }
        if batch && case::skip_reason(&plans[i].vector, &config.target).is_none() {
            rows.extend(funding_rows(&plans[i].vector, config.seed));
        }
    }
    if let Err(e) = config.target.prefund(&rows).await {
        eprintln!("nitrocert: warning: batch funding failed, each case funds its own: {e}");
    }
}

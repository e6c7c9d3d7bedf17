//! `nitrocert fuzz`: random request sequences replayed on a broker, diffed against the model,
//! invariants checked after every step; a finding is shrunk into a regression vector. With
//! `--all-faults`, the harness self-test: the kill rate over the embedded broker's seeded bugs.

use super::{CliError, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::campaign::{self, CampaignConfig, CampaignReport, Kill};
use crate::client::{Connection, Limits};
use crate::engine::Fault;
use crate::fidelity::FidelityConfig;
use crate::gen::fidelity::FidelityGen;
use crate::gen::{GenConfig, Shard};
use crate::model::Profile;
use crate::runner::Target;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// The step budget when neither --steps nor --time is given.
const DEFAULT_STEPS: u64 = 2_000;

#[derive(Args, Debug)]
#[command(
    about = "Fuzz a broker with random request sequences; shrink a finding into a regression vector",
    long_about = "Generates request sequences from --seed (sessions, submits of every intent, \
closes and transfers, valid by construction from the model's state, with deliberate flaws at \
--invalid-percent), fills each into a golden vector and replays it on the broker exactly as \
`certify` does: every reply, push and balance diffed against the model, the invariants checked \
after every step.\n\n\
The first case that is not PASS or INFORMATIONAL is a finding: the sequence is shrunk against \
the same broker (tail cut, steps deleted, steps simplified) and written as \
<--regressions>/<fault-or-name>-<seed>.json, a vector that replays with no generator and no \
seed.\n\n\
Without --endpoint it fuzzes the embedded reference broker in-process (with --fault, one that \
carries a seeded bug). --all-faults runs a campaign against each seeded bug and prints the kill \
rate.\n\nA sequence the harness itself could not run (its setup, funding or own logins, e.g. a \
full pending-challenge store) ends the campaign as harness trouble: reported, never shrunk into \
a vector.\n\n--mutate PERCENT runs the fidelity campaign instead: sequences also read (odd list options), \
log in again (session keys in every relation to the wallet, expiry edges, allowances) and \
revoke keys, and PERCENT of the steps carry one wire-level mutation (signatures malleated, \
duplicated, reordered, foreign, empty or of the wrong length; addresses respelled, invalid or \
swapped; amounts in every decimal form; other JSON types; unknown and case-folded keys; request \
ids and timestamps at their edges). Every step is counted: the campaign reports the agreement \
between model and broker and groups the divergences, shrinking one sequence per group into a \
vector under --fidelity-out.\n\nExit code 0: no finding (--all-faults: every fault caught); 1: a finding (a fault \
missed); 2: the harness could not run.",
    after_help = "Examples:\n  \
nitrocert fuzz --seed 1 --time 30\n  \
nitrocert fuzz --seed 1 --time 600 --shard 2/4     # one job of a 4-way CI matrix\n  \
nitrocert fuzz --seed 1 --fault withdraw-credits-twice\n  \
nitrocert fuzz --all-faults --seed 1\n  \
nitrocert fuzz --endpoint ws://127.0.0.1:8000/ws --fund-cmd 'adapters/clearnode/fund.sh {wallet} {asset} {amount}' --seed 7 --time 600"
)]
pub struct FuzzArgs {
    /// The broker's WebSocket URL; default: the embedded reference broker, in-process.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// What the broker is held to: `clearnode-0.5.2` (bug-compatible) or `spec`.
    #[arg(long, default_value = "clearnode-0.5.2", value_parser = ["clearnode-0.5.2", "spec"])]
    pub profile: String,
    /// Seed of the sequences and of the fresh test identities.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stop after this many replayed steps (default 2000 when --time is not given).
    #[arg(long)]
    pub steps: Option<u64>,
    /// Stop starting sequences after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub time: Option<u64>,
    /// Steps per generated sequence.
    #[arg(long, default_value_t = 12)]
    pub length: usize,
    /// Percentage of steps with a deliberate flaw (wrong version, sub-quorum, bad amount, …).
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub invalid_percent: u8,
    /// Give the embedded broker a seeded bug (`nitrocert serve --fault list`).
    #[arg(long, value_name = "NAME", conflicts_with = "endpoint")]
    pub fault: Option<String>,
    /// Fuzz the embedded broker with each seeded bug in turn and print the kill rate.
    #[arg(long, conflicts_with_all = ["endpoint", "fault"])]
    pub all_faults: bool,
    #[command(flatten)]
    pub funding: super::funding::FundingArgs,
    /// The broker's test-control interface (`nitrocert serve --control`, a loopback ws:// URL):
    /// funds wallets and moves the broker's clock instead of --fund-cmd.
    #[arg(long, value_name = "URL", requires = "endpoint",
          conflicts_with_all = ["fund_cmd", "fund_batch_cmd", "funder_key"])]
    pub control: Option<String>,
    /// Folder for the shrunk regression vector.
    #[arg(long, default_value = "vectors/regressions", value_name = "DIR")]
    pub regressions: PathBuf,
    /// Most shrinking candidates to run.
    #[arg(long, default_value_t = 200)]
    pub shrink_budget: usize,
    /// Name of the target in file names and case ids (default: `embedded`, the fault, or the
    /// endpoint's host-port).
    #[arg(long)]
    pub name: Option<String>,
    /// Longest wait for one reply, in milliseconds.
    #[arg(long, default_value_t = 2_000)]
    pub timeout_ms: u64,
    /// Cases run at once (the report does not depend on it).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub jobs: u64,
    /// Run only shard I of N of the seed's sequences (sequences I, I+N, I+2N, …): N jobs with
    /// the same seed and shards 0/N … N-1/N run exactly the unsharded campaign between them.
    #[arg(long, value_name = "I/N", default_value = "0/1")]
    pub shard: Shard,
    /// The fidelity campaign: this percentage of steps carry a wire-level mutation, reads,
    /// logins and revocations join the sequences, and the campaign counts agreeing steps and
    /// groups divergences instead of stopping at the first (see `nitrocert fuzz --help`).
    #[arg(long, value_name = "PERCENT", conflicts_with = "all_faults",
          value_parser = clap::value_parser!(u8).range(0..=100))]
    pub mutate: Option<u8>,
    #[command(flatten)]
    pub fidelity: super::fidelity::FidelityArgs,
}

/// The fidelity campaign's settings from `fuzz`'s arguments (`--mutate PERCENT`).
fn fidelity_config(args: &FuzzArgs, percent: u8, target: &Target) -> FidelityConfig {
    let time_limit = args.time.map(Duration::from_secs);
    FidelityConfig {
        profile: Profile::from_name(&args.profile).expect("clap checked the name"),
        seed: args.seed,
        gen: FidelityGen {
            gen: GenConfig {
                invalid_percent: args.invalid_percent,
                max_steps: args.length,
            },
            mutate_percent: percent,
            extra_percent: args.fidelity.extra_percent,
        },
        max_steps: args.steps.or(time_limit.is_none().then_some(DEFAULT_STEPS)),
        time_limit,
        label: args.name.clone().unwrap_or_else(|| target.name.clone()),
        shrink_budget: args.shrink_budget,
        max_shrinks: args.fidelity.max_shrinks,
        out: args
            .fidelity
            .fidelity_out
            .as_ref()
            .map(|d| d.join("vectors")),
        jobs: args.jobs as usize,
        first_sequence: args.fidelity.first_sequence,
    }
}

fn endpoint_target(args: &FuzzArgs, url: &str, limits: &Limits) -> Result<Target, CliError> {
    let funding = args.funding.required("fuzzing an endpoint")?;
    Ok(Target::remote(
        url,
        args.name.clone(),
        funding,
        limits.clone(),
    ))
}

/// The target behind `--endpoint` and `--control` (a broker of another profile: exit 2).
async fn controlled_target(
    args: &FuzzArgs,
    url: &str,
    control_url: &str,
    profile: Profile,
    limits: &Limits,
) -> Result<Target, CliError> {
    let (control, info) = crate::broker::RemoteControl::connect(control_url)
        .await
        .map_err(CliError::Input)?;
    if info.profile != profile.name() {
        return Err(CliError::Input(format!(
            "the broker at {control_url} runs profile {}, not {profile} (--profile)",
            info.profile
        )));
    }
    Ok(Target::remote_controlled(
        url,
        args.name.clone(),
        control,
        limits.clone(),
        info.broker_address,
    ))
}

fn print_catch(
    out: &mut dyn Write,
    report: &CampaignReport,
    args: &FuzzArgs,
    fault: Option<Fault>,
) -> std::io::Result<()> {
    if let Some(h) = &report.harness {
        return writeln!(
            out,
            "HARNESS TROUBLE: seed {}, sequence {}: {} (the harness could not run it: no verdict, \
             not a finding against the broker; {} sequences, {} steps)",
            args.seed, h.sequence, h.message, report.sequences, report.steps
        );
    }
    let Some(c) = &report.catch else {
        return writeln!(
            out,
            "no finding: seed {}, {} sequences, {} steps",
            args.seed, report.sequences, report.steps
        );
    };
    writeln!(
        out,
        "FINDING: seed {}, sequence {}, caught at step {} of the run: {} {} ({}): {}",
        args.seed,
        c.sequence,
        c.steps_to_catch,
        c.class.name(),
        c.what,
        c.method,
        c.message
    )?;
    writeln!(
        out,
        "shrunk {} → {} steps in {} runs{}",
        c.original_steps,
        c.vector.steps.len(),
        c.shrink_attempts,
        if c.confirmed {
            ""
        } else {
            " (WARNING: the shrunk vector no longer fails on its own)"
        }
    )?;
    if let Some(path) = &c.path {
        writeln!(out, "regression vector: {}", path.display())?;
        let fault = fault
            .map(|f| format!(" --fault {}", f.name()))
            .unwrap_or_default();
        let endpoint = args
            .endpoint
            .as_ref()
            .map(|e| format!(" --endpoint {e}"))
            .unwrap_or_default()
            + &args
                .control
                .as_ref()
                .map(|c| format!(" --control {c}"))
                .unwrap_or_default();
        writeln!(
            out,
            "replay: nitrocert certify --vectors {}{endpoint}{fault}",
            path.display()
        )?;
    }
    Ok(())
}

fn print_kill(out: &mut dyn Write, kill: &Kill) -> std::io::Result<()> {
    let r = &kill.report;
    match &r.catch {
        Some(c) => writeln!(
            out,
            "{:<34} caught  {:>6}  {:>4}  {:>3} → {:<3} {}",
            kill.fault.name(),
            c.steps_to_catch,
            c.sequence + 1,
            c.original_steps,
            c.vector.steps.len(),
            c.path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        )
        .and_then(|_| {
            // Timing varies run to run: stderr, so stdout stays the same for the same seed.
            eprintln!(
                "{}: {} shrinking runs, {:.1} s",
                kill.fault.name(),
                c.shrink_attempts,
                r.elapsed.as_secs_f64()
            );
            Ok(())
        }),
        None => writeln!(
            out,
            "{:<34} {}  {:>6}  {:>4}{}",
            kill.fault.name(),
            if r.harness.is_some() {
                "HARNESS"
            } else {
                "MISSED "
            },
            r.steps,
            r.sequences,
            r.harness
                .as_ref()
                .map(|h| format!("  {}", h.message))
                .unwrap_or_default()
        ),
    }
}

/// Rounds of `nitrocert race` a race-only fault gets before it counts as missed.
const RACE_ROUNDS: u64 = 5;

/// The race-only faults: a sequential fuzzer cannot reach them, so they are not in the kill
/// rate above; `nitrocert race` must catch each (counted apart). Returns how many it caught.
fn race_kill_rate(
    out: &mut dyn Write,
    profile: Profile,
    seed: u64,
    limits: &Limits,
    rt: &tokio::runtime::Handle,
) -> Result<usize, CliError> {
    writeln!(
        out,
        "race-only faults (not reachable by sequential requests; `nitrocert race`, at most {RACE_ROUNDS} rounds):"
    )?;
    let mut caught = 0;
    for &fault in Fault::RACE {
        let report = rt.block_on(crate::race::against_fault(
            fault,
            profile,
            seed,
            RACE_ROUNDS,
            limits.clone(),
        ))?;
        let fail = report
            .kinds
            .iter()
            .find(|k| k.class() == crate::race::RaceClass::Fail);
        match fail {
            Some(k) => {
                caught += 1;
                writeln!(out, "{:<34} caught", fault.name())?;
                // Which round and race caught it depends on timing: stderr.
                eprintln!(
                    "{}: caught in round {} by {}",
                    fault.name(),
                    report.rounds,
                    k.kind.name()
                );
            }
            None => writeln!(out, "{:<34} MISSED  {} rounds", fault.name(), report.rounds)?,
        }
    }
    writeln!(
        out,
        "race kill rate: {caught}/{} race-only faults caught by the race checker",
        Fault::RACE.len()
    )?;
    Ok(caught)
}

pub fn fuzz(args: &FuzzArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    let profile = Profile::from_name(&args.profile).expect("clap checked the name");
    let fault = match args.fault.as_deref() {
        None => None,
        Some(name) => Some(Fault::from_name(name).ok_or_else(|| {
            CliError::Input(format!(
                "unknown fault {name:?}; `nitrocert serve --fault list` shows them"
            ))
        })?),
    };
    if args.length == 0 {
        return Err(CliError::Input("--length must be at least 1".into()));
    }
    let limits = Limits {
        reply_timeout_ms: args.timeout_ms,
        ..Limits::default()
    };
    let time_limit = args.time.map(Duration::from_secs);
    let mut config = CampaignConfig {
        profile,
        seed: args.seed,
        gen: GenConfig {
            invalid_percent: args.invalid_percent,
            max_steps: args.length,
        },
        max_steps: args.steps.or(if time_limit.is_none() {
            Some(DEFAULT_STEPS)
        } else {
            None
        }),
        time_limit,
        label: String::new(),
        shrink_budget: args.shrink_budget,
        regressions: Some(args.regressions.clone()),
        jobs: args.jobs as usize,
        shard: args.shard,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let rt = runtime.handle();
    if args.all_faults {
        writeln!(
            out,
            "kill rate: each seeded bug of the embedded broker ({profile}), seed {}, {} steps per sequence",
            args.seed, args.length
        )?;
        writeln!(
            out,
            "{:<34} verdict steps  seqs  shrunk  regression vector",
            "fault"
        )?;
        let kills = campaign::kill_rate(Fault::ALL, &config, &limits, rt, &mut |k| {
            let _ = print_kill(out, k);
            let _ = out.flush();
        })?;
        let caught = kills.iter().filter(|k| k.caught()).count();
        writeln!(
            out,
            "kill rate: {caught}/{} faults caught ({}%)",
            kills.len(),
            caught * 100 / kills.len().max(1)
        )?;
        let steps: u64 = kills.iter().map(|k| k.report.steps).sum();
        let secs: f64 = kills.iter().map(|k| k.report.elapsed.as_secs_f64()).sum();
        eprintln!("{steps} steps in {secs:.1} s, shrinking included");
        let race_caught = race_kill_rate(out, profile, args.seed, &limits, rt)?;
        return Ok(
            if caught == kills.len() && race_caught == Fault::RACE.len() {
                EXIT_OK
            } else {
                EXIT_FINDINGS
            },
        );
    }
    let (target, embedded) = match &args.endpoint {
        None => {
            let (target, handle) = rt.block_on(campaign::spawn_embedded(
                profile,
                fault,
                args.seed,
                limits.clone(),
            ))?;
            (target, Some(handle))
        }
        Some(url) => {
            let target = match &args.control {
                Some(control) => {
                    rt.block_on(controlled_target(args, url, control, profile, &limits))?
                }
                None => endpoint_target(args, url, &limits)?,
            };
            let conn = rt
                .block_on(Connection::connect(url, limits.clone()))
                .map_err(|e| CliError::Input(e.to_string()))?;
            rt.block_on(conn.close());
            (target, None)
        }
    };
    if let Some(percent) = args.mutate {
        let config = fidelity_config(args, percent, &target);
        let code = super::fidelity::run(config, &args.fidelity, &target, rt, out);
        if let Some(handle) = embedded {
            rt.block_on(handle.stop());
        }
        return code;
    }
    config.label = args.name.clone().unwrap_or_else(|| match fault {
        Some(f) => f.name().to_string(),
        None => target.name.clone(),
    });
    // The embedded broker's port changes per run; only an endpoint is worth printing.
    writeln!(
        out,
        "fuzzing {} ({profile}){}: seed {}{}, {} steps per sequence, {}% flawed",
        target.name,
        args.endpoint
            .as_ref()
            .map(|e| format!(" at {e}"))
            .unwrap_or_else(|| " in-process".into()),
        args.seed,
        if args.shard == Shard::default() {
            String::new()
        } else {
            format!(" shard {}", args.shard)
        },
        args.length,
        args.invalid_percent
    )?;
    let mut last_note = std::time::Instant::now();
    let report = campaign::run(&config, &target, rt, &mut |sequences, steps| {
        if last_note.elapsed() >= Duration::from_secs(10) {
            eprintln!("… {sequences} sequences, {steps} steps");
            last_note = std::time::Instant::now();
        }
    })?;
    if let Some(handle) = embedded {
        rt.block_on(handle.stop());
    }
    print_catch(out, &report, args, fault)?;
    let secs = report.elapsed.as_secs_f64();
    eprintln!(
        "{} steps in {:.1} s: {:.0} steps/s{}",
        report.steps,
        secs,
        report.steps as f64 / secs.max(1e-9),
        if report.catch.is_some() {
            " (shrinking included)"
        } else {
            ""
        }
    );
    Ok(if report.harness.is_some() {
        EXIT_USAGE
    } else if report.catch.is_some() {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

//! `nitrocert diff`: two live brokers compared with each other, with no model in the verdict
//! ([`crate::differential`]).

use super::certify::load_vectors;
use super::funding::FundingArgs;
use super::{CliError, EXIT_FINDINGS, EXIT_OK};
use crate::broker::RemoteControl;
use crate::client::Limits;
use crate::differential::{diff_case, transcripts, CaseDiff, Outcome};
use crate::gen::fidelity::{sequence, FidelityGen};
use crate::gen::GenConfig;
use crate::model::Profile;
use crate::runner::{ChallengeBudget, ChannelHook, Target};
use crate::vectors::Vector;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
#[command(
    about = "Compare two live brokers step by step (no model in the verdict)",
    long_about = "Replays the same cases on two brokers, A and B, each prepared through its own \
hooks, and compares what each sent back at every step: replies and notifications per \
connection, after normalising what two correct brokers may differ in (their signatures and \
clocks, database row ids and times, user tags, challenges, JWTs, the order of notifications \
between two replies and of rows inside one, and session ids, which are named by order of first \
appearance). A case stops at its first diverging step, and both transcripts are printed.\n\n\
The cases are the vectors (--vectors, default vectors/) or, with --seed/--time, the random \
sequences of the fidelity campaign (`nitrocert fuzz --mutate`). The model only plans the bytes \
to send; it never judges. Use it to check that a broker behaves like Clearnode without \
trusting nitrocert's model, or to compare two builds of one broker.\n\n\
Exit code 0: no divergence; 1: a divergence (or a case the harness could not run on one side); \
2: the harness could not start.",
    after_help = "Examples:\n  \
nitrocert diff --a ws://127.0.0.1:8000/ws --a-fund-cmd 'adapters/clearnode/fund.sh {wallet} {asset} {amount}' \\\n    \
--b ws://127.0.0.1:9000/ws --b-control ws://127.0.0.1:9000/control --keep-going\n  \
nitrocert diff --a ws://127.0.0.1:9000/ws --a-control ws://127.0.0.1:9000/control \\\n    \
--b ws://127.0.0.1:9100/ws --b-control ws://127.0.0.1:9100/control --seed 3 --time 60"
)]
pub struct DiffArgs {
    /// Broker A's WebSocket URL.
    #[arg(long)]
    pub a: String,
    /// Broker B's WebSocket URL.
    #[arg(long)]
    pub b: String,
    /// A's funding command, with {wallet} {asset} {amount} placeholders.
    #[arg(long, value_name = "COMMAND")]
    pub a_fund_cmd: Option<String>,
    /// A's batch funding command (stdin: one `wallet asset amount` line per credit), e.g.
    /// `adapters/clearnode/fund.sh --batch`.
    #[arg(long, value_name = "COMMAND")]
    pub a_fund_batch_cmd: Option<String>,
    /// A's funder key (funds by `transfer` from this wallet).
    #[arg(long, value_name = "HEX")]
    pub a_funder_key: Option<String>,
    /// A's channel command, with {wallet} {status} {amount} placeholders (the vectors that
    /// give a wallet a channel run only where both brokers have a way to).
    #[arg(long, value_name = "COMMAND")]
    pub a_channel_cmd: Option<String>,
    /// A's test-control interface (`nitrocert serve --control`).
    #[arg(long, value_name = "URL")]
    pub a_control: Option<String>,
    /// Restarts A before its cap of pending challenges is reached (AUTH-9), e.g.
    /// `adapters/clearnode/restart.sh`.
    #[arg(long, value_name = "COMMAND")]
    pub a_restart_cmd: Option<String>,
    /// B's funding command, with {wallet} {asset} {amount} placeholders.
    #[arg(long, value_name = "COMMAND")]
    pub b_fund_cmd: Option<String>,
    /// B's batch funding command.
    #[arg(long, value_name = "COMMAND")]
    pub b_fund_batch_cmd: Option<String>,
    /// B's funder key.
    #[arg(long, value_name = "HEX")]
    pub b_funder_key: Option<String>,
    /// B's channel command.
    #[arg(long, value_name = "COMMAND")]
    pub b_channel_cmd: Option<String>,
    /// B's test-control interface.
    #[arg(long, value_name = "URL")]
    pub b_control: Option<String>,
    /// Restarts B before its cap of pending challenges is reached.
    #[arg(long, value_name = "COMMAND")]
    pub b_restart_cmd: Option<String>,
    /// The profile whose model plans the bytes (never judges).
    #[arg(long, default_value = "clearnode-0.5.2", value_parser = ["clearnode-0.5.2", "spec"])]
    pub profile: String,
    /// Vector files or folders (default: vectors/ unless --time or --steps is given).
    #[arg(long = "vectors", value_name = "PATH")]
    pub vectors: Vec<PathBuf>,
    /// Seed of the random sequences and of the fresh test identities.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Random sequences for this many seconds (instead of the vectors).
    #[arg(long, value_name = "SECONDS")]
    pub time: Option<u64>,
    /// Random sequences: stop after this many sequences.
    #[arg(long)]
    pub sequences: Option<u64>,
    /// Random sequences: percentage of steps with a wire-level mutation.
    #[arg(long, default_value_t = 35, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub mutate: u8,
    /// Random sequences: steps per sequence.
    #[arg(long, default_value_t = 12)]
    pub length: usize,
    /// Cases compared at once (the output does not depend on it).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub jobs: u64,
    /// Go on after a diverging case (default: stop at the first).
    #[arg(long)]
    pub keep_going: bool,
    /// Longest wait for one reply, in milliseconds.
    #[arg(long, default_value_t = 2_000)]
    pub timeout_ms: u64,
}

struct Side<'a> {
    name: char,
    url: &'a str,
    funding: FundingArgs,
    control: &'a Option<String>,
    restart_cmd: &'a Option<String>,
    channel_cmd: &'a Option<String>,
}

/// The challenges spent between two restarts of a broker with a restart hook.
const CHALLENGE_BUDGET: usize = 800;

async fn target(side: &Side<'_>, profile: Profile, limits: &Limits) -> Result<Target, CliError> {
    let mut t = prepared(side, profile, limits).await?;
    if let Some(command) = side.restart_cmd {
        t.restart = Some(command.clone());
        t.challenge_budget = CHALLENGE_BUDGET;
    }
    Ok(t)
}

async fn prepared(side: &Side<'_>, profile: Profile, limits: &Limits) -> Result<Target, CliError> {
    let name = Some(format!(
        "{}:{}",
        side.name,
        crate::runner::target::name_from_url(side.url)
    ));
    let bad = |why: String| CliError::Input(format!("broker {}: {why}", side.name));
    let f = &side.funding;
    let hooks = [&f.fund_cmd, &f.fund_batch_cmd, &f.funder_key, side.control];
    if hooks.iter().filter(|h| h.is_some()).count() != 1 {
        return Err(bad(
            "give exactly one of its fund command, batch fund command, funder key or control URL"
                .into(),
        ));
    }
    if let Some(url) = side.control {
        let (control, info) = RemoteControl::connect(url).await.map_err(bad)?;
        if info.profile != profile.name() {
            return Err(bad(format!("runs profile {}, not {profile}", info.profile)));
        }
        return Ok(Target::remote_controlled(
            side.url,
            name,
            control,
            limits.clone(),
            info.broker_address,
        ));
    }
    let channels = match side.channel_cmd {
        Some(command) => ChannelHook::Command(command.clone()),
        None => ChannelHook::None,
    };
    Ok(Target {
        channels,
        ..Target::remote(side.url, name, f.funding()?, limits.clone())
    })
}

/// The cases: the vectors, or sequences of the fidelity generator until the time or count.
enum Cases {
    Vectors(std::vec::IntoIter<Vector>),
    Random {
        gen: FidelityGen,
        next: u64,
        until: Option<Instant>,
        left: Option<u64>,
    },
}

impl Cases {
    fn next(&mut self, profile: Profile, seed: u64) -> Option<Vector> {
        match self {
            Cases::Vectors(it) => it.next(),
            Cases::Random {
                gen,
                next,
                until,
                left,
            } => loop {
                if until.is_some_and(|t| Instant::now() >= t) || *left == Some(0) {
                    return None;
                }
                let index = *next;
                *next += 1;
                if let Some(l) = left {
                    *l -= 1;
                }
                let id = format!("diff/random-{seed}-{index}");
                if let Some((_, _, v)) = sequence(profile, gen, seed, index, &id) {
                    return Some(v);
                }
            },
        }
    }
}

fn cases(args: &DiffArgs) -> Result<Cases, CliError> {
    if args.time.is_none() && args.sequences.is_none() {
        return Ok(Cases::Vectors(load_vectors(&args.vectors)?.into_iter()));
    }
    if !args.vectors.is_empty() {
        return Err(CliError::Input(
            "give --vectors or --time/--sequences, not both".into(),
        ));
    }
    Ok(Cases::Random {
        gen: FidelityGen {
            gen: GenConfig {
                max_steps: args.length,
                ..GenConfig::default()
            },
            mutate_percent: args.mutate,
            ..FidelityGen::default()
        },
        next: 0,
        until: args.time.map(|s| Instant::now() + Duration::from_secs(s)),
        left: args.sequences,
    })
}

#[derive(Default)]
struct Tally {
    agree: usize,
    diverge: usize,
    skip: usize,
    error: usize,
    steps: usize,
}

fn print_case(out: &mut dyn Write, d: &CaseDiff, t: &mut Tally) -> std::io::Result<()> {
    match &d.outcome {
        Outcome::Agree { steps } => {
            t.agree += 1;
            t.steps += steps;
            writeln!(out, "AGREE    {} ({steps} steps)", d.id)
        }
        Outcome::Skip { reason } => {
            t.skip += 1;
            writeln!(out, "SKIP     {}: {reason}", d.id)
        }
        Outcome::Error { side, message } => {
            t.error += 1;
            writeln!(out, "ERROR    {}: harness on {side}: {message}", d.id)
        }
        Outcome::Diverge { step, why } => {
            t.diverge += 1;
            t.steps += step + 1;
            writeln!(out, "DIVERGE  {} at step {step}: {why}", d.id)?;
            write!(out, "{}", transcripts(d, *step))
        }
    }
}

/// Compares a batch of cases at once (each on both brokers), in order; the challenges each
/// broker spends are counted first (a restart happens between batches, never during one), and
/// a batch funding hook credits the batch's wallets in one call.
async fn run_batch(
    batch: &[Vector],
    (a, b): (&Target, &Target),
    spent: &mut (ChallengeBudget, ChallengeBudget),
    profile: Profile,
    seed: u64,
) -> Vec<CaseDiff> {
    let vectors: Vec<&Vector> = batch.iter().collect();
    spent.0.ready(a, &vectors, seed).await;
    spent.1.ready(b, &vectors, seed).await;
    let runs = batch.iter().map(|v| diff_case(v, a, b, profile, seed));
    futures_util::future::join_all(runs).await
}

pub fn diff(args: &DiffArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    let profile = Profile::from_name(&args.profile).expect("clap checked the name");
    let limits = Limits {
        reply_timeout_ms: args.timeout_ms,
        ..Limits::default()
    };
    let mut cases = cases(args)?;
    let rt = tokio::runtime::Runtime::new()?;
    let a = Side {
        name: 'A',
        url: &args.a,
        funding: FundingArgs {
            fund_cmd: args.a_fund_cmd.clone(),
            fund_batch_cmd: args.a_fund_batch_cmd.clone(),
            funder_key: args.a_funder_key.clone(),
        },
        control: &args.a_control,
        restart_cmd: &args.a_restart_cmd,
        channel_cmd: &args.a_channel_cmd,
    };
    let b = Side {
        name: 'B',
        url: &args.b,
        funding: FundingArgs {
            fund_cmd: args.b_fund_cmd.clone(),
            fund_batch_cmd: args.b_fund_batch_cmd.clone(),
            funder_key: args.b_funder_key.clone(),
        },
        control: &args.b_control,
        restart_cmd: &args.b_restart_cmd,
        channel_cmd: &args.b_channel_cmd,
    };
    let (ta, tb) = rt.block_on(async {
        Ok::<_, CliError>((
            target(&a, profile, &limits).await?,
            target(&b, profile, &limits).await?,
        ))
    })?;
    writeln!(
        out,
        "diff: A {} / B {} ({profile}, seed {})",
        args.a, args.b, args.seed
    )?;
    let mut tally = Tally::default();
    let mut spent = (ChallengeBudget::default(), ChallengeBudget::default());
    loop {
        let batch: Vec<Vector> = (0..args.jobs)
            .map_while(|_| cases.next(profile, args.seed))
            .collect();
        if batch.is_empty() {
            break;
        }
        let diffs = rt.block_on(run_batch(
            &batch,
            (&ta, &tb),
            &mut spent,
            profile,
            args.seed,
        ));
        // Printed up to the first diverging case (unless --keep-going), whatever --jobs is.
        let mut stop = false;
        for d in &diffs {
            print_case(out, d, &mut tally)?;
            stop = matches!(d.outcome, Outcome::Diverge { .. }) && !args.keep_going;
            if stop {
                break;
            }
        }
        out.flush()?;
        if stop {
            break;
        }
    }
    writeln!(
        out,
        "summary: {} cases: {} agree, {} diverge, {} skipped, {} harness errors; {} steps compared",
        tally.agree + tally.diverge + tally.skip + tally.error,
        tally.agree,
        tally.diverge,
        tally.skip,
        tally.error,
        tally.steps
    )?;
    Ok(if tally.diverge + tally.error == 0 {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

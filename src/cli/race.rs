//! `nitrocert race`: conflicting requests released together on many connections, and a
//! checker that looks for a serial order explaining what the broker answered and booked.

use super::{CliError, EXIT_FINDINGS, EXIT_OK};
use crate::client::{Connection, Limits};
use crate::engine::Fault;
use crate::model::Profile;
use crate::race::check::Budget;
use crate::race::{self, vector, Env, ExploreConfig, Kind, RaceClass, RaceReport, ReplayReport};
use crate::runner::Target;
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Args, Debug)]
#[command(
    about = "Race a broker: conflicting requests released at once, checked for a serial order",
    long_about = "Opens many connections (each wallet logs in once; its other connections reuse \
the JWT) and releases conflicting requests together behind a barrier: the same transfer twice, \
transfers that overdraw, two sessions from one balance, submits of one version, a submit \
against a close, deposit/withdraw/transfer on one balance, one session key's allowance from \
several connections. Each round runs one race of every kind at once on disjoint wallets.\n\n\
The history (send and answer times, replies, pushes, the books read before and after) is \
checked: conservation and no negative balance at every quiescent point, and serializability: \
an order respecting real time in which the model accepts exactly what the broker accepted and \
ends with its books (a bounded search; `unknown` when the budget runs out; a timeout counts \
as maybe applied).\n\n\
The first race of a kind that reproduces is written as a race vector (--races) and replayed \
--tries times for its reproduction rate. --vectors replays race vectors instead of exploring.\n\n\
Verdicts: PASS; QUIRK (a double spend or lost update that the profile documents: Q-23, FUZZ-5 \
in clearnode-0.5.2); FAIL (the same in `spec`, or money created or destroyed in any profile); \
UNKNOWN; ERROR. Exit code 0: no FAIL or ERROR; 1: a FAIL or ERROR; 2: the harness could not run.",
    after_help = "Examples:\n  \
nitrocert race --time 10                             # the embedded broker: every race serializable\n  \
nitrocert race --fault transfer-lost-update --max-rounds 3\n  \
nitrocert race --endpoint ws://127.0.0.1:8000/ws --fund-cmd 'adapters/clearnode/fund.sh {wallet} {asset} {amount}' \\\n    \
--restart-cmd adapters/clearnode/restart.sh --seed 7 --time 300 --tries 20\n  \
nitrocert race --vectors vectors/races --tries 20"
)]
pub struct RaceArgs {
    /// The broker's WebSocket URL; default: the embedded reference broker, in-process.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// What the broker is held to: `clearnode-0.5.2` (bug-compatible) or `spec`.
    #[arg(long, default_value = "clearnode-0.5.2", value_parser = ["clearnode-0.5.2", "spec"])]
    pub profile: String,
    /// Seed of the races' amounts and of the fresh wallets (use a new one per run against a
    /// broker you cannot reset).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stop starting rounds after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub time: u64,
    /// Stop after this many rounds.
    #[arg(long)]
    pub max_rounds: Option<u64>,
    /// Racing connections per race.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(2..=16))]
    pub clients: u64,
    /// Kinds of race (comma-separated; default all): duplicate-transfer, overdraw-transfer,
    /// double-create, concurrent-submit, submit-vs-close, deposit-withdraw-transfer,
    /// session-key-allowance.
    #[arg(long, value_delimiter = ',')]
    pub kinds: Vec<String>,
    /// Replays of each found race (or of each --vectors file).
    #[arg(long, default_value_t = 10)]
    pub tries: usize,
    /// Race vector files or folders to replay instead of exploring.
    #[arg(long = "vectors", value_name = "PATH")]
    pub vectors: Vec<PathBuf>,
    /// Folder for found races (race vectors).
    #[arg(long, default_value = "vectors/races", value_name = "DIR")]
    pub races: PathBuf,
    /// Do not write found races.
    #[arg(long)]
    pub no_write: bool,
    /// Report folder (default: reports/<name>/race/<profile>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Name of the target in reports and vector names (default: `embedded`, the fault, or
    /// the endpoint's host-port).
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub funding: super::funding::FundingArgs,
    /// Give the embedded broker a seeded bug (`nitrocert serve --fault list`).
    #[arg(long, value_name = "NAME", conflicts_with = "endpoint")]
    pub fault: Option<String>,
    /// Longest wait for one reply, in milliseconds (then the request is indeterminate).
    #[arg(long, default_value_t = 5_000)]
    pub timeout_ms: u64,
    /// `auth_request`s before the broker must forget its challenges (AUTH-9: 1000 per ~15 min).
    #[arg(long, default_value_t = 800)]
    pub challenge_budget: usize,
    /// Command that restarts the broker when the challenge budget is spent.
    #[arg(long, value_name = "COMMAND")]
    pub restart_cmd: Option<String>,
    /// Merge this run's verdicts on the quirks (Q-23, FUZZ-5) into this JSON file (the data
    /// of `nitrocert report quirks --races`).
    #[arg(long, value_name = "FILE")]
    pub verdicts: Option<PathBuf>,
    /// Model steps the checker may spend on one burst before answering `unknown`.
    #[arg(long, default_value_t = 200_000)]
    pub search_budget: u64,
}

fn kinds(args: &RaceArgs) -> Result<Vec<Kind>, CliError> {
    if args.kinds.is_empty() {
        return Ok(Kind::ALL.to_vec());
    }
    args.kinds
        .iter()
        .map(|k| {
            Kind::from_name(k).ok_or_else(|| CliError::Input(format!("unknown kind of race {k:?}")))
        })
        .collect()
}

pub fn race(args: &RaceArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    let profile = Profile::from_name(&args.profile).expect("clap checked the name");
    let kinds = kinds(args)?;
    let fault = match args.fault.as_deref() {
        None => None,
        Some(name) => Some(Fault::from_name(name).ok_or_else(|| {
            CliError::Input(format!(
                "unknown fault {name:?}; `nitrocert serve --fault list` shows them"
            ))
        })?),
    };
    let limits = Limits {
        reply_timeout_ms: args.timeout_ms,
        ..Limits::default()
    };
    let vectors = load(&args.vectors)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let (target, embedded) = match &args.endpoint {
            None => {
                let (target, handle) =
                    crate::gen::campaign::spawn_embedded(profile, fault, args.seed, limits.clone())
                        .await?;
                (target, Some(handle))
            }
            Some(url) => {
                let conn = Connection::connect(url, limits.clone())
                    .await
                    .map_err(|e| CliError::Input(e.to_string()))?;
                conn.close().await;
                (
                    Target::remote(
                        url,
                        args.name.clone(),
                        args.funding.required("racing an endpoint")?,
                        limits.clone(),
                    ),
                    None,
                )
            }
        };
        let name = args.name.clone().unwrap_or_else(|| target.name.clone());
        let env = Env {
            target,
            profile,
            seed: args.seed,
            budget: Budget {
                max_model_steps: args.search_budget,
            },
        };
        let dir = args.out.clone().unwrap_or_else(|| {
            PathBuf::from("reports")
                .join(&name)
                .join("race")
                .join(profile.name())
        });
        let code = if vectors.is_empty() {
            explore(args, &env, kinds, &name, &dir, out).await?
        } else {
            replay(args, &env, &vectors, &dir, out).await?
        };
        if let Some(handle) = embedded {
            handle.stop().await;
        }
        Ok(code)
    })
}

fn load(paths: &[PathBuf]) -> Result<Vec<race::RaceVector>, CliError> {
    let files = vector::files(paths).map_err(CliError::Io)?;
    if !paths.is_empty() && files.is_empty() {
        return Err(CliError::Input(format!(
            "no race vectors (*.race) in {paths:?}"
        )));
    }
    files
        .iter()
        .map(|f| vector::load(f).map_err(CliError::Input))
        .collect()
}

fn write(
    dir: &Path,
    json: &impl serde::Serialize,
    json_name: &str,
    html: &str,
) -> Result<(), CliError> {
    std::fs::create_dir_all(dir)?;
    let text = serde_json::to_string_pretty(json).map_err(|e| CliError::Input(e.to_string()))?;
    std::fs::write(dir.join(json_name), text + "\n")?;
    std::fs::write(dir.join("timeline.html"), html)?;
    Ok(())
}

async fn explore(
    args: &RaceArgs,
    env: &Env,
    kinds: Vec<Kind>,
    name: &str,
    dir: &Path,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let config = ExploreConfig {
        kinds,
        clients: args.clients as usize,
        time: Duration::from_secs(args.time),
        max_rounds: args.max_rounds,
        tries: args.tries,
        races_dir: (!args.no_write).then(|| args.races.clone()),
        label: name.to_string(),
        challenge_budget: args.challenge_budget,
        restart: args.restart_cmd.clone(),
        stop_on_fail: false,
    };
    let report = race::explore(env, &config, &mut |line| eprintln!("{line}")).await;
    write(
        dir,
        &report,
        "race.json",
        &race::timeline::explore_page(&report),
    )?;
    print_explore(&report, out)?;
    if let Some(path) = &args.verdicts {
        merge_verdicts(path, &report)?;
        writeln!(out, "verdicts: {}", path.display())?;
    }
    writeln!(out, "report: {}", dir.join("race.json").display())?;
    writeln!(out, "timeline: {}", dir.join("timeline.html").display())?;
    Ok(if report.exit_code() == 0 {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

fn merge_verdicts(path: &Path, report: &RaceReport) -> Result<(), CliError> {
    let previous = match std::fs::read_to_string(path) {
        Ok(text) => Some(
            serde_json::from_str(&text)
                .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let merged = race::verdicts::merge(previous, report);
    let text = serde_json::to_string_pretty(&merged).map_err(|e| CliError::Input(e.to_string()))?;
    std::fs::write(path, text + "\n")?;
    Ok(())
}

fn print_explore(report: &RaceReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "races against {} ({}): seed {}, {} racing connections per race, {} rounds, {} logins",
        report.target, report.profile, report.seed, report.clients, report.rounds, report.logins
    )?;
    writeln!(
        out,
        "{:<26} {:>6} {:>5} {:>5} {:>5} {:>7} {:>5}  verdict  reproducer",
        "race", "bursts", "pass", "quirk", "fail", "unknown", "error"
    )?;
    for k in &report.kinds {
        let repro = k
            .reproducer
            .as_ref()
            .map(|r| {
                let fails = match r.failed {
                    0 => String::new(),
                    n => format!(" ({n} FAIL)"),
                };
                format!(
                    "{}/{} tries{fails}: {}",
                    r.reproduced,
                    r.tries,
                    r.path.as_deref().unwrap_or(&r.vector)
                )
            })
            .unwrap_or_default();
        writeln!(
            out,
            "{:<26} {:>6} {:>5} {:>5} {:>5} {:>7} {:>5}  {:<7}  {repro}",
            k.kind.name(),
            k.bursts,
            k.pass,
            k.quirk,
            k.fail,
            k.unknown,
            k.error,
            k.class().name()
        )?;
        for a in &k.first_anomalies {
            writeln!(out, "    {a}")?;
        }
    }
    let c = &report.checker;
    writeln!(
        out,
        "checker: {} bursts, {} independent parts, {:.1} ms mean, {:.1} ms worst, {} model steps worst, {} unknown",
        c.bursts,
        c.parts,
        c.us_total as f64 / 1000.0 / c.bursts.max(1) as f64,
        c.us_max as f64 / 1000.0,
        c.model_steps_max,
        c.unknown
    )?;
    if let Some(note) = &report.note {
        writeln!(out, "note: {note}")?;
    }
    Ok(())
}

async fn replay(
    args: &RaceArgs,
    env: &Env,
    vectors: &[race::RaceVector],
    dir: &Path,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let mut reports: Vec<ReplayReport> = Vec::new();
    for v in vectors {
        let r = race::replay(v, env, args.tries, 0).await;
        writeln!(
            out,
            "{}: reproduced {}/{} ({}), {} logins",
            r.vector,
            r.reproduced,
            r.tries,
            r.classes
                .iter()
                .map(|(c, n)| format!("{n} {c}"))
                .collect::<Vec<_>>()
                .join(", "),
            r.logins
        )?;
        reports.push(r);
    }
    write(
        dir,
        &reports,
        "replay.json",
        &race::timeline::replay_page(&reports),
    )?;
    writeln!(out, "report: {}", dir.join("replay.json").display())?;
    let worst = reports
        .iter()
        .map(ReplayReport::worst)
        .max()
        .unwrap_or(RaceClass::Pass);
    Ok(if worst.is_finding() {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

//! `nitrocert certify`: the main job. Replays the golden vectors on a broker and writes a
//! report a vendor can publish.

use super::serve::build_engine;
use super::{CliError, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::broker;
use crate::client::{now_ms, Connection, Limits};
use crate::crypto::identity::{derive, Role};
use crate::model::Profile;
use crate::report::{CaseReport, Class, RunReport};
use crate::runner::{self, known::KnownDivergences, ChannelHook, Progress, RunConfig, Target};
use crate::vectors::{self, Vector};
use crate::wire::{encode_req, encode_signed};
use clap::Args;
use serde_json::json;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
#[command(
    about = "Certify a broker: replay the golden vectors and write a conformance report",
    long_about = "Replays every golden vector on a broker with fresh test wallets per case, \
re-signed with fresh timestamps, and compares every reply, every notification and the books \
(balances read back after every step, invariants checked) with the reference model.\n\n\
Without --endpoint it starts the embedded reference broker in-process and certifies it. With \
--endpoint it certifies that broker; tell it how to fund test wallets (--fund-cmd or \
--funder-key) and, for channel cases, how to give a wallet a channel (--channel-cmd).\n\n\
Writes report.json, junit.xml, report.md and report.html into --out (default: \
reports/<name>/<profile>/ for a full run; a run of chosen --vectors is a subset run and \
defaults to reports/<name>/<profile>-subset/, so it never replaces a full run's report).\n\n\
--known lists known divergences pinned to their findings (`nitrocert report known` writes \
the entries from a report.json). In a full run every listed id must be a loaded vector; in a \
subset run the entries of vectors not loaded are left out.\n\n\
With --races, race vectors (vectors/races/*.race, `nitrocert race`) are replayed --race-tries \
times each and reported as cases of area `races`, with their histories as timelines in \
races.html beside the report.\n\n\
Exit code 0: conformant; 1: findings (FAIL, ERROR or XPASS, or a stale --known list, or \
with --repeat a case whose verdict changed between runs); 2: the harness could not run (bad \
arguments, a malformed --known file, or cases ended HARNESS, its own trouble, and none with a \
finding).",
    after_help = "Examples:\n  \
nitrocert certify                                   # the embedded broker, clearnode-0.5.2 profile\n  \
nitrocert certify --profile spec\n  \
nitrocert certify --endpoint ws://127.0.0.1:8000/ws \\\n    \
--fund-batch-cmd 'adapters/clearnode/fund.sh --batch' \\\n    \
--channel-cmd 'adapters/clearnode/channel.sh {wallet} {status} {amount}' \\\n    \
--known reports/clearnode-v0.5.2/known-divergences.json --name clearnode-v0.5.2\n  \
nitrocert certify --endpoint ws://127.0.0.1:8000/ws --control ws://127.0.0.1:8000/control \\\n    \
--out /tmp/serve-report        # `nitrocert serve --control`: every vector, clock and channels included"
)]
pub struct CertifyArgs {
    /// The broker's WebSocket URL; default: the embedded reference broker, in-process.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// What the broker is held to: `clearnode-0.5.2` (bug-compatible) or `spec`.
    #[arg(long, default_value = "clearnode-0.5.2", value_parser = ["clearnode-0.5.2", "spec"])]
    pub profile: String,
    /// Vector files or folders (default: vectors/, a full run; given, a subset run).
    #[arg(long = "vectors", value_name = "PATH")]
    pub vectors: Vec<PathBuf>,
    /// Report folder (default: reports/<name>/<profile>/, or reports/<name>/<profile>-subset/
    /// for a subset run).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Name of the target in reports (default: `embedded`, or the endpoint's host:port).
    #[arg(long)]
    pub name: Option<String>,
    /// Seed of the fresh test identities (the same seed gives the same keys and signatures).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub funding: super::funding::FundingArgs,
    /// Channel command, with {wallet} {status} {amount} placeholders.
    #[arg(long, value_name = "COMMAND")]
    pub channel_cmd: Option<String>,
    /// Known-divergence file (JSON: {"cases": {"<case id>": {"quirks": ["Q-1"], "reason": "…",
    /// "class": "FAIL", "findings": [{"step", "action", "class", "what", "hash"}, …]}}}).
    #[arg(long, value_name = "FILE")]
    pub known: Option<PathBuf>,
    /// Longest wait for one reply, in milliseconds.
    #[arg(long, default_value_t = 5_000)]
    pub timeout_ms: u64,
    /// Command that restarts the broker between cases before its pending-challenge cap is
    /// reached (AUTH-9), e.g. `adapters/clearnode/restart.sh`.
    #[arg(long, value_name = "COMMAND")]
    pub restart_cmd: Option<String>,
    /// Challenges of the run's own logins the broker may hold at once (Clearnode holds at most
    /// 1000 pending, AUTH-9). Completed logins are released as the run goes; past the budget
    /// the run restarts the broker (--restart-cmd), moves its clock (--control), or waits for
    /// its sweep (up to 15 min, said on stderr).
    #[arg(long, default_value_t = runner::target::DEFAULT_CHALLENGE_BUDGET)]
    pub challenge_budget: usize,
    /// Cases run at once (default: the number of cores). Verdicts and the report's order do
    /// not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=256))]
    pub jobs: Option<u64>,
    /// The broker's test-control interface (`nitrocert serve --control`, a loopback ws:// URL):
    /// funds wallets, gives channels and moves the broker's clock, so every vector runs.
    #[arg(long, value_name = "URL", requires = "endpoint",
          conflicts_with_all = ["fund_cmd", "fund_batch_cmd", "funder_key", "channel_cmd", "restart_cmd"])]
    pub control: Option<String>,
    /// Give the embedded broker a seeded bug (harness self-test; `nitrocert serve --fault list`).
    #[arg(long, value_name = "NAME", conflicts_with = "endpoint")]
    pub fault: Option<String>,
    /// Stop at the first case with a finding (FAIL, ERROR, XPASS); the rest are reported as
    /// SKIP. Same as --max-findings 1.
    #[arg(long, conflicts_with = "max_findings")]
    pub fail_fast: bool,
    /// Stop once this many cases ended with a finding (a broker that drops replies costs
    /// --timeout-ms per case).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_findings: Option<u64>,
    /// Race vector files or folders (*.race, e.g. vectors/races) to replay too, each as one
    /// case of area `races`.
    #[arg(long = "races", value_name = "PATH")]
    pub races: Vec<PathBuf>,
    /// Tries per race vector: its burst released this many times, with fresh wallets each time;
    /// the case reports how often the race reproduced.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub race_tries: u64,
    /// Run the same certification N times (the broker reset to its start state before each
    /// run: the embedded one, or one with --control) and list every case whose verdict was not
    /// the same in all runs (exit 1 if any). The first run's report is written.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub repeat: u64,
}

/// Loads vector files from files and folders, sorted by id.
pub fn load_vectors(paths: &[PathBuf]) -> Result<Vec<Vector>, CliError> {
    let paths = if paths.is_empty() {
        vec![PathBuf::from("vectors")]
    } else {
        paths.to_vec()
    };
    let mut out = Vec::new();
    for path in &paths {
        let files = if path.is_dir() {
            vectors::files(path)
                .map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))?
        } else {
            vec![path.clone()]
        };
        for file in files {
            out.push(vectors::load(&file).map_err(CliError::Input)?);
        }
    }
    if out.is_empty() {
        return Err(CliError::Input(format!("no vectors found in {paths:?}")));
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

struct Bar {
    bar: Option<indicatif::ProgressBar>,
    noted: usize,
}

impl Progress for Bar {
    fn case_done(&mut self, done: usize, total: usize, report: &CaseReport) {
        let worth_a_line = !matches!(
            report.class,
            Class::Pass | Class::Informational | Class::Skip | Class::Xfail
        );
        match &self.bar {
            Some(bar) => {
                bar.set_position(done as u64);
                if worth_a_line {
                    bar.println(format!("{:<13} {}", report.class.name(), report.id));
                }
            }
            None => {
                if worth_a_line {
                    eprintln!("{:<13} {}", report.class.name(), report.id);
                }
                if done == total || done >= self.noted + 50 {
                    eprintln!("… {done}/{total} cases");
                    self.noted = done;
                }
            }
        }
    }
}

fn write_reports(report: &RunReport, out: &Path) -> Result<(), CliError> {
    crate::report::write_all(report, out).map_err(|e| {
        CliError::Input(format!(
            "cannot write the report into {}: {e}",
            out.display()
        ))
    })
}

/// Checks that the endpoint accepts a WebSocket before spending time on cases (exit 2 if not),
/// and asks `get_config` for the broker address. A broker that does not answer is not a harness
/// failure: its cases will end ERROR.
async fn preflight(url: &str, limits: &Limits) -> Result<Option<String>, CliError> {
    let mut conn = Connection::connect(url, limits.clone())
        .await
        .map_err(|e| CliError::Input(e.to_string()))?;
    let req = encode_req(1, "get_config", &json!({}), now_ms());
    let address = match conn.exchange(&encode_signed(&req, &[])).await {
        Ok(x) => x.reply.frame.params["broker_address"]
            .as_str()
            .map(str::to_string),
        Err(e) => {
            eprintln!("nitrocert: warning: {url} does not answer get_config: {e}");
            None
        }
    };
    conn.close().await;
    Ok(address)
}

/// The target behind `--endpoint` and `--control`: every hook through the control interface.
/// A broker that runs another profile than the one asked for is a usage error (exit 2), not a
/// run full of findings.
async fn controlled_target(
    url: &str,
    control_url: &str,
    args: &CertifyArgs,
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

/// The known-divergence list for this run: `Ok(None)` when a full run meets a stale list
/// (ids that are no loaded vector), which fails the run before it starts.
fn known_for_run(
    args: &CertifyArgs,
    vectors: &[Vector],
) -> Result<Option<KnownDivergences>, CliError> {
    let Some(path) = &args.known else {
        return Ok(Some(KnownDivergences::default()));
    };
    let list = KnownDivergences::load(path).map_err(|e| CliError::Input(e.to_string()))?;
    let full = args.vectors.is_empty();
    match list.for_run(vectors.iter().map(|v| v.id.as_str()), full) {
        Ok((kept, 0)) => Ok(Some(kept)),
        Ok((kept, dropped)) => {
            eprintln!(
                "nitrocert: note: subset run: {dropped} entries of {} are for vectors not loaded and are not checked",
                path.display()
            );
            Ok(Some(kept))
        }
        Err(stale) => {
            eprintln!(
                "nitrocert: {} is stale: {} listed ids are no vector of this run: {}",
                path.display(),
                stale.len(),
                stale.join(", ")
            );
            Ok(None)
        }
    }
}

/// Where the reports go: --out, else the target's folder; a subset run gets its own folder so
/// it never replaces the published report of a full run.
fn out_dir(args: &CertifyArgs, target: &str, profile: Profile) -> PathBuf {
    if let Some(out) = &args.out {
        return out.clone();
    }
    let folder = if args.vectors.is_empty() {
        profile.name().to_string()
    } else {
        format!("{}-subset", profile.name())
    };
    PathBuf::from("reports").join(target).join(folder)
}

pub fn certify(args: &CertifyArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    let profile = Profile::from_name(&args.profile).expect("clap checked the name");
    if args.repeat > 1 && args.endpoint.is_some() && args.control.is_none() {
        // The same seed again on a broker that keeps the last run's wallets cannot pass.
        return Err(CliError::Input(
            "--repeat needs a broker the harness can reset: the embedded one, or --control".into(),
        ));
    }
    let vectors = load_vectors(&args.vectors)?;
    let races = super::certify_races::load(&args.races)?;
    let Some(known) = known_for_run(args, &vectors)? else {
        return Ok(EXIT_FINDINGS);
    };
    let limits = Limits {
        reply_timeout_ms: args.timeout_ms,
        ..Limits::default()
    };
    let fault = match args.fault.as_deref() {
        None => None,
        Some(name) => Some(crate::engine::Fault::from_name(name).ok_or_else(|| {
            CliError::Input(format!(
                "unknown fault {name:?}; `nitrocert serve --fault list` shows them"
            ))
        })?),
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let (target, embedded) = match &args.endpoint {
            None => {
                let engine = build_engine(
                    profile,
                    &["usdc".to_string()],
                    &[],
                    derive(args.seed, Role::Broker, 0),
                    args.seed,
                )
                .with_fault(fault);
                let handle = broker::spawn(engine, "127.0.0.1:0".parse().expect("an address"))
                    .await
                    .map_err(|e| {
                        CliError::Input(format!("cannot start the embedded broker: {e}"))
                    })?;
                let default_name = match fault {
                    Some(f) => format!("embedded-fault-{}", f.name()),
                    None => "embedded".into(),
                };
                let target = Target::embedded(
                    &handle,
                    args.name.clone().unwrap_or(default_name),
                    limits.clone(),
                );
                (target, Some(handle))
            }
            Some(url) if args.control.is_some() => {
                let control = args.control.as_deref().expect("matched");
                (
                    controlled_target(url, control, args, profile, &limits).await?,
                    None,
                )
            }
            Some(url) => {
                let funding = args.funding.funding()?;
                let target = Target {
                    channels: args
                        .channel_cmd
                        .clone()
                        .map(ChannelHook::Command)
                        .unwrap_or(ChannelHook::None),
                    restart: args.restart_cmd.clone(),
                    challenge_budget: args.challenge_budget,
                    ..Target::remote(url, args.name.clone(), funding, limits.clone())
                };
                (target, None)
            }
        };
        let broker_address = preflight(&target.url, &limits).await?;
        let target = Target {
            broker_address: broker_address.clone().or(target.broker_address),
            ..target
        };
        let out_dir = out_dir(args, &target.name, profile);
        let config = RunConfig {
            target,
            profile,
            seed: args.seed,
            known,
            broker_address,
            jobs: args
                .jobs
                .map_or_else(runner::schedule::default_jobs, |n| n as usize),
        };
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(vectors.len() as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} cases {elapsed}")
                    .expect("a valid template"),
            );
            bar
        });
        let mut progress = Bar { bar, noted: 0 };
        let budget = match (args.fail_fast, args.max_findings) {
            (true, _) => Some(1),
            (false, n) => n.map(|n| n as usize),
        };
        let mut runs = Vec::new();
        for i in 0..args.repeat {
            if i > 0 {
                reset(&config.target).await?;
                if let Some(bar) = &progress.bar {
                    bar.reset();
                }
            }
            let (mut report, not_run) = match budget {
                Some(max) => {
                    let mut budget = runner::budget::FindingsBudget::new(&mut progress, max);
                    let report = runner::run(&config, &vectors, &mut budget).await;
                    let not_run = report.cases.len() - budget.cases_run();
                    (report, not_run)
                }
                None => (runner::run(&config, &vectors, &mut progress).await, 0),
            };
            if not_run == 0 {
                // The timelines drawn beside the report are the first run's, like the report.
                let page = (i == 0).then_some(out_dir.as_path());
                let tries = args.race_tries as usize;
                super::certify_races::replay_into(
                    &mut report,
                    &races,
                    &config.target,
                    profile,
                    tries,
                    page,
                )
                .await?;
            }
            if args.repeat > 1 {
                let s = &report.summary;
                eprintln!(
                    "run {}/{}: {}, {} cases, {} pass ({:.1} s)",
                    i + 1,
                    args.repeat,
                    s.outcome().word(),
                    s.total,
                    s.pass,
                    report.duration_ms as f64 / 1000.0
                );
            }
            runs.push((report, not_run));
        }
        if let Some(bar) = &progress.bar {
            bar.finish_and_clear();
        }
        if let Some(handle) = embedded {
            handle.stop().await;
        }
        let not_run = runs[0].1;
        let reports: Vec<RunReport> = runs.into_iter().map(|(r, _)| r).collect();
        let report = &reports[0];
        write_reports(report, &out_dir)?;
        print_summary(out, report, &config, not_run)?;
        writeln!(out, "report: {}", out_dir.join("report.md").display())?;
        if args.repeat > 1 && print_unstable(out, &reports)? {
            return Ok(EXIT_FINDINGS);
        }
        Ok(match runner::exit_code(report) {
            0 => EXIT_OK,
            1 => EXIT_FINDINGS,
            _ => EXIT_USAGE,
        })
    })
}

/// The verdict line, and what stopped the run or kept it from a verdict.
fn print_summary(
    out: &mut dyn Write,
    report: &RunReport,
    config: &RunConfig,
    not_run: usize,
) -> Result<(), CliError> {
    let s = &report.summary;
    writeln!(
        out,
        "{}: {} against {} ({}): {} cases, {} pass, {} informational, {} non-strict, {} fail, {} error, {} skip, {} xfail, {} xpass{}",
        s.outcome().word(),
        config.target.name,
        config.profile,
        config.target.url,
        s.total, s.pass, s.informational, s.non_strict, s.fail, s.error, s.skip, s.xfail, s.xpass,
        if s.harness > 0 { format!(", {} harness", s.harness) } else { String::new() }
    )?;
    if not_run > 0 {
        writeln!(
            out,
            "stopped early: {not_run} of {} cases not run (--fail-fast / --max-findings)",
            report.cases.len()
        )?;
    }
    print_harness_trouble(out, report)
}

/// Why the harness could not run cases (HARNESS): each reason once, with how many cases and
/// the first of them. Not findings against the broker; the run exits 2 when nothing else is.
fn print_harness_trouble(out: &mut dyn Write, report: &RunReport) -> Result<(), CliError> {
    let mut reasons: Vec<(String, usize, &str)> = Vec::new();
    for case in report.cases.iter().filter(|c| c.class.is_harness()) {
        let why = case
            .steps
            .iter()
            .flat_map(|s| &s.findings)
            .find(|f| f.class.is_harness())
            .map(|f| f.message.clone())
            .or_else(|| case.note.clone())
            .unwrap_or_default();
        // Wallet names and addresses vary per case; the reason is what stays.
        let key = runner::known::normalise(&why);
        match reasons.iter_mut().find(|(k, ..)| *k == key) {
            Some(r) => r.1 += 1,
            None => reasons.push((key, 1, &case.id)),
        }
    }
    if reasons.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "the harness could not run {} cases (HARNESS: no verdict on the broker for them):",
        report.summary.harness
    )?;
    for (why, count, first) in reasons.iter().take(10) {
        writeln!(out, "  {count} × {why} (first: {first})")?;
    }
    Ok(())
}

/// The broker back to its start state between repeated runs.
async fn reset(target: &Target) -> Result<(), CliError> {
    match &target.clock {
        Some(crate::broker::BrokerControl::InProcess(control)) => {
            control.reset();
            Ok(())
        }
        Some(crate::broker::BrokerControl::Remote(control)) => {
            control.reset().await.map_err(CliError::Input)
        }
        None => Err(CliError::Input(
            "--repeat needs a broker the harness can reset (the embedded one, or --control)".into(),
        )),
    }
}

/// Lists the cases whose verdict differed between the runs; whether there were any.
fn print_unstable(out: &mut dyn Write, runs: &[RunReport]) -> Result<bool, CliError> {
    let unstable = crate::verdict::unstable(runs);
    if unstable.is_empty() {
        writeln!(
            out,
            "repeat: {} runs, every one of {} cases had the same verdict in all runs",
            runs.len(),
            runs[0].cases.len()
        )?;
        return Ok(false);
    }
    writeln!(
        out,
        "UNSTABLE: {} of {} cases did not have the same verdict in all {} runs:",
        unstable.len(),
        runs[0].cases.len(),
        runs.len()
    )?;
    for u in &unstable {
        writeln!(out, "  {u}")?;
    }
    Ok(true)
}

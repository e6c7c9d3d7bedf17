//! `nitrocert fuzz --mutate PERCENT`: the fidelity campaign ([`crate::fidelity`]) on the target
//! `fuzz` built, its figures on stdout and its report and shrunk vectors under
//! `--fidelity-out`.

use super::fuzz::FuzzArgs;
use super::{CliError, EXIT_FINDINGS, EXIT_OK};
use crate::fidelity::{self, FidelityConfig, FidelityReport};
use crate::gen::fidelity::FidelityGen;
use crate::gen::GenConfig;
use crate::model::Profile;
use crate::runner::Target;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// The step budget of a fidelity campaign when neither --steps nor --time is given.
const DEFAULT_STEPS: u64 = 2_000;

/// Options of the fidelity campaign (with `--mutate`).
#[derive(Args, Debug)]
pub struct FidelityArgs {
    /// With --mutate: percentage of steps that are reads, logins or key revocations instead of
    /// generator steps.
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub extra_percent: u8,
    /// With --mutate: folder for `fidelity.json`, `fidelity.md` and the shrunk vectors.
    #[arg(long, value_name = "DIR")]
    pub fidelity_out: Option<PathBuf>,
    /// With --mutate: the first sequence index (a campaign run in chunks resumes here).
    #[arg(long, default_value_t = 0)]
    pub first_sequence: u64,
    /// With --mutate: most divergence groups to shrink.
    #[arg(long, default_value_t = 12)]
    pub max_shrinks: usize,
    /// With --mutate: restarts the broker before its cap of 1000 pending challenges is
    /// reached (AUTH-9); e.g. `adapters/clearnode/restart.sh`.
    #[arg(long, value_name = "COMMAND")]
    pub restart_cmd: Option<String>,
    /// With --mutate and --restart-cmd: challenges spent between restarts.
    #[arg(long, default_value_t = 800)]
    pub challenge_budget: usize,
}

fn config(args: &FuzzArgs, percent: u8, target: &Target) -> FidelityConfig {
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

fn print(out: &mut dyn Write, report: &FidelityReport) -> std::io::Result<()> {
    writeln!(
        out,
        "fidelity: seed {}, sequences {}…{}: {} steps, {} agreeing ({:.4} %), {} diverging, \
         {} groups",
        report.seed,
        report.first_sequence,
        report.first_sequence + report.sequences,
        report.steps,
        report.agreeing,
        report.agreement(),
        report.divergent,
        report.groups.len()
    )?;
    for g in &report.groups {
        let shrunk = g.shrunk.as_ref().map(|s| {
            let path = s.path.as_ref().map(|p| p.display().to_string());
            format!(
                " → {} steps{} {}",
                s.steps,
                if s.confirmed { "" } else { " (unconfirmed)" },
                path.unwrap_or_default()
            )
        });
        writeln!(
            out,
            "  {:>5}× {} {} {} (sequence {} step {}){}\n         {}",
            g.count,
            g.class.name(),
            g.label,
            g.what,
            g.first_sequence,
            g.first_step,
            shrunk.unwrap_or_default(),
            g.message.chars().take(300).collect::<String>()
        )?;
    }
    Ok(())
}

/// Runs the campaign; exit 1 when a step diverged.
pub fn run(
    args: &FuzzArgs,
    percent: u8,
    target: &Target,
    rt: &tokio::runtime::Handle,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let mut target = target.clone();
    if let Some(command) = &args.fidelity.restart_cmd {
        target.restart = Some(command.clone());
        target.challenge_budget = args.fidelity.challenge_budget;
    }
    let config = config(args, percent, &target);
    writeln!(
        out,
        "fidelity campaign on {} ({}): seed {}, {} steps per sequence, {percent}% mutated, {}% \
         extra steps",
        target.name,
        config.profile,
        config.seed,
        config.gen.gen.max_steps,
        config.gen.extra_percent
    )?;
    let mut last = std::time::Instant::now();
    let report = fidelity::run(&config, &target, rt, &mut |sequences, steps, divergent| {
        if last.elapsed() >= Duration::from_secs(10) {
            eprintln!("… {sequences} sequences, {steps} steps, {divergent} diverging");
            last = std::time::Instant::now();
        }
    })?;
    print(out, &report)?;
    if let Some(dir) = &args.fidelity.fidelity_out {
        std::fs::create_dir_all(dir)?;
        let json = serde_json::to_string_pretty(&report).expect("a report serializes");
        std::fs::write(dir.join("fidelity.json"), json + "\n")?;
        std::fs::write(dir.join("fidelity.md"), fidelity::markdown(&report))?;
    }
    eprintln!(
        "{} steps in {:.1} s: {:.1} steps/s (shrinking included)",
        report.steps,
        report.elapsed_ms as f64 / 1000.0,
        report.steps as f64 * 1000.0 / report.elapsed_ms.max(1) as f64
    );
    Ok(if report.divergent == 0 {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

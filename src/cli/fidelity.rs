//! `nitrocert fuzz --mutate PERCENT`: the fidelity campaign ([`crate::fidelity`]) on the target
//! `fuzz` built, its figures on stdout and its report and shrunk vectors under
//! `--fidelity-out`.

use super::{CliError, EXIT_FINDINGS, EXIT_OK};
use crate::fidelity::{self, FidelityConfig, FidelityReport};
use crate::runner::Target;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

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
            g.message.chars().take(600).collect::<String>()
        )?;
    }
    Ok(())
}

/// Runs the campaign; exit 1 when a step diverged.
pub fn run(
    config: FidelityConfig,
    args: &FidelityArgs,
    target: &Target,
    rt: &tokio::runtime::Handle,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let mut target = target.clone();
    if let Some(command) = &args.restart_cmd {
        target.restart = Some(command.clone());
        target.challenge_budget = args.challenge_budget;
    }
    let percent = config.gen.mutate_percent;
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
    if let Some(dir) = &args.fidelity_out {
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

//! `nitrocert vectors …`: generate, check, list and measure the golden vectors.

use super::{CliError, EXIT_FINDINGS, EXIT_OK};
use crate::vectors::{self, coverage};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
#[command(
    about = "Generate, check, list and measure the golden vectors",
    long_about = "Golden vectors are JSON files under vectors/<area>/<case>.json: scripted, signed \
request sequences with the responses, notifications and balances the reference model expects \
(per profile). They are filled from the scenario catalogue in src/vectors/catalog/.",
    after_help = "Examples:\n  \
nitrocert vectors generate            # (re)write vectors/ from the catalogue\n  \
nitrocert vectors check               # fail if vectors/ differs from what the model says now\n  \
nitrocert vectors list --rule AS-OP-2 # cases citing a rule\n  \
nitrocert vectors coverage            # rules × vectors, % covered per protocol version\n  \
nitrocert vectors migrate --dir vectors/regressions   # rewrite nitrocert-vector/1 files as /2"
)]
pub struct VectorsArgs {
    #[command(subcommand)]
    pub command: VectorsCommand,
    /// The vectors folder.
    #[arg(long, global = true, default_value = "vectors")]
    pub dir: PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum VectorsCommand {
    /// Fill every case through the model and write the files (stale files are removed).
    Generate,
    /// Fill every case in memory and fail (exit 1) on any difference with the files.
    Check,
    /// List the cases, optionally only those citing a rule or quirk id.
    List {
        #[arg(long)]
        rule: Option<String>,
    },
    /// For every rule id of the spec digests, the vectors citing it, and the coverage per
    /// protocol version (exit 1 if an AS-* rule lacks a vector for a version it applies to).
    Coverage {
        /// Folder of the spec digests (markdown).
        #[arg(long, default_value = "spec")]
        spec: PathBuf,
        /// Print every rule, not only the summary and the gaps.
        #[arg(long)]
        all: bool,
    },
    /// Rewrite every `nitrocert-vector/1` file under --dir as `nitrocert-vector/2`, filled
    /// again from its own inputs (each frame must come out byte for byte as the v1 file sent it).
    Migrate,
}

pub fn run(args: &VectorsArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    match &args.command {
        VectorsCommand::Generate => {
            let filled = vectors::fill_all();
            let written = vectors::generate(&args.dir, &filled)?;
            writeln!(
                out,
                "{} vectors in {}, {written} written",
                filled.len(),
                args.dir.display()
            )?;
            Ok(EXIT_OK)
        }
        VectorsCommand::Check => {
            let filled = vectors::fill_all();
            let drift = vectors::check(&args.dir, &filled)?;
            for d in &drift {
                writeln!(out, "{d}")?;
            }
            if drift.is_empty() {
                writeln!(
                    out,
                    "{} vectors in {} match the model",
                    filled.len(),
                    args.dir.display()
                )?;
                Ok(EXIT_OK)
            } else {
                writeln!(out, "{} of {} vectors drifted", drift.len(), filled.len())?;
                Ok(EXIT_FINDINGS)
            }
        }
        VectorsCommand::List { rule } => {
            for v in load_dir(&args.dir)? {
                if rule
                    .as_ref()
                    .is_none_or(|r| v.rules.contains(r) || v.quirks.contains(r))
                {
                    writeln!(
                        out,
                        "{}\t{}\t{}",
                        v.id,
                        v.protocol.as_deref().unwrap_or("-"),
                        v.description
                    )?;
                }
            }
            Ok(EXIT_OK)
        }
        VectorsCommand::Coverage { spec, all } => coverage_report(&args.dir, spec, *all, out),
        VectorsCommand::Migrate => migrate_dir(&args.dir, out),
    }
}

/// Migrates the v1 files of `dir` in place; v2 files are left alone.
fn migrate_dir(dir: &std::path::Path, out: &mut dyn Write) -> Result<i32, CliError> {
    let files = vectors::files(dir)
        .map_err(|e| CliError::Input(format!("cannot read {}: {e}", dir.display())))?;
    let mut migrated = 0;
    for path in &files {
        let text = std::fs::read_to_string(path)?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
        if value["format"] != vectors::format::FORMAT_V1 {
            continue;
        }
        let vector = vectors::migrate::migrate(&text)
            .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
        std::fs::write(path, vectors::to_text(&vector))?;
        writeln!(out, "migrated {}", path.display())?;
        migrated += 1;
    }
    writeln!(
        out,
        "{migrated} of {} files migrated to {}",
        files.len(),
        vectors::format::FORMAT
    )?;
    Ok(EXIT_OK)
}

fn load_dir(dir: &std::path::Path) -> Result<Vec<vectors::Vector>, CliError> {
    let files = vectors::files(dir)
        .map_err(|e| CliError::Input(format!("cannot read {}: {e}", dir.display())))?;
    files
        .iter()
        .map(|p| vectors::load(p).map_err(CliError::Input))
        .collect()
}

fn coverage_report(
    dir: &std::path::Path,
    spec: &std::path::Path,
    all: bool,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let texts = coverage::read_spec(spec).map_err(|e| {
        CliError::Input(format!(
            "cannot read the spec digests in {}: {e}",
            spec.display()
        ))
    })?;
    let mut texts = texts;
    if let Ok(spec_md) = std::fs::read_to_string("SPEC.md") {
        texts.push(spec_md);
    }
    let rules = coverage::defined_rules(&texts);
    let vectors = load_dir(dir)?;
    let c = coverage::Coverage::compute(&rules, &vectors);
    if all {
        for (rule, citing) in &c.cited_by {
            writeln!(out, "{rule}\t{}\t{}", citing.len(), citing.join(" "))?;
        }
        writeln!(out)?;
    }
    let mut code = EXIT_OK;
    for protocol in [coverage::V02, coverage::V04] {
        let (covered, applicable, missing) = c.per_protocol(&vectors, protocol);
        writeln!(
            out,
            "AS-* under {protocol}: {covered}/{applicable} rules covered ({:.0}%)",
            percent(covered, applicable)
        )?;
        if !missing.is_empty() {
            writeln!(out, "  not covered: {}", missing.join(" "))?;
            code = EXIT_FINDINGS;
        }
    }
    for family in [
        "WIRE-", "SIG-", "AUTH-", "SK-", "NOTIF-", "Q-", "SPEC-", "API-", "TRANS-", "RSIG-",
        "REPLAY-", "ADDR-",
    ] {
        let (covered, defined, missing) = c.per_family(family);
        if defined == 0 {
            continue;
        }
        writeln!(
            out,
            "{family}*: {covered}/{defined} covered ({:.0}%){}",
            percent(covered, defined),
            if missing.is_empty() {
                String::new()
            } else {
                format!("; not covered: {}", missing.join(" "))
            }
        )?;
    }
    for (id, citing) in &c.unknown {
        writeln!(out, "unknown rule id {id} cited by {}", citing.join(" "))?;
        code = EXIT_FINDINGS;
    }
    writeln!(out, "{} vectors", vectors.len())?;
    Ok(code)
}

fn percent(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

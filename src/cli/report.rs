//! `nitrocert report …`: documents derived from certification runs.

use super::{CliError, EXIT_OK};
use crate::report::{quirks, RunReport};
use crate::vectors::coverage;
use clap::{Args, Subcommand};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
#[command(
    about = "Documents derived from certification runs (quirks.md)",
    after_help = "Example:\n  nitrocert report quirks --name 'Clearnode v0.5.2' \\\n    \
--compat reports/clearnode-v0.5.2/clearnode-0.5.2/report.json \\\n    \
--spec reports/clearnode-v0.5.2/spec/report.json \\\n    \
--notes reports/clearnode-v0.5.2/quirk-notes.json > reports/clearnode-v0.5.2/quirks.md"
)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: ReportCommand,
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// For each quirk Q-n and finding FUZZ-n of the digests: confirmed, refuted or not observed
    /// against the broker, and the vectors that show it (markdown on stdout).
    Quirks {
        /// The broker's name in the title.
        #[arg(long)]
        name: String,
        /// report.json of a run in the clearnode-0.5.2 profile.
        #[arg(long)]
        compat: PathBuf,
        /// report.json of a run in the spec profile, against the same broker.
        #[arg(long)]
        spec: Option<PathBuf>,
        /// JSON object: id → note (why a quirk is not observable, live corrections).
        #[arg(long)]
        notes: Option<PathBuf>,
        /// Race verdicts (`races.json` of `nitrocert race --verdicts`): their notes replace
        /// the notes of the ids they cover.
        #[arg(long)]
        races: Option<PathBuf>,
        /// Folder of the spec digests.
        #[arg(long = "spec-dir", default_value = "spec")]
        spec_dir: PathBuf,
    },
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| CliError::Input(format!("{}: {e}", path.display())))
}

pub fn run(args: &ReportArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    match &args.command {
        ReportCommand::Quirks {
            name,
            compat,
            spec,
            notes,
            races,
            spec_dir,
        } => {
            let compat: RunReport = read_json(compat)?;
            let spec: Option<RunReport> = spec.as_deref().map(read_json).transpose()?;
            let mut notes: BTreeMap<String, String> = match notes {
                Some(p) => read_json(p)?,
                None => BTreeMap::new(),
            };
            if let Some(p) = races {
                notes.extend(crate::race::verdicts::quirk_notes(&read_json(p)?));
            }
            let texts = coverage::read_spec(spec_dir)
                .map_err(|e| CliError::Input(format!("cannot read {}: {e}", spec_dir.display())))?;
            let defs = quirks::definitions(&texts);
            write!(
                out,
                "{}",
                quirks::render(name, &compat, spec.as_ref(), &defs, &notes)
            )?;
            Ok(EXIT_OK)
        }
    }
}

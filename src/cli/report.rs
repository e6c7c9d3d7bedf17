//! `nitrocert report …`: documents derived from certification runs.

use super::probe::record::{quirk_notes, ProbeRun};
use super::{CliError, EXIT_FINDINGS, EXIT_OK};
use crate::report::matrix::{Input, Matrix, SdkMatrix, FILES};
use crate::report::{quirks, RunReport};
use crate::vectors::coverage;
use clap::{Args, Subcommand};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
#[command(
    about = "Documents derived from certification runs (quirks.md, the compatibility matrix)",
    after_help = "Example:\n  nitrocert report quirks --name 'Clearnode v0.5.2' \\\n    \
--compat reports/clearnode-v0.5.2/clearnode-0.5.2/report.json \\\n    \
--spec reports/clearnode-v0.5.2/spec/report.json \\\n    \
--notes reports/clearnode-v0.5.2/quirk-notes.json \\\n    \
--probes reports/clearnode-v0.5.2/probes.json > reports/clearnode-v0.5.2/quirks.md"
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
        /// probes.json of `nitrocert probe --out` against the same broker: each probe's verdict
        /// becomes the note of its FUZZ-n, linking to probes.md beside quirks.md.
        #[arg(long)]
        probes: Option<PathBuf>,
        /// Folder of the spec digests.
        #[arg(long = "spec-dir", default_value = "spec")]
        spec_dir: PathBuf,
    },
    /// Several runs side by side (Autobahn's report matrix): matrix.md and matrix.html, rows
    /// the cases grouped by area and rule, one column per run, each cell the case's class
    /// linking to the case in that run's report.html; and the SDK release matrix.
    #[command(after_help = "Example (scripts/matrix.sh runs exactly this):\n  \
nitrocert report matrix --sdk tests/sdk/releases/cells.json --out reports/matrix \\\n    \
reports/embedded/clearnode-0.5.2/report.json reports/embedded/spec/report.json \\\n    \
reports/clearnode-v0.5.2/clearnode-0.5.2/report.json reports/clearnode-v0.5.2/spec/report.json")]
    Matrix(MatrixArgs),
}

#[derive(Args, Debug)]
pub struct MatrixArgs {
    /// report.json of each run: one column each, in this order.
    #[arg(required = true)]
    reports: Vec<PathBuf>,
    /// The SDK release matrix (tests/sdk/releases/cells.json).
    #[arg(long)]
    sdk: Option<PathBuf>,
    /// Folder for matrix.md and matrix.html; the links to the runs' report.html are relative
    /// to it.
    #[arg(long, default_value = "reports/matrix")]
    out: PathBuf,
    /// Write nothing: exit 1 when the files in --out are not what the inputs give now (CI).
    #[arg(long)]
    check: bool,
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
            probes,
            spec_dir,
        } => {
            let compat: RunReport = read_json(compat)?;
            let spec: Option<RunReport> = spec.as_deref().map(read_json).transpose()?;
            let mut notes: BTreeMap<String, String> = match notes {
                Some(p) => read_json(p)?,
                None => BTreeMap::new(),
            };
            if let Some(path) = probes {
                let run: ProbeRun = read_json(path)?;
                for (id, probed) in quirk_notes(&run, "probes.md") {
                    let note = match notes.remove(&id) {
                        Some(manual) => format!("{probed} {manual}"),
                        None => probed,
                    };
                    notes.insert(id, note);
                }
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
        ReportCommand::Matrix(args) => matrix(args, out),
    }
}

/// `report matrix`: builds the matrix of the runs and writes it, or checks the files in --out.
fn matrix(args: &MatrixArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    let mut inputs = Vec::new();
    for path in &args.reports {
        let report: RunReport = read_json(path)?;
        inputs.push(Input::new(report, path, &args.out)?);
    }
    let sdk = match &args.sdk {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| CliError::Input(format!("{}: {e}", p.display())))?;
            Some(
                SdkMatrix::parse(&text)
                    .map_err(|e| CliError::Input(format!("{}: {e}", p.display())))?,
            )
        }
        None => None,
    };
    let m = Matrix::build(&inputs, sdk);
    if !args.check {
        m.write(&args.out)?;
        writeln!(
            out,
            "wrote {} and {} in {}",
            FILES[0],
            FILES[1],
            args.out.display()
        )?;
        return Ok(EXIT_OK);
    }
    let mut stale = Vec::new();
    for (name, text) in FILES.iter().zip([m.markdown(), m.html()]) {
        let path = args.out.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    if stale.is_empty() {
        writeln!(
            out,
            "{} and {} are what the inputs give",
            FILES[0], FILES[1]
        )?;
        return Ok(EXIT_OK);
    }
    writeln!(
        out,
        "not what the inputs give now (run scripts/matrix.sh): {}",
        stale.join(", ")
    )?;
    Ok(EXIT_FINDINGS)
}

//! `nitrocert report …`: documents derived from certification runs.

use super::probe::record::{quirk_notes, ProbeRun};
use super::{CliError, EXIT_FINDINGS, EXIT_OK};
use crate::report::matrix::{Input, Matrix, SdkMatrix, FILES};
use crate::report::{quirks, Class, RunReport};
use crate::runner::known::{self, KnownDivergences};
use crate::vectors::coverage;
use clap::{Args, Subcommand};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
#[command(
    about = "Documents derived from certification runs (quirks.md, the compatibility matrix, known divergences, comparisons)",
    after_help = "Examples:\n  nitrocert report quirks --name 'Clearnode v0.5.2' \\\n    \
--compat reports/clearnode-v0.5.2/clearnode-0.5.2/report.json \\\n    \
--spec reports/clearnode-v0.5.2/spec/report.json \\\n    \
--notes reports/clearnode-v0.5.2/quirk-notes.json \\\n    \
--probes reports/clearnode-v0.5.2/probes.json > reports/clearnode-v0.5.2/quirks.md\n  \
nitrocert report known /tmp/run/spec/report.json \\\n    \
--known reports/clearnode-v0.5.2/known-divergences.json > known.json\n  \
nitrocert report compare reports/embedded/spec/report.json /tmp/run/spec/report.json"
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
        /// Race verdicts (`races.json` of `nitrocert race --verdicts`): their notes replace
        /// the notes of the ids they cover.
        #[arg(long)]
        races: Option<PathBuf>,
        /// Folder of the spec digests.
        #[arg(long = "spec-dir", default_value = "spec")]
        spec_dir: PathBuf,
    },
    /// Print, as a known-divergence file (JSON on stdout), every case of a run that ends FAIL,
    /// NON-STRICT or ERROR (or XFAIL), pinned to its findings: the fingerprint `--known`
    /// matches. Quirk ids and reasons come from --known where the case is listed there, else
    /// from the vector's quirks and description (review them before committing).
    Known {
        /// report.json of the run.
        report: PathBuf,
        /// An existing list whose quirk ids and reasons are kept.
        #[arg(long)]
        known: Option<PathBuf>,
        /// Only these cases (repeatable): the entry to paste for one case.
        #[arg(long = "case", value_name = "ID")]
        cases: Vec<String>,
    },
    /// Compare the verdict of every case of two runs (a committed report and a fresh one).
    /// Exit 1 when a case is missing on one side or ends in another class.
    Compare {
        /// report.json of the committed run.
        old: PathBuf,
        /// report.json of the fresh run.
        new: PathBuf,
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
        ReportCommand::Known {
            report,
            known,
            cases,
        } => known_list(report, known.as_deref(), cases, out),
        ReportCommand::Compare { old, new } => compare(old, new, out),
        ReportCommand::Quirks {
            name,
            compat,
            spec,
            notes,
            probes,
            races,
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

/// Quirk ids and reasons of an existing list, read leniently so that a list of the earlier
/// form (`{"class": …, "reason": "Q-16: …"}`, no findings) can be carried over.
fn quirks_and_reasons(path: &Path) -> Result<BTreeMap<String, (Vec<String>, String)>, CliError> {
    #[derive(serde::Deserialize)]
    struct Lenient {
        cases: BTreeMap<String, Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(default)]
        quirks: Vec<String>,
        reason: String,
    }
    let list: Lenient = read_json(path)?;
    let carried = |e: Entry| {
        if !e.quirks.is_empty() {
            return (e.quirks, e.reason);
        }
        // "Q-21: text; Q-8: text" → [Q-21, Q-8], and the text after the first id.
        let quirks = e
            .reason
            .split([';', ' ', '(', ','])
            .filter_map(|w| w.strip_suffix(':'))
            .filter(|w| w.starts_with("Q-") || w.starts_with("FUZZ-"))
            .map(str::to_string)
            .collect();
        let reason = e
            .reason
            .split_once(": ")
            .map_or(e.reason.as_str(), |(_, r)| r);
        (quirks, reason.to_string())
    };
    Ok(list
        .cases
        .into_iter()
        .map(|(id, e)| (id, carried(e)))
        .collect())
}

fn known_list(
    report: &Path,
    existing: Option<&Path>,
    only: &[String],
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let mut report: RunReport = read_json(report)?;
    if !only.is_empty() {
        report.cases.retain(|c| only.contains(&c.id));
        if report.cases.len() != only.len() {
            return Err(CliError::Input(format!(
                "not every --case is a case of the report: {only:?}"
            )));
        }
    }
    let existing = match existing {
        Some(path) => quirks_and_reasons(path)?,
        None => BTreeMap::new(),
    };
    let mut list = KnownDivergences::default();
    for case in &report.cases {
        let (quirks, reason) = match existing.get(&case.id) {
            Some(k) => k.clone(),
            None => (case.quirks.clone(), case.description.clone()),
        };
        if let Some(entry) = known::entry_for(case, quirks, reason) {
            if !existing.contains_key(&case.id) {
                eprintln!(
                    "nitrocert: new entry {} (review its quirk ids and reason)",
                    case.id
                );
            }
            list.cases.insert(case.id.clone(), entry);
        }
    }
    let asked = |id: &String| only.is_empty() || only.contains(id);
    for id in existing
        .keys()
        .filter(|id| asked(id) && !list.cases.contains_key(*id))
    {
        eprintln!("nitrocert: {id} no longer diverges in this run: left out");
    }
    let text = serde_json::to_string_pretty(&list).map_err(|e| CliError::Input(e.to_string()))?;
    writeln!(out, "{text}")?;
    Ok(EXIT_OK)
}

/// One case's verdict in two runs, where they differ.
fn verdict_changes(old: &RunReport, new: &RunReport) -> Vec<String> {
    let classes = |r: &RunReport| -> BTreeMap<String, Class> {
        r.cases.iter().map(|c| (c.id.clone(), c.class)).collect()
    };
    let (old, new) = (classes(old), classes(new));
    let mut changes = Vec::new();
    for (id, was) in &old {
        match new.get(id) {
            None => changes.push(format!("{id}: {} before, not run now", was.name())),
            Some(now) if now != was => {
                changes.push(format!("{id}: {} before, {} now", was.name(), now.name()))
            }
            Some(_) => {}
        }
    }
    for (id, now) in new.iter().filter(|(id, _)| !old.contains_key(*id)) {
        changes.push(format!(
            "{id}: not in the committed report, {} now",
            now.name()
        ));
    }
    changes
}

fn compare(old_path: &Path, new_path: &Path, out: &mut dyn Write) -> Result<i32, CliError> {
    let old: RunReport = read_json(old_path)?;
    let new: RunReport = read_json(new_path)?;
    if old.profile != new.profile {
        return Err(CliError::Input(format!(
            "the runs are of different profiles ({} and {})",
            old.profile, new.profile
        )));
    }
    let changes = verdict_changes(&old, &new);
    for change in &changes {
        writeln!(out, "{change}")?;
    }
    writeln!(
        out,
        "{}: {} cases in {}, {} in {}: {} verdicts differ",
        if changes.is_empty() {
            "same verdicts"
        } else {
            "VERDICTS DIFFER"
        },
        old.cases.len(),
        old_path.display(),
        new.cases.len(),
        new_path.display(),
        changes.len()
    )?;
    Ok(if changes.is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CaseReport, Summary};

    fn run(cases: &[(&str, Class)]) -> RunReport {
        let cases: Vec<CaseReport> = cases
            .iter()
            .map(|(id, class)| CaseReport {
                id: id.to_string(),
                area: "a".into(),
                description: String::new(),
                rules: Vec::new(),
                quirks: Vec::new(),
                protocol: None,
                class: *class,
                note: None,
                steps: Vec::new(),
                duration_ms: 0,
            })
            .collect();
        RunReport {
            generator: "nitrocert test".into(),
            target: "t".into(),
            endpoint: "ws://127.0.0.1:1/ws".into(),
            broker_address: None,
            profile: "spec".into(),
            seed: 1,
            started_at: "2026-01-01T00:00:00Z".into(),
            duration_ms: 0,
            summary: Summary::of(&cases),
            cases,
        }
    }

    #[test]
    fn compare_names_every_case_whose_verdict_moved() {
        let old = run(&[
            ("a/x", Class::Pass),
            ("a/y", Class::Xfail),
            ("a/gone", Class::Pass),
        ]);
        let same = run(&[
            ("a/y", Class::Xfail),
            ("a/x", Class::Pass),
            ("a/gone", Class::Pass),
        ]);
        assert!(verdict_changes(&old, &same).is_empty());
        let new = run(&[
            ("a/x", Class::Fail),
            ("a/y", Class::Xfail),
            ("a/new", Class::Pass),
        ]);
        assert_eq!(
            verdict_changes(&old, &new),
            vec![
                "a/gone: PASS before, not run now",
                "a/x: PASS before, FAIL now",
                "a/new: not in the committed report, PASS now",
            ]
        );
    }

    #[test]
    fn compare_exits_1_on_a_difference_and_2_on_another_profile() {
        let dir = std::env::temp_dir().join(format!("nitrocert-compare-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, r: &RunReport| {
            let path = dir.join(name);
            std::fs::write(&path, serde_json::to_string(r).unwrap()).unwrap();
            path
        };
        let a = write("a.json", &run(&[("a/x", Class::Pass)]));
        let b = write("b.json", &run(&[("a/x", Class::NonStrict)]));
        let mut other = run(&[("a/x", Class::Pass)]);
        other.profile = "clearnode-0.5.2".into();
        let c = write("c.json", &other);
        let mut out = Vec::new();
        assert_eq!(compare(&a, &a, &mut out).unwrap(), EXIT_OK);
        assert_eq!(compare(&a, &b, &mut out).unwrap(), EXIT_FINDINGS);
        assert!(String::from_utf8_lossy(&out).contains("a/x: PASS before, NON-STRICT now"));
        assert!(compare(&a, &c, &mut out).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_earlier_list_carries_its_quirk_ids_over() {
        let dir = std::env::temp_dir().join(format!("nitrocert-known-old-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("old.json");
        std::fs::write(
            &path,
            r#"{"cases":{"q/21":{"class":"FAIL","reason":"Q-21: unreachable branch; Q-8: over-withdraw"},
                        "q/1":{"quirks":["Q-1"],"reason":"creates money","class":"FAIL","findings":[]}}}"#,
        )
        .unwrap();
        let carried = quirks_and_reasons(&path).unwrap();
        assert_eq!(
            carried["q/21"],
            (
                vec!["Q-21".to_string(), "Q-8".to_string()],
                "unreachable branch; Q-8: over-withdraw".to_string()
            )
        );
        assert_eq!(
            carried["q/1"],
            (vec!["Q-1".to_string()], "creates money".to_string())
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! The race vectors of a certification run (`vectors/races/*.race`): each replayed
//! `--race-tries` times on the broker under test and added to the report as a case of area
//! `races`, with the timelines on a page beside the report.

use super::CliError;
use crate::model::Profile;
use crate::race::{self, certify::TIMELINE_PAGE, Env, RaceVector};
use crate::report::{RunReport, Summary};
use crate::runner::Target;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The race vectors this run replays: those named by `--races` (`paths`). They are asked for
/// explicitly, never by default: each try costs logins (AUTH-9), and a broker that is not
/// linearizable reproduces a race only some of the time, so the tries belong in the command
/// line of a published run, and a default run stays one case per vector file.
pub fn load(paths: &[PathBuf]) -> Result<Vec<RaceVector>, CliError> {
    if paths.is_empty() {
        return Ok(vec![]);
    }
    let files = race::vector::files(paths).map_err(CliError::Io)?;
    if files.is_empty() {
        return Err(CliError::Input(format!(
            "no race vectors (*.race) in {paths:?}"
        )));
    }
    files
        .iter()
        .map(|f| race::vector::load(f).map_err(CliError::Input))
        .collect()
}

/// Replays every race vector `tries` times, adds one case per vector to `report` (in id
/// order, the summary recounted) and writes the timelines into `page_dir` if given.
pub async fn replay_into(
    report: &mut RunReport,
    races: &[RaceVector],
    target: &Target,
    profile: Profile,
    tries: usize,
    page_dir: Option<&Path>,
) -> Result<(), CliError> {
    if races.is_empty() {
        return Ok(());
    }
    let env = Env {
        target: target.clone(),
        profile,
        seed: report.seed,
        budget: race::check::Budget::default(),
    };
    let mut replays = Vec::with_capacity(races.len());
    for vector in races {
        let started = Instant::now();
        let replay = race::replay(vector, &env, tries, 0).await;
        let ms = started.elapsed().as_millis() as u64;
        report
            .cases
            .push(race::certify::case_report(vector, &replay, ms));
        report.duration_ms += ms;
        replays.push(replay);
    }
    report.cases.sort_by(|a, b| a.id.cmp(&b.id));
    report.summary = Summary::of(&report.cases);
    if let Some(dir) = page_dir {
        std::fs::create_dir_all(dir)?;
        std::fs::write(
            dir.join(TIMELINE_PAGE),
            race::timeline::replay_page(&replays),
        )?;
    }
    Ok(())
}

//! Certification reports: the run's data and the writers that print it.

pub mod data;
pub mod escape;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod matrix;
pub mod quirks;
pub mod redact;
mod view;

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

pub use data::{CaseReport, Class, Direction, Finding, RunReport, StepReport, Summary, WireLine};
pub use view::reproduce_command;

/// The files `write_all` creates, in the order it writes them.
pub const FILES: [&str; 4] = ["report.json", "junit.xml", "report.md", "report.html"];

/// Writes `report.json`, `junit.xml`, `report.md` and `report.html` into `dir`, creating it
/// (and its parents) when missing; existing files of those names are replaced.
pub fn write_all(report: &RunReport, dir: &Path) -> io::Result<()> {
    // A summary that disagrees with the cases is a bug of whoever built the report, not an
    // operating error: every writer would print a wrong verdict.
    debug_assert_eq!(
        report.summary,
        Summary::of(&report.cases),
        "RunReport.summary does not match its cases"
    );
    fs::create_dir_all(dir)?;
    write_file(&dir.join(FILES[0]), |out| json::write(report, out))?;
    write_file(&dir.join(FILES[1]), |out| junit::write(report, out))?;
    write_file(&dir.join(FILES[2]), |out| markdown::write(report, out))?;
    write_file(&dir.join(FILES[3]), |out| html::write(report, out))
}

/// Creates (or truncates) `path` and runs one writer into it, buffered.
fn write_file(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    write(&mut out)?;
    out.flush()
}

//! Certification reports: the run's data and the writers that print it.

pub mod data;
mod escape;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod redact;
mod view;

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

pub use data::{CaseReport, Class, Finding, RunReport, StepReport, Summary, WireLine};
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
    let writers: [(&str, fn(&RunReport, &mut BufWriter<File>) -> io::Result<()>); 4] = [
        (FILES[0], |r, w| json::write(r, w)),
        (FILES[1], |r, w| junit::write(r, w)),
        (FILES[2], |r, w| markdown::write(r, w)),
        (FILES[3], |r, w| html::write(r, w)),
    ];
    for (name, write) in writers {
        let mut out = BufWriter::new(File::create(dir.join(name))?);
        write(report, &mut out)?;
        out.flush()?;
    }
    Ok(())
}

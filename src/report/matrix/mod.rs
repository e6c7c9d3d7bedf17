//! The compatibility matrix (`nitrocert report matrix`): several certification runs side by
//! side, as Autobahn's report matrix puts implementations side by side. Rows are cases grouped
//! by area and by the first rule they cite, columns are runs (target × profile), a cell is the
//! case's outcome class linking to the case in its own `report.html`. The SDK release matrix
//! (`tests/sdk/releases/cells.json`) is shown beside it.
//!
//! The output depends only on what does not change between two runs with the same verdicts:
//! case ids, descriptions, rules, classes, the target, profile, seed and generator of each run.
//! Endpoints (the embedded broker's port changes every run), dates and durations are left
//! out, so the same verdicts give the same bytes.

mod html;
mod markdown;
pub mod sdk;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use super::data::{Class, RunReport};
use super::view::{natural_cmp, Tally};

pub use sdk::{SdkCell, SdkClass, SdkMatrix};

/// The files `write` creates in the output folder.
pub const FILES: [&str; 2] = ["matrix.md", "matrix.html"];

/// One run as given on the command line: its report and where its `report.html` is.
pub struct Input {
    pub report: RunReport,
    /// The `report.html` of the run, as a link relative to the matrix's folder (`/`-separated).
    pub href: String,
}

impl Input {
    /// `report` read from `json_path`; the link points to `report.html` beside it, relative to
    /// `out_dir`.
    pub fn new(report: RunReport, json_path: &Path, out_dir: &Path) -> io::Result<Input> {
        let html = json_path.with_file_name(super::FILES[3]);
        let href = relative_link(out_dir, &html)?;
        Ok(Input { report, href })
    }
}

/// A column: one run.
pub struct Column {
    /// `target · profile`, made unique with ` #2`, ` #3` when two runs share it.
    pub label: String,
    pub target: String,
    pub profile: String,
    pub seed: u64,
    pub generator: String,
    pub href: String,
    /// Counts per class over the run's cases.
    pub tally: Tally,
    pub cases: usize,
}

/// A row: one case and its class in each column (`None`: not in that run).
pub struct Row {
    pub id: String,
    pub description: String,
    pub rules: Vec<String>,
    pub cells: Vec<Option<Class>>,
}

impl Row {
    /// Do the columns disagree (another class, or a run without the case)?
    pub fn differs(&self) -> bool {
        self.cells.windows(2).any(|w| w[0] != w[1])
    }
}

/// The cases of one area that cite the same rule first.
pub struct RuleGroup {
    /// The first rule the cases cite; empty for cases that cite none.
    pub rule: String,
    pub rows: Vec<Row>,
}

pub struct Area {
    pub name: String,
    pub groups: Vec<RuleGroup>,
}

/// The whole matrix, ready for the writers.
pub struct Matrix {
    pub columns: Vec<Column>,
    pub areas: Vec<Area>,
    pub sdk: Option<SdkMatrix>,
}

impl Matrix {
    /// Builds the matrix of `inputs` (columns in the order given) and the SDK cells.
    pub fn build(inputs: &[Input], sdk: Option<SdkMatrix>) -> Matrix {
        let columns = columns(inputs);
        // area → first rule → case id → row, every level in natural order.
        let mut tree: BTreeMap<Key, BTreeMap<Key, BTreeMap<Key, Row>>> = BTreeMap::new();
        for (col, input) in inputs.iter().enumerate() {
            for case in &input.report.cases {
                let rule = case.rules.first().cloned().unwrap_or_default();
                let row = tree
                    .entry(Key(case.area.clone()))
                    .or_default()
                    .entry(Key(rule))
                    .or_default()
                    .entry(Key(case.id.clone()))
                    .or_insert_with(|| Row {
                        id: case.id.clone(),
                        description: case.description.clone(),
                        rules: case.rules.clone(),
                        cells: vec![None; inputs.len()],
                    });
                row.cells[col] = Some(case.class);
            }
        }
        let areas = tree
            .into_iter()
            .map(|(name, rules)| Area {
                name: name.0,
                groups: rules
                    .into_iter()
                    .map(|(rule, rows)| RuleGroup {
                        rule: rule.0,
                        rows: rows.into_values().collect(),
                    })
                    .collect(),
            })
            .collect();
        Matrix {
            columns,
            areas,
            sdk,
        }
    }

    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        self.areas
            .iter()
            .flat_map(|a| a.groups.iter().flat_map(|g| g.rows.iter()))
    }

    /// How many rows a column has no case for.
    pub fn missing(&self, column: usize) -> usize {
        self.rows().filter(|r| r.cells[column].is_none()).count()
    }

    /// The Markdown document.
    pub fn markdown(&self) -> String {
        markdown::render(self)
    }

    /// The self-contained HTML page.
    pub fn html(&self) -> String {
        html::render(self)
    }

    /// Writes `matrix.md` and `matrix.html` into `dir`, creating it when missing.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, text) in FILES.iter().zip([self.markdown(), self.html()]) {
            let mut file = std::fs::File::create(dir.join(name))?;
            file.write_all(text.as_bytes())?;
        }
        Ok(())
    }
}

fn columns(inputs: &[Input]) -> Vec<Column> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    inputs
        .iter()
        .map(|input| {
            let r = &input.report;
            let base = format!("{} · {}", r.target, r.profile);
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            let label = if *n == 1 {
                base
            } else {
                format!("{base} #{n}")
            };
            let mut tally = Tally::default();
            for case in &r.cases {
                tally.add(case.class);
            }
            Column {
                label,
                target: r.target.clone(),
                profile: r.profile.clone(),
                seed: r.seed,
                generator: r.generator.clone(),
                href: input.href.clone(),
                tally,
                cases: r.cases.len(),
            }
        })
        .collect()
}

/// A string ordered with its digit runs compared as numbers (`AS-2` before `AS-10`).
#[derive(PartialEq, Eq)]
struct Key(String);

impl Ord for Key {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        natural_cmp(&self.0, &other.0)
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The link to a case in its report: `report.html#case-<id>`, the id percent-encoded where a
/// URL or a Markdown link would break.
pub fn case_link(href: &str, case_id: &str) -> String {
    let mut out = format!("{href}#");
    for b in super::html::anchor(case_id).bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `target` as a `/`-separated path relative to the folder `from`, both made absolute first
/// (lexically, without touching the file system), so the link is the same from any working
/// directory.
pub fn relative_link(from: &Path, target: &Path) -> io::Result<String> {
    let from = normalize(&std::path::absolute(from)?);
    let target = normalize(&std::path::absolute(target)?);
    let common = from
        .components()
        .zip(target.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> = vec!["..".into(); from.components().count() - common];
    parts.extend(
        target
            .components()
            .skip(common)
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Ok(parts.join("/"))
}

/// Drops `.` and folds `..` into its parent.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_relative_to_the_matrix_folder() {
        let link = relative_link(
            Path::new("reports/matrix"),
            Path::new("reports/embedded/spec/report.html"),
        )
        .unwrap();
        assert_eq!(link, "../embedded/spec/report.html");
        let link = relative_link(Path::new("out/./m"), Path::new("out/m/../r.html")).unwrap();
        assert_eq!(link, "../r.html");
    }

    #[test]
    fn case_links_encode_what_breaks_a_url() {
        assert_eq!(
            case_link("r.html", "auth/ok-1"),
            "r.html#case-auth/ok-1",
            "ids as the vectors name them stay readable"
        );
        assert_eq!(case_link("r.html", "a (b)|c"), "r.html#case-a_%28b%29%7Cc");
    }
}

//! Golden vectors: the catalogue of cases (Rust scripts), filled through the shadow (the model
//! behind the wire) into `vectors/<area>/<case>.json`, checked for drift, replayed from the file
//! alone, listed, and measured for rule coverage.

pub mod build;
pub mod catalog;
pub mod coverage;
pub mod fill;
pub mod format;
pub mod instance;
pub mod recorder;
pub mod replay;

pub use fill::{fill, Case};
pub use format::Vector;

use std::path::{Path, PathBuf};

/// The JSON Schema of the format, beside the vectors (not a vector).
pub const SCHEMA_FILE: &str = "schema.json";

/// Folder of vectors that the generator does not own (shrunk fuzz findings).
pub const REGRESSIONS: &str = "regressions";

/// The text a vector file holds: pretty JSON and a final newline, so diffs read well.
pub fn to_text(vector: &Vector) -> String {
    let mut text = serde_json::to_string_pretty(vector).expect("vectors serialize");
    text.push('\n');
    text
}

pub fn path_of(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.json"))
}

/// Every `*.json` vector under `dir` (the schema excluded), sorted by path.
pub fn files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json")
                && path.file_name().is_some_and(|n| n != SCHEMA_FILE)
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads one vector file.
pub fn load(path: &Path) -> Result<Vector, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let vector: Vector =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if vector.format != format::FORMAT {
        return Err(format!(
            "{}: format {:?}, this nitrocert reads {:?}",
            path.display(),
            vector.format,
            format::FORMAT
        ));
    }
    Ok(vector)
}

/// One difference between the catalogue and the files on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    Missing(PathBuf),
    Changed(PathBuf),
    Stale(PathBuf),
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Missing(p) => write!(
                f,
                "missing: {} (run `nitrocert vectors generate`)",
                p.display()
            ),
            Drift::Changed(p) => write!(
                f,
                "changed: {} (the model or the case changed; regenerate and review the diff)",
                p.display()
            ),
            Drift::Stale(p) => write!(
                f,
                "stale: {} (no case of the catalogue writes it)",
                p.display()
            ),
        }
    }
}

/// Fills every case of the catalogue in memory.
pub fn fill_all() -> Vec<Vector> {
    let cases = catalog::all();
    let mut seen = std::collections::BTreeSet::new();
    for case in &cases {
        assert!(
            seen.insert(case.id.clone()),
            "duplicate case id {}",
            case.id
        );
    }
    cases.iter().map(fill).collect()
}

/// Compares the filled catalogue with `dir`.
pub fn check(dir: &Path, filled: &[Vector]) -> std::io::Result<Vec<Drift>> {
    let mut drift = Vec::new();
    let mut expected = std::collections::BTreeSet::new();
    for vector in filled {
        let path = path_of(dir, &vector.id);
        expected.insert(path.clone());
        match std::fs::read_to_string(&path) {
            Err(_) => drift.push(Drift::Missing(path)),
            Ok(text) if text != to_text(vector) => drift.push(Drift::Changed(path)),
            Ok(_) => {}
        }
    }
    if dir.exists() {
        for path in files(dir)? {
            let owned_by_generator = !path.starts_with(dir.join(REGRESSIONS));
            if owned_by_generator && !expected.contains(&path) {
                drift.push(Drift::Stale(path));
            }
        }
    }
    Ok(drift)
}

/// Writes the filled catalogue into `dir`, removing files no case writes (regressions kept).
pub fn generate(dir: &Path, filled: &[Vector]) -> std::io::Result<usize> {
    for drift in check(dir, filled)? {
        if let Drift::Stale(path) = drift {
            std::fs::remove_file(path)?;
        }
    }
    let mut written = 0;
    for vector in filled {
        let path = path_of(dir, &vector.id);
        let text = to_text(vector);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::create_dir_all(path.parent().expect("a vector path has a folder"))?;
            std::fs::write(&path, text)?;
            written += 1;
        }
    }
    Ok(written)
}

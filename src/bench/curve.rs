//! The cost curve: certify with 1×, 2× and 4× the vectors and fuzz with 1k, 10k and 100k steps,
//! each point in its own `nitrocert bench --point …` process, so its peak memory is its own.

use super::runs;
use super::BenchConfig;
use crate::model::Profile;
use crate::vectors::Vector;
use serde::{Deserialize, Serialize};
use std::process::Command;

/// Vectors a `--quick` certify point uses (×1, ×2, ×4).
const QUICK_VECTORS: usize = 8;

/// One point of the curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    /// `certify` of every vector, `times` over (copies with fresh ids).
    Certify { times: usize },
    /// A fuzz campaign of `steps` replayed steps.
    Fuzz { steps: u64 },
}

impl std::str::FromStr for Point {
    type Err = String;
    /// `certify:2` or `fuzz:10000`.
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?}: want certify:TIMES or fuzz:STEPS");
        let (kind, n) = text.split_once(':').ok_or_else(bad)?;
        let n: u64 = n.parse().map_err(|_| bad())?;
        match kind {
            "certify" if n > 0 => Ok(Point::Certify { times: n as usize }),
            "fuzz" if n > 0 => Ok(Point::Fuzz { steps: n }),
            _ => Err(bad()),
        }
    }
}

impl std::fmt::Display for Point {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Point::Certify { times } => write!(f, "certify:{times}"),
            Point::Fuzz { steps } => write!(f, "fuzz:{steps}"),
        }
    }
}

/// What one point measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PointResult {
    pub label: String,
    pub work: u64,
    pub unit: String,
    pub seconds: f64,
    /// The point process's peak resident set (Linux `VmHWM`); `None` where unknown.
    pub peak_rss_kb: Option<u64>,
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Measures one point in this process (the child side of `nitrocert bench --point`).
pub fn measure_point(point: Point, quick: bool, vectors: &[Vector]) -> Result<PointResult, String> {
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let (label, work, unit, seconds) = match point {
        Point::Certify { times } => {
            let base: Vec<Vector> = if quick {
                vectors.iter().take(QUICK_VECTORS).cloned().collect()
            } else {
                vectors.to_vec()
            };
            let all = runs::copies(&base, times);
            let run = rt.block_on(runs::certify_in_process(&all, Profile::Clearnode052))?;
            let label = format!("certify {times}× the vectors");
            (label, run.cases as u64, "cases", run.elapsed.as_secs_f64())
        }
        Point::Fuzz { steps } => {
            let (done, took) = runs::fuzz_campaign(steps, &rt)?;
            let label = format!("fuzz {steps} steps");
            (label, done, "steps", took.as_secs_f64())
        }
    };
    Ok(PointResult {
        label,
        work,
        unit: unit.into(),
        seconds,
        peak_rss_kb: peak_rss_kb(),
    })
}

/// The points of a run: the scale, or a CI-sized one with `--quick`.
pub fn points(quick: bool) -> Vec<Point> {
    let fuzz: [u64; 3] = if quick {
        [30, 60, 120]
    } else {
        [1_000, 10_000, 100_000]
    };
    [1, 2, 4]
        .into_iter()
        .map(|times| Point::Certify { times })
        .chain(fuzz.into_iter().map(|steps| Point::Fuzz { steps }))
        .collect()
}

/// Runs every point in a child process and collects what each printed.
pub fn run(config: &BenchConfig, note: &mut dyn FnMut(&str)) -> Result<Vec<PointResult>, String> {
    let mut out = Vec::new();
    for point in points(config.quick) {
        note(&format!("cost curve: {point}"));
        let mut command = Command::new(&config.exe);
        command
            .arg("bench")
            .arg("--point")
            .arg(point.to_string())
            .arg("--vectors")
            .arg(&config.vectors_path);
        if config.quick {
            command.arg("--quick");
        }
        let output = command
            .output()
            .map_err(|e| format!("cannot run {}: {e}", config.exe.display()))?;
        if !output.status.success() {
            return Err(format!(
                "{point}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let result: PointResult = serde_json::from_str(text.trim())
            .map_err(|e| format!("{point}: unreadable result {text:?}: {e}"))?;
        out.push(result);
    }
    Ok(out)
}

//! `nitrocert bench`: how fast each part runs on this machine, against the physical limit
//! measured in the same run, and how cost grows with the work (linear time, flat memory).
//! Figures only: nothing here passes or fails on a number (performance is never a test).
//!
//! Layering: above the runner, the broker and the fuzz campaign (it drives all of them through
//! their top-level entry points), beside the command line.

mod curve;
pub mod net;
pub mod primitives;
pub mod runs;

pub use curve::{measure_point, Point, PointResult};

use crate::crypto::identity::{derive, Role};
use crate::engine::Engine;
use crate::model::{Detail, Profile};
use crate::vectors::Vector;
use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What to measure and how long.
pub struct BenchConfig {
    /// CI-sized runs: fewer cycles, shorter budgets, a slice of the vectors, a small curve.
    pub quick: bool,
    /// The `nitrocert` binary: the `serve` child and the cost-curve points run it.
    pub exe: PathBuf,
    /// The golden vectors (certify runs and the certify curve).
    pub vectors: Vec<Vector>,
    /// Where they were loaded from (passed to the curve's child processes).
    pub vectors_path: PathBuf,
}

/// One measured figure.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub key: String,
    pub what: String,
    pub value: f64,
    pub unit: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// Everything one `nitrocert bench` run measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub quick: bool,
    pub cores: usize,
    pub figures: Vec<Figure>,
    pub curve: Vec<PointResult>,
}

impl BenchReport {
    pub fn value(&self, key: &str) -> Option<f64> {
        self.figures.iter().find(|f| f.key == key).map(|f| f.value)
    }
}

/// Runs `f(i)` for i = 0, 1, … until `budget` has passed (at least once): (runs, elapsed).
pub fn timed(budget: Duration, mut f: impl FnMut(usize)) -> (usize, Duration) {
    let started = Instant::now();
    let mut n = 0;
    while n == 0 || started.elapsed() < budget {
        f(n);
        n += 1;
    }
    (n, started.elapsed())
}

/// The embedded reference broker's engine, as `certify` and `fuzz` build it.
pub fn embedded_engine(profile: Profile, seed: u64) -> Engine {
    Engine::reference(profile, derive(seed, Role::Broker, 0), seed)
}

/// Measures everything; `note` is told what is being measured (for a progress line).
pub fn run(config: &BenchConfig, note: &mut dyn FnMut(&str)) -> Result<BenchReport, String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut figures = Vec::new();
    let mut add = |key: &str, what: &str, value: f64, unit: &str, extra: String| {
        figures.push(Figure {
            key: key.into(),
            what: what.into(),
            value,
            unit: unit.into(),
            note: extra,
        })
    };
    let q = config.quick;
    let budget = Duration::from_millis(if q { 200 } else { 2_000 });
    note("model");
    let cycles = if q { 1_000 } else { 20_000 };
    for (detail, key, what) in [
        (
            Detail::Verdict,
            "model_verdict_steps_per_s",
            "model steps (verdict detail)",
        ),
        (
            Detail::Full,
            "model_full_steps_per_s",
            "model steps (full payloads)",
        ),
    ] {
        let rate = primitives::model_steps_per_s(cycles, detail);
        add(
            key,
            what,
            rate,
            "steps/s",
            format!("{} steps, both profiles", cycles * 20),
        );
    }
    note("signatures");
    let (sign, recover) = primitives::signature_micros(budget);
    add(
        "sign_us",
        "secp256k1 recoverable sign",
        sign,
        "µs",
        String::new(),
    );
    add(
        "recover_us",
        "secp256k1 public-key recovery",
        recover,
        "µs",
        String::new(),
    );
    // Every signed request costs the harness a signature and the broker a recovery; on a
    // machine they share, that bounds the rate at cores / (sign + recover).
    let limit = cores as f64 * 1e6 / (sign + recover);
    add(
        "signed_limit_per_s",
        "physical limit: signed requests",
        limit,
        "requests/s",
        format!("{cores} cores / (sign + recover), measured above"),
    );
    network_figures(budget, &mut add)?;
    certify_figures(config, limit, note, &mut add)?;
    fuzz_figures(q, note, &mut add)?;
    note("cost curve");
    let curve = curve::run(config, note)?;
    Ok(BenchReport {
        quick: q,
        cores,
        figures,
        curve,
    })
}

type Add<'a> = dyn FnMut(&str, &str, f64, &str, String) + 'a;

fn network_figures(budget: Duration, add: &mut Add) -> Result<(), String> {
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let echo = rt.block_on(net::echo(budget))?;
    add(
        "ws_echo_rt_per_s",
        "WebSocket round trips, bare echo (physical limit)",
        echo,
        "round trips/s",
        "one connection, 400-byte text, loopback".into(),
    );
    let ping = rt.block_on(net::broker_ping(budget))?;
    add(
        "ws_broker_ping_rt_per_s",
        "WebSocket round trips, embedded broker `ping`",
        ping,
        "round trips/s",
        "one connection; every reply broker-signed".into(),
    );
    Ok(())
}

fn certify_figures(
    config: &BenchConfig,
    limit: f64,
    note: &mut dyn FnMut(&str),
    add: &mut Add,
) -> Result<(), String> {
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let vectors: Vec<Vector> = if config.quick {
        config.vectors.iter().take(24).cloned().collect()
    } else {
        config.vectors.clone()
    };
    let profile = Profile::Clearnode052;
    note("certify, embedded broker in-process");
    let local = rt.block_on(runs::certify_in_process(&vectors, profile))?;
    note("certify, embedded broker in a `serve` child over its socket");
    let remote = rt.block_on(runs::certify_over_socket(&config.exe, &vectors, profile))?;
    for (run, key, what) in [
        (
            &local,
            "certify_in_process",
            "certify, embedded broker in-process",
        ),
        (
            &remote,
            "certify_over_socket",
            "certify, `nitrocert serve` child over its socket",
        ),
    ] {
        let s = &run.summary;
        let verdicts = format!(
            "{} cases: {} pass, {} informational, {} non-strict, {} fail, {} error, {} skip",
            s.total, s.pass, s.informational, s.non_strict, s.fail, s.error, s.skip
        );
        add(
            &format!("{key}_cases_per_s"),
            what,
            run.cases_per_s(),
            "cases/s",
            verdicts,
        );
        add(
            &format!("{key}_signed_per_s"),
            &format!("{what}: signed requests"),
            run.signed_per_s(),
            "requests/s",
            format!("{} of the cases' own", run.signed_requests),
        );
        add(
            &format!("{key}_limit_ratio"),
            &format!("{what}: share of the physical limit"),
            run.signed_per_s() / limit,
            "ratio",
            "signed requests/s ÷ cores / (sign + recover)".into(),
        );
    }
    Ok(())
}

fn fuzz_figures(quick: bool, note: &mut dyn FnMut(&str), add: &mut Add) -> Result<(), String> {
    note("fuzz campaign");
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let (steps, took) = runs::fuzz_campaign(if quick { 60 } else { 2_000 }, &rt)?;
    add(
        "fuzz_steps_per_s",
        "`nitrocert fuzz` on the embedded broker",
        steps as f64 / took.as_secs_f64(),
        "steps/s",
        format!("{steps} steps, --jobs 2"),
    );
    note("cargo-fuzz target functions");
    let budget = Duration::from_millis(if quick { 200 } else { 3_000 });
    for (name, rate) in primitives::fuzz_targets(budget) {
        add(
            &format!("fuzz_target_{name}_exec_per_s"),
            &format!("cargo-fuzz target `{name}`, in-process loop"),
            rate,
            "exec/s",
            "seed corpus and seeded mutants; no libFuzzer instrumentation".into(),
        );
    }
    Ok(())
}

fn number(v: f64) -> String {
    if v >= 100.0 {
        let n = v.round() as u64;
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// The report as Markdown: the figures, then the cost curve.
pub fn to_markdown(r: &BenchReport) -> String {
    let mut out = format!(
        "# nitrocert bench{}\n\n{} cores. Release build recommended; figures vary with the machine's load.\n\n",
        if r.quick { " (--quick)" } else { "" },
        r.cores
    );
    out.push_str("| what | value | unit | note |\n|---|---:|---|---|\n");
    for f in &r.figures {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            f.what,
            number(f.value),
            f.unit,
            f.note
        ));
    }
    out.push_str(
        "\n## Cost curve\n\nEach point runs in its own process; peak memory is that process's \
         maximum resident set.\n\n| run | work | seconds | ms per unit | peak memory (MB) |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for p in &r.curve {
        out.push_str(&format!(
            "| {} | {} {} | {:.2} | {:.3} | {} |\n",
            p.label,
            p.work,
            p.unit,
            p.seconds,
            p.seconds * 1e3 / p.work.max(1) as f64,
            p.peak_rss_kb
                .map(|kb| format!("{:.1}", kb as f64 / 1024.0))
                .unwrap_or_else(|| "n/a".into())
        ));
    }
    out
}

/// The report as JSON.
pub fn to_json(r: &BenchReport) -> serde_json::Value {
    serde_json::to_value(r).expect("plain data serializes")
}

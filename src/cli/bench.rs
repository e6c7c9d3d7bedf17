//! `nitrocert bench`: how fast this machine runs each part of nitrocert, against the physical
//! limit measured in the same run; writes `bench.md` and `bench.json`.

use super::certify::load_vectors;
use super::{CliError, EXIT_OK};
use crate::bench::{self, BenchConfig, Point};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
#[command(
    about = "Measure speed: model, signatures, WebSocket, certify, fuzz; and the cost curve",
    long_about = "Measures, on this machine and in one run: model steps per second (verdict \
and full detail); secp256k1 sign and recover time, and from them the physical limit of signed \
requests per second (cores / (sign + recover)); WebSocket round trips per second against a bare \
echo server (the physical limit) and against the embedded broker's `ping`; certify cases and \
signed requests per second against the embedded broker, in this process and in a \
`nitrocert serve` child reached over its socket, each as a share of the physical limit; \
`nitrocert fuzz` steps per second; executions per second of each cargo-fuzz target's function \
in a loop over its seed corpus and mutants of it.\n\n\
Then the cost curve: certify with 1x, 2x and 4x the vectors (copies with fresh ids) and fuzz \
with 1k, 10k and 100k steps, each in its own process, with time and peak memory: time should \
grow linearly and memory stay flat.\n\n\
Writes <--out>/bench.md and <--out>/bench.json and prints the Markdown. Numbers are figures, \
never pass/fail; build with --release for meaningful ones. The full run takes minutes (the \
fuzz curve's 100k steps dominate); --quick is CI-sized.",
    after_help = "Examples:\n  \
cargo build --release && target/release/nitrocert bench\n  \
nitrocert bench --quick --out /tmp/bench"
)]
pub struct BenchArgs {
    /// CI-sized: short budgets, a slice of the vectors, a small cost curve.
    #[arg(long)]
    pub quick: bool,
    /// Folder for bench.md and bench.json.
    #[arg(long, default_value = "target/nitrocert-bench")]
    pub out: PathBuf,
    /// Vector files or folders (default: vectors/).
    #[arg(long = "vectors", value_name = "PATH")]
    pub vectors: Vec<PathBuf>,
    /// Measure one cost-curve point in this process and print it as JSON (used by the run
    /// itself: `certify:TIMES` or `fuzz:STEPS`).
    #[arg(long, value_name = "POINT", hide = true)]
    pub point: Option<Point>,
}

pub fn bench(args: &BenchArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    let vectors = load_vectors(&args.vectors)?;
    if let Some(point) = args.point {
        let result = bench::measure_point(point, args.quick, &vectors).map_err(CliError::Input)?;
        writeln!(
            out,
            "{}",
            serde_json::to_string(&result).expect("plain data")
        )?;
        return Ok(EXIT_OK);
    }
    let config = BenchConfig {
        quick: args.quick,
        exe: std::env::current_exe()?,
        vectors,
        vectors_path: match args.vectors.as_slice() {
            [one] => one.clone(),
            [] => PathBuf::from("vectors"),
            _ => {
                return Err(CliError::Input(
                    "bench takes one --vectors path (the curve's processes reload it)".into(),
                ))
            }
        },
    };
    let report =
        bench::run(&config, &mut |what| eprintln!("bench: {what} …")).map_err(CliError::Input)?;
    let markdown = bench::to_markdown(&report);
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(args.out.join("bench.md"), &markdown)?;
    let json = serde_json::to_string_pretty(&bench::to_json(&report)).expect("plain data");
    std::fs::write(args.out.join("bench.json"), json + "\n")?;
    write!(out, "{markdown}")?;
    writeln!(
        out,
        "\nwritten: {} and bench.json",
        args.out.join("bench.md").display()
    )?;
    Ok(EXIT_OK)
}

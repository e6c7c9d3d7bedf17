//! Command-line interface: arguments are parsed and validated here, then handed to the library.
//! Exit codes: 0 conformant / success, 1 findings, 2 the harness could not run.

mod bench;
pub mod certify;
mod certify_races;
mod diff;
mod fidelity;
mod funding;
mod fuzz;
mod keys;
mod probe;
mod race;
mod report;
mod rules;
pub mod serve;
mod sign;
mod vectors;

use clap::{Parser, Subcommand};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "nitrocert",
    version,
    about = "Conformance test harness and fuzzer for NitroRPC brokers",
    long_about = "nitrocert checks that a NitroRPC broker (such as Clearnode) answers app-session \
requests (create_app_session, submit_app_state, close_app_session; NitroRPC/0.2 and 0.4) exactly \
as the protocol says, and books every balance correctly.\n\n\
It also carries the tools a broker developer needs while debugging the wire: signing a request \
the way the official SDK does, and recovering who signed a frame.",
    after_help = "Examples:\n  \
echo '[1,\"ping\",{},1700000000000]' | nitrocert sign --key 0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d\n  \
nitrocert recover < frame.json\n  \
nitrocert keys --seed 7 --count 3\n\n\
Exit codes: 0 success / conformant, 1 findings, 2 the harness could not run."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    Sign(sign::SignArgs),
    Recover(sign::RecoverArgs),
    Request(sign::RequestArgs),
    Certify(certify::CertifyArgs),
    Diff(diff::DiffArgs),
    Fuzz(fuzz::FuzzArgs),
    Bench(bench::BenchArgs),
    Keys(keys::KeysArgs),
    Probe(probe::ProbeArgs),
    Race(race::RaceArgs),
    Report(report::ReportArgs),
    Rules(rules::RulesArgs),
    Serve(serve::ServeArgs),
    Vectors(vectors::VectorsArgs),
}

/// Runs the CLI with the process's arguments and standard streams.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    let result = match cli.command {
        Command::Bench(args) => bench::bench(&args, &mut stdout),
        Command::Sign(args) => sign::sign(&args, &mut stdin.lock(), &mut stdout),
        Command::Recover(args) => sign::recover(&args, &mut stdin.lock(), &mut stdout),
        Command::Request(args) => sign::request(&args, &mut stdout),
        Command::Certify(args) => certify::certify(&args, &mut stdout),
        Command::Diff(args) => diff::diff(&args, &mut stdout),
        Command::Fuzz(args) => fuzz::fuzz(&args, &mut stdout),
        Command::Keys(args) => keys::keys(&args, &mut stdout),
        Command::Probe(args) => probe::probe(&args, &mut stdout),
        Command::Race(args) => race::race(&args, &mut stdout),
        Command::Report(args) => report::run(&args, &mut stdout),
        Command::Rules(args) => rules::run(&args, &mut stdout),
        Command::Serve(args) => serve::serve(&args, &mut stdout),
        Command::Vectors(args) => vectors::run(&args, &mut stdout),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("nitrocert: error: {e:#}");
            EXIT_USAGE
        }
    }
}

/// An error that stops a command before it could judge anything (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Input(String),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

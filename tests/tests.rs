//! The one integration-test binary: every suite is a module of it (fast to link, one place to
//! look).

#[path = "suite/bench.rs"]
mod bench;
#[path = "suite/broker.rs"]
mod broker;
#[path = "suite/certify.rs"]
mod certify;
#[path = "suite/cli.rs"]
mod cli;
#[path = "suite/diff.rs"]
mod diff;
#[path = "suite/faults.rs"]
mod faults;
#[path = "suite/fidelity.rs"]
mod fidelity;
#[path = "suite/fuzz.rs"]
mod fuzz;
#[path = "suite/fuzz_corpus.rs"]
mod fuzz_corpus;
#[path = "suite/hostile.rs"]
mod hostile;
#[path = "suite/kat.rs"]
mod kat;
#[path = "suite/layering.rs"]
mod layering;
#[path = "suite/matrix.rs"]
mod matrix;
#[path = "suite/probes.rs"]
mod probes;
#[path = "suite/race.rs"]
mod race;
#[path = "suite/report.rs"]
mod report;
#[path = "suite/report_run.rs"]
mod report_run;
#[path = "suite/rules.rs"]
mod rules;
#[path = "suite/util.rs"]
mod util;
#[path = "suite/vectors.rs"]
mod vectors;
#[path = "suite/verdicts.rs"]
mod verdicts;

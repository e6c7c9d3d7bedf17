//! Model steps per second, no signature work:
//! `cargo run --release --example model_bench [cycles] [full|verdict]` (both details by default).
//!
//! The workload is `nitrocert::bench::primitives::cycle` (the one `nitrocert bench` measures):
//! requests built up front, so only `Model::step` is timed. One cycle is ten steps: create,
//! three submits (operate, deposit, withdraw), one rejected submit, two transfers, a balance
//! read, another operate, and a close. For a profile, run it under valgrind's callgrind with a
//! few thousand cycles: instruction counts stay put when the machine is busy.

use nitrocert::bench::primitives::{run_model, workload};

// The allocator of the `nitrocert` binary, whose `bench` this example stands beside.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use nitrocert::model::{Detail, Profile};

fn main() {
    let cycles: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let only = match std::env::args().nth(2).as_deref() {
        Some("full") => Some(Detail::Full),
        Some("verdict") => Some(Detail::Verdict),
        _ => None,
    };
    let requests = workload(cycles);
    for (profile, detail) in Profile::ALL
        .into_iter()
        .flat_map(|p| [(p, Detail::Full), (p, Detail::Verdict)])
        .filter(|(_, d)| only.is_none_or(|o| o == *d))
    {
        let (ok, took) = run_model(&requests, profile, detail);
        let secs = took.as_secs_f64();
        let n = requests.len();
        println!(
            "{profile} {detail:?}: {n} steps in {secs:.3} s = {:.0} steps/s ({ok} accepted, {} rejected)",
            n as f64 / secs,
            n - ok
        );
        assert_eq!(
            ok,
            n - cycles as usize,
            "only the deliberately wrong submit fails"
        );
    }
}

//! Model throughput on generated sequences, no signatures: `cargo bench --bench model`.
//!
//! Sequences are generated and materialized up front (the generator's plans against the
//! model's state), then replayed through a fresh `Model` per sequence, so only `Model::step`
//! and the invariant snapshots are timed. Also times the generator itself (drawing plans and
//! playing them), which bounds the `model_sequence` fuzz target. Under `cargo test` (no
//! `--bench` argument) it runs a few sequences as a smoke test and prints nothing.

use arbitrary::Unstructured;
use nitrocert::gen::world::Request;
use nitrocert::gen::{bytes_for, generate, play, seeded_bytes, GenConfig, World};
use nitrocert::model::invariants::check_step;
use nitrocert::model::{Profile, Snapshot};
use std::time::Instant;

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let sequences: u64 = if bench { 2_000 } else { 5 };
    let config = GenConfig {
        invalid_percent: 25,
        max_steps: 24,
    };
    for profile in Profile::ALL {
        let started = Instant::now();
        let scripts: Vec<_> = (0..sequences)
            .map(|i| {
                let bytes = seeded_bytes(1, i, bytes_for(config.max_steps));
                generate(&mut Unstructured::new(&bytes), profile, &config)
            })
            .collect();
        let generated = started.elapsed();
        let plays: Vec<(_, Vec<Request>)> = scripts
            .iter()
            .map(|s| {
                let requests = play(s, profile).into_iter().map(|p| p.request).collect();
                (s.setup.clone(), requests)
            })
            .collect();
        let steps: usize = plays.iter().map(|(_, r)| r.len()).sum();
        let started = Instant::now();
        for (setup, requests) in &plays {
            let mut world = World::new(profile, setup);
            for r in requests {
                world.play(r);
            }
        }
        let stepped = started.elapsed();
        let started = Instant::now();
        let mut violations = 0;
        for (setup, requests) in &plays {
            let mut world = World::new(profile, setup);
            for r in requests {
                let before = Snapshot::of(world.model());
                let ok = world.play(r).is_ok();
                violations += check_step(&before, &Snapshot::of(world.model()), ok).len();
            }
        }
        let checked = started.elapsed();
        if bench {
            let rate = |d: std::time::Duration| steps as f64 / d.as_secs_f64();
            println!(
                "{profile:<16} {steps} steps: model {:>9.0} steps/s, with invariant checks {:>9.0} steps/s, generator {:>9.0} steps/s ({violations} violations)",
                rate(stepped),
                rate(checked),
                rate(generated),
            );
        }
    }
}

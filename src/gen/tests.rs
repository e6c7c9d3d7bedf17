//! Generator tests: determinism, reach (every kind of request succeeds somewhere, every flaw is
//! drawn), and invariants of the `spec` profile over generated sequences.

use super::*;
use crate::model::invariants::check_step;
use crate::model::{Profile, Snapshot};
use arbitrary::Unstructured;
use std::collections::BTreeMap;

fn script(seed: u64, index: u64, profile: Profile) -> Script {
    let config = GenConfig::default();
    let bytes = seeded_bytes(seed, index, bytes_for(config.max_steps));
    generate(&mut Unstructured::new(&bytes), profile, &config)
}

#[test]
fn stats() {
    let mut stats: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for i in 0..300 {
        let s = script(1, i, Profile::Clearnode052);
        for p in play(&s, Profile::Clearnode052) {
            let op = &s.ops[p.op];
            let intent = p.request.params.get("intent").and_then(|v| v.as_str()).unwrap_or("");
            let key = format!("{} {} {:?}", p.request.method, intent, op.flaw);
            let e = stats.entry(key).or_default();
            e.0 += 1;
            if p.outcome.is_ok() { e.1 += 1; } else if op.flaw.is_none() { println!("{} {}: {}", p.request.method, intent, p.outcome.error_text()); }
        }
    }
    for (k, (n, ok)) in stats { println!("{k:60} {n:5} {ok:5}"); }
}

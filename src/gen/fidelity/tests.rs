//! Fidelity generator tests: determinism, fillable vectors that replay from the file alone,
//! and reach (every mutation kind and every extra plan is applied somewhere).

use super::*;
use crate::gen::{bytes_for, seeded_bytes};
use std::collections::BTreeSet;

fn config() -> FidelityGen {
    FidelityGen {
        gen: GenConfig {
            max_steps: 16,
            ..GenConfig::default()
        },
        mutate_percent: 50,
        extra_percent: 30,
    }
}

fn script(seed: u64, index: u64) -> Script {
    let bytes = seeded_bytes(seed, index, bytes_for(16) * 2);
    generate(
        &mut Unstructured::new(&bytes),
        Profile::Clearnode052,
        &config(),
    )
}

#[test]
fn the_same_seed_gives_the_same_sequence_and_vector() {
    let a = script(4, 2);
    assert_eq!(a, script(4, 2));
    assert_ne!(a, script(4, 3));
    let va = to_vector("fuzz/t", "", &a, &play(&a, Profile::Clearnode052));
    let vb = to_vector("fuzz/t", "", &a, &play(&a, Profile::Clearnode052));
    assert_eq!(va, vb);
}

#[test]
fn fidelity_vectors_fill_and_replay_from_the_file_alone() {
    for i in 0..12 {
        let s = script(9, i);
        let played = play(&s, Profile::Clearnode052);
        let vector = to_vector("fuzz/fidelity", "", &s, &played);
        assert_eq!(vector.steps.len(), played.len(), "sequence {i}");
        for profile in Profile::ALL {
            let problems = crate::vectors::replay::replay(&vector, profile);
            assert!(problems.is_empty(), "sequence {i} {profile}: {problems:?}");
        }
    }
}

#[test]
fn every_mutation_kind_and_extra_plan_is_played() {
    let mut kinds = BTreeSet::new();
    let mut methods = BTreeSet::new();
    for i in 0..150 {
        for p in play(&script(5, i), Profile::Clearnode052) {
            kinds.extend(p.mutation);
            methods.insert(p.method.clone());
        }
    }
    let missing: Vec<&str> = mutate::MutKind::ALL
        .iter()
        .map(|k| k.name())
        .filter(|k| !kinds.contains(k))
        .collect();
    assert!(missing.is_empty(), "never applied: {missing:?}");
    for m in [
        "get_ledger_entries",
        "get_rpc_history",
        "authenticate",
        "auth_request",
        "auth_verify",
        "revoke_session_key",
        "transfer",
        "submit_app_state",
    ] {
        assert!(methods.contains(m), "{m} never played: {methods:?}");
    }
}

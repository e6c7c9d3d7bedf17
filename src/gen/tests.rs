//! Generator tests: determinism, reach (every kind of request succeeds somewhere, every flaw is
//! drawn, Clearnode's fund-creating quirks are reached), the `spec` profile's invariants over
//! generated sequences, and generated vectors that replay from the file alone.

use super::op::Flaw;
use super::*;
use crate::model::Profile;
use arbitrary::Unstructured;
use std::collections::BTreeSet;

fn script(seed: u64, index: u64, profile: Profile) -> Script {
    let config = GenConfig::default();
    let bytes = seeded_bytes(seed, index, bytes_for(config.max_steps));
    generate(&mut Unstructured::new(&bytes), profile, &config)
}

#[test]
fn the_same_seed_gives_the_same_sequence_and_vector() {
    let a = script(3, 5, Profile::Clearnode052);
    let b = script(3, 5, Profile::Clearnode052);
    assert_eq!(a, b);
    assert_ne!(a, script(3, 6, Profile::Clearnode052));
    let played = play(&a, Profile::Clearnode052);
    let va = script::to_vector("fuzz/t", "", &a, &played);
    let vb = script::to_vector("fuzz/t", "", &b, &play(&b, Profile::Clearnode052));
    assert_eq!(va, vb);
}

#[test]
fn generated_vectors_replay_from_the_file_alone() {
    for i in 0..6 {
        let s = script(11, i, Profile::Clearnode052);
        let played = play(&s, Profile::Clearnode052);
        let vector = script::to_vector("fuzz/replay", "", &s, &played);
        assert_eq!(vector.steps.len(), played.len());
        for profile in Profile::ALL {
            let problems = crate::vectors::replay::replay(&vector, profile);
            assert!(problems.is_empty(), "sequence {i} {profile}: {problems:?}");
        }
    }
}

#[test]
fn spec_keeps_every_invariant_and_clearnode_its_atomicity() {
    // The fuzz target's own check, over seeded inputs (each picks a profile; every step).
    for i in 0..200 {
        crate::fuzzing::model_sequence(&seeded_bytes(21, i, bytes_for(24)));
    }
}

#[test]
fn reaches_every_kind_of_success_every_flaw_and_the_quirks() {
    let mut ok = BTreeSet::new();
    let mut flaws = BTreeSet::new();
    let mut conservation_broken = false;
    for i in 0..300 {
        let s = script(1, i, Profile::Clearnode052);
        let mut world = World::new(Profile::Clearnode052, &s.setup);
        let funded = crate::model::Snapshot::of(world.model()).totals();
        for p in play(&s, Profile::Clearnode052) {
            if let Some(f) = s.ops[p.op].flaw {
                flaws.insert(format!("{f:?}"));
            }
            let intent = p.request.params.get("intent").and_then(|v| v.as_str());
            if p.outcome.is_ok() {
                ok.insert(format!("{} {}", p.request.method, intent.unwrap_or("")));
            }
            world.play(&p.request);
        }
        conservation_broken |= crate::model::Snapshot::of(world.model()).totals() != funded;
    }
    for want in [
        "create_app_session ",
        "submit_app_state operate",
        "submit_app_state deposit",
        "submit_app_state withdraw",
        "submit_app_state ",
        "close_app_session ",
        "transfer ",
    ] {
        assert!(ok.contains(want), "{want:?} never succeeded: {ok:?}");
    }
    let all = [
        Flaw::WrongVersion,
        Flaw::StaleVersion,
        Flaw::ProtocolMixup,
        Flaw::SubQuorum,
        Flaw::DuplicateSigner,
        Flaw::ForeignSigner,
        Flaw::NonParticipantRow,
        Flaw::OmitParticipant,
        Flaw::DuplicateRow,
        Flaw::NegativeAmount,
        Flaw::ZeroAmount,
        Flaw::HugeAmount,
        Flaw::ManyDecimals,
        Flaw::BadSum,
        Flaw::ClosedSession,
        Flaw::UnknownSession,
        Flaw::Overdraw,
        Flaw::UnsignedDepositor,
        Flaw::MissingSignature,
        Flaw::ZeroQuorum,
        Flaw::DuplicateParticipant,
        Flaw::LowercaseParticipant,
        Flaw::QuorumTooHigh,
        Flaw::BadProtocol,
        Flaw::StaleTimestamp,
    ];
    for f in all {
        assert!(flaws.contains(&format!("{f:?}")), "{f:?} never drawn");
    }
    assert!(
        conservation_broken,
        "canary: clearnode-0.5.2 must break conservation somewhere (Q-1, Q-2, Q-3)"
    );
}

#[test]
fn valid_steps_are_mostly_accepted() {
    // Valid by construction: without flaws, nearly every step succeeds (the rest address
    // sessions that earlier flaws made unusable, such as a stored quorum of 100, Q-5).
    let (mut valid, mut accepted) = (0, 0);
    for i in 0..100 {
        let s = script(2, i, Profile::Spec);
        for p in play(&s, Profile::Spec) {
            if s.ops[p.op].flaw.is_none() {
                valid += 1;
                accepted += usize::from(p.outcome.is_ok());
            }
        }
    }
    assert!(
        accepted * 100 >= valid * 85,
        "{accepted} of {valid} valid steps accepted"
    );
}

/// Shares and splits are integer arithmetic now; they must give exactly what the decimal
/// division they replace gave (else every corpus file would mean another sequence).
#[test]
fn shares_and_splits_match_the_decimal_division() {
    use crate::model::amount::dec;
    use crate::model::Dec;
    use bigdecimal::RoundingMode;
    let by_division = |value: &Dec, num: u64, den: u64| {
        let scale = crate::model::amount::fraction_digits(value).clamp(2, 18);
        (value * Dec::from(num) / Dec::from(den))
            .with_scale_round(scale, RoundingMode::Down)
            .normalized()
    };
    let values = [
        "1000",
        "7.5",
        "0.25",
        "-100",
        "-0.3",
        "123456789.123456789",
        "1e40",
        "0.000000000000000001",
        "99999999999999999999999999.999999999999999999",
        "3",
        "10",
        "-7.77",
    ];
    for text in values {
        let v = dec(text);
        for share in 1..=op::SHARE_ONE {
            let ours = materialize::share_of(&v, share);
            let theirs = by_division(&v, u64::from(share), u64::from(op::SHARE_ONE));
            assert_eq!(
                ours.as_bigint_and_exponent(),
                theirs.as_bigint_and_exponent(),
                "{text} × {share}/16"
            );
        }
        for weights in [
            &[3u8, 7][..],
            &[1, 1, 1],
            &[0, 0, 0, 0],
            &[255, 13, 200, 1],
            &[5, 0, 9],
        ] {
            let sum: u64 = if weights.iter().all(|w| *w == 0) {
                weights.len() as u64
            } else {
                weights.iter().map(|w| u64::from(*w)).sum()
            };
            let parts = materialize::split(&v, weights);
            for (i, part) in parts.iter().enumerate().take(weights.len() - 1) {
                let w = if sum == weights.len() as u64 && weights.iter().all(|w| *w == 0) {
                    1
                } else {
                    u64::from(weights[i])
                };
                let theirs = by_division(&v, w, sum);
                assert_eq!(
                    part.as_bigint_and_exponent(),
                    theirs.as_bigint_and_exponent(),
                    "{text} split {weights:?} part {i}"
                );
            }
            let total: Dec = parts.iter().sum();
            assert_eq!(total, v, "{text} split {weights:?} adds up");
        }
    }
}

/// Shards of a count are disjoint and together are the unsharded stream, position by position;
/// a shard's sequences are the stream's sequences at those positions.
#[test]
fn shards_are_disjoint_and_cover_the_stream() {
    use std::collections::BTreeSet;
    for count in 1..=5u64 {
        let mut seen = BTreeSet::new();
        for index in 0..count {
            let shard: Shard = format!("{index}/{count}").parse().unwrap();
            for local in 0..40 {
                let position = shard.sequence(local);
                assert!(seen.insert(position), "{shard}: {position} twice");
                assert_eq!(shard.local(position), local);
            }
        }
        assert_eq!(seen, (0..40 * count).collect(), "shards of {count}");
    }
    let shard: Shard = "2/3".parse().unwrap();
    assert_eq!(
        seeded_bytes(9, shard.sequence(4), 64),
        seeded_bytes(9, 14, 64),
        "shard 2/3's fifth sequence is the stream's fifteenth"
    );
    for bad in ["3/3", "1/0", "1", "a/2", "-1/2", ""] {
        assert!(bad.parse::<Shard>().is_err(), "{bad:?}");
    }
    assert_eq!(Shard::default(), "0/1".parse().unwrap());
}

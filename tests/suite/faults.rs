//! Every seeded bug of the embedded broker is caught, three ways, in-process through the
//! library: by `certify` on the golden vectors, by a `fuzz` campaign within a bounded number of
//! steps (its shrunk regression vector fails with the bug and passes without it), and by the
//! regression vectors checked in under `vectors/regressions/` (`<fault>-<seed>.json`).

use crate::util::repo_path;
use nitrocert::campaign::{self, CampaignConfig};
use nitrocert::client::Limits;
use nitrocert::engine::Fault;
use nitrocert::gen::GenConfig;
use nitrocert::model::Profile;
use nitrocert::report::Class;
use nitrocert::runner::case;
use nitrocert::vectors::{self, Vector};
use std::path::PathBuf;

/// A fuzz campaign must catch every fault within this many replayed steps.
const FUZZ_STEP_BUDGET: u64 = 600;
/// Shrinking candidates per fault in tests (the CLI default is larger).
const SHRINK_BUDGET: usize = 30;

fn limits() -> Limits {
    // The embedded broker answers in microseconds; a short wait keeps `silent` cheap.
    Limits {
        reply_timeout_ms: 1_000,
        ..Limits::default()
    }
}

/// Replays `vector` on the embedded broker with `fault`; the case's class.
fn replay(rt: &tokio::runtime::Runtime, fault: Option<Fault>, vector: &Vector) -> Class {
    replay_in(rt, Profile::Clearnode052, fault, vector)
}

fn replay_in(
    rt: &tokio::runtime::Runtime,
    profile: Profile,
    fault: Option<Fault>,
    vector: &Vector,
) -> Class {
    rt.block_on(async {
        let (target, handle) = campaign::spawn_embedded(profile, fault, 1, limits())
            .await
            .unwrap();
        let report = case::run(vector, &target, profile, 1).await;
        handle.stop().await;
        report.class
    })
}

/// The catalogue's vectors (regressions left out: the catalogue alone must catch every fault),
/// the three lifecycle cases first: they exercise every method, so most faults fall there.
fn golden_vectors() -> Vec<Vector> {
    let dir = repo_path("vectors");
    let mut all: Vec<Vector> = vectors::files(&dir)
        .unwrap()
        .iter()
        .filter(|p| !p.starts_with(dir.join(vectors::REGRESSIONS)))
        .map(|p| vectors::load(p).unwrap())
        .collect();
    all.sort_by_key(|v| (v.area() != "lifecycle", v.id.clone()));
    all
}

fn caught_by_certify(fault: Fault) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let vectors = golden_vectors();
    let caught: Option<String> = rt.block_on(async {
        let (target, handle) =
            campaign::spawn_embedded(Profile::Clearnode052, Some(fault), 1, limits())
                .await
                .unwrap();
        let mut caught = None;
        for v in &vectors {
            let report = case::run(v, &target, Profile::Clearnode052, 1).await;
            if report.class.is_finding() {
                caught = Some(v.id.clone());
                break;
            }
        }
        handle.stop().await;
        caught
    });
    match caught {
        Some(id) => println!("{}: caught by {id}", fault.name()),
        None => panic!("{}: no golden vector catches it", fault.name()),
    }
}

fn caught_by_fuzz(fault: Fault) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = std::env::temp_dir().join(format!(
        "nitrocert-faults-{}-{}",
        std::process::id(),
        fault.name()
    ));
    let config = CampaignConfig {
        profile: Profile::Clearnode052,
        seed: 1,
        gen: GenConfig::default(),
        max_steps: Some(FUZZ_STEP_BUDGET),
        time_limit: None,
        label: fault.name().to_string(),
        shrink_budget: SHRINK_BUDGET,
        regressions: Some(dir.clone()),
        jobs: 2,
        shard: Default::default(),
    };
    let (target, handle) = rt
        .block_on(campaign::spawn_embedded(
            Profile::Clearnode052,
            Some(fault),
            1,
            limits(),
        ))
        .unwrap();
    let report = campaign::run(&config, &target, rt.handle(), &mut |_, _| {}).unwrap();
    rt.block_on(handle.stop());
    let catch = report
        .catch
        .unwrap_or_else(|| panic!("{}: not caught in {} steps", fault.name(), report.steps));
    assert!(catch.steps_to_catch <= FUZZ_STEP_BUDGET);
    assert!(
        catch.confirmed,
        "{}: the shrunk vector passes",
        fault.name()
    );
    assert!(
        catch.vector.steps.len() <= catch.original_steps,
        "shrinking never grows a sequence"
    );
    // The file replays with no generator: it fails with the bug and passes without it.
    let path = catch.path.expect("written");
    let vector = vectors::load(&path).unwrap();
    assert!(replay(&rt, Some(fault), &vector).is_finding());
    assert!(matches!(
        replay(&rt, None, &vector),
        Class::Pass | Class::Informational
    ));
    let _ = std::fs::remove_dir_all(dir);
}

macro_rules! fault_tests {
    ($($name:ident => $fault:expr,)*) => {
        mod certify_catches {
            use super::*;
            $(#[test] fn $name() { caught_by_certify($fault); })*
        }
        mod fuzz_catches {
            use super::*;
            $(#[test] fn $name() { caught_by_fuzz($fault); })*
        }
        #[test]
        fn every_fault_has_a_test() {
            let tested = [$($fault),*];
            for f in Fault::ALL {
                assert!(tested.contains(f), "{} has no test", f.name());
            }
        }
    };
}

fault_tests! {
    silent => Fault::Silent,
    close_skips_credit => Fault::SkipCloseCredit,
    no_asu => Fault::DropAsu,
    quorum_counts_duplicates => Fault::QuorumCountsDuplicates,
    quorum_off_by_one => Fault::QuorumOffByOne,
    version_unchecked => Fault::VersionUnchecked,
    v04_version_reuse => Fault::VersionReuse,
    operate_skips_sum_check => Fault::OperateSkipsSumCheck,
    deposit_skips_depositor_signature => Fault::DepositSkipsDepositorSignature,
    withdraw_credits_twice => Fault::WithdrawCreditsTwice,
    negative_accepted => Fault::NegativeAccepted,
    v02_accepts_intent => Fault::V02AcceptsIntent,
    session_key_for_caller => Fault::SessionKeyForCaller,
    transfer_overdraws => Fault::TransferOverdraws,
    close_skips_quorum => Fault::CloseSkipsQuorum,
    timestamp_unchecked => Fault::TimestampUnchecked,
    wrong_reply_id => Fault::WrongReplyId,
    leaky_asu => Fault::LeakyAsu,
}

/// Each checked-in regression vector named after a fault fails with that fault and passes on
/// the clean broker (what `certify --vectors <file> [--fault NAME]` reports), in every
/// profile: a vector whose spec expectation never reaches the faulty code (a shrunk case that
/// kept an input the spec profile refuses earlier) checks nothing there.
#[test]
fn checked_in_regressions_fail_with_their_fault_and_pass_without() {
    let dir = repo_path("vectors").join(vectors::REGRESSIONS);
    let files: Vec<PathBuf> = vectors::files(&dir).unwrap_or_default();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut checked = 0;
    for path in files {
        let vector = vectors::load(&path).unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let fault = Fault::ALL.iter().find(|f| {
            name.strip_prefix(f.name())
                .is_some_and(|r| r.starts_with('-'))
        });
        for profile in Profile::ALL {
            let clean = replay_in(&rt, profile, None, &vector);
            assert!(
                matches!(clean, Class::Pass | Class::Informational),
                "{name}: {clean:?} on the clean broker ({profile})"
            );
            if let Some(fault) = fault {
                assert!(
                    replay_in(&rt, profile, Some(*fault), &vector).is_finding(),
                    "{name}: not caught with {} ({profile})",
                    fault.name()
                );
            }
        }
        checked += usize::from(fault.is_some());
    }
    assert!(
        checked >= Fault::ALL.len(),
        "{checked} fault regressions checked"
    );
}

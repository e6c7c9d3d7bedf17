//! Hand-built histories with known answers: the expected verdicts come from working the
//! serial orders out by hand, not from the checker.

use super::*;
use crate::model::amount::dec;
use crate::model::{Config, Profile};
use serde_json::json;

const A: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const B: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const C: &str = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const D: &str = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
const T0: u64 = 1_700_000_000_000;

/// A and B logged in on connections 1 and 2 (and A again on 3), C and D on 4 and 5; A and C
/// hold 100 each.
fn start() -> Model {
    let mut m = Model::new(Profile::Clearnode052, Config::default());
    for (conn, w) in [(1, A), (2, B), (3, A), (4, C), (5, D)] {
        m.login(conn, w, T0);
    }
    m.fund(A, "usdc", &dec("100"));
    m.fund(C, "usdc", &dec("100"));
    m
}

fn transfer(conn: ConnId, from: &str, to: &str, amount: &str, digest: u8) -> CheckOp {
    CheckOp {
        conn,
        method: "transfer".into(),
        params: json!({"destination": to, "allocations": [{"asset": "usdc", "amount": amount}]}),
        ts: T0,
        signatures: vec![Some(from.to_string())],
        digest: [digest; 32],
        now_ms: T0,
        invoke_us: 0,
        complete_us: Some(100),
        observed: Observed::Accepted,
    }
}

fn with(mut op: CheckOp, observed: Observed, span: (u64, Option<u64>)) -> CheckOp {
    op.observed = observed;
    op.invoke_us = span.0;
    op.complete_us = span.1;
    op
}

/// The books after applying `amounts` moved from A to B (and C to D) by hand.
fn books(a: &str, b: &str) -> Snapshot {
    let mut m = Model::new(Profile::Clearnode052, Config::default());
    m.fund(A, "usdc", &dec(a));
    m.fund(B, "usdc", &dec(b));
    m.fund(C, "usdc", &dec("100"));
    Snapshot::of(&m)
}

fn verdict(ops: &[CheckOp], observed: &Snapshot) -> Serial {
    check(&start(), ops, observed, Budget::default()).serial()
}

#[test]
fn one_of_two_overdrawing_transfers_accepted_is_serializable() {
    let ops = [
        transfer(1, A, B, "60", 1),
        with(
            transfer(3, A, B, "70", 2),
            Observed::Rejected,
            (0, Some(100)),
        ),
    ];
    assert!(matches!(
        verdict(&ops, &books("40", "60")),
        Serial::Serializable { .. }
    ));
}

#[test]
fn both_overdrawing_transfers_accepted_is_a_double_spend() {
    let ops = [transfer(1, A, B, "60", 1), transfer(3, A, B, "70", 2)];
    // What a broker without row locks books: both debits.
    let observed = books("-30", "130");
    assert_eq!(
        verdict(&ops, &observed),
        Serial::NotSerializable {
            accepting_orders: false
        }
    );
}

#[test]
fn a_lost_update_is_told_apart_from_a_double_spend() {
    // Both fit together (60 + 30 ≤ 100), both accepted, but the books lost one debit.
    let ops = [transfer(1, A, B, "60", 1), transfer(3, A, B, "30", 2)];
    assert!(matches!(
        verdict(&ops, &books("10", "90")),
        Serial::Serializable { .. }
    ));
    assert_eq!(
        verdict(&ops, &books("40", "90")),
        Serial::NotSerializable {
            accepting_orders: true
        }
    );
}

#[test]
fn real_time_order_is_respected() {
    // 70 then 60: the first is accepted, the second refused, serially; but the broker
    // answered the 60 first (accepted) before the 70 was even sent (refused after it) and
    // its books show the 70 applied — no order that respects real time gives that.
    let first = with(
        transfer(1, A, B, "60", 1),
        Observed::Rejected,
        (0, Some(10)),
    );
    let second = with(
        transfer(3, A, B, "70", 2),
        Observed::Accepted,
        (20, Some(30)),
    );
    assert_eq!(
        verdict(&[first.clone(), second.clone()], &books("30", "70")),
        Serial::NotSerializable {
            accepting_orders: false
        }
    );
    // Overlapping in time, the same outcome is fine (70 first).
    let first = with(first, Observed::Rejected, (0, Some(25)));
    assert!(matches!(
        verdict(&[first, second], &books("30", "70")),
        Serial::Serializable { .. }
    ));
}

#[test]
fn a_timeout_may_or_may_not_have_been_applied() {
    let lost = with(
        transfer(1, A, B, "60", 1),
        Observed::Indeterminate,
        (0, None),
    );
    let seen = transfer(3, A, B, "30", 2);
    // Applied: 100 − 60 − 30.
    match verdict(&[lost.clone(), seen.clone()], &books("10", "90")) {
        Serial::Serializable { not_applied, .. } => assert!(not_applied.is_empty()),
        other => panic!("{other:?}"),
    }
    // Not applied: 100 − 30.
    match verdict(&[lost.clone(), seen.clone()], &books("70", "30")) {
        Serial::Serializable { not_applied, .. } => assert_eq!(not_applied, vec![0]),
        other => panic!("{other:?}"),
    }
    // Neither explains 100 − 60 − 30 − 30.
    assert!(matches!(
        verdict(&[lost, seen], &books("-20", "120")),
        Serial::NotSerializable { .. }
    ));
}

#[test]
fn the_same_bytes_twice_are_admitted_once() {
    let ops = [transfer(1, A, B, "10", 7), transfer(3, A, B, "10", 7)];
    assert_eq!(
        verdict(&ops, &books("80", "20")),
        Serial::NotSerializable {
            accepting_orders: false
        }
    );
    let refused = with(
        transfer(3, A, B, "10", 7),
        Observed::Rejected,
        (0, Some(100)),
    );
    assert!(matches!(
        verdict(&[transfer(1, A, B, "10", 7), refused], &books("90", "10")),
        Serial::Serializable { .. }
    ));
}

#[test]
fn independent_wallets_are_searched_apart() {
    let ops = [
        transfer(1, A, B, "60", 1),
        with(
            transfer(3, A, B, "70", 2),
            Observed::Rejected,
            (0, Some(100)),
        ),
        transfer(4, C, D, "10", 3),
    ];
    let mut m = Model::new(Profile::Clearnode052, Config::default());
    for (w, a) in [(A, "40"), (B, "60"), (C, "90"), (D, "10")] {
        m.fund(w, "usdc", &dec(a));
    }
    let report = check(&start(), &ops, &Snapshot::of(&m), Budget::default());
    assert_eq!(report.parts.len(), 2);
    assert!(matches!(report.serial(), Serial::Serializable { .. }));
    assert!(report.end.is_some());
}

#[test]
fn books_no_operation_touches_must_not_move() {
    let ops = [transfer(1, A, B, "10", 1)];
    let mut m = Model::new(Profile::Clearnode052, Config::default());
    for (w, a) in [(A, "90"), (B, "10"), (C, "95")] {
        m.fund(w, "usdc", &dec(a));
    }
    let report = check(&start(), &ops, &Snapshot::of(&m), Budget::default());
    assert_eq!(report.moved, vec![C.to_ascii_lowercase()]);
    assert!(matches!(report.serial(), Serial::NotSerializable { .. }));
}

#[test]
fn an_exhausted_budget_says_unknown() {
    // Eight concurrent transfers of which the broker claims all succeeded: the search must
    // explore many orders before giving up, and one model step is not enough.
    let ops: Vec<CheckOp> = (0..8)
        .map(|i| transfer(if i % 2 == 0 { 1 } else { 3 }, A, B, "20", i as u8))
        .collect();
    let report = check(
        &start(),
        &ops,
        &books("-60", "160"),
        Budget { max_model_steps: 1 },
    );
    assert!(matches!(report.serial(), Serial::Unknown { .. }));
}

#[test]
fn partition_merges_chains_of_shared_keys() {
    let k = |w: &[&str]| Keys {
        wallets: w.iter().map(|s| s.to_string()).collect(),
        sessions: BTreeSet::new(),
    };
    let parts = partition(&[k(&["a", "b"]), k(&["c"]), k(&["b", "c"]), k(&["d"])]);
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].0, vec![0, 1, 2]);
    assert_eq!(parts[1].0, vec![3]);
}

#[test]
fn many_refusals_do_not_blow_up_the_search() {
    // Twelve concurrent transfers of 60 from 100 on two connections.
    let ops = |accepted: &[usize]| -> Vec<CheckOp> {
        (0..12)
            .map(|i| {
                let op = transfer(if i % 2 == 0 { 1 } else { 3 }, A, B, "60", i as u8);
                let seen = if accepted.contains(&i) {
                    Observed::Accepted
                } else {
                    Observed::Rejected
                };
                with(op, seen, (0, Some(100)))
            })
            .collect()
    };
    let budget = Budget {
        max_model_steps: 2_000,
    };
    let one = check(&start(), &ops(&[5]), &books("40", "60"), budget);
    assert!(matches!(one.serial(), Serial::Serializable { .. }));
    // Two accepted: impossible, and the search proves it within the budget.
    let two = check(&start(), &ops(&[3, 8]), &books("-20", "120"), budget);
    assert_eq!(
        two.serial(),
        Serial::NotSerializable {
            accepting_orders: false
        }
    );
}

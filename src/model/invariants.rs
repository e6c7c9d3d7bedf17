//! Invariants over snapshots of observable state (AS-INV-1 to AS-INV-4), usable on the model after each
//! step and on what a runner reads back from a live broker.
//!
//! A snapshot holds balances per (wallet, asset), sessions with version, status and per-wallet
//! balances, and the cumulative funding per asset. Checks compare two snapshots around a step.

use super::amount::Dec;
use super::ledger::IsZeroValue;
use super::session::Status;
use super::Model;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One app session as far as the invariants look at it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionSnapshot {
    pub version: u64,
    /// `"open"` or `"closed"`.
    pub status: String,
    /// (wallet key, asset) → balance, zero entries dropped.
    pub balances: BTreeMap<(String, String), Dec>,
}

/// Observable state. Wallet keys should be spelled one way (the model uses lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// (wallet key, asset) → unified balance, zero entries dropped.
    pub unified: BTreeMap<(String, String), Dec>,
    pub sessions: BTreeMap<String, SessionSnapshot>,
    /// Cumulative funding per asset (ledger inserts from outside the protocol).
    pub funded: BTreeMap<String, Dec>,
}

impl Snapshot {
    pub fn of(model: &Model) -> Snapshot {
        let mut snap = Snapshot {
            funded: model.funded.clone(),
            ..Default::default()
        };
        for s in model.sessions.values() {
            snap.sessions.insert(
                s.id.clone(),
                SessionSnapshot {
                    version: s.version,
                    status: s.status.as_str().to_string(),
                    balances: BTreeMap::new(),
                },
            );
        }
        for (account, wallet, asset, v) in model.ledger.iter() {
            if v.is_zero_value() {
                continue;
            }
            let key = (wallet.to_string(), asset.to_string());
            match snap.sessions.get_mut(account) {
                Some(s) => {
                    s.balances.insert(key, v.clone());
                }
                None => {
                    *snap.unified.entry(key).or_default() += v;
                }
            }
        }
        snap
    }

    /// G per asset: unified plus every session, open or closed.
    pub fn totals(&self) -> BTreeMap<String, Dec> {
        let mut t: BTreeMap<String, Dec> = BTreeMap::new();
        let all = self
            .unified
            .iter()
            .chain(self.sessions.values().flat_map(|s| s.balances.iter()));
        for ((_, asset), v) in all {
            // The asset is cloned only when first met (the sum starts at 0, as before).
            match t.get_mut(asset) {
                Some(sum) => *sum += v,
                None => {
                    let mut sum = Dec::default();
                    sum += v;
                    t.insert(asset.clone(), sum);
                }
            }
        }
        t
    }
}

/// A broken invariant, named by rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// AS-INV-1: G changed by something other than funding.
    Conservation {
        asset: String,
        before: Dec,
        after: Dec,
        funded: Dec,
    },
    /// AS-INV-3: a negative balance (`session` is `None` for a unified balance).
    Negative {
        session: Option<String>,
        wallet: String,
        asset: String,
        amount: Dec,
    },
    /// AS-INV-4: a rejected request changed state.
    RejectedChanged,
    /// AS-INV-2: an accepted request moved a session's version by other than one.
    VersionStep {
        session: String,
        before: Option<u64>,
        after: u64,
    },
    /// AS-INV-2: a closed session changed.
    ClosedChanged { session: String },
    /// A session disappeared.
    SessionLost { session: String },
}

impl Violation {
    pub fn rule(&self) -> &'static str {
        match self {
            Violation::Conservation { .. } => "AS-INV-1",
            Violation::Negative { .. } => "AS-INV-3",
            Violation::RejectedChanged => "AS-INV-4",
            Violation::VersionStep { .. }
            | Violation::ClosedChanged { .. }
            | Violation::SessionLost { .. } => "AS-INV-2",
        }
    }
}

/// Plain words and plain decimals (AS-AMT-5 rendering, so `2000` reads the same whatever the
/// internal scale): the text is shown in reports and is part of a known divergence's
/// fingerprint, so it must depend on the values only.
impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use super::amount::render as r;
        write!(f, "{}: ", self.rule())?;
        match self {
            Violation::Conservation {
                asset,
                before,
                after,
                funded,
            } => write!(
                f,
                "the {asset} in the books went from {} to {} with {} funded in between",
                r(before),
                r(after),
                r(funded)
            ),
            Violation::Negative {
                session: None,
                wallet,
                asset,
                amount,
            } => {
                write!(
                    f,
                    "{wallet} holds {} {asset} in its unified balance",
                    r(amount)
                )
            }
            Violation::Negative {
                session: Some(s),
                wallet,
                asset,
                amount,
            } => {
                write!(f, "{wallet} holds {} {asset} in session {s}", r(amount))
            }
            Violation::RejectedChanged => write!(f, "a rejected request changed the books"),
            Violation::VersionStep {
                session,
                before,
                after,
            } => match before {
                Some(b) => write!(f, "session {session} went from version {b} to {after}"),
                None => write!(f, "session {session} appeared at version {after}"),
            },
            Violation::ClosedChanged { session } => write!(f, "closed session {session} changed"),
            Violation::SessionLost { session } => write!(f, "session {session} disappeared"),
        }
    }
}

/// Non-negativity of every balance in one snapshot (AS-INV-3).
pub fn check_state(s: &Snapshot) -> Vec<Violation> {
    let mut v = Vec::new();
    let neg = |d: &Dec| d.sign() == bigdecimal::num_bigint::Sign::Minus;
    for ((w, a), d) in &s.unified {
        if neg(d) {
            v.push(Violation::Negative {
                session: None,
                wallet: w.clone(),
                asset: a.clone(),
                amount: d.clone(),
            });
        }
    }
    for (id, sess) in &s.sessions {
        for ((w, a), d) in &sess.balances {
            if neg(d) {
                v.push(Violation::Negative {
                    session: Some(id.clone()),
                    wallet: w.clone(),
                    asset: a.clone(),
                    amount: d.clone(),
                });
            }
        }
    }
    v
}

/// Invariants across one step: conservation net of funding, rejected steps change nothing,
/// an accepted step moves each session it touches by exactly one version (new ones start at
/// 1), closed sessions never change; plus [`check_state`] on the result.
pub fn check_step(before: &Snapshot, after: &Snapshot, accepted: bool) -> Vec<Violation> {
    let mut v = check_state(after);
    if !accepted && (before.unified != after.unified || before.sessions != after.sessions) {
        v.push(Violation::RejectedChanged);
    }
    let (tb, ta) = (before.totals(), after.totals());
    let assets: BTreeSet<&String> = tb
        .keys()
        .chain(ta.keys())
        .chain(after.funded.keys())
        .collect();
    let zero = Dec::default();
    for asset in assets {
        let b = tb.get(asset).unwrap_or(&zero);
        let a = ta.get(asset).unwrap_or(&zero);
        let (fb, fa) = (
            before.funded.get(asset).unwrap_or(&zero),
            after.funded.get(asset).unwrap_or(&zero),
        );
        // a − b = fa − fb, compared as a + fb = b + fa (the usual case: no funding, a = b).
        let conserved = if fa == fb { a == b } else { a + fb == b + fa };
        if !conserved {
            v.push(Violation::Conservation {
                asset: asset.clone(),
                before: b.clone(),
                after: a.clone(),
                funded: fa.clone() - fb.clone(),
            });
        }
    }
    for (id, old) in &before.sessions {
        match after.sessions.get(id) {
            None => v.push(Violation::SessionLost {
                session: id.clone(),
            }),
            Some(new) => {
                if old.status == Status::Closed.as_str() && new != old {
                    v.push(Violation::ClosedChanged {
                        session: id.clone(),
                    });
                } else if new != old && accepted && new.version != old.version + 1 {
                    v.push(Violation::VersionStep {
                        session: id.clone(),
                        before: Some(old.version),
                        after: new.version,
                    });
                }
            }
        }
    }
    for (id, new) in &after.sessions {
        if !before.sessions.contains_key(id) && new.version != 1 {
            v.push(Violation::VersionStep {
                session: id.clone(),
                before: None,
                after: new.version,
            });
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::amount::dec;

    fn snap(unified: &[(&str, &str)]) -> Snapshot {
        Snapshot {
            unified: unified
                .iter()
                .map(|(w, a)| ((w.to_string(), "usdc".to_string()), dec(a)))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn as_inv_1_conservation_net_of_funding() {
        let a = snap(&[("a", "10")]);
        let mut b = snap(&[("a", "5"), ("b", "5")]);
        assert!(check_step(&a, &b, true).is_empty());
        b.unified.insert(("b".into(), "usdc".into()), dec("6"));
        assert_eq!(check_step(&a, &b, true)[0].rule(), "AS-INV-1");
        // The text depends on the values, not on the decimals' internal scale.
        let v = |funded: &str| Violation::Conservation {
            asset: "usdc".into(),
            before: "2000".parse().unwrap(),
            after: "2050.00".parse().unwrap(),
            funded: funded.parse().unwrap(),
        };
        assert_eq!(
            v("0.000").to_string(),
            "AS-INV-1: the usdc in the books went from 2000 to 2050 with 0 funded in between"
        );
        assert_eq!(v("0").to_string(), v("0.000").to_string());
        b.funded.insert("usdc".into(), dec("1"));
        assert!(check_step(&a, &b, true).is_empty());
    }

    #[test]
    fn as_inv_3_and_4() {
        let a = snap(&[("a", "10")]);
        let b = snap(&[("a", "-1"), ("b", "11")]);
        let v = check_step(&a, &b, false);
        assert!(v.iter().any(|x| x.rule() == "AS-INV-3"));
        // AS-INV-4: a rejected request changed state.
        assert!(v.contains(&Violation::RejectedChanged));
    }
}

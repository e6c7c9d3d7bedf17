//! From a checked burst to verdicts: the anomalies (broken invariants at a quiescent point,
//! no serial order, the same bytes or the same version accepted twice) and a class per race,
//! by profile. Q-23 and FUZZ-5 make a double spend or a lost update the documented behaviour
//! of Clearnode v0.5.2, so in the `clearnode-0.5.2` profile such a race is a QUIRK (the quirk
//! reproduced); in `spec` it is a FAIL. Money created or destroyed is a FAIL in both: Q-23
//! documents overdrafts and versions passed twice, not a broken AS-INV-1, so a race that
//! breaks conservation goes beyond the documented quirk.

use super::check::Serial;
use super::history::{Op, OpOutcome};
use crate::model::amount::render;
use crate::model::{Dec, Profile, Snapshot};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Something a correct (linearizable) broker never shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "anomaly", rename_all = "kebab-case")]
pub enum Anomaly {
    /// A balance below zero at a quiescent point (AS-INV-3).
    NegativeBalance {
        wallet: String,
        asset: String,
        amount: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        session: Option<String>,
    },
    /// The books of an asset do not add up to what was funded (AS-INV-1).
    Conservation {
        asset: String,
        funded: String,
        books: String,
    },
    /// No order of the operations that respects real time explains the replies and the books.
    /// `lost_update`: orders accept exactly what the broker accepted, but none ends with the
    /// books it shows; otherwise the accepted set itself is impossible (a double spend).
    NotSerializable { lost_update: bool },
    /// Books that no operation of the burst touches moved.
    UntouchedBooksMoved { keys: Vec<String> },
    /// The same signed bytes accepted more than once (REPLAY-2).
    ReplayAdmitted { accepted: usize },
    /// One session version reported by more than one accepted operation (AS-V04-1).
    VersionReused {
        session: String,
        version: u64,
        accepted: usize,
    },
}

impl Anomaly {
    /// Money created or destroyed: a FAIL in every profile.
    pub fn breaks_conservation(&self) -> bool {
        matches!(self, Anomaly::Conservation { .. })
    }

    pub fn describe(&self) -> String {
        match self {
            Anomaly::NegativeBalance { wallet, asset, amount, session: None } => {
                format!("{wallet} holds {amount} {asset}")
            }
            Anomaly::NegativeBalance { wallet, asset, amount, session: Some(s) } => {
                format!("{wallet} holds {amount} {asset} in session {s}")
            }
            Anomaly::Conservation { asset, funded, books } => {
                format!("{asset}: {funded} funded, {books} in the books")
            }
            Anomaly::NotSerializable { lost_update: true } => "not serializable: an update was lost (orders accept what the broker accepted, none ends with its books)".into(),
            Anomaly::NotSerializable { lost_update: false } => "not serializable: no order accepts what the broker accepted (a double spend)".into(),
            Anomaly::UntouchedBooksMoved { keys } => format!("books no operation touches moved: {}", keys.join(", ")),
            Anomaly::ReplayAdmitted { accepted } => format!("the same signed frame was accepted {accepted} times"),
            Anomaly::VersionReused { session, version, accepted } => {
                format!("version {version} of {session} was accepted {accepted} times")
            }
        }
    }
}

/// The verdict class of one race.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RaceClass {
    Pass,
    /// An anomaly the profile documents as the broker's behaviour (Q-23, FUZZ-5).
    Quirk,
    /// The search ran out of budget or met a case the model does not decide.
    Unknown,
    Fail,
    /// The harness could not run the race (setup diverged, a read failed).
    Error,
}

impl RaceClass {
    pub fn name(self) -> &'static str {
        match self {
            RaceClass::Pass => "PASS",
            RaceClass::Quirk => "QUIRK",
            RaceClass::Unknown => "UNKNOWN",
            RaceClass::Fail => "FAIL",
            RaceClass::Error => "ERROR",
        }
    }

    /// Does this class fail the run (exit code 1)?
    pub fn is_finding(self) -> bool {
        matches!(self, RaceClass::Fail | RaceClass::Error)
    }

    /// Did the race reproduce (an anomaly was seen)?
    pub fn reproduced(self) -> bool {
        matches!(self, RaceClass::Quirk | RaceClass::Fail)
    }
}

/// The class of a race with these anomalies and this search verdict.
pub fn classify(profile: Profile, anomalies: &[Anomaly], serial: &Serial) -> RaceClass {
    if anomalies.iter().any(Anomaly::breaks_conservation) {
        return RaceClass::Fail;
    }
    if !anomalies.is_empty() {
        return match profile {
            Profile::Spec => RaceClass::Fail,
            Profile::Clearnode052 => RaceClass::Quirk,
        };
    }
    match serial {
        Serial::Unknown { .. } => RaceClass::Unknown,
        _ => RaceClass::Pass,
    }
}

/// AS-INV-1 and AS-INV-3 on books read at a quiescent point, for the wallets `keep` selects
/// (lower-case keys) and every session they hold shares of.
pub fn invariants(
    books: &Snapshot,
    funded: &BTreeMap<String, Dec>,
    keep: &dyn Fn(&str) -> bool,
    name: &dyn Fn(&str) -> String,
) -> Vec<Anomaly> {
    let mut out = Vec::new();
    let mut totals: BTreeMap<String, Dec> = BTreeMap::new();
    for ((w, asset), v) in books.unified.iter().filter(|((w, _), _)| keep(w)) {
        *totals.entry(asset.clone()).or_default() += v;
        if is_negative(v) {
            out.push(negative(name(w), asset, v, None));
        }
    }
    for (id, s) in &books.sessions {
        for ((w, asset), v) in s.balances.iter().filter(|((w, _), _)| keep(w)) {
            *totals.entry(asset.clone()).or_default() += v;
            if is_negative(v) {
                out.push(negative(name(w), asset, v, Some(id.clone())));
            }
        }
    }
    for asset in funded.keys().chain(totals.keys()) {
        let f = funded.get(asset).cloned().unwrap_or_default();
        let t = totals.get(asset).cloned().unwrap_or_default();
        if f != t
            && !out
                .iter()
                .any(|a| matches!(a, Anomaly::Conservation { asset: x, .. } if x == asset))
        {
            out.push(Anomaly::Conservation {
                asset: asset.clone(),
                funded: render(&f),
                books: render(&t),
            });
        }
    }
    out
}

fn is_negative(v: &Dec) -> bool {
    v.sign() == bigdecimal::num_bigint::Sign::Minus
}

fn negative(wallet: String, asset: &str, v: &Dec, session: Option<String>) -> Anomaly {
    Anomaly::NegativeBalance {
        wallet,
        asset: asset.to_string(),
        amount: render(v),
        session,
    }
}

/// Elle-style inferences read straight off the replies, no search: the same signed bytes
/// accepted twice, and one session version claimed by two accepted operations.
pub fn from_replies(ops: &[&Op]) -> Vec<Anomaly> {
    let mut out = Vec::new();
    let accepted: Vec<&&Op> = ops.iter().filter(|o| o.outcome == OpOutcome::Ok).collect();
    let mut same: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &accepted {
        *same.entry(o.sent.as_str()).or_default() += 1;
    }
    if let Some(&n) = same.values().max().filter(|n| **n > 1) {
        out.push(Anomaly::ReplayAdmitted { accepted: n });
    }
    let mut versions: BTreeMap<(String, u64), usize> = BTreeMap::new();
    for o in &accepted {
        let Some(reply) = o.reply.as_deref() else {
            continue;
        };
        let Ok(frame) = crate::wire::parse_frame(reply) else {
            continue;
        };
        let (Some(id), Some(v)) = (
            frame.params["app_session_id"].as_str(),
            frame.params["version"].as_u64(),
        ) else {
            continue;
        };
        *versions.entry((id.to_string(), v)).or_default() += 1;
    }
    for ((session, version), accepted) in versions {
        if accepted > 1 {
            out.push(Anomaly::VersionReused {
                session,
                version,
                accepted,
            });
        }
    }
    out
}

/// The anomalies of the search verdict.
pub fn from_serial(serial: &Serial) -> Vec<Anomaly> {
    match serial {
        Serial::NotSerializable { accepting_orders } => vec![Anomaly::NotSerializable {
            lost_update: *accepting_orders,
        }],
        _ => vec![],
    }
}

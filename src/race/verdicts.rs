//! The race verdicts on the digest's quirks and findings (Q-23, FUZZ-5), as data for
//! `quirks.md`: `races.json` holds, per id and profile, how many bursts of each kind citing it
//! ran, how many reproduced, the minimal reproducer and its replay rate. `nitrocert race
//! --verdicts FILE` merges a run into the file; `nitrocert report quirks --races FILE` turns it
//! into the notes of the quirks table.

use super::{KindTally, RaceReport};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const FORMAT: &str = "nitrocert-races/1";

/// What a run showed of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindEvidence {
    pub bursts: usize,
    /// Bursts with an anomaly (QUIRK or FAIL) …
    pub reproduced: usize,
    /// … of which FAILed (money created or destroyed, or any anomaly in `spec`).
    #[serde(default)]
    pub failed: usize,
    pub unknown: usize,
    pub error: usize,
    /// The kind's worst class.
    pub class: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproducer: Option<String>,
    /// `reproduced/tries` of the reproducer's replays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replays: Option<String>,
}

/// One id in one profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleVerdict {
    /// `confirmed` (some burst citing it reproduced) or `not reproduced`.
    pub verdict: String,
    pub seed: u64,
    pub rounds: u64,
    pub clients: usize,
    pub kinds: BTreeMap<String, KindEvidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaceVerdicts {
    pub format: String,
    pub broker: String,
    /// id → profile → verdict.
    pub rules: BTreeMap<String, BTreeMap<String, RuleVerdict>>,
}

fn evidence(t: &KindTally) -> KindEvidence {
    KindEvidence {
        bursts: t.bursts,
        reproduced: t.quirk + t.fail,
        failed: t.fail,
        unknown: t.unknown,
        error: t.error,
        class: t.class().name().to_string(),
        reproducer: t
            .reproducer
            .as_ref()
            .map(|r| r.path.clone().unwrap_or_else(|| r.vector.clone())),
        replays: t.reproducer.as_ref().map(|r| match r.failed {
            0 => format!("{}/{}", r.reproduced, r.tries),
            f => format!("{}/{} ({f} FAIL)", r.reproduced, r.tries),
        }),
    }
}

/// `previous` with `report`'s profile replaced by what `report` showed of every quirk (Q-n)
/// and finding (FUZZ-n) its kinds cite.
pub fn merge(previous: Option<RaceVerdicts>, report: &RaceReport) -> RaceVerdicts {
    let mut out = previous.unwrap_or_else(|| RaceVerdicts {
        format: FORMAT.into(),
        broker: report.target.clone(),
        rules: BTreeMap::new(),
    });
    let mut ids: BTreeMap<String, Vec<&KindTally>> = BTreeMap::new();
    for t in &report.kinds {
        for r in t
            .rules
            .iter()
            .filter(|r| r.starts_with("Q-") || r.starts_with("FUZZ-"))
        {
            ids.entry(r.clone()).or_default().push(t);
        }
    }
    for (id, tallies) in ids {
        let confirmed = tallies.iter().any(|t| t.quirk + t.fail > 0);
        let verdict = RuleVerdict {
            verdict: if confirmed {
                "confirmed"
            } else {
                "not reproduced"
            }
            .into(),
            seed: report.seed,
            rounds: report.rounds,
            clients: report.clients,
            kinds: tallies
                .iter()
                .map(|t| (t.kind.name().to_string(), evidence(t)))
                .collect(),
        };
        out.rules
            .entry(id)
            .or_default()
            .insert(report.profile.clone(), verdict);
    }
    out
}

/// The quirks-table note of each id: a bold verdict first (`**Confirmed (race)**` or
/// `**Not reproduced (race)**`, read by [`crate::report::quirks::render`]), then the numbers.
pub fn quirk_notes(v: &RaceVerdicts) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (id, profiles) in &v.rules {
        let Some(compat) = profiles.get("clearnode-0.5.2") else {
            continue;
        };
        let head = if compat.verdict == "confirmed" {
            "**Confirmed (race)**"
        } else {
            "**Not reproduced (race)**"
        };
        let kinds: Vec<String> = compat
            .kinds
            .iter()
            .map(|(k, e)| {
                let fail = match e.failed {
                    0 => String::new(),
                    f => format!(", {f} of them FAIL (money created or destroyed)"),
                };
                let repro = match (&e.reproducer, &e.replays) {
                    (Some(p), Some(r)) => format!("; minimal reproducer `{p}`: {r} replays"),
                    _ => String::new(),
                };
                format!("{k}: {} of {} bursts{fail}{repro}", e.reproduced, e.bursts)
            })
            .collect();
        let spec = profiles
            .get("spec")
            .map(|s| {
                let classes: Vec<String> = s
                    .kinds
                    .iter()
                    .map(|(k, e)| format!("{k} {}", e.class))
                    .collect();
                format!(" In `spec`: {}.", classes.join(", "))
            })
            .unwrap_or_default();
        out.insert(
            id.clone(),
            format!(
                "{head} `nitrocert race` ({} racing connections per race, seed {}); bursts with an anomaly: {}.{spec}",
                compat.clients,
                compat.seed,
                kinds.join("; ")
            ),
        );
    }
    out
}

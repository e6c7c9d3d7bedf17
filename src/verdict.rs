//! What a certification run found, as plain data: the runner fills it, the writers in
//! [`crate::report`] (`report.json`, `junit.xml`, `report.md`, `report.html`) only print it.
//! It sits at the bottom of the layers so the runner and the fuzz campaign name verdicts
//! without depending on the writers.

use serde::{Deserialize, Serialize};

/// How one step, case or run came out, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
pub enum Class {
    /// The target does exactly what the profile expects.
    Pass,
    /// Not run: the target lacks a hook the case needs (channels, clock).
    Skip,
    /// A known divergence (listed in the known-divergence file) that diverged as listed.
    Xfail,
    /// Extra or zero-valued fields, extra notifications: conformant.
    Informational,
    /// Same accept/reject decision, a different error text.
    NonStrict,
    /// Accept/reject differs, a wrong id, version, status or balance, a broken invariant, a
    /// missing notification.
    Fail,
    /// A known divergence that did not diverge: the known-divergence file is stale.
    Xpass,
    /// The harness could not get an answer: timeout, disconnect, malformed frame.
    Error,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Pass => "PASS",
            Class::Skip => "SKIP",
            Class::Xfail => "XFAIL",
            Class::Informational => "INFORMATIONAL",
            Class::NonStrict => "NON-STRICT",
            Class::Fail => "FAIL",
            Class::Xpass => "XPASS",
            Class::Error => "ERROR",
        }
    }

    /// Does this class make the run non-conformant (exit code 1)?
    pub fn is_finding(self) -> bool {
        matches!(self, Class::Fail | Class::Xpass | Class::Error)
    }
}

/// One observation of a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub class: Class,
    /// What was compared: `response`, `error text`, `notification`, `balance`, `invariant`, …
    pub what: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<String>,
}

/// Which way a frame of the wire log went; `>` and `<` in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    /// From the harness to the broker.
    #[serde(rename = ">")]
    Sent,
    /// From the broker to the harness.
    #[serde(rename = "<")]
    Received,
}

impl Direction {
    /// `>` or `<`, as reports print it.
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::Sent => ">",
            Direction::Received => "<",
        }
    }
}

/// One frame of the wire log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireLine {
    pub dir: Direction,
    pub conn: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    pub index: usize,
    /// The method, or `raw`, `authenticate`, `channel`.
    pub action: String,
    pub conn: String,
    pub class: Class,
    pub findings: Vec<Finding>,
    pub wire: Vec<WireLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseReport {
    /// The vector id, stable across runs: `<area>/<case>`.
    pub id: String,
    pub area: String,
    pub description: String,
    pub rules: Vec<String>,
    pub quirks: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    pub class: Class,
    /// Why a case was skipped or expected to diverge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub steps: Vec<StepReport>,
    pub duration_ms: u64,
}

/// Counts per class.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub pass: usize,
    pub informational: usize,
    pub non_strict: usize,
    pub fail: usize,
    pub error: usize,
    pub skip: usize,
    pub xfail: usize,
    pub xpass: usize,
}

impl Summary {
    pub fn of(cases: &[CaseReport]) -> Summary {
        let mut s = Summary {
            total: cases.len(),
            ..Summary::default()
        };
        for c in cases {
            *match c.class {
                Class::Pass => &mut s.pass,
                Class::Informational => &mut s.informational,
                Class::NonStrict => &mut s.non_strict,
                Class::Fail => &mut s.fail,
                Class::Error => &mut s.error,
                Class::Skip => &mut s.skip,
                Class::Xfail => &mut s.xfail,
                Class::Xpass => &mut s.xpass,
            } += 1;
        }
        s
    }

    pub fn conformant(&self) -> bool {
        self.fail == 0 && self.error == 0 && self.xpass == 0
    }
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// `nitrocert <version>`.
    pub generator: String,
    /// A short name of the target (`embedded`, `clearnode-v0.5.2`, a host:port).
    pub target: String,
    pub endpoint: String,
    /// The broker address announced by `get_config`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_address: Option<String>,
    pub profile: String,
    pub seed: u64,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub duration_ms: u64,
    pub summary: Summary,
    pub cases: Vec<CaseReport>,
}

//! What a certification run found, as plain data: the runner fills it, the writers in
//! [`crate::report`] (`report.json`, `junit.xml`, `report.md`, `report.html`) only print it.
//! It sits at the bottom of the layers so the runner and the fuzz campaign name verdicts
//! without depending on the writers.

use serde::{Deserialize, Serialize};

/// The area of the cases that are race vectors replayed K times (`vectors/races/*.race`): one
/// step per try.
pub const RACE_AREA: &str = "races";

/// The page beside a report that draws the race cases' histories, one lane per connection.
pub const RACE_TIMELINE_PAGE: &str = "races.html";

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
    /// The harness itself could not run the case: its setup, the funding hook, its own logins
    /// (a pending-challenge store its earlier cases filled, AUTH-9), a vector it cannot plan.
    /// Not a finding against the broker, and not a pass either: a run with such a case has no
    /// verdict (exit 2), unless another case has a finding. Above NON-STRICT (the case did not
    /// finish) and below FAIL (a finding seen before the trouble stands).
    Harness,
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
            Class::Harness => "HARNESS",
            Class::Fail => "FAIL",
            Class::Xpass => "XPASS",
            Class::Error => "ERROR",
        }
    }

    /// Does this class make the run non-conformant (exit code 1)?
    pub fn is_finding(self) -> bool {
        matches!(self, Class::Fail | Class::Xpass | Class::Error)
    }

    /// Did the harness fail to run the case (no verdict about the broker)?
    pub fn is_harness(self) -> bool {
        self == Class::Harness
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
    /// Cases the harness could not run (absent from reports written before the class existed).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub harness: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
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
                Class::Harness => &mut s.harness,
            } += 1;
        }
        s
    }

    /// No finding, and every case judged.
    pub fn conformant(&self) -> bool {
        self.outcome() == Outcome::Conformant
    }

    /// The run's outcome. A finding is certain even when the harness could not run other
    /// cases, so findings come first; a run without findings in which the harness could not
    /// run some case has no verdict.
    pub fn outcome(&self) -> Outcome {
        if self.fail + self.error + self.xpass > 0 {
            Outcome::NotConformant
        } else if self.harness > 0 {
            Outcome::HarnessTrouble
        } else {
            Outcome::Conformant
        }
    }
}

/// What a whole run says about the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Conformant,
    /// A FAIL, ERROR or XPASS (exit 1).
    NotConformant,
    /// No finding, but the harness could not run some case (exit 2): no verdict.
    HarnessTrouble,
}

impl Outcome {
    /// The process exit code: 0, 1 findings, 2 the harness could not run.
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Conformant => 0,
            Outcome::NotConformant => 1,
            Outcome::HarnessTrouble => 2,
        }
    }

    /// The verdict word reports and the command line print.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Conformant => "CONFORMANT",
            Outcome::NotConformant => "NOT CONFORMANT",
            Outcome::HarnessTrouble => "NO VERDICT (harness trouble)",
        }
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

/// A case whose verdict was not the same in every run of a repeated certification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unstable {
    pub id: String,
    /// Its class in each run, in run order (`None`: the case is missing from that run).
    pub classes: Vec<Option<Class>>,
}

impl std::fmt::Display for Unstable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let classes: Vec<&str> = self
            .classes
            .iter()
            .map(|c| c.map_or("(missing)", Class::name))
            .collect();
        write!(f, "{}: {}", self.id, classes.join(" "))
    }
}

/// The cases whose class differs between `runs` of the same certification (same vectors,
/// seed and profile), in id order: a verdict that is not a function of the seed is a flake.
pub fn unstable(runs: &[RunReport]) -> Vec<Unstable> {
    let ids: std::collections::BTreeSet<&str> = runs
        .iter()
        .flat_map(|r| r.cases.iter().map(|c| c.id.as_str()))
        .collect();
    ids.into_iter()
        .filter_map(|id| {
            let classes: Vec<Option<Class>> = runs
                .iter()
                .map(|r| r.cases.iter().find(|c| c.id == id).map(|c| c.class))
                .collect();
            let same = classes.windows(2).all(|w| w[0] == w[1]);
            (!same).then(|| Unstable {
                id: id.to_string(),
                classes,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(classes: &[(&str, Class)]) -> RunReport {
        let cases: Vec<CaseReport> = classes
            .iter()
            .map(|(id, class)| CaseReport {
                id: id.to_string(),
                area: "a".into(),
                description: String::new(),
                rules: vec![],
                quirks: vec![],
                protocol: None,
                class: *class,
                note: None,
                steps: vec![],
                duration_ms: 0,
            })
            .collect();
        RunReport {
            generator: String::new(),
            target: String::new(),
            endpoint: String::new(),
            broker_address: None,
            profile: String::new(),
            seed: 1,
            started_at: String::new(),
            duration_ms: 0,
            summary: Summary::of(&cases),
            cases,
        }
    }

    #[test]
    fn a_case_whose_class_changes_between_runs_is_unstable() {
        let a = run(&[("x/1", Class::Pass), ("x/2", Class::Pass)]);
        let b = run(&[("x/1", Class::Pass), ("x/2", Class::NonStrict)]);
        let c = run(&[("x/1", Class::Pass)]);
        assert!(unstable(&[a.clone(), a.clone()]).is_empty());
        let found = unstable(&[a.clone(), b, a.clone()]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].to_string(), "x/2: PASS NON-STRICT PASS");
        assert_eq!(unstable(&[a, c])[0].classes, [Some(Class::Pass), None]);
    }

    #[test]
    fn findings_outrank_harness_trouble_and_harness_trouble_is_no_verdict() {
        let outcome = |classes: &[Class]| {
            let pairs: Vec<(&str, Class)> = classes.iter().map(|c| ("x/1", *c)).collect();
            run(&pairs).summary.outcome()
        };
        assert_eq!(outcome(&[Class::Pass, Class::Xfail]), Outcome::Conformant);
        assert_eq!(
            outcome(&[Class::Pass, Class::Harness]),
            Outcome::HarnessTrouble
        );
        assert_eq!(
            outcome(&[Class::Harness, Class::Fail]),
            Outcome::NotConformant
        );
        assert_eq!(Outcome::HarnessTrouble.exit_code(), 2);
        assert!(!Class::Harness.is_finding());
        // HARNESS hides a NON-STRICT before it, never a FAIL.
        assert!(Class::NonStrict < Class::Harness && Class::Harness < Class::Fail);
        // Reports written before the class existed still read.
        let old: Summary = serde_json::from_str(
            r#"{"total":1,"pass":1,"informational":0,"non_strict":0,"fail":0,"error":0,"skip":0,"xfail":0,"xpass":0}"#,
        )
        .unwrap();
        assert_eq!(old.harness, 0);
        assert!(!serde_json::to_string(&old).unwrap().contains("harness"));
    }
}

//! Race vectors inside a certification run: a race vector replayed K times becomes one case of
//! the run (area `races`), so the report, JUnit, the matrix, `report compare` and the exit code
//! treat it like every other case. The history of its first try (and of the first try that
//! reproduced) is drawn as a timeline per connection on a page beside the report.

use super::vector::RaceVector;
use super::{RaceClass, ReplayReport, TryOutcome};
use crate::verdict::{CaseReport, Class, Finding, StepReport, RACE_AREA};

pub use crate::verdict::RACE_TIMELINE_PAGE as TIMELINE_PAGE;

/// The class of a case for a race class. A documented anomaly (Q-23, FUZZ-5 in
/// `clearnode-0.5.2`) is what the profile expects of the broker, so it is reported but
/// conformant, like an extra notification; so is a search that ran out of budget, which
/// proves nothing either way. A FAIL (money created or destroyed in any profile, any anomaly in
/// `spec`) and a race the harness could not run keep their weight.
pub fn class_of(race: RaceClass) -> Class {
    match race {
        RaceClass::Pass => Class::Pass,
        RaceClass::Quirk | RaceClass::Unknown => Class::Informational,
        RaceClass::Fail => Class::Fail,
        RaceClass::Error => Class::Error,
    }
}

/// One step per try, with what the checker saw as its findings.
fn step(index: usize, outcome: &TryOutcome) -> StepReport {
    let class = class_of(outcome.class);
    StepReport {
        index,
        action: "race".into(),
        conn: String::new(),
        class,
        findings: outcome
            .seen
            .iter()
            .map(|seen| Finding {
                class,
                what: "race".into(),
                message: seen.clone(),
                expected: None,
                received: None,
            })
            .collect(),
        wire: vec![],
    }
}

/// The case of one replayed race vector.
pub fn case_report(vector: &RaceVector, replay: &ReplayReport, duration_ms: u64) -> CaseReport {
    let class = class_of(replay.worst());
    let note = format!(
        "released together in {} tries: reproduced {}/{} ({}); the history of each try is \
         drawn in {TIMELINE_PAGE}",
        replay.tries,
        replay.reproduced,
        replay.tries,
        replay
            .classes
            .iter()
            .map(|(c, n)| format!("{n} {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    CaseReport {
        id: vector.id.clone(),
        area: RACE_AREA.to_string(),
        description: vector.description.clone(),
        rules: vector.rules.clone(),
        quirks: vector
            .rules
            .iter()
            .filter(|r| r.starts_with("Q-") || r.starts_with("FUZZ-"))
            .cloned()
            .collect(),
        protocol: None,
        class,
        note: Some(note),
        steps: replay
            .outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| step(i + 1, o))
            .collect(),
        duration_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn replay(outcomes: &[(RaceClass, &[&str])]) -> ReplayReport {
        let mut classes = BTreeMap::new();
        for (c, _) in outcomes {
            *classes.entry(c.name().to_string()).or_default() += 1;
        }
        ReplayReport {
            vector: "races/x".into(),
            tries: outcomes.len(),
            reproduced: outcomes.iter().filter(|(c, _)| c.reproduced()).count(),
            classes,
            logins: 0,
            outcomes: outcomes
                .iter()
                .map(|(class, seen)| TryOutcome {
                    class: *class,
                    seen: seen.iter().map(|s| s.to_string()).collect(),
                })
                .collect(),
            instances: vec![],
        }
    }

    fn vector() -> RaceVector {
        serde_json::from_value(serde_json::json!({
            "format": "nitrocert-race/1", "id": "races/x", "description": "two transfers",
            "groups": [{"name": "", "kind": "duplicate-transfer"}],
            "rules": ["FUZZ-5", "REPLAY-2"], "connections": [], "bursts": []
        }))
        .expect("a race vector")
    }

    #[test]
    fn a_race_that_never_reproduced_passes_with_one_step_per_try() {
        let none: &[&str] = &[];
        let case = case_report(&vector(), &replay(&[(RaceClass::Pass, none); 3]), 7);
        assert_eq!(case.class, Class::Pass);
        assert_eq!(case.steps.len(), 3);
        assert!(case.steps.iter().all(|s| s.findings.is_empty()));
        assert_eq!(case.area, "races");
        assert_eq!(case.quirks, vec!["FUZZ-5".to_string()]);
        assert!(case.note.as_deref().unwrap().contains("reproduced 0/3"));
    }

    #[test]
    fn one_failing_try_fails_the_case_and_names_what_it_saw() {
        let r = replay(&[
            (RaceClass::Pass, &[] as &[&str]),
            (RaceClass::Fail, &["usdc: 110 funded, 165 in the books"]),
        ]);
        let case = case_report(&vector(), &r, 7);
        assert_eq!(case.class, Class::Fail);
        assert!(case.class.is_finding());
        assert_eq!(case.steps[1].class, Class::Fail);
        assert_eq!(
            case.steps[1].findings[0].message,
            "usdc: 110 funded, 165 in the books"
        );
        assert!(case.note.as_deref().unwrap().contains("reproduced 1/2"));
    }

    #[test]
    fn a_documented_quirk_or_an_undecided_search_is_reported_but_conformant() {
        for race in [RaceClass::Quirk, RaceClass::Unknown] {
            assert_eq!(class_of(race), Class::Informational);
            assert!(!class_of(race).is_finding());
        }
        assert_eq!(class_of(RaceClass::Error), Class::Error);
    }
}

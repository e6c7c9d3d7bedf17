//! Stopping a run early against a broker that is plainly broken (`certify --fail-fast`,
//! `--max-findings N`): a broker that drops replies costs a full reply timeout per case, so a
//! run of hundreds of cases would take most of an hour to say what the first cases said. The
//! cases not run are reported as SKIP with the reason, so the report shows the run was cut.

use super::Progress;
use crate::vectors::Vector;
use crate::verdict::{CaseReport, Class};

/// A progress sink that passes everything on and asks the run to stop once `max` cases ended
/// in a finding (FAIL, ERROR, XPASS).
pub struct FindingsBudget<'a> {
    inner: &'a mut dyn Progress,
    max: usize,
    run: usize,
    seen: usize,
    last: String,
}

impl<'a> FindingsBudget<'a> {
    /// `max` is at least 1 (`--fail-fast` is 1).
    pub fn new(inner: &'a mut dyn Progress, max: usize) -> Self {
        Self {
            inner,
            max: max.max(1),
            run: 0,
            seen: 0,
            last: String::new(),
        }
    }

    /// The cases that ran (the rest of a stopped run were not run).
    pub fn cases_run(&self) -> usize {
        self.run
    }
}

impl Progress for FindingsBudget<'_> {
    fn case_done(&mut self, done: usize, total: usize, report: &CaseReport) {
        self.run += 1;
        if report.class.is_finding() {
            self.seen += 1;
            self.last = report.id.clone();
        }
        self.inner.case_done(done, total, report);
    }

    fn stop(&self) -> Option<String> {
        (self.seen >= self.max).then(|| {
            format!(
                "not run: the run stopped after {} case(s) with findings, the last `{}` \
                 (--fail-fast / --max-findings)",
                self.seen, self.last
            )
        })
    }
}

/// The report of a case the run did not get to.
pub fn not_run(vector: &Vector, reason: &str) -> CaseReport {
    CaseReport {
        id: vector.id.clone(),
        area: vector.area().to_string(),
        description: vector.description.clone(),
        rules: vector.rules.clone(),
        quirks: vector.quirks.clone(),
        protocol: vector.protocol.clone(),
        class: Class::Skip,
        note: Some(reason.to_string()),
        steps: Vec::new(),
        duration_ms: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::Quiet;

    fn case(class: Class) -> CaseReport {
        CaseReport {
            id: format!("area/{class:?}"),
            area: "area".into(),
            description: String::new(),
            rules: vec![],
            quirks: vec![],
            protocol: None,
            class,
            note: None,
            steps: vec![],
            duration_ms: 0,
        }
    }

    #[test]
    fn stops_after_the_budget_of_findings_and_not_before() {
        let mut quiet = Quiet;
        let mut budget = FindingsBudget::new(&mut quiet, 2);
        for class in [Class::Pass, Class::Skip, Class::Xfail, Class::NonStrict] {
            budget.case_done(1, 9, &case(class));
        }
        assert_eq!(budget.stop(), None);
        budget.case_done(5, 9, &case(Class::Error));
        assert_eq!(budget.stop(), None);
        budget.case_done(6, 9, &case(Class::Fail));
        let reason = budget.stop().expect("two findings spent the budget");
        assert!(reason.contains("area/Fail"), "{reason}");
    }

    #[test]
    fn a_budget_of_zero_is_fail_fast() {
        let mut quiet = Quiet;
        let mut budget = FindingsBudget::new(&mut quiet, 0);
        assert_eq!(budget.stop(), None);
        budget.case_done(1, 1, &case(Class::Xpass));
        assert!(budget.stop().is_some());
    }
}

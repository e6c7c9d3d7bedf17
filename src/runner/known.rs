//! Known divergences: case id → the class it is expected to end in, with a reason (a quirk
//! id). A case that ends so becomes XFAIL; one that passes becomes XPASS, which fails the run
//! (the list is stale) — connectrpc conformance's `--known-failing`.

use crate::verdict::{CaseReport, Class};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KnownDivergences {
    /// case id → expectation.
    pub cases: BTreeMap<String, Known>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Known {
    /// The class the case is expected to end in (`FAIL`, `NON-STRICT`, …).
    pub class: Class,
    /// Why: a quirk id and a sentence.
    pub reason: String,
}

impl KnownDivergences {
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn apply(&self, report: &mut CaseReport) {
        let Some(known) = self.cases.get(&report.id) else {
            return;
        };
        if report.class == known.class {
            report.class = Class::Xfail;
            report.note = Some(known.reason.clone());
        } else if matches!(report.class, Class::Pass | Class::Informational) {
            report.class = Class::Xpass;
            report.note = Some(format!(
                "listed as a known {} ({}), but it passed: remove it from the list",
                known.class.name(),
                known.reason
            ));
        } else {
            report.note = Some(format!(
                "listed as a known {} ({}), but it ended {}",
                known.class.name(),
                known.reason,
                report.class.name()
            ));
        }
    }
}

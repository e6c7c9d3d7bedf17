//! Views derived from a `RunReport` that several writers print the same way: counts per area
//! and per rule, the order of findings, the reproduction command. Pure functions, sorted output,
//! so every writer is deterministic for a given report.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::data::{CaseReport, Class, RunReport, Summary};
use super::escape::shell_word;

/// The column order of every summary table: conformant outcomes first, then findings, then the
/// cases that say nothing about the target.
pub const COLUMNS: [Class; 8] = [
    Class::Pass,
    Class::Informational,
    Class::NonStrict,
    Class::Fail,
    Class::Error,
    Class::Skip,
    Class::Xfail,
    Class::Xpass,
];

/// Case counts per class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    counts: [usize; COLUMNS.len()],
}

impl Tally {
    pub fn add(&mut self, class: Class) {
        self.counts[column(class)] += 1;
    }

    /// The counts a run carries in its `summary`.
    pub fn of_summary(summary: &Summary) -> Tally {
        let mut tally = Tally::default();
        for class in COLUMNS {
            tally.counts[column(class)] = match class {
                Class::Pass => summary.pass,
                Class::Informational => summary.informational,
                Class::NonStrict => summary.non_strict,
                Class::Fail => summary.fail,
                Class::Error => summary.error,
                Class::Skip => summary.skip,
                Class::Xfail => summary.xfail,
                Class::Xpass => summary.xpass,
            };
        }
        tally
    }

    pub fn get(&self, class: Class) -> usize {
        self.counts[column(class)]
    }

    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// The worst class counted, by `Class`'s order (worst last), or `None` when empty.
    pub fn worst(&self) -> Option<Class> {
        worst(COLUMNS.into_iter().filter(|c| self.get(*c) > 0))
    }
}

fn column(class: Class) -> usize {
    match COLUMNS.iter().position(|c| *c == class) {
        Some(i) => i,
        None => unreachable!("COLUMNS lists every class"),
    }
}

/// The worst of some classes: the class precedence is `Class`'s `Ord` (PASS < SKIP < XFAIL <
/// INFORMATIONAL < NON-STRICT < FAIL < XPASS < ERROR).
pub fn worst(classes: impl IntoIterator<Item = Class>) -> Option<Class> {
    classes.into_iter().max()
}

/// The run's verdict word, from its summary (exit code 0 or 1).
pub fn verdict(summary: &Summary) -> &'static str {
    if summary.conformant() {
        "CONFORMANT"
    } else {
        "NOT CONFORMANT"
    }
}

/// `4 cases: 1 PASS, 1 NON-STRICT, 1 FAIL, 1 SKIP`: the classes that occur, in column order.
pub fn counts_line(summary: &Summary) -> String {
    let tally = Tally::of_summary(summary);
    let parts: Vec<String> = COLUMNS
        .into_iter()
        .filter(|c| tally.get(*c) > 0)
        .map(|c| format!("{} {}", tally.get(c), c.name()))
        .collect();
    let noun = if summary.total == 1 { "case" } else { "cases" };
    if parts.is_empty() {
        format!("{} {noun}", summary.total)
    } else {
        format!("{} {noun}: {}", summary.total, parts.join(", "))
    }
}

/// One area and its counts.
pub struct AreaRow<'a> {
    pub area: &'a str,
    pub tally: Tally,
}

/// Counts per area, areas sorted by name.
pub fn areas(report: &RunReport) -> Vec<AreaRow<'_>> {
    let mut by_area: BTreeMap<&str, Tally> = BTreeMap::new();
    for case in &report.cases {
        by_area
            .entry(case.area.as_str())
            .or_default()
            .add(case.class);
    }
    by_area
        .into_iter()
        .map(|(area, tally)| AreaRow { area, tally })
        .collect()
}

/// One spec rule and the cases that cite it, in report order.
pub struct RuleRow<'a> {
    pub rule: &'a str,
    pub cases: Vec<&'a CaseReport>,
    pub tally: Tally,
}

impl RuleRow<'_> {
    pub fn worst(&self) -> Class {
        // A row exists only because a case cites the rule, so the tally is never empty.
        self.tally.worst().unwrap_or(Class::Pass)
    }
}

/// Every rule cited by a case, in natural order (`AS-CREATE-2` before `AS-CREATE-10`).
pub fn rules(report: &RunReport) -> Vec<RuleRow<'_>> {
    let mut by_rule: BTreeMap<NaturalKey<'_>, RuleRow<'_>> = BTreeMap::new();
    for case in &report.cases {
        // A case that lists a rule twice still counts once for it.
        let mut cited: Vec<&str> = case.rules.iter().map(String::as_str).collect();
        cited.sort_unstable();
        cited.dedup();
        for rule in cited {
            let row = by_rule.entry(NaturalKey(rule)).or_insert_with(|| RuleRow {
                rule,
                cases: Vec::new(),
                tally: Tally::default(),
            });
            row.cases.push(case);
            row.tally.add(case.class);
        }
    }
    by_rule.into_values().collect()
}

/// The cases a reader must look at (all but PASS and SKIP), worst first, report order within a
/// class.
pub fn findings(report: &RunReport) -> Vec<&CaseReport> {
    let mut cases: Vec<&CaseReport> = report
        .cases
        .iter()
        .filter(|c| !matches!(c.class, Class::Pass | Class::Skip))
        .collect();
    cases.sort_by_key(|c| std::cmp::Reverse(c.class));
    cases
}

/// The command line that re-runs one case against the same target and profile.
pub fn reproduce_command(report: &RunReport, case: &CaseReport) -> String {
    // The embedded broker listens on a port of its own each run: reproduce it in-process. The
    // seed decides the case's identities, so it is part of the reproduction.
    let endpoint = if report.target.starts_with("embedded") {
        String::new()
    } else {
        format!(" --endpoint {}", shell_word(&report.endpoint))
    };
    format!(
        "nitrocert certify{endpoint} --profile {} --seed {} --vectors {}",
        shell_word(&report.profile),
        report.seed,
        shell_word(&format!("vectors/{}.json", case.id)),
    )
}

/// Milliseconds as seconds with three decimals (`1234` → `1.234`), the unit JUnit expects.
pub fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// Orders strings with their digit runs compared as numbers.
#[derive(PartialEq, Eq)]
struct NaturalKey<'a>(&'a str);

impl Ord for NaturalKey<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        natural_cmp(self.0, other.0)
    }
}

impl PartialOrd for NaturalKey<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

pub(super) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (da, ra) = split_digits(a);
                let (db, rb) = split_digits(b);
                let (ta, tb) = (trim_zeros(da), trim_zeros(db));
                // Longer (zero-trimmed) digit runs are larger numbers; equal lengths compare
                // bytewise; finally the raw runs break ties so `01` and `1` stay distinct.
                let ord = ta
                    .len()
                    .cmp(&tb.len())
                    .then_with(|| ta.cmp(tb))
                    .then_with(|| da.cmp(db));
                if ord != Ordering::Equal {
                    return ord;
                }
                (a, b) = (ra, rb);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                (a, b) = (&a[1..], &b[1..]);
            }
        }
    }
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    s.split_at(n)
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|b| **b == b'0').count();
    &s[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_precedence_is_worst_last() {
        use Class::*;
        assert_eq!(worst([Pass, Skip]), Some(Skip));
        assert_eq!(worst([Skip, Xfail, Pass]), Some(Xfail));
        assert_eq!(worst([Xfail, Informational]), Some(Informational));
        assert_eq!(worst([Informational, NonStrict]), Some(NonStrict));
        assert_eq!(worst([NonStrict, Fail, Pass]), Some(Fail));
        assert_eq!(worst([Fail, Xpass]), Some(Xpass));
        assert_eq!(worst([Xpass, Error, Fail]), Some(Error));
        assert_eq!(worst([]), None);
        let mut t = Tally::default();
        t.add(Pass);
        t.add(NonStrict);
        t.add(Skip);
        assert_eq!(t.worst(), Some(NonStrict));
        assert_eq!((t.get(Pass), t.total()), (1, 3));
    }

    #[test]
    fn columns_hold_every_class_once() {
        let mut sorted = COLUMNS.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), COLUMNS.len());
    }

    #[test]
    fn natural_order_of_rule_ids() {
        let mut ids = vec![
            "AS-CREATE-10",
            "AS-CREATE-2",
            "AS-CLOSE-1",
            "WIRE-3",
            "AS-CREATE-02",
        ];
        ids.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            ids,
            [
                "AS-CLOSE-1",
                "AS-CREATE-02",
                "AS-CREATE-2",
                "AS-CREATE-10",
                "WIRE-3"
            ]
        );
    }

    #[test]
    fn seconds_have_three_decimals() {
        assert_eq!(seconds(0), "0.000");
        assert_eq!(seconds(1234), "1.234");
        assert_eq!(seconds(60_005), "60.005");
    }
}

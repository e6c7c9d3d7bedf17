//! Known divergences, pinned to fingerprints: case id → the quirk it is, and every finding the
//! case is expected to produce (step, action, class, kind, and a hash of its normalised text).
//! A case whose findings are exactly the listed ones becomes XFAIL (connectrpc conformance's
//! `--known-failing`, made precise):
//! - any other finding at FAIL or ERROR level in that case keeps it FAIL/ERROR, and so does any
//!   other finding at all while every listed one is present: a new divergence inside a listed
//!   case is never hidden;
//! - a listed case that ends any other way (PASS, NON-STRICT, SKIP, fewer or other findings)
//!   becomes XPASS, which fails the run: the list is stale;
//! - a listed id that is not among the vectors of a full run fails the run (stale list); see
//!   [`KnownDivergences::for_run`] for subset runs;
//! - a malformed file, an unknown field or a class a divergence cannot end in is a usage error.
//!
//! Finding texts are normalised before hashing so the fingerprint is the same across runs and
//! seeds: hex strings (addresses, session ids, signatures), UUIDs, JWTs and long digit runs
//! (timestamps, request ids) are replaced by placeholders; amounts and error texts are kept.
//! `nitrocert report known <report.json>` prints the entries of a run.

use crate::crypto::keccak256;
use crate::verdict::{CaseReport, Class, Finding};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownDivergences {
    /// case id → expectation.
    pub cases: BTreeMap<String, Known>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Known {
    /// The quirk ids this divergence is (`Q-1`, `FUZZ-3`, …).
    pub quirks: Vec<String>,
    /// One sentence: what the broker does and which rule of the profile it breaks.
    pub reason: String,
    /// The class the case ends in: `FAIL`, `NON-STRICT` or `ERROR` (the worst listed finding).
    pub class: Class,
    /// Every finding the case produces, sorted: the fingerprint.
    pub findings: Vec<FindingPrint>,
}

/// One finding, normalised.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingPrint {
    pub step: usize,
    pub action: String,
    pub class: Class,
    /// What was compared (`accept/reject`, `balance`, `notification`, …).
    pub what: String,
    /// keccak256 of the normalised message, expected and received texts: 12 hex digits.
    pub hash: String,
}

impl fmt::Display for FindingPrint {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "step {} {} {} {} #{}",
            self.step,
            self.action,
            self.class.name(),
            self.what,
            self.hash
        )
    }
}

/// The sorted fingerprint of a case: every finding of every step, normalised.
pub fn fingerprint(case: &CaseReport) -> Vec<FindingPrint> {
    let mut prints: Vec<FindingPrint> = case
        .steps
        .iter()
        .flat_map(|step| {
            step.findings.iter().map(|f| FindingPrint {
                step: step.index,
                action: step.action.clone(),
                class: f.class,
                what: f.what.clone(),
                hash: finding_hash(f),
            })
        })
        .collect();
    prints.sort();
    prints
}

/// One short hash of a whole fingerprint, to tell at a glance whether two runs agree.
pub fn fingerprint_hash(prints: &[FindingPrint]) -> String {
    let text: Vec<String> = prints.iter().map(ToString::to_string).collect();
    hex::encode(&keccak256(text.join("\n").as_bytes())[..6])
}

fn finding_hash(f: &Finding) -> String {
    let text = [
        normalise(&f.message),
        normalise(f.expected.as_deref().unwrap_or("")),
        normalise(f.received.as_deref().unwrap_or("")),
    ]
    .join("\n");
    hex::encode(&keccak256(text.as_bytes())[..6])
}

/// Replaces what differs between runs and seeds: `0x` + 6 or more hex digits → `0x…`, a UUID
/// → `<uuid>`, a JWT → `<jwt>`, a run of 10 or more digits outside a decimal fraction → `#`.
pub fn normalise(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let word_start = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        let run =
            |from: usize, ok: fn(u8) -> bool| b[from..].iter().take_while(|&&c| ok(c)).count();
        if b[i..].starts_with(b"0x") && run(i + 2, |c| c.is_ascii_hexdigit()) >= 6 {
            out.push_str("0x…");
            i += 2 + run(i + 2, |c| c.is_ascii_hexdigit());
        } else if word_start && rfc3339_len(&b[i..]) > 0 {
            // A time the model or the broker stamped (`created_at`): another every run.
            out.push_str("<time>");
            i += rfc3339_len(&b[i..]);
        } else if word_start && is_uuid(&b[i..]) {
            out.push_str("<uuid>");
            i += 36;
        } else if word_start && b[i..].starts_with(b"eyJ") {
            out.push_str("<jwt>");
            i += run(i, |c| {
                c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')
            });
        } else if b[i].is_ascii_digit() && (i == 0 || !matches!(b[i - 1], b'.' | b'0'..=b'9')) {
            let n = run(i, |c| c.is_ascii_digit());
            let fraction_follows = b.get(i + n) == Some(&b'.');
            if n >= 10 && !fraction_follows {
                out.push('#');
            } else {
                out.push_str(&text[i..i + n]);
            }
            i += n;
        } else {
            let c = text[i..].chars().next().expect("i is on a char boundary");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn is_uuid(b: &[u8]) -> bool {
    b.len() >= 36
        && b[..36].iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The length of the RFC 3339 time `b` starts with (`2006-01-02T15:04:05`, a fraction, `Z` or
/// an offset), or 0.
fn rfc3339_len(b: &[u8]) -> usize {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    let fits = b.len() >= SHAPE.len()
        && SHAPE.iter().zip(b).all(|(s, c)| match s {
            b'd' => c.is_ascii_digit(),
            s => s == c,
        });
    if !fits {
        return 0;
    }
    let mut n = SHAPE.len();
    if b.get(n) == Some(&b'.') {
        n += 1 + b[n + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
    }
    match b.get(n) {
        Some(b'Z') => n + 1,
        Some(b'+' | b'-') if b.len() >= n + 6 => n + 6,
        _ => n,
    }
}

/// Why a known-divergence file cannot be used (a usage error, exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {why}")]
pub struct KnownError {
    pub path: String,
    pub why: String,
}

impl KnownDivergences {
    pub fn load(path: &std::path::Path) -> Result<Self, KnownError> {
        let err = |why: String| KnownError {
            path: path.display().to_string(),
            why,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let list: Self = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        list.validate().map_err(err)?;
        Ok(list)
    }

    /// Every entry well-formed: quirk ids, a reason, a class a divergence can end in, findings
    /// that agree with it.
    pub fn validate(&self) -> Result<(), String> {
        for (id, known) in &self.cases {
            let bad = |why: String| Err(format!("entry {id:?}: {why}"));
            if known.quirks.is_empty() || !known.quirks.iter().all(|q| is_quirk_id(q)) {
                return bad(format!(
                    "quirks must list ids such as Q-1 or FUZZ-3, not {:?}",
                    known.quirks
                ));
            }
            if known.reason.trim().is_empty() {
                return bad("the reason is empty".into());
            }
            if !matches!(known.class, Class::Fail | Class::NonStrict | Class::Error) {
                return bad(format!(
                    "class {} is not a divergence (FAIL, NON-STRICT or ERROR)",
                    known.class.name()
                ));
            }
            if let Some(f) = known.findings.iter().find(|f| !is_hash(&f.hash)) {
                return bad(format!("finding hash {:?} is not 12 hex digits", f.hash));
            }
            let worst = known.findings.iter().map(|f| f.class).max();
            if worst != Some(known.class) {
                return bad(format!(
                    "class {} must be the worst listed finding's ({})",
                    known.class.name(),
                    worst.map_or("none listed", Class::name)
                ));
            }
        }
        Ok(())
    }

    /// The list for a run of `loaded` vector ids. A full run (`full`, every vector of the
    /// catalogue loaded) must know every listed id: `Err` names the stale ones. A subset run
    /// keeps only the entries of the loaded ids; the others cannot be judged and are dropped
    /// (their count is returned for a notice).
    pub fn for_run<'a>(
        &self,
        loaded: impl IntoIterator<Item = &'a str>,
        full: bool,
    ) -> Result<(Self, usize), Vec<String>> {
        let loaded: BTreeSet<&str> = loaded.into_iter().collect();
        let unknown: Vec<String> = self
            .cases
            .keys()
            .filter(|id| !loaded.contains(id.as_str()))
            .cloned()
            .collect();
        if full && !unknown.is_empty() {
            return Err(unknown);
        }
        let mut kept = self.clone();
        kept.cases.retain(|id, _| loaded.contains(id.as_str()));
        Ok((kept, unknown.len()))
    }

    pub fn apply(&self, report: &mut CaseReport) {
        let Some(known) = self.cases.get(&report.id) else {
            return;
        };
        if report.class.is_harness() {
            // The case was not judged: it neither diverged as listed nor passed.
            return;
        }
        let observed = fingerprint(report);
        let (missing, extra) = multiset_diff(&known.findings, &observed);
        let listed = format!("{}: {}", known.quirks.join(", "), known.reason);
        if missing.is_empty() && extra.is_empty() {
            report.class = Class::Xfail;
            report.note = Some(listed);
            return;
        }
        let new_failure = extra
            .iter()
            .any(|f| matches!(f.class, Class::Fail | Class::Error));
        if new_failure || missing.is_empty() {
            // A finding the list does not name is never hidden.
            report.class = report.class.max(Class::Fail);
            report.note = Some(format!(
                "listed as a known divergence ({listed}), but it has findings the list does not name: {}{}",
                list(&extra),
                if missing.is_empty() {
                    String::new()
                } else {
                    format!("; and lacks listed ones: {}", list(&missing))
                }
            ));
        } else {
            let ended = report.class.name();
            report.class = Class::Xpass;
            report.note = Some(format!(
                "listed as a known divergence ({listed}), but it ended {ended} without: {}; update or remove the entry",
                list(&missing)
            ));
        }
    }
}

/// The entry a case's current findings make (for `nitrocert report known`), or `None` for a
/// case without a finding that would fail the run.
pub fn entry_for(case: &CaseReport, quirks: Vec<String>, reason: String) -> Option<Known> {
    let findings = fingerprint(case);
    let class = findings.iter().map(|f| f.class).max()?;
    matches!(class, Class::Fail | Class::NonStrict | Class::Error).then_some(Known {
        quirks,
        reason,
        class,
        findings,
    })
}

/// (listed but not observed, observed but not listed), as multisets.
fn multiset_diff(
    listed: &[FindingPrint],
    observed: &[FindingPrint],
) -> (Vec<FindingPrint>, Vec<FindingPrint>) {
    let mut extra = observed.to_vec();
    let mut missing = Vec::new();
    for f in listed {
        match extra.iter().position(|o| o == f) {
            Some(i) => {
                extra.remove(i);
            }
            None => missing.push(f.clone()),
        }
    }
    (missing, extra)
}

fn list(prints: &[FindingPrint]) -> String {
    prints
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_quirk_id(id: &str) -> bool {
    id.split_once('-').is_some_and(|(family, n)| {
        !family.is_empty()
            && family.bytes().all(|b| b.is_ascii_uppercase())
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
    })
}

fn is_hash(hash: &str) -> bool {
    hash.len() == 12 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::StepReport;

    fn finding(class: Class, what: &str, message: &str, received: &str) -> Finding {
        Finding {
            class,
            what: what.into(),
            message: message.into(),
            expected: None,
            received: Some(received.into()),
        }
    }

    fn case(id: &str, steps: Vec<(usize, &str, Vec<Finding>)>) -> CaseReport {
        let steps: Vec<StepReport> = steps
            .into_iter()
            .map(|(index, action, findings)| StepReport {
                index,
                action: action.into(),
                conn: "A".into(),
                class: findings
                    .iter()
                    .map(|f| f.class)
                    .max()
                    .unwrap_or(Class::Pass),
                findings,
                wire: Vec::new(),
            })
            .collect();
        CaseReport {
            id: id.into(),
            area: "quirks".into(),
            description: String::new(),
            rules: Vec::new(),
            quirks: vec!["Q-1".into()],
            protocol: None,
            class: steps.iter().map(|s| s.class).max().unwrap_or(Class::Pass),
            note: None,
            steps,
            duration_ms: 1,
        }
    }

    /// Q-1 as the live broker shows it in the spec profile, with run-specific ids.
    fn q1(session: &str, balance: &str) -> CaseReport {
        case(
            "quirks/q-1",
            vec![
                (0, "create_app_session", vec![]),
                (
                    1,
                    "submit_app_state",
                    vec![
                        finding(
                            Class::Fail,
                            "accept/reject",
                            "the request should have been rejected, and was accepted",
                            &format!(
                                r#"submit_app_state: {{"app_session_id":"{session}","version":2}}"#
                            ),
                        ),
                        finding(
                            Class::Fail,
                            "balance",
                            "session balances differ from the model's",
                            &format!(r#"{{"A":{{"usdc":"{balance}"}}}}"#),
                        ),
                        finding(
                            Class::Informational,
                            "notification",
                            "A: an extra notification",
                            "asu",
                        ),
                    ],
                ),
            ],
        )
    }

    const SID1: &str = "0xf0cec9824e3f6f5e8e437ef5bab4d21394575cfcd8c45355ff222d070f271bc2";
    const SID2: &str = "0x09b3bd47ae267c376c3442097512b4024394b628486efa2b7b137c128c700773";

    fn list_of(report: &CaseReport) -> KnownDivergences {
        let known = entry_for(report, vec!["Q-1".into()], "operate creates money".into()).unwrap();
        KnownDivergences {
            cases: [(report.id.clone(), known)].into_iter().collect(),
        }
    }

    #[test]
    fn times_are_normalised_whatever_their_precision() {
        let a = normalise(r#"{"created_at":"2026-12-02T11:27:53.324Z","amount":"1"}"#);
        let b = normalise(r#"{"created_at":"2026-12-03T01:02:03Z","amount":"1"}"#);
        assert_eq!(a, b);
        assert_eq!(a, r#"{"created_at":"<time>","amount":"1"}"#);
        assert_ne!(
            a,
            normalise(r#"{"created_at":"2026-12-03T01:02:03Z","amount":"2"}"#)
        );
    }

    #[test]
    fn the_listed_findings_exactly_make_xfail_across_runs_and_seeds() {
        let list = list_of(&q1(SID1, "100"));
        // Another run: other session id (another seed), same divergence.
        let mut run = q1(SID2, "100");
        list.apply(&mut run);
        assert_eq!(run.class, Class::Xfail);
        assert_eq!(run.note.as_deref(), Some("Q-1: operate creates money"));
    }

    #[test]
    fn a_perturbed_field_inside_a_listed_case_is_a_fail() {
        let list = list_of(&q1(SID1, "100"));
        let mut run = q1(SID1, "99");
        list.apply(&mut run);
        assert_eq!(run.class, Class::Fail);
        let note = run.note.unwrap();
        assert!(
            note.contains("does not name: step 1 submit_app_state FAIL balance"),
            "{note}"
        );
        assert!(note.contains("lacks listed ones"), "{note}");
    }

    #[test]
    fn any_other_finding_keeps_the_case_failing() {
        let list = list_of(&q1(SID1, "100"));
        // A new FAIL in another step.
        let mut run = q1(SID1, "100");
        run.steps[0].findings.push(finding(
            Class::Fail,
            "session",
            "version or status differs",
            "v2",
        ));
        run.class = Class::Fail;
        list.apply(&mut run);
        assert_eq!(run.class, Class::Fail);
        assert!(run
            .note
            .unwrap()
            .contains("step 0 create_app_session FAIL session"));
        // Every listed finding plus a mere INFORMATIONAL one: still not the listed divergence.
        let mut run = q1(SID1, "100");
        run.steps[0].findings.push(finding(
            Class::Informational,
            "notification",
            "B: an extra notification",
            "bu",
        ));
        list.apply(&mut run);
        assert_eq!(run.class, Class::Fail);
        // An ERROR stays an ERROR.
        let mut run = q1(SID1, "100");
        run.steps[1].findings.push(finding(
            Class::Error,
            "harness",
            "no answer within 5000 ms",
            "",
        ));
        run.class = Class::Error;
        list.apply(&mut run);
        assert_eq!(run.class, Class::Error);
    }

    #[test]
    fn a_listed_case_that_ends_any_other_way_is_xpass() {
        let list = list_of(&q1(SID1, "100"));
        let pass = case(
            "quirks/q-1",
            vec![
                (0, "create_app_session", vec![]),
                (1, "submit_app_state", vec![]),
            ],
        );
        let skip = CaseReport {
            class: Class::Skip,
            note: Some("needs a channel hook".into()),
            steps: Vec::new(),
            ..pass.clone()
        };
        let non_strict = case(
            "quirks/q-1",
            vec![(
                1,
                "submit_app_state",
                vec![finding(
                    Class::NonStrict,
                    "error text",
                    "rejected as expected, with another text",
                    "x",
                )],
            )],
        );
        let fewer = {
            let mut c = q1(SID1, "100");
            c.steps[1].findings.remove(1);
            c
        };
        for (mut run, ended) in [
            (pass, "PASS"),
            (skip, "SKIP"),
            (non_strict, "NON-STRICT"),
            (fewer, "FAIL"),
        ] {
            list.apply(&mut run);
            assert_eq!(run.class, Class::Xpass, "{ended}");
            let note = run.note.unwrap();
            assert!(note.contains(&format!("ended {ended} without")), "{note}");
            assert!(Class::Xpass.is_finding());
        }
    }

    #[test]
    fn a_listed_case_the_harness_could_not_run_stays_harness() {
        let list = list_of(&q1(SID1, "100"));
        let mut run = case(
            "quirks/q-1",
            vec![(
                0,
                "harness",
                vec![finding(
                    Class::Harness,
                    "harness trouble",
                    "setup: A could not authenticate: failed to generate challenge",
                    "",
                )],
            )],
        );
        run.class = Class::Harness;
        list.apply(&mut run);
        assert_eq!(run.class, Class::Harness);
        assert!(!run.class.is_finding());
    }

    #[test]
    fn an_unlisted_case_is_left_alone() {
        let list = list_of(&q1(SID1, "100"));
        let mut other = q1(SID1, "100");
        other.id = "quirks/q-2".into();
        list.apply(&mut other);
        assert_eq!(other.class, Class::Fail);
        assert_eq!(other.note, None);
    }

    #[test]
    fn stale_ids_fail_a_full_run_and_are_dropped_from_a_subset_run() {
        let list = list_of(&q1(SID1, "100"));
        assert_eq!(
            list.for_run(["quirks/q-2"], true),
            Err(vec!["quirks/q-1".to_string()])
        );
        let (kept, dropped) = list.for_run(["quirks/q-2"], false).unwrap();
        assert!(kept.cases.is_empty());
        assert_eq!(dropped, 1);
        let (kept, dropped) = list.for_run(["quirks/q-1", "quirks/q-2"], true).unwrap();
        assert_eq!((kept, dropped), (list.clone(), 0));
    }

    fn load_text(text: &str) -> Result<KnownDivergences, KnownError> {
        let dir = std::env::temp_dir().join(format!("nitrocert-known-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{:x}.json", keccak256(text.as_bytes())[0]));
        std::fs::write(&path, text).unwrap();
        let out = KnownDivergences::load(&path);
        let _ = std::fs::remove_file(&path);
        out
    }

    #[test]
    fn malformed_entries_and_invalid_classes_are_refused() {
        let good = serde_json::to_value(list_of(&q1(SID1, "100"))).unwrap();
        assert!(load_text(&good.to_string()).is_ok());
        let entry = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut v = good.clone();
            edit(&mut v["cases"]["quirks/q-1"]);
            load_text(&v.to_string()).unwrap_err().why
        };
        for (why, err) in [
            ("unknown class", entry(&|e| e["class"] = "FAILED".into())),
            ("not a divergence", entry(&|e| e["class"] = "PASS".into())),
            (
                "not the worst finding",
                entry(&|e| e["class"] = "NON-STRICT".into()),
            ),
            ("no quirk", entry(&|e| e["quirks"] = serde_json::json!([]))),
            (
                "bad quirk id",
                entry(&|e| e["quirks"] = serde_json::json!(["quirk one"])),
            ),
            ("empty reason", entry(&|e| e["reason"] = " ".into())),
            (
                "no findings",
                entry(&|e| e["findings"] = serde_json::json!([])),
            ),
            (
                "bad hash",
                entry(&|e| e["findings"][0]["hash"] = "xyz".into()),
            ),
            ("unknown field", entry(&|e| e["step"] = 1.into())),
            (
                "old format",
                entry(&|e| {
                    e.as_object_mut()
                        .unwrap()
                        .remove("findings")
                        .map(|_| ())
                        .unwrap()
                }),
            ),
        ] {
            assert!(!err.is_empty(), "{why}");
        }
        assert!(load_text("{").is_err());
        assert!(load_text(r#"{"cases":{},"extra":1}"#).is_err());
    }

    #[test]
    fn normalising_keeps_amounts_and_texts_and_drops_run_specific_values() {
        assert_eq!(
            normalise(
                r#"participant 0xE1b4d6177b561A4fAE72F3aebF14EF2A73179f09 sent 998.999999999999999999 at 1700000001000"#
            ),
            "participant 0x… sent 998.999999999999999999 at #"
        );
        assert_eq!(
            normalise("challenge 4a7b1c2d-1111-4222-8333-123456789abc jwt eyJhbGciOi.e30.c2ln, id 42, 1e46"),
            "challenge <uuid> jwt <jwt>, id 42, 1e46"
        );
        assert_eq!(
            normalise("1000000000000000000000.5 and 12345678901"),
            "1000000000000000000000.5 and #"
        );
        assert_eq!(normalise("é 0x12 ü"), "é 0x12 ü");
    }
}

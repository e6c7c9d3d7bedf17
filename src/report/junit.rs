//! `junit.xml`: the run for CI systems, one `<testsuite>` per area and one `<testcase>` per
//! case, so a vendor's pipeline shows failures without reading our own formats.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::data::{CaseReport, Class, RunReport};
use super::escape::{xml, xml_text};
use super::view::{self, seconds};

/// Writes `report` as a JUnit XML document.
///
/// FAIL and XPASS become `<failure>`, ERROR becomes `<error>`, SKIP and XFAIL become
/// `<skipped>`; PASS, INFORMATIONAL and NON-STRICT pass (the latter two with their findings in
/// `<system-out>`, since they are conformant but worth reading). Areas come sorted by name, cases
/// in report order.
pub fn write<W: Write>(report: &RunReport, mut out: W) -> io::Result<()> {
    let mut doc = String::new();
    doc.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let all = counts(report.cases.iter());
    let _ = writeln!(
        doc,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
        xml(&format!("nitrocert {}", report.target)),
        all.tests,
        all.failures,
        all.errors,
        all.skipped,
        seconds(report.duration_ms),
    );
    for row in view::areas(report) {
        let cases: Vec<&CaseReport> = report.cases.iter().filter(|c| c.area == row.area).collect();
        let n = counts(cases.iter().copied());
        let _ = writeln!(
            doc,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\">",
            xml(row.area),
            n.tests,
            n.failures,
            n.errors,
            n.skipped,
            seconds(n.duration_ms),
            xml(&report.started_at),
        );
        properties(&mut doc, report);
        for case in cases {
            testcase(&mut doc, report, case);
        }
        doc.push_str("  </testsuite>\n");
    }
    doc.push_str("</testsuites>\n");
    out.write_all(doc.as_bytes())
}

struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    duration_ms: u64,
}

fn counts<'a>(cases: impl Iterator<Item = &'a CaseReport>) -> Counts {
    let mut n = Counts {
        tests: 0,
        failures: 0,
        errors: 0,
        skipped: 0,
        duration_ms: 0,
    };
    for case in cases {
        n.tests += 1;
        n.duration_ms = n.duration_ms.saturating_add(case.duration_ms);
        match case.class {
            Class::Fail | Class::Xpass => n.failures += 1,
            Class::Error => n.errors += 1,
            Class::Skip | Class::Xfail => n.skipped += 1,
            Class::Pass | Class::Informational | Class::NonStrict => {}
        }
    }
    n
}

/// The run's identity on every suite, because CI tools often show suites one at a time.
fn properties(doc: &mut String, report: &RunReport) {
    doc.push_str("    <properties>\n");
    let seed = report.seed.to_string();
    let mut props = vec![
        ("generator", report.generator.as_str()),
        ("target", report.target.as_str()),
        ("endpoint", report.endpoint.as_str()),
        ("profile", report.profile.as_str()),
        ("seed", seed.as_str()),
    ];
    if let Some(address) = &report.broker_address {
        props.push(("broker_address", address));
    }
    for (name, value) in props {
        let _ = writeln!(
            doc,
            "      <property name=\"{}\" value=\"{}\"/>",
            name,
            xml(value)
        );
    }
    doc.push_str("    </properties>\n");
}

fn testcase(doc: &mut String, report: &RunReport, case: &CaseReport) {
    let _ = write!(
        doc,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
        xml(&case.area),
        xml(&case.id),
        seconds(case.duration_ms),
    );
    let (element, message) = match case.class {
        Class::Pass => {
            doc.push_str("/>\n");
            return;
        }
        Class::Informational | Class::NonStrict => {
            doc.push_str(">\n");
            let _ = writeln!(
                doc,
                "      <system-out>{}</system-out>",
                xml_text(&details(report, case, false))
            );
            doc.push_str("    </testcase>\n");
            return;
        }
        Class::Skip | Class::Xfail => {
            let message = match (&case.note, case.class) {
                (Some(note), _) => format!("{}: {note}", case.class.name()),
                (None, Class::Xfail) => "XFAIL: a known divergence, diverged as listed".into(),
                (None, _) => "SKIP: the target lacks a hook this case needs".into(),
            };
            let _ = writeln!(doc, ">\n      <skipped message=\"{}\"/>", xml(&message));
            doc.push_str("    </testcase>\n");
            return;
        }
        Class::Fail => ("failure", headline(case)),
        Class::Xpass => (
            "failure",
            "XPASS: a known divergence did not diverge; the known-divergence file is stale".into(),
        ),
        Class::Error => ("error", headline(case)),
    };
    let _ = writeln!(
        doc,
        ">\n      <{element} message=\"{}\" type=\"{}\">{}</{element}>",
        xml(&message),
        case.class.name(),
        xml_text(&details(report, case, false)),
    );
    let _ = writeln!(
        doc,
        "      <system-out>{}</system-out>",
        xml_text(&details(report, case, true))
    );
    doc.push_str("    </testcase>\n");
}

/// The first non-PASS finding of a case, for the one-line `message` attribute.
fn headline(case: &CaseReport) -> String {
    let mut findings = case
        .steps
        .iter()
        .flat_map(|s| s.findings.iter().map(move |f| (s, f)))
        .filter(|(_, f)| f.class != Class::Pass);
    match findings.next() {
        Some((step, f)) => {
            let more = findings.count();
            let more = if more > 0 {
                format!(" (+{more} more)")
            } else {
                String::new()
            };
            format!(
                "{}: step {} {}: {}: {}{more}",
                f.class.name(),
                step.index,
                step.action,
                f.what,
                f.message
            )
        }
        None => match &case.note {
            Some(note) => format!("{}: {note}", case.class.name()),
            None => case.class.name().to_string(),
        },
    }
}

/// Plain text of a case's non-PASS steps: findings with expected and received, the reproduction
/// command, and with `wire` the frames of those steps.
fn details(report: &RunReport, case: &CaseReport, wire: bool) -> String {
    let mut text = String::new();
    if let Some(note) = &case.note {
        let _ = writeln!(text, "note: {note}");
    }
    for step in case.steps.iter().filter(|s| s.class != Class::Pass) {
        let _ = writeln!(
            text,
            "step {} {} on {}: {}",
            step.index,
            step.action,
            step.conn,
            step.class.name()
        );
        if wire {
            for line in &step.wire {
                let _ = writeln!(text, "  {} {} {}", line.conn, line.dir.arrow(), line.text);
            }
            continue;
        }
        for f in step.findings.iter().filter(|f| f.class != Class::Pass) {
            let _ = writeln!(text, "  {} {}: {}", f.class.name(), f.what, f.message);
            if let Some(expected) = &f.expected {
                let _ = writeln!(text, "    expected: {expected}");
            }
            if let Some(received) = &f.received {
                let _ = writeln!(text, "    received: {received}");
            }
        }
    }
    if !wire {
        let _ = writeln!(text, "reproduce: {}", view::reproduce_command(report, case));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::data::{Direction, Finding, StepReport, Summary, WireLine};

    fn case(id: &str, class: Class, findings: Vec<Finding>) -> CaseReport {
        let area = id.split('/').next().unwrap_or_default().to_string();
        CaseReport {
            id: id.into(),
            area,
            description: "d".into(),
            rules: vec!["WIRE-16".into()],
            quirks: vec![],
            protocol: None,
            class,
            note: None,
            steps: vec![StepReport {
                index: 0,
                action: "ping".into(),
                conn: "A".into(),
                class,
                findings,
                wire: vec![WireLine {
                    dir: Direction::Received,
                    conn: "A".into(),
                    text: "{\"res\":[1,\"error\",{\"error\":\"<script>]]>\"},5]}".into(),
                }],
            }],
            duration_ms: 1500,
        }
    }

    fn finding(class: Class) -> Finding {
        Finding {
            class,
            what: "error text".into(),
            message: "hostile </failure><script>alert(1)</script> ]]>".into(),
            expected: Some("{\"error\":\"ok\"}".into()),
            received: Some("{\"error\":\"<script>\"}".into()),
        }
    }

    fn render(cases: Vec<CaseReport>) -> String {
        let report = RunReport {
            generator: "nitrocert 0.1.0".into(),
            target: "t&t".into(),
            endpoint: "ws://127.0.0.1:9/ws".into(),
            broker_address: None,
            profile: "spec".into(),
            seed: 1,
            started_at: "2025-01-01T00:00:00Z".into(),
            duration_ms: 4000,
            summary: Summary::of(&cases),
            cases,
        };
        let mut out = Vec::new();
        write(&report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn one_suite_per_area_and_one_testcase_per_case() {
        let xml = render(vec![
            case("b/pass", Class::Pass, vec![]),
            case("a/fail", Class::Fail, vec![finding(Class::Fail)]),
            case("a/skip", Class::Skip, vec![]),
            case("b/error", Class::Error, vec![finding(Class::Error)]),
            case("b/xfail", Class::Xfail, vec![]),
            case("b/xpass", Class::Xpass, vec![]),
            case("a/lax", Class::NonStrict, vec![finding(Class::NonStrict)]),
        ]);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
        assert!(xml.ends_with("</testsuites>\n"));
        assert_eq!(xml.matches("<testsuite ").count(), 2);
        assert_eq!(xml.matches("</testsuite>").count(), 2);
        assert_eq!(xml.matches("<testcase ").count(), 7);
        // Areas sorted: `a` before `b`.
        let a = xml.find("<testsuite name=\"a\"").unwrap();
        let b = xml.find("<testsuite name=\"b\"").unwrap();
        assert!(a < b);
        assert!(xml.contains(
            "<testsuite name=\"a\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\" time=\"4.500\""
        ));
        assert!(xml.contains(
            "<testsuite name=\"b\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\" time=\"6.000\""
        ));
        assert!(xml.contains("<testcase classname=\"a\" name=\"a/fail\" time=\"1.500\">"));
        assert!(xml.contains("<testcase classname=\"b\" name=\"b/pass\" time=\"1.500\"/>"));
        assert_eq!(xml.matches("<failure ").count(), 2);
        assert_eq!(xml.matches("<error ").count(), 1);
        assert_eq!(xml.matches("<skipped ").count(), 2);
        assert!(xml.contains("type=\"XPASS\""));
        assert!(xml.contains("name=\"nitrocert t&amp;t\""));
        assert!(xml.contains("reproduce: nitrocert certify --endpoint ws://127.0.0.1:9/ws"));
    }

    #[test]
    fn hostile_text_is_escaped() {
        let xml = render(vec![case(
            "a/fail",
            Class::Fail,
            vec![finding(Class::Fail)],
        )]);
        assert!(!xml.contains("<script"));
        assert!(!xml.contains("]]>"));
        assert_eq!(xml.matches("</failure>").count(), 1);
        assert!(xml.contains("&lt;/failure&gt;&lt;script&gt;alert(1)&lt;/script&gt; ]]&gt;"));
    }
}

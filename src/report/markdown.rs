//! `report.md`: the run as a document a vendor can publish: who was tested and how, the
//! verdict, counts per area and per spec rule, then every finding with expected and received
//! wire text and the command that reproduces it.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::data::{CaseReport, Class, RunReport};
use super::escape::{markdown, markdown_block, markdown_code};
use super::view::{self, seconds, Tally, COLUMNS};

/// Writes `report` as GitHub-flavoured Markdown. The output depends only on `report`.
pub fn write<W: Write>(report: &RunReport, mut out: W) -> io::Result<()> {
    let mut doc = String::new();
    header(&mut doc, report);
    areas(&mut doc, report);
    rules(&mut doc, report);
    findings(&mut doc, report);
    // Sections end with a blank line; the file ends with exactly one newline.
    doc.truncate(doc.trim_end_matches('\n').len());
    doc.push('\n');
    out.write_all(doc.as_bytes())
}

fn header(doc: &mut String, report: &RunReport) {
    let _ = writeln!(
        doc,
        "# NitroRPC conformance report: {}\n",
        markdown(&report.target)
    );
    doc.push_str("| | |\n|---|---|\n");
    let mut rows = vec![
        ("target", markdown_code(&report.target)),
        ("endpoint", markdown_code(&report.endpoint)),
    ];
    if let Some(address) = &report.broker_address {
        rows.push(("broker address", markdown_code(address)));
    }
    rows.extend([
        ("profile", markdown_code(&report.profile)),
        ("nitrocert version", markdown(&report.generator)),
        ("seed", markdown_code(&report.seed.to_string())),
        ("date", markdown(&report.started_at)),
        ("duration", format!("{} s", seconds(report.duration_ms))),
    ]);
    for (name, value) in rows {
        let _ = writeln!(doc, "| {name} | {value} |");
    }
    let _ = writeln!(
        doc,
        "\n**Verdict: {}** ({})\n",
        view::verdict(&report.summary),
        view::counts_line(&report.summary)
    );
}

fn table_head(doc: &mut String, first: &str) {
    let _ = write!(doc, "| {first} |");
    for class in COLUMNS {
        let _ = write!(doc, " {} |", class.name());
    }
    doc.push_str(" total |\n|---|");
    for _ in COLUMNS {
        doc.push_str("---:|");
    }
    doc.push_str("---:|\n");
}

fn table_row(doc: &mut String, first: &str, tally: &Tally) {
    let _ = write!(doc, "| {first} |");
    for class in COLUMNS {
        let _ = write!(doc, " {} |", tally.get(class));
    }
    let _ = writeln!(doc, " {} |", tally.total());
}

fn areas(doc: &mut String, report: &RunReport) {
    doc.push_str("## Summary by area\n\n");
    table_head(doc, "area");
    for row in view::areas(report) {
        table_row(doc, &markdown_code(row.area), &row.tally);
    }
    let mut all = Tally::default();
    report.cases.iter().for_each(|c| all.add(c.class));
    table_row(doc, "**all**", &all);
    doc.push('\n');
}

fn rules(doc: &mut String, report: &RunReport) {
    doc.push_str("## Rules\n\n");
    let rows = view::rules(report);
    if rows.is_empty() {
        doc.push_str("No case cites a spec rule.\n\n");
        return;
    }
    doc.push_str(
        "Each spec rule, the worst outcome among the cases that cite it, and those cases \
         (with their outcome when it is not PASS).\n\n",
    );
    doc.push_str("| rule | worst | cases |\n|---|---|---|\n");
    for row in rows {
        let cases: Vec<String> = row
            .cases
            .iter()
            .map(|c| match c.class {
                Class::Pass => markdown_code(&c.id),
                class => format!("{} ({})", markdown_code(&c.id), class.name()),
            })
            .collect();
        let _ = writeln!(
            doc,
            "| {} | {} | {} |",
            markdown_code(row.rule),
            row.worst().name(),
            cases.join(", ")
        );
    }
    doc.push('\n');
}

fn findings(doc: &mut String, report: &RunReport) {
    doc.push_str("## Findings\n\n");
    let cases = view::findings(report);
    if cases.is_empty() {
        doc.push_str("None: every case passed or was skipped.\n");
        return;
    }
    for case in cases {
        finding(doc, report, case);
    }
}

fn finding(doc: &mut String, report: &RunReport, case: &CaseReport) {
    let _ = writeln!(
        doc,
        "### {} {}\n\n{}\n",
        case.class.name(),
        markdown_code(&case.id),
        markdown(&case.description)
    );
    let mut facts = vec![format!("area {}", markdown_code(&case.area))];
    if let Some(protocol) = &case.protocol {
        facts.push(format!("protocol {}", markdown(protocol)));
    }
    if !case.rules.is_empty() {
        let rules: Vec<String> = case.rules.iter().map(|r| markdown_code(r)).collect();
        facts.push(format!("rules {}", rules.join(", ")));
    }
    if !case.quirks.is_empty() {
        let quirks: Vec<String> = case.quirks.iter().map(|q| markdown_code(q)).collect();
        facts.push(format!("quirks {}", quirks.join(", ")));
    }
    let _ = writeln!(doc, "- {}", facts.join(" · "));
    if let Some(note) = &case.note {
        let _ = writeln!(doc, "- note: {}", markdown(note));
    }
    let _ = writeln!(
        doc,
        "\nReproduce:\n\n```sh\n{}\n```\n",
        view::reproduce_command(report, case)
    );
    let mut diverged = false;
    for step in case.steps.iter().filter(|s| s.class != Class::Pass) {
        diverged = true;
        let _ = writeln!(
            doc,
            "#### Step {}: {} on {}: {}\n",
            step.index,
            markdown_code(&step.action),
            markdown_code(&step.conn),
            step.class.name()
        );
        for f in step.findings.iter().filter(|f| f.class != Class::Pass) {
            let _ = writeln!(
                doc,
                "- **{}** {}: {}",
                f.class.name(),
                markdown(&f.what),
                markdown(&f.message)
            );
            // Blocks sit after the list item, not inside it, so their text stays verbatim
            // without list indentation.
            if let Some(expected) = &f.expected {
                let _ = write!(doc, "\nExpected:\n\n{}", markdown_block(expected));
            }
            if let Some(received) = &f.received {
                let _ = write!(doc, "\nReceived:\n\n{}", markdown_block(received));
            }
            doc.push('\n');
        }
    }
    if !diverged {
        doc.push_str("No step diverged.\n\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::data::{Finding, StepReport, Summary};

    #[test]
    fn hostile_text_stays_text() {
        let case = CaseReport {
            id: "wire/x".into(),
            area: "wire".into(),
            description: "<img src=x onerror=alert(1)> *bold*".into(),
            rules: vec!["WIRE-16".into()],
            quirks: vec![],
            protocol: None,
            class: Class::Fail,
            note: None,
            steps: vec![StepReport {
                index: 1,
                action: "ping".into(),
                conn: "A".into(),
                class: Class::Fail,
                findings: vec![Finding {
                    class: Class::Fail,
                    what: "error text".into(),
                    message: "got <script>alert(1)</script>".into(),
                    expected: Some("ok".into()),
                    received: Some("```\n<script>alert(1)</script>\n```".into()),
                }],
                wire: vec![],
            }],
            duration_ms: 3,
        };
        let cases = vec![case];
        let report = RunReport {
            generator: "nitrocert 0.1.0".into(),
            target: "t".into(),
            endpoint: "ws://h:1/ws".into(),
            broker_address: None,
            profile: "spec".into(),
            seed: 9,
            started_at: "2025-01-01T00:00:00Z".into(),
            duration_ms: 3,
            summary: Summary::of(&cases),
            cases,
        };
        let mut out = Vec::new();
        write(&report, &mut out).unwrap();
        let md = String::from_utf8(out).unwrap();
        assert!(md.contains("\\<img src=x onerror=alert(1)\\> \\*bold\\*"));
        assert!(md.contains("got \\<script\\>alert(1)\\</script\\>"));
        // The received frame holds a fence of three backticks, so its block uses four.
        assert!(md.contains("````text\n```\n<script>alert(1)</script>\n```\n````\n"));
        assert!(md.contains("**Verdict: NOT CONFORMANT** (1 case: 1 FAIL)"));
        assert!(md.contains(
            "nitrocert certify --endpoint ws://h:1/ws --profile spec --seed 9 --vectors vectors/wire/x.json"
        ));
    }
}

//! `report.html`: the run as one self-contained page (inline CSS and a few lines of inline JS,
//! nothing fetched): the verdict, a matrix of spec rules × outcome classes, counts per area, and
//! per case its steps, findings and wire log.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::data::{CaseReport, Class, Direction, Finding, RunReport, StepReport};
use super::escape::html as e;
use super::view::{self, seconds, Tally, COLUMNS};

/// Writes `report` as a single HTML page. Every text from the report goes through the HTML
/// escaper: broker text is hostile, and a `<script>` in an error string must show as text.
pub fn write<W: Write>(report: &RunReport, mut out: W) -> io::Result<()> {
    let mut doc = String::new();
    head(&mut doc, report);
    header(&mut doc, report);
    doc.push_str("<main>\n");
    matrix(&mut doc, report);
    areas(&mut doc, report);
    cases(&mut doc, report);
    doc.push_str("</main>\n");
    let _ = writeln!(doc, "<script>{SCRIPT}</script>\n</body>\n</html>");
    out.write_all(doc.as_bytes())
}

/// The CSS class of an outcome class: `PASS` → `c-pass`, `NON-STRICT` → `c-non-strict`.
fn css(class: Class) -> String {
    format!("c-{}", class.name().to_ascii_lowercase())
}

fn badge(class: Class) -> String {
    format!(
        "<span class=\"badge {}\">{}</span>",
        css(class),
        class.name()
    )
}

/// An `id` attribute value for a case, usable as a fragment (`#case-area/name`).
pub(super) fn anchor(case_id: &str) -> String {
    let id: String = case_id
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect();
    format!("case-{id}")
}

fn head(doc: &mut String, report: &RunReport) {
    // The policy forbids every fetch (images, fonts, frames, connections) even if some text
    // escaped the escaper; inline style and the inline script below stay allowed.
    let _ = writeln!(
        doc,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>NitroRPC conformance report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        e(&report.target)
    );
}

fn header(doc: &mut String, report: &RunReport) {
    let verdict = if report.summary.conformant() {
        "ok"
    } else {
        "bad"
    };
    let _ = writeln!(
        doc,
        "<header>\n<div class=\"title\"><h1>NitroRPC conformance report</h1>\
         <div class=\"target\">{}</div></div>\n\
         <div class=\"verdict v-{verdict}\">{}</div>",
        e(&report.target),
        view::verdict(&report.summary)
    );
    doc.push_str("<div class=\"counts\">");
    let tally = Tally::of_summary(&report.summary);
    let _ = write!(
        doc,
        "<span class=\"count total\"><b>{}</b> cases</span>",
        report.summary.total
    );
    for class in COLUMNS {
        let n = tally.get(class);
        let zero = if n == 0 { " zero" } else { "" };
        let _ = write!(
            doc,
            "<span class=\"count {}{zero}\"><b>{n}</b> {}</span>",
            css(class),
            class.name()
        );
    }
    doc.push_str("</div>\n<dl class=\"meta\">");
    let seed = report.seed.to_string();
    let duration = format!("{} s", seconds(report.duration_ms));
    let mut rows = vec![
        ("endpoint", report.endpoint.as_str()),
        ("profile", report.profile.as_str()),
        ("nitrocert", report.generator.as_str()),
        ("seed", seed.as_str()),
        ("date", report.started_at.as_str()),
        ("duration", duration.as_str()),
    ];
    if let Some(address) = &report.broker_address {
        rows.insert(1, ("broker", address.as_str()));
    }
    for (name, value) in rows {
        let _ = write!(doc, "<div><dt>{name}</dt><dd>{}</dd></div>", e(value));
    }
    doc.push_str("</dl>\n</header>\n");
}

fn class_heads(doc: &mut String) {
    for class in COLUMNS {
        let _ = write!(doc, "<th class=\"n {}\">{}</th>", css(class), class.name());
    }
}

/// One count cell: colored by its class when non-zero, blank when zero so the eye finds the
/// non-zero cells.
fn count_cell(doc: &mut String, class: Class, n: usize, title: &str) {
    if n == 0 {
        doc.push_str("<td class=\"n zero\"></td>");
    } else {
        let _ = write!(
            doc,
            "<td class=\"n hit {}\" title=\"{}\">{n}</td>",
            css(class),
            e(title)
        );
    }
}

fn matrix(doc: &mut String, report: &RunReport) {
    doc.push_str("<section>\n<h2>Spec rules × outcome</h2>\n");
    let rows = view::rules(report);
    if rows.is_empty() {
        doc.push_str("<p class=\"empty\">No case cites a spec rule.</p>\n</section>\n");
        return;
    }
    doc.push_str(
        "<p class=\"hint\">Cases citing each rule, by outcome. The rule is colored by its worst \
         outcome; hover a count for the case ids.</p>\n<table class=\"matrix\">\n<thead><tr>\
         <th class=\"rule\">rule</th>",
    );
    class_heads(doc);
    doc.push_str(
        "<th class=\"n\">total</th><th class=\"links\">not passing</th></tr></thead>\n<tbody>\n",
    );
    for row in rows {
        let worst = row.worst();
        let _ = write!(
            doc,
            "<tr><th class=\"rule {}\">{}</th>",
            css(worst),
            e(row.rule)
        );
        for class in COLUMNS {
            let ids: Vec<&str> = row
                .cases
                .iter()
                .filter(|c| c.class == class)
                .map(|c| c.id.as_str())
                .collect();
            count_cell(doc, class, ids.len(), &ids.join("\n"));
        }
        let _ = write!(
            doc,
            "<td class=\"n\">{}</td><td class=\"links\">",
            row.tally.total()
        );
        let links: Vec<String> = row
            .cases
            .iter()
            .filter(|c| c.class != Class::Pass)
            .map(|c| {
                format!(
                    "<a class=\"{}\" href=\"#{}\">{}</a>",
                    css(c.class),
                    e(&anchor(&c.id)),
                    e(&c.id)
                )
            })
            .collect();
        doc.push_str(&links.join(" "));
        doc.push_str("</td></tr>\n");
    }
    doc.push_str("</tbody>\n</table>\n</section>\n");
}

fn areas(doc: &mut String, report: &RunReport) {
    doc.push_str(
        "<section>\n<h2>Areas</h2>\n<table class=\"matrix\">\n<thead><tr><th class=\"rule\">area</th>",
    );
    class_heads(doc);
    doc.push_str("<th class=\"n\">total</th></tr></thead>\n<tbody>\n");
    let mut all = Tally::default();
    for row in view::areas(report) {
        let _ = write!(
            doc,
            "<tr><th class=\"rule {}\"><a href=\"#area-{}\">{}</a></th>",
            css(row.tally.worst().unwrap_or(Class::Pass)),
            e(row.area),
            e(row.area)
        );
        for class in COLUMNS {
            count_cell(doc, class, row.tally.get(class), "");
            for _ in 0..row.tally.get(class) {
                all.add(class);
            }
        }
        let _ = writeln!(doc, "<td class=\"n\">{}</td></tr>", row.tally.total());
    }
    doc.push_str("<tr class=\"all\"><th class=\"rule\">all</th>");
    for class in COLUMNS {
        count_cell(doc, class, all.get(class), "");
    }
    let _ = writeln!(doc, "<td class=\"n\">{}</td></tr>", all.total());
    doc.push_str("</tbody>\n</table>\n</section>\n");
}

fn cases(doc: &mut String, report: &RunReport) {
    doc.push_str(
        "<section>\n<h2>Cases</h2>\n<div class=\"tools\">\
         <button type=\"button\" data-show=\"all\">expand all</button>\
         <button type=\"button\" data-show=\"findings\">expand all but PASS and SKIP</button>\
         <button type=\"button\" data-show=\"none\">collapse all</button></div>\n",
    );
    for row in view::areas(report) {
        let _ = writeln!(doc, "<h3 id=\"area-{}\">{}</h3>", e(row.area), e(row.area));
        for case in report.cases.iter().filter(|c| c.area == row.area) {
            case_details(doc, report, case);
        }
    }
    doc.push_str("</section>\n");
}

fn case_details(doc: &mut String, report: &RunReport, case: &CaseReport) {
    // Cases with something to read (all but PASS and SKIP, as in the Markdown findings) are
    // open from the start: they are what a reader came for.
    let notable = !matches!(case.class, Class::Pass | Class::Skip);
    let open = if notable { " open" } else { "" };
    let _ = writeln!(
        doc,
        "<details class=\"case {css}\" id=\"{}\" data-finding=\"{}\"{open}>\n\
         <summary>{} <code>{}</code> <span class=\"desc\">{}</span>\
         <span class=\"dur\">{} s</span></summary>\n<div class=\"body\">",
        e(&anchor(&case.id)),
        notable,
        badge(case.class),
        e(&case.id),
        e(&case.description),
        seconds(case.duration_ms),
        css = css(case.class),
    );
    doc.push_str("<dl class=\"facts\">");
    let mut facts: Vec<(&str, String)> = Vec::new();
    if let Some(protocol) = &case.protocol {
        facts.push(("protocol", e(protocol)));
    }
    if !case.rules.is_empty() {
        facts.push(("rules", e(&case.rules.join(", "))));
    }
    if !case.quirks.is_empty() {
        facts.push(("quirks", e(&case.quirks.join(", "))));
    }
    if let Some(note) = &case.note {
        facts.push(("note", e(note)));
    }
    facts.push((
        "reproduce",
        format!(
            "<code class=\"cmd\">{}</code>",
            e(&view::reproduce_command(report, case))
        ),
    ));
    for (name, value) in facts {
        let _ = write!(doc, "<div><dt>{name}</dt><dd>{value}</dd></div>");
    }
    doc.push_str("</dl>\n");
    if case.steps.is_empty() {
        doc.push_str("<p class=\"empty\">No step ran.</p>\n");
    }
    for step in &case.steps {
        step_block(doc, step);
    }
    doc.push_str("</div>\n</details>\n");
}

fn step_block(doc: &mut String, step: &StepReport) {
    let _ = writeln!(
        doc,
        "<div class=\"step {}\"><div class=\"step-head\">{} <span class=\"idx\">#{}</span> \
         <code>{}</code> on <code>{}</code></div>",
        css(step.class),
        badge(step.class),
        step.index,
        e(&step.action),
        e(&step.conn)
    );
    if !step.findings.is_empty() {
        doc.push_str("<ul class=\"findings\">\n");
        for f in &step.findings {
            finding(doc, f);
        }
        doc.push_str("</ul>\n");
    }
    if !step.wire.is_empty() {
        doc.push_str("<table class=\"wire\">\n");
        for line in &step.wire {
            let dir = match line.dir {
                Direction::Sent => "sent",
                Direction::Received => "recv",
            };
            let _ = writeln!(
                doc,
                "<tr class=\"{dir}\"><td class=\"conn\">{}</td><td class=\"dir\">{}</td>\
                 <td class=\"text\">{}</td></tr>",
                e(&line.conn),
                line.dir.arrow(),
                e(&line.text)
            );
        }
        doc.push_str("</table>\n");
    }
    doc.push_str("</div>\n");
}

fn finding(doc: &mut String, f: &Finding) {
    let _ = write!(
        doc,
        "<li>{} <b>{}</b>: {}",
        badge(f.class),
        e(&f.what),
        e(&f.message)
    );
    if f.expected.is_some() || f.received.is_some() {
        let split = match (&f.expected, &f.received) {
            (Some(a), Some(b)) => common_prefix(a, b),
            _ => 0,
        };
        doc.push_str("<div class=\"diff\">");
        for (label, text) in [("expected", &f.expected), ("received", &f.received)] {
            let body = match text {
                Some(text) if split < text.len() => format!(
                    "<pre>{}<mark>{}</mark></pre>",
                    e(&text[..split]),
                    e(&text[split..])
                ),
                Some(text) => format!("<pre>{}</pre>", e(text)),
                None => "<pre class=\"none\">(nothing)</pre>".to_string(),
            };
            let _ = write!(doc, "<div class=\"{label}\"><h4>{label}</h4>{body}</div>");
        }
        doc.push_str("</div>");
    }
    doc.push_str("</li>\n");
}

/// The byte length of the longest common prefix of `a` and `b`, on a character boundary: the
/// point from which expected and received are highlighted, like a trace diff's first divergence.
fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i)
}

pub(super) const STYLE: &str = r#"
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;
--pass:#1a7f37;--pass-bg:#dafbe1;--info:#0969da;--info-bg:#ddf4ff;--lax:#9a6700;--lax-bg:#fff8c5;
--fail:#cf222e;--fail-bg:#ffebe9;--error:#8250df;--error-bg:#fbefff;--skip:#59636e;--skip-bg:#eff2f5;
--xfail:#57606a;--xfail-bg:#e6eaef;--xpass:#bc4c00;--xpass-bg:#fff1e5}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}
code,pre,.wire{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
header{padding:20px 32px 16px;border-bottom:1px solid var(--line);background:var(--soft);display:grid;grid-template-columns:1fr auto;gap:10px 24px;align-items:center}
.title h1{margin:0;font-size:20px;font-weight:600;color:var(--muted)}
.title .target{font-size:26px;font-weight:700;word-break:break-all}
.verdict{font-size:22px;font-weight:800;letter-spacing:.04em;padding:10px 18px;border-radius:8px;border:2px solid;text-align:center}
.v-ok{color:var(--pass);background:var(--pass-bg)}.v-bad{color:var(--fail);background:var(--fail-bg)}
.counts{grid-column:1/-1;display:flex;flex-wrap:wrap;gap:6px}
.count{padding:3px 10px;border-radius:999px;border:1px solid currentColor;font-size:13px;background:var(--bg)}
.count b{font-size:15px;margin-right:2px}.count.zero{opacity:.4}.count.total{color:var(--fg)}
.meta{grid-column:1/-1;display:flex;flex-wrap:wrap;gap:4px 24px;margin:0}
.meta div,.facts div{display:flex;gap:6px}.meta dt,.facts dt{color:var(--muted)}.meta dd,.facts dd{margin:0;word-break:break-all}
main{padding:8px 32px 48px;max-width:1600px}
h2{font-size:18px;margin:24px 0 6px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}.hint,.empty{color:var(--muted);margin:4px 0 10px}
table.matrix{border-collapse:collapse;font-size:13px}
.matrix th,.matrix td{border:1px solid var(--line);padding:4px 8px}
.matrix thead th{background:var(--soft);font-size:11px;letter-spacing:.03em;font-weight:700;white-space:nowrap}
.matrix thead th.n{color:var(--fg);border-top:3px solid var(--c,var(--line))}
.matrix th.rule{text-align:left;font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-weight:600;white-space:nowrap;border-left:5px solid var(--c,var(--line))}
.matrix td.n{text-align:center;min-width:64px;font-variant-numeric:tabular-nums}
.matrix td.hit{background:var(--cb);color:var(--c);font-weight:700}
.matrix tr.all th,.matrix tr.all td{border-top:2px solid var(--fg)}
.matrix td.links{font-size:12px}.matrix td.links a{margin-right:6px;color:var(--c);font-family:ui-monospace,monospace}
.matrix tbody tr:hover{outline:2px solid var(--info)}
.c-pass{--c:var(--pass);--cb:var(--pass-bg)}.c-informational{--c:var(--info);--cb:var(--info-bg)}
.c-non-strict{--c:var(--lax);--cb:var(--lax-bg)}.c-fail{--c:var(--fail);--cb:var(--fail-bg)}
.c-error{--c:var(--error);--cb:var(--error-bg)}.c-skip{--c:var(--skip);--cb:var(--skip-bg)}
.c-xfail{--c:var(--xfail);--cb:var(--xfail-bg)}.c-xpass{--c:var(--xpass);--cb:var(--xpass-bg)}
.count.c-pass,.count.c-informational,.count.c-non-strict,.count.c-fail,.count.c-error,.count.c-skip,.count.c-xfail,.count.c-xpass{color:var(--c);background:var(--cb)}
.badge{display:inline-block;min-width:92px;text-align:center;padding:1px 6px;border-radius:4px;font-size:11px;font-weight:700;letter-spacing:.03em;color:var(--c);background:var(--cb);border:1px solid var(--c)}
.tools{margin:6px 0}.tools button{font:inherit;font-size:12px;padding:3px 10px;margin-right:6px;border:1px solid var(--line);border-radius:6px;background:var(--soft);cursor:pointer}
details.case{border:1px solid var(--line);border-left:5px solid var(--c);border-radius:6px;margin:6px 0;background:var(--bg)}
details.case>summary{cursor:pointer;padding:6px 10px;display:flex;gap:10px;align-items:baseline}
details.case>summary code{font-weight:600}.desc{color:var(--muted);flex:1}.dur{color:var(--muted);font-size:12px;white-space:nowrap}
details.case[open]>summary{border-bottom:1px solid var(--line);background:var(--soft)}
.body{padding:8px 12px 12px}.facts{margin:0 0 8px;display:grid;gap:2px}
code.cmd{background:var(--soft);padding:1px 6px;border-radius:4px}
.step{border-top:1px dashed var(--line);padding:6px 0}.step-head .idx{color:var(--muted)}
.findings{margin:6px 0;padding-left:0;list-style:none}.findings li{margin:4px 0}
.diff{display:grid;grid-template-columns:1fr 1fr;gap:8px;margin:6px 0}
.diff h4{margin:0 0 2px;font-size:11px;text-transform:uppercase;color:var(--muted)}
.diff .expected pre{border-left:4px solid var(--pass)}.diff .received pre{border-left:4px solid var(--fail)}
pre{margin:0;padding:6px 8px;background:var(--soft);border-radius:4px;white-space:pre-wrap;word-break:break-all}
pre.none{color:var(--muted)}
.diff .expected mark{background:#aceebb;color:inherit}.diff .received mark{background:#ffcecb;color:inherit}
.matrix th a{color:inherit;text-decoration:none}.matrix th.links{text-align:left}
table.wire{border-collapse:collapse;width:100%;margin-top:6px}
.wire td{padding:1px 6px;vertical-align:top;border-bottom:1px solid var(--soft)}
.wire td.conn{color:var(--muted);white-space:nowrap;width:1%}.wire td.dir{font-weight:700;width:1%}
.wire td.text{white-space:pre-wrap;word-break:break-all}
.wire tr.sent td.dir{color:var(--info)}.wire tr.recv td.dir{color:var(--pass)}
.wire tr.sent td.text{background:#f3f8ff}.wire tr.recv td.text{background:#f4fbf5}
"#;

/// Expands or collapses the case blocks; the page reads the same with scripts off. A link to
/// `#case-…` (from the compatibility matrix) opens the case it points at.
const SCRIPT: &str = r#"
document.querySelectorAll('[data-show]').forEach(function (b) {
  b.addEventListener('click', function () {
    var how = b.getAttribute('data-show');
    document.querySelectorAll('details.case').forEach(function (d) {
      d.open = how === 'all' || (how === 'findings' && d.getAttribute('data-finding') === 'true');
    });
  });
});
function openTarget() {
  var t = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (t && t.tagName === 'DETAILS') { t.open = true; t.scrollIntoView(); }
}
window.addEventListener('hashchange', openTarget);
openTarget();
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::data::{Direction, Summary, WireLine};

    const HOSTILE: &str =
        "<script>alert(document.cookie)</script> ]]> <img src=https://evil.test/x>";

    fn report() -> RunReport {
        let cases = vec![CaseReport {
            id: "wire/hostile".into(),
            area: "wire".into(),
            description: HOSTILE.into(),
            rules: vec!["WIRE-16".into()],
            quirks: vec![],
            protocol: None,
            class: Class::Fail,
            note: Some(HOSTILE.into()),
            steps: vec![StepReport {
                index: 0,
                action: "ping".into(),
                conn: "A\"><script>".into(),
                class: Class::Fail,
                findings: vec![Finding {
                    class: Class::Fail,
                    what: "error text".into(),
                    message: HOSTILE.into(),
                    expected: Some("{\"error\":\"ok\"}".into()),
                    received: Some(HOSTILE.into()),
                }],
                wire: vec![WireLine {
                    dir: Direction::Received,
                    conn: "A".into(),
                    text: HOSTILE.into(),
                }],
            }],
            duration_ms: 1,
        }];
        RunReport {
            generator: "nitrocert 0.1.0".into(),
            target: HOSTILE.into(),
            endpoint: "ws://127.0.0.1:1/ws".into(),
            broker_address: None,
            profile: "spec".into(),
            seed: 3,
            started_at: "2025-01-01T00:00:00Z".into(),
            duration_ms: 1,
            summary: Summary::of(&cases),
            cases,
        }
    }

    #[test]
    fn hostile_text_renders_as_text() {
        let mut out = Vec::new();
        write(&report(), &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        // Exactly one script element: ours.
        assert_eq!(page.matches("<script").count(), 1);
        assert!(page.contains("<script>\ndocument.querySelectorAll"));
        assert!(!page.contains("<img"));
        assert!(!page.contains("]]>"));
        assert!(page.contains("&lt;script&gt;alert(document.cookie)&lt;/script&gt; ]]&gt;"));
        assert!(page.contains("A&quot;&gt;&lt;script&gt;"));
    }

    #[test]
    fn matrix_counts_rules_by_class() {
        let mut out = Vec::new();
        write(&report(), &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        assert!(page.contains("<tr><th class=\"rule c-fail\">WIRE-16</th>"));
        assert!(page.contains("<td class=\"n hit c-fail\" title=\"wire/hostile\">1</td>"));
        assert!(page.contains("href=\"#case-wire/hostile\""));
    }

    #[test]
    fn divergence_starts_at_the_first_differing_character() {
        assert_eq!(common_prefix("{\"a\":1}", "{\"a\":2}"), 5);
        assert_eq!(common_prefix("abc", "ab"), 2);
        assert_eq!(common_prefix("é1", "é2"), 2);
        assert_eq!(common_prefix("", "x"), 0);
    }
}

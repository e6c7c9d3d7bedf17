//! `matrix.html`: the matrix as one self-contained page (the report's inline CSS, a few lines
//! of inline JS to show only the differing cases, nothing fetched). Every text from a report
//! goes through the HTML escaper: case descriptions and SDK details quote broker text.

use std::fmt::Write as _;

use super::{case_link, Matrix, Row, SdkClass, SdkMatrix};
use crate::report::data::Class;
use crate::report::escape::html as e;
use crate::report::view::COLUMNS;

pub fn render(m: &Matrix) -> String {
    let mut doc = String::new();
    let _ = writeln!(
        doc,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>NitroRPC compatibility matrix</title>\n<style>{}{STYLE}</style>\n</head>\n<body>",
        crate::report::html::STYLE
    );
    let differing = m.rows().filter(|r| r.differs()).count();
    let _ = writeln!(
        doc,
        "<header>\n<div class=\"title\"><h1>NitroRPC compatibility matrix</h1>\
         <div class=\"target\">{} runs · {} cases · {} differ</div></div>\n</header>\n<main>",
        m.columns.len(),
        m.rows().count(),
        differing
    );
    runs(&mut doc, m);
    summary(&mut doc, m);
    if let Some(sdk) = &m.sdk {
        sdk_section(&mut doc, sdk);
    }
    cases(&mut doc, m, differing);
    let _ = writeln!(doc, "</main>\n<script>{SCRIPT}</script>\n</body>\n</html>");
    doc
}

fn runs(doc: &mut String, m: &Matrix) {
    doc.push_str(
        "<h2>Runs</h2>\n<table class=\"matrix runs\"><thead><tr><th>column</th><th>target</th>\
         <th>profile</th><th>seed</th><th>generator</th><th>cases</th></tr></thead><tbody>\n",
    );
    for c in &m.columns {
        let _ = writeln!(
            doc,
            "<tr><th class=\"rule\"><a href=\"{}\">{}</a></th><td><code>{}</code></td>\
             <td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            e(&c.href),
            e(&c.label),
            e(&c.target),
            e(&c.profile),
            c.seed,
            e(&c.generator),
            c.cases
        );
    }
    doc.push_str("</tbody></table>\n");
}

fn column_heads(doc: &mut String, m: &Matrix, first: &str) {
    let _ = write!(doc, "<thead><tr><th>{first}</th>");
    for c in &m.columns {
        let _ = write!(
            doc,
            "<th class=\"n col\"><a href=\"{}\">{}</a></th>",
            e(&c.href),
            e(&c.label)
        );
    }
    doc.push_str("</tr></thead>\n");
}

/// A summary row per class that occurs, then the cases each run lacks, then the total.
fn summary(doc: &mut String, m: &Matrix) {
    doc.push_str("<h2>Summary</h2>\n<table class=\"matrix summary\">");
    column_heads(doc, m, "class");
    doc.push_str("<tbody>\n");
    for class in COLUMNS {
        if m.columns.iter().all(|c| c.tally.get(class) == 0) {
            continue;
        }
        let _ = write!(
            doc,
            "<tr><th class=\"rule {css}\">{}</th>",
            class.name(),
            css = css(class)
        );
        for c in &m.columns {
            let n = c.tally.get(class);
            let hit = if n > 0 {
                format!(" hit {}", css(class))
            } else {
                String::new()
            };
            let _ = write!(doc, "<td class=\"n{hit}\">{n}</td>");
        }
        doc.push_str("</tr>\n");
    }
    doc.push_str("<tr><th class=\"rule\">not in the run</th>");
    for i in 0..m.columns.len() {
        let _ = write!(doc, "<td class=\"n\">{}</td>", m.missing(i));
    }
    doc.push_str("</tr>\n<tr class=\"all\"><th class=\"rule\">total</th>");
    for c in &m.columns {
        let _ = write!(doc, "<td class=\"n\"><b>{}</b></td>", c.cases);
    }
    doc.push_str("</tr>\n</tbody></table>\n");
}

fn sdk_section(doc: &mut String, sdk: &SdkMatrix) {
    doc.push_str(
        "<h2>SDK releases × brokers</h2>\n<p class=\"hint\">The official SDK \
         <code>@erc7824/nitrolite</code>, each release with its own builders, signers and \
         parsers. <i>bridged</i>: the release's own authentication failed, so the connection \
         was authenticated the way Clearnode v0.5.2 expects before the release's app-session \
         requests ran.</p>\n<table class=\"matrix sdk\"><thead><tr><th>release</th><th>flow</th>",
    );
    let brokers = sdk.brokers();
    for b in &brokers {
        let _ = write!(doc, "<th class=\"col\">{}</th>", e(b));
    }
    doc.push_str("</tr></thead><tbody>\n");
    for release in sdk.releases() {
        for (i, flow) in sdk.flows.iter().enumerate() {
            let first = if i == 0 { " class=\"all\"" } else { "" };
            let _ = write!(
                doc,
                "<tr{first}><th class=\"rule\">{}</th><td>{}</td>",
                e(release),
                e(flow)
            );
            for b in &brokers {
                sdk_cell(doc, sdk.cell(release, b, flow));
            }
            doc.push_str("</tr>\n");
        }
    }
    doc.push_str("</tbody></table>\n<ul class=\"notes\">\n");
    for release in sdk.releases() {
        let _ = write!(doc, "<li><b>{}</b>: ", e(release));
        let per_broker: Vec<String> = brokers
            .iter()
            .map(|b| {
                let counts: Vec<String> = sdk
                    .counts(release, b)
                    .iter()
                    .map(|(k, n)| format!("{n} {}", k.name()))
                    .collect();
                format!("{} {}", e(b), counts.join(", "))
            })
            .collect();
        let _ = write!(doc, "{}.", per_broker.join("; "));
        if let Some(note) = sdk.notes.get(release) {
            let _ = write!(doc, " {}", e(note));
        }
        doc.push_str("</li>\n");
    }
    doc.push_str("</ul>\n");
}

fn sdk_cell(doc: &mut String, cell: Option<&super::SdkCell>) {
    let Some(c) = cell else {
        doc.push_str("<td class=\"sdk\">—</td>");
        return;
    };
    let via = match &c.via {
        Some(v) => format!(" <i title=\"{}\">bridged</i>", e(v)),
        None => String::new(),
    };
    let detail = if c.class == SdkClass::Pass || c.detail.is_empty() {
        String::new()
    } else {
        format!("<div class=\"detail\">{}</div>", e(&c.detail))
    };
    let _ = write!(
        doc,
        "<td class=\"sdk {css}\"><span class=\"badge {css}\">{}</span>{via}{detail}</td>",
        c.class.name(),
        css = c.class.css()
    );
}

fn cases(doc: &mut String, m: &Matrix, differing: usize) {
    let _ = writeln!(
        doc,
        "<h2>Cases</h2>\n<div class=\"tools\"><label><input type=\"checkbox\" id=\"only-diff\"> \
         only the {differing} cases where the runs differ</label></div>\n\
         <table class=\"matrix cases\" id=\"cases\">"
    );
    column_heads(doc, m, "case");
    doc.push_str("<tbody>\n");
    let span = m.columns.len() + 1;
    for area in &m.areas {
        let area_differs = area.groups.iter().any(|g| g.rows.iter().any(Row::differs));
        let _ = writeln!(
            doc,
            "<tr class=\"area\" data-differs=\"{area_differs}\"><th colspan=\"{span}\">{}</th></tr>",
            e(&area.name)
        );
        for group in &area.groups {
            let group_differs = group.rows.iter().any(Row::differs);
            let rule = if group.rule.is_empty() {
                "(no rule)"
            } else {
                &group.rule
            };
            let _ = writeln!(
                doc,
                "<tr class=\"group\" data-differs=\"{group_differs}\"><th colspan=\"{span}\">{}</th></tr>",
                e(rule)
            );
            for row in &group.rows {
                case_row(doc, m, row);
            }
        }
    }
    doc.push_str("</tbody></table>\n");
}

fn case_row(doc: &mut String, m: &Matrix, row: &Row) {
    let _ = write!(
        doc,
        "<tr data-differs=\"{}\"><th class=\"case\" title=\"{}\"><code>{}</code></th>",
        row.differs(),
        e(&format!("{} [{}]", row.description, row.rules.join(", "))),
        e(&row.id)
    );
    for (i, cell) in row.cells.iter().enumerate() {
        match cell {
            None => doc.push_str("<td class=\"n\">—</td>"),
            Some(class) => {
                let _ = write!(
                    doc,
                    "<td class=\"n hit {css}\"><a href=\"{}\">{}</a></td>",
                    e(&case_link(&m.columns[i].href, &row.id)),
                    class.name(),
                    css = css(*class)
                );
            }
        }
    }
    doc.push_str("</tr>\n");
}

/// The CSS class of an outcome class, as the run reports colour it.
fn css(class: Class) -> String {
    format!("c-{}", class.name().to_ascii_lowercase())
}

const STYLE: &str = r#"
.matrix thead th{position:sticky;top:0;z-index:1}
.matrix th.col{min-width:120px;white-space:normal}
.matrix td.n a{color:inherit;text-decoration:none;display:block}
.matrix.cases tr.area th{background:var(--fg);color:var(--bg);text-align:left;font-size:14px;padding:6px 8px}
.matrix.cases tr.group th{background:var(--soft);text-align:left;font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;color:var(--muted)}
.matrix.cases th.case{text-align:left;font-weight:400;white-space:nowrap}
.matrix.sdk td{vertical-align:top;max-width:520px}
.matrix.sdk .detail{font-size:12px;color:var(--fg);margin-top:3px;word-break:break-word}
.matrix.sdk i{color:var(--muted);font-size:12px;margin-left:4px}
.notes li{margin:4px 0}
table.only-diff tr[data-differs="false"]{display:none}
"#;

/// The checkbox hides rows (and area and rule headings) where every run agrees.
const SCRIPT: &str = r#"
var box = document.getElementById('only-diff');
box.addEventListener('change', function () {
  document.getElementById('cases').classList.toggle('only-diff', box.checked);
});
"#;

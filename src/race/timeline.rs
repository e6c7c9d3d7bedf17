//! The history as a self-contained HTML page: per burst, one lane per connection with a bar
//! from each request's sending to its answer (as Jepsen and Porcupine draw histories), ticks
//! for the pushes, the serial order the checker found (its position on each bar), the verdict
//! per race and the books before and after. Every text from the broker goes through the
//! report's HTML escaper; nothing is fetched.

use super::check::Serial;
use super::exec::{BurstReport, InstanceReport};
use super::history::{Books, Op, OpOutcome};
use super::{RaceReport, ReplayReport};
use crate::report::escape::html as e;
use std::fmt::Write as _;

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}h3{font-size:1em}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}\
.tl{border:1px solid #bbb;margin:.5em 0;max-width:1100px}\
.lane{display:flex;border-bottom:1px solid #eee;height:30px}\
.axis{height:20px;color:#666}.who{width:230px;flex:none;padding:5px;font-family:monospace;font-size:12px;overflow:hidden;white-space:nowrap}\
.track{position:relative;flex:1}\
.op{position:absolute;top:5px;height:20px;border-radius:3px;font-size:11px;line-height:20px;\
padding:0 3px;overflow:hidden;white-space:nowrap;box-sizing:border-box;min-width:6px;cursor:default}\
.ok{background:#9be39b;border:1px solid #3a3}.error{background:#f3b3b3;border:1px solid #c33}\
.info{background:repeating-linear-gradient(45deg,#ffe7a0,#ffe7a0 6px,#fff4cc 6px,#fff4cc 12px);border:1px dashed #b80}\
.push{position:absolute;top:2px;width:2px;height:26px;background:#66c;opacity:.6}\
.badge{display:inline-block;padding:0 6px;border-radius:3px;font-weight:600;font-size:12px}\
.c-pass{background:#cfc}.c-quirk{background:#fd9}.c-fail{background:#f99}.c-unknown{background:#ddd}.c-error{background:#f6c}\
details pre{white-space:pre-wrap;word-break:break-all;font-size:12px;background:#f6f6f6;padding:6px}";

/// The page for an exploration.
pub fn explore_page(report: &RaceReport) -> String {
    let mut doc = head(&format!("races on {}", report.target));
    let _ = writeln!(
        doc,
        "<h1>Races on {} ({})</h1>\n<p>{} rounds, seed {}, {} racing connections per race, profile <code>{}</code>. \
         A bar runs from sending a request to its answer; hatched: no answer (maybe applied); \
         <span style=\"color:#66c\">|</span> a push. <b>#n</b>: the request's place in the serial order the checker found for its race.</p>",
        e(&report.target), e(&report.endpoint), report.rounds, report.seed, report.clients, e(&report.profile)
    );
    doc.push_str("<table><tr><th>race</th><th>bursts</th><th>pass</th><th>quirk</th><th>fail</th><th>unknown</th><th>error</th><th>reproducer</th></tr>\n");
    for k in &report.kinds {
        let repro = k.reproducer.as_ref().map(|r| match r.failed {
            0 => format!("{}: {}/{}", r.vector, r.reproduced, r.tries),
            f => format!("{}: {}/{} ({f} FAIL)", r.vector, r.reproduced, r.tries),
        });
        let _ = writeln!(
            doc,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            k.kind.name(), k.bursts, k.pass, k.quirk, k.fail, k.unknown, k.error, e(&repro.unwrap_or_default())
        );
    }
    doc.push_str("</table>\n");
    for i in &report.instances {
        instance(&mut doc, i);
    }
    doc.push_str("</body></html>\n");
    doc
}

/// The page for a replayed race vector.
pub fn replay_page(reports: &[ReplayReport]) -> String {
    let mut doc = head("race replays");
    doc.push_str(
        "<h1>Race replays</h1>\n<table><tr><th>vector</th><th>tries</th><th>reproduced</th></tr>\n",
    );
    for r in reports {
        let _ = writeln!(
            doc,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(&r.vector),
            r.tries,
            r.reproduced
        );
    }
    doc.push_str("</table>\n");
    for i in reports.iter().flat_map(|r| &r.instances) {
        instance(&mut doc, i);
    }
    doc.push_str("</body></html>\n");
    doc
}

fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        e(title)
    )
}

fn instance(doc: &mut String, i: &InstanceReport) {
    let _ = writeln!(
        doc,
        "<h2>{} (try {}, {} ms, {} logins)</h2>",
        e(&i.vector),
        i.try_index,
        i.duration_ms,
        i.logins
    );
    if let Some(err) = &i.error {
        let _ = writeln!(
            doc,
            "<p><span class=\"badge c-error\">ERROR</span> {}</p>",
            e(err)
        );
    }
    for (n, b) in i.bursts.iter().enumerate() {
        burst_section(doc, n, b);
    }
}

fn badge(class: &str) -> String {
    format!(
        "<span class=\"badge c-{}\">{}</span>",
        class.to_ascii_lowercase(),
        e(class)
    )
}

fn burst_section(doc: &mut String, n: usize, b: &BurstReport) {
    let _ = writeln!(
        doc,
        "<h3>burst {n}: {} operations, checked in {:.1} ms ({} model steps, {} independent parts)</h3>",
        b.history.ops.len(),
        b.check_us as f64 / 1000.0,
        b.model_steps,
        b.parts.len()
    );
    doc.push_str("<ul>\n");
    for g in &b.groups {
        let what: Vec<String> = g.anomalies.iter().map(|a| e(&a.describe())).collect();
        let unknown = g.unknown.as_deref().map(|u| format!(" unknown: {}", e(u)));
        let _ = writeln!(
            doc,
            "<li>{} {} {}{}</li>",
            badge(g.class.name()),
            e(g.kind.name()),
            what.join("; "),
            unknown.unwrap_or_default()
        );
    }
    doc.push_str("</ul>\n");
    lanes(doc, b);
    books(doc, "books before", &b.history.before);
    books(doc, "books after", &b.history.after);
}

/// The position of each operation in the serial order the checker found for its part.
fn positions(b: &BurstReport) -> Vec<Option<usize>> {
    let mut out = vec![None; b.history.ops.len()];
    for part in &b.parts {
        if let Serial::Serializable { order, not_applied } = &part.serial {
            let applied = order.iter().filter(|i| !not_applied.contains(i));
            for (pos, &i) in applied.enumerate() {
                if let Some(slot) = out.get_mut(i) {
                    *slot = Some(pos + 1);
                }
            }
        }
    }
    out
}

/// The time axis: up to the last answer (a request without one runs to the edge), so the
/// overlap stays readable; pushes read after the burst sit at the edge.
fn axis_end(ops: &[Op]) -> f64 {
    let last = ops
        .iter()
        .map(|o| o.complete_us.unwrap_or(o.invoke_us))
        .max()
        .unwrap_or(1)
        .max(1);
    last as f64 * 1.08
}

fn lanes(doc: &mut String, b: &BurstReport) {
    let ops = &b.history.ops;
    let end = axis_end(ops);
    let pct = |us: u64| (us as f64 * 100.0 / end).min(99.6);
    let pos = positions(b);
    let _ = writeln!(
        doc,
        "<div class=\"tl\"><div class=\"lane axis\"><div class=\"who\">0 … {:.1} ms</div><div class=\"track\"></div></div>",
        end / 1000.0
    );
    for (i, op) in ops.iter().enumerate() {
        let (class, label) = outcome(op);
        let left = pct(op.invoke_us);
        let width = match op.complete_us {
            Some(c) => pct(c) - left,
            None => 100.0 - left,
        };
        let order = pos[i].map(|p| format!("#{p} ")).unwrap_or_default();
        let tip = format!(
            "sent at {:.3} ms\n{}\n\nanswered {}\n{}",
            op.invoke_us as f64 / 1000.0,
            op.sent,
            op.complete_us
                .map(|c| format!("at {:.3} ms", c as f64 / 1000.0))
                .unwrap_or_else(|| "never".into()),
            op.reply.as_deref().unwrap_or("")
        );
        let _ = write!(
            doc,
            "<div class=\"lane\"><div class=\"who\">{}</div><div class=\"track\">\
             <div class=\"op {class}\" style=\"left:{left:.2}%;width:{width:.2}%\" title=\"{}\">{}{} {}</div>",
            e(&op.conn),
            e(&tip),
            order,
            e(&op.method),
            e(&label)
        );
        for p in &op.pushes {
            let _ = write!(
                doc,
                "<div class=\"push\" style=\"left:{:.2}%\" title=\"at {:.3} ms: {}\"></div>",
                pct(p.at_us),
                p.at_us as f64 / 1000.0,
                e(&p.text)
            );
        }
        doc.push_str("</div></div>\n");
    }
    doc.push_str("</div>\n");
}

fn outcome(op: &Op) -> (&'static str, String) {
    match &op.outcome {
        OpOutcome::Ok => ("ok", "ok".into()),
        OpOutcome::Error { error } => ("error", error.clone()),
        OpOutcome::Info { why } => ("info", format!("no answer: {why}")),
    }
}

fn books(doc: &mut String, title: &str, books: &Books) {
    let json = serde_json::to_string_pretty(books).unwrap_or_default();
    let _ = writeln!(
        doc,
        "<details><summary>{}</summary><pre>{}</pre></details>",
        e(title),
        e(&json)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::race::exec::GroupVerdict;
    use crate::race::history::{BurstHistory, Push};
    use crate::race::{Kind, RaceClass};

    #[test]
    fn broker_text_is_escaped_and_the_order_is_shown() {
        let hostile = "<script>alert(1)</script>";
        let op = |index, outcome| Op {
            index,
            conn: format!("c{index}<b>"),
            group: String::new(),
            method: "transfer".into(),
            sent: "{\"req\":[1]}".into(),
            invoke_us: 10,
            complete_us: Some(50),
            outcome,
            reply: Some(hostile.into()),
            pushes: vec![Push {
                at_us: 40,
                text: hostile.into(),
            }],
        };
        let burst = BurstReport {
            history: BurstHistory {
                ops: vec![
                    op(0, OpOutcome::Ok),
                    op(
                        1,
                        OpOutcome::Error {
                            error: hostile.into(),
                        },
                    ),
                ],
                before: Books::default(),
                after: Books::default(),
            },
            serial: Serial::Serializable {
                order: vec![1, 0],
                not_applied: vec![],
            },
            parts: vec![crate::race::exec::PartSummary {
                ops: vec![0, 1],
                serial: Serial::Serializable {
                    order: vec![1, 0],
                    not_applied: vec![],
                },
            }],
            model_steps: 2,
            check_us: 10,
            groups: vec![GroupVerdict {
                group: String::new(),
                kind: Kind::OverdrawTransfer,
                class: RaceClass::Pass,
                anomalies: vec![],
                unknown: None,
            }],
        };
        let mut doc = String::new();
        burst_section(&mut doc, 0, &burst);
        assert!(!doc.contains("<script>") && !doc.contains("<b>"));
        assert!(doc.contains("&lt;script&gt;"));
        assert!(doc.contains("#2 transfer") && doc.contains("#1 transfer"));
        assert_eq!(doc.matches("class=\"lane\"").count(), 2);
        assert!(doc.contains("class=\"lane axis\""));
    }
}

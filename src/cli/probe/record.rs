//! What a destructive probe found, as data: a verdict per probe, the figures it measured and a
//! transcript of what went over the wire. `nitrocert probe --out DIR` writes `probes.json`
//! (read back by `nitrocert report quirks --probes`) and `probes.md` (the transcripts).

use crate::wire::parse_frame;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

/// How a broker came out of one probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The broker showed none of the weakness.
    Survived,
    /// The broker did what the digest says it does wrong.
    Vulnerable,
    /// The broker process went away.
    Crashed,
    /// The broker stopped answering other clients and did not come back by itself.
    Hung,
    /// Other clients waited for one slow client, and the broker came back.
    Stalled,
    /// Logins were refused for everyone (FUZZ-3).
    LockedOut,
    /// The probe ran and did not see the weakness where it would show (FUZZ-3).
    NotObserved,
    /// The probe could not get to the point where the weakness shows (the reason is in the
    /// summary): neither a confirmation nor a refutation.
    Inconclusive,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Survived => "survived",
            Verdict::Vulnerable => "vulnerable",
            Verdict::Crashed => "crashed",
            Verdict::Hung => "hung",
            Verdict::Stalled => "stalled",
            Verdict::LockedOut => "locked-out",
            Verdict::NotObserved => "not-observed",
            Verdict::Inconclusive => "inconclusive",
        }
    }

    /// Whether the broker showed the weakness the digest describes (it confirms the finding).
    pub fn shows_weakness(self) -> bool {
        matches!(
            self,
            Verdict::Vulnerable
                | Verdict::Crashed
                | Verdict::Hung
                | Verdict::Stalled
                | Verdict::LockedOut
        )
    }

    /// Whether the broker came through where the weakness would show (it refutes the finding).
    pub fn refutes(self) -> bool {
        matches!(self, Verdict::Survived | Verdict::NotObserved)
    }
}

/// One line of a transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// Milliseconds since the probe started.
    pub t_ms: u64,
    /// `>` sent, `<` received, `·` what the probe observed.
    pub dir: String,
    pub conn: String,
    pub text: String,
}

/// The longest frame text kept in a transcript line (a probe sends 100 MiB frames).
const KEEP_CHARS: usize = 600;

fn shorten(text: &str) -> String {
    if text.len() <= KEEP_CHARS {
        return text.to_string();
    }
    let mut end = KEEP_CHARS;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

/// A transcript being written.
pub struct Transcript {
    start: Instant,
    pub lines: Vec<Line>,
}

impl Default for Transcript {
    fn default() -> Self {
        Self {
            start: Instant::now(),
            lines: Vec::new(),
        }
    }
}

impl Transcript {
    fn push(&mut self, dir: &str, conn: &str, text: &str) {
        self.lines.push(Line {
            t_ms: self.start.elapsed().as_millis() as u64,
            dir: dir.into(),
            conn: conn.into(),
            text: shorten(text),
        });
    }

    pub fn sent(&mut self, conn: &str, text: &str) {
        self.push(">", conn, text);
    }

    pub fn received(&mut self, conn: &str, text: &str) {
        self.push("<", conn, text);
    }

    pub fn note(&mut self, text: impl AsRef<str>) {
        self.push("·", "", text.as_ref());
    }

    pub fn exchange(&mut self, conn: &str, x: &crate::client::Exchange) {
        self.sent(conn, &x.sent);
        self.replies(conn, x);
    }

    /// What came back in an exchange whose frame was logged when it was sent.
    pub fn replies(&mut self, conn: &str, x: &crate::client::Exchange) {
        for n in &x.notifications {
            self.received(conn, &n.text);
        }
        self.received(conn, &x.reply.text);
    }
}

/// One probe's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeResult {
    /// The digest's id: `FUZZ-4`.
    pub id: String,
    /// Which part of a probe with several (`huge-frame`, `slow-reader` of FUZZ-8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    pub verdict: Verdict,
    /// One or two sentences: what was sent and what came back.
    pub summary: String,
    /// What was measured (milliseconds, bytes, counts), by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub figures: BTreeMap<String, serde_json::Value>,
    pub transcript: Vec<Line>,
}

impl ProbeResult {
    pub fn new(id: &str, part: Option<&str>, verdict: Verdict, summary: String) -> Self {
        Self {
            id: id.into(),
            part: part.map(str::to_string),
            verdict,
            summary,
            figures: BTreeMap::new(),
            transcript: Vec::new(),
        }
    }

    pub fn figure(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.figures.insert(name.into(), value.into());
        self
    }

    pub fn with(mut self, transcript: Transcript) -> Self {
        self.transcript = transcript.lines;
        self
    }

    /// `FUZZ-8/slow-reader`, or the id alone.
    pub fn label(&self) -> String {
        match &self.part {
            Some(p) => format!("{}/{p}", self.id),
            None => self.id.clone(),
        }
    }
}

/// A probe run against one broker: what `probes.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeRun {
    pub format: String,
    pub generator: String,
    pub endpoint: String,
    pub started_at: String,
    /// The seed of the probes' fresh identities.
    pub seed: u64,
    pub probes: Vec<ProbeResult>,
}

pub const FORMAT: &str = "nitrocert-probes/1";

/// The transcripts as markdown, one section per probe.
pub fn markdown(run: &ProbeRun) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Destructive probes against {}\n\nGenerated by `nitrocert probe --destructive` ({}, \
         started {}, seed {}). Times are milliseconds since each probe started; `>` sent, `<` \
         received, `·` observed. Frames longer than {KEEP_CHARS} characters are cut.\n",
        run.endpoint, run.generator, run.started_at, run.seed
    );
    let _ = writeln!(out, "| probe | verdict | summary |\n|---|---|---|");
    for p in &run.probes {
        let _ = writeln!(
            out,
            "| [{}](#{}) | **{}** | {} |",
            p.label(),
            anchor(&p.label()),
            p.verdict.name(),
            p.summary.replace('|', "\\|")
        );
    }
    for p in &run.probes {
        let _ = writeln!(
            out,
            "\n## {}\n\n**{}**: {}\n",
            p.label(),
            p.verdict.name(),
            p.summary
        );
        if !p.figures.is_empty() {
            for (k, v) in &p.figures {
                let _ = writeln!(out, "- {k}: {v}");
            }
            out.push('\n');
        }
        let _ = writeln!(out, "```text");
        for l in &p.transcript {
            let conn = if l.conn.is_empty() { "" } else { &l.conn };
            let _ = writeln!(out, "{:>7} {} {:<6} {}", l.t_ms, l.dir, conn, l.text);
        }
        let _ = writeln!(out, "```");
    }
    out
}

/// The markdown anchor of a heading.
pub fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' | '-' => Some(c),
            ' ' => Some('-'),
            _ => None,
        })
        .collect()
}

/// The method and error text of a reply, for summaries: `error: invalid signature`.
pub fn gist(text: &str) -> String {
    match parse_frame(text) {
        Ok(f) => match f.error_message() {
            Some(e) => format!("error `{e}`"),
            None => format!("`{}`", f.method),
        },
        Err(_) => "a frame that is not NitroRPC".into(),
    }
}

/// The per-id notes `nitrocert report quirks` shows: the probes' verdicts and summaries,
/// pointing at the transcripts in `transcripts` (a relative link).
pub fn quirk_notes(run: &ProbeRun, transcripts: &str) -> BTreeMap<String, String> {
    let mut by_id: BTreeMap<String, Vec<&ProbeResult>> = BTreeMap::new();
    for p in &run.probes {
        by_id.entry(p.id.clone()).or_default().push(p);
    }
    by_id
        .into_iter()
        .map(|(id, probes)| {
            let head = if probes.iter().any(|p| p.verdict.shows_weakness()) {
                "**Confirmed**"
            } else if probes.iter().all(|p| p.verdict.refutes()) {
                "**Refuted**"
            } else {
                "**Inconclusive**"
            };
            let parts = probes
                .iter()
                .map(|p| {
                    format!(
                        "[{}]({transcripts}#{}): **{}**, {}.",
                        p.label(),
                        anchor(&p.label()),
                        p.verdict.name(),
                        p.summary.trim_end_matches('.').replace('|', "\\|")
                    )
                })
                .collect::<Vec<_>>()
                .join(" ");
            (
                id,
                format!(
                    "{head} by `nitrocert probe --destructive` ({}). {parts}",
                    run.started_at
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(verdicts: &[(&str, Option<&str>, Verdict)]) -> ProbeRun {
        ProbeRun {
            format: FORMAT.into(),
            generator: "nitrocert test".into(),
            endpoint: "ws://127.0.0.1:1/ws".into(),
            started_at: "2025-01-01T00:00:00Z".into(),
            seed: 1,
            probes: verdicts
                .iter()
                .map(|(id, part, v)| ProbeResult::new(id, *part, *v, "what happened.".into()))
                .collect(),
        }
    }

    #[test]
    fn a_weakness_in_any_part_confirms_the_finding() {
        let r = run(&[
            ("FUZZ-8", Some("huge-frame"), Verdict::Survived),
            ("FUZZ-8", Some("slow-reader"), Verdict::Hung),
            ("FUZZ-6", None, Verdict::Survived),
            ("FUZZ-4", None, Verdict::Inconclusive),
        ]);
        let notes = quirk_notes(&r, "probes.md");
        assert!(
            notes["FUZZ-8"].starts_with("**Confirmed**"),
            "{}",
            notes["FUZZ-8"]
        );
        assert!(notes["FUZZ-8"].contains("(probes.md#fuzz-8slow-reader): **hung**"));
        assert!(notes["FUZZ-6"].starts_with("**Refuted**"));
        assert!(notes["FUZZ-4"].starts_with("**Inconclusive**"));
    }

    #[test]
    fn long_frames_are_cut_in_transcripts() {
        let mut t = Transcript::default();
        t.sent("A", &"é".repeat(1000));
        assert!(t.lines[0].text.ends_with("(2000 bytes in all)"));
        assert!(t.lines[0].text.len() < 700);
    }

    #[test]
    fn the_json_round_trips() {
        let r = run(&[("FUZZ-6", None, Verdict::Vulnerable)]);
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains("\"verdict\":\"vulnerable\""));
        assert_eq!(serde_json::from_str::<ProbeRun>(&text).unwrap(), r);
    }
}

//! `nitrocert diff`: the same cases on two live brokers, compared with each other and never
//! with the model. Each case is replayed on both targets by [`crate::runner::case::run`] (the
//! shadow only plans the bytes to send: signatures, challenges, timestamps); its verdict is
//! ignored. What each broker sent during a step is normalised (request-independent ids, clocks,
//! signatures, session ids, JWTs and challenges) and compared connection by connection; the
//! first step where the two differ ends the comparison, with both transcripts.
//!
//! Normalisation keeps what a client can rely on: the request id of a reply, the method, every
//! field and value of a result, the order of a connection's frames. It drops what two correct
//! brokers may differ in: the broker's signature and clock (`res[3]`), database row ids and
//! times, drawn values (user tags, challenges, JWTs), and the order of rows inside a
//! notification (Clearnode writes them in Go map order, Q-10). Session ids are hashes over the
//! broker's clock, so each is replaced by its order of first appearance in the case.

use crate::model::Profile;
use crate::runner::{case, Target};
use crate::scenario::Books;
use crate::vectors::template::{is_rpc_entry, RPC_ENTRY_ECHOES};
use crate::vectors::Vector;
use crate::verdict::{CaseReport, Class, Direction, StepReport, WireLine};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// Result fields whose values two correct brokers draw or number on their own; compared by
/// presence only.
const VOLATILE: &[&str] = &[
    "created_at",
    "updated_at",
    "jwt_token",
    "challenge_message",
    "id",
    "tag",
    "from_account_tag",
    "to_account_tag",
    "broker_address",
    // A key's expiry is the harness's `expires_at`, written from each broker's own clock (which
    // the harness moves on a controlled broker).
    "expires_at",
];

/// How one case came out.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Every step's frames agree.
    Agree { steps: usize },
    /// Step `step` is the first whose frames differ.
    Diverge { step: usize, why: String },
    /// Not replayable on one of the targets (no clock or channel hook there, …).
    Skip { reason: String },
    /// The harness could not run the case on one side (setup failed, a connection broke):
    /// never counted as the broker's divergence.
    Error { side: char, message: String },
}

/// One case compared, with both transcripts (normalised frames per step) for the report.
#[derive(Debug, Clone, Serialize)]
pub struct CaseDiff {
    pub id: String,
    pub outcome: Outcome,
    #[serde(skip)]
    pub a: Vec<StepReport>,
    #[serde(skip)]
    pub b: Vec<StepReport>,
}

/// Replays `vector` on both targets at once and compares what they sent.
pub async fn diff_case(
    vector: &Vector,
    a: &Target,
    b: &Target,
    profile: Profile,
    seed: u64,
) -> CaseDiff {
    let skip = case::skip_reason(vector, a)
        .map(|r| format!("A: {r}"))
        .or_else(|| case::skip_reason(vector, b).map(|r| format!("B: {r}")));
    if let Some(reason) = skip {
        return CaseDiff {
            id: vector.id.clone(),
            outcome: Outcome::Skip { reason },
            a: vec![],
            b: vec![],
        };
    }
    let ((ra, books_a), (rb, books_b)) = tokio::join!(
        case::run_observed(vector, a, profile, seed),
        case::run_observed(vector, b, profile, seed)
    );
    CaseDiff {
        id: vector.id.clone(),
        outcome: compare(&Run::new(&ra, &books_a), &Run::new(&rb, &books_b)),
        a: ra.steps,
        b: rb.steps,
    }
}

/// The harness error a case report ended with, if it did.
fn harness_error(report: &CaseReport) -> Option<String> {
    let last = report.steps.last()?;
    (last.action == "harness" && last.class == Class::Error).then(|| {
        last.findings
            .first()
            .map(|f| f.message.clone())
            .unwrap_or_default()
    })
}

/// One side's run of a case: its report (the wire log per step) and the books it read back
/// after each completed step.
pub struct Run<'a> {
    pub report: &'a CaseReport,
    pub books: &'a [Books],
}

impl<'a> Run<'a> {
    pub fn new(report: &'a CaseReport, books: &'a [Books]) -> Self {
        Run { report, books }
    }
}

/// The verdict over two runs of one case: no model involved.
pub fn compare(a: &Run, b: &Run) -> Outcome {
    for (side, r) in [('A', a.report), ('B', b.report)] {
        if r.class == Class::Skip {
            let reason = r.note.clone().unwrap_or_default();
            return Outcome::Skip {
                reason: format!("{side}: {reason}"),
            };
        }
    }
    let (mut names_a, mut names_b) = (Names::default(), Names::default());
    let (ea, eb) = (harness_error(a.report), harness_error(b.report));
    let usable = |r: &CaseReport, e: &Option<String>| r.steps.len() - usize::from(e.is_some());
    let common = usable(a.report, &ea).min(usable(b.report, &eb));
    for i in 0..common {
        let fa = frames(&a.report.steps[i].wire, &mut names_a);
        let fb = frames(&b.report.steps[i].wire, &mut names_b);
        if let Some(why) = first_difference(&fa, &fb) {
            return Outcome::Diverge { step: i, why };
        }
        let ba = a.books.get(i).map(|x| normalise_books(x, &mut names_a));
        let bb = b.books.get(i).map(|x| normalise_books(x, &mut names_b));
        if ba != bb {
            let show = |x: Option<String>| x.map_or("(not read)".into(), |t| clip(&t));
            return Outcome::Diverge {
                step: i,
                why: format!("books: A read {} / B read {}", show(ba), show(bb)),
            };
        }
    }
    match (ea, eb) {
        (Some(message), _) => Outcome::Error { side: 'A', message },
        (None, Some(message)) => Outcome::Error { side: 'B', message },
        (None, None) => Outcome::Agree { steps: common },
    }
}

/// The books as comparable text: session ids named by order, sessions in that order.
fn normalise_books(books: &Books, names: &mut Names) -> String {
    let mut sessions: Vec<String> = books
        .sessions
        .iter()
        .map(|s| {
            let text = serde_json::to_string(s).expect("books serialize");
            normalise_text(&text, names)
        })
        .collect();
    sessions.sort();
    let unified = serde_json::to_string(&Books {
        unified: books.unified.clone(),
        sessions: vec![],
    })
    .expect("books serialize");
    format!("{unified} sessions {}", sessions.join(","))
}

/// Session ids in order of first appearance (per transcript).
#[derive(Debug, Default)]
pub struct Names {
    sessions: HashMap<String, usize>,
}

impl Names {
    fn session(&mut self, id: &str) -> String {
        let n = self.sessions.len();
        let k = *self.sessions.entry(id.to_ascii_lowercase()).or_insert(n);
        format!("<session {k}>")
    }
}

/// What the broker sent during one step, normalised, per connection in arrival order.
fn frames(wire: &[WireLine], names: &mut Names) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in wire.iter().filter(|l| l.dir == Direction::Received) {
        let text = normalise_frame(&line.text, names);
        out.entry(line.conn.clone()).or_default().push(text);
    }
    // Pushes between two replies may come in any order (Go map order, Q-10): each run of
    // notifications is compared as a set.
    for list in out.values_mut() {
        let mut start = 0;
        for i in 0..=list.len() {
            if i == list.len() || !list[i].starts_with(PUSH) {
                list[start..i].sort();
                start = i + 1;
            }
        }
    }
    out
}

const PUSH: &str = "push ";

/// One received frame as a comparable text: `push <method> <result>`, or
/// `reply <id> <method> <result>`, or the text itself when it is no broker frame.
pub fn normalise_frame(text: &str, names: &mut Names) -> String {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return format!("text {}", text.trim());
    };
    let res = v.get("res").and_then(Value::as_array);
    let Some([id, method, result, rest @ ..]) = res.map(Vec::as_slice) else {
        return format!("frame {}", normalise_value(&v, false, names));
    };
    let push = id.as_u64() == Some(0);
    let body = normalise_value(result, push, names);
    // A request whose id cannot be read is answered with an id of the broker's choosing: its
    // clock.
    let ts = rest.first().and_then(Value::as_u64);
    let id = match (id.as_u64(), ts) {
        (Some(i), Some(t)) if i.abs_diff(t) < 86_400_000 => "<clock>".to_string(),
        _ => id.to_string(),
    };
    match push {
        true => format!("{PUSH}{method} {body}"),
        false => format!("reply {id} {method} {body}"),
    }
}

/// `v` with volatile fields replaced by a mark, session ids named by order, drawn strings
/// masked; arrays sorted when `unordered` (inside a notification).
fn normalise_value(v: &Value, unordered: bool, names: &mut Names) -> Value {
    match v {
        Value::Object(map) => {
            let mut out = Map::new();
            // A history row echoes the bytes each broker was sent, whose `ts` comes from that
            // broker's own clock.
            let echoes: &[&str] = match is_rpc_entry(map) {
                true => RPC_ENTRY_ECHOES,
                false => &[],
            };
            for (k, x) in map {
                let k_ = k.as_str();
                let value = if VOLATILE.contains(&k_) || echoes.contains(&k_) {
                    Value::String("<volatile>".into())
                } else {
                    normalise_value(x, unordered, names)
                };
                out.insert(k.clone(), value);
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut out: Vec<Value> = items
                .iter()
                .map(|x| normalise_value(x, unordered, names))
                .collect();
            if unordered {
                out.sort_by_key(|x| x.to_string());
            }
            Value::Array(out)
        }
        Value::String(s) => Value::String(normalise_text(s, names)),
        other => other.clone(),
    }
}

/// Session ids (0x + 64 hex digits) named by order, UUIDs, JWTs and clock readings (runs of
/// 12 or more digits, milliseconds since 1970) masked.
fn normalise_text(s: &str, names: &mut Names) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let run = |from: usize, ok: fn(u8) -> bool| b[from..].iter().take_while(|&&c| ok(c)).count();
    while i < b.len() {
        let boundary = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if boundary && b[i..].starts_with(b"0x") && run(i + 2, |c| c.is_ascii_hexdigit()) == 64 {
            out.push_str(&names.session(&s[i..i + 66]));
            i += 66;
        } else if boundary && b[i..].starts_with(b"eyJ") {
            out.push_str("<jwt>");
            i += run(i, |c| {
                c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')
            });
        } else if boundary && is_uuid(&b[i..]) {
            out.push_str("<uuid>");
            i += 36;
        } else if boundary && b[i].is_ascii_digit() && run(i, |c| c.is_ascii_digit()) >= 12 {
            out.push_str("<clock>");
            i += run(i, |c| c.is_ascii_digit());
        } else {
            let c = s[i..].chars().next().expect("on a char boundary");
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

/// Where two steps' frames first differ, in words; `None` when they agree.
fn first_difference(
    a: &BTreeMap<String, Vec<String>>,
    b: &BTreeMap<String, Vec<String>>,
) -> Option<String> {
    let conns: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let none = Vec::new();
    for conn in conns {
        let (fa, fb) = (a.get(conn).unwrap_or(&none), b.get(conn).unwrap_or(&none));
        for k in 0..fa.len().max(fb.len()) {
            let (x, y) = (fa.get(k), fb.get(k));
            if x != y {
                let show = |f: Option<&String>| f.map_or("(nothing)".to_string(), |s| clip(s));
                return Some(format!(
                    "{conn}: frame {k}: A sent {} / B sent {}",
                    show(x),
                    show(y)
                ));
            }
        }
    }
    None
}

fn clip(s: &str) -> String {
    if s.len() <= 400 {
        return s.to_string();
    }
    let end = (0..=400)
        .rev()
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(0);
    format!("{}…", &s[..end])
}

/// Both transcripts up to and including step `upto`, as text.
pub fn transcripts(d: &CaseDiff, upto: usize) -> String {
    let mut out = String::new();
    for (side, steps) in [("A", &d.a), ("B", &d.b)] {
        out.push_str(&format!("  --- {side} ---\n"));
        for s in steps.iter().take(upto + 1) {
            out.push_str(&format!("  step {} {} ({})\n", s.index, s.action, s.conn));
            for line in &s.wire {
                let text: String = line.text.chars().take(600).collect();
                out.push_str(&format!(
                    "    {} {} {}\n",
                    line.dir.arrow(),
                    line.conn,
                    text
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;

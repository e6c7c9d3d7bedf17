//! Placeholders of `nitrocert-vector/2`: everything in a vector that depends on who runs it
//! (the identities' addresses, the session ids they determine, the broker clock, what the
//! broker chooses) is written as `${…}`, so that a replayer with fresh keys, any clock, a
//! keccak256 and a secp256k1 signer rebuilds every frame and every expectation from the file.
//!
//! | placeholder | value |
//! |---|---|
//! | `${A}` | the address of identity `A` (EIP-55, `0x`) |
//! | `${session:N}` | the `app_session_id` of the definition step `N` sends: `0x` + hex of keccak256 of that step's `session_definition` (its placeholders filled; AS-ID) |
//! | `${now_ms}`, `${now_ms-61000}` | the broker clock (Unix ms) when the step's frame is built, plus an offset |
//! | `${now_s+86400}` | the same clock in whole seconds (rounded down), plus an offset |
//! | `${result:N.member}` | a broker-chosen member of the result of the reply to step `N`, as the broker sent it (the JWT a later `auth_verify` carries, a user tag) |
//! | `${recovered:K}` | the address `sig[K]` of the step's frame recovers to over keccak256 of its `req` (a signature over other bytes names a stranger) |
//! | `${expires_at:REF}` | the `expires_at` (Unix s) that handshake `REF` proposed: a setup connection's name, or the index of the step (`authenticate`, `auth_request`) |
//! | `${broker}` | expectations only: a value the broker chooses (times, tokens, row ids, tags); it must be present, any value passes |
//!
//! Modifiers follow `|`: `lower` and `upper` (the hex digits' case, `0x` kept), `mixed` (the
//! case of the first letter among the hex digits flipped), `bare` (no `0x`), `rfc3339` (Unix
//! seconds as `2006-01-02T15:04:05Z`).
//!
//! [`Names`] fills a template ([`Names::fill`]) and turns what the model produced back into one
//! ([`Names::abstracted`]). The filler records the latter; the file replayer and certify check
//! that the model, given the frames a template makes with *their* names, expects exactly what
//! the file says.

use super::format::{Expect, Response};
use crate::crypto::{keccak256, to_hex};
use crate::model::clock::rfc3339_secs;
use crate::scenario::shadow::Expiry;
use crate::scenario::Reply;
use serde_json::{Map, Value};

/// The marker of a value the broker chooses.
pub const BROKER: &str = "${broker}";

/// Result and push members whose values are the broker's own: its clock (`created_at`,
/// `updated_at`), its randomness and tokens (`jwt_token`, `challenge_message`), its database's
/// row ids (`id`), the user tags it draws (`tag`, `from_account_tag`, `to_account_tag`, API-11),
/// and the ids its channel hook gives (`channel_id`).
pub const BROKER_CHOSEN: &[&str] = &[
    "created_at",
    "updated_at",
    "jwt_token",
    "challenge_message",
    "id",
    "tag",
    "from_account_tag",
    "to_account_tag",
    "channel_id",
];

/// Members of a `get_rpc_history` entry that echo an earlier request's bytes as the broker
/// stored them: its `ts` (a run's clock when that step was sent, which no placeholder of the
/// current step names), its signatures over those bytes, and the reply text with its own `ts`.
/// They differ in every run, so a file marks them [`BROKER`]; the live diff still compares
/// them exactly against the shadow's record of what was sent (API-10).
pub const RPC_ENTRY_ECHOES: &[&str] = &["timestamp", "req_sig", "res_sig", "response"];

/// Whether `map` is one entry of `get_rpc_history`'s `rpc_entries`.
pub fn is_rpc_entry(map: &Map<String, Value>) -> bool {
    map.contains_key("req_id") && map.contains_key("req_sig")
}

/// What a template's placeholders stand for in one run of a case.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Identity name → EIP-55 address.
    pub identities: Vec<(String, String)>,
    /// Step index → `app_session_id` (`0x` + lower-case hex) of the definition it sends.
    pub sessions: Vec<(usize, String)>,
    /// Broker-chosen values of earlier replies, which later frames carry.
    pub results: Vec<Capture>,
    /// Who each `sig` entry of the step's frame recovers to over its `req` (`None`: nobody),
    /// for texts naming a signer that is no identity (a signature over other bytes).
    pub recovered: Vec<Option<String>>,
    /// The `auth_request` expiries proposed so far.
    pub expiries: Vec<Expiry>,
    /// The broker clock of the step (Unix ms).
    pub now_ms: u64,
}

/// A broker-chosen member of a step's reply (a JWT, a user tag) that a later frame carries:
/// `${result:N.member}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    pub step: usize,
    pub member: String,
    pub value: String,
}

impl Capture {
    /// The members of a successful reply that later frames may carry: broker-chosen strings
    /// other than times, long enough not to occur by chance.
    pub fn of_reply(step: usize, reply: &Reply) -> Vec<Capture> {
        let Reply::Ok { result, .. } = reply else {
            return vec![];
        };
        Self::of_result(step, result)
    }

    /// The same from a reply's result as a broker sent it.
    pub fn of_result(step: usize, result: &Value) -> Vec<Capture> {
        let Some(members) = result.as_object() else {
            return vec![];
        };
        members
            .iter()
            .filter(|(k, _)| BROKER_CHOSEN.contains(&k.as_str()) && !k.ends_with("_at"))
            .filter_map(|(k, v)| {
                let value = v.as_str().filter(|v| v.len() >= 6)?;
                Some(Capture {
                    step,
                    member: k.clone(),
                    value: value.to_string(),
                })
            })
            .collect()
    }
}

/// A template that cannot be filled: it names what this run does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("placeholder ${{{0}}}: {1}")]
pub struct TemplateError(pub String, pub String);

impl Names {
    /// `template` with every placeholder filled (`${broker}` is kept: it is matched, not sent).
    pub fn fill(&self, template: &str) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(open) = rest.find("${") {
            out.push_str(&rest[..open]);
            let tail = &rest[open + 2..];
            let close = tail
                .find('}')
                .ok_or_else(|| TemplateError(tail.to_string(), "no closing brace".into()))?;
            let inner = &tail[..close];
            match inner {
                "broker" => out.push_str(BROKER),
                _ => out.push_str(&self.value(inner)?),
            }
            rest = &tail[close + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Every string of `value` filled.
    pub fn fill_json(&self, value: &Value) -> Result<Value, TemplateError> {
        Ok(match value {
            Value::String(s) => Value::String(self.fill(s)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.fill_json(v))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    out.insert(k.clone(), self.fill_json(v)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    /// The value of one placeholder (`inner` is what stands between `${` and `}`).
    fn value(&self, inner: &str) -> Result<String, TemplateError> {
        let fail = |why: &str| TemplateError(inner.to_string(), why.to_string());
        let mut parts = inner.split('|');
        let head = parts.next().unwrap_or_default();
        let mut value = if let Some(n) = head.strip_prefix("session:") {
            let step: usize = n.parse().map_err(|_| fail("not a step index"))?;
            self.sessions
                .iter()
                .find(|(s, _)| *s == step)
                .map(|(_, id)| id.clone())
                .ok_or_else(|| fail("that step defines no session"))?
        } else if let Some(reference) = head.strip_prefix("result:") {
            let (step, member) = reference
                .split_once('.')
                .ok_or_else(|| fail("not STEP.MEMBER"))?;
            self.results
                .iter()
                .find(|c| c.step.to_string() == step && c.member == member)
                .map(|c| c.value.clone())
                .ok_or_else(|| fail("that step's reply has no such member"))?
        } else if let Some(k) = head.strip_prefix("recovered:") {
            let k: usize = k.parse().map_err(|_| fail("not a sig index"))?;
            self.recovered
                .get(k)
                .cloned()
                .flatten()
                .ok_or_else(|| fail("that sig entry recovers to no address"))?
        } else if let Some(reference) = head.strip_prefix("expires_at:") {
            self.expiries
                .iter()
                .find(|e| e.reference == reference)
                .map(|e| e.secs.to_string())
                .ok_or_else(|| fail("no handshake of that name proposed an expiry"))?
        } else if let Some(offset) = clock_offset(head, "now_ms") {
            (self.now_ms as i128 + offset?).to_string()
        } else if let Some(offset) = clock_offset(head, "now_s") {
            ((self.now_ms / 1000) as i128 + offset?).to_string()
        } else {
            self.address(head).ok_or_else(|| fail("no such identity"))?
        };
        for modifier in parts {
            value = modify(&value, modifier).ok_or_else(|| fail("unknown modifier"))?;
        }
        Ok(value)
    }

    fn address(&self, name: &str) -> Option<String> {
        self.identities
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a.clone())
    }

    /// `text` with every identity address, session id and captured value written as a
    /// placeholder.
    pub fn abstracted(&self, text: &str) -> String {
        let text = &self.captured(text);
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < text.len() {
            let boundary = i == 0 || !text.as_bytes()[i - 1].is_ascii_alphanumeric();
            if boundary {
                if let Some((len, placeholder)) = self.hex_at(&text[i..]) {
                    out.push_str(&placeholder);
                    i += len;
                    continue;
                }
            }
            let c = text[i..].chars().next().expect("inside the text");
            out.push(c);
            i += c.len_utf8();
        }
        out
    }

    /// `text` with every captured value (as sent, or in lower or upper case) as a placeholder.
    fn captured(&self, text: &str) -> String {
        let mut out = text.to_string();
        for c in &self.results {
            let name = format!("result:{}.{}", c.step, c.member);
            let spellings = [
                (c.value.clone(), ""),
                (c.value.to_ascii_lowercase(), "|lower"),
                (c.value.to_ascii_uppercase(), "|upper"),
            ];
            for (spelling, modifier) in spellings {
                if out.contains(&spelling) {
                    out = out.replace(&spelling, &format!("${{{name}{modifier}}}"));
                }
            }
        }
        out
    }

    /// A placeholder for the address or session id that `text` starts with (with or without
    /// `0x`, followed by no letter or digit), and its length.
    fn hex_at(&self, text: &str) -> Option<(usize, String)> {
        // `0X` (a respelled address, fidelity) is kept as a literal before a bare placeholder.
        let (prefix, digits, literal) = match (text.strip_prefix("0x"), text.strip_prefix("0X")) {
            (Some(rest), _) => (2, rest, ""),
            (None, Some(rest)) => (2, rest, "0X"),
            (None, None) => (0, text, ""),
        };
        let len = digits.bytes().take_while(|b| b.is_ascii_hexdigit()).count();
        if digits
            .as_bytes()
            .get(len)
            .is_some_and(u8::is_ascii_alphanumeric)
        {
            return None;
        }
        let run = &digits[..len];
        let (name, canonical) = match len {
            40 => {
                let identity = self
                    .identities
                    .iter()
                    .find(|(_, a)| a[2..].eq_ignore_ascii_case(run))
                    .map(|(n, a)| (n.clone(), a[2..].to_string()));
                let recovered = || {
                    let mut signers = self.recovered.iter().enumerate();
                    signers.find_map(|(k, a)| match a {
                        Some(a) if a[2..].eq_ignore_ascii_case(run) => {
                            Some((format!("recovered:{k}"), a[2..].to_string()))
                        }
                        _ => None,
                    })
                };
                identity.or_else(recovered)?
            }
            64 => self
                .sessions
                .iter()
                .find(|(_, id)| id[2..].eq_ignore_ascii_case(run))
                .map(|(step, id)| (format!("session:{step}"), id[2..].to_string()))?,
            _ => return None,
        };
        let case = if run == canonical {
            ""
        } else if run == canonical.to_ascii_lowercase() {
            "|lower"
        } else if run == canonical.to_ascii_uppercase() {
            "|upper"
        } else if run == first_letter_flipped(&canonical) {
            "|mixed"
        } else {
            return None;
        };
        let mut placeholder = format!("{literal}${{{name}{case}");
        if prefix == 0 || !literal.is_empty() {
            placeholder.push_str("|bare");
        }
        placeholder.push('}');
        Some((prefix + len, placeholder))
    }

    /// An expectation's JSON (a result or a push's params) as a template: broker-chosen
    /// members become [`BROKER`], a session key's `expires_at` names the handshake that
    /// proposed it, and every other string is [`Names::abstracted`].
    pub fn abstracted_json(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.abstracted(s)),
            Value::Array(items) => items.iter().map(|v| self.abstracted_json(v)).collect(),
            Value::Object(map) => {
                let mut out = Map::new();
                let echoes: &[&str] = if is_rpc_entry(map) {
                    RPC_ENTRY_ECHOES
                } else {
                    &[]
                };
                for (k, v) in map {
                    let chosen = BROKER_CHOSEN.contains(&k.as_str());
                    let member = if chosen || echoes.contains(&k.as_str()) {
                        Value::String(BROKER.into())
                    } else if k == "expires_at" && v.is_string() {
                        self.expiry_of(map, v)
                    } else {
                        self.abstracted_json(v)
                    };
                    out.insert(k.clone(), member);
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }

    /// A session key row's `expires_at` (RFC 3339): the earliest handshake that proposed that
    /// time for that key (a key keeps its first expiry, SK-7), else for any key.
    fn expiry_of(&self, row: &Map<String, Value>, value: &Value) -> Value {
        let text = value.as_str().unwrap_or_default();
        let key = row["session_key"].as_str().unwrap_or_default();
        let key_name = self
            .identities
            .iter()
            .find(|(_, a)| a.eq_ignore_ascii_case(key))
            .map(|(n, _)| n.as_str());
        let same_time = |e: &&Expiry| rfc3339_secs(e.secs) == text;
        let found = self
            .expiries
            .iter()
            .filter(same_time)
            .find(|e| Some(e.session_key.as_str()) == key_name)
            .or_else(|| self.expiries.iter().find(same_time));
        match found {
            Some(e) => Value::String(format!("${{expires_at:{}|rfc3339}}", e.reference)),
            None => Value::String(self.abstracted(text)),
        }
    }

    /// A `req` text as a template: its `ts` (the last element, the clock plus `ts_offset_ms`)
    /// becomes `${now_ms±K}`, an `auth_request`'s `expires_at` becomes `${now_s±K}`, and
    /// addresses and session ids become names. `None` when the last element is not that `ts`.
    pub fn abstracted_req(&self, req: &str, ts_offset_ms: i64) -> Option<String> {
        // Only an offset that fills back exactly (no clamping at 0 or u64::MAX) is a template.
        let exact = self.now_ms as i128 + ts_offset_ms as i128;
        if exact < 0 || exact > u64::MAX as i128 {
            return None;
        }
        let ts = crate::scenario::action::offset(self.now_ms, ts_offset_ms);
        let head = req.trim_end().strip_suffix(']')?.trim_end();
        let body = head.strip_suffix(&ts.to_string())?;
        let tail = &req[head.len()..];
        let mut out = self.abstracted(body);
        let method = out.split_once(',').map(|(_, rest)| rest.trim_start());
        if method.is_some_and(|m| m.starts_with("\"auth_request\"")) {
            out = self.relative_expiry(&out);
        }
        out.push_str(&format!("${{{}}}", with_offset("now_ms", ts_offset_ms)));
        out.push_str(tail);
        Some(out)
    }

    /// `"expires_at":<seconds>` of an `auth_request` as an offset from the clock.
    fn relative_expiry(&self, text: &str) -> String {
        const KEY: &str = "\"expires_at\":";
        let Some(at) = text.find(KEY) else {
            return text.to_string();
        };
        let start = at + KEY.len();
        let digits = text[start..].bytes().take_while(u8::is_ascii_digit).count();
        let Ok(secs) = text[start..start + digits].parse::<i128>() else {
            return text.to_string();
        };
        // An absolute edge is a literal on purpose, a fidelity mutation's value kept as
        // written: 0, or further from the clock than any key lifetime (past 2^32 s: 2^53 + 1,
        // where a double loses the last digit, i64::MAX, u64::MAX), whose meaning would shift
        // with the run's clock.
        let offset = secs - (self.now_ms / 1000) as i128;
        if secs == 0 || offset.unsigned_abs() > u32::MAX as u128 {
            return text.to_string();
        }
        let offset = offset as i64;
        format!(
            "{}${{{}}}{}",
            &text[..start],
            with_offset("now_s", offset),
            &text[start + digits..]
        )
    }
}

impl Names {
    /// An expectation as a template (see [`Names::abstracted_json`]); books name wallets
    /// already, their session ids become placeholders.
    pub fn abstracted_expect(&self, e: &Expect) -> Expect {
        // Sets whose order follows the names (sorted texts, sessions sorted by id) are sorted
        // by their templates, so that every run writes them alike.
        let texts = |t: &[String]| {
            let mut t: Vec<String> = t.iter().map(|t| self.abstracted(t)).collect();
            t.sort();
            t
        };
        let response = match &e.response {
            Response::Ok { method, result } => Response::Ok {
                method: method.clone(),
                result: self.abstracted_json(result),
            },
            Response::Error {
                one_of,
                prefixes,
                any_text,
                rule,
            } => Response::Error {
                one_of: texts(one_of),
                prefixes: texts(prefixes),
                any_text: *any_text,
                rule: rule.clone(),
            },
            other => other.clone(),
        };
        let mut out = Expect {
            response,
            notifications: e.notifications.clone(),
            state: e.state.clone(),
        };
        for push in &mut out.notifications {
            push.params = self.abstracted_json(&push.params);
        }
        for session in &mut out.state.sessions {
            session.app_session_id = self.abstracted(&session.app_session_id);
        }
        out.state
            .sessions
            .sort_by(|a, b| a.app_session_id.cmp(&b.app_session_id));
        out
    }

    /// An expectation template filled in (`${broker}` kept as the marker).
    pub fn fill_expect(&self, e: &Expect) -> Result<Expect, TemplateError> {
        let texts = |t: &[String]| t.iter().map(|t| self.fill(t)).collect::<Result<_, _>>();
        let response = match &e.response {
            Response::Ok { method, result } => Response::Ok {
                method: method.clone(),
                result: self.fill_json(result)?,
            },
            Response::Error {
                one_of,
                prefixes,
                any_text,
                rule,
            } => Response::Error {
                one_of: texts(one_of)?,
                prefixes: texts(prefixes)?,
                any_text: *any_text,
                rule: rule.clone(),
            },
            other => other.clone(),
        };
        let mut out = Expect {
            response,
            notifications: e.notifications.clone(),
            state: e.state.clone(),
        };
        for push in &mut out.notifications {
            push.params = self.fill_json(&push.params)?;
        }
        for session in &mut out.state.sessions {
            session.app_session_id = self.fill(&session.app_session_id)?;
        }
        Ok(out)
    }
}

/// An identity name a placeholder can spell: letters, digits, `.`, `_`, `-`, and none of the
/// placeholder keywords.
pub fn check_name(name: &str) -> Result<(), String> {
    let spelled = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    let keyword = name == "broker" || name.starts_with("now_");
    if spelled && !keyword {
        Ok(())
    } else {
        Err(format!(
            "{name:?} cannot be an identity name in a vector (placeholders spell it)"
        ))
    }
}

/// `now_ms`, `now_ms+5`, `now_ms-61000`.
fn with_offset(clock: &str, offset: i64) -> String {
    match offset {
        0 => clock.to_string(),
        o if o > 0 => format!("{clock}+{o}"),
        o => format!("{clock}{o}"),
    }
}

/// The offset of a clock placeholder `head` (`now_ms`, `now_ms+K`, `now_ms-K`), if it is one.
fn clock_offset(head: &str, clock: &str) -> Option<Result<i128, TemplateError>> {
    let rest = head.strip_prefix(clock)?;
    if rest.is_empty() {
        return Some(Ok(0));
    }
    if !rest.starts_with(['+', '-']) {
        return None;
    }
    Some(
        rest.parse::<i128>()
            .map_err(|_| TemplateError(head.to_string(), "not a clock offset".into())),
    )
}

fn modify(value: &str, modifier: &str) -> Option<String> {
    let hex = |f: fn(&str) -> String| match value.strip_prefix("0x") {
        Some(digits) => format!("0x{}", f(digits)),
        None => f(value),
    };
    Some(match modifier {
        "lower" => hex(str::to_ascii_lowercase),
        "upper" => hex(str::to_ascii_uppercase),
        "mixed" => hex(first_letter_flipped),
        "bare" => value.strip_prefix("0x").unwrap_or(value).to_string(),
        "rfc3339" => rfc3339_secs(value.parse().ok()?),
        _ => return None,
    })
}

/// `digits` with the case of its first letter flipped: a mixed-case spelling of a hex id
/// (fidelity's `hex-spelling`) that names the same value in every run.
fn first_letter_flipped(digits: &str) -> String {
    let mut out = digits.to_string();
    if let Some(at) = digits.find(|c: char| c.is_ascii_alphabetic()) {
        let c = digits.as_bytes()[at];
        let flipped = match c.is_ascii_uppercase() {
            true => c.to_ascii_lowercase(),
            false => c.to_ascii_uppercase(),
        };
        out.replace_range(at..=at, &(flipped as char).to_string());
    }
    out
}

/// Who each `sig` entry of a frame recovers to over its `req` (see [`Names::recovered`]).
pub fn recovered_of(frame_text: &str) -> Vec<Option<String>> {
    crate::wire::parse_frame(frame_text)
        .map(|f| f.signers().into_iter().map(Result::ok).collect())
        .unwrap_or_default()
}

/// The `app_session_id` of a session definition's bytes (AS-ID-1): `0x` + hex of keccak256.
pub fn session_id_of(definition_bytes: &str) -> String {
    to_hex(keccak256(definition_bytes.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0xE1b4d6177b561A4fAE72F3aebF14EF2A73179f09";
    const FRESH: &str = "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf";

    fn names(address: &str, now_ms: u64) -> Names {
        let sid = session_id_of(&format!("{{\"participants\":[\"{address}\"]}}"));
        Names {
            identities: vec![("A".into(), address.into())],
            sessions: vec![(0, sid)],
            results: vec![],
            recovered: vec![],
            expiries: vec![Expiry {
                reference: "A".into(),
                secs: now_ms / 1000 + 60,
                session_key: "A".into(),
            }],
            now_ms,
        }
    }

    #[test]
    fn every_spelling_of_an_address_and_a_session_id_becomes_a_name() {
        let n = names(A, 1_700_000_000_000);
        let sid = n.sessions[0].1.clone();
        let text = format!(
            "to {A} {} {} {} id {sid} {}",
            A.to_lowercase(),
            &A[2..],
            A.to_uppercase().replace("0X", "0x"),
            sid.to_uppercase().replace("0X", "0x")
        );
        let template = n.abstracted(&text);
        assert_eq!(
            template,
            "to ${A} ${A|lower} ${A|bare} ${A|upper} id ${session:0} ${session:0|upper}"
        );
        assert_eq!(n.fill(&template).unwrap(), text);
        // Another run fills its own names in.
        let other = names(FRESH, 1_800_000_000_000);
        let filled = other.fill(&template).unwrap();
        assert!(filled.contains(FRESH) && !filled.to_lowercase().contains(&A[2..].to_lowercase()));
        // A mixed-case session id (its first letter's case flipped) stays one in another run.
        let mixed = format!("0x{}", first_letter_flipped(&sid[2..]));
        let template = n.abstracted(&mixed);
        assert_eq!(template, "${session:0|mixed}");
        assert_eq!(n.fill(&template).unwrap(), mixed);
        let theirs = other.fill(&template).unwrap();
        assert_eq!(
            theirs,
            format!("0x{}", first_letter_flipped(&other.sessions[0].1[2..]))
        );
        assert_ne!(theirs, other.sessions[0].1);
        // Hex inside a longer run is no address.
        let longer = format!("{}00", &A[2..]);
        assert_eq!(n.abstracted(&longer), longer);
    }

    #[test]
    fn a_req_names_its_clock_and_an_auth_request_its_expiry() {
        let n = names(A, 1_700_000_001_000);
        let req = format!(
            "[3,\"auth_request\",{{\"address\":\"{A}\",\"expires_at\":1700086400}},1699999940000]"
        );
        let template = n.abstracted_req(&req, -61_000).unwrap();
        assert_eq!(
            template,
            "[3,\"auth_request\",{\"address\":\"${A}\",\"expires_at\":${now_s+86399}},${now_ms-61000}]"
        );
        assert_eq!(n.fill(&template).unwrap(), req);
        // The ts must be where the offset says.
        assert_eq!(n.abstracted_req(&req, 0), None);
    }

    #[test]
    fn an_expiry_past_any_key_lifetime_stays_literal() {
        // 2^53 + 1 s is an edge of the value itself (a double drops its last digit): moved by
        // another run's clock it would be a different edge, so it is kept as written.
        let n = names(A, 1_700_000_011_000);
        for edge in [
            "9007199254740993",
            "9223372036854775807",
            "18446744073709551615",
            "0",
        ] {
            let req = format!(
                "[6,\"auth_request\",{{\"address\":\"{A}\",\"expires_at\":{edge}}},1700000011000]"
            );
            let template = n.abstracted_req(&req, 0).unwrap();
            assert!(
                template.contains(&format!("\"expires_at\":{edge}}}")),
                "{template}"
            );
        }
        // A lifetime of 2^32 - 1 s (the longest the generator gives) is still relative.
        let req = format!(
            "[6,\"auth_request\",{{\"address\":\"{A}\",\"expires_at\":{}}},1700000011000]",
            1_700_000_011u64 + u32::MAX as u64
        );
        let template = n.abstracted_req(&req, 0).unwrap();
        assert!(template.contains("${now_s+4294967295}"), "{template}");
    }

    #[test]
    fn an_rpc_history_entry_marks_the_bytes_it_echoes() {
        let n = names(A, 1_700_000_000_000);
        let entry = serde_json::json!({
            "sender": A, "req_id": 4, "method": "transfer", "params": "{}",
            "timestamp": 1_699_999_999_000u64, "req_sig": ["0xab"], "res_sig": ["0xab"],
            "response": "[4,\"transfer\",{},1699999999000]",
        });
        assert_eq!(
            n.abstracted_json(&entry),
            serde_json::json!({
                "sender": "${A}", "req_id": 4, "method": "transfer", "params": "{}",
                "timestamp": BROKER, "req_sig": BROKER, "res_sig": BROKER, "response": BROKER,
            })
        );
        // Elsewhere these member names are compared as they are.
        let other = serde_json::json!({"timestamp": 5, "response": "x"});
        assert_eq!(n.abstracted_json(&other), other);
    }

    #[test]
    fn broker_values_are_marked_and_expiries_name_their_handshake() {
        let n = names(A, 1_700_000_000_000);
        let row = serde_json::json!({
            "id": 7, "session_key": A, "created_at": "x",
            "expires_at": rfc3339_secs(1_700_000_060),
        });
        let template = n.abstracted_json(&row);
        assert_eq!(
            template,
            serde_json::json!({
                "id": BROKER, "session_key": "${A}", "created_at": BROKER,
                "expires_at": "${expires_at:A|rfc3339}",
            })
        );
        let filled = n.fill_json(&template).unwrap();
        assert_eq!(filled["expires_at"], row["expires_at"]);
        assert_eq!(filled["id"], BROKER);
    }

    #[test]
    fn a_template_naming_what_the_run_lacks_is_an_error() {
        let n = names(A, 0);
        assert!(n.fill("${B}").is_err());
        assert!(n.fill("${session:3}").is_err());
        assert!(n.fill("${A|sideways}").is_err());
        assert!(n.fill("${now_ms+x}").is_err());
        assert_eq!(n.fill("${now_ms+5}").unwrap(), "5");
        assert_eq!(n.fill("{\"a\":{}}").unwrap(), "{\"a\":{}}");
    }
}

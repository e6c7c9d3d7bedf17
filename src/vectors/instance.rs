//! A vector played with a run's own names: the one reading of a file step, shared by the file
//! replayer and certify, and its inverse, shared by the filler. [`Instance::action`] fills a
//! step's templates (this run's addresses, the session ids they determine, the broker clock)
//! into a scenario action; [`Instance::check`] proves that the model, given exactly those
//! bytes, expects what the file says. [`record`] turns what the filler planned into the file's
//! templates.

use super::build::definition_bytes;
use super::format::{Action as FileAction, Expect, Response, SigSpec, Vector};
use super::template::{recovered_of, session_id_of, Capture, Names, BROKER};
use crate::model::Profile;
use crate::scenario::{Action, Outgoing, Planned, RawTemplate, Reply, Shadow};
use crate::wire::members::{array_elements, read_top_level, TopLevel};
use crate::wire::parse_frame;
use serde_json::Value;

/// A vector's names in one run: who its identities are, and the sessions its steps defined.
#[derive(Debug, Default)]
pub struct Instance {
    identities: Vec<(String, String)>,
    sessions: Vec<(usize, String)>,
    /// Broker-chosen values of the replies the model planned (what the planned frames carry).
    results: Vec<Capture>,
    /// The same values as the broker under test sent them (what the frames sent to it carry).
    live_results: Vec<Capture>,
}

impl Instance {
    /// The file's own identities.
    pub fn exact(vector: &Vector) -> Self {
        Self::renamed(vector, |name| {
            let identity = vector.setup.identities.iter().find(|i| i.name == name);
            identity.map(|i| i.address.clone())
        })
    }

    /// The file's identities renamed: `address(name)` is the new address of identity `name`.
    pub fn renamed(vector: &Vector, address: impl Fn(&str) -> Option<String>) -> Self {
        let identities = vector
            .setup
            .identities
            .iter()
            .filter_map(|i| address(&i.name).map(|a| (i.name.clone(), a)))
            .collect();
        Self {
            identities,
            ..Self::default()
        }
    }

    /// Keeps the broker-chosen values of the reply the model planned for step `index`.
    pub fn capture(&mut self, index: usize, planned: &Reply) {
        self.results.extend(Capture::of_reply(index, planned));
    }

    /// Keeps the broker-chosen values of the reply the broker under test sent for step `index`.
    pub fn capture_live(&mut self, index: usize, result: &Value) {
        self.live_results.extend(Capture::of_result(index, result));
    }

    /// Step `index` with the values the broker under test chose (see [`Instance::capture_live`])
    /// where [`Instance::action`] puts the model's; `None` when the step carries none.
    pub fn live_action(
        &mut self,
        vector: &Vector,
        index: usize,
        shadow: &Shadow,
    ) -> Result<Option<Action>, String> {
        if !vector.steps[index].action.names_results() {
            return Ok(None);
        }
        std::mem::swap(&mut self.results, &mut self.live_results);
        let action = self.action(vector, index, shadow);
        std::mem::swap(&mut self.results, &mut self.live_results);
        action.map(Some)
    }

    /// What the placeholders stand for now, beside `shadow` (its clock and the expiries its
    /// handshakes proposed).
    pub fn names(&self, shadow: &Shadow) -> Names {
        Names {
            identities: self.identities.clone(),
            sessions: self.sessions.clone(),
            results: self.results.clone(),
            recovered: Vec::new(),
            expiries: shadow.expiries().to_vec(),
            now_ms: shadow.now_ms(),
        }
    }

    /// The action of step `index` of `vector`, its templates filled at the shadow's clock;
    /// `Err` says what in the file cannot be filled.
    pub fn action(
        &mut self,
        vector: &Vector,
        index: usize,
        shadow: &Shadow,
    ) -> Result<Action, String> {
        let step = &vector.steps[index];
        if let Some(definition) = step.action.session_definition() {
            let bytes = self
                .names(shadow)
                .fill(definition)
                .map_err(|e| e.to_string())?;
            let id = session_id_of(&bytes);
            if !self.sessions.iter().any(|(_, known)| *known == id) {
                self.sessions.push((index, id));
            }
        }
        let names = self.names(shadow);
        let fill = |t: &str| names.fill(t).map_err(|e| format!("step {index}: {e}"));
        let conn = step.conn.clone();
        Ok(match &step.action {
            FileAction::Request {
                method,
                signers,
                req,
                ..
            } => Action::Signed {
                conn,
                method: method.clone(),
                req: fill(req)?,
                signers: signers.clone(),
            },
            FileAction::Frame { req, sig, .. } => {
                let mut sig = sig.clone();
                for spec in &mut sig {
                    if let SigSpec::OverOther { bytes, .. } = spec {
                        *bytes = fill(bytes)?;
                    }
                }
                let template = RawTemplate {
                    req: fill(req)?,
                    ts_offset_ms: 0,
                    sig,
                    resend_step: None,
                };
                Action::Template { conn, template }
            }
            FileAction::Raw { text } => Action::Raw {
                conn,
                text: fill(text)?,
            },
            FileAction::Resend { step } => {
                let template = RawTemplate {
                    req: String::new(),
                    ts_offset_ms: 0,
                    sig: vec![],
                    resend_step: Some(*step),
                };
                Action::Template { conn, template }
            }
            FileAction::Authenticate(auth) => Action::Authenticate {
                conn,
                auth: auth.clone(),
            },
            FileAction::AuthVerify(spec) => Action::AuthVerify {
                conn,
                spec: spec.clone(),
            },
            FileAction::Channel {
                wallet,
                status,
                amount,
            } => Action::Channel {
                wallet: wallet.clone(),
                status: *status,
                amount: amount.clone(),
            },
        })
    }

    /// Whether the model, beside `shadow` and given the bytes [`Instance::action`] made for
    /// step `index`, expects under `profile` exactly what the file says: its expectation read
    /// with this run's names (pushes to the file's connections only). `Err` shows both.
    pub fn check(
        &self,
        vector: &Vector,
        index: usize,
        profile: Profile,
        planned: &Planned,
        shadow: &Shadow,
    ) -> Result<(), String> {
        let step = &vector.steps[index];
        let mut names = self.names(shadow);
        names.recovered = recovered_from(&planned.outgoing);
        let mut got = names.abstracted_expect(&Expect::from(&planned.expect));
        // Pushes to connections the file does not have (a live run's observers, which read
        // the books) are the harness's, not the vector's.
        let conns = &vector.setup.connections;
        got.notifications
            .retain(|n| conns.iter().any(|c| c.name == n.conn));
        // An observer also gives its wallet a user record, so a reply may name a tag the
        // filler's recipient had not: broker-chosen members are compared by the live diff.
        let want = vector
            .expectation(step, profile.name())
            .map(without_broker_members);
        let got = without_broker_members(&got);
        match want.as_ref() {
            None => Err(format!("step {index}: no expectation for {profile}")),
            Some(want) if *want != got => Err(format!(
                "step {index} ({profile}): for this run's names the model expects\n  {}\nbut the file says\n  {}",
                serde_json::to_string(&got).unwrap_or_default(),
                serde_json::to_string(want).unwrap_or_default()
            )),
            Some(_) => Ok(()),
        }
    }
}

/// `expect` without the members whose value is broker-chosen ([`BROKER`]), in its reply and
/// its pushes.
fn without_broker_members(expect: &Expect) -> Expect {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.retain(|_, v| v.as_str() != Some(BROKER));
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut out = expect.clone();
    if let Response::Ok { result, .. } = &mut out.response {
        strip(result);
    }
    for push in &mut out.notifications {
        strip(&mut push.params);
    }
    out
}

/// The `req` (or raw text) step `index` of `vector` sent when it was filled: its template
/// filled with the file's identities at the file's clock.
pub fn filled_text(vector: &Vector, index: usize) -> Option<String> {
    let instance = Instance::exact(vector);
    let mut names = Names {
        identities: instance.identities,
        sessions: Vec::new(),
        results: Vec::new(),
        recovered: Vec::new(),
        expiries: Vec::new(),
        now_ms: vector.setup.now_ms + vector.steps.get(index)?.at_ms,
    };
    for (i, step) in vector.steps.iter().enumerate().take(index + 1) {
        if let Some(definition) = step.action.session_definition() {
            let id = session_id_of(&names.fill(definition).ok()?);
            names.sessions.push((i, id));
        }
    }
    let text = match &vector.steps[index].action {
        FileAction::Request { req, .. } | FileAction::Frame { req, .. } => req,
        FileAction::Raw { text } => text,
        _ => return None,
    };
    names.fill(text).ok()
}

/// Who each `sig` entry of a planned frame recovers to (nothing for other actions).
pub fn recovered_from(outgoing: &Outgoing) -> Vec<Option<String>> {
    match outgoing {
        Outgoing::Frame { text, .. } => recovered_of(text),
        _ => Vec::new(),
    }
}

/// The bytes a create sends as its session definition (AS-ID), if `outgoing` is a
/// `create_app_session` frame whose definition Go would decode.
pub fn sent_definition(outgoing: &Outgoing) -> Option<String> {
    let Outgoing::Frame { text, .. } = outgoing else {
        return None;
    };
    let frame = parse_frame(text).ok()?;
    if frame.method != "create_app_session" {
        return None;
    }
    // The definition member as Go finds it: the last key that matches `definition`.
    let definition = frame
        .params
        .as_object()?
        .iter()
        .rev()
        .find_map(|(k, v)| crate::model::params::key_is(k, "definition").then_some(v))?;
    definition_bytes(definition)
}

/// How the file records a planned action: its frame as a template over `names` (the names at
/// the step's clock). Filling the template gives back exactly the bytes planned.
pub fn record(
    action: &Action,
    outgoing: &Outgoing,
    definition: Option<String>,
    names: &Names,
) -> FileAction {
    let sent = || match outgoing {
        Outgoing::Frame { text, .. } => text.clone(),
        other => unreachable!("a request or a raw frame plans a frame, not {other:?}"),
    };
    let session_definition = definition.map(|d| lossless(names, &d, names.abstracted(&d)));
    let req_template = |req: &str, ts_offset_ms: i64| {
        // A ts that is not the clock plus the offset is a literal on purpose (a mutated
        // frame's ts at an absolute edge, 0 or u64::MAX): kept as written.
        let template = names
            .abstracted_req(req, ts_offset_ms)
            .unwrap_or_else(|| names.abstracted(req));
        lossless(names, req, template)
    };
    match action {
        Action::Request {
            method,
            signers,
            ts_offset_ms,
            ..
        } => FileAction::Request {
            method: method.clone(),
            signers: signers.clone(),
            req: req_template(&req_text(&sent()), *ts_offset_ms),
            session_definition,
        },
        Action::Raw { text, .. } => FileAction::Raw {
            text: lossless(names, text, names.abstracted(text)),
        },
        Action::Template { template, .. } => match template.resend_step {
            Some(step) => FileAction::Resend { step },
            None => {
                let mut sig = template.sig.clone();
                for spec in &mut sig {
                    if let SigSpec::OverOther { bytes, .. } = spec {
                        *bytes = lossless(names, bytes, names.abstracted(bytes));
                    }
                }
                FileAction::Frame {
                    req: req_template(&template.req, template.ts_offset_ms),
                    sig,
                    session_definition,
                }
            }
        },
        Action::Signed { .. } => unreachable!("the filler plans requests, not filled templates"),
        Action::Authenticate { auth, .. } => FileAction::Authenticate(auth.clone()),
        Action::AuthVerify { spec, .. } => FileAction::AuthVerify(spec.clone()),
        Action::Channel {
            wallet,
            status,
            amount,
        } => FileAction::Channel {
            wallet: wallet.clone(),
            status: *status,
            amount: amount.clone(),
        },
    }
}

/// `template`, after checking that filling it gives back `text` and that it spells none of the
/// run's addresses or session ids literally (a replay with other names would keep them).
fn lossless(names: &Names, text: &str, template: String) -> String {
    assert!(
        !text.contains("${"),
        "a vector text cannot contain `${{`: {text}"
    );
    assert_eq!(
        names.fill(&template).as_deref(),
        Ok(text),
        "the template does not fill back"
    );
    let lower = template.to_ascii_lowercase();
    let named = names.identities.iter().map(|(_, a)| &a[2..]);
    let sessions = names.sessions.iter().map(|(_, id)| &id[2..]);
    for literal in named.chain(sessions) {
        assert!(
            !lower.contains(&literal.to_ascii_lowercase()),
            "{template} still spells {literal}"
        );
    }
    template
}

/// The `req` text (exactly as written) of a request frame.
fn req_text(frame: &str) -> String {
    let TopLevel::Object(members) = read_top_level(frame).expect("the shadow writes JSON") else {
        unreachable!("the shadow writes an object")
    };
    let (_, req) = members
        .0
        .iter()
        .find(|(name, _)| name == "req")
        .expect("a request frame has a req");
    debug_assert!(array_elements(req).is_some());
    req.get().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::identity::run_key;
    use crate::scenario::Role;
    use crate::vectors::build::{create, definition, row, session_id, submit_v04};
    use crate::vectors::{fill, Case};

    /// A and B open a session and submit to it: the two steps name both identities and the
    /// session id they determine.
    fn two_steps() -> Vector {
        fill(&Case::new("t/rename", "").script(|r| {
            let a = r.participant("A");
            let b = r.participant("B");
            r.fund("A", "usdc", "10");
            let d = definition("app", "NitroRPC/0.4", &[&a, &b], &[50, 50], 100, 1);
            let sid = session_id(&d);
            r.request(
                "A",
                "create_app_session",
                create(d, vec![row(&a, "usdc", "1")], None),
                &["A", "B"],
            );
            let rows = vec![row(&a, "usdc", "0"), row(&b, "usdc", "1")];
            r.request(
                "A",
                "submit_app_state",
                submit_v04(&sid, "operate", 2, rows),
                &["A", "B"],
            );
        }))
    }

    fn params(action: Action) -> Value {
        match action {
            Action::Signed { req, .. } => {
                let frame = format!("{{\"req\":{req},\"sig\":[]}}");
                parse_frame(&frame).unwrap().params
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_renamed_case_names_its_new_identities_and_the_session_they_determine() {
        let vector = two_steps();
        let mut shadow = Shadow::new(Profile::Spec, 1_800_000_000_000);
        for i in &vector.setup.identities {
            shadow.declare(&i.name, i.role, run_key(7, &vector.id, &i.name));
        }
        let fresh = |name: &str| shadow.address(name).ok().map(str::to_string);
        let mut instance = Instance::renamed(&vector, fresh);
        let created = params(instance.action(&vector, 0, &shadow).unwrap());
        let submitted = params(instance.action(&vector, 1, &shadow).unwrap());
        assert_eq!(
            created["definition"]["participants"],
            serde_json::json!([fresh("A").unwrap(), fresh("B").unwrap()])
        );
        assert_eq!(
            submitted["app_session_id"].as_str().unwrap(),
            session_id(&created["definition"])
        );
        let text = submitted.to_string().to_ascii_lowercase();
        for identity in &vector.setup.identities {
            let old = identity.address.to_ascii_lowercase();
            assert!(
                !text.contains(&old[2..]),
                "{} is still named",
                identity.name
            );
        }
    }

    #[test]
    fn the_exact_instance_sends_what_the_filler_sent() {
        let vector = two_steps();
        let mut shadow = Shadow::new(Profile::Spec, vector.setup.now_ms + 1000);
        for i in &vector.setup.identities {
            let key = crate::crypto::SecretKey::from_hex(&i.private_key).unwrap();
            shadow.declare(&i.name, Role::Wallet, key);
        }
        let mut instance = Instance::exact(&vector);
        instance.action(&vector, 0, &shadow).unwrap();
        let FileAction::Request { req, .. } = &vector.steps[1].action else {
            panic!("a request")
        };
        assert!(
            req.contains("${session:0}") && req.ends_with(",${now_ms}]"),
            "{req}"
        );
        let filled = params(instance.action(&vector, 1, &shadow).unwrap());
        assert_eq!(
            filled["app_session_id"],
            session_id(&params(instance.action(&vector, 0, &shadow).unwrap())["definition"])
        );
    }
}

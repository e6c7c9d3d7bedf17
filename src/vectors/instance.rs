//! A vector's steps as typed scenario actions: the one reading of a file step, shared by the
//! file replayer and certify. A live run gives the case fresh identities, so every address of
//! the file and every session id those addresses determine is renamed in the frames it
//! rebuilds; the file replayer renames nothing.

use super::build::session_id;
use super::format::{Action as FileAction, Response, SigSpec, Step, Vector};
use crate::scenario::Action;
use crate::wire::members::{array_elements, read_top_level, TopLevel};
use serde_json::Value;

/// Reads file steps as actions, renaming as it goes.
#[derive(Debug, Default)]
pub struct Instance {
    /// old → new, both spellings of every address (EIP-55 and lower case, without `0x`).
    renames: Vec<(String, String)>,
}

impl Instance {
    /// The file's own identities.
    pub fn exact() -> Self {
        Self::default()
    }

    /// The file's identities renamed: `address(name)` is the new address of identity `name`.
    pub fn renamed(vector: &Vector, address: impl Fn(&str) -> Option<String>) -> Self {
        let mut instance = Self::default();
        for identity in &vector.setup.identities {
            if let Some(new) = address(&identity.name) {
                instance.add(&identity.address, &new);
            }
        }
        instance
    }

    fn rename(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (old, new) in &self.renames {
            if out.contains(old.as_str()) {
                out = out.replace(old.as_str(), new);
            }
        }
        out
    }

    /// Adds `old → new` in EIP-55 and lower case. Addresses are replaced by their 40 digits,
    /// so a destination written without `0x` (API-12) is renamed too.
    fn add(&mut self, old: &str, new: &str) {
        let strip = |s: &str| s.strip_prefix("0x").unwrap_or(s).to_string();
        let (old, new) = if old.len() == 42 {
            (strip(old), strip(new))
        } else {
            (old.to_string(), new.to_string())
        };
        if old != new && !self.renames.iter().any(|(o, _)| *o == old) {
            self.renames
                .push((old.to_ascii_lowercase(), new.to_ascii_lowercase()));
            self.renames.push((old, new));
        }
    }

    /// The action of `step` (a step of `vector`); `Err` says what in the file is malformed.
    pub fn action(&mut self, vector: &Vector, step: &Step) -> Result<Action, String> {
        let conn = step.conn.clone();
        Ok(match &step.action {
            FileAction::Request {
                method,
                signers,
                wire,
                ts_offset_ms,
            } => {
                let text = params_text(wire).ok_or("the wire is not a request frame")?;
                let params: Value =
                    serde_json::from_str(&self.rename(&text)).map_err(|e| e.to_string())?;
                if method == "create_app_session" && !self.renames.is_empty() {
                    self.rename_session(vector, step, &text, &params);
                }
                Action::Request {
                    conn,
                    method: method.clone(),
                    params,
                    signers: signers.clone(),
                    ts_offset_ms: *ts_offset_ms,
                }
            }
            // Never rebuilt: it keeps the vector's identities and timestamp.
            FileAction::Raw {
                text,
                template: None,
            } => Action::Raw {
                conn,
                text: text.clone(),
            },
            FileAction::Raw {
                template: Some(template),
                ..
            } => {
                let mut template = template.clone();
                template.req = self.rename(&template.req);
                for spec in &mut template.sig {
                    if let SigSpec::OverOther { bytes, .. } = spec {
                        *bytes = self.rename(bytes);
                    }
                }
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

    /// A create step determines a session id from its (renamed) definition: later steps name
    /// the new id where the file names the old one (the one the file's expectation gives, or
    /// the id of the old definition).
    fn rename_session(&mut self, vector: &Vector, step: &Step, old_params: &str, params: &Value) {
        let old_definition = serde_json::from_str::<Value>(old_params)
            .map(|p| p["definition"].clone())
            .unwrap_or(Value::Null);
        let from_file = step
            .expect
            .keys()
            .find_map(|p| match vector.expectation(step, p) {
                Some(e) => match &e.response {
                    Response::Ok { result, .. } => {
                        result["app_session_id"].as_str().map(str::to_string)
                    }
                    _ => None,
                },
                None => None,
            });
        let old = from_file.unwrap_or_else(|| session_id(&old_definition));
        self.add(&old, &session_id(&params["definition"]));
    }
}

/// The params text (`req[2]`, exactly as written) of a request frame.
fn params_text(wire: &str) -> Option<String> {
    let TopLevel::Object(members) = read_top_level(wire).ok()? else {
        return None;
    };
    let (_, req) = members.0.iter().find(|(name, _)| name == "req")?;
    let elements = array_elements(req)?;
    Some(elements.get(2)?.get().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::identity::run_key;
    use crate::vectors::build::{create, definition, row, submit_v04};
    use crate::vectors::{fill, Case};
    use std::collections::HashMap;

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
            Action::Request { params, .. } => params,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_renamed_case_names_its_new_identities_and_the_session_they_determine() {
        let vector = two_steps();
        let fresh: HashMap<String, String> = vector
            .setup
            .identities
            .iter()
            .map(|i| (i.name.clone(), run_key(7, &vector.id, &i.name).address()))
            .collect();
        let mut instance = Instance::renamed(&vector, |name| fresh.get(name).cloned());
        let created = params(instance.action(&vector, &vector.steps[0]).unwrap());
        let submitted = params(instance.action(&vector, &vector.steps[1]).unwrap());
        assert_eq!(
            created["definition"]["participants"],
            serde_json::json!([fresh["A"], fresh["B"]])
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
    fn the_file_replayer_renames_nothing() {
        let vector = two_steps();
        let mut instance = Instance::exact();
        let FileAction::Request { wire, .. } = &vector.steps[1].action else {
            panic!("a request")
        };
        let filed = crate::wire::parse_frame(wire).unwrap().params;
        assert_eq!(
            params(instance.action(&vector, &vector.steps[1]).unwrap()),
            filed
        );
    }
}

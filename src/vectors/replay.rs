//! Replaying a vector file through the model, from the file alone (no catalogue script): every
//! frame must come out byte for byte as the file has it, and every expectation must match.
//! This is what proves a file is self-sufficient for a third party.

use super::format::{Action, ExpectOrSame, Vector};
use super::recorder::Recorder;
use crate::crypto::SecretKey;
use crate::model::{ChannelStatus, Profile};
use crate::wire::parse_frame;
use std::collections::HashMap;

/// Replays `vector` under `profile`; returns every mismatch found.
pub fn replay(vector: &Vector, profile: Profile) -> Vec<String> {
    let mut problems = Vec::new();
    let mut keys = HashMap::new();
    for identity in &vector.setup.identities {
        match SecretKey::from_hex(&identity.private_key) {
            Ok(key) if key.address() == identity.address => {
                keys.insert(identity.name.clone(), key);
            }
            _ => problems.push(format!(
                "identity {}: key and address disagree",
                identity.name
            )),
        }
    }
    let mut r = Recorder::instance(profile, vector.setup.now_ms, keys);
    for identity in &vector.setup.identities {
        match identity.role.as_str() {
            "session_key" => r.session_key(&identity.name),
            _ => r.wallet(&identity.name),
        };
    }
    for b in &vector.setup.balances {
        r.fund(&b.wallet, &b.asset, &b.amount);
    }
    for c in &vector.setup.connections {
        r.connect(&c.name, c.auth.clone());
    }
    for (i, step) in vector.steps.iter().enumerate() {
        r.set_now(vector.setup.now_ms + step.at_ms);
        match &step.action {
            Action::Request {
                method,
                signers,
                wire,
                ts_offset_ms,
            } => {
                let Ok(frame) = parse_frame(wire) else {
                    problems.push(format!("step {i}: the wire is not a frame"));
                    continue;
                };
                let signers: Vec<&str> = signers.iter().map(String::as_str).collect();
                r.request_at(&step.conn, method, frame.params, &signers, *ts_offset_ms);
            }
            Action::Raw {
                text,
                template: None,
            } => r.raw(&step.conn, text),
            Action::Raw {
                template: Some(template),
                ..
            } => r.raw_template(&step.conn, template.clone()),
            Action::Authenticate(auth) => {
                r.authenticate(&step.conn, auth.clone());
            }
            Action::AuthVerify(spec) => {
                r.auth_verify(&step.conn, spec.clone());
            }
            Action::Channel {
                wallet,
                status,
                amount,
            } => {
                let status = match status.as_str() {
                    "challenged" => ChannelStatus::Challenged,
                    "resizing" => ChannelStatus::Resizing,
                    "closed" => ChannelStatus::Closed,
                    _ => ChannelStatus::Open,
                };
                r.channel(wallet, status, amount);
            }
        }
        let recorded = r.last_step().expect("just recorded");
        if recorded.action != step.action {
            problems.push(format!(
                "step {i}: the model replay sends other bytes than the file:\n  file:   {:?}\n  replay: {:?}",
                step.action, recorded.action
            ));
        }
        let Some(ExpectOrSame::Expect(got)) = recorded.expect.get(profile.name()) else {
            unreachable!("a recorder records its own profile");
        };
        match vector.expectation(step, profile.name()) {
            None => problems.push(format!("step {i}: no expectation for {profile}")),
            Some(want) if want != got.as_ref() => problems.push(format!(
                "step {i} ({profile}): the model now expects\n  {}\nbut the file says\n  {}",
                serde_json::to_string(got).unwrap_or_default(),
                serde_json::to_string(want).unwrap_or_default()
            )),
            Some(_) => {}
        }
    }
    problems
}

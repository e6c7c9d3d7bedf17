//! Replaying a vector file through the model, from the file alone (no catalogue script): every
//! frame must come out byte for byte as the file has it, and every expectation must match.
//! This is what proves a file is self-sufficient for a third party.

use super::format::{Action as FileAction, Expect, Vector};
use super::instance::Instance;
use crate::crypto::SecretKey;
use crate::model::Profile;
use crate::scenario::Shadow;

/// Replays `vector` under `profile`; returns every mismatch found.
pub fn replay(vector: &Vector, profile: Profile) -> Vec<String> {
    let mut problems = Vec::new();
    let mut shadow = Shadow::new(profile, vector.setup.now_ms);
    if let Err(e) = set_up(vector, &mut shadow) {
        return vec![e];
    }
    let mut instance = Instance::exact();
    for (i, step) in vector.steps.iter().enumerate() {
        let now_ms = vector.setup.now_ms + step.at_ms;
        shadow.set_now(now_ms);
        let planned = match instance.action(vector, step) {
            Ok(action) => shadow
                .plan(&action)
                .map(|planned| {
                    (
                        FileAction::recorded(&action, &planned.outgoing, now_ms),
                        planned,
                    )
                })
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        let (recorded, planned) = match planned {
            Ok(p) => p,
            Err(e) => {
                problems.push(format!("step {i}: {e}"));
                continue;
            }
        };
        if recorded != step.action {
            problems.push(format!(
                "step {i}: the model replay sends other bytes than the file:\n  file:   {:?}\n  replay: {recorded:?}",
                step.action
            ));
        }
        let got = Expect::from(&planned.expect);
        match vector.expectation(step, profile.name()) {
            None => problems.push(format!("step {i}: no expectation for {profile}")),
            Some(want) if *want != got => problems.push(format!(
                "step {i} ({profile}): the model now expects\n  {}\nbut the file says\n  {}",
                serde_json::to_string(&got).unwrap_or_default(),
                serde_json::to_string(want).unwrap_or_default()
            )),
            Some(_) => {}
        }
    }
    problems
}

/// The file's setup on the shadow: its identities with their own keys, balances, connections.
fn set_up(vector: &Vector, shadow: &mut Shadow) -> Result<(), String> {
    for identity in &vector.setup.identities {
        match SecretKey::from_hex(&identity.private_key) {
            Ok(key) if key.address() == identity.address => {
                shadow.declare(&identity.name, identity.role, key);
            }
            _ => {
                return Err(format!(
                    "identity {}: key and address disagree",
                    identity.name
                ))
            }
        }
    }
    for b in &vector.setup.balances {
        shadow
            .fund(&b.wallet, &b.asset, &b.amount)
            .map_err(|e| e.to_string())?;
    }
    for c in &vector.setup.connections {
        shadow
            .connect(&c.name, c.auth.as_ref())
            .map_err(|e| format!("connection {}: {e}", c.name))?;
    }
    Ok(())
}

//! Replaying a vector file through the model, from the file alone (no catalogue script): every
//! template must fill, and for the bytes they make the model must expect exactly what the file
//! says. [`replay`] does it with the file's own identities and clock; [`replay_renamed`] with
//! fresh identities and another clock, as a live run does, which proves that nothing in the
//! file still depends on who filled it.

use super::instance::Instance;
use super::Vector;
use crate::crypto::identity::run_key;
use crate::crypto::SecretKey;
use crate::model::Profile;
use crate::scenario::Shadow;

/// How far [`replay_renamed`] moves the clock from the file's (1 day, 1 h, 1 min, 1.234 s:
/// every unit of a rendered time changes).
const SHIFT_MS: u64 = 90_061_234;

/// Replays `vector` under `profile` with its own identities; returns every mismatch found.
pub fn replay(vector: &Vector, profile: Profile) -> Vec<String> {
    let mut shadow = Shadow::new(profile, vector.setup.now_ms);
    for identity in &vector.setup.identities {
        match SecretKey::from_hex(&identity.private_key) {
            Ok(key) if key.address() == identity.address => {
                shadow.declare(&identity.name, identity.role, key);
            }
            _ => {
                return vec![format!(
                    "identity {}: key and address disagree",
                    identity.name
                )]
            }
        }
    }
    let instance = Instance::exact(vector);
    play(vector, profile, shadow, instance, vector.setup.now_ms)
}

/// Replays `vector` under `profile` with identities derived from `seed` and a clock
/// [`SHIFT_MS`] later than the file's; returns every mismatch found.
pub fn replay_renamed(vector: &Vector, profile: Profile, seed: u64) -> Vec<String> {
    let start = vector.setup.now_ms + SHIFT_MS;
    let mut shadow = Shadow::new(profile, start);
    for identity in &vector.setup.identities {
        let key = run_key(seed, &vector.id, &identity.name);
        shadow.declare(&identity.name, identity.role, key);
    }
    let instance = Instance::renamed(vector, |name| shadow.address(name).ok().map(String::from));
    play(vector, profile, shadow, instance, start)
}

fn play(
    vector: &Vector,
    profile: Profile,
    mut shadow: Shadow,
    mut instance: Instance,
    start: u64,
) -> Vec<String> {
    if let Err(e) = set_up(vector, &mut shadow, start) {
        return vec![e];
    }
    let mut problems = Vec::new();
    for (i, step) in vector.steps.iter().enumerate() {
        shadow.set_now(start + step.at_ms);
        let planned = instance
            .action(vector, i, &shadow)
            .and_then(|action| shadow.plan(&action).map_err(|e| format!("step {i}: {e}")));
        match planned {
            Ok(planned) => {
                let checked = instance.check(vector, i, profile, &planned, &shadow);
                problems.extend(checked.err());
                instance.capture(i, &planned.expect.reply);
            }
            Err(e) => problems.push(e),
        }
    }
    problems
}

/// The file's setup on the shadow: balances, then connections (their handshakes at `start`).
fn set_up(vector: &Vector, shadow: &mut Shadow, start: u64) -> Result<(), String> {
    shadow.set_now(start);
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

//! Cases whose steps lie apart in time (needs-clock): on a broker whose clock the harness moves
//! (the embedded one, `nitrocert serve --control`) the clock jumps over the gap; on any other
//! broker the gap has to pass for real. A gap of minutes made of a session key's lifetime
//! passes for real in seconds: the key is given a lifetime of [`SHORT_LIFETIME_S`] instead and
//! every step after its expiry comes that much earlier, so each step stands where it stood
//! relative to the expiry (before it with the same order, after it by the same margin). Gaps
//! made of the broker's own constants (the 5-minute challenge TTL, the 24-hour session, AUTH-9,
//! AUTH-13) cannot be shortened by the harness: those cases need a clock hook.

use super::target::Target;
use crate::vectors::format::Action;
use crate::vectors::Vector;
use std::time::Duration;

/// Steps further apart than this need time to pass (a controllable clock, or waiting).
pub const MAX_STEP_GAP_MS: u64 = 1_000;

/// The longest gap a case may wait for in real time on a broker without a clock hook.
pub const MAX_REAL_WAIT_MS: u64 = 20_000;

/// The lifetime a short-lived key of a compressed case gets: long enough for the setup and
/// the steps before its expiry to finish well inside it, on a slow broker too.
pub const SHORT_LIFETIME_S: u64 = 6;

/// A key lifetime longer than this is not the point of a case (a login's ordinary 24 h).
const LONGEST_SHORT_LIFETIME_S: u64 = 600;

/// The step times of a case, preceded by the setup's (0): the setup runs at the vector's
/// clock, and each step's `at_ms` counts from it.
fn times(vector: &Vector) -> impl Iterator<Item = u64> + '_ {
    std::iter::once(0).chain(vector.steps.iter().map(|s| s.at_ms))
}

/// The gap before step `index`: from the previous step, or from the setup for the first.
pub fn gap_before(vector: &Vector, index: usize) -> u64 {
    let previous = match index {
        0 => 0,
        i => vector.steps[i - 1].at_ms,
    };
    vector.steps[index].at_ms.saturating_sub(previous)
}

/// The longest gap between the setup and the first step or between two steps.
pub fn longest_gap(vector: &Vector) -> u64 {
    let t: Vec<u64> = times(vector).collect();
    t.windows(2)
        .map(|w| w[1].saturating_sub(w[0]))
        .max()
        .unwrap_or(0)
}

/// Whether time must pass inside the case.
pub fn needs_time(vector: &Vector) -> bool {
    vector.flags.iter().any(|f| f == "needs-clock") || longest_gap(vector) > MAX_STEP_GAP_MS
}

/// Why `vector` cannot run on `target` for want of a clock, if it cannot: it needs time to
/// pass, the target has no clock hook, and its gaps are not short enough to wait for (a
/// compressed case, [`compress`], is).
pub fn clock_skip_reason(vector: &Vector, target: &Target) -> Option<String> {
    if !needs_time(vector) || target.clock.is_some() {
        return None;
    }
    let waitable =
        !vector.flags.iter().any(|f| f == "needs-clock") && longest_gap(vector) <= MAX_REAL_WAIT_MS;
    if waitable {
        return None;
    }
    Some(format!(
        "needs a broker clock the harness controls (needs-clock): {} of time inside the case, \
         which the harness can neither shorten (a broker constant, not a key's lifetime) nor \
         wait for in a run; a broker with a clock hook (`nitrocert serve --control`) runs it",
        human(longest_gap(vector))
    ))
}

fn human(ms: u64) -> String {
    match ms {
        ms if ms >= 3_600_000 => format!("{:.1} h", ms as f64 / 3_600_000.0),
        ms if ms >= 60_000 => format!("{:.1} min", ms as f64 / 60_000.0),
        ms => format!("{:.1} s", ms as f64 / 1000.0),
    }
}

/// Lets `ms` pass on the target's clock: moved when the target has a clock hook (`Some(ms)`:
/// the broker now runs that far ahead of the machine; `None` if the hook failed, said on
/// stderr), else waited for, at most [`MAX_REAL_WAIT_MS`] (`None`).
pub async fn pass_time(target: &Target, ms: u64) -> Option<u64> {
    if target.clock.is_some() {
        return target.advance(ms).then_some(ms);
    }
    tokio::time::sleep(Duration::from_millis(ms.min(MAX_REAL_WAIT_MS))).await;
    None
}

/// The case run in real time on a broker without a clock hook: the needs-clock case with its
/// short-lived key's lifetime cut to [`SHORT_LIFETIME_S`] and the steps after its expiry
/// brought forward by as much; `None` when the case cannot be compressed that way (then it
/// needs a clock hook).
///
/// It can when every gap of the case is spent waiting for keys to expire: all its short-lived
/// keys (setup logins and `authenticate` steps with a lifetime under 10 minutes) expire at one
/// instant, the steps before that instant come early enough to stay before the shortened
/// expiry (with a second to spare), the steps after it keep their margin, and the compressed
/// case lasts at most [`MAX_REAL_WAIT_MS`]. Frames with fixed bytes (raw frames, or an
/// `auth_request` carrying its own `expires_at`) rule it out.
pub fn compress(vector: &Vector) -> Option<Vector> {
    if !needs_time(vector) {
        return None;
    }
    let fixed = vector.steps.iter().any(|s| match &s.action {
        Action::Raw { .. } => true,
        Action::Request { method, .. } => method == "auth_request",
        _ => false,
    });
    if fixed {
        return None;
    }
    let expiry = single_expiry(vector)?;
    let shorten = |seconds: u64| seconds.saturating_sub(SHORT_LIFETIME_S) * 1000;
    let cut = shorten(short_lifetime(vector)?);
    let new_expiry = expiry - cut;
    // Before the expiry: still before the shortened one, by a second at least.
    let early_ok = times(vector)
        .filter(|&t| t < expiry)
        .all(|t| t + MAX_STEP_GAP_MS <= new_expiry);
    if !early_ok || cut == 0 {
        return None;
    }
    let mut out = vector.clone();
    for step in &mut out.steps {
        if step.at_ms >= expiry {
            step.at_ms -= cut;
        }
        if let Action::Authenticate(auth) = &mut step.action {
            if auth.expires_in_s <= LONGEST_SHORT_LIFETIME_S {
                auth.expires_in_s = SHORT_LIFETIME_S;
            }
        }
    }
    for auth in out
        .setup
        .connections
        .iter_mut()
        .filter_map(|c| c.auth.as_mut())
    {
        if auth.expires_in_s <= LONGEST_SHORT_LIFETIME_S {
            auth.expires_in_s = SHORT_LIFETIME_S;
        }
    }
    out.flags.retain(|f| f != "needs-clock");
    (longest_gap(&out) <= MAX_REAL_WAIT_MS).then_some(out)
}

/// Every short-lived key of the case: (created at, lifetime in s).
fn short_keys(vector: &Vector) -> Vec<(u64, u64)> {
    let setup = vector
        .setup
        .connections
        .iter()
        .filter_map(|c| c.auth.as_ref())
        .map(|a| (0, a.expires_in_s));
    let steps = vector.steps.iter().filter_map(|s| match &s.action {
        Action::Authenticate(a) => Some((s.at_ms, a.expires_in_s)),
        _ => None,
    });
    setup
        .chain(steps)
        .filter(|(_, life)| *life <= LONGEST_SHORT_LIFETIME_S)
        .collect()
}

/// The one instant (ms after the setup) at which the case's short-lived keys expire.
fn single_expiry(vector: &Vector) -> Option<u64> {
    let keys = short_keys(vector);
    let first = keys.first().map(|(at, life)| at + life * 1000)?;
    keys.iter()
        .all(|(at, life)| at + life * 1000 == first)
        .then_some(first)
}

/// The lifetime shared by the short-lived keys (one expiry, so created together or not at all).
fn short_lifetime(vector: &Vector) -> Option<u64> {
    let keys = short_keys(vector);
    let life = keys.first()?.1;
    keys.iter().all(|(_, l)| *l == life).then_some(life)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(id: &str) -> Vector {
        crate::vectors::load(std::path::Path::new(&format!("vectors/{id}.json")))
            .expect("a committed vector")
    }

    #[test]
    fn an_expired_key_case_is_compressed_to_seconds_with_its_margins() {
        for id in [
            "session-keys/create-with-expired-key-v02",
            "session-keys/submit-with-expired-key-v04",
        ] {
            let v = load(id);
            assert!(needs_time(&v), "{id}");
            let short = compress(&v).unwrap_or_else(|| panic!("{id} compresses"));
            assert!(!needs_time(&short) || longest_gap(&short) <= MAX_REAL_WAIT_MS);
            assert!(!short.flags.iter().any(|f| f == "needs-clock"));
            // The key now lives SHORT_LIFETIME_S; every step after its expiry keeps its margin.
            let life: Vec<u64> = short_keys(&short).iter().map(|k| k.1).collect();
            assert_eq!(life, vec![SHORT_LIFETIME_S], "{id}");
            let (old_expiry, new_expiry) = (120_000, SHORT_LIFETIME_S * 1000);
            for (a, b) in v.steps.iter().zip(&short.steps) {
                if a.at_ms >= old_expiry {
                    assert_eq!(b.at_ms - new_expiry, a.at_ms - old_expiry, "{id}");
                } else {
                    assert_eq!(a.at_ms, b.at_ms, "{id}");
                    assert!(b.at_ms + MAX_STEP_GAP_MS <= new_expiry, "{id}");
                }
            }
        }
    }

    #[test]
    fn gaps_made_of_broker_constants_are_not_compressed() {
        for id in [
            "auth/challenge-expired",
            "auth/session-idle-24h",
            "auth/session-refreshed-by-activity",
        ] {
            let v = load(id);
            assert!(needs_time(&v), "{id}");
            assert!(compress(&v).is_none(), "{id}");
        }
        // A case that needs no time is left alone.
        assert!(compress(&load("auth/ok-signature")).is_none());
    }

    #[test]
    fn the_first_step_counts_its_gap_from_the_setup() {
        let v = load("session-keys/create-with-expired-key-v02");
        assert_eq!(v.steps.len(), 1);
        assert_eq!(gap_before(&v, 0), 121_000);
        assert_eq!(longest_gap(&v), 121_000);
    }
}

//! What a run's own logins cost the broker's challenge store (AUTH-9: Clearnode keeps at most
//! 1000 pending challenges, for everyone, and sweeps them every 10 minutes). Every connection
//! given a ledger (through [`super::Limits::auth_ledger`]) reports each challenge it was issued
//! and each signature login it completed; the runner's scheduler keeps the run under the cap
//! from these counts.
//!
//! A completed challenge stays in Clearnode's store until a sweep (30 s after use it counts as
//! expired, but only a sweep or a second `auth_verify` removes it: `ValidateChallenge` deletes
//! a used or expired challenge when it is presented again, REPLAY-4). So the runner *releases*
//! completed challenges: it presents each completed login's `auth_verify` frame once more on a
//! connection of its own, after the case is over; the broker refuses it and forgets the
//! challenge. A challenge that was never completed (an `auth_request` step left unanswered, a
//! refused signature) cannot be released that way and counts until the sweep.
//!
//! A login is released only once its case is over: a case may present its own `auth_verify`
//! again (`auth/challenge-reused` expects the used challenge to be still there, AUTH-7 step 5),
//! so each case's connections report to [`AuthLedger::for_case`], and the runner takes the
//! completed logins of the cases not in flight.

use crate::wire::Frame;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Shared by every connection of a run (cheap to clone); a clone made by
/// [`AuthLedger::for_case`] marks what it notes as that case's.
#[derive(Clone, Default)]
pub struct AuthLedger {
    entries: Arc<Mutex<Entries>>,
    case: Option<usize>,
}

#[derive(Default)]
struct Entries {
    issued: u64,
    released: u64,
    /// When the last challenge was issued: every challenge not released is gone by a sweep at
    /// most 15 minutes after it (5 min TTL, 10 min sweep).
    last_issued: Option<Instant>,
    /// `auth_verify` frames of completed signature logins, not yet presented again, with the
    /// case whose connection sent them (`None`: the run's own, e.g. the funder's).
    completed: Vec<(Option<usize>, String)>,
}

impl std::fmt::Debug for AuthLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = self.lock();
        write!(
            f,
            "AuthLedger(issued {}, released {})",
            e.issued, e.released
        )
    }
}

impl AuthLedger {
    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The same ledger, noting what it is told as case `case`'s.
    pub fn for_case(&self, case: usize) -> Self {
        Self {
            entries: self.entries.clone(),
            case: Some(case),
        }
    }

    /// Notes what `sent` got back: a challenge issued (`auth_challenge`, AUTH-4), or a
    /// signature login completed (an `auth_verify` reply with a `jwt_token`: a JWT login
    /// spends no challenge and returns none, AUTH-10).
    pub(super) fn note(&self, sent: &str, reply: &Frame) {
        let mut e = self.lock();
        match reply.method.as_str() {
            "auth_challenge" => {
                e.issued += 1;
                e.last_issued = Some(Instant::now());
            }
            "auth_verify" if reply.params.get("jwt_token").is_some() => {
                e.completed.push((self.case, sent.to_string()))
            }
            _ => {}
        }
    }

    /// Challenges issued and not released: what the run holds in the broker's store.
    pub fn pending(&self) -> u64 {
        let e = self.lock();
        e.issued.saturating_sub(e.released)
    }

    /// Challenges issued so far.
    pub fn issued(&self) -> u64 {
        self.lock().issued
    }

    /// The completed logins not presented again yet of the cases for which `over` holds and
    /// of the run's own connections (the caller presents them and reports each one the broker
    /// refused with [`AuthLedger::released`]); those of other cases stay.
    pub fn take_completed(&self, over: impl Fn(usize) -> bool) -> Vec<String> {
        let mut e = self.lock();
        let (taken, kept) = std::mem::take(&mut e.completed)
            .into_iter()
            .partition(|(case, _)| case.is_none_or(&over));
        e.completed = kept;
        taken.into_iter().map(|(_, frame)| frame).collect()
    }

    /// `n` challenges left the broker's store.
    pub fn released(&self, n: u64) {
        let mut e = self.lock();
        e.released = (e.released + n).min(e.issued);
    }

    /// The broker's store was emptied (a restart, a clock moved past the sweep).
    pub fn clear(&self) {
        let mut e = self.lock();
        e.released = e.issued;
        e.completed.clear();
        e.last_issued = None;
    }

    /// When the last challenge was issued.
    pub fn last_issued(&self) -> Option<Instant> {
        self.lock().last_issued
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::parse_frame;

    fn reply(method: &str, params: &str) -> Frame {
        parse_frame(&format!(r#"{{"res":[1,"{method}",{params},1],"sig":[]}}"#)).unwrap()
    }

    /// AUTH-9: issued challenges count until released; a completed login is released only
    /// once its case is over (AUTH-7 step 5: a case may present its own login again).
    #[test]
    fn completed_logins_are_released_per_finished_case() {
        let run = AuthLedger::default();
        let (a, b) = (run.for_case(0), run.for_case(1));
        let challenge = reply("auth_challenge", r#"{"challenge_message":"x"}"#);
        let login = reply("auth_verify", r#"{"jwt_token":"t","success":true}"#);
        let jwt_login = reply("auth_verify", r#"{"success":true}"#);
        for (ledger, sent) in [(&a, "verify a"), (&b, "verify b"), (&run, "verify run")] {
            ledger.note("request", &challenge);
            ledger.note(sent, &login);
        }
        a.note("jwt", &jwt_login);
        assert_eq!(run.pending(), 3);
        assert_eq!(run.issued(), 3);
        // Case 1 is still in flight: its login stays.
        let taken = run.take_completed(|case| case != 1);
        assert_eq!(
            taken,
            vec!["verify a".to_string(), "verify run".to_string()]
        );
        assert!(run.take_completed(|case| case != 1).is_empty());
        run.released(2);
        assert_eq!(run.pending(), 1);
        assert_eq!(run.take_completed(|_| true), vec!["verify b".to_string()]);
        run.released(5);
        assert_eq!(run.pending(), 0, "never below zero");
        a.note("request", &challenge);
        assert_eq!(run.pending(), 1);
        run.clear();
        assert_eq!(run.pending(), 0);
        assert!(run.last_issued().is_none());
    }
}

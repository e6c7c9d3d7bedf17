//! `submit_app_state` (AS-SUBMIT-1, AS-SUBMIT-2, AS-V02-1, AS-V04-1) and its three updaters:
//! operate (AS-OP-1, AS-OP-2, AS-OP-3), deposit (AS-DEP-1, AS-DEP-2) and withdraw (AS-WD-1).

use super::{
    add_sum, decode_rows, negative, negative_allocation, push_unique, service_bus, signer_set,
    spec_amounts, spec_cover_holders, spec_no_duplicate_pairs, sum_check, Row,
};
use crate::model::amount::Dec;
use crate::model::outcome::{Call, Notification};
use crate::model::params::{self, key_is, Parsed};
use crate::model::session::{short_response, AppSession, Status, PROTOCOL_02, PROTOCOL_04};
use crate::model::session_key::Vouch;
use crate::model::{fail, notify, parse_stop, Model, Stop, PARSE_FAILED};
use serde_json::Value;
use std::borrow::Cow;

#[derive(Debug, Default)]
struct SubmitParams<'v> {
    app_session_id: &'v str,
    intent: &'v str,
    version: u64,
    allocations: Option<Vec<Row<'v>>>,
    session_data: Option<String>,
}

fn decode(v: &Value) -> Parsed<SubmitParams<'_>> {
    let mut p = SubmitParams::default();
    params::each_member(v, |k, v| {
        if key_is(k, "app_session_id") {
            params::str(&mut p.app_session_id, v)
        } else if key_is(k, "intent") {
            params::str(&mut p.intent, v)
        } else if key_is(k, "version") {
            params::uint(&mut p.version, v, u64::MAX)
        } else if key_is(k, "allocations") {
            decode_rows(&mut p.allocations, v)
        } else if key_is(k, "session_data") {
            params::opt_string(&mut p.session_data, v)
        } else {
            Ok(())
        }
    })?;
    Ok(p)
}

/// The protocol gate, before quorum (AS-V02-1, AS-V04-1, Q-19).
fn protocol_gate(s: &AppSession, p: &SubmitParams<'_>) -> Result<(), Stop> {
    if s.protocol == PROTOCOL_02 {
        if !p.intent.is_empty() || p.version != 0 {
            return Err(fail(
                "incorrect request: specified parameters are not supported in this protocol",
            ));
        }
    } else if s.protocol == PROTOCOL_04 {
        if p.version != s.version + 1 {
            return Err(fail(format!(
                "incorrect app state: incorrect version: expected {}, got {}",
                s.version + 1,
                p.version
            )));
        }
    } else {
        return Err(fail(format!(
            "incorrect app state: unsupported protocol: {}",
            s.protocol
        )));
    }
    Ok(())
}

pub(crate) const NOT_FOUND: &str = "an open app session not found: record not found";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Intent {
    Operate,
    Deposit,
    Withdraw,
}

impl Model {
    /// Runs `f` on the open session with exactly this id (AS-SUBMIT-1 step 2, AS-CLOSE-1 step
    /// 3). The session is lifted out of the map while `f` runs, so `f` can read it and write the
    /// ledger and journal without copying it; it is back in the map whatever `f` returns, before
    /// any rollback.
    pub(crate) fn with_open_session<T>(
        &mut self,
        id: &str,
        f: impl FnOnce(&mut Model, &mut AppSession) -> Result<T, Stop>,
    ) -> Result<T, Stop> {
        if !self
            .sessions
            .get(id)
            .is_some_and(|s| s.status == Status::Open)
        {
            return Err(fail(NOT_FOUND));
        }
        let (key, mut s) = self.sessions.remove_entry(id).expect("checked above");
        let out = f(self, &mut s);
        self.sessions.insert(key, s);
        out
    }

    pub(crate) fn submit_app_state(
        &mut self,
        call: &Call,
        notes: &mut Vec<Notification>,
    ) -> Result<Value, Stop> {
        let now = call.now_ms;
        let p = decode(call.params).map_err(|e| parse_stop(e, PARSE_FAILED))?;
        // Submit computes the wallet set first, so a bad signature names wallets (AS-GEN-7).
        let signers = signer_set(
            &mut self.sigs_recovered,
            call.signatures,
            "failed to get wallets from RPC message",
        )?;
        let wallets = self.wallet_set(&signers, now);
        self.with_open_session(p.app_session_id, |m, s| {
            m.submit_to(s, &p, &signers, &wallets, now, notes)
        })
    }

    fn submit_to(
        &mut self,
        s: &mut AppSession,
        p: &SubmitParams<'_>,
        signers: &[&str],
        wallets: &[Cow<'_, str>],
        now: u64,
        notes: &mut Vec<Notification>,
    ) -> Result<Value, Stop> {
        let rows = p.allocations.as_deref().unwrap_or(&[]);
        if self.profile.is_spec() {
            spec_amounts(rows.iter().map(|r| &r.amount))?;
            spec_no_duplicate_pairs(rows)?;
            if s.protocol == PROTOCOL_02 || matches!(p.intent, "" | "operate") {
                spec_cover_holders(self, s, rows, true, "SPEC-2")?;
            }
        }
        // Protocol gate before quorum (AS-V02-1, AS-V04-1, Q-19). REPLAY-3, Q-25: nothing else
        // stops a replay; a 0.2 state carries no version, so resending it within the 60 s window
        // is accepted again and rolls the session back.
        protocol_gate(s, p)?;
        let kind = match p.intent {
            "deposit" => "deposit",
            "withdraw" => "withdrawal",
            _ => "submit_state",
        };
        self.check_quorum(s, wallets, kind)?;
        self.check_key_scope(signers, s, now)?;
        // Unknown intents are reported only now, after quorum; "" is operate.
        let intent = match p.intent {
            "" | "operate" => Intent::Operate,
            "deposit" => Intent::Deposit,
            "withdraw" => Intent::Withdraw,
            other => {
                return Err(fail(format!(
                    "incorrect app state: unsupported intent: {other}"
                )))
            }
        };
        let changed = match intent {
            Intent::Operate => {
                self.operate(s, rows)?;
                Vec::new()
            }
            Intent::Deposit => self.deposit(s, rows, signers, now)?,
            Intent::Withdraw => self.withdraw(s, rows)?,
        };
        self.journal_session_fields(s);
        s.version += 1;
        if let Some(d) = &p.session_data {
            s.session_data.clone_from(d);
        }
        s.updated_ms = now;
        // AS-SUBMIT-1 step 8 / AS-NOTIF-4: service bu (deposit, withdraw), then asu.
        service_bus(self, &changed, notes);
        if !self.full() {
            for w in &s.participants {
                notes.push(notify::bare(w, "asu", 0));
            }
            return Ok(Value::Null);
        }
        notify::asu(&self.ledger, s, notes);
        // AS-SUBMIT-2: the create shape, with the id as the request wrote it and the new version.
        Ok(short_response(p.app_session_id, Status::Open, s.version))
    }

    /// AS-OP-1, AS-OP-2: each row *sets* its pair's balance; the sum is checked afterwards against
    /// the pre-update totals. AS-OP-3 follows: a left-out holder keeps its balance,
    /// duplicate rows keep the last, and an empty list passes when every total is 0.
    fn operate(&mut self, s: &AppSession, rows: &[Row]) -> Result<(), Stop> {
        let totals = self.ledger.totals(&s.id);
        let mut sums: Vec<(String, Dec)> = Vec::new();
        for row in rows {
            if negative(&row.amount) {
                return Err(negative_allocation(row));
            }
            if !s.is_participant(row.participant) {
                return Err(fail(format!(
                    "allocation to non-participant {}",
                    row.participant
                )));
            }
            let current = self.session_balance(&s.id, row.participant, row.asset);
            let diff = &row.amount - &current;
            self.record(&s.id, row.participant, row.asset, &diff, None)?;
            add_sum(&mut sums, row.asset, &row.amount);
        }
        sum_check(
            &totals,
            &sums,
            "incorrect operate request: non-zero allocations sum delta: ",
        )
    }

    /// C of AS-DEP-1 / AS-WD-1: each row's current balance, read once before the walk;
    /// non-participants read 0.
    fn current_of(&self, s: &AppSession, rows: &[Row]) -> Vec<Dec> {
        rows.iter()
            .map(|r| {
                if s.is_participant(r.participant) {
                    self.session_balance(&s.id, r.participant, r.asset)
                } else {
                    Dec::default()
                }
            })
            .collect()
    }

    /// AS-DEP-1 (0.4): increases only, paid from the depositor's unified balance. AS-DEP-2: rows
    /// equal to C and left-out pairs change nothing; a new asset may come in. Duplicate rows
    /// deposit again against the stale C. Returns the depositors.
    fn deposit(
        &mut self,
        s: &AppSession,
        rows: &[Row],
        signers: &[&str],
        now: u64,
    ) -> Result<Vec<String>, Stop> {
        let current = self.current_of(s, rows);
        for (row, c) in rows.iter().zip(&current) {
            if row.amount < *c {
                return Err(fail(format!(
                    "incorrect deposit request: decreased allocation for participant {}",
                    row.participant
                )));
            }
        }
        let mut changed = Vec::new();
        for (row, c) in rows.iter().zip(&current) {
            if row.amount <= *c {
                continue;
            }
            // Reachable only when C < 0 after Q-8.
            if negative(&row.amount) {
                return Err(negative_allocation(row));
            }
            if !s.is_participant(row.participant) {
                return Err(fail(format!(
                    "allocation to non-participant {}",
                    row.participant
                )));
            }
            // guards, then signature, then balance, then session key.
            self.channels.guard(row.participant)?;
            let vouch = self.keys.vouch(row.participant, signers, now);
            if vouch == Vouch::Missing {
                return Err(fail(
                    "incorrect deposit request: depositor signature is required",
                ));
            }
            let delta = &row.amount - c;
            if self.unified_balance(row.participant, row.asset) < delta {
                return Err(fail(
                    "incorrect deposit request: insufficient unified balance",
                ));
            }
            let key = match vouch {
                Vouch::Keys(keys) => {
                    Some(self.pick_key(&keys, Some(&s.application), row.asset, &delta, now)?)
                }
                _ => None,
            };
            let neg = -&delta;
            self.record(
                row.participant,
                row.participant,
                row.asset,
                &neg,
                key.as_deref(),
            )?;
            self.record(&s.id, row.participant, row.asset, &delta, None)?;
            self.log_tx(
                crate::model::books::TxType::AppDeposit,
                row.participant,
                &s.id,
                row.asset,
                &delta,
            );
            push_unique(&mut changed, row.participant);
        }
        if changed.is_empty() {
            return Err(fail(
                "incorrect deposit request: non-positive allocations sum delta",
            ));
        }
        Ok(changed)
    }

    /// AS-WD-1 (0.4): decreases only, credited to unified balances; quorum is the only
    /// signature rule. Duplicate rows withdraw again against the stale C.
    fn withdraw(&mut self, s: &AppSession, rows: &[Row]) -> Result<Vec<String>, Stop> {
        let current = self.current_of(s, rows);
        for (row, c) in rows.iter().zip(&current) {
            if row.amount > *c {
                return Err(fail(format!(
                    "incorrect withdrawal request: increased allocation for participant {}",
                    row.participant
                )));
            }
        }
        let mut changed = Vec::new();
        for (row, c) in rows.iter().zip(&current) {
            if negative(&row.amount) {
                return Err(negative_allocation(row));
            }
            if row.amount < *c {
                let delta = c - &row.amount;
                self.record(row.participant, row.participant, row.asset, &delta, None)?;
                let neg = -&delta;
                self.record(&s.id, row.participant, row.asset, &neg, None)?;
                self.log_tx(
                    crate::model::books::TxType::AppWithdrawal,
                    &s.id,
                    row.participant,
                    row.asset,
                    &delta,
                );
                push_unique(&mut changed, row.participant);
            }
        }
        if changed.is_empty() {
            return Err(fail(
                "incorrect withdrawal request: non-negative allocations sum delta",
            ));
        }
        Ok(changed)
    }
}

//! `close_app_session` (AS-CLOSE-1, AS-CLOSE-2, AS-CLOSE-3): pays the rows out of the session,
//! whatever the per-participant balances were, and closes it.

use super::{
    add_sum, decode_rows, negative, negative_allocation, push_unique, service_bus, signer_set,
    spec_amounts, spec_cover_holders, sum_check, Row,
};
use crate::model::amount::Dec;
use crate::model::ledger::IsZeroValue;
use crate::model::outcome::{Call, Notification};
use crate::model::params::{self, key_is, Parsed};
use crate::model::session::{short_response, AppSession, Status};
use crate::model::{fail, parse_stop, Model, Stop, PARSE_FAILED};
use serde_json::Value;
use std::borrow::Cow;

#[derive(Debug, Default)]
struct CloseParams<'v> {
    app_session_id: &'v str,
    allocations: Option<Vec<Row<'v>>>,
    session_data: Option<String>,
}

/// `version` and `intent` are not fields of the close struct: ignored.
fn decode(v: &Value) -> Parsed<CloseParams<'_>> {
    let mut p = CloseParams::default();
    params::each_member(v, |k, v| {
        if key_is(k, "app_session_id") {
            params::str(&mut p.app_session_id, v)
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

impl Model {
    pub(crate) fn close_app_session(
        &mut self,
        call: &Call,
        notes: &mut Vec<Notification>,
    ) -> Result<Value, Stop> {
        let now = call.now_ms;
        let p = decode(call.params).map_err(|e| parse_stop(e, PARSE_FAILED))?;
        let signers = signer_set(
            &mut self.sigs_recovered,
            call.signatures,
            "failed to get wallets from RPC message",
        )?;
        let wallets = self.wallet_set(&signers, now);
        let rows = p.allocations.as_deref().unwrap_or(&[]);
        if p.app_session_id.is_empty() || rows.is_empty() {
            return Err(fail("missing required parameters: app_id or allocations"));
        }
        let (paid, version) = self.with_open_session(p.app_session_id, |m, s| {
            let paid = m.pay_out(s, rows, &signers, &wallets, now)?;
            m.journal_session_fields(s);
            s.status = Status::Closed;
            s.version += 1;
            if let Some(d) = &p.session_data {
                s.session_data.clone_from(d);
            }
            s.updated_ms = now;
            Ok((paid, s.version))
        })?;
        // AS-CLOSE-3: a bu per participant with a non-zero row, no asu.
        service_bus(self, &paid, notes);
        if !self.full() {
            return Ok(Value::Null);
        }
        Ok(short_response(p.app_session_id, Status::Closed, version))
    }

    /// AS-CLOSE-1 steps 4-7 on the open session: checks, then every row empties its pair and
    /// credits the participant. Returns the participants paid a non-zero amount.
    fn pay_out(
        &mut self,
        s: &AppSession,
        rows: &[Row<'_>],
        signers: &[&str],
        wallets: &[Cow<'_, str>],
        now: u64,
    ) -> Result<Vec<String>, Stop> {
        if self.profile.is_spec() {
            spec_amounts(rows.iter().map(|r| &r.amount))?;
            spec_cover_holders(self, s, rows, false, "SPEC-3")?;
        }
        // close's quorum error uses the submit_state wording.
        self.check_quorum(s, wallets, "submit_state")?;
        self.check_key_scope(signers, s, now)?;
        let totals = self.ledger.totals(&s.id);
        let mut sums: Vec<(String, Dec)> = Vec::new();
        let mut paid: Vec<String> = Vec::new();
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
            // AS-CLOSE-2: empties the pair and credits the row, so the rows may redistribute
            // freely; left-out holders keep (strand) theirs.
            let balance = self.session_balance(&s.id, row.participant, row.asset);
            let neg = -&balance;
            self.record(&s.id, row.participant, row.asset, &neg, None)?;
            self.record(
                row.participant,
                row.participant,
                row.asset,
                &row.amount,
                None,
            )?;
            // an app_withdrawal transaction even for a zero row.
            self.log_tx(
                crate::model::books::TxType::AppWithdrawal,
                &s.id,
                row.participant,
                row.asset,
                &row.amount,
            );
            if !row.amount.is_zero_value() {
                add_sum(&mut sums, row.asset, &row.amount);
                push_unique(&mut paid, row.participant);
            }
        }
        sum_check(&totals, &sums, "")?;
        Ok(paid)
    }
}

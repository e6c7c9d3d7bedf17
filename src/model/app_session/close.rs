//! `close_app_session` (AS-CLOSE-1, AS-CLOSE-2, AS-CLOSE-3): pays the rows out of the session,
//! whatever the per-participant balances were, and closes it.

use super::submit::NOT_FOUND;
use super::{
    add_sum, decode_rows, negative, negative_allocation, push_unique, service_bus, signer_set,
    spec_amounts, spec_cover_holders, sum_check, Row,
};
use crate::model::amount::Dec;
use crate::model::ledger::IsZeroValue;
use crate::model::outcome::{Call, Notification};
use crate::model::params::{self, key_is, Parsed};
use crate::model::session::{short_response, Status};
use crate::model::{fail, parse_stop, Model, Stop, PARSE_FAILED};
use serde_json::Value;

#[derive(Debug, Default)]
struct CloseParams {
    app_session_id: String,
    allocations: Option<Vec<Row>>,
    session_data: Option<String>,
}

/// `version` and `intent` are not fields of the close struct: ignored.
fn decode(v: &Value) -> Parsed<CloseParams> {
    let mut p = CloseParams::default();
    params::each_member(v, |k, v| {
        if key_is(k, "app_session_id") {
            params::string(&mut p.app_session_id, v)
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
        let signers = signer_set(call.signatures, "failed to get wallets from RPC message")?;
        let wallets = self.wallet_set(&signers, now);
        let rows = p.allocations.as_deref().unwrap_or(&[]);
        if p.app_session_id.is_empty() || rows.is_empty() {
            return Err(fail("missing required parameters: app_id or allocations"));
        }
        let s = self.open_session(&p.app_session_id)?;
        debug_assert!(self.sessions[&s.id].status == Status::Open, "{NOT_FOUND}");
        if self.profile.is_spec() {
            spec_amounts(rows.iter().map(|r| &r.amount))?;
            spec_cover_holders(self, &s, rows, false, "SPEC-3")?;
        }
        // close's quorum error uses the submit_state wording.
        self.check_quorum(&s, &wallets, "submit_state")?;
        self.check_key_scope(&signers, &s, now)?;
        let totals = self.ledger.totals(&s.id);
        let mut sums: Vec<(String, Dec)> = Vec::new();
        let mut paid: Vec<String> = Vec::new();
        for row in rows {
            if negative(&row.amount) {
                return Err(negative_allocation(row));
            }
            if !s.is_participant(&row.participant) {
                return Err(fail(format!(
                    "allocation to non-participant {}",
                    row.participant
                )));
            }
            // AS-CLOSE-2: empties the pair and credits the row, so the rows may redistribute
            // freely; left-out holders keep (strand) theirs.
            let balance = self.session_balance(&s.id, &row.participant, &row.asset);
            let neg = -&balance;
            self.record(&s.id, &row.participant, &row.asset, &neg, None)?;
            self.record(
                &row.participant,
                &row.participant,
                &row.asset,
                &row.amount,
                None,
            )?;
            // an app_withdrawal transaction even for a zero row.
            self.log_tx(
                crate::model::books::TxType::AppWithdrawal,
                &s.id,
                &row.participant,
                &row.asset,
                &row.amount,
            );
            if !row.amount.is_zero_value() {
                add_sum(&mut sums, &row.asset, &row.amount);
                push_unique(&mut paid, &row.participant);
            }
        }
        sum_check(&totals, &sums, "")?;
        self.journal_session_fields(&s.id);
        let stored = self.sessions.get_mut(&s.id).expect("open session");
        stored.status = Status::Closed;
        stored.version += 1;
        if let Some(d) = &p.session_data {
            stored.session_data.clone_from(d);
        }
        stored.updated_ms = now;
        let version = stored.version;
        // AS-CLOSE-3: a bu per participant with a non-zero row, no asu.
        service_bus(self, &paid, notes);
        if !self.full() {
            return Ok(Value::Null);
        }
        Ok(short_response(&p.app_session_id, Status::Closed, version))
    }
}

//! `create_app_session`: the definition (AS-DEF-1, AS-DEF-2, AS-DEF-3), the id (AS-ID-1,
//! AS-ID-2, AS-ID-3; AS-ID-4 gives worked examples) and the rows (AS-CREATE-1 to AS-CREATE-6).

use super::{
    decode_rows, is_checksummed_address, negative, negative_allocation, push_unique, service_bus,
    signer_set, spec_amounts, Row,
};
use crate::model::gojson::DefinitionBytes;
use crate::model::ledger::IsZeroValue;
use crate::model::outcome::{Call, Notification};
use crate::model::params::{self, key_is, Parsed};
use crate::model::session::{short_response, AppSession, Status, PROTOCOL_02, PROTOCOL_04};
use crate::model::session_key::Vouch;
use crate::model::{fail, parse_stop, spec_reject, Model, Stop, PARSE_FAILED};
use serde_json::Value;

#[derive(Debug, Default)]
struct Definition {
    application: String,
    protocol: String,
    participants: Option<Vec<String>>,
    weights: Option<Vec<i64>>,
    quorum: u64,
    challenge: u64,
    nonce: u64,
}

#[derive(Debug, Default)]
struct CreateParams<'v> {
    definition: Definition,
    allocations: Option<Vec<Row<'v>>>,
    session_data: Option<String>,
}

fn decode_definition(d: &mut Definition, v: &Value) -> Parsed<()> {
    params::each_member(v, |k, v| {
        if key_is(k, "application") {
            params::string(&mut d.application, v)
        } else if key_is(k, "protocol") {
            params::string(&mut d.protocol, v)
        } else if key_is(k, "participants") {
            params::slice(&mut d.participants, v, params::string)
        } else if key_is(k, "weights") {
            params::slice(&mut d.weights, v, params::int64)
        } else if key_is(k, "quorum") {
            params::uint(&mut d.quorum, v, u64::MAX)
        } else if key_is(k, "challenge") {
            params::uint(&mut d.challenge, v, u64::MAX)
        } else if key_is(k, "nonce") {
            params::uint(&mut d.nonce, v, u64::MAX)
        } else {
            Ok(())
        }
    })
}

fn decode(v: &Value) -> Parsed<CreateParams<'_>> {
    let mut p = CreateParams::default();
    params::each_member(v, |k, v| {
        if key_is(k, "definition") {
            decode_definition(&mut p.definition, v)
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

const FALLBACK: &str = "failed to create application session";

/// SPEC-4, SPEC-5, SPEC-6, SPEC-7, SPEC-8.
fn spec_checks(p: &CreateParams<'_>) -> Result<(), Stop> {
    let d = &p.definition;
    let parts = d.participants.as_deref().unwrap_or(&[]);
    let rows = p.allocations.as_deref().unwrap_or(&[]);
    spec_amounts(rows.iter().map(|r| &r.amount))?;
    if let Some(bad) = parts.iter().find(|x| !is_checksummed_address(x)) {
        return Err(spec_reject(
            "SPEC-8",
            format!("participant {bad} is not an EIP-55 address"),
        ));
    }
    if parts
        .iter()
        .enumerate()
        .any(|(i, x)| parts[..i].contains(x))
    {
        return Err(spec_reject("SPEC-7", "duplicate participants"));
    }
    if d.quorum == 0 {
        return Err(spec_reject("SPEC-6", "quorum must be positive"));
    }
    if let Some(r) = rows
        .iter()
        .find(|r| !r.amount.is_zero_value() && !parts.iter().any(|x| x == r.participant))
    {
        return Err(spec_reject(
            "SPEC-4",
            format!("allocation to non-participant {}", r.participant),
        ));
    }
    Ok(())
}

impl Model {
    pub(crate) fn create_app_session(
        &mut self,
        call: &Call,
        notes: &mut Vec<Notification>,
    ) -> Result<Value, Stop> {
        let now = call.now_ms;
        // AS-CREATE-1 step 1: parse, then signers (create uses only the signer set).
        let mut p = decode(call.params).map_err(|e| parse_stop(e, PARSE_FAILED))?;
        let signers = signer_set(
            &mut self.sigs_recovered,
            call.signatures,
            "failed to get signers from RPC message",
        )?;
        if self.profile.is_spec() {
            spec_checks(&p)?;
        }
        // AS-DEF-3, first failure wins.
        if p.definition.protocol != PROTOCOL_02 && p.definition.protocol != PROTOCOL_04 {
            return Err(fail(format!(
                "unsupported protocol: {}",
                p.definition.protocol
            )));
        }
        // Moved out, not copied: the session keeps them.
        let parts = p.definition.participants.take().unwrap_or_default();
        let weights = p.definition.weights.take().unwrap_or_default();
        let d = &mut p.definition;
        if parts.len() < 2 {
            return Err(fail("invalid number of participants"));
        }
        if weights.len() != parts.len() {
            return Err(fail("number of weights must be equal to participants"));
        }
        if d.nonce == 0 {
            return Err(fail("nonce is zero or not provided"));
        }
        if let Some(i) = weights.iter().position(|w| *w < 0) {
            return Err(fail(format!(
                "participant {} weight cannot be negative",
                parts[i]
            )));
        }
        // the int64 sum wraps and is compared as unsigned.
        let sum = weights.iter().fold(0i64, |a, w| a.wrapping_add(*w));
        if d.quorum > sum as u64 {
            return Err(fail(format!(
                "target quorum ({}) cannot be greater than total sum of weights ({sum})",
                d.quorum
            )));
        }
        // AS-ID-1: hashed from the request's values, quorum 0 included.
        let id = DefinitionBytes {
            application: &d.application,
            protocol: &d.protocol,
            participants: &parts,
            weights: &weights,
            quorum: d.quorum,
            challenge: d.challenge,
            nonce: d.nonce,
        }
        .session_id();
        // AS-CREATE-1 step 4: rows in request order. AS-CREATE-3: rows are not validated as
        // such: a zero row is skipped, non-participants, unknown assets and repeated pairs pass,
        // and each positive row is debited against the balance as it stands.
        let mut funded: Vec<String> = Vec::new();
        for row in p.allocations.as_deref().unwrap_or(&[]) {
            if row.amount.is_zero_value() {
                continue;
            }
            if negative(&row.amount) {
                return Err(negative_allocation(row));
            }
            let key = match self.keys.vouch(row.participant, &signers, now) {
                Vouch::Direct => None,
                Vouch::Keys(keys) => {
                    Some(self.pick_key(&keys, Some(&d.application), row.asset, &row.amount, now)?)
                }
                Vouch::Missing => {
                    return Err(fail(format!(
                        "missing signature for participant {}",
                        row.participant
                    )))
                }
            };
            self.channels.guard(row.participant)?;
            if self.unified_balance(row.participant, row.asset) < row.amount {
                return Err(fail(format!(
                    "insufficient funds: {} for asset {}",
                    row.participant, row.asset
                )));
            }
            let neg = -&row.amount;
            self.record(
                row.participant,
                row.participant,
                row.asset,
                &neg,
                key.as_deref(),
            )?;
            // AS-CREATE-4: the session holds the sum of the positive rows per pair, moved out of
            // the unified balances.
            self.record(&id, row.participant, row.asset, &row.amount, None)?;
            self.log_tx(
                crate::model::books::TxType::AppDeposit,
                row.participant,
                &id,
                row.asset,
                &row.amount,
            );
            push_unique(&mut funded, row.participant);
        }
        // AS-CREATE-1 step 5: the insert (AS-ID-3 / Q-31, Q-30, Postgres text rules).
        let session_data = p.session_data.take().unwrap_or_default();
        let has_nul = d.application.contains('\0')
            || parts.iter().any(|x| x.contains('\0'))
            || session_data.contains('\0')
            || d.protocol.contains('\0');
        if self.sessions.contains_key(&id)
            || weights.iter().any(|w| *w > i64::from(i32::MAX))
            || [d.quorum, d.challenge, d.nonce]
                .iter()
                .any(|x| *x > i64::MAX as u64)
            || has_nul
        {
            return Err(fail(FALLBACK));
        }
        self.session_seq += 1;
        self.insert_session(AppSession {
            id: id.clone(),
            protocol: std::mem::take(&mut d.protocol),
            application: std::mem::take(&mut d.application),
            participants: parts,
            weights,
            quorum: if d.quorum == 0 { 100 } else { d.quorum },
            challenge: d.challenge,
            nonce: d.nonce,
            session_data,
            version: 1,
            status: Status::Open,
            created_ms: now,
            updated_ms: now,
            seq: self.session_seq,
        });
        // AS-CREATE-6: one `bu` per participant with a positive row; no `asu`.
        service_bus(self, &funded, notes);
        Ok(short_response(&id, Status::Open, 1))
    }
}

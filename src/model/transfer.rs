//! `transfer` between unified balances (API-12, app-sessions §13.3), with its replay cache
//! (REPLAY-2) and the `bu`/`tr` pushes to both sides (NOTIF-5, NOTIF-9).

use super::amount::{self, Dec};
use super::app_session::spec_amounts;
use super::books::TxType;
use super::clock;
use super::ledger::{checksummed, is_hex_address, IsZeroValue};
use super::outcome::{Call, Notification};
use super::params::{self, key_is, Parsed};
use super::session_key::verify_signer;
use super::{fail, notify, parse_stop, Model, Stop, PARSE_FAILED};
use serde_json::{Map, Value};
use std::borrow::Cow;

#[derive(Debug, Default)]
struct Allocation<'v> {
    asset: &'v str,
    amount: Dec,
}

#[derive(Debug, Default)]
struct TransferParams<'v> {
    destination: &'v str,
    destination_user_tag: &'v str,
    allocations: Option<Vec<Allocation<'v>>>,
}

fn decode(v: &Value) -> Parsed<TransferParams<'_>> {
    let mut p = TransferParams::default();
    params::each_member(v, |k, v| {
        if key_is(k, "destination") {
            params::str(&mut p.destination, v)
        } else if key_is(k, "destination_user_tag") {
            params::str(&mut p.destination_user_tag, v)
        } else if key_is(k, "allocations") {
            params::slice(&mut p.allocations, v, |a: &mut Allocation, v| {
                params::each_member(v, |k, v| {
                    if key_is(k, "asset") {
                        params::str(&mut a.asset, v)
                    } else if key_is(k, "amount") {
                        params::decimal(&mut a.amount, v)
                    } else {
                        Ok(())
                    }
                })
            })
        } else {
            Ok(())
        }
    })?;
    Ok(p)
}

impl Model {
    pub(crate) fn transfer(
        &mut self,
        call: &Call,
        caller: &str,
        notes: &mut Vec<Notification>,
    ) -> Result<Value, Stop> {
        let now = call.now_ms;
        let p = decode(call.params).map_err(|e| parse_stop(e, PARSE_FAILED))?;
        if let Some(d) = call.req_digest {
            self.replay.retain(|_, exp| *exp >= now);
            if self.replay.contains_key(&d) {
                return Err(fail(
                    "operation denied: the request has already been processed",
                ));
            }
        }
        if p.destination.is_empty() && p.destination_user_tag.is_empty() {
            return Err(fail("destination or destination_tag must be provided"));
        }
        if !p.destination.is_empty() && !is_hex_address(p.destination) {
            return Err(fail(format!(
                "invalid destination account: {}",
                p.destination
            )));
        }
        let rows = p.allocations.as_deref().unwrap_or(&[]);
        if rows.is_empty() {
            return Err(fail("allocations cannot be empty"));
        }
        let (signer, via_key) = verify_signer(self, call, caller)?;
        if self.profile.is_spec() {
            spec_amounts(rows.iter().map(|r| &r.amount))?;
        }
        // The notification target is the raw destination string (ADDR-2); the ledger account
        // is its normalised form.
        let target: Cow<str> = if p.destination.is_empty() {
            match self
                .auth
                .wallet_by_tag(&p.destination_user_tag.to_uppercase())
            {
                Some(w) => Cow::Owned(w.to_string()),
                None => {
                    return Err(fail(format!(
                        "failed to get wallet by tag: {}",
                        p.destination_user_tag
                    )))
                }
            }
        } else {
            Cow::Borrowed(p.destination)
        };
        let target = target.as_ref();
        // Q-35, FUZZ-7: an exact-string comparison, so a lower-case self address passes.
        if target == caller {
            return Err(fail("cannot transfer to self"));
        }
        self.channels.guard(caller)?;
        let full = self.full();
        // Only the `tr` payload shows the checksummed account (a keccak) and the tags: skipped
        // for verdicts.
        let (to_account, from_tag, to_tag) = if full {
            let from_tag = self.auth.tag_of(caller).map(str::to_string);
            // The recipient's tag is looked up by the raw destination string, so a lower-case
            // destination has none (QUIRKS-LIVE L-8).
            // API-12: by tag, the recipient's stored tag (upper case, not the request's
            // spelling); with a destination, a given tag is echoed unverified; otherwise the
            // tag of the raw destination string, if any.
            let to_tag = if p.destination.is_empty() || p.destination_user_tag.is_empty() {
                self.auth.tag_of(target).map(str::to_string)
            } else {
                Some(p.destination_user_tag.to_string())
            };
            (checksummed(target), from_tag, to_tag)
        } else {
            (String::new(), None, None)
        };
        let mut txs = Vec::with_capacity(rows.len());
        for row in rows {
            if row.amount.is_zero_value()
                || row.amount.sign() == bigdecimal::num_bigint::Sign::Minus
            {
                return Err(fail(format!(
                    "invalid allocation: {} for asset {}",
                    amount::render(&row.amount),
                    row.asset
                )));
            }
            if via_key {
                self.keys
                    .check_spend(&signer, None, row.asset, &row.amount, now)
                    .map_err(fail)?;
            }
            if self.unified_balance(caller, row.asset) < row.amount {
                return Err(fail(format!(
                    "insufficient funds: {caller} for asset {}",
                    row.asset
                )));
            }
            let neg = -&row.amount;
            let tag = via_key.then_some(signer.as_str());
            self.record(caller, caller, row.asset, &neg, tag)?;
            self.record(target, target, row.asset, &row.amount, None)?;
            let id = self.log_tx(
                TxType::Transfer,
                caller,
                &to_account,
                row.asset,
                &row.amount,
            );
            if !full {
                continue;
            }
            let mut tx = Map::new();
            tx.insert("id".into(), id.into());
            tx.insert("tx_type".into(), "transfer".into());
            tx.insert("from_account".into(), caller.into());
            if let Some(t) = &from_tag {
                tx.insert("from_account_tag".into(), t.as_str().into());
            }
            tx.insert("to_account".into(), to_account.as_str().into());
            if let Some(t) = &to_tag {
                tx.insert("to_account_tag".into(), t.as_str().into());
            }
            tx.insert("asset".into(), row.asset.into());
            tx.insert("amount".into(), amount::render(&row.amount).into());
            tx.insert("created_at".into(), clock::rfc3339_nano(now).into());
            txs.push(Value::Object(tx));
        }
        if let Some(d) = call.req_digest {
            self.replay.insert(d, now + self.config.msg_expiry_ms);
        }
        if !full {
            notes.push(notify::bare(caller, "bu", 0));
            notes.push(notify::bare(caller, "tr", 0));
            notes.push(notify::bare(target, "bu", 0));
            notes.push(notify::bare(target, "tr", 0));
            return Ok(Value::Null);
        }
        let txs = Value::Array(txs);
        notes.push(notify::bu(&self.ledger, caller, 0));
        notes.push(notify::tr(caller, &txs));
        notes.push(notify::bu(&self.ledger, target, 0));
        notes.push(notify::tr(target, &txs));
        Ok(notify::object1("transactions", txs))
    }
}

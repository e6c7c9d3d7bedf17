//! App sessions (create / submit / close): the parts the three handlers share — allocation
//! rows, signer and wallet sets (AS-GEN-7), quorum (AS-QUORUM-1, AS-QUORUM-2, AS-QUORUM-3), the
//! sum check (AS-OP-2)
//! and the `spec` profile's extra rejections (SPEC.md).

mod close;
mod create;
mod submit;

use super::amount::{self, Dec};
use super::ledger::IsZeroValue;
use super::params::{self, key_is, Parsed};
use super::session::AppSession;
use super::session_key::error_choice;
use super::{fail, spec_reject, Model, Stop};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// One allocation row `{participant, asset, amount}` (AS-DEF-1).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Row<'v> {
    pub participant: &'v str,
    pub asset: &'v str,
    pub amount: Dec,
}

pub(crate) fn decode_row<'v>(r: &mut Row<'v>, v: &'v Value) -> Parsed<()> {
    params::each_member(v, |k, v| {
        if key_is(k, "participant") {
            params::str(&mut r.participant, v)
        } else if key_is(k, "asset") {
            params::str(&mut r.asset, v)
        } else if key_is(k, "amount") {
            params::decimal(&mut r.amount, v)
        } else {
            Ok(())
        }
    })
}

pub(crate) fn decode_rows<'v>(dst: &mut Option<Vec<Row<'v>>>, v: &'v Value) -> Parsed<()> {
    params::slice(dst, v, decode_row)
}

pub(crate) fn negative(d: &Dec) -> bool {
    d.sign() == bigdecimal::num_bigint::Sign::Minus
}

pub(crate) fn negative_allocation(row: &Row) -> Stop {
    fail(format!(
        "negative allocation: {} for asset {}",
        amount::render(&row.amount),
        row.asset
    ))
}

/// AS-GEN-7: every entry must recover; the signer set is de-duplicated. AS-GEN-1: the entries are
/// the signatures over the exact `req` bytes, recovered by the caller (SIG-6: one bad entry fails
/// the whole request, duplicates count once).
pub(crate) fn signer_set<'a>(
    recovered: &mut usize,
    sigs: &'a [Option<String>],
    err: &'static str,
) -> Result<Vec<&'a str>, Stop> {
    let mut out: Vec<&str> = Vec::with_capacity(sigs.len());
    for (i, s) in sigs.iter().enumerate() {
        // `GetRequestSignersMap` recovers in order and stops at the first failure, which was
        // rewritten too (SIG-8, L-12).
        *recovered = (*recovered).max(i + 1);
        let s = s.as_deref().ok_or_else(|| fail(err))?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// Q-10 helper: one error when the choice is forced, otherwise the set.
fn choice(texts: Vec<String>) -> Stop {
    let mut t = texts;
    t.sort();
    t.dedup();
    Stop::Error(error_choice(t))
}

/// AS-OP-2 / AS-CLOSE-1 step 7. The first two checks run over the session's assets in random
/// order, the unknown-asset check after them.
pub(crate) fn sum_check(
    totals: &BTreeMap<String, Dec>,
    sums: &[(String, Dec)],
    prefix: &str,
) -> Result<(), Stop> {
    let sum_of = |asset: &str| sums.iter().find(|(a, _)| a == asset).map(|(_, s)| s);
    let mut errs = Vec::new();
    for (asset, t) in totals {
        let s = sum_of(asset);
        if t.is_zero_value() {
            if s.is_some_and(|s| !s.is_zero_value()) {
                errs.push(format!(
                    "{prefix}asset {asset} is not deposited into the app session. Please deposit the asset first"
                ));
            }
        } else if s != Some(t) {
            errs.push(format!("{prefix}asset {asset} not fully redistributed"));
        }
    }
    if !errs.is_empty() {
        return Err(choice(errs));
    }
    for (asset, s) in sums {
        if !s.is_zero_value() && !totals.contains_key(asset) {
            errs.push(format!(
                "{prefix}allocation references unknown asset {asset}"
            ));
        }
    }
    if !errs.is_empty() {
        return Err(choice(errs));
    }
    Ok(())
}

fn add_sum(sums: &mut Vec<(String, Dec)>, asset: &str, amount: &Dec) {
    match sums.iter_mut().find(|(a, _)| a == asset) {
        Some((_, s)) => *s += amount,
        None => sums.push((asset.to_string(), amount.clone())),
    }
}

fn push_unique(list: &mut Vec<String>, p: &str) {
    if !list.iter().any(|x| x == p) {
        list.push(p.to_string());
    }
}

/// Service `bu`s go out in Go map order: group them when there is more than one.
fn service_bus(model: &Model, wallets: &[String], out: &mut Vec<super::Notification>) {
    let group = if wallets.len() > 1 { 1 } else { 0 };
    for w in wallets {
        out.push(model.bu_note(w, group));
    }
}

impl Model {
    /// AS-GEN-7 wallets: each signer replaced by its owner when it is a live session key (AS-SK-1:
    /// a key maps to one wallet while it is live).
    pub(crate) fn wallet_set<'a>(&mut self, signers: &[&'a str], now_ms: u64) -> Vec<Cow<'a, str>> {
        let mut out: Vec<Cow<'a, str>> = Vec::with_capacity(signers.len());
        for s in signers {
            let w = match self.keys.wallet_of(s, now_ms) {
                Some(w) => Cow::Owned(w),
                None => Cow::Borrowed(*s),
            };
            if !out.contains(&w) {
                out.push(w);
            }
        }
        out
    }

    /// AS-QUORUM-1 and AS-QUORUM-2 (`kind` picks the wording; close uses `submit_state`, Q-11).
    pub(crate) fn check_quorum(
        &self,
        s: &AppSession,
        wallets: &[Cow<'_, str>],
        kind: &str,
    ) -> Result<(), Stop> {
        // AS-GEN-8: a wallet is a participant only as the exact string the definition holds;
        // SIG-4: recovered signers are EIP-55, so a lower-case participant never matches.
        let unknown: Vec<String> = wallets
            .iter()
            .filter(|w| !s.is_participant(w))
            .map(|w| format!("signature from unknown participant wallet {w}"))
            .collect();
        if !unknown.is_empty() {
            return Err(choice(unknown));
        }
        let sum: i64 = wallets.iter().filter_map(|w| s.weight_of(w)).sum();
        if sum < 0 || (sum as u64) < s.quorum {
            return Err(fail(format!(
                "incorrect {kind} request: quorum not reached: {sum} / {}",
                s.quorum
            )));
        }
        Ok(())
    }

    /// AS-SK-2 / AS-QUORUM-3: every live session key among the signers must be scoped to the
    /// session's application (or be a root key). Which failing signer is named is random.
    pub(crate) fn check_key_scope(
        &mut self,
        signers: &[&str],
        s: &AppSession,
        now_ms: u64,
    ) -> Result<(), Stop> {
        let mut errs = Vec::new();
        for signer in signers {
            // L-15: Go skips a signer the cache maps to itself (a wallet registered as its own
            // session key signs as the wallet).
            let wallet = self.keys.wallet_of(signer, now_ms);
            if wallet.is_some_and(|w| w != *signer) {
                if let Err(e) = self.keys.check_scope(signer, &s.application, now_ms) {
                    errs.push(e);
                }
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(choice(errs))
        }
    }

    /// AS-SK-3 for a row vouched for only by session keys. Several candidate keys mean
    /// Clearnode picks one at random (AS-SK-4, Q-37; a Go map walk in `getSessionKeyContext`):
    /// if all fail, any of their errors is acceptable; if all pass, the first is charged. When
    /// some pass and some fail, whether Clearnode accepts or refuses is a coin toss: the
    /// model does not decide it (L-15), so a generated sequence never takes that path.
    pub(crate) fn pick_key(
        &self,
        keys: &[String],
        application: Option<&str>,
        asset: &str,
        amount: &Dec,
        now_ms: u64,
    ) -> Result<String, Stop> {
        let mut passing = None;
        let mut errs = Vec::new();
        for k in keys {
            match self.keys.check_spend(k, application, asset, amount, now_ms) {
                Ok(()) => passing = passing.or(Some(k)),
                Err(e) => errs.push(e),
            }
        }
        match (passing, errs.is_empty()) {
            (Some(k), true) => Ok(k.clone()),
            (Some(_), false) => Err(Stop::Unmodelled(RANDOM_KEY)),
            (None, _) => Err(choice(errs)),
        }
    }
}

/// L-15: the reason the model leaves a random pick among several session keys undecided.
const RANDOM_KEY: &str =
    "Q-37: several session keys vouch for one participant and Clearnode picks one at random";

// ----- spec profile ---------------------------------------------------------------------------

/// SPEC-5: amounts must be storable exactly (≤ 18 fractional digits, below 10^46), so the
/// ledger's rounding can never create or destroy value.
pub(crate) fn spec_amounts<'a>(amounts: impl IntoIterator<Item = &'a Dec>) -> Result<(), Stop> {
    for a in amounts {
        if amount::fraction_digits(a) > 18 || amount::overflows_storage(a) {
            return Err(spec_reject(
                "SPEC-5",
                format!(
                    "amount {} is not representable with 18 decimals below 1e46",
                    amount::render(a)
                ),
            ));
        }
    }
    Ok(())
}

/// SPEC-1: a submit may list each (participant, asset) pair once.
pub(crate) fn spec_no_duplicate_pairs(rows: &[Row]) -> Result<(), Stop> {
    for (i, r) in rows.iter().enumerate() {
        if rows[..i]
            .iter()
            .any(|x| x.participant == r.participant && x.asset == r.asset)
        {
            return Err(spec_reject(
                "SPEC-1",
                format!(
                    "duplicate allocation for participant {} and asset {}",
                    r.participant, r.asset
                ),
            ));
        }
    }
    Ok(())
}

/// SPEC-2 / SPEC-3: every wallet holding a non-zero balance in a covered asset must have a row
/// for it, or its balance would be kept on top of a full redistribution or stranded.
/// `assets`: `None` = every asset of the session (close), `Some` = the assets the rows list.
pub(crate) fn spec_cover_holders(
    model: &Model,
    s: &AppSession,
    rows: &[Row],
    only_listed_assets: bool,
    rule: &'static str,
) -> Result<(), Stop> {
    // Rows name wallets in any spelling: compare ledger ids, looked up once per row.
    let row_ids: Vec<_> = rows
        .iter()
        .map(|r| model.ledger.find(r.participant))
        .collect();
    for (wallet, asset, v) in model.ledger.account_ids(&s.id) {
        if v.is_zero_value() {
            continue;
        }
        if only_listed_assets && !rows.iter().any(|r| r.asset == asset) {
            continue;
        }
        let covered = rows
            .iter()
            .zip(&row_ids)
            .any(|(r, id)| r.asset == asset && *id == Some(wallet));
        if !covered {
            return Err(spec_reject(
                rule,
                format!("allocations must list every holder of asset {asset}"),
            ));
        }
    }
    Ok(())
}

/// EIP-55 form check used by SPEC-8. A keccak per participant per create was a third of a
/// `spec` create, for the same few addresses over and over: answers are memoised per thread
/// (a pure function's cache; the model's state is untouched).
pub(crate) fn is_checksummed_address(s: &str) -> bool {
    thread_local! {
        static KNOWN: std::cell::RefCell<super::FastMap<String, bool>> = Default::default();
    }
    if !(s.starts_with("0x") && s.len() == 42) {
        return false;
    }
    KNOWN.with_borrow_mut(|known| {
        if let Some(answer) = known.get(s) {
            return *answer;
        }
        if known.len() >= 4096 {
            known.clear();
        }
        let answer = alloy_primitives::Address::parse_checksummed(s, None).is_ok();
        known.insert(s.to_string(), answer);
        answer
    })
}

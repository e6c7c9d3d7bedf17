//! The read methods: `get_ledger_balances` (AS-READ-3, API-9), `get_app_sessions`
//! (AS-READ-1, API-6), `get_app_definition` (AS-READ-2, API-5), `get_user_tag` (API-11), `get_channels`
//! (API-4), `get_ledger_entries` (API-7), `get_ledger_transactions` (API-8) and
//! `get_rpc_history` (API-10). The list methods share API-0's options, with `sort` from an
//! allow-list (FUZZ-6, [`ListOptions::ascending`]).

use super::books::{self, go_hex_to_address, ListOptions, TxType, ZERO_ADDRESS};
use super::channel::Channels;
use super::ledger::checksummed;
use super::notify;
use super::outcome::Call;
use super::params::{self, key_is};
use super::session::AppSession;
use super::{fail, parse_stop, Model, Stop, PARSE_FAILED};
use serde_json::{json, Value};

/// Reads list options and the string members `names` (in that order) of a list method's params.
fn list_params<const N: usize>(
    call: &Call,
    names: [&str; N],
) -> Result<([String; N], ListOptions), Stop> {
    let mut strings: [String; N] = std::array::from_fn(|_| String::new());
    let mut options = ListOptions::default();
    params::each_member(call.params, |k, v| {
        if let Some(read) = options.member(k, v) {
            return read;
        }
        match names.iter().position(|n| key_is(k, n)) {
            Some(i) => params::string(&mut strings[i], v),
            None => Ok(()),
        }
    })
    .map_err(|e| parse_stop(e, PARSE_FAILED))?;
    Ok((strings, options))
}

impl Model {
    /// Rows over (account_id or caller, wallet = caller): a session id gives the caller's own
    /// share, another wallet gives `[]`. Order undefined: see [`notify::normalize_unordered`].
    pub(crate) fn get_ledger_balances(&mut self, call: &Call, caller: &str) -> Result<Value, Stop> {
        let mut account = String::new();
        params::each_member(call.params, |k, v| {
            if key_is(k, "account_id") {
                params::string(&mut account, v)
            } else {
                Ok(())
            }
        })
        .map_err(|e| parse_stop(e, PARSE_FAILED))?;
        if !self.full() {
            return Ok(Value::Null);
        }
        let account = if account.is_empty() {
            caller
        } else {
            account.as_str()
        };
        Ok(notify::object1(
            "ledger_balances",
            notify::balance_rows(&self.ledger, account, caller),
        ))
    }

    /// API-5: `get_app_definition` (public): `{app_session_id}`, any status; application "".
    pub(crate) fn get_app_definition(&mut self, call: &Call) -> Result<Value, Stop> {
        let mut id = String::new();
        params::each_member(call.params, |k, v| {
            if key_is(k, "app_session_id") {
                params::string(&mut id, v)
            } else {
                Ok(())
            }
        })
        .map_err(|e| parse_stop(e, PARSE_FAILED))?;
        if id.is_empty() {
            return Err(fail("missing account ID"));
        }
        match self.sessions.get(&id) {
            Some(s) => Ok(s.definition_json()),
            None => Err(fail("failed to get application session")),
        }
    }

    /// API-6: `get_app_sessions` (public): exact `participant` and `status` filters plus the list
    /// options of API-0.
    /// Filters, `updated_at` order (newest first by default, Q-26), limit 10 / cap 100. Ties in
    /// `updated_at` have no defined order in Clearnode; the model breaks them by creation order.
    pub(crate) fn get_app_sessions(&mut self, call: &Call) -> Result<Value, Stop> {
        let (mut participant, mut status, mut sort) = (String::new(), String::new(), None);
        let (mut offset, mut limit) = (0u64, 0u64);
        params::each_member(call.params, |k, v| {
            if key_is(k, "participant") {
                params::string(&mut participant, v)
            } else if key_is(k, "status") {
                params::string(&mut status, v)
            } else if key_is(k, "sort") {
                params::opt_string(&mut sort, v)
            } else if key_is(k, "offset") {
                params::uint(&mut offset, v, u64::from(u32::MAX))
            } else if key_is(k, "limit") {
                params::uint(&mut limit, v, u64::from(u32::MAX))
            } else {
                Ok(())
            }
        })
        .map_err(|e| parse_stop(e, PARSE_FAILED))?;
        // API-0: list options `offset` and `limit` are uint32; `sort` is a string that reaches
        // ORDER BY upper-cased; only valid SQL survives (Q-26, FUZZ-6).
        let Some(ascending) = books::sort_ascending(sort.as_deref()) else {
            return Err(fail("failed to get application sessions"));
        };
        if !self.full() {
            return Ok(Value::Null);
        }
        let mut list: Vec<&AppSession> = match participant.is_empty() {
            true => self.sessions.values().collect(),
            false => self
                .sessions_of
                .get(&participant)
                .into_iter()
                .flatten()
                .filter_map(|id| self.sessions.get(id))
                .collect(),
        };
        list.retain(|s| status.is_empty() || s.status.as_str() == status);
        list.sort_by_key(|s| std::cmp::Reverse((s.updated_ms, s.seq)));
        if ascending {
            list.reverse();
        }
        // API-0, LIM-5: a missing or 0 `limit` means 10; anything above 100 is capped at 100.
        let limit = match limit {
            0 => 10,
            l => l.min(100),
        } as usize;
        let out: Vec<Value> = list
            .into_iter()
            .skip(offset as usize)
            .take(limit)
            .map(|s| s.record_json(true))
            .collect();
        Ok(json!({ "app_sessions": out }))
    }

    pub(crate) fn get_user_tag(&mut self, caller: &str) -> Result<Value, Stop> {
        match self.auth.tag_of(caller) {
            Some(t) => Ok(json!({ "tag": t })),
            None => Err(fail("failed to get user tag")),
        }
    }

    /// API-4: channels filtered by `participant` (exact, against the `wallet` column) and
    /// `status`, `created_at` order (newest first by default).
    pub(crate) fn get_channels(&mut self, call: &Call) -> Result<Value, Stop> {
        let ([participant, status], options) = list_params(call, ["participant", "status"])?;
        let Some(ascending) = options.ascending() else {
            return Err(fail("failed to get channels"));
        };
        let rows: Vec<(usize, (&str, &super::Channel, u64))> = self
            .channels
            .all()
            .enumerate()
            .filter(|(_, (w, c, _))| {
                (participant.is_empty() || *w == participant)
                    && (status.is_empty() || c.status.as_str() == status)
            })
            .collect();
        let rows: Vec<&(usize, (&str, &super::Channel, u64))> = rows.iter().collect();
        let list: Vec<Value> = books::ordered(rows, |(seq, _)| *seq, ascending, &options)
            .into_iter()
            .map(|(_, (w, c, t))| Channels::list_row_json(w, c, *t))
            .collect();
        Ok(json!({ "channels": list }))
    }

    /// API-7: rows of `wallet` (else the connection's wallet, else every wallet: `HexToAddress`
    /// of the filter is the zero address), of `account_id` (`NewAccountID`) and `asset` if
    /// given, `created_at` order (newest first by default).
    pub(crate) fn get_ledger_entries(&mut self, call: &Call) -> Result<Value, Stop> {
        let ([account, asset, wallet], options) =
            list_params(call, ["account_id", "asset", "wallet"])?;
        if !self.full() {
            return Ok(Value::Null);
        }
        let wallet = if wallet.is_empty() {
            self.auth
                .wallet_of(call.conn)
                .unwrap_or_default()
                .to_string()
        } else {
            wallet
        };
        let wallet = Some(go_hex_to_address(&wallet)).filter(|w| w != ZERO_ADDRESS);
        let account = Some(checksummed(&account)).filter(|a| !a.is_empty());
        let Some(ascending) = options.ascending() else {
            return Err(fail("failed to get ledger entries"));
        };
        let rows = self
            .books
            .entries
            .iter()
            .filter(|e| account.as_ref().is_none_or(|a| e.account_id == *a))
            .filter(|e| wallet.as_ref().is_none_or(|w| e.participant == *w))
            .filter(|e| asset.is_empty() || e.asset == asset)
            .collect();
        let list: Vec<Value> = books::ordered(rows, |e| (e.created_ms, e.id), ascending, &options)
            .into_iter()
            .map(books::EntryRow::json)
            .collect();
        Ok(json!({ "ledger_entries": list }))
    }

    /// API-8: rows from or to `account_id` (`NewAccountID`), of `asset` and `tx_type` if given,
    /// `created_at` order (newest first by default), with the accounts' user tags.
    pub(crate) fn get_ledger_transactions(&mut self, call: &Call) -> Result<Value, Stop> {
        let ([account, asset, tx_type], options) =
            list_params(call, ["account_id", "asset", "tx_type"])?;
        let tx_type = match tx_type.as_str() {
            "" => None,
            name => {
                Some(TxType::parse(name).ok_or_else(|| fail("invalid ledger transaction type"))?)
            }
        };
        if !self.full() {
            return Ok(Value::Null);
        }
        let account = checksummed(&account);
        let Some(ascending) = options.ascending() else {
            return Err(fail("failed to get transactions"));
        };
        let rows = self
            .books
            .txs
            .iter()
            .filter(|t| account.is_empty() || t.from_account == account || t.to_account == account)
            .filter(|t| asset.is_empty() || t.asset == asset)
            .filter(|t| tx_type.is_none_or(|k| t.tx_type == k))
            .collect();
        let tag_of = |account: &str| self.auth.tag_of(account).map(str::to_string);
        let list: Vec<Value> = books::ordered(rows, |t| (t.created_ms, t.id), ascending, &options)
            .into_iter()
            .map(|t| t.json(tag_of))
            .collect();
        Ok(json!({ "ledger_transactions": list }))
    }

    /// API-10: the caller's calls of the history group, by request `ts` (newest first by
    /// default; equal timestamps newest first, where Clearnode's order is undefined).
    pub(crate) fn get_rpc_history(&mut self, call: &Call, caller: &str) -> Result<Value, Stop> {
        let ([], options) = list_params(call, [])?;
        if !self.full() {
            return Ok(Value::Null);
        }
        let Some(ascending) = options.ascending() else {
            return Err(fail("failed to retrieve RPC history"));
        };
        let rows = self
            .books
            .rpc
            .iter()
            .filter(|r| r.sender == caller)
            .collect();
        let list: Vec<Value> = books::ordered(rows, |r| (r.timestamp, r.id), ascending, &options)
            .into_iter()
            .map(books::RpcRow::json)
            .collect();
        Ok(json!({ "rpc_entries": list }))
    }
}

//! The read methods: `get_ledger_balances` (AS-READ-3, API-9), `get_app_sessions`
//! (AS-READ-1), `get_app_definition` (AS-READ-2) and `get_user_tag` (API-11).

use super::notify;
use super::outcome::Call;
use super::params::{self, key_is};
use super::session::AppSession;
use super::{fail, parse_stop, Model, Stop, PARSE_FAILED};
use serde_json::{json, Value};

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

    /// Filters, `updated_at` order (newest first by default, Q-26), limit 10 / cap 100. Ties in
    /// `updated_at` have no defined order in Clearnode; the model breaks them by creation order.
    pub(crate) fn get_app_sessions(&mut self, call: &Call) -> Result<Value, Stop> {
        let (mut participant, mut status, mut sort) = (String::new(), String::new(), String::new());
        let (mut offset, mut limit) = (0u64, 0u64);
        params::each_member(call.params, |k, v| {
            if key_is(k, "participant") {
                params::string(&mut participant, v)
            } else if key_is(k, "status") {
                params::string(&mut status, v)
            } else if key_is(k, "sort") {
                params::string(&mut sort, v)
            } else if key_is(k, "offset") {
                params::uint(&mut offset, v, u64::from(u32::MAX))
            } else if key_is(k, "limit") {
                params::uint(&mut limit, v, u64::from(u32::MAX))
            } else {
                Ok(())
            }
        })
        .map_err(|e| parse_stop(e, PARSE_FAILED))?;
        // `sort` goes into ORDER BY upper-cased; only valid SQL survives.
        let words: Vec<String> = sort
            .to_uppercase()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let ascending = match words
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            [] | ["DESC"] | ["DESC", "NULLS", "FIRST" | "LAST"] => false,
            ["ASC"] | ["ASC", "NULLS", "FIRST" | "LAST"] => true,
            _ => return Err(fail("failed to get application sessions")),
        };
        if !self.full() {
            return Ok(Value::Null);
        }
        let mut list: Vec<&AppSession> = self
            .sessions
            .values()
            .filter(|s| participant.is_empty() || s.is_participant(&participant))
            .filter(|s| status.is_empty() || s.status.as_str() == status)
            .collect();
        list.sort_by_key(|s| std::cmp::Reverse((s.updated_ms, s.seq)));
        if ascending {
            list.reverse();
        }
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
}

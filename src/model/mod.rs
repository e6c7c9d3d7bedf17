//! The reference model: a pure, deterministic state machine of a NitroRPC broker (Clearnode
//! v0.5.2 or the `spec` profile). No I/O, no clock: time, ids and signatures are inputs.
//!
//! One [`Model::step`] takes a decoded request ([`Call`]) and returns the expected response and
//! notifications ([`Outcome`]). A failed request changes nothing: every ledger and session write
//! of a step goes through a journal that is rolled back on failure (AS-MODEL-3, AS-INV-4).

pub mod amount;
pub mod app_session;
pub mod auth;
pub mod books;
pub mod channel;
pub mod clock;
pub mod gojson;
pub mod invariants;
pub mod ledger;
pub mod notify;
pub mod outcome;
pub mod params;
pub mod profile;
pub mod read;
pub mod route;
pub mod session;
pub mod session_key;
pub mod transfer;

#[cfg(test)]
mod tests;

pub use amount::Dec;
pub use channel::{Channel, ChannelStatus};
pub use invariants::{Snapshot, Violation};
pub use notify::normalize_unordered;
pub use outcome::{
    AuthInputs, Call, ConnId, ErrorSet, Expected, JwtClaims, Notification, Outcome, Recipient,
    JWT_PLACEHOLDER,
};
pub use profile::Profile;
pub use route::{route, Route};
pub use session::{AppSession, Status};

use ledger::{AccountId, IsZeroValue, Ledger};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// The model's hash maps. Keys are harness inputs (no flooding to defend against), no output
/// depends on iteration order (outputs are sorted or BTree-backed), and SipHash was a tenth of
/// a step's instructions (callgrind, `examples/model_bench.rs`): a fixed-seed fast hasher.
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// Broker configuration the model needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Enabled asset symbols; only `auth_verify` allowances are checked against them (AUTH-7).
    pub assets: Vec<String>,
    /// `MSG_EXPIRY_TIME` (WIRE-12), also the transfer replay-cache TTL (REPLAY-2).
    pub msg_expiry_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            assets: vec!["usdc".to_string()],
            msg_expiry_ms: 60_000,
        }
    }
}

/// How much of each outcome to build. `Verdict` keeps the accept/reject decision, error sets,
/// notification methods and recipients, and `create_app_session`'s result, but leaves every
/// other result and every notification payload `null`: fuzzers that only need state and verdicts
/// run several times faster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    #[default]
    Full,
    Verdict,
}

/// Why a handler stopped: an error response, or a case the model does not decide.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stop {
    Error(ErrorSet),
    Unmodelled(&'static str),
}

impl From<ErrorSet> for Stop {
    fn from(e: ErrorSet) -> Self {
        Stop::Error(e)
    }
}

/// AS-GEN-3, WIRE-17: a handler's client-visible error is sent as its text; any other failure
/// sends the handler's fallback text, which the handlers pass here themselves.
pub(crate) fn fail(text: impl Into<String>) -> Stop {
    Stop::Error(ErrorSet::one(text))
}

/// A SPEC-* rejection: the rejection is required, its text is free (SPEC.md).
pub(crate) fn spec_reject(rule: &'static str, text: impl Into<String>) -> Stop {
    Stop::Error(ErrorSet {
        texts: vec![text.into()],
        any_text: true,
        rule: Some(rule),
        ..Default::default()
    })
}

pub(crate) fn parse_stop(e: params::ParseError, text: &'static str) -> Stop {
    match e {
        params::ParseError::Invalid => fail(text),
        params::ParseError::OutOfModelRange => {
            Stop::Unmodelled("amount exponent beyond model range")
        }
    }
}

pub(crate) const PARSE_FAILED: &str = "failed to parse parameters";

/// Where a journaled key sits in [`Journal::text`]: (start, length).
type Span = (u32, u32);

/// One journal entry: how to undo a write of the current step.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Undo {
    /// A ledger entry's previous value. Its asset is a span of the journal's text, so
    /// journaling a write allocates nothing (two to three writes a step).
    Entry {
        account: AccountId,
        wallet: AccountId,
        asset: Span,
        old: Option<Dec>,
    },
    Spent {
        key: String,
        asset: String,
        old: Option<Dec>,
    },
    SessionInserted(String),
    /// A `ledger` row of this step (API-7); its id stays used.
    EntryLogged,
    /// A `ledger_transactions` row of this step (API-8); its id stays used.
    TxLogged,
    SessionFields {
        id: String,
        version: u64,
        status: Status,
        session_data: String,
        updated_ms: u64,
    },
}

/// The undo log of the current step; emptied (capacity kept) when the step ends.
#[derive(Debug, Clone, Default)]
pub(crate) struct Journal {
    undo: Vec<Undo>,
    text: String,
}

impl Journal {
    fn key(&mut self, s: &str) -> Span {
        let start = self.text.len();
        self.text.push_str(s);
        (start as u32, s.len() as u32)
    }

    fn text(&self, (start, len): Span) -> &str {
        &self.text[start as usize..(start + len) as usize]
    }

    fn push(&mut self, u: Undo) {
        self.undo.push(u);
    }

    fn clear(&mut self) {
        self.undo.clear();
        self.text.clear();
    }
}

/// The whole broker state. Cheap to clone for a handful of wallets and sessions.
#[derive(Debug, Clone)]
pub struct Model {
    pub(crate) profile: Profile,
    pub(crate) config: Config,
    pub(crate) ledger: Ledger,
    pub(crate) sessions: FastMap<String, AppSession>,
    /// Participant (as spelled in the definition) → the ids of its sessions, in creation order:
    /// `get_app_sessions` by participant reads these instead of every session (a long fuzz
    /// campaign holds tens of thousands). Participants never change after creation.
    pub(crate) sessions_of: FastMap<String, Vec<String>>,
    pub(crate) auth: auth::AuthState,
    pub(crate) keys: session_key::KeyStore,
    pub(crate) channels: channel::Channels,
    pub(crate) funded: BTreeMap<String, Dec>,
    /// `ledger_transactions` id sequence. Postgres sequences do not roll back, so ids used by a
    /// failed request stay used (Q-28 rows included).
    pub(crate) tx_seq: u64,
    pub(crate) session_seq: u64,
    /// Transfer replay cache: keccak(req bytes) → expiry ms (REPLAY-2).
    pub(crate) replay: FastMap<[u8; 32], u64>,
    /// The rows behind the read methods (API-7, API-8, API-10); kept in `Full` detail only.
    pub(crate) books: books::Books,
    /// The wallet whose RPC history the current request goes into, once it passed
    /// authentication (API-10): set by [`Model::step`], taken by the broker.
    pub(crate) history_sender: Option<String>,
    /// How many leading `sig` entries of the current request went through Go's
    /// `RecoverAddress`, which rewrites v in place (SIG-8, L-12): a request refused before its
    /// signatures are read is stored in the history with its v as sent.
    pub(crate) sigs_recovered: usize,
    /// The clock of the current step, for the rows it writes.
    pub(crate) step_now_ms: u64,
    pub(crate) detail: Detail,
    journal: Journal,
}

impl Model {
    pub fn new(profile: Profile, config: Config) -> Self {
        Model {
            profile,
            config,
            ledger: Ledger::default(),
            sessions: FastMap::default(),
            sessions_of: FastMap::default(),
            auth: auth::AuthState::default(),
            keys: session_key::KeyStore::default(),
            channels: channel::Channels::default(),
            funded: BTreeMap::new(),
            tx_seq: 0,
            session_seq: 0,
            replay: FastMap::default(),
            books: books::Books::default(),
            history_sender: None,
            sigs_recovered: 0,
            step_now_ms: 0,
            detail: Detail::Full,
            journal: Journal::default(),
        }
    }

    /// See [`Detail`]; `Full` by default.
    pub fn set_detail(&mut self, detail: Detail) {
        self.detail = detail;
    }

    pub(crate) fn full(&self) -> bool {
        self.detail == Detail::Full
    }

    /// A `bu` to `wallet`, with its payload only in `Full` detail.
    pub(crate) fn bu_note(&self, wallet: &str, group: u32) -> Notification {
        if self.full() {
            notify::bu(&self.ledger, wallet, group)
        } else {
            notify::bare(wallet, "bu", group)
        }
    }

    pub fn profile(&self) -> Profile {
        self.profile
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Handles one decoded request. REPLAY-1: request ids are never remembered, so a repeated
    /// id is processed again; the only general guard is the timestamp window of the private
    /// methods (in the auth middleware).
    pub fn step(&mut self, call: &Call) -> Outcome {
        let mut out = Outcome {
            response: Expected::Unmodelled(""),
            notifications: Vec::new(),
            after_response: Vec::new(),
            jwt: None,
        };
        // AS-GEN-4 / WIRE-4: structural validation happens before routing. The wire layer
        // normally answers these itself; the model agrees with it.
        if call.method.is_empty() || call.params.is_null() || call.ts == 0 {
            out.response = Expected::Err(ErrorSet::one("message validation failed"));
            return out;
        }
        let Some(route) = route::route(call.method) else {
            out.response = Expected::Err(ErrorSet::one(route::unknown_method(call.method)));
            return out;
        };
        // AS-GEN-5: the app-session methods and `transfer` are private: the auth middleware
        // (authentication, auth session, timestamp window) runs before their handlers. WIRE-11:
        // a public method's timestamp is checked only for being non-zero (above).
        self.history_sender = None;
        self.sigs_recovered = 0;
        self.step_now_ms = call.now_ms;
        let caller = if route.public {
            None
        } else {
            match self.auth_middleware(call) {
                Ok(w) => Some(w),
                Err(e) => {
                    out.response = Expected::Err(e);
                    return out;
                }
            }
        };
        if route::in_history(call.method) {
            // API-10: the history middleware records the call whatever its handler answers.
            self.history_sender = caller.clone();
        }
        debug_assert!(self.journal.undo.is_empty());
        let result = self.dispatch(call, caller.as_deref(), &mut out);
        match result {
            Ok((method, value)) => {
                self.journal.clear();
                out.response = Expected::Ok {
                    method,
                    result: value,
                };
            }
            Err(stop) => {
                self.rollback();
                out.notifications.clear();
                out.after_response.clear();
                out.jwt = None;
                out.response = match stop {
                    Stop::Error(e) => Expected::Err(e),
                    Stop::Unmodelled(why) => Expected::Unmodelled(why),
                };
            }
        }
        // the middleware `bu` reaches the caller after failed requests too.
        if route.balance_middleware {
            let w = caller
                .as_deref()
                .expect("balance middleware runs after auth");
            out.notifications.push(self.bu_note(w, 0));
        }
        out
    }

    fn dispatch(
        &mut self,
        call: &Call,
        caller: Option<&str>,
        out: &mut Outcome,
    ) -> Result<(&'static str, Value), Stop> {
        let c = || caller.expect("private method after auth");
        match call.method {
            "ping" => Ok(("pong", Value::Null)),
            "auth_request" => self.auth_request(call).map(|v| ("auth_challenge", v)),
            "auth_verify" => self.auth_verify(call, out).map(|v| ("auth_verify", v)),
            "get_app_definition" => self
                .get_app_definition(call)
                .map(|v| ("get_app_definition", v)),
            "get_app_sessions" => self.get_app_sessions(call).map(|v| ("get_app_sessions", v)),
            "get_ledger_balances" => self
                .get_ledger_balances(call, c())
                .map(|v| ("get_ledger_balances", v)),
            "get_user_tag" => self.get_user_tag(c()).map(|v| ("get_user_tag", v)),
            "get_ledger_entries" => self
                .get_ledger_entries(call)
                .map(|v| ("get_ledger_entries", v)),
            "get_ledger_transactions" => self
                .get_ledger_transactions(call)
                .map(|v| ("get_ledger_transactions", v)),
            "get_channels" => self.get_channels(call).map(|v| ("get_channels", v)),
            "get_rpc_history" => self
                .get_rpc_history(call, c())
                .map(|v| ("get_rpc_history", v)),
            "get_session_keys" => self
                .get_session_keys(call, c())
                .map(|v| ("get_session_keys", v)),
            "revoke_session_key" => self
                .revoke_session_key(call, c())
                .map(|v| ("revoke_session_key", v)),
            "transfer" => self
                .transfer(call, c(), &mut out.notifications)
                .map(|v| ("transfer", v)),
            "create_app_session" => self
                .create_app_session(call, &mut out.notifications)
                .map(|v| ("create_app_session", v)),
            "submit_app_state" => self
                .submit_app_state(call, &mut out.notifications)
                .map(|v| ("submit_app_state", v)),
            "close_app_session" => self
                .close_app_session(call, &mut out.notifications)
                .map(|v| ("close_app_session", v)),
            _ => Err(Stop::Unmodelled("handler not modelled")),
        }
    }

    fn rollback(&mut self) {
        let mut journal = std::mem::take(&mut self.journal);
        while let Some(u) = journal.undo.pop() {
            match u {
                Undo::Entry {
                    account,
                    wallet,
                    asset,
                    old,
                } => self
                    .ledger
                    .restore_at(account, wallet, journal.text(asset), old),
                Undo::Spent { key, asset, old } => self.keys.restore_spent(&key, &asset, old),
                Undo::SessionInserted(id) => {
                    if let Some(s) = self.sessions.remove(&id) {
                        self.unindex_session(&s);
                    }
                }
                Undo::EntryLogged => {
                    self.books.entries.pop();
                }
                Undo::TxLogged => {
                    self.books.txs.pop();
                }
                Undo::SessionFields {
                    id,
                    version,
                    status,
                    session_data,
                    updated_ms,
                } => {
                    let s = self
                        .sessions
                        .get_mut(&id)
                        .expect("journaled session exists");
                    s.version = version;
                    s.status = status;
                    s.session_data = session_data;
                    s.updated_ms = updated_ms;
                }
            }
        }
        journal.clear();
        self.journal = journal;
    }

    /// One ledger write inside a step, journaled. `account` and `wallet` are raw strings
    /// (normalised here); `tag` is the session key a debit is charged to (AS-SK-3).
    pub(crate) fn record(
        &mut self,
        account: &str,
        wallet: &str,
        asset: &str,
        amount: &Dec,
        tag: Option<&str>,
    ) -> Result<(), Stop> {
        let stored = match Ledger::stored_amount(wallet, asset, amount) {
            Ok(Some(s)) => s,
            Ok(None) => return Ok(()),
            Err(e) => return Err(Stop::Error(e.error_set())),
        };
        let spent = match tag {
            Some(key) if stored.sign() == bigdecimal::num_bigint::Sign::Minus => {
                Some((key, -&stored))
            }
            _ => None,
        };
        if self.full() {
            // API-7: the row, named as Clearnode names it (raw strings, not the ledger keys).
            self.books
                .entry(account, wallet, asset, &stored, self.step_now_ms);
        } else {
            self.books.entry_seq += 1;
        }
        let (account, wallet) = (self.ledger.intern(account), self.ledger.intern(wallet));
        let old = self.ledger.add_at(account, wallet, asset, stored);
        let asset_key = self.journal.key(asset);
        self.journal.push(Undo::Entry {
            account,
            wallet,
            asset: asset_key,
            old,
        });
        if self.full() {
            self.journal.push(Undo::EntryLogged);
        }
        if let Some((key, spent)) = spent {
            let old = self.keys.add_spent(key, asset, &spent);
            self.journal.push(Undo::Spent {
                key: key.to_string(),
                asset: asset.to_string(),
                old,
            });
        }
        Ok(())
    }

    /// Journals the mutable fields of `s` (an open session, possibly lifted out of the map by
    /// [`Model::with_open_session`]) before a handler changes them.
    pub(crate) fn journal_session_fields(&mut self, s: &AppSession) {
        self.journal.push(Undo::SessionFields {
            id: s.id.clone(),
            version: s.version,
            status: s.status,
            session_data: s.session_data.clone(),
            updated_ms: s.updated_ms,
        });
    }

    pub(crate) fn insert_session(&mut self, s: AppSession) {
        self.journal.push(Undo::SessionInserted(s.id.clone()));
        let mut seen = std::collections::HashSet::new();
        for p in s.participants.iter().filter(|p| seen.insert(p.as_str())) {
            self.sessions_of
                .entry(p.clone())
                .or_default()
                .push(s.id.clone());
        }
        self.sessions.insert(s.id.clone(), s);
    }

    /// Undoes [`Model::insert_session`]'s index entries (a rollback removes the newest session).
    fn unindex_session(&mut self, s: &AppSession) {
        for p in &s.participants {
            if let Some(ids) = self.sessions_of.get_mut(p) {
                ids.retain(|id| *id != s.id);
                if ids.is_empty() {
                    self.sessions_of.remove(p);
                }
            }
        }
    }

    /// Writes one `ledger_transactions` row (API-8) and returns its id, which is never given
    /// back, even on rollback. Accounts are named as `NewAccountID` names them (ADDR-2).
    pub(crate) fn log_tx(
        &mut self,
        tx_type: books::TxType,
        from: &str,
        to: &str,
        asset: &str,
        amount: &Dec,
    ) -> u64 {
        self.tx_seq += 1;
        if self.full() {
            self.books.txs.push(books::TxRow {
                id: self.tx_seq,
                tx_type,
                from_account: ledger::checksummed(from),
                to_account: ledger::checksummed(to),
                asset: asset.to_string(),
                amount: amount.abs(),
                created_ms: self.step_now_ms,
            });
            self.journal.push(Undo::TxLogged);
        }
        self.tx_seq
    }

    // ----- harness hooks -------------------------------------------------------------------

    /// Credits a wallet's unified balance, like inserting a `ledger` row (runbook "Funding").
    /// A negative amount inserts a debit. Counts as funding for conservation checks.
    pub fn fund(&mut self, wallet: &str, asset: &str, amount: &Dec) {
        let stored = amount::round_for_storage(amount);
        if stored.is_zero_value() {
            return;
        }
        let key = self.ledger.intern(wallet);
        self.ledger.add_at(key, key, asset, stored.clone());
        *self.funded.entry(asset.to_string()).or_default() += &stored;
        // The `ledger` row a funding insert is (runbook "Funding"); it is not a step, so it is
        // dated by the last step's clock.
        if self.full() {
            self.books
                .entry(wallet, wallet, asset, &stored, self.step_now_ms);
        } else {
            self.books.entry_seq += 1;
        }
    }

    /// The wallet whose RPC history the last request goes into (API-10), if it belongs there:
    /// the broker records it with the bytes only it knows ([`Model::record_rpc`]).
    pub fn take_history_sender(&mut self) -> Option<String> {
        self.history_sender.take()
    }

    /// How many leading `sig` entries of the last request had v rewritten by recovery (SIG-8,
    /// L-12): what its history row shows with v as 0/1.
    pub fn sigs_recovered(&self) -> usize {
        self.sigs_recovered
    }

    /// Appends a row to the RPC history (API-10); its id is assigned here.
    pub fn record_rpc(&mut self, row: books::RpcRow) {
        if self.full() {
            self.books.record_rpc(row);
        }
    }

    /// [`Model::fund`] with the broker's clock, which dates the `ledger` row (API-7).
    pub fn fund_at(&mut self, wallet: &str, asset: &str, amount: &Dec, now_ms: u64) {
        self.step_now_ms = now_ms;
        self.fund(wallet, asset, amount);
    }

    /// Gives a wallet (exact `wallet` column string) a channel, to reach AS-CHAN-1 and AS-CHAN-2.
    /// NOTIF-7: Clearnode pushes `cu` on on-chain channel events; this harness hook is none, so
    /// nothing is pushed.
    pub fn add_channel(&mut self, wallet: &str, channel: Channel) {
        self.channels.add_at(wallet, channel, self.step_now_ms);
    }

    /// [`Model::add_channel`] with the broker's clock, which dates the row (API-4).
    pub fn add_channel_at(&mut self, wallet: &str, channel: Channel, now_ms: u64) {
        self.step_now_ms = now_ms;
        self.add_channel(wallet, channel);
    }

    pub fn clear_channels(&mut self, wallet: &str) {
        self.channels.clear(wallet);
    }

    // ----- snapshot accessors --------------------------------------------------------------

    /// Unified balance of (wallet, asset); any spelling of an address works (ADDR-2).
    pub fn unified_balance(&self, wallet: &str, asset: &str) -> Dec {
        self.ledger.balance(wallet, wallet, asset)
    }

    /// Session balance of a participant (AS-MODEL-1).
    pub fn session_balance(&self, session_id: &str, participant: &str, asset: &str) -> Dec {
        self.ledger.balance(session_id, participant, asset)
    }

    /// Per-asset totals of one session account over all wallets (Q-4 wallets included).
    pub fn session_totals(&self, session_id: &str) -> BTreeMap<String, Dec> {
        self.ledger.totals(session_id)
    }

    pub fn session(&self, id: &str) -> Option<&AppSession> {
        self.sessions.get(id)
    }

    pub fn sessions(&self) -> impl Iterator<Item = &AppSession> {
        self.sessions.values()
    }

    /// G for one asset: every ledger entry, unified and session, open and closed (AS-INV-1).
    pub fn total(&self, asset: &str) -> Dec {
        self.ledger
            .iter()
            .filter(|(_, _, a, _)| *a == asset)
            .map(|(_, _, _, v)| v)
            .sum()
    }

    /// Total funding through [`Model::fund`] per asset.
    pub fn funded(&self) -> &BTreeMap<String, Dec> {
        &self.funded
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn session_keys(&self) -> &session_key::KeyStore {
        &self.keys
    }

    /// The wallet a connection is authenticated as.
    pub fn connection_wallet(&self, conn: ConnId) -> Option<&str> {
        self.auth.wallet_of(conn)
    }

    /// Connections that receive a wallet's notifications (NOTIF-1), in id order.
    pub fn connections_of(&self, wallet: &str) -> Vec<ConnId> {
        self.auth.connections_of(wallet)
    }

    /// The observable state for [`invariants`].
    pub fn snapshot(&self) -> Snapshot {
        invariants::Snapshot::of(self)
    }
}

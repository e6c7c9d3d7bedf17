//! Seeded bugs ("mutants") the embedded broker can carry, so the harness can prove it catches
//! real implementation mistakes: a fault changes what the broker answers, pushes or books,
//! while the model (and so every expectation) stays correct.
//!
//! A fault acts around one model step ([`Fault::step`]) in one of three ways, never by editing
//! the model's rules: it rewrites the call before the model sees it (a version, a signature, an
//! amount), it changes the outcome after it (a missing push), or it adjusts the books (a credit
//! skipped or paid twice, through [`Model::fund`] or a ledger entry), and puts back any
//! temporary change (a stored quorum, an injected balance) before the next request.

use crate::model::amount::{parse_decimal, round_for_storage};
use crate::model::ledger::account_key;
use crate::model::session::PROTOCOL_04;
use crate::model::{AppSession, Call, Dec, Expected, Model, Outcome, Snapshot, Status};
use bigdecimal::Zero;
use serde_json::Value;
use std::collections::BTreeMap;

/// A deliberate bug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Never answers a request (the `assets` greeting still comes).
    Silent,
    /// Closes a session without crediting the first row's unified balance.
    SkipCloseCredit,
    /// Never sends `asu` (NOTIF-6).
    DropAsu,
    /// Counts every signature's weight, so a wallet signing twice (or directly and through its
    /// session key) counts twice (AS-QUORUM-1).
    QuorumCountsDuplicates,
    /// Requires more than the quorum: signers weighing exactly the quorum are refused.
    QuorumOffByOne,
    /// Never checks a NitroRPC/0.4 submit's version (AS-V04-1).
    VersionUnchecked,
    /// Accepts a NitroRPC/0.4 submit that repeats the current version (a replay).
    VersionReuse,
    /// Operate does not check that the rows add up to the session total (AS-OP-2).
    OperateSkipsSumCheck,
    /// Deposit does not require the depositor's signature (AS-DEP-1 step 2.4).
    DepositSkipsDepositorSignature,
    /// Withdraw credits the unified balance twice.
    WithdrawCreditsTwice,
    /// Reads a negative amount as its absolute value (the sign is dropped).
    NegativeAccepted,
    /// Takes a NitroRPC/0.2 submit with `intent`/`version` as a plain 0.2 submit (AS-V02-1).
    V02AcceptsIntent,
    /// Counts a session key's signature for the wallet of the connection that sent the request
    /// instead of the key's owner.
    SessionKeyForCaller,
    /// Transfers without checking the sender's balance (it goes negative).
    TransferOverdraws,
    /// Closes a session without checking the signers' weight (any participant may close).
    CloseSkipsQuorum,
    /// Never checks `req[3]` against the clock (WIRE-12).
    TimestampUnchecked,
    /// Answers app-session requests with another request's id (WIRE-8): the id plus
    /// [`WRONG_REPLY_ID_SHIFT`], as a broker that mixes up its pending requests would.
    WrongReplyId,
    /// A race: `transfer` reads the sender's balance, yields, and later writes *read − amount*
    /// (a read-modify-write without a lock), so a debit that landed in between is lost. The
    /// embedded broker runs the read and the write in two acquisitions of its engine lock
    /// ([`crate::broker`]); a sequential client can never see it.
    TransferLostUpdate,
}

/// How far [`Fault::WrongReplyId`] moves a reply's id (issue #10 saw a proxy add 7).
pub const WRONG_REPLY_ID_SHIFT: u64 = 7;

impl Fault {
    /// The faults a sequential harness (certify, fuzz) must catch: the kill rate's list.
    pub const ALL: &'static [Fault] = &[
        Fault::Silent,
        Fault::SkipCloseCredit,
        Fault::DropAsu,
        Fault::QuorumCountsDuplicates,
        Fault::QuorumOffByOne,
        Fault::VersionUnchecked,
        Fault::VersionReuse,
        Fault::OperateSkipsSumCheck,
        Fault::DepositSkipsDepositorSignature,
        Fault::WithdrawCreditsTwice,
        Fault::NegativeAccepted,
        Fault::V02AcceptsIntent,
        Fault::SessionKeyForCaller,
        Fault::TransferOverdraws,
        Fault::CloseSkipsQuorum,
        Fault::TimestampUnchecked,
        Fault::WrongReplyId,
    ];

    /// Faults that only show under concurrent requests: a sequential harness (certify, fuzz)
    /// cannot catch them, so they are counted apart, by `nitrocert race`.
    pub const RACE: &'static [Fault] = &[Fault::TransferLostUpdate];

    /// Every fault, sequential and race.
    pub fn every() -> impl Iterator<Item = Fault> {
        Fault::ALL.iter().chain(Fault::RACE).copied()
    }

    /// Whether the broker splits a request into a read and a later write (see
    /// [`Fault::read_phase`]).
    pub fn splits_read_and_write(self) -> bool {
        self == Fault::TransferLostUpdate
    }

    pub fn name(self) -> &'static str {
        match self {
            Fault::Silent => "silent",
            Fault::SkipCloseCredit => "close-skips-credit",
            Fault::DropAsu => "no-asu",
            Fault::QuorumCountsDuplicates => "quorum-counts-duplicates",
            Fault::QuorumOffByOne => "quorum-off-by-one",
            Fault::VersionUnchecked => "version-unchecked",
            Fault::VersionReuse => "v04-version-reuse",
            Fault::OperateSkipsSumCheck => "operate-skips-sum-check",
            Fault::DepositSkipsDepositorSignature => "deposit-skips-depositor-signature",
            Fault::WithdrawCreditsTwice => "withdraw-credits-twice",
            Fault::NegativeAccepted => "negative-accepted",
            Fault::V02AcceptsIntent => "v02-accepts-intent",
            Fault::SessionKeyForCaller => "session-key-for-caller",
            Fault::TransferOverdraws => "transfer-overdraws",
            Fault::CloseSkipsQuorum => "close-skips-quorum",
            Fault::TimestampUnchecked => "timestamp-unchecked",
            Fault::WrongReplyId => "wrong-reply-id",
            Fault::TransferLostUpdate => "transfer-lost-update",
        }
    }

    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::every().find(|f| f.name() == name)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Fault::Silent => "never answers a request",
            Fault::SkipCloseCredit => {
                "close_app_session does not credit the first row's unified balance"
            }
            Fault::DropAsu => "submit_app_state never pushes asu",
            Fault::QuorumCountsDuplicates => {
                "quorum counts a wallet once per signature (twice when it signs twice)"
            }
            Fault::QuorumOffByOne => "quorum needs more than the quorum weight, not as much",
            Fault::VersionUnchecked => "a NitroRPC/0.4 submit's version is not checked",
            Fault::VersionReuse => "a NitroRPC/0.4 submit may repeat the current version",
            Fault::OperateSkipsSumCheck => "operate does not check that rows add up to the total",
            Fault::DepositSkipsDepositorSignature => {
                "deposit does not require the depositor's signature"
            }
            Fault::WithdrawCreditsTwice => "withdraw credits the unified balance twice",
            Fault::NegativeAccepted => "negative amounts are read without their sign",
            Fault::V02AcceptsIntent => "a NitroRPC/0.2 submit with intent/version is accepted",
            Fault::SessionKeyForCaller => {
                "a session key's signature counts for the sending connection's wallet"
            }
            Fault::TransferOverdraws => "transfer does not check the sender's balance",
            Fault::CloseSkipsQuorum => "close_app_session does not check the quorum",
            Fault::TimestampUnchecked => "req[3] is not checked against the clock",
            Fault::WrongReplyId => "replies to app-session requests carry the request id plus 7",
            Fault::TransferLostUpdate => {
                "transfer reads the balance, yields, then writes read - amount (race only)"
            }
        }
    }

    /// The id the faulty broker writes in its reply to request `id` of `method`.
    pub fn reply_id(self, method: &str, id: u64) -> u64 {
        let app_session = matches!(
            method,
            "create_app_session" | "submit_app_state" | "close_app_session"
        );
        if self == Fault::WrongReplyId && app_session {
            id.wrapping_add(WRONG_REPLY_ID_SHIFT)
        } else {
            id
        }
    }

    /// Whether the broker swallows the request without a reply.
    pub fn swallows(self) -> bool {
        self == Fault::Silent
    }

    /// One model step as the faulty broker does it.
    pub fn step(self, model: &mut Model, call: &Call) -> Outcome {
        self.step_after_read(model, call, None)
    }

    /// The read half of a request, for a fault that splits reads from writes: the balances
    /// the write will later be based on. `None` for every other fault and request.
    pub fn read_phase(
        self,
        model: &Model,
        conn: crate::model::ConnId,
        method: &str,
        params: &Value,
    ) -> Option<StaleRead> {
        if self != Fault::TransferLostUpdate || method != "transfer" {
            return None;
        }
        let wallet = model.connection_wallet(conn)?.to_string();
        let balances = transfer_sums(params)
            .into_keys()
            .map(|asset| {
                let read = model.unified_balance(&wallet, &asset);
                (asset, read)
            })
            .collect();
        Some(StaleRead { wallet, balances })
    }

    /// [`Fault::step`], with what [`Fault::read_phase`] read in an earlier lock acquisition.
    pub fn step_after_read(
        self,
        model: &mut Model,
        call: &Call,
        stale: Option<&StaleRead>,
    ) -> Outcome {
        let mut params = call.params.clone();
        let mut signatures = call.signatures.to_vec();
        let mut ts = call.ts;
        let mut undo = Undo::default();
        let session = open_session(model, call.method, &params);
        let wallets = signer_wallets(model, &signatures, call.now_ms);
        let before = (self == Fault::WithdrawCreditsTwice).then(|| Snapshot::of(model));
        let in_session = matches!(call.method, "submit_app_state" | "close_app_session");
        match self {
            Fault::QuorumCountsDuplicates if in_session => {
                if let Some(s) = &session {
                    let once = weight(s, &distinct(&wallets));
                    let every = weight(s, &wallets);
                    if once < s.quorum as i64 && every >= s.quorum as i64 {
                        undo.quorum(model, &s.id, once.max(0) as u64);
                    }
                }
            }
            Fault::QuorumOffByOne if in_session => {
                if let Some(s) = &session {
                    if weight(s, &distinct(&wallets)) == s.quorum as i64 {
                        undo.quorum(model, &s.id, s.quorum + 1);
                    }
                }
            }
            Fault::CloseSkipsQuorum if call.method == "close_app_session" => {
                if let Some(s) = &session {
                    undo.quorum(model, &s.id, 0);
                }
            }
            Fault::VersionUnchecked | Fault::VersionReuse if call.method == "submit_app_state" => {
                if let Some(s) = session.as_ref().filter(|s| s.protocol == PROTOCOL_04) {
                    let sent = params.get("version").and_then(Value::as_u64);
                    if self == Fault::VersionUnchecked || sent == Some(s.version) {
                        params["version"] = Value::from(s.version + 1);
                    }
                }
            }
            Fault::V02AcceptsIntent
                if call.method == "submit_app_state"
                    && session.as_ref().is_some_and(|s| s.protocol != PROTOCOL_04) =>
            {
                if let Some(o) = params.as_object_mut() {
                    o.remove("intent");
                    o.remove("version");
                }
            }
            Fault::OperateSkipsSumCheck if call.method == "submit_app_state" => {
                if let Some(s) = session.as_ref().filter(|s| is_operate(s, &params)) {
                    // Make the stored total match the rows, so the model's sum check passes
                    // and the rows set the balances exactly as a broker without the check does.
                    let totals = model.session_totals(&s.id);
                    for (asset, (sum, last)) in row_sums(s, &params) {
                        let delta = sum - totals.get(&asset).cloned().unwrap_or_default();
                        if !delta.is_zero() {
                            undo.inject(model, &s.id, &last, &asset, &delta);
                        }
                    }
                }
            }
            Fault::DepositSkipsDepositorSignature if call.method == "submit_app_state" => {
                let deposit = params.get("intent").and_then(Value::as_str) == Some("deposit");
                if let Some(s) = session.as_ref().filter(|_| deposit) {
                    let known = wallets.iter().all(|w| s.is_participant(w));
                    if known && weight(s, &distinct(&wallets)) >= s.quorum as i64 {
                        // Signed for every depositor: the model's signature check passes.
                        for p in depositors(model, s, &params) {
                            if !wallets.contains(&p) {
                                signatures.push(Some(p));
                            }
                        }
                    }
                }
            }
            Fault::NegativeAccepted => {
                if let Some(rows) = params.get_mut("allocations").and_then(Value::as_array_mut) {
                    for row in rows {
                        drop_sign(&mut row["amount"]);
                    }
                }
            }
            Fault::SessionKeyForCaller if in_session || call.method == "create_app_session" => {
                if let Some(caller) = model.connection_wallet(call.conn).map(str::to_string) {
                    for s in signatures.iter_mut().flatten() {
                        let owner = model.session_keys().live_wallet(s, call.now_ms);
                        if owner.is_some_and(|o| o != caller) {
                            *s = caller.clone();
                        }
                    }
                }
            }
            Fault::TransferOverdraws if call.method == "transfer" => {
                if let Some(caller) = model.connection_wallet(call.conn).map(str::to_string) {
                    for (asset, wanted) in transfer_sums(&params) {
                        let short = wanted - model.unified_balance(&caller, &asset);
                        if short > Dec::zero() {
                            // Lent for the step and taken back after it: the sender ends
                            // negative, as a broker without the balance check leaves it.
                            model.fund(&caller, &asset, &short);
                            undo.lent.push((caller.clone(), asset, short));
                        }
                    }
                }
            }
            Fault::TimestampUnchecked => ts = call.now_ms,
            Fault::TransferLostUpdate if call.method == "transfer" => {
                if let Some(stale) = stale {
                    // The write is based on the old read: put the read balance back for the
                    // step, so a debit that landed since is overwritten (kept if accepted).
                    for (asset, read) in &stale.balances {
                        let delta = read - model.unified_balance(&stale.wallet, asset);
                        if !delta.is_zero() {
                            undo.inject(model, &stale.wallet, &stale.wallet, asset, &delta);
                        }
                    }
                }
            }
            _ => {}
        }
        let faulty = Call {
            params: &params,
            signatures: &signatures,
            ts,
            ..*call
        };
        let mut outcome = model.step(&faulty);
        undo.apply(model, outcome.is_ok());
        if let Some(before) = before {
            if outcome.is_ok() && params.get("intent").and_then(Value::as_str) == Some("withdraw") {
                credit_again(model, &before);
            }
        }
        self.after_step(model, call.method, &params, &mut outcome);
        outcome
    }

    /// Applies the outcome and book faults after the model handled `method(params)`.
    pub fn after_step(
        self,
        model: &mut Model,
        method: &str,
        params: &Value,
        outcome: &mut Outcome,
    ) {
        let accepted = matches!(outcome.response, Expected::Ok { .. });
        match self {
            Fault::SkipCloseCredit if accepted && method == "close_app_session" => {
                let row = &params["allocations"][0];
                if let (Some(wallet), Some(asset), Some(amount)) = (
                    row["participant"].as_str(),
                    row["asset"].as_str(),
                    row["amount"].as_str().and_then(|a| parse_decimal(a).ok()),
                ) {
                    if amount > 0 {
                        model.fund(wallet, asset, &-amount);
                    }
                }
            }
            Fault::DropAsu => outcome.notifications.retain(|n| n.method != "asu"),
            _ => {}
        }
    }
}

/// Balances a broker read before it yielded (for [`Fault::TransferLostUpdate`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StaleRead {
    pub wallet: String,
    /// (asset, balance as read).
    pub balances: Vec<(String, Dec)>,
}

/// Temporary changes a fault made for one step, put back after it.
#[derive(Default)]
struct Undo {
    quorum: Option<(String, u64)>,
    /// Ledger entries changed before the step: (account, wallet, asset, old value).
    injected: Vec<(String, String, String, Option<Dec>)>,
    /// Funds lent to a wallet for the step: taken back whatever the outcome.
    lent: Vec<(String, String, Dec)>,
}

impl Undo {
    fn quorum(&mut self, model: &mut Model, id: &str, quorum: u64) {
        if let Some(s) = model.sessions.get_mut(id) {
            self.quorum = Some((id.to_string(), s.quorum));
            s.quorum = quorum;
        }
    }

    fn inject(&mut self, model: &mut Model, session: &str, wallet: &str, asset: &str, d: &Dec) {
        let (account, wallet) = (
            account_key(session).into_owned(),
            account_key(wallet).into_owned(),
        );
        let old = model
            .ledger
            .add(&account, &wallet, asset, &round_for_storage(d));
        self.injected
            .push((account, wallet, asset.to_string(), old));
    }

    fn apply(self, model: &mut Model, accepted: bool) {
        if let Some((id, quorum)) = self.quorum {
            if let Some(s) = model.sessions.get_mut(&id) {
                s.quorum = quorum;
            }
        }
        if !accepted {
            for (account, wallet, asset, old) in self.injected.into_iter().rev() {
                model.ledger.restore(&account, &wallet, &asset, old);
            }
        }
        for (wallet, asset, amount) in self.lent {
            model.fund(&wallet, &asset, &-amount);
        }
    }
}

fn open_session(model: &Model, method: &str, params: &Value) -> Option<AppSession> {
    if !matches!(method, "submit_app_state" | "close_app_session") {
        return None;
    }
    let id = params.get("app_session_id")?.as_str()?;
    model
        .session(id)
        .filter(|s| s.status == Status::Open)
        .cloned()
}

/// The wallets behind the signatures (a live session key stands for its wallet), one entry
/// per signature.
fn signer_wallets(model: &Model, signatures: &[Option<String>], now_ms: u64) -> Vec<String> {
    signatures
        .iter()
        .flatten()
        .map(|s| {
            model
                .session_keys()
                .live_wallet(s, now_ms)
                .unwrap_or(s)
                .to_string()
        })
        .collect()
}

fn distinct(wallets: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in wallets {
        if !out.contains(w) {
            out.push(w.clone());
        }
    }
    out
}

fn weight(s: &AppSession, wallets: &[String]) -> i64 {
    wallets.iter().map(|w| s.weight_of(w).unwrap_or(0)).sum()
}

fn is_operate(s: &AppSession, params: &Value) -> bool {
    s.protocol != PROTOCOL_04
        || matches!(
            params.get("intent").and_then(Value::as_str),
            None | Some("operate") | Some("")
        )
}

fn amount(row: &Value) -> Option<Dec> {
    match &row["amount"] {
        Value::String(s) => parse_decimal(s).ok(),
        Value::Number(n) => parse_decimal(&n.to_string()).ok(),
        _ => None,
    }
}

/// Per asset: the sum of the participants' non-negative rows and the last such participant.
fn row_sums(s: &AppSession, params: &Value) -> BTreeMap<String, (Dec, String)> {
    let mut sums: BTreeMap<String, (Dec, String)> = BTreeMap::new();
    for row in params["allocations"].as_array().into_iter().flatten() {
        let (Some(p), Some(asset), Some(a)) = (
            row["participant"].as_str(),
            row["asset"].as_str(),
            amount(row),
        ) else {
            continue;
        };
        if a < Dec::zero() || !s.is_participant(p) {
            continue;
        }
        let e = sums
            .entry(asset.to_string())
            .or_insert_with(|| (Dec::zero(), p.to_string()));
        e.0 += a;
        e.1 = p.to_string();
    }
    sums
}

/// Participants whose deposit row raises their session balance.
fn depositors(model: &Model, s: &AppSession, params: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for row in params["allocations"].as_array().into_iter().flatten() {
        let (Some(p), Some(asset), Some(a)) = (
            row["participant"].as_str(),
            row["asset"].as_str(),
            amount(row),
        ) else {
            continue;
        };
        if s.is_participant(p)
            && a > model.session_balance(&s.id, p, asset)
            && !out.iter().any(|o: &String| o == p)
        {
            out.push(p.to_string());
        }
    }
    out
}

fn transfer_sums(params: &Value) -> BTreeMap<String, Dec> {
    let mut sums: BTreeMap<String, Dec> = BTreeMap::new();
    for row in params["allocations"].as_array().into_iter().flatten() {
        if let (Some(asset), Some(a)) = (row["asset"].as_str(), amount(row)) {
            if a > Dec::zero() {
                *sums.entry(asset.to_string()).or_default() += a;
            }
        }
    }
    sums
}

fn drop_sign(amount: &mut Value) {
    match amount {
        Value::String(s) if s.starts_with('-') => {
            s.remove(0);
        }
        Value::Number(n) if n.as_f64().is_some_and(|f| f < 0.0) => {
            if let Ok(v) = serde_json::from_str::<Value>(n.to_string().trim_start_matches('-')) {
                *amount = v;
            }
        }
        _ => {}
    }
}

/// Credits every unified balance the step raised by as much again.
fn credit_again(model: &mut Model, before: &Snapshot) {
    let after = Snapshot::of(model);
    for ((wallet, asset), now) in &after.unified {
        let was = before
            .unified
            .get(&(wallet.clone(), asset.clone()))
            .cloned()
            .unwrap_or_default();
        if *now > was {
            model.fund(wallet, asset, &(now - was));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut names = std::collections::BTreeSet::new();
        for f in Fault::every() {
            assert_eq!(Fault::from_name(f.name()), Some(f));
            assert!(names.insert(f.name()));
            assert!(!f.describe().is_empty());
        }
        assert!(Fault::ALL.len() >= 12);
    }

    // WIRE-8: the fault moves the id of app-session replies only.
    #[test]
    fn wrong_reply_id_moves_app_session_reply_ids_only() {
        let f = Fault::WrongReplyId;
        assert_eq!(f.reply_id("create_app_session", 3), 10);
        assert_eq!(f.reply_id("close_app_session", 6), 13);
        assert_eq!(f.reply_id("ping", 3), 3);
        assert_eq!(Fault::Silent.reply_id("create_app_session", 3), 3);
    }

    /// The race fault, its two halves driven by hand: a transfer read at 100, another transfer
    /// of 60 lands in between, then the first writes 100 − 60: one debit is lost.
    #[test]
    fn transfer_lost_update_overwrites_a_debit_that_landed_in_between() {
        use crate::model::amount::dec;
        use crate::model::{Config, Profile};
        let (a, b) = (
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        );
        let mut model = Model::new(Profile::Clearnode052, Config::default());
        let now = 1_700_000_000_000;
        model.login(1, a, now);
        model.fund(a, "usdc", &dec("100"));
        let params = serde_json::json!({"destination": b, "allocations": [{"asset": "usdc", "amount": "60"}]});
        let sigs = vec![Some(a.to_string())];
        let call = Call::new(1, "transfer", &params, &sigs, now);
        let fault = Fault::TransferLostUpdate;
        let stale = fault.read_phase(&model, 1, "transfer", &params).unwrap();
        assert_eq!(stale.balances, vec![("usdc".to_string(), dec("100"))]);
        // Sequentially (no stale read) the fault is the model.
        let mut serial = model.clone();
        let first = fault.step(&mut serial, &call);
        assert!(first.is_ok(), "{:?}", first.response);
        assert!(!fault.step(&mut serial, &call).is_ok());
        // Interleaved: both accepted, the sender ends at 40, not −20; 60 created.
        assert!(fault.step(&mut model, &call).is_ok());
        assert!(fault
            .step_after_read(&mut model, &call, Some(&stale))
            .is_ok());
        assert_eq!(model.unified_balance(a, "usdc"), dec("40"));
        assert_eq!(model.unified_balance(b, "usdc"), dec("120"));
        assert_eq!(Fault::from_name("transfer-lost-update"), Some(fault));
        assert!(!Fault::ALL.contains(&fault) && Fault::RACE.contains(&fault));
    }
}

//! The serializability checker: is there an order of a burst's operations that respects real
//! time (one that completed before another began comes first), in which the model accepts
//! exactly the operations the broker accepted, and that ends with the books the broker shows?
//!
//! The search is Wing–Gong–Lowe's, as Knossos and Porcupine run it: depth first, each step
//! takes an operation none of whose real-time predecessors is still pending, and a memo of
//! (operations taken, indeterminate ones applied, model state) prunes every configuration
//! already explored; an operation the broker refused is placed as soon as the model refuses it
//! too (a refusal changes nothing, so where it goes does not matter: a partial-order
//! reduction). A timed-out operation is indeterminate (Jepsen's `info`): the search tries
//! it applied at any point after its invocation, and not applied at all. The history is first
//! split by the wallets and sessions the operations touch; independent parts are searched
//! apart (P-compositionality, as Porcupine partitions by key). The search is bounded: when its
//! budget of model steps runs out the verdict is `unknown`, never a guess.

use crate::model::gojson::DefinitionBytes;
use crate::model::ledger::account_key;
use crate::model::{AuthInputs, Call, ConnId, Detail, Expected, Model, Snapshot};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Instant;

/// What the client saw of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Observed {
    Accepted,
    Rejected,
    /// No answer (a timeout or a lost connection): it may or may not have been applied.
    Indeterminate,
}

/// One operation as the model steps it, with its real-time interval on the client.
#[derive(Debug, Clone)]
pub struct CheckOp {
    pub conn: ConnId,
    pub method: String,
    pub params: Value,
    pub ts: u64,
    /// The recovered signer of each `sig` entry.
    pub signatures: Vec<Option<String>>,
    /// keccak256 of the req bytes (the transfer replay cache, REPLAY-2).
    pub digest: [u8; 32],
    /// The broker's clock when it was sent.
    pub now_ms: u64,
    /// Microseconds since the burst's release: sent, and answered (`None` when indeterminate).
    pub invoke_us: u64,
    pub complete_us: Option<u64>,
    pub observed: Observed,
}

impl CheckOp {
    fn call(&self) -> Call<'_> {
        Call {
            conn: self.conn,
            method: &self.method,
            params: &self.params,
            ts: self.ts,
            signatures: &self.signatures,
            now_ms: self.now_ms,
            req_digest: Some(self.digest),
            auth: AuthInputs::default(),
        }
    }

    /// Whether `self` comes before `other` in every order: it was answered before `other` was
    /// sent.
    fn precedes(&self, other: &CheckOp) -> bool {
        self.complete_us.is_some_and(|c| c < other.invoke_us)
    }
}

/// How much searching one burst may cost.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub max_model_steps: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_model_steps: 200_000,
        }
    }
}

/// The verdict of the search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Serial {
    /// `order`: the operations in a valid order (indices into the burst); `not_applied`: the
    /// indeterminate ones that order leaves out.
    Serializable {
        order: Vec<usize>,
        not_applied: Vec<usize>,
    },
    /// No valid order. `accepting_orders`: some real-time order accepts exactly the accepted
    /// operations, but none ends with the observed books (an update was lost); `false`: no
    /// order even accepts them (a double spend, a version used twice).
    NotSerializable {
        accepting_orders: bool,
    },
    Unknown {
        why: String,
    },
}

/// The verdict on one independent part of a burst.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartVerdict {
    /// The burst's operations in this part.
    pub ops: Vec<usize>,
    pub keys: Keys,
    pub serial: Serial,
}

/// The checker's answer for one burst.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub parts: Vec<PartVerdict>,
    /// Books that moved although no operation touches them: wallet keys and session ids.
    pub moved: Vec<String>,
    pub model_steps: u64,
    pub micros: u64,
    /// The model after the found order (to continue with the next burst).
    pub end: Option<Model>,
}

impl CheckReport {
    /// The verdict on the whole burst: not serializable if a part is not (or books moved that
    /// nothing touched), unknown if a part is unknown, else the parts' orders one after another.
    pub fn serial(&self) -> Serial {
        if !self.moved.is_empty() {
            return Serial::NotSerializable {
                accepting_orders: false,
            };
        }
        let mut order = Vec::new();
        let mut not_applied = Vec::new();
        let mut unknown = None;
        for p in &self.parts {
            match &p.serial {
                Serial::NotSerializable { .. } => return p.serial.clone(),
                Serial::Unknown { .. } => unknown = Some(p.serial.clone()),
                Serial::Serializable {
                    order: o,
                    not_applied: n,
                } => {
                    order.extend(o);
                    not_applied.extend(n);
                }
            }
        }
        unknown.unwrap_or(Serial::Serializable { order, not_applied })
    }
}

/// The wallets (lower-case keys) and sessions an operation touches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    pub wallets: BTreeSet<String>,
    pub sessions: BTreeSet<String>,
}

impl Keys {
    fn overlaps(&self, other: &Keys) -> bool {
        !self.wallets.is_disjoint(&other.wallets) || !self.sessions.is_disjoint(&other.sessions)
    }
    fn extend(&mut self, other: &Keys) {
        self.wallets.extend(other.wallets.iter().cloned());
        self.sessions.extend(other.sessions.iter().cloned());
    }
}

fn wallet_key(text: &str) -> String {
    account_key(text).to_string()
}

/// The keys of `op`, read against the state before the burst.
pub fn keys_of(start: &Model, op: &CheckOp) -> Keys {
    let mut k = Keys::default();
    if let Some(w) = start.connection_wallet(op.conn) {
        k.wallets.insert(wallet_key(w));
    }
    for s in op.signatures.iter().flatten() {
        let owner = start.session_keys().live_wallet(s, op.now_ms).unwrap_or(s);
        k.wallets.insert(wallet_key(owner));
    }
    let text = |v: &Value| v.as_str().map(str::to_string);
    if let Some(d) = text(&op.params["destination"]) {
        k.wallets.insert(wallet_key(&d));
    }
    if let Some(id) = text(&op.params["app_session_id"]) {
        if let Some(s) = start.session(&id) {
            k.wallets
                .extend(s.participants.iter().map(|p| wallet_key(p)));
        }
        k.sessions.insert(id);
    }
    if op.method == "create_app_session" {
        let def = &op.params["definition"];
        let participants: Vec<String> = def["participants"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(text)
            .collect();
        k.wallets.extend(participants.iter().map(|p| wallet_key(p)));
        k.sessions.insert(created_session_id(def, &participants));
    }
    k
}

/// The id a create would give its session (AS-ID-1): the model's own derivation.
fn created_session_id(def: &Value, participants: &[String]) -> String {
    let weights: Vec<i64> = def["weights"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| w.as_i64().unwrap_or(0))
        .collect();
    DefinitionBytes {
        application: def["application"].as_str().unwrap_or(""),
        protocol: def["protocol"].as_str().unwrap_or(""),
        participants,
        weights: &weights,
        quorum: def["quorum"].as_u64().unwrap_or(0),
        challenge: def["challenge"].as_u64().unwrap_or(0),
        nonce: def["nonce"].as_u64().unwrap_or(0),
    }
    .session_id()
}

/// Groups operations that share a wallet or a session (union of overlapping key sets).
pub fn partition(keys: &[Keys]) -> Vec<(Vec<usize>, Keys)> {
    let mut parts: Vec<(Vec<usize>, Keys)> = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let mut merged = (vec![i], k.clone());
        let mut rest = Vec::new();
        for p in parts {
            if p.1.overlaps(&merged.1) {
                merged.0.extend(p.0);
                merged.1.extend(&p.1);
            } else {
                rest.push(p);
            }
        }
        merged.0.sort_unstable();
        rest.push(merged);
        parts = rest;
    }
    parts.sort_by_key(|p| p.0[0]);
    parts
}

/// The books of `snap` restricted to `keep` (wallet keys, session ids).
fn restrict(snap: &Snapshot, keep: &dyn Fn(bool, &str) -> bool) -> Snapshot {
    Snapshot {
        unified: snap
            .unified
            .iter()
            .filter(|((w, _), _)| keep(false, w))
            .map(|(k, v)| (k.clone(), v.normalized()))
            .collect(),
        sessions: snap
            .sessions
            .iter()
            .filter(|(id, _)| keep(true, id))
            .map(|(id, s)| {
                let mut s = s.clone();
                s.balances = s
                    .balances
                    .iter()
                    .map(|(k, v)| (k.clone(), v.normalized()))
                    .collect();
                (id.clone(), s)
            })
            .collect(),
        funded: BTreeMap::new(),
    }
}

/// Whether two books hold the same balances, versions and statuses (amounts by value).
pub fn same_books(a: &Snapshot, b: &Snapshot) -> bool {
    let everything = |_: bool, _: &str| true;
    restrict(a, &everything) == restrict(b, &everything)
}

fn within(keys: &Keys) -> impl Fn(bool, &str) -> bool + '_ {
    move |session, key| {
        if session {
            keys.sessions.contains(key)
        } else {
            keys.wallets.contains(key)
        }
    }
}

/// Everything of the model a later step can depend on that the memo key does not already
/// fix: every ledger entry and every session's version, status and data.
fn fingerprint(model: &Model) -> String {
    let mut entries: Vec<String> = model
        .ledger()
        .iter()
        .map(|(a, w, asset, v)| format!("{a}|{w}|{asset}|{}", v.normalized()))
        .collect();
    entries.sort_unstable();
    let mut sessions: Vec<String> = model
        .sessions()
        .map(|s| format!("{}|{}|{:?}|{}", s.id, s.version, s.status, s.session_data))
        .collect();
    sessions.sort_unstable();
    format!("{}#{}", entries.join(";"), sessions.join(";"))
}

/// Checks one burst: `start` is the model before it, `observed` the books read after it.
pub fn check(start: &Model, ops: &[CheckOp], observed: &Snapshot, budget: Budget) -> CheckReport {
    let started = Instant::now();
    let mut lean = start.clone();
    lean.set_detail(Detail::Verdict);
    let keys: Vec<Keys> = ops.iter().map(|op| keys_of(start, op)).collect();
    let mut all = Keys::default();
    keys.iter().for_each(|k| all.extend(k));
    let mut report = CheckReport {
        parts: Vec::new(),
        moved: moved_outside(start, observed, &all),
        model_steps: 0,
        micros: 0,
        end: None,
    };
    for (members, keys) in partition(&keys) {
        let target = restrict(observed, &within(&keys));
        let serial = search_part(&lean, ops, &members, &keys, target, budget, &mut report);
        report.parts.push(PartVerdict {
            ops: members,
            keys,
            serial,
        });
    }
    if let Serial::Serializable { order, not_applied } = report.serial() {
        let end = replay(&lean, ops, &order, &not_applied);
        let everything = |_: bool, _: &str| true;
        if restrict(&Snapshot::of(&end), &everything) == restrict(observed, &everything) {
            report.end = Some(end);
        } else {
            // The parts were searched apart; together they must give the same books.
            for p in &mut report.parts {
                p.serial = Serial::Unknown {
                    why: "the independently found orders do not combine".into(),
                };
            }
        }
    }
    report.micros = started.elapsed().as_micros() as u64;
    report
}

/// Wallets and sessions outside `touched` whose books differ between `start` and `observed`.
fn moved_outside(start: &Model, observed: &Snapshot, touched: &Keys) -> Vec<String> {
    let outside = |session: bool, key: &str| !within(touched)(session, key);
    let (before, after) = (
        restrict(&Snapshot::of(start), &outside),
        restrict(observed, &outside),
    );
    let mut moved: BTreeSet<String> = BTreeSet::new();
    for (k, v) in before.unified.iter().chain(after.unified.iter()) {
        if before.unified.get(k) != Some(v) || after.unified.get(k) != Some(v) {
            moved.insert(k.0.clone());
        }
    }
    for (id, s) in before.sessions.iter().chain(after.sessions.iter()) {
        if before.sessions.get(id) != Some(s) || after.sessions.get(id) != Some(s) {
            moved.insert(id.clone());
        }
    }
    moved.into_iter().collect()
}

fn search_part(
    start: &Model,
    ops: &[CheckOp],
    members: &[usize],
    keys: &Keys,
    target: Snapshot,
    budget: Budget,
    report: &mut CheckReport,
) -> Serial {
    let mut search = Search::new(ops, members, keys, Some(target), budget, report.model_steps);
    let found = search.run(start);
    report.model_steps = search.steps;
    match found {
        Found::Order(order, not_applied) => Serial::Serializable { order, not_applied },
        Found::Budget => unknown_budget(budget),
        Found::Unmodelled(m) => unknown_unmodelled(m),
        Found::None => {
            // Explain: does any order at least accept exactly the accepted operations?
            let mut again = Search::new(ops, members, keys, None, budget, 0);
            let accepting_orders = matches!(again.run(start), Found::Order(..));
            report.model_steps += again.steps;
            Serial::NotSerializable { accepting_orders }
        }
    }
}

fn unknown_budget(budget: Budget) -> Serial {
    Serial::Unknown {
        why: format!(
            "the search budget of {} model steps ran out",
            budget.max_model_steps
        ),
    }
}

fn unknown_unmodelled(method: String) -> Serial {
    Serial::Unknown {
        why: format!("the model does not decide {method} here"),
    }
}

/// `start` after `order` (indeterminate ones in `not_applied` left out).
fn replay(start: &Model, ops: &[CheckOp], order: &[usize], not_applied: &[usize]) -> Model {
    let mut m = start.clone();
    for &i in order.iter().filter(|i| !not_applied.contains(i)) {
        m.step(&ops[i].call());
    }
    m.set_detail(Detail::Full);
    m
}

enum Found {
    /// Global indices in order (skipped indeterminate ones included), and the skipped ones.
    Order(Vec<usize>, Vec<usize>),
    None,
    Budget,
    Unmodelled(String),
}

/// One partition's search.
struct Search<'a> {
    ops: Vec<&'a CheckOp>,
    global: Vec<usize>,
    /// For each operation, the operations that must come before it (bit masks).
    before: Vec<u64>,
    keys: &'a Keys,
    /// The observed books of this part; `None`: any end state will do.
    target: Option<Snapshot>,
    memo: HashSet<(u64, u64, String)>,
    steps: u64,
    max_steps: u64,
    unmodelled: Option<String>,
}

impl<'a> Search<'a> {
    fn new(
        ops: &'a [CheckOp],
        members: &[usize],
        keys: &'a Keys,
        target: Option<Snapshot>,
        budget: Budget,
        steps_so_far: u64,
    ) -> Self {
        // Porcupine's order: try operations by invocation time.
        let mut global = members.to_vec();
        global.sort_by_key(|&i| (ops[i].invoke_us, i));
        let local: Vec<&CheckOp> = global.iter().map(|&i| &ops[i]).collect();
        let before = local
            .iter()
            .map(|op| {
                local
                    .iter()
                    .enumerate()
                    .filter(|(_, other)| other.precedes(op))
                    .fold(0u64, |m, (j, _)| m | 1 << j)
            })
            .collect();
        Search {
            ops: local,
            global,
            before,
            keys,
            target,
            memo: HashSet::new(),
            steps: steps_so_far,
            max_steps: budget.max_model_steps,
            unmodelled: None,
        }
    }

    fn run(&mut self, start: &Model) -> Found {
        if self.ops.len() > 64 {
            return Found::Unmodelled(format!(
                "a part of {} operations (the search takes at most 64)",
                self.ops.len()
            ));
        }
        let mut path = Vec::new();
        match self.dfs(start, 0, 0, &mut path) {
            Err(Halt) => Found::Budget,
            Ok(true) => {
                let order = path.iter().map(|&(i, _)| self.global[i]).collect();
                let skipped = path
                    .iter()
                    .filter(|(_, applied)| !applied)
                    .map(|&(i, _)| self.global[i])
                    .collect();
                Found::Order(order, skipped)
            }
            Ok(false) => match self.unmodelled.take() {
                Some(m) => Found::Unmodelled(m),
                None => Found::None,
            },
        }
    }

    fn matches_target(&self, model: &Model) -> bool {
        match &self.target {
            None => true,
            Some(t) => restrict(&Snapshot::of(model), &within(self.keys)) == *t,
        }
    }

    /// Depth-first over the operations whose predecessors are all placed.
    fn dfs(
        &mut self,
        model: &Model,
        done: u64,
        applied: u64,
        path: &mut Vec<(usize, bool)>,
    ) -> Result<bool, Halt> {
        let n = self.ops.len();
        if done.count_ones() as usize == n {
            return Ok(self.matches_target(model));
        }
        let key = (done, applied, fingerprint(model));
        if self.memo.contains(&key) {
            return Ok(false);
        }
        if let Some((i, next)) = self.refused_here(model, done)? {
            // A refusal changes no state, so placing it as early as real time allows loses
            // no order (a partial-order reduction): no branching on where refusals go.
            let bit = 1u64 << i;
            path.push((i, true));
            if self.dfs(&next, done | bit, applied | bit, path)? {
                return Ok(true);
            }
            path.pop();
            self.memo.insert(key);
            return Ok(false);
        }
        for i in 0..n {
            let bit = 1u64 << i;
            if done & bit != 0 || self.before[i] & !done != 0 {
                continue;
            }
            if self.ops[i].observed == Observed::Indeterminate {
                path.push((i, false));
                if self.dfs(model, done | bit, applied, path)? {
                    return Ok(true);
                }
                path.pop();
            }
            let Some(next) = self.step(model, i)? else {
                continue;
            };
            path.push((i, true));
            if self.dfs(&next, done | bit, applied | bit, path)? {
                return Ok(true);
            }
            path.pop();
        }
        self.memo.insert(key);
        Ok(false)
    }

    /// A placeable operation the broker refused and the model refuses in this state too.
    fn refused_here(&mut self, model: &Model, done: u64) -> Result<Option<(usize, Model)>, Halt> {
        for i in 0..self.ops.len() {
            let bit = 1u64 << i;
            let placeable = done & bit == 0 && self.before[i] & !done == 0;
            if placeable && self.ops[i].observed == Observed::Rejected {
                if let Some(next) = self.step(model, i)? {
                    return Ok(Some((i, next)));
                }
            }
        }
        Ok(None)
    }

    /// The model after operation `i`, if its decision is the observed one.
    fn step(&mut self, model: &Model, i: usize) -> Result<Option<Model>, Halt> {
        self.steps += 1;
        if self.steps > self.max_steps {
            return Err(Halt);
        }
        let op = self.ops[i];
        let mut next = model.clone();
        let outcome = next.step(&op.call());
        let accepted = match &outcome.response {
            Expected::Ok { .. } => true,
            Expected::Err(_) => false,
            Expected::Unmodelled(_) => {
                self.unmodelled = Some(op.method.clone());
                return Ok(None);
            }
        };
        let fits = match op.observed {
            Observed::Accepted => accepted,
            Observed::Rejected => !accepted,
            Observed::Indeterminate => true,
        };
        Ok(fits.then_some(next))
    }
}

/// The search budget ran out.
struct Halt;

#[cfg(test)]
mod tests;

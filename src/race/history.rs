//! The history of a race run, as Jepsen keeps one: for every operation its connection, the
//! exact frame sent, when it was sent and answered (microseconds since the burst's release),
//! its reply or why there was none, and the pushes its connection received; and the books read
//! at each quiescent point (before and after every burst).

use crate::model::amount::render;
use crate::model::Snapshot;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How an operation ended, from the client's side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum OpOutcome {
    Ok,
    Error {
        error: String,
    },
    /// No answer (Jepsen's `info`): maybe applied.
    Info {
        why: String,
    },
}

/// A frame a connection received that was not the reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    pub at_us: u64,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    pub index: usize,
    pub conn: String,
    pub group: String,
    pub method: String,
    pub sent: String,
    pub invoke_us: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complete_us: Option<u64>,
    pub outcome: OpOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pushes: Vec<Push>,
}

/// One app session's books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionBooks {
    pub status: String,
    pub version: u64,
    /// wallet name → asset → amount.
    pub balances: BTreeMap<String, BTreeMap<String, String>>,
}

/// The books as read back, by wallet name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Books {
    /// wallet name → asset → amount (zero rows left out).
    pub unified: BTreeMap<String, BTreeMap<String, String>>,
    pub sessions: BTreeMap<String, SessionBooks>,
}

impl Books {
    /// `snap` with wallet keys turned into names (`names`: lower-case address → name).
    pub fn of(snap: &Snapshot, names: &BTreeMap<String, String>) -> Books {
        let name = |key: &str| names.get(key).cloned().unwrap_or_else(|| key.to_string());
        let mut books = Books::default();
        for ((w, asset), v) in &snap.unified {
            books
                .unified
                .entry(name(w))
                .or_default()
                .insert(asset.clone(), render(v));
        }
        for (id, s) in &snap.sessions {
            let mut balances: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
            for ((w, asset), v) in &s.balances {
                balances
                    .entry(name(w))
                    .or_default()
                    .insert(asset.clone(), render(v));
            }
            books.sessions.insert(
                id.clone(),
                SessionBooks {
                    status: s.status.clone(),
                    version: s.version,
                    balances,
                },
            );
        }
        books
    }
}

/// One burst: its operations and the books around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurstHistory {
    pub ops: Vec<Op>,
    pub before: Books,
    pub after: Books,
}

//! The books a broker keeps, as the harness compares them: unified balances per identity and
//! every app session with its version, status and per-participant shares. Amounts are decimals
//! (compared by value); names are identity names, so a run with fresh keys compares with the
//! vector that named them.

use super::edge;
use crate::model::invariants::{SessionSnapshot, Snapshot};
use crate::model::{Dec, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// name → asset → amount (zero rows left out).
pub type Rows = BTreeMap<String, BTreeMap<String, Dec>>;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Books {
    #[serde(with = "edge::decimal_rows")]
    pub unified: Rows,
    /// Sorted by id.
    pub sessions: Vec<SessionBook>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionBook {
    pub app_session_id: String,
    pub status: SessionStatus,
    pub version: u64,
    /// Wallet name (or the participant string when it names no identity) → asset → amount.
    #[serde(with = "edge::decimal_rows")]
    pub balances: Rows,
}

/// A session's status as the model or a broker states it; a text that names no status is kept,
/// so that it can be reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum SessionStatus {
    Known(Status),
    Other(String),
}

impl SessionStatus {
    pub fn as_str(&self) -> &str {
        match self {
            SessionStatus::Known(s) => s.as_str(),
            SessionStatus::Other(text) => text,
        }
    }
}

impl From<String> for SessionStatus {
    fn from(text: String) -> Self {
        match [Status::Open, Status::Closed]
            .into_iter()
            .find(|s| s.as_str() == text)
        {
            Some(s) => SessionStatus::Known(s),
            None => SessionStatus::Other(text),
        }
    }
}

impl From<SessionStatus> for String {
    fn from(s: SessionStatus) -> Self {
        s.as_str().to_string()
    }
}

impl std::fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Books {
    /// The books of a model snapshot, every wallet key named by `name_of`.
    pub fn of(snap: &Snapshot, name_of: impl Fn(&str) -> String) -> Books {
        let mut books = Books::default();
        for ((wallet, asset), amount) in &snap.unified {
            books
                .unified
                .entry(name_of(wallet))
                .or_default()
                .insert(asset.clone(), amount.clone());
        }
        for (id, s) in &snap.sessions {
            let mut balances = Rows::new();
            for ((wallet, asset), amount) in &s.balances {
                balances
                    .entry(name_of(wallet))
                    .or_default()
                    .insert(asset.clone(), amount.clone());
            }
            books.sessions.push(SessionBook {
                app_session_id: id.clone(),
                status: SessionStatus::from(s.status.clone()),
                version: s.version,
                balances,
            });
        }
        books
    }

    pub fn session_ids(&self) -> Vec<String> {
        self.sessions
            .iter()
            .map(|s| s.app_session_id.clone())
            .collect()
    }

    /// The invariant checker's view (names stand for wallet keys), with the cumulative
    /// funding per asset.
    pub fn snapshot(&self, funded: &BTreeMap<String, Dec>) -> Snapshot {
        let mut snap = Snapshot {
            funded: funded.clone(),
            ..Snapshot::default()
        };
        for (wallet, rows) in &self.unified {
            for (asset, amount) in rows {
                snap.unified
                    .insert((wallet.clone(), asset.clone()), amount.clone());
            }
        }
        for s in &self.sessions {
            let mut balances = BTreeMap::new();
            for (wallet, rows) in &s.balances {
                for (asset, amount) in rows {
                    balances.insert((wallet.clone(), asset.clone()), amount.clone());
                }
            }
            snap.sessions.insert(
                s.app_session_id.clone(),
                SessionSnapshot {
                    version: s.version,
                    status: s.status.as_str().to_string(),
                    balances,
                },
            );
        }
        snap
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::amount::dec;

    #[test]
    fn amounts_compare_by_value_and_print_as_the_model_renders_them() {
        let text = r#"{"unified":{"A":{"usdc":"1.50"}},"sessions":[{"app_session_id":"0x1","status":"closed","version":2,"balances":{}}]}"#;
        let books: Books = serde_json::from_str(text).unwrap();
        assert_eq!(books.unified["A"]["usdc"], dec("1.5"));
        assert_eq!(
            books.sessions[0].status,
            SessionStatus::Known(Status::Closed)
        );
        let again = serde_json::to_string(&books).unwrap();
        assert!(again.contains(r#""usdc":"1.5""#), "{again}");
        assert_eq!(
            SessionStatus::from("pending".to_string()).as_str(),
            "pending"
        );
    }
}

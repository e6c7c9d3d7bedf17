//! Reading a broker's books back after every step: unified balances per wallet
//! (`get_ledger_balances`), sessions (`get_app_sessions`), and each wallet's share of each
//! session (`get_ledger_balances` with `account_id`, Q-14). A broker that answers right but
//! books wrong is caught here.

use super::error::CaseError;
use crate::client::{now_ms, AuthRequest, Connection};
use crate::crypto::{identity::from_label, SecretKey};
use crate::model::amount::parse_decimal;
use crate::model::ledger::IsZeroValue;
use crate::model::Dec;
use crate::scenario::{Books, SessionBook, SessionStatus};
use crate::wire::{encode_req, encode_signed};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The application observers register their own keys under, so they never replace a case's
/// keys (one key per wallet and application, SK-2).
pub const OBSERVER_APPLICATION: &str = "nitrocert-observer";

/// One read-only connection per wallet of the case.
pub struct Observers {
    /// wallet name → (address, connection)
    pub conns: BTreeMap<String, (String, Connection)>,
    /// The broker's clock minus the machine's (non-zero only when the harness moved it).
    pub clock_offset_ms: u64,
    /// What each observer needs to log in again after its auth session lapsed (a moved
    /// clock, AUTH-13): url, limits, wallet key, observer key.
    pub logins: BTreeMap<String, (String, crate::client::Limits, SecretKey, SecretKey)>,
}

impl Observers {
    /// Opens and authenticates an observer for `wallet`, by JWT when one is known (no challenge
    /// spent, no key touched, AUTH-10), else with a signature and a key of its own application.
    pub async fn add(
        &mut self,
        url: &str,
        limits: &crate::client::Limits,
        name: &str,
        wallet: &SecretKey,
        jwt: Option<&str>,
        observer_key: &SecretKey,
    ) -> Result<(), CaseError> {
        let now = now_ms() + self.clock_offset_ms;
        let mut conn = Connection::connect(url, limits.clone()).await?;
        let ok = match jwt {
            Some(token) => {
                let id = conn.next_id();
                let req = encode_req(id, "auth_verify", &json!({ "jwt": token }), now);
                let x = conn.exchange(&encode_signed(&req, &[])).await?;
                x.reply.frame.method == "auth_verify"
            }
            None => {
                let auth = conn
                    .authenticate(
                        wallet,
                        &AuthRequest {
                            session_key: observer_key.address(),
                            application: OBSERVER_APPLICATION.into(),
                            scope: "observer".into(),
                            expires_at: now / 1000 + 24 * 3600,
                            allowances: vec![],
                        },
                        now,
                    )
                    .await?;
                auth.error.is_none()
            }
        };
        if !ok {
            return Err(CaseError::Setup(format!(
                "the observer of {name} could not authenticate"
            )));
        }
        self.conns
            .insert(name.to_string(), (wallet.address(), conn));
        self.logins.insert(
            name.to_string(),
            (
                url.to_string(),
                limits.clone(),
                wallet.clone(),
                observer_key.clone(),
            ),
        );
        Ok(())
    }

    /// Logs every observer in again with a signature (their sessions lapsed).
    async fn relogin(&mut self) -> Result<(), CaseError> {
        let logins = std::mem::take(&mut self.logins);
        for (_, (_, conn)) in std::mem::take(&mut self.conns) {
            conn.close().await;
        }
        for (name, (url, limits, wallet, key)) in logins {
            // A fresh key: the old one may have expired with the clock (SK-2 refuses it).
            let fresh = from_label(&format!("{}/again", key.to_hex()));
            self.add(&url, &limits, &name, &wallet, None, &fresh)
                .await?;
        }
        Ok(())
    }

    /// Reads the books (see [`Observers::read_once`]), logging in again once if the broker's
    /// clock made the observers' sessions lapse.
    pub async fn read(&mut self, sessions: &[String]) -> Result<Books, CaseError> {
        match self.read_once(sessions).await {
            Err(CaseError::Observe(e))
                if e.contains("session expired") || e.contains("authentication required") =>
            {
                self.relogin().await?;
                self.read_once(sessions).await
            }
            other => other,
        }
    }

    async fn call(
        conn: &mut Connection,
        method: &str,
        params: Value,
        clock_offset_ms: u64,
    ) -> Result<Value, CaseError> {
        let id = conn.next_id();
        let req = encode_req(id, method, &params, now_ms() + clock_offset_ms);
        let reply = conn.exchange(&encode_signed(&req, &[])).await?.reply;
        if let Some(error) = reply.frame.error_message() {
            return Err(CaseError::Observe(format!("{method}: {error}")));
        }
        Ok(reply.frame.params)
    }

    /// The non-zero rows of a `get_ledger_balances` result: asset → amount.
    fn rows(value: &Value) -> Result<BTreeMap<String, Dec>, CaseError> {
        let mut out = BTreeMap::new();
        for row in value["ledger_balances"].as_array().into_iter().flatten() {
            let asset = row["asset"].as_str().unwrap_or_default().to_string();
            let text = match &row["amount"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let amount = parse_decimal(&text).map_err(|e| {
                CaseError::Observe(format!("{asset} amount {text:?} is not a decimal: {e:?}"))
            })?;
            if !amount.is_zero_value() {
                out.insert(asset, amount);
            }
        }
        Ok(out)
    }

    /// Reads the books. `sessions` are the ids the model knows of; sessions the broker lists
    /// for the case's wallets are added.
    ///
    /// One call at a time, on purpose: reading every observer at once made the embedded broker's
    /// certify about 10 % faster but halved the fidelity campaign against Clearnode v0.5.2
    /// (21.6 → 11.0 steps/s, its PostgreSQL's CPU 12 → 40 s a minute): Clearnode keeps two idle
    /// database connections and opens a new one, a forked backend, for every query beyond them.
    pub async fn read_once(&mut self, sessions: &[String]) -> Result<Books, CaseError> {
        let offset = self.clock_offset_ms;
        let mut state = Books::default();
        let mut ids: Vec<String> = sessions.to_vec();
        let mut listed: BTreeMap<String, (String, u64)> = BTreeMap::new();
        for (name, (address, conn)) in self.conns.iter_mut() {
            let rows =
                Self::rows(&Self::call(conn, "get_ledger_balances", json!({}), offset).await?)?;
            if !rows.is_empty() {
                state.unified.insert(name.clone(), rows);
            }
            let list = Self::call(
                conn,
                "get_app_sessions",
                json!({"participant": address, "limit": 100}),
                offset,
            )
            .await?;
            for s in list["app_sessions"].as_array().into_iter().flatten() {
                let id = s["app_session_id"].as_str().unwrap_or_default().to_string();
                let status = s["status"].as_str().unwrap_or_default().to_string();
                let version = s["version"].as_u64().unwrap_or(0);
                if !ids.contains(&id) {
                    ids.push(id.clone());
                }
                listed.insert(id, (status, version));
            }
        }
        // Sessions the model knows but the participant filter missed (lower-case participants,
        // look them up in the newest sessions of the broker.
        if ids.iter().any(|id| !listed.contains_key(id)) {
            if let Some((_, (_, conn))) = self.conns.iter_mut().next() {
                let list =
                    Self::call(conn, "get_app_sessions", json!({"limit": 100}), offset).await?;
                for s in list["app_sessions"].as_array().into_iter().flatten() {
                    let id = s["app_session_id"].as_str().unwrap_or_default().to_string();
                    if ids.contains(&id) {
                        listed.insert(
                            id,
                            (
                                s["status"].as_str().unwrap_or_default().to_string(),
                                s["version"].as_u64().unwrap_or(0),
                            ),
                        );
                    }
                }
            }
        }
        for id in ids {
            let Some((status, version)) = listed.get(&id).cloned() else {
                continue;
            };
            let mut balances = BTreeMap::new();
            for (name, (_, conn)) in self.conns.iter_mut() {
                let rows = Self::rows(
                    &Self::call(
                        conn,
                        "get_ledger_balances",
                        json!({"account_id": id}),
                        offset,
                    )
                    .await?,
                )?;
                if !rows.is_empty() {
                    balances.insert(name.clone(), rows);
                }
            }
            state.sessions.push(SessionBook {
                app_session_id: id,
                status: SessionStatus::from(status),
                version,
                balances,
            });
        }
        state
            .sessions
            .sort_by(|a, b| a.app_session_id.cmp(&b.app_session_id));
        Ok(state)
    }

    pub async fn close(self) {
        for (_, (_, conn)) in self.conns {
            conn.close().await;
        }
    }
}

//! Funding test wallets by `transfer` from a funded wallet, over one authenticated connection
//! kept for the whole run (each new login would spend one of the broker's challenges, AUTH-9).

use crate::client::{now_ms, AuthRequest, Connection, Limits};
use crate::crypto::identity::{derive, Role};
use crate::crypto::SecretKey;
use crate::wire::{encode_req, encode_signed, sign_req};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::Mutex;

/// A funded wallet and its connection, opened on first use.
#[derive(Clone)]
pub struct Funder {
    key: SecretKey,
    conn: Arc<Mutex<Option<Connection>>>,
}

impl Funder {
    pub fn new(key: SecretKey) -> Self {
        Self {
            key,
            conn: Arc::new(Mutex::new(None)),
        }
    }

    /// Drops the connection (the broker restarted); the next transfer logs in again.
    pub async fn forget(&self) {
        if let Some(conn) = self.conn.lock().await.take() {
            conn.close().await;
        }
    }

    pub async fn transfer(
        &self,
        url: &str,
        limits: &Limits,
        wallet: &str,
        asset: &str,
        amount: &str,
    ) -> Result<(), String> {
        let mut slot = self.conn.lock().await;
        if slot.is_none() {
            let mut conn = Connection::connect(url, limits.clone())
                .await
                .map_err(|e| format!("funder: {e}"))?;
            let auth = conn
                .authenticate(
                    &self.key,
                    &AuthRequest {
                        session_key: derive(0, Role::SessionKey, u32::MAX).address(),
                        application: "clearnode".into(),
                        scope: "console".into(),
                        expires_at: now_ms() / 1000 + 24 * 3600,
                        allowances: vec![],
                    },
                    now_ms(),
                )
                .await
                .map_err(|e| format!("funder: {e}"))?;
            if let Some(error) = auth.error {
                return Err(format!("the funder could not log in: {error}"));
            }
            *slot = Some(conn);
        }
        let conn = slot.as_mut().expect("opened above");
        let id = conn.next_id();
        let params =
            json!({"destination": wallet, "allocations": [{"asset": asset, "amount": amount}]});
        let req = encode_req(id, "transfer", &params, now_ms());
        let frame = encode_signed(&req, &sign_req(&req, std::slice::from_ref(&self.key)));
        let exchange = match conn.exchange(&frame).await {
            Ok(x) => x,
            Err(e) => {
                *slot = None;
                return Err(format!("funder transfer: {e}"));
            }
        };
        match exchange.reply.frame.error_message() {
            None => Ok(()),
            Some(error) => Err(format!(
                "funder transfer of {amount} {asset} to {wallet}: {error}"
            )),
        }
    }
}

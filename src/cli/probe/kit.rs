//! What the probes share: logging in, signed calls written to the transcript, and whether the
//! broker still answers.

use super::record::Transcript;
use crate::client::{now_ms, AuthRequest, ClientError, Connection, Limits, Received};
use crate::crypto::SecretKey;
use crate::wire::{encode_req, encode_signed, sign_req};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Limits of the probes' own connections.
pub fn limits() -> Limits {
    Limits {
        connect_timeout_ms: 3_000,
        reply_timeout_ms: 5_000,
        ..Limits::default()
    }
}

/// Whether the broker answers a `ping` on a new connection within `wait_ms`, and how fast.
pub async fn ping_new(url: &str, wait_ms: u64) -> Option<u64> {
    let started = Instant::now();
    let limits = Limits {
        connect_timeout_ms: wait_ms,
        reply_timeout_ms: wait_ms,
        ..Limits::default()
    };
    let attempt = async {
        let mut conn = Connection::connect(url, limits).await.ok()?;
        let ok = conn.sync().await.is_ok();
        conn.close().await;
        ok.then(|| started.elapsed().as_millis() as u64)
    };
    tokio::time::timeout(Duration::from_millis(2 * wait_ms + 500), attempt)
        .await
        .ok()
        .flatten()
}

/// Whether the broker answers a `ping` on a new connection within a few seconds.
pub async fn alive(url: &str) -> bool {
    ping_new(url, 2_000).await.is_some()
}

/// Logs `wallet` in on a new connection with `session_key` for `application`; `Err` carries
/// the broker's refusal or the client's error.
pub async fn login(
    url: &str,
    wallet: &SecretKey,
    session_key: &str,
    application: &str,
    t: &mut Transcript,
    name: &str,
) -> Result<Connection, String> {
    let mut conn = Connection::connect(url, limits())
        .await
        .map_err(|e| e.to_string())?;
    login_on(&mut conn, wallet, session_key, application, t, name).await?;
    Ok(conn)
}

/// Logs `wallet` in on `conn`.
pub async fn login_on(
    conn: &mut Connection,
    wallet: &SecretKey,
    session_key: &str,
    application: &str,
    t: &mut Transcript,
    name: &str,
) -> Result<(), String> {
    let request = AuthRequest {
        session_key: session_key.to_string(),
        application: application.to_string(),
        scope: "probe".into(),
        expires_at: now_ms() / 1000 + 3600,
        allowances: vec![],
    };
    let done = conn
        .authenticate(wallet, &request, now_ms())
        .await
        .map_err(|e| e.to_string())?;
    t.exchange(name, &done.request);
    t.exchange(name, &done.verify);
    match done.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Sends `method(params)` signed by `keys` on `conn` and returns the reply (both written to
/// the transcript).
pub async fn call(
    conn: &mut Connection,
    name: &str,
    method: &str,
    params: &Value,
    keys: &[SecretKey],
    t: &mut Transcript,
) -> Result<Received, ClientError> {
    let id = conn.next_id();
    let req = encode_req(id, method, params, now_ms());
    let text = encode_signed(&req, &sign_req(&req, keys));
    t.sent(name, &text);
    match conn.exchange(&text).await {
        Ok(x) => {
            t.replies(name, &x);
            Ok(x.reply)
        }
        Err(e) => {
            t.note(format!("{name}: {e}"));
            Err(e)
        }
    }
}

/// `create_app_session` of a two-party NitroRPC/0.2 session with zero allocations, in which
/// `first` holds all the weight and the quorum (no funds needed); its id, or why not.
pub async fn zero_session(
    conn: &mut Connection,
    name: &str,
    application: &str,
    first: &SecretKey,
    second: &str,
    t: &mut Transcript,
) -> Result<String, String> {
    let params = serde_json::json!({
        "definition": {
            "application": application,
            "protocol": "NitroRPC/0.2",
            "participants": [first.address(), second],
            "weights": [100, 0],
            "quorum": 100,
            "challenge": 0,
            "nonce": now_ms(),
        },
        "allocations": zero_rows(&first.address(), second),
    });
    let reply = call(
        conn,
        name,
        "create_app_session",
        &params,
        std::slice::from_ref(first),
        t,
    )
    .await
    .map_err(|e| e.to_string())?;
    reply.frame.params["app_session_id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| super::record::gist(&reply.text))
}

/// Allocation rows of zero `usdc` for two participants.
pub fn zero_rows(first: &str, second: &str) -> Value {
    serde_json::json!([
        {"participant": first, "asset": "usdc", "amount": "0"},
        {"participant": second, "asset": "usdc", "amount": "0"},
    ])
}

//! WebSocket round trips on loopback: a bare echo server (the physical limit of one connection)
//! and the embedded broker's `ping` (a broker-signed reply per request).

use crate::broker;
use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// A 400-byte JSON text, the size of a typical signed request.
fn payload() -> String {
    let pad = "x".repeat(330);
    format!(r#"{{"req":[1,"ping",{{"pad":"{pad}"}},1700000000000],"sig":[]}}"#)
}

/// Echo server on a free loopback port; returns its URL. It serves until the runtime stops.
async fn spawn_echo() -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                while let Some(Ok(message)) = ws.next().await {
                    if message.is_close() || ws.send(message).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    Ok(format!("ws://{addr}/ws"))
}

/// Sequential round trips per second on one connection to `url`: send a text, wait for the
/// first text back (skipping `skip` greeting frames first).
async fn round_trips(
    url: &str,
    frame: impl Fn(u64) -> String,
    skip: usize,
    budget: Duration,
) -> Result<f64, String> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    for _ in 0..skip {
        ws.next().await;
    }
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < budget || n == 0 {
        ws.send(Message::text(frame(n + 1)))
            .await
            .map_err(|e| e.to_string())?;
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(_))) => break,
                Some(Ok(_)) => continue,
                other => return Err(format!("the connection ended: {other:?}")),
            }
        }
        n += 1;
    }
    let _ = ws.close(None).await;
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// Round trips per second against a bare echo server.
pub async fn echo(budget: Duration) -> Result<f64, String> {
    let url = spawn_echo().await.map_err(|e| e.to_string())?;
    let text = payload();
    round_trips(&url, |_| text.clone(), 0, budget).await
}

/// `ping` round trips per second against the embedded reference broker (each reply signed).
pub async fn broker_ping(budget: Duration) -> Result<f64, String> {
    let engine = super::embedded_engine(crate::model::Profile::Clearnode052, 1);
    let handle = broker::spawn(engine, "127.0.0.1:0".parse().expect("an address"))
        .await
        .map_err(|e| e.to_string())?;
    let ping = |id: u64| {
        format!(
            r#"{{"req":[{id},"ping",{{}},{}],"sig":[]}}"#,
            crate::client::now_ms()
        )
    };
    // The broker greets every connection with `assets` (NOTIF-2).
    let rate = round_trips(&handle.url(), ping, 1, budget).await;
    handle.stop().await;
    rate
}

//! A NitroRPC client that never trusts the broker: every read has a timeout and a frame-size
//! limit, replies are matched by order on the connection (TRANS-7), notifications are set
//! aside, and every frame is kept as text for the report's wire log.

mod auth;

pub use auth::{AuthRequest, Authenticated};

use crate::wire::{parse_frame, Frame, WireError};
use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Limits applied to every connection.
#[derive(Debug, Clone)]
pub struct Limits {
    pub connect_timeout_ms: u64,
    /// How long to wait for the reply to one request (notifications before it included).
    pub reply_timeout_ms: u64,
    pub max_frame_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            connect_timeout_ms: 5_000,
            reply_timeout_ms: 5_000,
            max_frame_bytes: 1 << 20,
        }
    }
}

/// Why the client could not get an answer: turned into an ERROR verdict, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("could not connect to {url}: {why}")]
    Connect { url: String, why: String },
    #[error("no reply within {waited_ms} ms")]
    Timeout { waited_ms: u64 },
    #[error("the broker closed the connection")]
    Closed,
    #[error("transport error: {0}")]
    Transport(String),
    #[error("the broker sent a frame that is not NitroRPC ({why}): {text}")]
    Malformed { text: String, why: WireError },
    #[error("the broker sent a binary frame")]
    Binary,
}

/// One frame as received: the text (for the wire log) and its parse.
#[derive(Debug, Clone)]
pub struct Received {
    pub text: String,
    pub frame: Frame,
}

/// What one request produced on its connection: the notifications that came before the reply,
/// and the reply.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub sent: String,
    pub notifications: Vec<Received>,
    pub reply: Received,
}

/// One WebSocket connection to a broker.
pub struct Connection {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    limits: Limits,
    next_id: u64,
    /// Notifications that arrived while no request was outstanding.
    pub unsolicited: Vec<Received>,
}

impl Connection {
    pub async fn connect(url: &str, limits: Limits) -> Result<Self, ClientError> {
        let config = WebSocketConfig::default()
            .max_message_size(Some(limits.max_frame_bytes))
            .max_frame_size(Some(limits.max_frame_bytes));
        let connect = tokio_tungstenite::connect_async_with_config(url, Some(config), true);
        let (socket, _) =
            tokio::time::timeout(Duration::from_millis(limits.connect_timeout_ms), connect)
                .await
                .map_err(|_| ClientError::Connect {
                    url: url.to_string(),
                    why: format!("no handshake within {} ms", limits.connect_timeout_ms),
                })?
                .map_err(|e| ClientError::Connect {
                    url: url.to_string(),
                    why: e.to_string(),
                })?;
        Ok(Self {
            socket,
            limits,
            next_id: 1,
            unsolicited: Vec::new(),
        })
    }

    /// A fresh request id for this connection: small, so synthetic ids (≈ now in ms) of
    /// envelope errors are never mistaken for ours (WIRE-8).
    pub fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub async fn send(&mut self, text: &str) -> Result<(), ClientError> {
        let send = self.socket.send(Message::text(text.to_string()));
        tokio::time::timeout(Duration::from_millis(self.limits.reply_timeout_ms), send)
            .await
            .map_err(|_| ClientError::Timeout {
                waited_ms: self.limits.reply_timeout_ms,
            })?
            .map_err(|e| ClientError::Transport(e.to_string()))
    }

    /// The next frame, waiting at most until `deadline`.
    pub async fn read(&mut self, deadline: Instant) -> Result<Received, ClientError> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = tokio::time::timeout(left, self.socket.next())
                .await
                .map_err(|_| ClientError::Timeout {
                    waited_ms: self.limits.reply_timeout_ms,
                })?;
            let text = match message {
                None => return Err(ClientError::Closed),
                Some(Err(e)) => return Err(ClientError::Transport(e.to_string())),
                Some(Ok(Message::Text(text))) => text.to_string(),
                Some(Ok(Message::Binary(_))) => return Err(ClientError::Binary),
                Some(Ok(Message::Close(_))) => return Err(ClientError::Closed),
                // Pings are answered by tungstenite itself.
                Some(Ok(_)) => continue,
            };
            let frame = parse_frame(&text).map_err(|why| ClientError::Malformed {
                text: text.clone(),
                why,
            })?;
            return Ok(Received { text, frame });
        }
    }

    /// Sends one frame and reads until its reply: the first frame that is not a notification
    /// (replies come back in request order on one connection, TRANS-7).
    pub async fn exchange(&mut self, text: &str) -> Result<Exchange, ClientError> {
        self.send(text).await?;
        let deadline = Instant::now() + Duration::from_millis(self.limits.reply_timeout_ms);
        let mut notifications = Vec::new();
        loop {
            let received = self.read(deadline).await?;
            if received.frame.is_notification() {
                notifications.push(received);
            } else {
                return Ok(Exchange {
                    sent: text.to_string(),
                    notifications,
                    reply: received,
                });
            }
        }
    }

    /// Everything the broker queued on this connection so far: a `ping` (public, stateless,
    /// API-1) comes back after every frame queued before it, because one connection's frames
    /// are written in order (TRANS-7).
    pub async fn sync(&mut self) -> Result<Vec<Received>, ClientError> {
        let id = self.next_id();
        let ping = crate::wire::encode_signed(
            &crate::wire::encode_req(id, "ping", &serde_json::json!({}), now_ms()),
            &[],
        );
        let x = self.exchange(&ping).await?;
        if x.reply.frame.method != "pong" {
            return Err(ClientError::Malformed {
                text: x.reply.text,
                why: crate::wire::WireError::NoPayload,
            });
        }
        Ok(x.notifications)
    }

    /// Collects notifications that arrive within `wait_ms` (for pushes after a reply, such as
    /// `channels` and `bu` after `auth_verify`, NOTIF-3).
    pub async fn drain(&mut self, wait_ms: u64) -> Result<Vec<Received>, ClientError> {
        let deadline = Instant::now() + Duration::from_millis(wait_ms);
        let mut out = Vec::new();
        loop {
            match self.read(deadline).await {
                Ok(r) => out.push(r),
                Err(ClientError::Timeout { .. }) => return Ok(out),
                Err(e) => return Err(e),
            }
        }
    }

    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_millis(500), self.socket.close(None)).await;
    }
}

/// Milliseconds since the Unix epoch (request timestamps of live runs).
pub use crate::clock::now_ms;

//! A NitroRPC client that never trusts the broker: every read has a total deadline and a
//! frame-size limit, what it sets aside while waiting is bounded, replies are matched by order
//! on the connection (TRANS-7) and must carry their request's id (WIRE-8), and every frame is
//! kept as text for the report's wire log.

mod auth;
mod reply_id;

pub use auth::{AuthRequest, Authenticated};
pub use reply_id::{is_synthetic_error_id, IdRelation, ReplyIdMismatch, SYNTHETIC_ID_SLACK_MS};

use crate::wire::{parse_frame, Frame, WireError};
use futures_util::{SinkExt, StreamExt};
use std::collections::VecDeque;
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
    /// The largest frame (and message) accepted: a bigger one is refused from its header, before
    /// its payload is read.
    pub max_frame_bytes: usize,
    /// The most frames set aside in one call (notifications before a reply, or drained): a
    /// flood ends in [`ClientError::Flood`], never in unbounded memory.
    pub max_held_frames: usize,
    /// The most bytes of those frames.
    pub max_held_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            connect_timeout_ms: 5_000,
            reply_timeout_ms: 5_000,
            max_frame_bytes: 1 << 20,
            // Clearnode pushes a handful of frames per request (`bu`, `tr`, `bu`, NOTIF-9).
            max_held_frames: 1_000,
            max_held_bytes: 16 << 20,
        }
    }
}

impl Limits {
    /// The most memory one connection holds for what the broker sent: the frames set aside in
    /// one call, plus the one frame being read.
    pub fn held_bound_bytes(&self) -> usize {
        self.max_held_bytes + self.max_frame_bytes
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
    /// A frame or message larger than [`Limits::max_frame_bytes`], refused from its header.
    #[error("the broker sent a frame larger than the limit of {limit} bytes")]
    FrameTooLarge { limit: usize },
    /// More frames or bytes than [`Limits::max_held_frames`] / [`Limits::max_held_bytes`]
    /// came without the reply (or within one drain).
    #[error("the broker flooded the connection: {frames} frames, {bytes} bytes without a reply")]
    Flood { frames: usize, bytes: usize },
    /// The reply in the request's place carries another id (WIRE-8, TRANS-7).
    #[error("{0}")]
    WrongReplyId(Box<ReplyIdMismatch>),
}

impl ClientError {
    /// Whether the broker broke the protocol (a wrong reply id), as opposed to not answering
    /// well enough for a verdict (timeouts, disconnects, garbage): a runner reports the first
    /// as a FAIL.
    pub fn is_protocol_violation(&self) -> bool {
        matches!(self, ClientError::WrongReplyId(_))
    }

    fn from_ws(e: tokio_tungstenite::tungstenite::Error, limits: &Limits) -> Self {
        use tokio_tungstenite::tungstenite::Error;
        match e {
            Error::Capacity(_) => ClientError::FrameTooLarge {
                limit: limits.max_frame_bytes,
            },
            Error::ConnectionClosed | Error::AlreadyClosed => ClientError::Closed,
            e => ClientError::Transport(e.to_string()),
        }
    }
}

/// Frames set aside while waiting, within the limits.
struct Held<'a> {
    limits: &'a Limits,
    frames: Vec<Received>,
    bytes: usize,
}

impl<'a> Held<'a> {
    fn new(limits: &'a Limits) -> Self {
        Self {
            limits,
            frames: Vec::new(),
            bytes: 0,
        }
    }

    fn push(&mut self, r: Received) -> Result<(), ClientError> {
        self.bytes += r.text.len();
        self.frames.push(r);
        if self.frames.len() > self.limits.max_held_frames
            || self.bytes > self.limits.max_held_bytes
        {
            return Err(ClientError::Flood {
                frames: self.frames.len(),
                bytes: self.bytes,
            });
        }
        Ok(())
    }
}

/// How many request ids a connection remembers, to tell a duplicate or late reply from one to a
/// request never sent.
const REMEMBERED_IDS: usize = 256;

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
    /// Ids of the latest requests sent, oldest first.
    sent_ids: VecDeque<u64>,
    /// Notifications that arrived while no request was outstanding.
    pub unsolicited: Vec<Received>,
}

impl Connection {
    pub async fn connect(url: &str, limits: Limits) -> Result<Self, ClientError> {
        let connect =
            tokio_tungstenite::connect_async_with_config(url, Some(ws_config(&limits)), true);
        let (socket, _) = handshake(url, &limits, connect).await?;
        Ok(Self::over(socket, limits))
    }

    /// Like [`Connection::connect`], over a TCP stream the caller opened with its own socket
    /// options (a probe's slow reader shrinks its receive buffer). `ws://` only.
    pub async fn connect_over(
        url: &str,
        tcp: TcpStream,
        limits: Limits,
    ) -> Result<Self, ClientError> {
        let connect = tokio_tungstenite::client_async_with_config(
            url,
            MaybeTlsStream::Plain(tcp),
            Some(ws_config(&limits)),
        );
        let (socket, _) = handshake(url, &limits, connect).await?;
        Ok(Self::over(socket, limits))
    }

    fn over(socket: WebSocketStream<MaybeTlsStream<TcpStream>>, limits: Limits) -> Self {
        Self {
            socket,
            limits,
            next_id: 1,
            sent_ids: VecDeque::new(),
            unsolicited: Vec::new(),
        }
    }

    /// A fresh request id for this connection: small, so synthetic ids (≈ now in ms) of
    /// envelope errors are never mistaken for ours (WIRE-8).
    pub fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Sends one frame, expecting no reply (see [`Connection::exchange`] for a request).
    pub async fn send(&mut self, text: &str) -> Result<(), ClientError> {
        let send = self.socket.send(Message::text(text.to_string()));
        let limits = &self.limits;
        tokio::time::timeout(Duration::from_millis(limits.reply_timeout_ms), send)
            .await
            .map_err(|_| ClientError::Timeout {
                waited_ms: limits.reply_timeout_ms,
            })?
            .map_err(|e| ClientError::from_ws(e, limits))
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
                Some(Err(e)) => return Err(ClientError::from_ws(e, &self.limits)),
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
    /// (replies come back in request order on one connection, TRANS-7). The reply must carry
    /// the request's id, or be an envelope error with a synthetic id (WIRE-8, Q-32); anything
    /// else is [`ClientError::WrongReplyId`]. The whole wait is bounded by one deadline and
    /// the frames set aside by [`Limits::max_held_frames`] and [`Limits::max_held_bytes`].
    pub async fn exchange(&mut self, text: &str) -> Result<Exchange, ClientError> {
        let request_id = reply_id::request_id(text);
        if let Some(id) = request_id {
            if self.sent_ids.len() == REMEMBERED_IDS {
                self.sent_ids.pop_front();
            }
            self.sent_ids.push_back(id);
        }
        self.send(text).await?;
        let deadline = Instant::now() + Duration::from_millis(self.limits.reply_timeout_ms);
        let limits = self.limits.clone();
        let mut held = Held::new(&limits);
        loop {
            let received = self.read(deadline).await?;
            if received.frame.is_notification() {
                held.push(received)?;
                continue;
            }
            if let Some(expected) = request_id {
                if !reply_id::answers(expected, &received.frame) {
                    return Err(ClientError::WrongReplyId(Box::new(ReplyIdMismatch {
                        expected,
                        received: received.frame.id,
                        relation: reply_id::relation(&self.sent_ids, expected, received.frame.id),
                        text: received.text,
                    })));
                }
            }
            return Ok(Exchange {
                sent: text.to_string(),
                notifications: held.frames,
                reply: received,
            });
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
        let limits = self.limits.clone();
        let mut held = Held::new(&limits);
        loop {
            match self.read(deadline).await {
                Ok(r) => held.push(r)?,
                Err(ClientError::Timeout { .. }) => return Ok(held.frames),
                Err(e) => return Err(e),
            }
        }
    }

    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_millis(500), self.socket.close(None)).await;
    }
}

/// The WebSocket limits of a connection. Frame and message limits are checked from the
/// header, before the payload is read. The write buffer is capped too: a broker that never
/// reads while it pings would otherwise grow it by one queued pong per ping.
fn ws_config(limits: &Limits) -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(limits.max_frame_bytes))
        .max_frame_size(Some(limits.max_frame_bytes))
        .max_write_buffer_size(WRITE_BUFFER_BYTES + 4 * limits.max_frame_bytes)
}

/// The WebSocket upgrade, within the connect timeout as a whole (a drip-fed response hits it
/// too; tungstenite caps the response's size).
async fn handshake<T, R>(
    url: &str,
    limits: &Limits,
    connect: impl std::future::Future<Output = Result<(T, R), tokio_tungstenite::tungstenite::Error>>,
) -> Result<(T, R), ClientError> {
    tokio::time::timeout(Duration::from_millis(limits.connect_timeout_ms), connect)
        .await
        .map_err(|_| ClientError::Connect {
            url: url.to_string(),
            why: format!("no handshake within {} ms", limits.connect_timeout_ms),
        })?
        .map_err(|e| ClientError::Connect {
            url: url.to_string(),
            why: e.to_string(),
        })
}

/// tungstenite's default write buffer, above which [`WebSocketConfig::max_write_buffer_size`]
/// must leave room for whole frames.
const WRITE_BUFFER_BYTES: usize = 128 * 1024;

/// Milliseconds since the Unix epoch (request timestamps of live runs).
pub use crate::clock::now_ms;

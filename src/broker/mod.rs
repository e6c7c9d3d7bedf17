//! The embedded reference broker: the [`Engine`] (the model behind the wire) served over a
//! real WebSocket on loopback, at `/ws` like Clearnode (TRANS-1). Frames of one connection are
//! handled strictly in order and replies keep that order (TRANS-7); every connection's frames
//! go through one engine lock, so the model sees one global order of requests.
//!
//! As a process it does not share Clearnode's weaknesses (FUZZ-8): inbound frames are capped
//! (TRANS-5 has no cap), every connection's outbound queue is bounded in frames and bytes, and a
//! client that does not read is dropped instead of stalling the broker (TRANS-8 stalls). The
//! lock is never held while writing to a socket, so one slow reader cannot delay another.
//!
//! With [`Options::control`], the same listener also serves the loopback-only test-control
//! interface at `/control` ([`control`]).

pub mod control;

pub use control::{BrokerControl, ClockState, ControlInfo, RemoteControl};

use crate::clock::now_ms;
use crate::engine::{Engine, Out};
use crate::model::{ConnId, Dec};
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, Notify};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// Frames a client may leave unread before the broker drops it (Clearnode's queues hold 10
/// and then stall, TRANS-8; a reference broker disconnects instead of stalling others).
pub const OUTBOUND_QUEUE_FRAMES: usize = 1024;
/// Bytes a client may leave unread before the broker drops it: frames can be as large as the
/// request they answer (`unknown method: <name>`), so a frame count alone does not bound memory.
pub const OUTBOUND_QUEUE_BYTES: usize = 16 << 20;
/// How long a broker with a race fault waits between its read and its write (long enough for
/// requests released together by a client to land in between, on a loaded machine).
const RACE_FAULT_WINDOW: std::time::Duration = std::time::Duration::from_millis(20);
/// Largest inbound frame (Clearnode has no limit, TRANS-5; a reference broker needs one).
pub const MAX_FRAME_BYTES: usize = 4 << 20;
/// A client that has not finished the WebSocket upgrade by then is dropped (a drip-fed
/// handshake must not hold a task for ever).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a closing connection's queued frames may take to leave.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// How a broker is served.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Serve the test-control interface at `/control` (loopback peers only). Off by default.
    pub control: bool,
}

/// One connection's outbound side, as the engine lock sees it.
struct Outbox {
    tx: mpsc::Sender<String>,
    /// Bytes queued and not yet written to the socket.
    queued_bytes: Arc<AtomicUsize>,
    /// Tells the connection's task to drop the client.
    kick: Arc<Notify>,
}

impl Outbox {
    /// Queues a frame; `false` when the client is too far behind (it must be dropped).
    fn push(&self, text: String) -> bool {
        let len = text.len();
        let queued = self.queued_bytes.fetch_add(len, Ordering::SeqCst) + len;
        queued <= OUTBOUND_QUEUE_BYTES && self.tx.try_send(text).is_ok()
    }
}

/// Frames leave in the order the engine produced them, although they are signed outside its
/// lock: a request takes a turn while it holds the lock, and delivers once every earlier turn
/// has delivered.
#[derive(Default)]
struct DeliveryOrder {
    issued: AtomicU64,
    delivered: Mutex<u64>,
    turn: Condvar,
}

impl DeliveryOrder {
    /// The next turn; taken under the engine lock, so turns follow the engine's order.
    fn take(&self) -> u64 {
        self.issued.fetch_add(1, Ordering::SeqCst)
    }

    /// Blocks until every turn before `turn` has delivered; the turn ends when the guard drops.
    fn wait(&self, turn: u64) -> Turn<'_> {
        let delivered = self.delivered.lock().unwrap_or_else(|e| e.into_inner());
        let _delivered = self
            .turn
            .wait_while(delivered, |d| *d != turn)
            .unwrap_or_else(|e| e.into_inner());
        Turn { order: self }
    }
}

/// A turn being delivered; dropping it lets the next one go.
struct Turn<'a> {
    order: &'a DeliveryOrder,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut delivered = self
            .order
            .delivered
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *delivered += 1;
        self.order.turn.notify_all();
    }
}

struct Shared {
    engine: Engine,
    /// What `reset` restores (the engine as it was started: profile, key, initial funding).
    initial: Engine,
    outboxes: HashMap<ConnId, Outbox>,
    /// How far the broker's clock runs ahead of the machine's (a harness hook for expiry cases).
    clock_offset_ms: u64,
}

impl Shared {
    fn now_ms(&self) -> u64 {
        now_ms() + self.clock_offset_ms
    }

    fn deliver(&mut self, frames: Vec<Out>) {
        for Out { conn, text } in frames {
            let keeps_up = match self.outboxes.get(&conn) {
                Some(outbox) => outbox.push(text),
                None => true,
            };
            if !keeps_up {
                self.kick(conn);
            }
        }
    }

    /// Drops a client: its task stops reading, aborts its writer and closes the socket.
    fn kick(&mut self, conn: ConnId) {
        if let Some(outbox) = self.outboxes.remove(&conn) {
            outbox.kick.notify_one();
        }
    }

    /// Back to the state the broker started in: a fresh engine, the machine's clock, and every
    /// NitroRPC connection closed (their ids are never reused).
    fn reset(&mut self) {
        let conns: Vec<ConnId> = self.outboxes.keys().copied().collect();
        for conn in conns {
            self.kick(conn);
        }
        self.engine.reset_to(&self.initial);
        self.clock_offset_ms = 0;
    }
}

/// Harness hooks into a running embedded broker: what a ledger insert or a channel row is for
/// Clearnode (runbook-clearnode.md), done on the model directly.
#[derive(Clone)]
pub struct Control(Arc<Mutex<Shared>>);

impl Control {
    fn shared(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.0.lock().expect("engine lock")
    }

    pub fn fund(&self, wallet: &str, asset: &str, amount: &Dec) {
        let mut shared = self.shared();
        let now = shared.now_ms();
        shared.engine.model.fund_at(wallet, asset, amount, now);
    }

    /// The broker's clock (the machine's, plus what [`Control::advance`] added).
    pub fn now_ms(&self) -> u64 {
        self.shared().now_ms()
    }

    /// The clock and how far it runs ahead of the machine's.
    pub fn clock(&self) -> ClockState {
        let shared = self.shared();
        ClockState {
            now_ms: shared.now_ms(),
            offset_ms: shared.clock_offset_ms,
        }
    }

    /// Moves the broker's clock forward.
    pub fn advance(&self, ms: u64) {
        let mut shared = self.shared();
        shared.clock_offset_ms = shared.clock_offset_ms.saturating_add(ms);
    }

    pub fn add_channel(&self, wallet: &str, channel: crate::model::Channel) {
        let mut shared = self.shared();
        let now = shared.now_ms();
        shared.engine.model.add_channel_at(wallet, channel, now);
    }

    /// Gives `wallet` a channel in `status` holding `amount` (AS-CHAN-1/2); its id is derived
    /// from the three, so the same hook call gives the same channel.
    pub fn give_channel(&self, wallet: &str, status: crate::model::ChannelStatus, amount: &str) {
        let raw_amount = crate::model::amount::parse_decimal(amount).unwrap_or_default();
        self.add_channel(
            wallet,
            crate::model::Channel {
                channel_id: crate::crypto::to_hex(crate::crypto::keccak256(
                    format!("{wallet}/{status:?}/{amount}").as_bytes(),
                )),
                status,
                raw_amount,
            },
        );
    }

    /// Back to the start state; see [`ControlInfo`] for what stays.
    pub fn reset(&self) {
        self.shared().reset();
    }

    /// The profile and broker address.
    pub fn info(&self) -> ControlInfo {
        let shared = self.shared();
        ControlInfo {
            profile: shared.engine.model.profile().name().to_string(),
            broker_address: shared.engine.broker_address(),
            clock: ClockState {
                now_ms: shared.now_ms(),
                offset_ms: shared.clock_offset_ms,
            },
        }
    }

    /// Live NitroRPC connections (tests use it to see a dropped client go).
    pub fn connections(&self) -> usize {
        self.shared().outboxes.len()
    }
}

/// A running broker; dropping the handle does not stop it, [`BrokerHandle::stop`] does.
pub struct BrokerHandle {
    pub addr: SocketAddr,
    pub broker_address: String,
    control: Control,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl BrokerHandle {
    pub fn control(&self) -> Control {
        self.control.clone()
    }

    pub fn url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// The test-control URL (served only with [`Options::control`]).
    pub fn control_url(&self) -> String {
        format!("ws://{}/control", self.addr)
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.task.await;
    }
}

/// Binds `addr` (use port 0 for a free port) and serves `engine` until stopped, without the
/// control interface.
pub async fn spawn(engine: Engine, addr: SocketAddr) -> std::io::Result<BrokerHandle> {
    spawn_with(engine, addr, Options::default()).await
}

/// Like [`spawn`], with options.
pub async fn spawn_with(
    engine: Engine,
    addr: SocketAddr,
    options: Options,
) -> std::io::Result<BrokerHandle> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let broker_address = engine.broker_address();
    let shared = Arc::new(Mutex::new(Shared {
        initial: engine.clone(),
        engine,
        outboxes: HashMap::new(),
        clock_offset_ms: 0,
    }));
    let control = Control(shared.clone());
    let order = Arc::new(DeliveryOrder::default());
    let (stop_tx, mut stop_rx) = oneshot::channel();
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut stop_rx => break,
                accepted = listener.accept() => {
                    if let Ok((stream, peer)) = accepted {
                        connections.spawn(serve_connection(stream, peer, shared.clone(), order.clone(), options));
                    }
                }
                // Reap finished connections so the set does not grow with every client.
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        connections.abort_all();
    });
    Ok(BrokerHandle {
        addr,
        broker_address,
        control,
        stop: Some(stop_tx),
        task,
    })
}

/// What an upgrade request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// NitroRPC at `/ws` (TRANS-1).
    Rpc,
    /// The test-control interface at `/control`.
    Control,
}

/// Which endpoint an upgrade gets, or the HTTP refusal. `/control` exists only when enabled,
/// and only for a loopback peer whose request carries no `Origin` (browsers always send one, so
/// a web page on this machine cannot drive it).
pub fn route_upgrade(
    path: &str,
    peer: SocketAddr,
    has_origin: bool,
    options: Options,
) -> Result<Endpoint, (StatusCode, &'static str)> {
    match path {
        "/ws" => Ok(Endpoint::Rpc),
        "/control" if options.control => {
            if !peer.ip().is_loopback() {
                Err((
                    StatusCode::FORBIDDEN,
                    "the control interface is loopback-only",
                ))
            } else if has_origin {
                Err((
                    StatusCode::FORBIDDEN,
                    "the control interface refuses browser requests (Origin)",
                ))
            } else {
                Ok(Endpoint::Control)
            }
        }
        _ => Err((StatusCode::NOT_FOUND, "NitroRPC is served at /ws")),
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    order: Arc<DeliveryOrder>,
    options: Options,
) {
    let _ = stream.set_nodelay(true);
    let chosen = Arc::new(Mutex::new(None));
    let chosen_in_callback = chosen.clone();
    // The signature is tungstenite's handshake `Callback`; the large error type is theirs.
    #[allow(clippy::result_large_err)]
    let callback =
        move |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
            let has_origin = request.headers().contains_key("origin");
            match route_upgrade(request.uri().path(), peer, has_origin, options) {
                Ok(endpoint) => {
                    *chosen_in_callback.lock().expect("endpoint cell") = Some(endpoint);
                    Ok(response)
                }
                Err((status, why)) => {
                    let mut refusal = ErrorResponse::new(Some(why.to_string()));
                    *refusal.status_mut() = status;
                    Err(refusal)
                }
            }
        };
    // TRANS-2: like Clearnode, `/ws` takes any Origin and negotiates no subprotocol and no
    // compression; unlike it, frames have a size limit (TRANS-5).
    let config = WebSocketConfig::default()
        .read_buffer_size(crate::client::READ_BUFFER_BYTES)
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    let handshake = tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(config));
    let Ok(Ok(socket)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await else {
        return;
    };
    let endpoint = *chosen.lock().expect("endpoint cell");
    match endpoint {
        Some(Endpoint::Rpc) => serve_rpc(socket, shared, order).await,
        Some(Endpoint::Control) => control::serve(socket, Control(shared)).await,
        None => {}
    }
}

async fn write_frames(
    mut sink: futures_util::stream::SplitSink<WebSocketStream<TcpStream>, Message>,
    mut rx: mpsc::Receiver<String>,
    queued_bytes: Arc<AtomicUsize>,
) {
    while let Some(text) = rx.recv().await {
        let len = text.len();
        let sent = sink.send(Message::text(text)).await;
        queued_bytes.fetch_sub(len, Ordering::SeqCst);
        if sent.is_err() {
            return;
        }
    }
    let _ = sink.close().await;
}

async fn serve_rpc(
    socket: WebSocketStream<TcpStream>,
    shared: Arc<Mutex<Shared>>,
    order: Arc<DeliveryOrder>,
) {
    let (sink, mut source) = socket.split();
    let (tx, rx) = mpsc::channel::<String>(OUTBOUND_QUEUE_FRAMES);
    let queued_bytes = Arc::new(AtomicUsize::new(0));
    let kick = Arc::new(Notify::new());
    let (conn, sealer) = {
        let mut shared = shared.lock().expect("engine lock");
        let now = shared.now_ms();
        let (conn, hello) = shared.engine.connect(now);
        let outbox = Outbox {
            tx,
            queued_bytes: queued_bytes.clone(),
            kick: kick.clone(),
        };
        shared.outboxes.insert(conn, outbox);
        shared.deliver(hello);
        (conn, shared.engine.sealer())
    };
    let mut writer = tokio::spawn(write_frames(sink, rx, queued_bytes));
    let kicked = loop {
        let message = tokio::select! {
            _ = kick.notified() => break true,
            message = source.next() => message,
        };
        let bytes = match message {
            Some(Ok(Message::Text(text))) => text.as_bytes().to_vec(),
            // Clearnode treats binary frames like text (TRANS-3).
            Some(Ok(Message::Binary(bytes))) => bytes.to_vec(),
            // A frame over MAX_FRAME_BYTES is an error here: the client is dropped.
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break false,
            Some(Ok(_)) => continue,
        };
        // Decoding and recovery read no broker state: outside the lock, in parallel.
        let prepared = sealer.prepare(&bytes);
        // A seeded race fault reads under one lock acquisition and writes under the next, so
        // other connections' requests run in between (Fault::TransferLostUpdate).
        let stale = shared
            .lock()
            .expect("engine lock")
            .engine
            .read_phase(conn, &bytes);
        if stale.is_some() {
            tokio::time::sleep(RACE_FAULT_WINDOW).await;
        }
        let (turn, stepped) = {
            let mut shared = shared.lock().expect("engine lock");
            if !shared.outboxes.contains_key(&conn) {
                break true;
            }
            let now = shared.now_ms();
            let stepped = shared
                .engine
                .step_prepared(conn, prepared, now, stale.as_ref());
            (order.take(), stepped)
        };
        // Signing reads no state either; the turn keeps every connection's frames in the
        // order the engine produced them. Nothing between taking the turn and delivering
        // awaits, so a waiter only ever waits for a thread that is running.
        let frames = sealer.seal(stepped.frames);
        let _delivering = order.wait(turn);
        shared.lock().expect("engine lock").deliver(frames);
    };
    {
        let mut shared = shared.lock().expect("engine lock");
        shared.outboxes.remove(&conn);
        shared.engine.disconnect(conn);
    }
    // The sender is gone, so the writer ends once the queue is written; a client that does
    // not read gets no more time than CLOSE_GRACE (a dropped one none at all).
    if !kicked {
        let _ = tokio::time::timeout(CLOSE_GRACE, &mut writer).await;
    }
    writer.abort();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(ip: [u8; 4]) -> SocketAddr {
        SocketAddr::from((ip, 40000))
    }

    #[test]
    fn trans_1_only_ws_without_control() {
        let off = Options::default();
        assert_eq!(
            route_upgrade("/ws", peer([127, 0, 0, 1]), true, off),
            Ok(Endpoint::Rpc)
        );
        for path in ["/control", "/", "/ws/", "/WS"] {
            assert_eq!(
                route_upgrade(path, peer([127, 0, 0, 1]), false, off).map_err(|e| e.0),
                Err(StatusCode::NOT_FOUND),
                "{path}"
            );
        }
    }

    #[test]
    fn control_is_loopback_only_and_refuses_browsers() {
        let on = Options { control: true };
        assert_eq!(
            route_upgrade("/control", peer([127, 0, 0, 1]), false, on),
            Ok(Endpoint::Control)
        );
        let v6 = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 1));
        assert_eq!(
            route_upgrade("/control", v6, false, on),
            Ok(Endpoint::Control)
        );
        for remote in [[10, 0, 0, 1], [192, 168, 1, 2], [0, 0, 0, 0]] {
            assert_eq!(
                route_upgrade("/control", peer(remote), false, on).map_err(|e| e.0),
                Err(StatusCode::FORBIDDEN),
                "{remote:?}"
            );
        }
        assert_eq!(
            route_upgrade("/control", peer([127, 0, 0, 1]), true, on).map_err(|e| e.0),
            Err(StatusCode::FORBIDDEN)
        );
        // NitroRPC itself is unchanged (any Origin, TRANS-2).
        assert_eq!(
            route_upgrade("/ws", peer([10, 0, 0, 1]), true, on),
            Ok(Endpoint::Rpc)
        );
    }

    /// Frames signed outside the engine lock still leave in the engine's order: turns taken in
    /// order 0..8 and finished in the reverse order (the later ones sign faster) are delivered
    /// 0..8.
    #[test]
    fn delivery_follows_the_order_turns_were_taken() {
        let order = Arc::new(DeliveryOrder::default());
        let delivered = Arc::new(Mutex::new(Vec::new()));
        let turns: Vec<u64> = (0..8).map(|_| order.take()).collect();
        let threads: Vec<_> = turns
            .into_iter()
            .map(|turn| {
                let (order, delivered) = (order.clone(), delivered.clone());
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(5 * (8 - turn)));
                    let _turn = order.wait(turn);
                    delivered.lock().unwrap().push(turn);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*delivered.lock().unwrap(), (0..8).collect::<Vec<u64>>());
    }
}

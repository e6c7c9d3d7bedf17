//! The embedded reference broker: the [`Engine`] (the model behind the wire) served over a
//! real WebSocket on loopback, at `/ws` like Clearnode (TRANS-1). Frames of one connection are
//! handled strictly in order and replies keep that order (TRANS-7); every connection's frames
//! go through one engine lock, so the model sees one global order of requests.

use crate::client::now_ms;
use crate::engine::{Engine, Out};
use crate::model::ConnId;
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// Frames a client may leave unread before the broker drops it (Clearnode's queues hold 10
/// and then stall, TRANS-8; a reference broker disconnects instead of stalling others).
const OUTBOUND_QUEUE_FRAMES: usize = 1024;
/// How long a broker with a race fault waits between its read and its write (long enough for
/// requests released together by a client to land in between, on a loaded machine).
const RACE_FAULT_WINDOW: std::time::Duration = std::time::Duration::from_millis(20);
/// Largest inbound frame (Clearnode has no limit, TRANS-5; a reference broker needs one).
pub const MAX_FRAME_BYTES: usize = 4 << 20;

struct Shared {
    engine: Engine,
    outboxes: HashMap<ConnId, mpsc::Sender<String>>,
    /// How far the broker's clock runs ahead of the machine's (a harness hook for expiry cases).
    clock_offset_ms: u64,
}

impl Shared {
    fn now_ms(&self) -> u64 {
        now_ms() + self.clock_offset_ms
    }
}

impl Shared {
    fn deliver(&mut self, frames: Vec<Out>) {
        for Out { conn, text } in frames {
            let full = match self.outboxes.get(&conn) {
                Some(tx) => tx.try_send(text).is_err(),
                None => false,
            };
            if full {
                // Dropping the sender ends that connection's writer, which closes the socket.
                self.outboxes.remove(&conn);
            }
        }
    }
}

/// Harness hooks into a running embedded broker: what a ledger insert or a channel row is for
/// Clearnode (runbook-clearnode.md), done on the model directly.
#[derive(Clone)]
pub struct Control(Arc<Mutex<Shared>>);

impl Control {
    pub fn fund(&self, wallet: &str, asset: &str, amount: &crate::model::Dec) {
        self.0
            .lock()
            .expect("engine lock")
            .engine
            .model
            .fund(wallet, asset, amount);
    }

    /// The broker's clock (the machine's, plus what [`Control::advance`] added).
    pub fn now_ms(&self) -> u64 {
        self.0.lock().expect("engine lock").now_ms()
    }

    /// Moves the broker's clock forward.
    pub fn advance(&self, ms: u64) {
        self.0.lock().expect("engine lock").clock_offset_ms += ms;
    }

    pub fn add_channel(&self, wallet: &str, channel: crate::model::Channel) {
        self.0
            .lock()
            .expect("engine lock")
            .engine
            .model
            .add_channel(wallet, channel);
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

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.task.await;
    }
}

/// Binds `addr` (use port 0 for a free port) and serves `engine` until stopped.
pub async fn spawn(engine: Engine, addr: SocketAddr) -> std::io::Result<BrokerHandle> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let broker_address = engine.broker_address();
    let shared = Arc::new(Mutex::new(Shared {
        engine,
        outboxes: HashMap::new(),
        clock_offset_ms: 0,
    }));
    let control = Control(shared.clone());
    let (stop_tx, mut stop_rx) = oneshot::channel();
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut stop_rx => break,
                accepted = listener.accept() => {
                    if let Ok((stream, _)) = accepted {
                        connections.spawn(serve_connection(stream, shared.clone()));
                    }
                }
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

// The signature is tungstenite's handshake `Callback`; the large error type is theirs.
#[allow(clippy::result_large_err)]
fn only_ws_path(request: &Request, response: Response) -> Result<Response, ErrorResponse> {
    if request.uri().path() == "/ws" {
        Ok(response)
    } else {
        let mut refusal = ErrorResponse::new(Some("NitroRPC is served at /ws".to_string()));
        *refusal.status_mut() = StatusCode::NOT_FOUND;
        Err(refusal)
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Mutex<Shared>>) {
    let _ = stream.set_nodelay(true);
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    let Ok(socket) =
        tokio_tungstenite::accept_hdr_async_with_config(stream, only_ws_path, Some(config)).await
    else {
        return;
    };
    let (mut sink, mut source) = socket.split();
    let (tx, mut rx) = mpsc::channel::<String>(OUTBOUND_QUEUE_FRAMES);
    let conn = {
        let mut shared = shared.lock().expect("engine lock");
        let now = shared.now_ms();
        let (conn, hello) = shared.engine.connect(now);
        shared.outboxes.insert(conn, tx);
        shared.deliver(hello);
        conn
    };
    let writer = tokio::spawn(async move {
        while let Some(text) = rx.recv().await {
            if sink.send(Message::text(text)).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    while let Some(message) = source.next().await {
        let bytes = match message {
            Ok(Message::Text(text)) => text.as_bytes().to_vec(),
            // Clearnode treats binary frames like text (TRANS-3).
            Ok(Message::Binary(bytes)) => bytes.to_vec(),
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        };
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
        let mut shared = shared.lock().expect("engine lock");
        if !shared.outboxes.contains_key(&conn) {
            break;
        }
        let now = shared.now_ms();
        let handled = shared
            .engine
            .handle_after_read(conn, &bytes, now, stale.as_ref());
        shared.deliver(handled.frames);
    }
    {
        let mut shared = shared.lock().expect("engine lock");
        shared.outboxes.remove(&conn);
        shared.engine.disconnect(conn);
    }
    let _ = writer.await;
}

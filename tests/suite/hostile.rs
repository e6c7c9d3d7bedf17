//! The hostile-broker suite (issue #13): a loopback proxy in front of the embedded broker that
//! misbehaves in one chosen way, and `certify` (the library's runner, and the binary for the
//! command-line paths) run against it. Every misbehaviour must end in a verdict: no hang (each
//! run sits under a guard far above its timeouts), no panic, and bounded memory (the client's
//! limits bound what it holds by construction; the tests assert the bound on what the broker
//! managed to push, never a timing).
//!
//! The proxy is faithful except for the replies to the trigger methods (the app-session calls
//! for certify, `ping` for the client-level checks), so a control run through it is
//! CONFORMANT and every other verdict is the misbehaviour's.

use crate::util::repo_path;
use futures_util::{SinkExt, StreamExt};
use nitrocert::broker::{self, BrokerHandle};
use nitrocert::cli::serve::{build_engine, Funding as Fund};
use nitrocert::client::{ClientError, Connection, Exchange, IdRelation, Limits};
use nitrocert::crypto::identity::{derive, Role};
use nitrocert::crypto::SecretKey;
use nitrocert::engine::response_frame;
use nitrocert::model::Profile;
use nitrocert::report::{Class, RunReport};
use nitrocert::runner::{self, known::KnownDivergences, Quiet, RunConfig, Target};
use nitrocert::vectors::Vector;
use nitrocert::wire::{encode_req, encode_signed, parse_frame};
use serde_json::json;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const SEED: u64 = 13;
/// The one vector certified through the proxy: it creates, submits and closes a session.
const VECTOR: &str = "vectors/lifecycle/clearnode-integration-v02.json";
const APP_METHODS: &[&str] = &[
    "create_app_session",
    "submit_app_state",
    "close_app_session",
];
/// The size of the oversized frame and message (issue #13: "a 100 MB frame").
const HUGE: u64 = 100 << 20;
/// Far above any timeout of [`limits`]: reaching it means a hang, not a slow broker.
const HANG_GUARD: Duration = Duration::from_secs(40);
/// What a hostile broker may push into a client that refuses it early: the kernel's socket
/// buffers on both sides (a few MiB on Linux) and the client's read buffer. A client that
/// buffered the frame would take all of [`HUGE`].
const PUSHED_BOUND: u64 = 32 << 20;

fn limits() -> Limits {
    Limits {
        connect_timeout_ms: 1_000,
        reply_timeout_ms: 1_000,
        ..Limits::default()
    }
}

fn broker_key() -> SecretKey {
    derive(SEED, Role::Broker, 0)
}

/// The funded wallet behind `--funder-key` in the command-line runs.
fn funder_key() -> SecretKey {
    derive(SEED, Role::Wallet, 99)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Misbehaviour {
    /// None: the control.
    Faithful,
    /// The reply replaced by text that is not JSON.
    Garbage,
    /// The reply replaced by a text frame whose payload is not UTF-8.
    InvalidUtf8,
    /// The reply sent as a binary frame (Clearnode only writes text, TRANS-3).
    Binary,
    /// The reply never comes.
    Silence,
    /// The TCP connection is dropped when the request comes.
    Disconnect,
    /// A 100 MB frame instead of the reply, streamed until the client hangs up.
    HugeFrame,
    /// A 100 MB message in 64 KiB fragments, each below the frame limit.
    HugeMessage,
    /// The reply written one byte every 20 ms.
    Drip,
    /// Endless small notifications instead of the reply.
    FloodSmall,
    /// Endless 512 KiB notifications instead of the reply.
    FloodLarge,
    /// Endless WebSocket pings instead of the reply, never reading the pongs.
    PingFlood,
    /// The reply's id plus this, re-signed with the broker's key (issue #10 item 9).
    WrongId(u64),
    /// Every reply written twice.
    Duplicate,
    /// The reply's signature with one byte changed.
    BrokenSignature,
    /// The reply signed by another key.
    ForeignSignature,
    /// A well-signed reply with an id no request had, before the real one.
    NeverSent,
    /// Each reply held back until the next one, then written after it.
    Reordered,
    /// The HTTP upgrade is read and never answered.
    UpgradeStalls,
    /// The upgrade is answered with a plain HTTP page.
    UpgradeGarbage,
    /// The upgrade's response headers never end.
    UpgradeHeaderFlood,
    /// The upgrade's response written one byte every 50 ms.
    UpgradeDrip,
}

use Misbehaviour as M;

impl Misbehaviour {
    fn at_upgrade(self) -> bool {
        matches!(
            self,
            M::UpgradeStalls | M::UpgradeGarbage | M::UpgradeHeaderFlood | M::UpgradeDrip
        )
    }
}

/// What the hostile side measured.
#[derive(Default)]
struct Stats {
    connections: AtomicUsize,
    /// Bytes of an oversized frame, message or header the client took before it hung up.
    pushed: AtomicU64,
    /// Frames a flood wrote before the client hung up.
    flooded: AtomicU64,
}

struct Hostile {
    url: String,
    broker: BrokerHandle,
    stats: Arc<Stats>,
    task: tokio::task::JoinHandle<()>,
}

impl Hostile {
    /// The embedded broker behind a proxy that does `mode` to the replies to `trigger`; the
    /// upgrade misbehaviours apply from connection number `from` on.
    async fn spawn(mode: Misbehaviour, trigger: &'static [&'static str], from: usize) -> Self {
        let fund = Fund {
            wallet: funder_key().address(),
            asset: "usdc".into(),
            amount: "1000000".into(),
        };
        let engine = build_engine(
            Profile::Clearnode052,
            &["usdc".to_string()],
            &[fund],
            broker_key(),
            SEED,
        );
        let broker = broker::spawn(engine, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/ws", listener.local_addr().unwrap());
        let stats = Arc::new(Stats::default());
        let (upstream, counters) = (broker.url(), stats.clone());
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((tcp, _)) = listener.accept().await {
                let index = counters.connections.fetch_add(1, Ordering::SeqCst);
                let mode = if index >= from || !mode.at_upgrade() {
                    mode
                } else {
                    M::Faithful
                };
                let (upstream, stats) = (upstream.clone(), counters.clone());
                connections.spawn(async move {
                    let _ = serve(tcp, mode, trigger, &upstream, &stats).await;
                });
            }
        });
        Hostile {
            url,
            broker,
            stats,
            task,
        }
    }

    async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
        self.broker.stop().await;
    }

    /// `certify` through the library's runner on `vectors`, as the binary runs it (the books
    /// are funded and read through the embedded broker's hooks).
    async fn certify(&self, vectors: &[Vector]) -> RunReport {
        let target = Target {
            url: self.url.clone(),
            ..Target::embedded(&self.broker, "hostile".into(), limits())
        };
        let config = RunConfig {
            target,
            profile: Profile::Clearnode052,
            seed: 1,
            known: KnownDivergences::default(),
            broker_address: Some(self.broker.broker_address.clone()),
        };
        tokio::time::timeout(HANG_GUARD, runner::run(&config, vectors, &mut Quiet))
            .await
            .expect("certify ends in a verdict, not a hang")
    }

    /// `count` pings on one connection, through the proxy: the client's own view.
    async fn pings(&self, count: usize) -> Vec<Result<Exchange, ClientError>> {
        let run = async {
            let mut conn = match Connection::connect(&self.url, limits()).await {
                Ok(c) => c,
                Err(e) => return vec![Err(e)],
            };
            let mut out = Vec::new();
            for _ in 0..count {
                let id = conn.next_id();
                let ping = encode_signed(&encode_req(id, "ping", &json!({}), 1), &[]);
                let result = conn.exchange(&ping).await;
                let stop = matches!(
                    result,
                    Err(ClientError::Closed
                        | ClientError::Transport(_)
                        | ClientError::FrameTooLarge { .. })
                );
                out.push(result);
                if stop {
                    break;
                }
            }
            conn.close().await;
            out
        };
        tokio::time::timeout(HANG_GUARD, run)
            .await
            .expect("the client ends, not hangs")
    }
}

type Ws = WebSocketStream<TcpStream>;

/// Reads an HTTP request head (up to its blank line, or 8 KiB).
async fn read_head(tcp: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
        if tcp.read(&mut byte).await? == 0 {
            break;
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// Reads and discards until the client hangs up.
async fn hold(tcp: &mut TcpStream) {
    let mut buf = [0u8; 4096];
    while matches!(tcp.read(&mut buf).await, Ok(n) if n > 0) {}
}

async fn misbehave_at_upgrade(mut tcp: TcpStream, mode: Misbehaviour, stats: &Stats) {
    let head = read_head(&mut tcp).await.unwrap_or_default();
    match mode {
        M::UpgradeGarbage => {
            let page = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nnot a socket";
            let _ = tcp.write_all(page.as_bytes()).await;
        }
        M::UpgradeHeaderFlood => {
            let start = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                         Connection: Upgrade\r\nX-Flood: ";
            if tcp.write_all(start.as_bytes()).await.is_ok() {
                let chunk = vec![b'a'; 64 << 10];
                while stats.pushed.load(Ordering::SeqCst) < HUGE
                    && tcp.write_all(&chunk).await.is_ok()
                {
                    stats.pushed.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                }
            }
        }
        M::UpgradeDrip => {
            let key = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("sec-websocket-key")
                        .then(|| value.trim().to_string())
                })
                .unwrap_or_default();
            let accept =
                tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
            let response = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            );
            for byte in response.bytes() {
                if tcp.write_all(&[byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        _ => {}
    }
    hold(&mut tcp).await;
}

async fn serve(
    tcp: TcpStream,
    mode: Misbehaviour,
    trigger: &[&str],
    upstream: &str,
    stats: &Stats,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if mode.at_upgrade() {
        misbehave_at_upgrade(tcp, mode, stats).await;
        return Ok(());
    }
    let mut client = tokio_tungstenite::accept_async(tcp).await?;
    let (mut broker, _) = tokio_tungstenite::connect_async(upstream).await?;
    // The methods of the requests not answered yet, in order (replies come in order, TRANS-7).
    let mut asked: VecDeque<String> = VecDeque::new();
    let mut held: Option<String> = None;
    loop {
        tokio::select! {
            m = client.next() => {
                let Some(Ok(Message::Text(text))) = m else { return Ok(()) };
                let method = parse_frame(&text).map(|f| f.method).unwrap_or_default();
                if mode == M::Disconnect && trigger.contains(&method.as_str()) {
                    return Ok(());
                }
                asked.push_back(method);
                broker.send(Message::Text(text)).await?;
            }
            m = broker.next() => {
                let Some(Ok(Message::Text(text))) = m else { return Ok(()) };
                let text = text.to_string();
                let reply = parse_frame(&text).is_ok_and(|f| !f.is_notification());
                let answers = if reply { asked.pop_front() } else { None };
                let hit = answers.is_some_and(|m| trigger.contains(&m.as_str()));
                if !hit {
                    client.send(Message::text(text)).await?;
                } else if !misbehave(mode, text, &mut client, &mut held, stats).await? {
                    return Ok(());
                }
            }
        }
    }
}

/// Does `mode` to one reply; `false` ends the connection.
async fn misbehave(
    mode: Misbehaviour,
    text: String,
    client: &mut Ws,
    held: &mut Option<String>,
    stats: &Stats,
) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
    let frame = parse_frame(&text)?;
    let resign =
        |key: &SecretKey, id: u64| response_frame(key, id, &frame.method, &frame.params, frame.ts);
    match mode {
        M::Faithful => client.send(Message::text(text)).await?,
        M::Garbage => {
            client
                .send(Message::text("\u{1}garbage{{ not NitroRPC"))
                .await?
        }
        M::InvalidUtf8 => raw(client, &[&header(0x81, 3), &[0xff, 0xfe, 0xfd]]).await?,
        M::Binary => client.send(Message::binary(text.into_bytes())).await?,
        M::Silence => {}
        M::HugeFrame | M::HugeMessage | M::Drip | M::FloodSmall | M::FloodLarge | M::PingFlood => {
            return overwhelm(mode, &text, frame.ts, client, stats).await;
        }
        M::WrongId(delta) => {
            client
                .send(Message::text(resign(&broker_key(), frame.id + delta)))
                .await?
        }
        M::Duplicate => {
            client.send(Message::text(text.clone())).await?;
            client.send(Message::text(text)).await?;
        }
        M::BrokenSignature => {
            let sig = frame.sig.first().cloned().unwrap_or_default();
            let mut broken = sig.clone().into_bytes();
            if let Some(b) = broken.get_mut(10) {
                *b = if *b == b'0' { b'1' } else { b'0' };
            }
            let broken = String::from_utf8(broken)?;
            client
                .send(Message::text(text.replace(&sig, &broken)))
                .await?
        }
        M::ForeignSignature => {
            let foreign = derive(SEED + 1, Role::Broker, 0);
            client
                .send(Message::text(resign(&foreign, frame.id)))
                .await?
        }
        M::NeverSent => {
            client
                .send(Message::text(resign(&broker_key(), 424_242)))
                .await?;
            client.send(Message::text(text)).await?;
        }
        M::Reordered => match held.take() {
            None => *held = Some(text),
            Some(earlier) => {
                client.send(Message::text(text)).await?;
                client.send(Message::text(earlier)).await?;
            }
        },
        M::Disconnect
        | M::UpgradeStalls
        | M::UpgradeGarbage
        | M::UpgradeHeaderFlood
        | M::UpgradeDrip => unreachable!("handled before the reply"),
    }
    Ok(true)
}

/// The misbehaviours that pour bytes or frames into the client, or starve it; `false` ends
/// the connection.
async fn overwhelm(
    mode: Misbehaviour,
    text: &str,
    ts: u64,
    client: &mut Ws,
    stats: &Stats,
) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
    match mode {
        M::HugeFrame => {
            raw(client, &[&header(0x81, HUGE)]).await?;
            stream_payload(client, HUGE, 64 << 10, None, stats).await;
        }
        M::HugeMessage => stream_payload(client, HUGE, 64 << 10, Some(()), stats).await,
        M::Drip => {
            let mut bytes = header(0x81, text.len() as u64);
            bytes.extend_from_slice(text.as_bytes());
            for b in bytes {
                raw(client, &[&[b]]).await?;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            return Ok(true);
        }
        M::FloodSmall | M::FloodLarge => {
            let pad = if mode == M::FloodLarge { 512 << 10 } else { 0 };
            let push = response_frame(
                &broker_key(),
                0,
                "bu",
                &json!({"balance_updates": [], "pad": "a".repeat(pad)}),
                ts,
            );
            while client.send(Message::text(push.clone())).await.is_ok() {
                stats.flooded.fetch_add(1, Ordering::SeqCst);
            }
        }
        _ => {
            let data = vec![7u8; 125];
            while client
                .send(Message::Ping(data.clone().into()))
                .await
                .is_ok()
            {
                stats.flooded.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    Ok(false)
}

/// A server frame header (unmasked) for `len` payload bytes.
fn header(first: u8, len: u64) -> Vec<u8> {
    let mut h = vec![first];
    match len {
        0..=125 => h.push(len as u8),
        126..=0xFFFF => {
            h.push(126);
            h.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            h.push(127);
            h.extend_from_slice(&len.to_be_bytes());
        }
    }
    h
}

/// Writes bytes straight to the socket, under the WebSocket layer.
async fn raw(client: &mut Ws, parts: &[&[u8]]) -> std::io::Result<()> {
    client.flush().await.map_err(std::io::Error::other)?;
    for p in parts {
        client.get_mut().write_all(p).await?;
    }
    client.get_mut().flush().await
}

/// Streams `total` payload bytes in `chunk`s until the client hangs up, counting what it took:
/// as one frame's payload, or (`fragments`) as a text message of continuation frames.
async fn stream_payload(
    client: &mut Ws,
    total: u64,
    chunk: usize,
    fragments: Option<()>,
    stats: &Stats,
) {
    let body = vec![b'a'; chunk];
    let mut sent = 0u64;
    while sent < total {
        let head = match fragments {
            None => vec![],
            Some(()) => {
                let fin = if sent + chunk as u64 >= total {
                    0x80
                } else {
                    0
                };
                let opcode = if sent == 0 { 0x01 } else { 0x00 };
                header(fin | opcode, chunk as u64)
            }
        };
        if raw(client, &[&head, &body]).await.is_err() {
            return;
        }
        sent += chunk as u64;
        stats.pushed.fetch_add(chunk as u64, Ordering::SeqCst);
    }
}

fn vector() -> Vector {
    nitrocert::vectors::load(&repo_path(VECTOR)).unwrap()
}

/// The one case's class and what its findings say.
fn verdict(report: &RunReport) -> (Class, String) {
    let case = &report.cases[0];
    let messages: Vec<&str> = case
        .steps
        .iter()
        .flat_map(|s| s.findings.iter())
        .map(|f| f.message.as_str())
        .collect();
    (case.class, messages.join(" | "))
}

/// Certifies the vector through `mode` (app-session replies misbehave): NOT CONFORMANT, the
/// case in `class`; the findings' text for further checks.
async fn certify_gives(mode: Misbehaviour, class: Class) -> (String, Arc<Stats>) {
    let hostile = Hostile::spawn(mode, APP_METHODS, 0).await;
    let report = hostile.certify(&[vector()]).await;
    let stats = hostile.stats.clone();
    hostile.stop().await;
    let (got, messages) = verdict(&report);
    println!("{mode:?}: {got:?}: {messages}");
    assert!(!report.summary.conformant(), "{mode:?}: {messages}");
    assert_eq!(got, class, "{mode:?}: {messages}");
    (messages, stats)
}

/// The client's own view through `mode` applied to pings.
async fn pings_through(mode: Misbehaviour, count: usize) -> Vec<Result<Exchange, ClientError>> {
    let hostile = Hostile::spawn(mode, &["ping"], 0).await;
    let out = hostile.pings(count).await;
    hostile.stop().await;
    out
}

fn wrong_id(result: &Result<Exchange, ClientError>) -> (u64, u64, IdRelation) {
    match result {
        Err(ClientError::WrongReplyId(m)) => (m.expected, m.received, m.relation),
        other => panic!("expected a wrong reply id, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_the_faithful_proxy_is_conformant() {
    let hostile = Hostile::spawn(M::Faithful, APP_METHODS, 0).await;
    let report = hostile.certify(&[vector()]).await;
    hostile.stop().await;
    let (class, messages) = verdict(&report);
    assert!(report.summary.conformant(), "{class:?}: {messages}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_instead_of_a_reply_is_an_error() {
    let (messages, _) = certify_gives(M::Garbage, Class::Error).await;
    assert!(messages.contains("not NitroRPC"), "{messages}");
    let pings = pings_through(M::Garbage, 1).await;
    assert!(matches!(pings[0], Err(ClientError::Malformed { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_frame_that_is_not_utf8_is_an_error() {
    certify_gives(M::InvalidUtf8, Class::Error).await;
    let pings = pings_through(M::InvalidUtf8, 1).await;
    assert!(matches!(pings[0], Err(ClientError::Transport(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binary_reply_is_an_error() {
    certify_gives(M::Binary, Class::Error).await;
    let pings = pings_through(M::Binary, 1).await;
    assert_eq!(pings[0].as_ref().unwrap_err(), &ClientError::Binary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_ends_at_the_reply_timeout() {
    certify_gives(M::Silence, Class::Error).await;
    let pings = pings_through(M::Silence, 1).await;
    assert_eq!(
        pings[0].as_ref().unwrap_err(),
        &ClientError::Timeout { waited_ms: 1_000 }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnect_mid_case_is_an_error() {
    certify_gives(M::Disconnect, Class::Error).await;
    let pings = pings_through(M::Disconnect, 1).await;
    assert!(matches!(
        pings[0],
        Err(ClientError::Closed | ClientError::Transport(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_frame_is_refused_from_its_header() {
    let (_, stats) = certify_gives(M::HugeFrame, Class::Error).await;
    let pushed = stats.pushed.load(Ordering::SeqCst);
    println!("the client took {pushed} bytes before it hung up");
    assert!(pushed < PUSHED_BOUND, "the client took {pushed} bytes");
    let pings = pings_through(M::HugeFrame, 1).await;
    assert_eq!(
        pings[0].as_ref().unwrap_err(),
        &ClientError::FrameTooLarge {
            limit: limits().max_frame_bytes
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_message_in_small_fragments_is_refused_at_the_limit() {
    let (_, stats) = certify_gives(M::HugeMessage, Class::Error).await;
    let pushed = stats.pushed.load(Ordering::SeqCst);
    println!("the client took {pushed} bytes before it hung up");
    assert!(pushed < PUSHED_BOUND, "the client took {pushed} bytes");
    let pings = pings_through(M::HugeMessage, 1).await;
    assert!(matches!(pings[0], Err(ClientError::FrameTooLarge { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drip_fed_frame_hits_the_total_deadline() {
    // A per-byte timeout would wait for the whole frame (about 10 s at this pace).
    certify_gives(M::Drip, Class::Error).await;
    let pings = pings_through(M::Drip, 1).await;
    assert_eq!(
        pings[0].as_ref().unwrap_err(),
        &ClientError::Timeout { waited_ms: 1_000 }
    );
}

/// A flood ends in [`ClientError::Flood`] within the client's bound.
fn flood_within_bound(result: &Result<Exchange, ClientError>) {
    let l = limits();
    match result {
        Err(ClientError::Flood { frames, bytes }) => {
            assert!(*frames <= l.max_held_frames + 1);
            assert!(*bytes <= l.held_bound_bytes(), "{bytes} bytes held");
        }
        other => panic!("expected a flood, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_small_notifications_is_cut_at_the_frame_count() {
    let (messages, _) = certify_gives(M::FloodSmall, Class::Error).await;
    assert!(messages.contains("flooded"), "{messages}");
    let pings = pings_through(M::FloodSmall, 1).await;
    flood_within_bound(&pings[0]);
    assert!(
        matches!(pings[0], Err(ClientError::Flood { frames, .. }) if frames > limits().max_held_frames)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_large_notifications_is_cut_at_the_byte_count() {
    let (messages, _) = certify_gives(M::FloodLarge, Class::Error).await;
    assert!(messages.contains("flooded"), "{messages}");
    let pings = pings_through(M::FloodLarge, 1).await;
    flood_within_bound(&pings[0]);
    assert!(
        matches!(pings[0], Err(ClientError::Flood { bytes, .. }) if bytes > limits().max_held_bytes)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ping_flood_that_never_reads_the_pongs_ends() {
    // Pings are not frames the client holds; the deadline ends the wait, and the capped
    // write buffer bounds the pongs the broker never reads.
    certify_gives(M::PingFlood, Class::Error).await;
    let pings = pings_through(M::PingFlood, 1).await;
    assert!(matches!(
        pings[0],
        Err(ClientError::Timeout { .. } | ClientError::Transport(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_with_a_wrong_id_is_not_conformant() {
    // Issue #10 item 9: every app-session reply's id plus 7, re-signed with the broker's key.
    let (messages, _) = certify_gives(M::WrongId(7), Class::Error).await;
    assert!(messages.contains("carries id"), "{messages}");
    let pings = pings_through(M::WrongId(7), 1).await;
    assert_eq!(wrong_id(&pings[0]), (1, 8, IdRelation::NeverSent));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_reply_is_caught_at_the_next_request() {
    certify_gives(M::Duplicate, Class::Error).await;
    let pings = pings_through(M::Duplicate, 2).await;
    assert!(pings[0].is_ok());
    assert_eq!(wrong_id(&pings[1]), (2, 1, IdRelation::EarlierRequest));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_broker_signature_fails() {
    let (messages, _) = certify_gives(M::BrokenSignature, Class::Fail).await;
    assert!(messages.contains("RSIG-4"), "{messages}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_broker_signature_fails() {
    let (messages, _) = certify_gives(M::ForeignSignature, Class::Fail).await;
    assert!(messages.contains("RSIG-4"), "{messages}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_to_a_request_never_sent_is_not_conformant() {
    certify_gives(M::NeverSent, Class::Error).await;
    let pings = pings_through(M::NeverSent, 1).await;
    assert_eq!(wrong_id(&pings[0]), (1, 424_242, IdRelation::NeverSent));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reordered_replies_are_not_taken_for_each_other() {
    // The held reply is a missing reply for a client that waits for each one.
    certify_gives(M::Reordered, Class::Error).await;
    // Ping 1 is held; ping 2's reply comes, then ping 1's: ping 3 is offered ping 1's pong,
    // which reads the same and would pass by order alone.
    let pings = pings_through(M::Reordered, 3).await;
    assert!(matches!(pings[0], Err(ClientError::Timeout { .. })));
    assert_eq!(pings[1].as_ref().unwrap().reply.frame.id, 2);
    assert_eq!(wrong_id(&pings[2]), (3, 1, IdRelation::EarlierRequest));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_that_never_completes_ends_at_the_connect_timeout() {
    certify_gives(M::UpgradeStalls, Class::Error).await;
    let pings = pings_through(M::UpgradeStalls, 1).await;
    assert!(
        matches!(&pings[0], Err(ClientError::Connect { why, .. }) if why.contains("no handshake"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_answered_with_a_web_page_is_an_error() {
    certify_gives(M::UpgradeGarbage, Class::Error).await;
    let pings = pings_through(M::UpgradeGarbage, 1).await;
    assert!(matches!(pings[0], Err(ClientError::Connect { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_upgrade_headers_are_cut_by_the_handshake_limit() {
    let (_, stats) = certify_gives(M::UpgradeHeaderFlood, Class::Error).await;
    let pushed = stats.pushed.load(Ordering::SeqCst);
    println!("the client took {pushed} bytes before it hung up");
    assert!(pushed < PUSHED_BOUND, "the client took {pushed} bytes");
    let pings = pings_through(M::UpgradeHeaderFlood, 1).await;
    assert!(matches!(pings[0], Err(ClientError::Connect { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drip_fed_upgrade_hits_the_connect_deadline() {
    certify_gives(M::UpgradeDrip, Class::Error).await;
    let pings = pings_through(M::UpgradeDrip, 1).await;
    assert!(
        matches!(&pings[0], Err(ClientError::Connect { why, .. }) if why.contains("no handshake"))
    );
}

/// Runs the binary with `args` off the runtime (the proxy keeps serving meanwhile); a fresh
/// report folder is passed as `--out`.
async fn certify_cli(args: &[&str]) -> (i32, String, serde_json::Value) {
    let out = std::env::temp_dir().join(format!(
        "nitrocert-hostile-{}-{}",
        std::process::id(),
        args.join("_").replace(['/', ':', '.'], "")
    ));
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    all.extend(["--out".to_string(), out.display().to_string()]);
    let run = tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        crate::util::run(&refs, "")
    });
    let (code, stdout, stderr) = tokio::time::timeout(HANG_GUARD, run)
        .await
        .expect("the binary ends, not hangs")
        .unwrap();
    let report = std::fs::read_to_string(out.join("report.json"))
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or(serde_json::Value::Null);
    let _ = std::fs::remove_dir_all(&out);
    println!("{stdout}{stderr}");
    (code, stdout, report)
}

fn classes(report: &serde_json::Value) -> Vec<String> {
    report["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["class"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_gives_not_conformant_through_the_plus_7_proxy() {
    // Issue #10 item 9, as a vendor runs it: the binary, a funder wallet, the broker's address
    // from get_config through the proxy.
    let hostile = Hostile::spawn(M::WrongId(7), APP_METHODS, 0).await;
    let key = funder_key().to_hex();
    let (code, stdout, report) = certify_cli(&[
        "certify",
        "--endpoint",
        &hostile.url,
        "--funder-key",
        &key,
        "--timeout-ms",
        "1000",
        "--vectors",
        &repo_path(VECTOR).display().to_string(),
    ])
    .await;
    hostile.stop().await;
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.starts_with("NOT CONFORMANT"), "{stdout}");
    assert_eq!(classes(&report), ["ERROR"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certify_gives_not_conformant_against_the_wrong_reply_id_fault() {
    // WIRE-8: the seeded fault `wrong-reply-id` (ids of app-session replies plus 7).
    let (code, stdout, report) = certify_cli(&[
        "certify",
        "--fault",
        "wrong-reply-id",
        "--vectors",
        &repo_path(VECTOR).display().to_string(),
    ])
    .await;
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.starts_with("NOT CONFORMANT"), "{stdout}");
    assert_eq!(classes(&report), ["ERROR"]);
    let message = report["cases"][0]["steps"][0]["findings"][0]["message"]
        .as_str()
        .unwrap_or("");
    assert!(message.contains("carries id"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_fast_stops_a_run_against_a_broker_that_drops_replies() {
    // Without it, each of the three cases would wait for its reply.
    let hostile = Hostile::spawn(M::Silence, APP_METHODS, 0).await;
    let key = funder_key().to_hex();
    let (code, stdout, report) = certify_cli(&[
        "certify",
        "--endpoint",
        &hostile.url,
        "--funder-key",
        &key,
        "--timeout-ms",
        "1000",
        "--fail-fast",
        "--vectors",
        &repo_path("vectors/lifecycle").display().to_string(),
    ])
    .await;
    hostile.stop().await;
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("stopped early: 2 of 3 cases not run"),
        "{stdout}"
    );
    assert_eq!(classes(&report), ["ERROR", "SKIP", "SKIP"]);
    let note = report["cases"][1]["note"].as_str().unwrap_or("");
    assert!(note.contains("--fail-fast"), "{note}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_refuses_an_endpoint_whose_upgrade_never_completes() {
    // Exit 2: the harness could not run (the endpoint takes no WebSocket), after the connect
    // timeout, not never.
    let hostile = Hostile::spawn(M::UpgradeStalls, APP_METHODS, 0).await;
    let (code, stdout, _) = certify_cli(&[
        "certify",
        "--endpoint",
        &hostile.url,
        "--vectors",
        &repo_path(VECTOR).display().to_string(),
    ])
    .await;
    hostile.stop().await;
    assert_eq!(code, 2, "{stdout}");
}

//! The test-control interface of the embedded broker: what a harness needs to certify it over
//! its socket with every vector, as it does in-process. Off by default; `nitrocert serve
//! --control` serves it at `ws://127.0.0.1:PORT/control`, on the broker's own listener, to
//! loopback peers only, never to a browser (requests with an `Origin` header are refused).
//!
//! One JSON request per text frame, one reply per request, in order:
//!
//! ```text
//! > {"id":1,"method":"fund","params":{"wallet":"0x…","asset":"usdc","amount":"100"}}
//! < {"id":1,"result":{}}
//! > {"id":2,"method":"advance","params":{"ms":960000}}
//! < {"id":2,"result":{"now_ms":1700000960000,"offset_ms":960000}}
//! > {"id":3,"method":"nope"}
//! < {"id":3,"error":"unknown control method \"nope\" (info, clock, fund, channel, advance, reset)"}
//! ```
//!
//! | method | params | effect | result |
//! |---|---|---|---|
//! | `info` | — | — | `{profile, broker_address, now_ms, offset_ms}` |
//! | `clock` | — | — | `{now_ms, offset_ms}` |
//! | `fund` | `{wallet, asset, amount}` | credits a unified balance, like a `ledger` row insert (a negative amount debits) | `{}` |
//! | `channel` | `{wallet, status, amount}` | gives the wallet a channel (`open`, `resizing`, `challenged`) holding `amount` (AS-CHAN-1/2) | `{}` |
//! | `advance` | `{ms}` | moves the broker's clock forward (challenge TTLs and purges, session-key and auth-session expiry) | `{now_ms, offset_ms}` |
//! | `reset` | — | back to the start state: the engine as started (profile, key, `--fund`), the machine's clock, every NitroRPC connection closed | `{now_ms, offset_ms}` |
//!
//! The broker's clock is the machine's plus `offset_ms`, so a harness on the same machine knows
//! it exactly from the offset ([`RemoteControl::now_ms`]).

use super::Control;
use crate::model::amount::parse_decimal;
use crate::model::ChannelStatus;
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;

/// Largest control reply the client reads (replies are a few hundred bytes).
const MAX_CONTROL_FRAME_BYTES: usize = 64 << 10;
/// Longest wait for one control call (connect, upgrade, reply).
const CONTROL_TIMEOUT: Duration = Duration::from_secs(5);

/// The broker's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockState {
    pub now_ms: u64,
    /// How far it runs ahead of the machine's clock.
    pub offset_ms: u64,
}

/// What `info` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlInfo {
    pub profile: String,
    pub broker_address: String,
    #[serde(flatten)]
    pub clock: ClockState,
}

/// One control request, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Info,
    Clock,
    Fund {
        wallet: String,
        asset: String,
        amount: String,
    },
    Channel {
        wallet: String,
        status: ChannelStatus,
        amount: String,
    },
    Advance {
        ms: u64,
    },
    Reset,
}

#[derive(Deserialize)]
struct RawRequest {
    #[serde(default)]
    id: Value,
    method: String,
    #[serde(default)]
    params: Value,
}

#[derive(Deserialize)]
struct FundParams {
    wallet: String,
    asset: String,
    amount: String,
}

#[derive(Deserialize)]
struct ChannelParams {
    wallet: String,
    status: String,
    amount: String,
}

#[derive(Deserialize)]
struct AdvanceParams {
    ms: u64,
}

fn params<T: serde::de::DeserializeOwned>(method: &str, value: Value) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| format!("{method}: bad params: {e}"))
}

/// A hook gives live channels only: a closed one is no channel to the guards (AS-CHAN-1/2).
fn channel_status(text: &str) -> Result<ChannelStatus, String> {
    match ChannelStatus::parse(text) {
        Some(status) if status != ChannelStatus::Closed => Ok(status),
        _ => Err(format!(
            "channel: unknown status {text:?} (open, resizing, challenged)"
        )),
    }
}

impl Command {
    /// Decodes a request frame into its id and command (the id is echoed even on errors).
    pub fn parse(text: &str) -> (Value, Result<Command, String>) {
        let raw: RawRequest = match serde_json::from_str(text) {
            Ok(raw) => raw,
            Err(e) => return (Value::Null, Err(format!("not a control request: {e}"))),
        };
        let RawRequest {
            id,
            method,
            params: p,
        } = raw;
        let command = match method.as_str() {
            "info" => Ok(Command::Info),
            "clock" => Ok(Command::Clock),
            "reset" => Ok(Command::Reset),
            "fund" => params::<FundParams>("fund", p).and_then(|f| {
                parse_decimal(&f.amount)
                    .map_err(|_| format!("fund: {:?} is not a decimal", f.amount))?;
                Ok(Command::Fund {
                    wallet: f.wallet,
                    asset: f.asset,
                    amount: f.amount,
                })
            }),
            "channel" => params::<ChannelParams>("channel", p).and_then(|c| {
                parse_decimal(&c.amount)
                    .map_err(|_| format!("channel: {:?} is not a decimal", c.amount))?;
                Ok(Command::Channel {
                    status: channel_status(&c.status)?,
                    wallet: c.wallet,
                    amount: c.amount,
                })
            }),
            "advance" => {
                params::<AdvanceParams>("advance", p).map(|a| Command::Advance { ms: a.ms })
            }
            other => Err(format!(
                "unknown control method {other:?} (info, clock, fund, channel, advance, reset)"
            )),
        };
        (id, command)
    }

    /// The request frame for this command.
    pub fn to_frame(&self, id: u64) -> String {
        let (method, params) = match self {
            Command::Info => ("info", Value::Null),
            Command::Clock => ("clock", Value::Null),
            Command::Reset => ("reset", Value::Null),
            Command::Fund {
                wallet,
                asset,
                amount,
            } => (
                "fund",
                json!({"wallet": wallet, "asset": asset, "amount": amount}),
            ),
            Command::Channel {
                wallet,
                status,
                amount,
            } => (
                "channel",
                json!({"wallet": wallet, "status": status.as_str(), "amount": amount}),
            ),
            Command::Advance { ms } => ("advance", json!({ "ms": ms })),
        };
        json!({"id": id, "method": method, "params": params}).to_string()
    }
}

/// Runs one command on the broker.
fn execute(control: &Control, command: Command) -> Value {
    let clock = |c: &Control| serde_json::to_value(c.clock()).expect("plain struct");
    match command {
        Command::Info => serde_json::to_value(control.info()).expect("plain struct"),
        Command::Clock => clock(control),
        Command::Fund {
            wallet,
            asset,
            amount,
        } => {
            let amount = parse_decimal(&amount).expect("checked when parsed");
            control.fund(&wallet, &asset, &amount);
            json!({})
        }
        Command::Channel {
            wallet,
            status,
            amount,
        } => {
            control.give_channel(&wallet, status, &amount);
            json!({})
        }
        Command::Advance { ms } => {
            control.advance(ms);
            clock(control)
        }
        Command::Reset => {
            control.reset();
            clock(control)
        }
    }
}

/// The reply frame to one request frame.
pub(super) fn answer(control: &Control, text: &str) -> String {
    let (id, command) = Command::parse(text);
    match command {
        Ok(command) => json!({"id": id, "result": execute(control, command)}),
        Err(why) => json!({"id": id, "error": why}),
    }
    .to_string()
}

/// Serves one upgraded control connection.
pub(super) async fn serve(socket: WebSocketStream<tokio::net::TcpStream>, control: Control) {
    let (mut sink, mut source) = socket.split();
    while let Some(Ok(message)) = source.next().await {
        let reply = match message {
            Message::Text(text) => answer(&control, &text),
            Message::Binary(_) => {
                json!({"id": null, "error": "control requests are JSON text frames"}).to_string()
            }
            Message::Close(_) => break,
            _ => continue,
        };
        if sink.send(Message::text(reply)).await.is_err() {
            break;
        }
    }
    let _ = sink.close().await;
}

/// The control interface of a broker in another process (or on another runtime), reached at
/// its `ws://127.0.0.1:PORT/control` URL. Each call is one short loopback connection, so the
/// handle is cheap to clone and never holds a socket between cases.
#[derive(Clone, Debug)]
pub struct RemoteControl {
    url: String,
    addr: SocketAddr,
    /// The broker's clock offset as last reported: its clock is the machine's plus this.
    offset_ms: Arc<AtomicU64>,
}

impl RemoteControl {
    /// Checks the URL (a loopback `ws://` URL) and asks the broker for its `info`.
    pub async fn connect(url: &str) -> Result<(RemoteControl, ControlInfo), String> {
        let addr = loopback_addr(url)?;
        let control = RemoteControl {
            url: url.to_string(),
            addr,
            offset_ms: Arc::new(AtomicU64::new(0)),
        };
        let info: ControlInfo = control.call_async(Command::Info).await?;
        control
            .offset_ms
            .store(info.clock.offset_ms, Ordering::SeqCst);
        Ok((control, info))
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The broker's clock: the machine's (the broker runs on this machine: loopback) plus the
    /// offset it reported last.
    pub fn now_ms(&self) -> u64 {
        crate::client::now_ms() + self.offset_ms.load(Ordering::SeqCst)
    }

    pub async fn fund(&self, wallet: &str, asset: &str, amount: &str) -> Result<(), String> {
        let _: Value = self
            .call_async(Command::Fund {
                wallet: wallet.into(),
                asset: asset.into(),
                amount: amount.into(),
            })
            .await?;
        Ok(())
    }

    pub async fn channel(
        &self,
        wallet: &str,
        status: ChannelStatus,
        amount: &str,
    ) -> Result<(), String> {
        let _: Value = self
            .call_async(Command::Channel {
                wallet: wallet.into(),
                status,
                amount: amount.into(),
            })
            .await?;
        Ok(())
    }

    pub async fn reset(&self) -> Result<(), String> {
        let clock: ClockState = self.call_async(Command::Reset).await?;
        self.offset_ms.store(clock.offset_ms, Ordering::SeqCst);
        Ok(())
    }

    /// Moves the broker's clock forward and waits until it has moved. Blocking, because the
    /// runner moves the clock between two steps of a case, synchronously; on a multi-threaded
    /// runtime the worker is handed over meanwhile.
    pub fn advance(&self, ms: u64) -> Result<(), String> {
        let call = || self.call::<ClockState>(&Command::Advance { ms });
        let in_multi_thread = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        let clock = if in_multi_thread {
            tokio::task::block_in_place(call)?
        } else {
            call()?
        };
        self.offset_ms.store(clock.offset_ms, Ordering::SeqCst);
        Ok(())
    }

    async fn call_async<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        command: Command,
    ) -> Result<T, String> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.call(&command))
            .await
            .map_err(|e| format!("control call failed: {e}"))?
    }

    /// One request on a fresh blocking connection, every read and write under a timeout.
    fn call<T: serde::de::DeserializeOwned>(&self, command: &Command) -> Result<T, String> {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            format!("control interface {}: {what}: {e}", self.url)
        };
        let stream = TcpStream::connect_timeout(&self.addr, CONTROL_TIMEOUT)
            .map_err(|e| fail("connect", &e))?;
        stream
            .set_read_timeout(Some(CONTROL_TIMEOUT))
            .and_then(|_| stream.set_write_timeout(Some(CONTROL_TIMEOUT)))
            .map_err(|e| fail("socket", &e))?;
        let config = tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(MAX_CONTROL_FRAME_BYTES))
            .max_frame_size(Some(MAX_CONTROL_FRAME_BYTES));
        let (mut socket, _) =
            tungstenite::client::client_with_config(self.url.as_str(), stream, Some(config))
                .map_err(|e| fail("upgrade", &e))?;
        socket
            .send(Message::text(command.to_frame(1)))
            .map_err(|e| fail("send", &e))?;
        let reply = loop {
            match socket.read().map_err(|e| fail("read", &e))? {
                Message::Text(text) => break text.to_string(),
                Message::Close(_) => return Err(fail("read", &"closed without a reply")),
                _ => continue,
            }
        };
        let _ = socket.close(None);
        let _ = socket.flush();
        let mut reply: Value = serde_json::from_str(&reply).map_err(|e| fail("reply", &e))?;
        if let Some(error) = reply.get("error").and_then(Value::as_str) {
            return Err(fail("refused", &error));
        }
        serde_json::from_value(reply["result"].take()).map_err(|e| fail("reply", &e))
    }
}

/// The socket address of a loopback `ws://` URL; anything else is refused (the control
/// interface is a loopback test hook, never a remote one).
pub fn loopback_addr(url: &str) -> Result<SocketAddr, String> {
    let bad = |why: &str| format!("control URL {url:?}: {why} (want ws://127.0.0.1:PORT/control)");
    let rest = url
        .strip_prefix("ws://")
        .ok_or_else(|| bad("not a ws:// URL"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    let authority = authority.replace("localhost:", "127.0.0.1:");
    let addr: SocketAddr = authority
        .parse()
        .map_err(|_| bad("no host:port (use an IP address)"))?;
    if !addr.ip().is_loopback() {
        return Err(bad("not a loopback address"));
    }
    Ok(addr)
}

/// The harness's handle on a broker it may prepare: in-process ([`Control`]) or over the
/// control interface ([`RemoteControl`]). One set of hooks: funding, channels, the clock.
#[derive(Clone)]
pub enum BrokerControl {
    InProcess(Control),
    Remote(RemoteControl),
}

impl BrokerControl {
    pub fn now_ms(&self) -> u64 {
        match self {
            BrokerControl::InProcess(c) => c.now_ms(),
            BrokerControl::Remote(r) => r.now_ms(),
        }
    }

    pub fn advance(&self, ms: u64) -> Result<(), String> {
        match self {
            BrokerControl::InProcess(c) => {
                c.advance(ms);
                Ok(())
            }
            BrokerControl::Remote(r) => r.advance(ms),
        }
    }

    pub async fn fund(&self, wallet: &str, asset: &str, amount: &str) -> Result<(), String> {
        match self {
            BrokerControl::InProcess(c) => {
                let value = parse_decimal(amount).map_err(|e| format!("amount {amount}: {e:?}"))?;
                c.fund(wallet, asset, &value);
                Ok(())
            }
            BrokerControl::Remote(r) => r.fund(wallet, asset, amount).await,
        }
    }

    pub async fn channel(
        &self,
        wallet: &str,
        status: ChannelStatus,
        amount: &str,
    ) -> Result<(), String> {
        parse_decimal(amount).map_err(|e| format!("amount {amount}: {e:?}"))?;
        match self {
            BrokerControl::InProcess(c) => {
                c.give_channel(wallet, status, amount);
                Ok(())
            }
            BrokerControl::Remote(r) => r.channel(wallet, status, amount).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_round_trip_through_frames() {
        let commands = [
            Command::Info,
            Command::Clock,
            Command::Reset,
            Command::Fund {
                wallet: "0xAb".into(),
                asset: "usdc".into(),
                amount: "1.5".into(),
            },
            Command::Channel {
                wallet: "0xAb".into(),
                status: ChannelStatus::Challenged,
                amount: "0".into(),
            },
            Command::Advance { ms: 960_000 },
        ];
        for c in commands {
            let (id, parsed) = Command::parse(&c.to_frame(7));
            assert_eq!(id, json!(7));
            assert_eq!(parsed, Ok(c));
        }
    }

    #[test]
    fn bad_requests_are_answered_not_executed() {
        for (frame, want) in [
            ("nope", "not a control request"),
            (r#"{"id":3,"method":"nope"}"#, "unknown control method"),
            (
                r#"{"id":3,"method":"fund","params":{"wallet":"0x1"}}"#,
                "fund: bad params",
            ),
            (
                r#"{"method":"fund","params":{"wallet":"0x1","asset":"usdc","amount":"x"}}"#,
                "is not a decimal",
            ),
            (
                r#"{"method":"channel","params":{"wallet":"0x1","status":"closed","amount":"1"}}"#,
                "unknown status",
            ),
            (
                r#"{"method":"advance","params":{"ms":-1}}"#,
                "advance: bad params",
            ),
        ] {
            let (_, parsed) = Command::parse(frame);
            assert!(parsed.unwrap_err().contains(want), "{frame}");
        }
    }

    #[test]
    fn control_urls_are_loopback_only() {
        assert_eq!(
            loopback_addr("ws://127.0.0.1:8000/control"),
            Ok("127.0.0.1:8000".parse().unwrap())
        );
        assert!(loopback_addr("ws://localhost:8000/control").is_ok());
        assert!(loopback_addr("ws://[::1]:8000/control").is_ok());
        for url in [
            "ws://10.0.0.1:8000/control",
            "wss://127.0.0.1:8000/control",
            "http://127.0.0.1:8000/control",
            "ws://example.com:8000/control",
        ] {
            assert!(loopback_addr(url).is_err(), "{url}");
        }
    }
}

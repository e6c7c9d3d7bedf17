//! `nitrocert probe --destructive`: the findings of the digests that crash or lock up a broker
//! (FUZZ-1, FUZZ-2, FUZZ-3), confirmed against a local instance and followed by its restart.
//! They never run by accident: the flag is required and only loopback endpoints are accepted.

use super::{CliError, EXIT_OK};
use crate::client::{now_ms, ClientError, Connection, Limits};
use crate::crypto::identity::{derive, Role};
use crate::wire::{encode_req, encode_signed};
use clap::Args;
use serde_json::json;
use std::io::Write;
use std::time::Duration;

#[derive(Args, Debug)]
#[command(
    about = "Run the destructive probes (broker crashes, login lock-out) against a local broker",
    long_about = "Sends the inputs that the spec digests say crash or lock up a Clearnode v0.5.2 \
broker (FUZZ-1: a frame with \"req\":null and a type error; FUZZ-2: auth_verify with a \
signature shorter than 65 bytes; FUZZ-3: more than 1000 pending challenges), reports for each \
whether the broker survived, and runs --restart-cmd after each probe that took it down.\n\n\
Refuses to run without --destructive, and against anything but a loopback endpoint.",
    after_help = "Example:\n  nitrocert probe --destructive --endpoint ws://127.0.0.1:8000/ws \\\n    \
--restart-cmd adapters/clearnode/restart.sh"
)]
pub struct ProbeArgs {
    /// Required: these probes crash or lock up the broker.
    #[arg(long)]
    pub destructive: bool,
    #[arg(long)]
    pub endpoint: String,
    /// Command that brings the broker back after a probe.
    #[arg(long, value_name = "COMMAND")]
    pub restart_cmd: Option<String>,
    /// Also run FUZZ-3 (1001 auth_requests: locks out every login until a restart).
    #[arg(long)]
    pub exhaust_challenges: bool,
}

fn is_loopback(url: &str) -> bool {
    let host = url
        .trim_start_matches("ws://")
        .trim_start_matches("wss://")
        .split('/')
        .next()
        .unwrap_or("");
    ["127.0.0.1:", "localhost:", "[::1]:"]
        .iter()
        .any(|h| host.starts_with(h))
        || ["127.0.0.1", "localhost", "[::1]"].contains(&host)
}

/// Whether the broker answers a `ping` on a new connection within a few seconds.
async fn alive(url: &str) -> bool {
    let limits = Limits {
        connect_timeout_ms: 2_000,
        reply_timeout_ms: 2_000,
        ..Limits::default()
    };
    let Ok(mut conn) = Connection::connect(url, limits).await else {
        return false;
    };
    let ok = conn.sync().await.is_ok();
    conn.close().await;
    ok
}

/// Sends `frames` on one connection and waits for the reply to the last, or for the end.
async fn send(url: &str, frames: &[String]) -> Result<String, ClientError> {
    let mut conn = Connection::connect(url, Limits::default()).await?;
    let mut last = String::new();
    for f in frames {
        last = conn.exchange(f).await?.reply.text;
    }
    conn.close().await;
    Ok(last)
}

async fn auth_request(conn: &mut Connection, index: u32) -> Result<String, ClientError> {
    let wallet = derive(0xDEAD, Role::Wallet, index);
    let params = json!({
        "address": wallet.address(),
        "session_key": derive(0xDEAD, Role::SessionKey, index).address(),
        "application": "clearnode",
        "allowances": [],
        "expires_at": now_ms() / 1000 + 3600,
        "scope": "probe",
    });
    let id = conn.next_id();
    let x = conn
        .exchange(&encode_signed(
            &encode_req(id, "auth_request", &params, now_ms()),
            &[],
        ))
        .await?;
    Ok(x.reply.frame.params["challenge_message"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| x.reply.frame.error_message().unwrap_or("").to_string()))
}

pub fn probe(args: &ProbeArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    if !args.destructive {
        return Err(CliError::Input(
            "these probes crash or lock up the broker: pass --destructive to run them".into(),
        ));
    }
    if !is_loopback(&args.endpoint) {
        return Err(CliError::Input(format!(
            "{} is not a loopback endpoint: destructive probes run only against a local instance",
            args.endpoint
        )));
    }
    let url = args.endpoint.clone();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let restart = || async {
            if let Some(cmd) = &args.restart_cmd {
                if let Err(e) = crate::runner::target::run_command(cmd).await {
                    eprintln!("nitrocert: warning: restart failed: {e}");
                }
            }
        };
        if !alive(&url).await {
            return Err(CliError::Input(format!(
                "{url} does not answer a ping before the probes"
            )));
        }
        // FUZZ-1: "req":null then a recorded type error: a nil dereference in the reader.
        let sent = send(&url, &[r#"{"req":null,"sig":0}"#.to_string()]).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let survived = alive(&url).await;
        writeln!(
            out,
            "FUZZ-1\t{}\tsent {{\"req\":null,\"sig\":0}}: {}",
            if survived { "survived" } else { "crashed" },
            match &sent {
                Ok(reply) => format!("reply {reply}"),
                Err(e) => format!("no reply ({e})"),
            }
        )?;
        if !survived {
            restart().await;
        }
        // FUZZ-2: auth_verify whose sig[0] is one byte long, for a live challenge.
        let mut conn = Connection::connect(&url, Limits::default())
            .await
            .map_err(|e| CliError::Input(e.to_string()))?;
        let challenge = auth_request(&mut conn, 0)
            .await
            .map_err(|e| CliError::Input(e.to_string()))?;
        let id = conn.next_id();
        let verify = encode_signed(
            &encode_req(
                id,
                "auth_verify",
                &json!({ "challenge": challenge }),
                now_ms(),
            ),
            &["0x00".to_string()],
        );
        let sent = conn.exchange(&verify).await;
        conn.close().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let survived = alive(&url).await;
        writeln!(
            out,
            "FUZZ-2\t{}\tauth_verify with sig [\"0x00\"]: {}",
            if survived { "survived" } else { "crashed" },
            match &sent {
                Ok(x) => format!("reply {}", x.reply.text),
                Err(e) => format!("no reply ({e})"),
            }
        )?;
        if !survived {
            restart().await;
        }
        if args.exhaust_challenges {
            // FUZZ-3: the 1001st pending challenge is refused, for everyone.
            let mut conn = Connection::connect(&url, Limits::default())
                .await
                .map_err(|e| CliError::Input(e.to_string()))?;
            let mut refused_at = None;
            for i in 0..1_001u32 {
                let answer = auth_request(&mut conn, i + 1)
                    .await
                    .map_err(|e| CliError::Input(e.to_string()))?;
                if answer == "failed to generate challenge" {
                    refused_at = Some(i + 1);
                    break;
                }
            }
            conn.close().await;
            writeln!(
                out,
                "FUZZ-3\t{}\t{}",
                if refused_at.is_some() {
                    "locked-out"
                } else {
                    "not-observed"
                },
                match refused_at {
                    Some(n) =>
                        format!("auth_request number {n} got `failed to generate challenge`"),
                    None => "1001 auth_requests all got a challenge".into(),
                }
            )?;
            restart().await;
        }
        Ok(EXIT_OK)
    })
}

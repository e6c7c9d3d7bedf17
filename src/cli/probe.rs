//! `nitrocert probe --destructive`: the findings of the digests that crash, lock up or break a
//! broker (FUZZ-1, FUZZ-2, FUZZ-3, FUZZ-4, FUZZ-6, FUZZ-8), confirmed against a local
//! instance, which is restarted after each probe that took it down. They never run by
//! accident: the flag is required and only loopback endpoints are accepted. Each probe ends in
//! a verdict (survived, vulnerable, crashed, …) with a transcript; `--out DIR` writes them as
//! `probes.json` (for `nitrocert report quirks --probes`) and `probes.md`.

mod fuzz4;
mod fuzz6;
mod fuzz8;
mod kit;
pub(super) mod record;

use super::{CliError, EXIT_OK};
use crate::client::{now_ms, ClientError, Connection, Limits};
use crate::crypto::identity::{derive, Role};
use crate::wire::{encode_req, encode_signed};
use clap::Args;
use kit::alive;
use record::{ProbeResult, ProbeRun, Transcript, Verdict};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// The probes, in the order they run (FUZZ-3 only with --exhaust-challenges).
const ALL: &[&str] = &["FUZZ-1", "FUZZ-2", "FUZZ-3", "FUZZ-4", "FUZZ-6", "FUZZ-8"];

#[derive(Args, Debug)]
#[command(
    about = "Run the destructive probes (crashes, lock-outs, hijacks, injection, stalls) against a local broker",
    long_about = "Sends the inputs that the spec digests say crash, lock up or break a Clearnode \
v0.5.2 broker, reports for each whether the broker survived, and runs --restart-cmd after each \
probe that took it down:\n\
FUZZ-1: a frame with \"req\":null and a type error;\n\
FUZZ-2: auth_verify with a signature shorter than 65 bytes;\n\
FUZZ-3: more than 1000 pending challenges (only with --exhaust-challenges);\n\
FUZZ-4: a wallet registers another wallet's address as its session key, whose signature then \
closes the first wallet's session;\n\
FUZZ-6: SQL in the `sort` list option of get_app_sessions (read-only: 1/0, an unknown column, \
pg_sleep(1));\n\
FUZZ-8: a 100 MiB frame, and a slow reader stalling the broker for other clients (their \
latency measured meanwhile).\n\n\
Refuses to run without --destructive, and against anything but a loopback endpoint.",
    after_help = "Examples:\n  nitrocert probe --destructive --endpoint ws://127.0.0.1:8000/ws \\\n    \
--restart-cmd adapters/clearnode/restart.sh --out reports/clearnode-v0.5.2/probes\n  \
nitrocert probe --destructive --endpoint ws://127.0.0.1:8000/ws --only FUZZ-6"
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
    /// Run only these probes (FUZZ-1, FUZZ-2, FUZZ-3, FUZZ-4, FUZZ-6, FUZZ-8).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub only: Vec<String>,
    /// Seed of the probes' fresh wallets (default: the clock, so that reruns against a broker
    /// that keeps its database use new wallets).
    #[arg(long)]
    pub seed: Option<u64>,
    /// A file holding the broker's process id: FUZZ-8 then reports its memory (Linux /proc).
    #[arg(long, value_name = "FILE")]
    pub pid_file: Option<PathBuf>,
    /// Write probes.json and probes.md (verdicts and transcripts) into this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
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

/// Sends `frames` on one connection and waits for the reply to the last, or for the end.
async fn send(url: &str, frames: &[String], t: &mut Transcript) -> Result<String, ClientError> {
    let mut conn = Connection::connect(url, Limits::default()).await?;
    let mut last = String::new();
    for f in frames {
        let x = conn.exchange(f).await.inspect_err(|e| {
            t.sent("P", f);
            t.note(format!("P: {e}"));
        })?;
        t.exchange("P", &x);
        last = x.reply.text;
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

fn crash_verdict(survived: bool) -> Verdict {
    if survived {
        Verdict::Survived
    } else {
        Verdict::Crashed
    }
}

/// FUZZ-1: "req":null then a recorded type error: a nil dereference in the reader.
async fn fuzz1(url: &str) -> ProbeResult {
    let mut t = Transcript::default();
    let frame = r#"{"req":null,"sig":0}"#.to_string();
    let sent = send(url, std::slice::from_ref(&frame), &mut t).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let survived = alive(url).await;
    let summary = format!(
        "sent {{\"req\":null,\"sig\":0}}: {}",
        match &sent {
            Ok(reply) => format!("reply {reply}"),
            Err(e) => format!("no reply ({e})"),
        }
    );
    ProbeResult::new("FUZZ-1", None, crash_verdict(survived), summary).with(t)
}

/// FUZZ-2: auth_verify whose sig[0] is one byte long, for a live challenge.
async fn fuzz2(url: &str) -> Result<ProbeResult, CliError> {
    let mut t = Transcript::default();
    let mut conn = Connection::connect(url, Limits::default())
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
    t.sent("P", &verify);
    let sent = conn.exchange(&verify).await;
    conn.close().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let survived = alive(url).await;
    let summary = format!(
        "auth_verify with sig [\"0x00\"]: {}",
        match &sent {
            Ok(x) => {
                t.received("P", &x.reply.text);
                format!("reply {}", x.reply.text)
            }
            Err(e) => format!("no reply ({e})"),
        }
    );
    Ok(ProbeResult::new("FUZZ-2", None, crash_verdict(survived), summary).with(t))
}

/// FUZZ-3: the 1001st pending challenge is refused, for everyone.
async fn fuzz3(url: &str) -> Result<ProbeResult, CliError> {
    let mut conn = Connection::connect(url, Limits::default())
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
    let (verdict, summary) = match refused_at {
        Some(n) => (
            Verdict::LockedOut,
            format!("auth_request number {n} got `failed to generate challenge`"),
        ),
        None => (
            Verdict::NotObserved,
            "1001 auth_requests all got a challenge".to_string(),
        ),
    };
    Ok(ProbeResult::new("FUZZ-3", None, verdict, summary))
}

/// Whether a probe may have left the broker down or locked (then it is restarted).
fn needs_restart(r: &ProbeResult) -> bool {
    matches!(
        r.verdict,
        Verdict::Crashed | Verdict::Hung | Verdict::LockedOut | Verdict::Stalled
    )
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
    if let Some(bad) = args.only.iter().find(|id| !ALL.contains(&id.as_str())) {
        return Err(CliError::Input(format!(
            "--only {bad}: the probes are {}",
            ALL.join(", ")
        )));
    }
    let selected: Vec<&str> = ALL
        .iter()
        .copied()
        .filter(|id| match args.only.is_empty() {
            true => *id != "FUZZ-3" || args.exhaust_challenges,
            false => args.only.iter().any(|o| o == id),
        })
        .collect();
    let seed = args.seed.unwrap_or_else(|| now_ms() / 1000);
    let started_at = crate::model::clock::rfc3339(now_ms());
    let url = args.endpoint.clone();
    let runtime = tokio::runtime::Runtime::new()?;
    let probes = runtime.block_on(async {
        if !alive(&url).await {
            return Err(CliError::Input(format!(
                "{url} does not answer a ping before the probes"
            )));
        }
        let mut results = Vec::new();
        for id in selected {
            for result in run_one(id, &url, seed, args).await? {
                writeln!(
                    out,
                    "{}\t{}\t{}",
                    result.label(),
                    result.verdict.name(),
                    result.summary
                )?;
                let down = needs_restart(&result) || (id == "FUZZ-3") || !alive(&url).await;
                results.push(result);
                if down {
                    restart(args).await;
                }
            }
        }
        Ok(results)
    })?;
    if let Some(dir) = &args.out {
        let run = ProbeRun {
            format: record::FORMAT.into(),
            generator: crate::vectors::fill::generator(),
            endpoint: url,
            started_at,
            seed,
            probes,
        };
        write_run(&run, dir)?;
    }
    Ok(EXIT_OK)
}

async fn run_one(
    id: &str,
    url: &str,
    seed: u64,
    args: &ProbeArgs,
) -> Result<Vec<ProbeResult>, CliError> {
    Ok(match id {
        "FUZZ-1" => vec![fuzz1(url).await],
        "FUZZ-2" => vec![fuzz2(url).await?],
        "FUZZ-3" => vec![fuzz3(url).await?],
        "FUZZ-4" => vec![fuzz4::run(url, seed).await],
        "FUZZ-6" => vec![fuzz6::run(url, seed).await],
        _ => {
            let pid = args
                .pid_file
                .as_ref()
                .and_then(|p| std::fs::read_to_string(p).ok())
                .and_then(|t| t.trim().parse().ok());
            let huge = fuzz8::huge_frame(url, pid).await;
            if needs_restart(&huge) || !alive(url).await {
                restart(args).await;
            }
            vec![huge, fuzz8::slow_reader(url, seed).await]
        }
    })
}

async fn restart(args: &ProbeArgs) {
    if let Some(cmd) = &args.restart_cmd {
        if let Err(e) = crate::runner::target::run_command(cmd).await {
            eprintln!("nitrocert: warning: restart failed: {e}");
        }
    }
}

fn write_run(run: &ProbeRun, dir: &std::path::Path) -> Result<(), CliError> {
    let cannot = |e: std::io::Error| CliError::Input(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(cannot)?;
    let json = serde_json::to_string_pretty(run).expect("probe results serialize");
    std::fs::write(dir.join("probes.json"), json + "\n").map_err(cannot)?;
    std::fs::write(dir.join("probes.md"), record::markdown(run)).map_err(cannot)?;
    Ok(())
}

//! The embedded broker over a real socket: first frame, ping, the auth handshake, a signed
//! app-session request, notifications and broker signatures (TRANS-6, API-1, AUTH-4 to AUTH-8, RSIG-4);
//! the test-control interface; and the probes of FUZZ-3, FUZZ-6 and FUZZ-8 that Clearnode fails,
//! which the embedded broker survives while it keeps answering others.

use nitrocert::broker::{self, Options, RemoteControl};
use nitrocert::cli::serve::{build_engine, parse_funding};
use nitrocert::client::{now_ms, AuthRequest, ClientError, Connection, Limits};
use nitrocert::crypto::identity::{derive, Role};
use nitrocert::crypto::SecretKey;
use nitrocert::model::Profile;
use nitrocert::wire::{encode_req, encode_signed, sign_req};
use serde_json::json;
use std::time::{Duration, Instant};

async fn start(fund: &[String]) -> broker::BrokerHandle {
    start_with(Profile::Clearnode052, fund, Options::default()).await
}

async fn start_with(profile: Profile, fund: &[String], options: Options) -> broker::BrokerHandle {
    let funding: Vec<_> = fund.iter().map(|f| parse_funding(f).unwrap()).collect();
    let engine = build_engine(
        profile,
        &["usdc".to_string()],
        &funding,
        derive(9, Role::Broker, 0),
        9,
    );
    broker::spawn_with(engine, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap()
}

/// A login with a fresh session key of its own (a key serves one wallet, AUTH-7 step 10).
fn auth_request() -> AuthRequest {
    AuthRequest {
        session_key: {
            static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(100);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            derive(9, Role::SessionKey, n).address()
        },
        application: "clearnode".into(),
        scope: "console".into(),
        expires_at: now_ms() / 1000 + 3600,
        allowances: vec![],
    }
}

async fn connect(url: &str) -> Connection {
    Connection::connect(url, Limits::default()).await.unwrap()
}

/// A connection authenticated as `wallet`, its post-auth pushes drained.
async fn logged_in(url: &str, wallet: &SecretKey) -> Connection {
    let mut conn = connect(url).await;
    let auth = conn
        .authenticate(wallet, &auth_request(), now_ms())
        .await
        .unwrap();
    assert_eq!(auth.error, None);
    conn.sync().await.unwrap();
    conn
}

async fn ping(conn: &mut Connection) -> Result<Duration, ClientError> {
    let started = Instant::now();
    let id = conn.next_id();
    let x = conn
        .exchange(&encode_signed(
            &encode_req(id, "ping", &json!({}), now_ms()),
            &[],
        ))
        .await?;
    assert_eq!(x.reply.frame.method, "pong");
    Ok(started.elapsed())
}

/// Polls `done` every 50 ms for at most `limit` (a liveness bound, not a timing assert).
async fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

#[tokio::test]
async fn trans_6_assets_first_then_ping_and_signed_replies() {
    let broker = start(&[]).await;
    let mut conn = Connection::connect(&broker.url(), Limits::default())
        .await
        .unwrap();
    let first = conn
        .read(std::time::Instant::now() + std::time::Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(first.frame.method, "assets");
    assert!(first.frame.is_notification());
    let ping = encode_signed(&encode_req(1, "ping", &json!({}), now_ms()), &[]);
    let reply = conn.exchange(&ping).await.unwrap().reply;
    assert_eq!((reply.frame.id, reply.frame.method.as_str()), (1, "pong"));
    assert_eq!(reply.frame.params, serde_json::Value::Null);
    // WIRE-2, RSIG-1, RSIG-2: a `res` frame with one signature, by the key `get_config` names.
    assert_eq!(
        reply.frame.signers()[0].as_ref().unwrap(),
        &broker.broker_address
    );
    // An envelope error answers with the broker's clock as id (WIRE-8, Q-32), as a normal
    // signed response (WIRE-16).
    let bad = conn.exchange("{}").await.unwrap().reply;
    assert_eq!(bad.frame.error_message(), Some("message validation failed"));
    assert!(bad.frame.id > 1_000_000_000_000);
    conn.close().await;
    broker.stop().await;
}

#[tokio::test]
async fn auth_then_create_app_session_over_the_socket() {
    let alice = derive(9, Role::Wallet, 0);
    let bob = derive(9, Role::Wallet, 1);
    let broker = start(&[format!("{}:usdc:1000", alice.address())]).await;
    let mut conn = Connection::connect(&broker.url(), Limits::default())
        .await
        .unwrap();
    let session_key = derive(9, Role::SessionKey, 0);
    let auth = conn
        .authenticate(
            &alice,
            &AuthRequest {
                session_key: session_key.address(),
                application: "clearnode".into(),
                scope: "console".into(),
                expires_at: now_ms() / 1000 + 3600,
                allowances: vec![],
            },
            now_ms(),
        )
        .await
        .unwrap();
    assert_eq!(auth.error, None, "{:?}", auth.verify.reply.text);
    assert!(auth.jwt.is_some());
    let pushed = conn.drain(300).await.unwrap();
    let methods: Vec<_> = pushed.iter().map(|r| r.frame.method.as_str()).collect();
    // AUTH-2: the connection is now A's; NOTIF-9 / TRANS-7: frames of a connection in order.
    assert_eq!(methods, vec!["channels", "bu"]);

    let params = json!({
        "definition": {
            "application": "clearnode",
            "protocol": "NitroRPC/0.4",
            "participants": [alice.address(), bob.address()],
            "weights": [100, 0],
            "quorum": 100,
            "challenge": 0,
            "nonce": 1
        },
        "allocations": [
            {"participant": alice.address(), "asset": "usdc", "amount": "100"},
            {"participant": bob.address(), "asset": "usdc", "amount": "0"}
        ]
    });
    let id = conn.next_id();
    let req = encode_req(id, "create_app_session", &params, now_ms());
    // Signed by Alice's session key: mapped to Alice (SK-6).
    let frame = encode_signed(&req, &sign_req(&req, &[session_key]));
    let exchange = conn.exchange(&frame).await.unwrap();
    let result = &exchange.reply.frame.params;
    assert_eq!(
        exchange.reply.frame.method, "create_app_session",
        "{}",
        exchange.reply.text
    );
    assert_eq!(result["version"], 1);
    assert_eq!(result["status"], "open");
    let bu: Vec<_> = exchange
        .notifications
        .iter()
        .filter(|n| n.frame.method == "bu")
        .collect();
    assert!(!bu.is_empty());
    assert_eq!(
        bu.last().unwrap().frame.params["balance_updates"][0]["amount"],
        "900"
    );
    conn.close().await;
    broker.stop().await;
}

#[tokio::test]
async fn other_paths_are_refused() {
    // TRANS-1: the WebSocket is served at `/ws` only.
    let broker = start(&[]).await;
    let url = broker.url().replace("/ws", "/other");
    assert!(Connection::connect(&url, Limits::default()).await.is_err());
    broker.stop().await;
}

// ----- the test-control interface ------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_funds_gives_channels_moves_the_clock_and_resets() {
    let broker = start_with(Profile::Spec, &[], Options { control: true }).await;
    let (control, info) = RemoteControl::connect(&broker.control_url()).await.unwrap();
    assert_eq!(info.profile, "spec");
    assert_eq!(info.broker_address, broker.broker_address);
    assert_eq!(info.clock.offset_ms, 0);

    let alice = derive(9, Role::Wallet, 0);
    control.fund(&alice.address(), "usdc", "250").await.unwrap();
    let mut conn = connect(&broker.url()).await;
    conn.authenticate(&alice, &auth_request(), now_ms())
        .await
        .unwrap();
    // The channel comes with the post-auth `channels` push (NOTIF-3).
    let channel_owner = derive(9, Role::Wallet, 1);
    control
        .channel(
            &channel_owner.address(),
            nitrocert::model::ChannelStatus::Open,
            "5",
        )
        .await
        .unwrap();
    let id = conn.next_id();
    let balances = conn
        .exchange(&encode_signed(
            &encode_req(id, "get_ledger_balances", &json!({}), now_ms()),
            &[],
        ))
        .await
        .unwrap();
    assert_eq!(
        balances.reply.frame.params,
        json!({"ledger_balances": [{"asset": "usdc", "amount": "250"}]})
    );
    let mut owner = connect(&broker.url()).await;
    owner
        .authenticate(&channel_owner, &auth_request(), now_ms())
        .await
        .unwrap();
    let pushed = owner.drain(300).await.unwrap();
    assert_eq!(pushed[0].frame.method, "channels");
    assert_eq!(pushed[0].frame.params["channels"][0]["amount"], "5");

    // The clock: the broker and the handle agree on it, exactly.
    control.advance(16 * 60_000).unwrap();
    assert_eq!(broker.control().clock().offset_ms, 16 * 60_000);
    let ahead = control.now_ms().abs_diff(broker.control().now_ms());
    assert!(ahead < 1_000, "{ahead}");

    // Reset: every NitroRPC connection closed, the books and the clock as at start.
    control.reset().await.unwrap();
    assert!(
        eventually(Duration::from_secs(5), || broker.control().connections()
            == 0)
        .await
    );
    assert!(matches!(
        ping(&mut conn).await,
        Err(ClientError::Closed | ClientError::Transport(_))
    ));
    assert_eq!(broker.control().clock().offset_ms, 0);
    let mut again = logged_in(&broker.url(), &alice).await;
    let id = again.next_id();
    let balances = again
        .exchange(&encode_signed(
            &encode_req(id, "get_ledger_balances", &json!({}), now_ms()),
            &[],
        ))
        .await
        .unwrap();
    assert_eq!(balances.reply.frame.params, json!({"ledger_balances": []}));
    broker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_is_off_by_default_and_refuses_browsers() {
    let off = start(&[]).await;
    let refused = RemoteControl::connect(&off.control_url())
        .await
        .unwrap_err();
    assert!(refused.contains("upgrade"), "{refused}");
    off.stop().await;

    let on = start_with(Profile::Clearnode052, &[], Options { control: true }).await;
    // A web page on this machine would send an Origin header: refused with 403.
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = on.control_url().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Origin", "http://evil.example".parse().unwrap());
    let err = tokio_tungstenite::connect_async(request).await.unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
    // Bad requests are answered, not executed, and the interface keeps serving.
    let (control, _) = RemoteControl::connect(&on.control_url()).await.unwrap();
    let bad = control
        .channel("0x1", nitrocert::model::ChannelStatus::Closed, "1")
        .await
        .unwrap_err();
    assert!(bad.contains("unknown status"), "{bad}");
    control.advance(1).unwrap();
    on.stop().await;
}

// ----- hardening: FUZZ-8, FUZZ-3, FUZZ-6 -------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trans_5_a_frame_over_the_limit_drops_only_its_sender() {
    let broker = start(&[]).await;
    let mut other = connect(&broker.url()).await;
    ping(&mut other).await.unwrap();
    let big = Limits {
        max_frame_bytes: 8 << 20,
        ..Limits::default()
    };
    // Just under the limit: an ordinary frame, answered (an unknown method).
    let mut near = Connection::connect(&broker.url(), big.clone())
        .await
        .unwrap();
    let name = "m".repeat(broker::MAX_FRAME_BYTES - 100);
    let x = near
        .exchange(&format!("{{\"req\":[1,\"{name}\",{{}},1],\"sig\":[]}}"))
        .await
        .unwrap();
    assert!(x
        .reply
        .frame
        .error_message()
        .unwrap()
        .starts_with("unknown method: mmm"));
    // Over it: that connection is closed, nobody else notices.
    let mut huge = Connection::connect(&broker.url(), big).await.unwrap();
    let huge_frame = format!(
        "{{\"req\":[1,\"{}\",{{}},1],\"sig\":[]}}",
        "m".repeat(broker::MAX_FRAME_BYTES + 1)
    );
    let result = huge.exchange(&huge_frame).await;
    assert!(
        matches!(result, Err(ClientError::Closed | ClientError::Transport(_))),
        "{result:?}"
    );
    ping(&mut other).await.unwrap();
    ping(&mut connect(&broker.url()).await).await.unwrap();
    broker.stop().await;
}

/// FUZZ-8 on the embedded broker: a connection authenticated as W stops reading while it fills
/// its queue with large replies, and a second connection as W makes the broker push `bu` to W
/// (failed transfers, NOTIF-4). Clearnode stalls in `Publish` for good (TRANS-8); the reference
/// broker drops the slow reader and keeps answering the other client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_8_a_slow_reader_is_dropped_and_never_stalls_the_others() {
    let broker = start(&[]).await;
    let w = derive(9, Role::Wallet, 0);
    let mut slow = logged_in(&broker.url(), &w).await;
    let mut other = logged_in(&broker.url(), &w).await;
    assert_eq!(broker.control().connections(), 2);

    let name = "m".repeat(1 << 20);
    let flood = tokio::spawn(async move {
        let mut sent = 0;
        // Far more than the queue (16 MiB) and the kernel's buffers can hold.
        while sent < 96 {
            let frame = format!("{{\"req\":[{sent},\"{name}\",{{}},1],\"sig\":[]}}");
            if slow.send(&frame).await.is_err() {
                break;
            }
            sent += 1;
        }
        (sent, slow)
    });
    let mut worst = Duration::ZERO;
    let recipient = derive(9, Role::Wallet, 1).address();
    for _ in 0..40 {
        let id = other.next_id();
        let req = encode_req(
            id,
            "transfer",
            &json!({"destination": recipient, "allocations": [{"asset": "usdc", "amount": "1"}]}),
            now_ms(),
        );
        let x = other
            .exchange(&encode_signed(
                &req,
                &sign_req(&req, std::slice::from_ref(&w)),
            ))
            .await
            .expect("the other client is answered while the slow one stalls");
        assert_eq!(
            x.reply.frame.error_message(),
            Some(format!("insufficient funds: {} for asset usdc", w.address()).as_str())
        );
        worst = worst.max(ping(&mut other).await.unwrap());
    }
    let dropped = eventually(Duration::from_secs(20), || {
        broker.control().connections() == 1
    })
    .await;
    assert!(dropped, "the slow reader was not dropped");
    let (sent, _slow) = flood.await.unwrap();
    eprintln!("slow reader dropped after {sent} frames of 1 MiB; the other client's worst ping: {worst:?}");
    ping(&mut other).await.unwrap();
    broker.stop().await;
}

/// Floods `auth_request` on one connection, then lets another wallet log in.
async fn login_after_a_challenge_flood(profile: Profile) -> Option<String> {
    let broker = start_with(profile, &[], Options::default()).await;
    let mut flooder = connect(&broker.url()).await;
    let params = json!({"address": derive(9, Role::Wallet, 5).address()});
    for id in 1..=1100 {
        let x = flooder
            .exchange(&encode_signed(
                &encode_req(id, "auth_request", &params, now_ms()),
                &[],
            ))
            .await
            .unwrap();
        assert!(x.reply.frame.error_message().is_none() || id > 1000);
    }
    let mut victim = connect(&broker.url()).await;
    let auth = victim
        .authenticate(&derive(9, Role::Wallet, 0), &auth_request(), now_ms())
        .await
        .unwrap();
    ping(&mut flooder).await.unwrap();
    broker.stop().await;
    auth.error
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_9_one_client_cannot_exhaust_the_challenges_of_others() {
    assert_eq!(login_after_a_challenge_flood(Profile::Spec).await, None);
    // Clearnode's global cap, kept as protocol behaviour in its profile (AUTH-9, FUZZ-3).
    assert_eq!(
        login_after_a_challenge_flood(Profile::Clearnode052).await,
        Some("failed to generate challenge".to_string())
    );
}

/// FUZZ-6: `sort` goes into Clearnode's ORDER BY unchecked (API-0); the reference broker takes
/// it from an allow-list (ASC or DESC, optionally NULLS FIRST/LAST) and refuses the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_6_sort_comes_from_an_allow_list() {
    let broker = start(&[]).await;
    let mut conn = connect(&broker.url()).await;
    let mut ask = async |sort: &str| {
        let id = conn.next_id();
        let x = conn
            .exchange(&encode_signed(
                &encode_req(id, "get_app_sessions", &json!({ "sort": sort }), now_ms()),
                &[],
            ))
            .await
            .unwrap();
        x.reply.frame.error_message().map(str::to_string)
    };
    for allowed in ["asc", "DESC", "desc nulls last", " Asc  NULLS first "] {
        assert_eq!(ask(allowed).await, None, "{allowed}");
    }
    for injected in [
        "asc; DROP TABLE app_sessions",
        "desc, (SELECT pg_sleep(10))",
        "asc limit 1",
        "1",
        "asc -- ",
    ] {
        assert_eq!(
            ask(injected).await.as_deref(),
            Some("failed to get application sessions"),
            "{injected}"
        );
    }
    ping(&mut conn).await.unwrap();
    broker.stop().await;
}

/// A client that starts the upgrade and never finishes it (a drip-fed handshake) is dropped
/// after HANDSHAKE_TIMEOUT instead of holding its task for ever. The clock is tokio's paused
/// test clock: it jumps to the broker's timer once everything waits.
#[tokio::test(start_paused = true)]
async fn an_upgrade_that_never_finishes_is_dropped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let broker = start(&[]).await;
    let mut stuck = tokio::net::TcpStream::connect(broker.addr).await.unwrap();
    stuck
        .write_all(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(60), stuck.read(&mut buf))
        .await
        .expect("the broker closes the half-open upgrade");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    broker.stop().await;
}

/// `certify --control` over the socket: the cases that need the broker's clock (challenge
/// expiry, 24 h idle sessions, expired session keys) and a channel pass, in a separate
/// process; a broker of another profile is a usage error, not a run of findings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certify_control_runs_clock_and_channel_cases_over_the_socket() {
    let broker = start_with(Profile::Spec, &[], Options { control: true }).await;
    let out = std::env::temp_dir().join(format!("nitrocert-test-{}-control", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let vectors: Vec<String> = [
        "vectors/auth/challenge-expired.json",
        "vectors/auth/session-idle-24h.json",
        "vectors/session-keys/submit-with-expired-key-v04.json",
        "vectors/create/challenged-channel-v04.json",
    ]
    .iter()
    .map(|v| crate::util::repo_path(v).display().to_string())
    .collect();
    let certify = |profile: &'static str| {
        let mut args = vec![
            "certify".to_string(),
            "--profile".into(),
            profile.into(),
            "--endpoint".into(),
            broker.url(),
            "--control".into(),
            broker.control_url(),
            "--out".into(),
            out.display().to_string(),
        ];
        for v in &vectors {
            args.extend(["--vectors".to_string(), v.clone()]);
        }
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            crate::util::run(&args, "")
        })
    };
    let (code, stdout, stderr) = certify("spec").await.unwrap();
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("4 cases, 4 pass") && stdout.contains("0 skip"),
        "{stdout}"
    );
    let (code, _, stderr) = certify("clearnode-0.5.2").await.unwrap();
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("runs profile spec"), "{stderr}");
    let _ = std::fs::remove_dir_all(&out);
    broker.stop().await;
}

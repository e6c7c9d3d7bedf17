//! The embedded broker over a real socket: first frame, ping, the auth handshake, a signed
//! app-session request, notifications and broker signatures (TRANS-6, API-1, AUTH-4 to AUTH-8, RSIG-4).

use nitrocert::broker;
use nitrocert::cli::serve::{build_engine, parse_funding};
use nitrocert::client::{now_ms, AuthRequest, Connection, Limits};
use nitrocert::crypto::identity::{derive, Role};
use nitrocert::model::Profile;
use nitrocert::wire::{encode_req, encode_signed, sign_req};
use serde_json::json;

async fn start(fund: &[String]) -> broker::BrokerHandle {
    let funding: Vec<_> = fund.iter().map(|f| parse_funding(f).unwrap()).collect();
    let engine = build_engine(
        Profile::Clearnode052,
        &["usdc".to_string()],
        &funding,
        derive(9, Role::Broker, 0),
        9,
    );
    broker::spawn(engine, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
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

//! Model steps per second, no signature work:
//! `cargo run --release --example model_bench [cycles] [full|verdict]` (both details by default).
//!
//! Requests are built up front so only `Model::step` is timed. One cycle is ten steps: create,
//! three submits (operate, deposit, withdraw), one rejected submit, two transfers, a balance
//! read, another operate, and a close — about the mix a fuzzer or the runner drives.

use nitrocert::model::amount::dec;
use nitrocert::model::{Call, Config, Detail, Model, Profile};
use serde_json::{json, Value};
use std::time::Instant;

const A: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const B: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

fn rows(a: &str, b: &str) -> Value {
    json!([{"participant": A, "asset": "usdc", "amount": a}, {"participant": B, "asset": "usdc", "amount": b}])
}

fn session_id(nonce: u64) -> String {
    nitrocert::model::gojson::DefinitionBytes {
        application: "bench",
        protocol: "NitroRPC/0.4",
        participants: &[A.to_string(), B.to_string()],
        weights: &[50, 50],
        quorum: 100,
        challenge: 0,
        nonce,
    }
    .session_id()
}

fn cycle(nonce: u64) -> Vec<(u64, &'static str, Value)> {
    let sid = session_id(nonce);
    let sub = |intent: &str, v: u64, a: &str, b: &str| json!({"app_session_id": sid, "intent": intent, "version": v, "allocations": rows(a, b)});
    let def = json!({"application": "bench", "protocol": "NitroRPC/0.4", "participants": [A, B],
        "weights": [50, 50], "quorum": 100, "nonce": nonce});
    vec![
        (
            1,
            "create_app_session",
            json!({"definition": def, "allocations": rows("10", "10")}),
        ),
        (1, "submit_app_state", sub("operate", 2, "5", "15")),
        (1, "submit_app_state", sub("deposit", 3, "20", "15")),
        (1, "submit_app_state", sub("withdraw", 4, "10", "10")),
        (1, "submit_app_state", sub("operate", 9, "10", "10")),
        (
            1,
            "transfer",
            json!({"destination": B, "allocations": [{"asset": "usdc", "amount": "1"}]}),
        ),
        (
            2,
            "transfer",
            json!({"destination": A, "allocations": [{"asset": "usdc", "amount": "1"}]}),
        ),
        (1, "get_ledger_balances", json!({})),
        (1, "submit_app_state", sub("operate", 5, "12.5", "7.5")),
        (
            1,
            "close_app_session",
            json!({"app_session_id": sid, "allocations": rows("12.5", "7.5")}),
        ),
    ]
}

fn main() {
    let cycles: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let only: Option<Detail> = match std::env::args().nth(2).as_deref() {
        Some("full") => Some(Detail::Full),
        Some("verdict") => Some(Detail::Verdict),
        _ => None,
    };
    let calls: Vec<(u64, &str, Value)> = (1..=cycles).flat_map(cycle).collect();
    let both = [Some(A.to_string()), Some(B.to_string())];
    let only_a = [Some(A.to_string())];
    let only_b = [Some(B.to_string())];
    for (profile, detail) in Profile::ALL
        .into_iter()
        .flat_map(|p| [(p, Detail::Full), (p, Detail::Verdict)])
        .filter(|(_, d)| only.is_none_or(|o| o == *d))
    {
        let mut m = Model::new(profile, Config::default());
        m.set_detail(detail);
        let t0 = 1_700_000_000_000u64;
        m.login(1, A, t0);
        m.login(2, B, t0);
        m.fund(A, "usdc", &dec("1000000000"));
        m.fund(B, "usdc", &dec("1000000000"));
        let mut ok = 0usize;
        let start = Instant::now();
        for (i, (conn, method, params)) in calls.iter().enumerate() {
            let sigs: &[Option<String>] = match (*method, *conn) {
                ("transfer", 1) => &only_a,
                ("transfer", _) => &only_b,
                _ => &both,
            };
            let now = t0 + i as u64;
            let out = m.step(&Call::new(*conn, method, params, sigs, now));
            ok += usize::from(out.is_ok());
        }
        let secs = start.elapsed().as_secs_f64();
        let n = calls.len();
        println!(
            "{profile} {detail:?}: {n} steps in {secs:.3} s = {:.0} steps/s ({ok} accepted, {} rejected)",
            n as f64 / secs,
            n - ok
        );
        assert_eq!(
            ok,
            n - cycles as usize,
            "only the deliberately wrong submit fails"
        );
    }
}

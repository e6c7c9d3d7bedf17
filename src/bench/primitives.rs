//! Measurements without a network: model steps, the two signature primitives, and each
//! cargo-fuzz target's function in a loop.

use super::timed;
use crate::crypto::identity::{derive, Role};
use crate::crypto::{keccak256, Signature};
use crate::model::amount::dec;
use crate::model::gojson::DefinitionBytes;
use crate::model::{Call, Config, Detail, Model, Profile};
use serde_json::{json, Value};
use std::time::Duration;

const A: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const B: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/// One request of the model workload: (connection, method, params).
pub type Request = (u64, &'static str, Value);

fn rows(a: &str, b: &str) -> Value {
    json!([{"participant": A, "asset": "usdc", "amount": a}, {"participant": B, "asset": "usdc", "amount": b}])
}

/// Ten requests, about the mix a fuzzer or the runner drives: a create, three submits
/// (operate, deposit, withdraw), one submit with a stale version (rejected), two transfers, a
/// balance read, another operate and a close. Only the rejected one fails.
pub fn cycle(nonce: u64) -> Vec<Request> {
    let sid = DefinitionBytes {
        application: "bench",
        protocol: "NitroRPC/0.4",
        participants: &[A.to_string(), B.to_string()],
        weights: &[50, 50],
        quorum: 100,
        challenge: 0,
        nonce,
    }
    .session_id();
    let sub = |intent: &str, v: u64, a: &str, b: &str| json!({"app_session_id": sid, "intent": intent, "version": v, "allocations": rows(a, b)});
    let def = json!({"application": "bench", "protocol": "NitroRPC/0.4", "participants": [A, B],
        "weights": [50, 50], "quorum": 100, "nonce": nonce});
    let transfer =
        |to: &str| json!({"destination": to, "allocations": [{"asset": "usdc", "amount": "1"}]});
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
        (1, "transfer", transfer(B)),
        (2, "transfer", transfer(A)),
        (1, "get_ledger_balances", json!({})),
        (1, "submit_app_state", sub("operate", 5, "12.5", "7.5")),
        (
            1,
            "close_app_session",
            json!({"app_session_id": sid, "allocations": rows("12.5", "7.5")}),
        ),
    ]
}

/// The model workload: `cycles` cycles, requests built up front.
pub fn workload(cycles: u64) -> Vec<Request> {
    (1..=cycles).flat_map(cycle).collect()
}

/// Steps `requests` through a fresh model (A and B logged in and funded) and returns the
/// accepted count and the time `Model::step` took, building the calls included.
pub fn run_model(requests: &[Request], profile: Profile, detail: Detail) -> (usize, Duration) {
    let both = [Some(A.to_string()), Some(B.to_string())];
    let only_a = [Some(A.to_string())];
    let only_b = [Some(B.to_string())];
    let mut m = Model::new(profile, Config::default());
    m.set_detail(detail);
    let t0 = 1_700_000_000_000u64;
    m.login(1, A, t0);
    m.login(2, B, t0);
    m.fund(A, "usdc", &dec("1000000000"));
    m.fund(B, "usdc", &dec("1000000000"));
    let mut ok = 0usize;
    let started = std::time::Instant::now();
    for (i, (conn, method, params)) in requests.iter().enumerate() {
        let sigs: &[Option<String>] = match (*method, *conn) {
            ("transfer", 1) => &only_a,
            ("transfer", _) => &only_b,
            _ => &both,
        };
        let out = m.step(&Call::new(*conn, method, params, sigs, t0 + i as u64));
        ok += usize::from(out.is_ok());
    }
    (ok, started.elapsed())
}

/// Model steps per second in `detail`, both profiles' workloads run back to back.
pub fn model_steps_per_s(cycles: u64, detail: Detail) -> f64 {
    let requests = workload(cycles);
    let mut steps = 0usize;
    let mut secs = 0.0;
    for profile in Profile::ALL {
        let (ok, took) = run_model(&requests, profile, detail);
        assert_eq!(
            ok,
            requests.len() - cycles as usize,
            "only the deliberately stale submit fails"
        );
        steps += requests.len();
        secs += took.as_secs_f64();
    }
    steps as f64 / secs
}

/// (sign µs, recover µs) of secp256k1; both always computed (signatures and signers this
/// process made would otherwise be answered by its memo).
pub fn signature_micros(budget: Duration) -> (f64, f64) {
    let key = derive(1, Role::Wallet, 0);
    let digests: Vec<[u8; 32]> = (0..256u32).map(|i| keccak256(i.to_be_bytes())).collect();
    let mut sigs = Vec::new();
    let (n, took) = timed(budget, |i| {
        let sig = key.sign_uncached(&digests[i % digests.len()]);
        if sigs.len() < digests.len() {
            sigs.push(sig);
        }
    });
    let sign = took.as_secs_f64() * 1e6 / n as f64;
    let (m, took) = timed(budget, |i| {
        let k = i % sigs.len();
        let who = Signature { bytes: sigs[k] }.recover_uncached(&digests[k]);
        assert!(who.is_ok(), "a fresh signature recovers");
    });
    (sign, took.as_secs_f64() * 1e6 / m as f64)
}

/// A cargo-fuzz target's function.
type Target = fn(&[u8]);

/// Executions per second of each cargo-fuzz target's function over generated inputs: the seed
/// corpus, then mutants of it as libFuzzer makes them (a few bytes changed, some cut short).
pub fn fuzz_targets(budget: Duration) -> Vec<(&'static str, f64)> {
    let targets: [(&str, Target); 4] = [
        ("frame", crate::fuzzing::frame),
        ("model_sequence", crate::fuzzing::model_sequence),
        ("broker_frame", crate::fuzzing::broker_frame),
        ("differential", crate::fuzzing::differential),
    ];
    targets
        .into_iter()
        .map(|(name, run)| {
            let inputs = fuzz_inputs(name);
            // Builds the templates and caches a campaign starts with, outside the clock.
            run(&inputs[0]);
            let (n, took) = timed(budget, |i| run(&inputs[i % inputs.len()]));
            (name, n as f64 / took.as_secs_f64())
        })
        .collect()
}

/// The seeds of `target` and 512 mutants of them (seeded, so every run measures the same).
pub fn fuzz_inputs(target: &str) -> Vec<Vec<u8>> {
    let mut inputs = crate::fuzzing::seeds(target);
    if inputs.is_empty() {
        inputs.push(br#"{"req":[1,"ping",{},1700000000000],"sig":[]}"#.to_vec());
    }
    let seeds = inputs.len();
    for i in 0..512u64 {
        let noise = crate::gen::seeded_bytes(0xbe_c4, i, 16);
        let mut input = inputs[i as usize % seeds].clone();
        for pair in noise.chunks(2).take(1 + (noise[0] % 4) as usize) {
            let at = (pair[0] as usize * 257 + pair[1] as usize) % input.len().max(1);
            if let Some(b) = input.get_mut(at) {
                *b ^= pair[1] | 1;
            }
        }
        if noise[15] % 5 == 0 {
            input.truncate(input.len() * (noise[14] as usize % 8 + 1) / 9);
        }
        inputs.push(input);
    }
    inputs
}

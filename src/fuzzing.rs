//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the stable test that replays
//! their corpora (`tests/suite/fuzz_corpus.rs`): a target is only a call to one of these, and
//! [`seeds`] makes each target's checked-in seed corpus.

use crate::crypto::SecretKey;
use crate::engine::{Asset, Engine};
use crate::gen::op::draw;
use crate::gen::script::{draw_setup, generate, Player};
use crate::gen::world::{self, address, login, World, OUTSIDER, WALLETS};
use crate::gen::{bytes_for, seeded_bytes, GenConfig};
use crate::model::invariants::check_step;
use crate::model::{Call, Config, ConnId, Expected, Model, Outcome, Profile, Recipient, Snapshot};
use crate::vectors::recorder::{broker_key, identity_key, START_MS};
use crate::wire::inbound::{decode, Inbound};
use crate::wire::{encode_req, encode_signed, parse_frame, sign_req, FrameKind};
use arbitrary::Unstructured;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Frame parsing never panics, and whatever decodes re-encodes to a frame that decodes to the
/// same request (the raw array bytes are kept exactly).
pub fn frame(data: &[u8]) {
    let inbound = decode(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(frame) = parse_frame(text) {
            let again = parse_frame(&encode_signed(&frame.raw, &frame.sig))
                .expect("a parsed frame re-encodes to a parseable frame");
            assert_eq!(again.raw, frame.raw);
            assert_eq!(again.params, frame.params);
        }
    }
    if let Inbound::Request(request) = inbound {
        let sig: Vec<String> = request.sig.iter().map(crate::crypto::to_hex).collect();
        let reencoded = encode_signed(&request.raw, &sig);
        match decode(reencoded.as_bytes()) {
            Inbound::Request(again) => {
                assert_eq!(again.raw, request.raw);
                assert_eq!(again.id, request.id);
                assert_eq!(again.method, request.method);
                assert_eq!(again.sig, request.sig);
            }
            other => panic!("re-encoded request no longer decodes: {other:?}"),
        }
    }
}

/// Longest sequence a fuzz input drives (libFuzzer grows inputs; the state stays small).
const MAX_FUZZ_STEPS: usize = 32;

/// A generated sequence through the model under the profile the input picks: the `spec`
/// profile keeps every invariant after every step (AS-INV-1..4); `clearnode-0.5.2` may break
/// conservation and non-negativity (its quirks) but still keeps atomicity and versions;
/// neither panics.
pub fn model_sequence(data: &[u8]) {
    let mut u = Unstructured::new(data);
    // One profile per input: half the cost, and libFuzzer still steers both.
    let profile = if u.ratio(1u8, 2u8).unwrap_or(false) {
        Profile::Spec
    } else {
        Profile::Clearnode052
    };
    let config = GenConfig {
        invalid_percent: u.int_in_range(0..=60).unwrap_or(25),
        max_steps: MAX_FUZZ_STEPS,
    };
    let setup = draw_setup(&mut u);
    let mut player = Player::new(profile, &setup);
    let mut index = 0;
    while index < config.max_steps && !u.is_empty() {
        let Ok(op) = draw(&mut u, player.world(), &config) else {
            break;
        };
        let before = Snapshot::of(player.world().model());
        let accepted = player.push(&op, index).map(|p| p.outcome.is_ok());
        index += 1;
        let Some(accepted) = accepted else { continue };
        let after = Snapshot::of(player.world().model());
        for v in check_step(&before, &after, accepted) {
            let allowed =
                profile == Profile::Clearnode052 && matches!(v.rule(), "AS-INV-1" | "AS-INV-3");
            assert!(allowed, "{profile} step {index} ({op:?}): {v}");
        }
    }
}

/// The broker clock of the engine targets.
const NOW_MS: u64 = START_MS;
/// Connections of the engine template: A and B authenticated, the third never.
const CONN_A: ConnId = 1;
const CONN_ANONYMOUS: ConnId = 3;

fn engine_for(profile: Profile) -> Engine {
    let assets = vec![Asset {
        symbol: "usdc".into(),
        token: "0x0000000000000000000000000000000000000000".into(),
        chain_id: 0,
        decimals: 6,
    }];
    Engine::new(
        Model::new(profile, Config::default()),
        broker_key(),
        assets,
        0,
    )
}

/// The app session the engine template holds: A and B, 50/50, quorum 100, 100 usdc each.
fn template_definition() -> Value {
    crate::vectors::build::definition(
        "fuzz",
        "NitroRPC/0.4",
        &[address("A"), address("B")],
        &[50, 50],
        100,
        1,
    )
}

/// An engine with A and B logged in (connections 1, 2), an anonymous connection 3, 1000 usdc
/// each, and one open session; built once, cloned per input.
fn broker_template() -> &'static Engine {
    static TEMPLATE: OnceLock<Engine> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let mut engine = engine_for(Profile::Clearnode052);
        for wallet in ["A", "B"] {
            let (conn, _) = engine.connect(NOW_MS);
            login(&mut engine.model, conn, wallet, NOW_MS);
            let amount = crate::model::amount::dec("1000");
            engine.model.fund(address(wallet), "usdc", &amount);
        }
        engine.connect(NOW_MS);
        let params = json!({
            "definition": template_definition(),
            "allocations": [
                {"participant": address("A"), "asset": "usdc", "amount": "100"},
                {"participant": address("B"), "asset": "usdc", "amount": "100"},
            ],
        });
        let sigs = [
            Some(address("A").to_string()),
            Some(address("B").to_string()),
        ];
        let out = engine.model.step(&Call::new(
            CONN_A,
            "create_app_session",
            &params,
            &sigs,
            NOW_MS,
        ));
        assert!(out.is_ok(), "template session: {:?}", out.response);
        engine
    })
}

/// Methods the broker pushes (never replies with).
const PUSHES: &[&str] = &["bu", "asu", "tr", "channels", "assets", "cu"];

/// Any bytes on an authenticated and on an anonymous connection: every frame the engine sends
/// is well formed and signed by the broker; a non-empty input gets exactly one reply on its
/// connection (an empty one gets nothing, TRANS-4); a rejected input changes no balance,
/// session or version.
pub fn broker_frame(data: &[u8]) {
    let broker = broker_template().broker_address();
    let empty = matches!(decode(data), Inbound::Empty);
    for conn in [CONN_A, CONN_ANONYMOUS] {
        let mut engine = broker_template().clone();
        let before = Snapshot::of(&engine.model);
        let handled = engine.handle(conn, data, NOW_MS);
        if empty {
            assert!(
                handled.frames.is_empty(),
                "an empty frame got {:?}",
                handled.frames
            );
            continue;
        }
        let mut replies = Vec::new();
        for out in &handled.frames {
            let frame = parse_frame(&out.text).expect("the broker sends parseable frames");
            assert_eq!(frame.kind, FrameKind::Response, "{}", out.text);
            assert_eq!(frame.sig.len(), 1, "one broker signature: {}", out.text);
            if !PUSHES.contains(&frame.method.as_str()) {
                assert_eq!(out.conn, conn, "a reply goes to its sender");
                replies.push(frame);
            }
        }
        // Recovery is the costliest check: the reply's signature stands for all (every frame
        // is signed by the same function).
        if let Some(reply) = replies.first() {
            let signer = reply.signers().remove(0);
            assert_eq!(signer.as_deref(), Ok(broker.as_str()), "{}", reply.raw);
        }
        assert_eq!(replies.len(), 1, "one reply: {:?}", handled.frames);
        if replies[0].error_message().is_some() {
            assert_eq!(
                before,
                Snapshot::of(&engine.model),
                "a rejected frame changed the books"
            );
        }
    }
}

/// Keys of the generator's identities, derived once (a derivation costs more than a step).
fn key(name: &str) -> &'static SecretKey {
    static KEYS: OnceLock<HashMap<String, SecretKey>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        let mut names: Vec<String> = WALLETS.iter().map(|w| w.to_string()).collect();
        names.extend(WALLETS.iter().map(|w| world::session_key_name(w)));
        names.push(OUTSIDER.to_string());
        names
            .into_iter()
            .map(|n| (n.clone(), identity_key(&n)))
            .collect()
    });
    &keys[name]
}

/// The frames a model outcome implies, as (connection, method, params), in sending order.
fn expected_frames(model: &Model, conn: ConnId, outcome: &Outcome) -> Vec<(ConnId, String, Value)> {
    let mut out = Vec::new();
    let push = |list: &[crate::model::Notification], out: &mut Vec<(ConnId, String, Value)>| {
        for n in list {
            let conns = match &n.to {
                Recipient::Conn(c) => vec![*c],
                Recipient::Wallet(w) => model.connections_of(w),
            };
            for c in conns {
                out.push((c, n.method.to_string(), n.params.clone()));
            }
        }
    };
    push(&outcome.notifications, &mut out);
    match &outcome.response {
        Expected::Ok { method, result } => out.push((conn, method.to_string(), result.clone())),
        Expected::Err(_) => out.push((conn, "error".into(), Value::Null)),
        Expected::Unmodelled(_) => unreachable!("generated steps are modelled"),
    }
    push(&outcome.after_response, &mut out);
    out
}

/// A generated sequence played twice: by the model directly (signers given as addresses) and
/// by the engine from signed frames (encode, sign, decode, recover, step, encode and sign the
/// replies). Model against engine rather than against the broker over a socket: a socket and
/// a login per input would cost more than the input itself. Every reply, push and snapshot
/// must agree.
pub fn differential(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let profile = if u.ratio(1u8, 2u8).unwrap_or(false) {
        Profile::Spec
    } else {
        Profile::Clearnode052
    };
    let config = GenConfig {
        invalid_percent: u.int_in_range(0..=60).unwrap_or(25),
        max_steps: 8,
    };
    let script = generate(&mut u, profile, &config);
    let played = crate::gen::play(&script, profile);
    let mut reference = World::new(profile, &script.setup);
    let mut engine = engine_for(profile);
    for w in &script.setup.wallets {
        let (conn, _) = engine.connect(NOW_MS);
        assert_eq!(
            conn,
            reference.conn(&w.name),
            "connections are numbered alike"
        );
        login(&mut engine.model, conn, &w.name, NOW_MS);
    }
    world::fund(&mut engine.model, &script.setup);
    for (i, p) in played.iter().enumerate() {
        let now = reference.now_ms();
        let want = reference.play(&p.request);
        let conn = reference.conn(&p.request.conn);
        let keys: Vec<SecretKey> = p.request.signers.iter().map(|n| key(n).clone()).collect();
        let ts = (now as i64 + p.request.ts_offset_ms).max(0) as u64;
        let id = 100 + i as u64;
        let req = encode_req(id, &p.request.method, &p.request.params, ts);
        let wire = encode_signed(&req, &sign_req(&req, &keys));
        let handled = engine.handle(conn, wire.as_bytes(), now);
        let got = handled.outcome.expect("a signed request reaches the model");
        assert_eq!(got, want, "step {i}: engine and model decide differently");
        let expected = expected_frames(reference.model(), conn, &want);
        let sent: Vec<(ConnId, String, Value)> = handled
            .frames
            .iter()
            .map(|o| {
                let f = parse_frame(&o.text).expect("the engine sends parseable frames");
                if f.method == "error" {
                    let text = f.error_message().unwrap_or_default().to_string();
                    let allowed = want.response.error().is_some_and(|e| e.accepts(&text));
                    assert!(
                        allowed,
                        "step {i}: error text {text:?} for {:?}",
                        want.response
                    );
                    assert_eq!(f.id, id, "step {i}: the reply echoes the request id");
                    (o.conn, f.method, Value::Null)
                } else {
                    (o.conn, f.method, f.params)
                }
            })
            .collect();
        assert_eq!(sent, expected, "step {i}: frames differ");
        assert_eq!(
            Snapshot::of(&engine.model),
            Snapshot::of(reference.model()),
            "step {i}: books differ"
        );
    }
}

/// A valid signed request on connection A of the [`broker_frame`] template.
fn signed(id: u64, method: &str, params: Value, signers: &[&str]) -> Vec<u8> {
    let req = encode_req(id, method, &params, NOW_MS);
    let keys: Vec<SecretKey> = signers.iter().map(|n| key(n).clone()).collect();
    encode_signed(&req, &sign_req(&req, &keys)).into_bytes()
}

/// The seed corpus of a target: inputs worth mutating (valid requests and sequences).
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    match target {
        "model_sequence" | "differential" => (0..8)
            .map(|i| seeded_bytes(7, i, bytes_for(if i < 4 { 8 } else { MAX_FUZZ_STEPS })))
            .collect(),
        "broker_frame" => {
            let sid = crate::vectors::build::session_id(&template_definition());
            let rows = |a: &str, b: &str| {
                json!([
                    {"participant": address("A"), "asset": "usdc", "amount": a},
                    {"participant": address("B"), "asset": "usdc", "amount": b},
                ])
            };
            let submit = |intent: &str, version: u64, a: &str, b: &str| json!({"app_session_id": sid, "intent": intent, "version": version, "allocations": rows(a, b)});
            let mut definition = template_definition();
            definition["nonce"] = json!(2);
            vec![
                signed(1, "ping", json!({}), &[]),
                signed(
                    2,
                    "submit_app_state",
                    submit("operate", 2, "150", "50"),
                    &["A", "B"],
                ),
                signed(
                    3,
                    "submit_app_state",
                    submit("deposit", 2, "200", "100"),
                    &["A", "B"],
                ),
                signed(
                    4,
                    "submit_app_state",
                    submit("withdraw", 2, "50", "100"),
                    &["A", "B.sk"],
                ),
                signed(
                    5,
                    "submit_app_state",
                    submit("operate", 7, "100", "100"),
                    &["A"],
                ),
                signed(
                    6,
                    "close_app_session",
                    json!({"app_session_id": sid, "allocations": rows("120", "80")}),
                    &["A", "B"],
                ),
                signed(
                    7,
                    "create_app_session",
                    json!({"definition": definition, "allocations": rows("10", "0")}),
                    &["A"],
                ),
                signed(
                    8,
                    "transfer",
                    json!({"destination": address("B"), "allocations": [{"asset": "usdc", "amount": "5"}]}),
                    &["A"],
                ),
                signed(9, "get_ledger_balances", json!({}), &[]),
                b"{\"req\":[10,\"get_app_sessions\",{},1700000000000],\"sig\":[]}".to_vec(),
                b"  ".to_vec(),
                b"{\"req\":[11,\"submit_app_state\",{\"app_session_id\":1},1]}".to_vec(),
            ]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The valid seeds of `broker_frame` are accepted by the template, so mutations start from
    /// requests that reach deep into the handlers rather than from envelope errors.
    #[test]
    fn broker_frame_seeds_reach_the_handlers() {
        let seeds = seeds("broker_frame");
        for (i, seed) in seeds.iter().enumerate().take(9) {
            let mut engine = broker_template().clone();
            let handled = engine.handle(CONN_A, seed, NOW_MS);
            let outcome = handled.outcome.expect("reaches the model");
            // Seed 4 is a deliberately stale version (a rejection deep in submit).
            assert_eq!(outcome.is_ok(), i != 4, "seed {i}: {:?}", outcome.response);
        }
    }
}

#[cfg(test)]
mod seeded {
    //! The targets over seeded inputs beyond the checked-in corpus (a cheap stand-in for a
    //! campaign, run by `cargo test`).
    use super::*;

    #[test]
    fn differential_agrees_on_seeded_sequences() {
        for i in 0..24 {
            differential(&seeded_bytes(31, i, bytes_for(8)));
        }
    }

    #[test]
    fn broker_frame_survives_mutated_seeds() {
        for (i, seed) in seeds("broker_frame").iter().enumerate() {
            for j in 0..seed.len().min(40) {
                let mut bytes = seed.clone();
                bytes[j * 7 % seed.len()] ^= 1 << (i % 8);
                broker_frame(&bytes);
                bytes.truncate(j * 3 % seed.len());
                broker_frame(&bytes);
            }
        }
    }
}

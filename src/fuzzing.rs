//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the stable test that replays
//! their corpora (`tests/suite/fuzz_corpus.rs`): a target is only a call to one of these, and
//! [`seeds`] makes each target's checked-in seed corpus.
//!
//! Speed is what a fuzz target is for, so nothing is built twice: keys are derived once, logged-in
//! worlds and engines are built once per thread and copied, and signatures go through a
//! [`Seal`]: the stand-in for the targets that test the model and the frame handler
//! (`broker_frame`), real secp256k1 behind a shared cache for `differential`.

use crate::crypto::{keccak256, to_hex, Seal, SecretKey};
use crate::engine::{Asset, Engine};
use crate::gen::op::draw;
use crate::gen::script::{draw_setup, Player};
use crate::gen::world::{self, address, login, Setup, OUTSIDER, WALLETS};
use crate::gen::{bytes_for, seeded_bytes, GenConfig};
use crate::model::invariants::check_step;
use crate::model::{
    Call, Config, ConnId, Detail, Expected, Model, Outcome, Profile, Recipient, Snapshot,
};
use crate::vectors::recorder::{broker_key, identity_key, START_MS};
use crate::wire::inbound::{decode, Inbound};
use crate::wire::{encode_req, encode_signed, parse_frame, FrameKind};
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

/// Longest sequence a `model_sequence` input drives. libFuzzer reaches depth by mutating the
/// corpus, one execution at a time, and an execution costs in proportion to its steps.
pub const MAX_FUZZ_STEPS: usize = 16;

/// The profile an input picks with its first byte: one profile per input, half the cost, and
/// libFuzzer still steers both.
fn draw_profile(u: &mut Unstructured) -> Profile {
    if u.ratio(1u8, 2u8).unwrap_or(false) {
        Profile::Spec
    } else {
        Profile::Clearnode052
    }
}

/// A generated sequence through the model under the profile the input picks: the `spec`
/// profile keeps every invariant after every step (AS-INV-1..4); `clearnode-0.5.2` may break
/// conservation and non-negativity (its quirks) but still keeps atomicity and versions;
/// neither panics. Verdict detail: this target looks at decisions and state, payloads are
/// `differential`'s.
pub fn model_sequence(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let profile = draw_profile(&mut u);
    let config = GenConfig {
        invalid_percent: u.int_in_range(0..=60).unwrap_or(25),
        max_steps: MAX_FUZZ_STEPS,
    };
    let setup = draw_setup(&mut u);
    let mut player = Player::with_detail(profile, &setup, Detail::Verdict);
    let mut before = Snapshot::of(player.world().model());
    let mut index = 0;
    while index < config.max_steps && !u.is_empty() {
        let Ok(op) = draw(&mut u, player.world(), &config) else {
            break;
        };
        let accepted = player.push(&op, index).map(|p| p.outcome.is_ok());
        index += 1;
        // A dropped plan leaves the state as it was: `before` still holds.
        let Some(accepted) = accepted else { continue };
        let after = Snapshot::of(player.world().model());
        for v in check_step(&before, &after, accepted) {
            let allowed =
                profile == Profile::Clearnode052 && matches!(v.rule(), "AS-INV-1" | "AS-INV-3");
            assert!(allowed, "{profile} step {index} ({op:?}): {v}");
        }
        before = after;
    }
}

/// The broker clock of the engine targets.
const NOW_MS: u64 = START_MS;
/// Connections of the engine template: A and B authenticated, the third never.
const CONN_A: ConnId = 1;
const CONN_ANONYMOUS: ConnId = 3;

/// The broker key of vectors, derived once.
fn broker() -> &'static SecretKey {
    static KEY: OnceLock<SecretKey> = OnceLock::new();
    KEY.get_or_init(broker_key)
}

fn engine_for(profile: Profile, seal: Seal) -> Engine {
    let assets = vec![Asset {
        symbol: "usdc".into(),
        token: "0x0000000000000000000000000000000000000000".into(),
        chain_id: 0,
        decimals: 6,
    }];
    Engine::new(
        Model::new(profile, Config::default()),
        broker().clone(),
        assets,
        0,
    )
    .with_seal(seal)
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
/// each, and one open session; built once, cloned per input, with the stand-in [`Seal`].
fn broker_template() -> &'static Engine {
    static TEMPLATE: OnceLock<Engine> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let mut engine = engine_for(Profile::Clearnode052, Seal::Trusted);
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

/// The template's books, taken once (every input starts from them).
fn template_snapshot() -> &'static Snapshot {
    static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| Snapshot::of(&broker_template().model))
}

/// Any bytes on an authenticated and on an anonymous connection: every frame the engine sends
/// is well formed and signed by the broker; a non-empty input gets exactly one reply on its
/// connection (an empty one gets nothing, TRANS-4); a rejected input changes no balance,
/// session or version. Signatures are the [`Seal::Trusted`] stand-in (the seeds are signed
/// with it), so any byte change breaks one, as with secp256k1, at a thousandth of the cost.
pub fn broker_frame(data: &[u8]) {
    let template = broker_template();
    let broker = template.broker_address();
    let empty = matches!(decode(data), Inbound::Empty);
    for conn in [CONN_A, CONN_ANONYMOUS] {
        let mut engine = template.clone();
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
        // The reply's signature stands for all (every frame is signed by the same function).
        if let Some(reply) = replies.first() {
            let sig = crate::crypto::decode_prefixed_hex(&reply.sig[0]).expect("hex");
            let signer = engine.seal().recover(&reply.digest(), &sig);
            assert_eq!(signer.as_deref(), Some(broker.as_str()), "{}", reply.raw);
        }
        assert_eq!(replies.len(), 1, "one reply: {:?}", handled.frames);
        if replies[0].error_message().is_some() {
            assert_eq!(
                template_snapshot(),
                &Snapshot::of(&engine.model),
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

/// The seal of the `differential` engines and their requests: real secp256k1, one cache for the
/// process, so a request or reply signed before (a shared prefix of two inputs, a replayed
/// corpus) costs a lookup, and the engine's recovery of a signature the harness made is the
/// harness's record of it.
pub fn differential_seal() -> &'static Seal {
    static SEAL: OnceLock<Seal> = OnceLock::new();
    SEAL.get_or_init(Seal::cached)
}

/// An engine of `profile` with the setup's wallets logged in on connections 1.., numbered as
/// the generator's world numbers them; built once per thread and wallet list, copied per input.
fn logged_in_engine(profile: Profile, setup: &Setup) -> Engine {
    thread_local! {
        static BUILT: std::cell::RefCell<HashMap<(Profile, Vec<String>), Engine>> =
            Default::default();
    }
    let names: Vec<String> = setup.wallets.iter().map(|w| w.name.clone()).collect();
    let key = (profile, names);
    if let Some(engine) = BUILT.with_borrow(|built| built.get(&key).cloned()) {
        return engine;
    }
    let mut engine = engine_for(profile, differential_seal().clone());
    for name in &key.1 {
        let (conn, _) = engine.connect(NOW_MS);
        login(&mut engine.model, conn, name, NOW_MS);
    }
    BUILT.with_borrow_mut(|built| built.insert(key, engine.clone()));
    engine
}

/// A generated sequence played twice: by the model directly (signers given as addresses, the
/// generator's own world) and by the engine from signed frames (encode, sign, decode, recover,
/// step, encode and sign the replies). Model against engine rather than against the broker
/// over a socket: a socket and a login per input would cost more than the input itself. Every
/// reply, push and snapshot must agree. Signatures are real (see [`differential_seal`]).
pub fn differential(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let profile = draw_profile(&mut u);
    let config = GenConfig {
        invalid_percent: u.int_in_range(0..=60).unwrap_or(25),
        max_steps: 8,
    };
    let setup = draw_setup(&mut u);
    let mut player = Player::new(profile, &setup);
    let mut engine = logged_in_engine(profile, &setup);
    for w in &setup.wallets {
        let conn = player.world().conn(&w.name);
        assert_eq!(
            engine.model.connection_wallet(conn),
            Some(address(&w.name)),
            "connections are numbered alike"
        );
    }
    world::fund(&mut engine.model, &setup);
    // Plans are numbered among the kept ones and the sequence ends after `max_steps` of them,
    // exactly as `gen::generate` draws a script.
    let mut step = 0;
    while step < config.max_steps && !u.is_empty() {
        let Ok(op) = draw(&mut u, player.world(), &config) else {
            break;
        };
        let now = player.world().now_ms();
        if player.push(&op, step).is_none() {
            continue;
        }
        let played = player.last().expect("just played");
        let frame = signed_request(100 + step as u64, &played.request, now);
        let conn = player.world().conn(&played.request.conn);
        let handled = engine.handle(conn, frame.as_bytes(), now);
        let got = handled.outcome.expect("a signed request reaches the model");
        let want = &played.outcome;
        assert_eq!(
            &got, want,
            "step {step}: engine and model decide differently"
        );
        compare_frames(
            step,
            100 + step as u64,
            player.world().model(),
            conn,
            want,
            &handled.frames,
        );
        assert_eq!(
            Snapshot::of(&engine.model),
            Snapshot::of(player.world().model()),
            "step {step}: books differ"
        );
        step += 1;
    }
}

/// The request of a played step as the SDK frames it, signed by its signers.
fn signed_request(id: u64, request: &world::Request, now: u64) -> String {
    let ts = (now as i64 + request.ts_offset_ms).max(0) as u64;
    let req = encode_req(id, &request.method, &request.params, ts);
    let digest = keccak256(req.as_bytes());
    let sigs: Vec<String> = request
        .signers
        .iter()
        .map(|n| to_hex(differential_seal().sign(key(n), &digest)))
        .collect();
    encode_signed(&req, &sigs)
}

/// The engine's frames against what the model's outcome implies: the same connections, methods
/// and payloads in the same order; an error's text among the accepted ones, echoing the id.
fn compare_frames(
    step: usize,
    id: u64,
    model: &Model,
    conn: ConnId,
    want: &Outcome,
    frames: &[crate::engine::Out],
) {
    let expected = expected_frames(model, conn, want);
    let sent: Vec<(ConnId, String, Value)> = frames
        .iter()
        .map(|o| {
            let f = parse_frame(&o.text).expect("the engine sends parseable frames");
            if f.method == "error" {
                let text = f.error_message().unwrap_or_default().to_string();
                let allowed = want.response.error().is_some_and(|e| e.accepts(&text));
                assert!(
                    allowed,
                    "step {step}: error text {text:?} for {:?}",
                    want.response
                );
                assert_eq!(f.id, id, "step {step}: the reply echoes the request id");
                (o.conn, f.method, Value::Null)
            } else {
                (o.conn, f.method, f.params)
            }
        })
        .collect();
    assert_eq!(sent, expected, "step {step}: frames differ");
}

/// A valid signed request on connection A of the [`broker_frame`] template (stand-in seal).
fn signed(id: u64, method: &str, params: Value, signers: &[&str]) -> Vec<u8> {
    let req = encode_req(id, method, &params, NOW_MS);
    let digest = keccak256(req.as_bytes());
    let sigs: Vec<String> = signers
        .iter()
        .map(|n| to_hex(Seal::Trusted.sign(key(n), &digest)))
        .collect();
    encode_signed(&req, &sigs).into_bytes()
}

/// The seed corpus of a target: inputs worth mutating (valid requests and sequences).
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    match target {
        "model_sequence" | "differential" => (0..8)
            .map(|i| seeded_bytes(7, i, bytes_for(if i < 4 { 8 } else { 32 })))
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

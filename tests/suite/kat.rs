//! Known-answer tests: every SDK 0.5.3 wire message and every VEC of the wire digest (VEC-1 to
//! VEC-6), reproduced byte for byte by the library (WIRE-1, SIG-2, SIG-3, SIG-9, AUTH-6, RSIG-4).

use crate::util::{read_json, shared_path};
use nitrocert::crypto::eip712::{Allowance, Policy};
use nitrocert::crypto::{keccak256, to_hex, SecretKey};
use nitrocert::wire::{encode_req, encode_signed, parse_frame, sign_req};
use serde_json::Value;

const SDK_KAT: &str = "tests/data/kat/sdk-0.5.3-wire.json";
const SPEC_KAT: &str = "tests/data/kat/spec-vectors.json";

fn key(kat: &Value, name: &str) -> SecretKey {
    SecretKey::from_hex(kat["keys"][name]["private_key"].as_str().unwrap()).unwrap()
}

fn policy_from(value: &Value, application: &str) -> Policy {
    Policy {
        application: application.to_string(),
        challenge: value["challenge"].as_str().unwrap().to_string(),
        scope: value["scope"].as_str().unwrap().to_string(),
        wallet: value["wallet"].as_str().unwrap().to_string(),
        session_key: value["session_key"].as_str().unwrap().to_string(),
        expires_at: value["expires_at"].as_u64().unwrap(),
        allowances: value["allowances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| Allowance {
                asset: a["asset"].as_str().unwrap().to_string(),
                amount: a["amount"].as_str().unwrap().to_string(),
            })
            .collect(),
    }
}

#[test]
fn kat_copies_match_the_shared_originals() {
    if let Some(original) = shared_path("kat/sdk-0.5.3-wire.json") {
        let ours: Value = read_json(SDK_KAT);
        let theirs: Value =
            serde_json::from_str(&std::fs::read_to_string(original).unwrap()).unwrap();
        assert_eq!(
            ours, theirs,
            "tests/data/kat is stale: copy shared/kat again"
        );
    }
    if let Some(spec) = shared_path("spec/wire-and-auth.md") {
        let text = std::fs::read_to_string(spec).unwrap();
        let ours = read_json(SPEC_KAT);
        let mut stack = vec![&ours];
        while let Some(v) = stack.pop() {
            match v {
                Value::Object(m) => stack.extend(m.values()),
                Value::Array(a) => stack.extend(a.iter()),
                Value::String(s) if s.starts_with("0x") || s.starts_with('{') => {
                    assert!(text.contains(s.as_str()), "{s} is no longer in the spec")
                }
                _ => {}
            }
        }
    }
}

#[test]
fn sig_9_sdk_messages_are_reproduced_byte_for_byte() {
    let kat = read_json(SDK_KAT);
    let eip712 = &kat["auth_verify_eip712"];
    let policy = policy_from(
        &eip712["message"],
        eip712["domain"]["name"].as_str().unwrap(),
    );
    assert_eq!(
        to_hex(policy.digest().unwrap()),
        eip712["digest"].as_str().unwrap()
    );
    let mut checked = 0;
    for message in kat["messages"].as_array().unwrap() {
        let label = message["label"].as_str().unwrap();
        let req_text = message["req_text"].as_str().unwrap();
        let wire = message["wire"].as_str().unwrap();
        // Encoding: the SDK's JSON.stringify of the req array, keys in insertion order.
        let req: Vec<Value> = serde_json::from_str(req_text).unwrap();
        let encoded = encode_req(
            req[0].as_u64().unwrap(),
            req[1].as_str().unwrap(),
            &req[2],
            req[3].as_u64().unwrap(),
        );
        assert_eq!(encoded, req_text, "{label}: encoding");
        // Signing: one signature per signer over the exact req bytes.
        let signers: Vec<&str> = message["signers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        let sig = if req[1] == "auth_verify" {
            vec![policy.sign(&key(&kat, "walletA")).unwrap()]
        } else {
            let keys: Vec<SecretKey> = signers.iter().map(|s| key(&kat, s)).collect();
            sign_req(&encoded, &keys)
        };
        assert_eq!(encode_signed(&encoded, &sig), wire, "{label}: frame");
        // Recovery: each signature recovers its signer from the frame as received.
        let frame = parse_frame(wire).unwrap();
        assert_eq!(frame.raw, req_text);
        if req[1] != "auth_verify" {
            let recovered: Vec<String> = frame.signers().into_iter().map(Result::unwrap).collect();
            let expected: Vec<&str> = signers
                .iter()
                .map(|s| kat["keys"][*s]["address"].as_str().unwrap())
                .collect();
            assert_eq!(recovered, expected, "{label}: recovery");
        }
        checked += 1;
    }
    assert_eq!(checked, 9, "every SDK message is checked");
}

#[test]
fn vec_1_eip712_policy_digest_and_signature() {
    let kat = read_json(SPEC_KAT);
    let v = &kat["vec1"];
    let policy = policy_from(&v["policy"], "clearnode");
    let typed: alloy_dyn_abi::TypedData = serde_json::from_value(policy.typed_data_json()).unwrap();
    assert_eq!(
        to_hex(typed.domain.separator()),
        v["domain_separator"].as_str().unwrap()
    );
    assert_eq!(
        to_hex(typed.type_hash().unwrap()),
        v["type_hash_policy"].as_str().unwrap()
    );
    assert_eq!(
        to_hex(typed.hash_struct().unwrap()),
        v["hash_struct_policy"].as_str().unwrap()
    );
    assert_eq!(
        to_hex(keccak256("EIP712Domain(string name)".as_bytes())),
        v["type_hash_domain"].as_str().unwrap()
    );
    assert_eq!(
        to_hex(keccak256(
            "Allowance(string asset,string amount)".as_bytes()
        )),
        v["type_hash_allowance"].as_str().unwrap()
    );
    assert_eq!(
        to_hex(policy.digest().unwrap()),
        v["digest"].as_str().unwrap()
    );
    let wallet = key(&kat, "wallet");
    assert_eq!(
        policy.sign(&wallet).unwrap(),
        v["signature"].as_str().unwrap()
    );
    let recovered = nitrocert::crypto::recover(
        &policy.digest().unwrap(),
        &nitrocert::crypto::decode_prefixed_hex(v["signature"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        recovered,
        kat["keys"]["wallet"]["address"].as_str().unwrap()
    );

    let empty = Policy {
        allowances: vec![],
        ..policy.clone()
    };
    assert_eq!(
        to_hex(empty.digest().unwrap()),
        v["digest_no_allowances"].as_str().unwrap()
    );
    let sig = empty.sign(&wallet).unwrap();
    assert!(sig.starts_with(v["signature_no_allowances_prefix"].as_str().unwrap()));
    assert!(sig.ends_with(v["signature_no_allowances_suffix"].as_str().unwrap()));

    // The SDK's frames for this example.
    let frames = &v["frames"];
    let auth_request = frames["auth_request"].as_str().unwrap();
    let parsed = parse_frame(auth_request).unwrap();
    assert_eq!(
        encode_signed(
            &encode_req(2, "auth_request", &parsed.params, 1700000000000),
            &[]
        ),
        auth_request
    );
    let verify = encode_req(
        3,
        "auth_verify",
        &serde_json::json!({"challenge": policy.challenge}),
        1700000000000,
    );
    assert_eq!(
        encode_signed(&verify, &[policy.sign(&wallet).unwrap()]),
        frames["auth_verify"].as_str().unwrap()
    );
}

#[test]
fn auth_7_policy_hashing_fails_where_clearnode_fails() {
    let kat = read_json(SPEC_KAT);
    let policy = policy_from(&kat["vec1"]["policy"], "clearnode");
    for broken in [
        Policy {
            application: String::new(),
            ..policy.clone()
        },
        Policy {
            session_key: "0x1234".into(),
            ..policy.clone()
        },
        Policy {
            wallet: String::new(),
            ..policy.clone()
        },
    ] {
        assert!(broken.digest().is_err(), "{broken:?}");
    }
}

#[test]
fn vec_2_request_signature() {
    let kat = read_json(SPEC_KAT);
    let v = &kat["vec2"];
    let req = v["req"].as_str().unwrap();
    assert_eq!(
        to_hex(keccak256(req.as_bytes())),
        v["keccak"].as_str().unwrap()
    );
    let sk = key(&kat, "session_key");
    assert_eq!(sign_req(req, &[sk]), vec![v["signature"].as_str().unwrap()]);
    assert_eq!(
        nitrocert::crypto::recover_hex(req.as_bytes(), v["signature"].as_str().unwrap()).unwrap(),
        kat["keys"]["session_key"]["address"].as_str().unwrap()
    );
}

#[test]
fn vec_3_whitespace_and_eip191_recover_someone_else() {
    let kat = read_json(SPEC_KAT);
    let sig = kat["vec2"]["signature"].as_str().unwrap();
    let v = &kat["vec3"];
    let spaced = v["whitespace_req"].as_str().unwrap();
    assert_eq!(
        nitrocert::crypto::recover_hex(spaced.as_bytes(), sig).unwrap(),
        v["whitespace_recovers"].as_str().unwrap()
    );
    // An EIP-191 personal_sign signature by the session key over the same bytes.
    let req = kat["vec2"]["req"].as_str().unwrap();
    let mut prefixed = format!("\x19Ethereum Signed Message:\n{}", req.len()).into_bytes();
    prefixed.extend_from_slice(req.as_bytes());
    let eip191 = key(&kat, "session_key").sign_bytes_hex(&prefixed);
    assert!(eip191.starts_with(v["eip191_signature_prefix"].as_str().unwrap()));
    assert!(eip191.ends_with(v["eip191_signature_suffix"].as_str().unwrap()));
    // SIG-10: only a signature over exactly the bytes sent counts.
    let recovered = nitrocert::crypto::recover_hex(req.as_bytes(), &eip191).unwrap();
    assert_eq!(recovered, v["eip191_recovers"].as_str().unwrap());
    assert_ne!(
        recovered,
        kat["keys"]["session_key"]["address"].as_str().unwrap()
    );
}

#[test]
fn vec_4_and_vec_5_frames() {
    let kat = read_json(SPEC_KAT);
    for name in ["vec4", "vec5"] {
        let v = &kat[name];
        let wire = v["frame"].as_str().unwrap();
        let frame = parse_frame(wire).unwrap();
        if let Some(h) = v["keccak"].as_str() {
            assert_eq!(to_hex(frame.digest()), h);
        }
        let keys: Vec<SecretKey> = v["signers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| key(&kat, s.as_str().unwrap()))
            .collect();
        // SDK-1, SDK-2: the SDK's builders and signers, byte for byte.
        let req = encode_req(frame.id, &frame.method, &frame.params, frame.ts);
        assert_eq!(encode_signed(&req, &sign_req(&req, &keys)), wire, "{name}");
        let recovered: Vec<String> = frame.signers().into_iter().map(Result::unwrap).collect();
        let expected: Vec<String> = keys.iter().map(SecretKey::address).collect();
        assert_eq!(recovered, expected, "{name}");
    }
}

#[test]
fn vec_6_broker_response_signature() {
    let kat = read_json(SPEC_KAT);
    let v = &kat["vec6"];
    let frame = parse_frame(v["frame"].as_str().unwrap()).unwrap();
    assert_eq!(frame.raw, "[1,\"pong\",null,1700000000123]");
    assert_eq!(to_hex(frame.digest()), v["keccak"].as_str().unwrap());
    assert_eq!(
        frame.signers()[0].as_ref().unwrap(),
        kat["keys"]["broker"]["address"].as_str().unwrap()
    );
    // Signing the same bytes with the broker key gives the same signature (RFC 6979). RSIG-1:
    // the broker signs keccak256 of the exact `res` bytes, no prefix; RSIG-3: so the frame is
    // the broker's as sent.
    assert_eq!(sign_req(&frame.raw, &[key(&kat, "broker")]), frame.sig);
}

#[test]
fn sig_3_malformed_signatures_are_errors_not_panics() {
    let digest = keccak256(b"x");
    for (sig, want) in [
        ("0x", "length: got 0"),
        ("0x00", "length: got 1"),
        ("zz", "hex"),
        ("0xabc", "hex"),
    ] {
        // SIG-1: 0x-prefixed hex of 65 bytes, or an error.
        let err = nitrocert::crypto::Signature::from_hex(sig)
            .and_then(|s| s.recover(&digest))
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{sig}: {err}");
    }
    let mut bad_v = [1u8; 65];
    bad_v[64] = 29;
    assert!(nitrocert::crypto::recover(&digest, &bad_v).is_err());
    // r = s = 0 is not a signature.
    let zero = [0u8; 65];
    assert!(nitrocert::crypto::recover(&digest, &zero).is_err());
    // v = 0/1 and 27/28 are the same signature (SIG-3).
    let key = SecretKey::from_hex(&"11".repeat(32)).unwrap();
    let mut sig = key.sign_digest(&digest);
    let a = nitrocert::crypto::recover(&digest, &sig).unwrap();
    sig[64] -= 27;
    assert_eq!(nitrocert::crypto::recover(&digest, &sig).unwrap(), a);
    assert_eq!(a, key.address());
}

//! The CLI from outside: `sign`, `recover`, `keys` and `--help`, as a broker developer uses them.

use crate::util::{read_json, run};

#[test]
fn sign_reproduces_vec_2_and_the_sdk_frames() {
    let kat = read_json("tests/data/kat/spec-vectors.json");
    let sk = kat["keys"]["session_key"]["private_key"].as_str().unwrap();
    let (code, out, err) = run(&["sign", "--key", sk], "[1,\"ping\",{},1700000000000]\n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim_end(),
        format!(
            "{{\"req\":[1,\"ping\",{{}},1700000000000],\"sig\":[\"{}\"]}}",
            kat["vec2"]["signature"].as_str().unwrap()
        )
    );

    let sdk = read_json("tests/data/kat/sdk-0.5.3-wire.json");
    for message in sdk["messages"].as_array().unwrap() {
        let signers = message["signers"].as_array().unwrap();
        if signers.is_empty()
            || message["req_text"]
                .as_str()
                .unwrap()
                .contains("auth_verify")
        {
            continue;
        }
        let mut args = vec!["sign".to_string()];
        for s in signers {
            args.push("--key".into());
            args.push(
                sdk["keys"][s.as_str().unwrap()]["private_key"]
                    .as_str()
                    .unwrap()
                    .into(),
            );
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = run(&args, message["req_text"].as_str().unwrap());
        assert_eq!(code, 0, "{err}");
        assert_eq!(out.trim_end(), message["wire"].as_str().unwrap());
    }
}

#[test]
fn sign_keeps_whitespace_inside_the_array() {
    let key = "0x".to_string() + &"22".repeat(32);
    let (_, out, _) = run(
        &["sign", "--key", &key],
        "  [1, \"ping\", {}, 1700000000000]  \n",
    );
    assert!(out.starts_with("{\"req\":[1, \"ping\", {}, 1700000000000],\"sig\":[\"0x"));
    let (code, recovered, _) = run(&["recover"], &out);
    assert_eq!(code, 0);
    let (_, keys, _) = run(&["keys", "--count", "0"], "");
    assert!(keys.starts_with("role"));
    assert_eq!(
        recovered.trim(),
        nitrocert::crypto::SecretKey::from_hex(&key)
            .unwrap()
            .address()
    );
}

#[test]
fn recover_prints_each_signer_of_the_sdk_frames_and_vec_6() {
    let sdk = read_json("tests/data/kat/sdk-0.5.3-wire.json");
    let co_signed = sdk["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["signers"].as_array().unwrap().len() == 2)
        .unwrap();
    let (code, out, _) = run(&["recover"], co_signed["wire"].as_str().unwrap());
    assert_eq!(code, 0);
    let expected: Vec<&str> = co_signed["signers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            sdk["keys"][s.as_str().unwrap()]["address"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);

    let kat = read_json("tests/data/kat/spec-vectors.json");
    let (code, out, _) = run(&["recover"], kat["vec6"]["frame"].as_str().unwrap());
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        kat["keys"]["broker"]["address"].as_str().unwrap()
    );
}

#[test]
fn bad_input_gives_clear_errors_and_exit_codes() {
    let (code, out, _) = run(
        &["recover"],
        r#"{"req":[1,"ping",{},1],"sig":["0x00","0x1234"]}"#,
    );
    assert_eq!(code, 1);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        vec![
            "invalid: invalid signature length: got 1, want 65",
            "invalid: invalid signature length: got 2, want 65"
        ]
    );
    let (code, out, _) = run(&["recover"], r#"{"req":[1,"ping",{},1],"sig":["nothex"]}"#);
    assert_eq!(code, 1);
    assert_eq!(out.trim(), "invalid: not 0x-prefixed hex: \"nothex\"");
    let (code, _, err) = run(&["recover"], "not a frame");
    assert_eq!(code, 2);
    assert!(err.contains("not JSON"), "{err}");
    let (code, _, err) = run(&["sign", "--key", "0x1234"], "[1,\"ping\",{},1]");
    assert_eq!(code, 2);
    assert!(err.contains("--key"), "{err}");
    let (code, _, err) = run(&["sign", "--key", &"11".repeat(32)], "{\"a\":1}");
    assert_eq!(code, 2);
    assert!(err.contains("--raw"), "{err}");
    let (code, out, _) = run(&["sign", "--raw", "--key", &"11".repeat(32)], "{\"a\":1}");
    assert_eq!(code, 0);
    assert!(out.starts_with("{\"req\":{\"a\":1},\"sig\":[\"0x"));
}

#[test]
fn every_command_explains_itself_with_an_example() {
    for args in [
        vec!["--help"],
        vec!["sign", "--help"],
        vec!["recover", "--help"],
        vec!["keys", "--help"],
    ] {
        let (code, out, _) = run(&args, "");
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Example"), "{args:?} has no example:\n{out}");
    }
}

#[test]
fn destructive_probes_need_the_flag_and_a_loopback_endpoint() {
    let (code, _, err) = run(&["probe", "--endpoint", "ws://127.0.0.1:1/ws"], "");
    assert_eq!(code, 2);
    assert!(err.contains("--destructive"), "{err}");
    let (code, _, err) = run(
        &[
            "probe",
            "--destructive",
            "--endpoint",
            "ws://10.0.0.1:8000/ws",
        ],
        "",
    );
    assert_eq!(code, 2);
    assert!(err.contains("loopback"), "{err}");
}

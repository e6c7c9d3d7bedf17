//! `nitrocert bench --quick` runs end to end and writes a well-formed report. No figure is
//! judged: speed is measured by the bench, never asserted by a test.

use crate::util::{repo_path, run};

#[test]
fn bench_quick_writes_markdown_and_json() {
    let out = std::env::temp_dir().join(format!("nitrocert-bench-{}", std::process::id()));
    let vectors = repo_path("vectors");
    let (code, stdout, stderr) = run(
        &[
            "bench",
            "--quick",
            "--out",
            out.to_str().unwrap(),
            "--vectors",
            vectors.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap()).unwrap();
    let figures = json["figures"].as_array().expect("figures");
    let value = |key: &str| {
        figures
            .iter()
            .find(|f| f["key"] == key)
            .and_then(|f| f["value"].as_f64())
            .unwrap_or_else(|| panic!("no figure {key}: {json}"))
    };
    for key in [
        "model_verdict_steps_per_s",
        "model_full_steps_per_s",
        "sign_us",
        "recover_us",
        "signed_limit_per_s",
        "ws_echo_rt_per_s",
        "ws_broker_ping_rt_per_s",
        "certify_in_process_cases_per_s",
        "certify_in_process_signed_per_s",
        "certify_in_process_limit_ratio",
        "certify_over_socket_cases_per_s",
        "certify_over_socket_signed_per_s",
        "certify_over_socket_limit_ratio",
        "fuzz_steps_per_s",
        "fuzz_target_frame_exec_per_s",
        "fuzz_target_model_sequence_exec_per_s",
        "fuzz_target_broker_frame_exec_per_s",
        "fuzz_target_differential_exec_per_s",
    ] {
        let v = value(key);
        assert!(v.is_finite() && v > 0.0, "{key} = {v}");
    }
    // The physical limit is derived from the two primitives measured in the same run.
    let limit = json["cores"].as_f64().unwrap() * 1e6 / (value("sign_us") + value("recover_us"));
    assert!((value("signed_limit_per_s") - limit).abs() <= limit * 1e-9);
    // The certify runs were real runs: the embedded broker passes what it was given.
    let note = |key: &str| {
        figures.iter().find(|f| f["key"] == key).unwrap()["note"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for key in [
        "certify_in_process_cases_per_s",
        "certify_over_socket_cases_per_s",
    ] {
        let n = note(key);
        assert!(n.contains(" 0 fail, 0 error"), "{key}: {n}");
    }
    let curve = json["curve"].as_array().expect("curve");
    assert_eq!(
        curve.len(),
        6,
        "three certify and three fuzz points: {json}"
    );
    for (point, unit) in curve
        .iter()
        .zip(["cases", "cases", "cases", "steps", "steps", "steps"])
    {
        assert_eq!(point["unit"], unit, "{point}");
        assert!(point["work"].as_u64().unwrap() > 0, "{point}");
        assert!(point["seconds"].as_f64().unwrap() > 0.0, "{point}");
    }
    // Copies with fresh ids: 1×, 2× and 4× the cases.
    let cases: Vec<u64> = curve[..3]
        .iter()
        .map(|p| p["work"].as_u64().unwrap())
        .collect();
    assert_eq!([cases[0] * 2, cases[0] * 4], [cases[1], cases[2]]);
    let md = std::fs::read_to_string(out.join("bench.md")).unwrap();
    assert!(md.contains("| what | value | unit | note |"), "{md}");
    assert!(md.contains("## Cost curve"), "{md}");
    assert!(stdout.contains("## Cost curve"), "the table is printed too");
    let _ = std::fs::remove_dir_all(&out);
}

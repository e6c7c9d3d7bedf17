//! `nitrocert fuzz` end to end through the binary: a clean embedded broker gives no finding; a
//! seeded bug gives a finding, the same report and the same regression vector on every run with
//! the same seed, and that vector fails `certify` with the bug and passes without it.

use crate::util::run;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("nitrocert-fuzz-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn the_clean_embedded_broker_has_no_finding() {
    let dir = temp_dir("clean");
    let (code, stdout, stderr) = run(
        &[
            "fuzz",
            "--seed",
            "1",
            "--steps",
            "48",
            "--regressions",
            dir.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("no finding: seed 1"), "{stdout}");
    assert!(!dir.exists(), "nothing written without a finding");
}

#[test]
fn a_seeded_bug_is_found_shrunk_and_replayable() {
    let fault = "close-skips-credit";
    let dir = temp_dir(fault);
    let args = [
        "fuzz",
        "--seed",
        "1",
        "--fault",
        fault,
        "--regressions",
        dir.to_str().unwrap(),
    ];
    let (code, first, stderr) = run(&args, "");
    assert_eq!(code, 1, "{first}\n{stderr}");
    let path = dir.join(format!("{fault}-1.json"));
    assert!(
        first.contains(&format!("regression vector: {}", path.display())),
        "{first}"
    );
    let written = std::fs::read_to_string(&path).unwrap();
    // Same seed: the same report and the same file.
    let (code, second, _) = run(&args, "");
    assert_eq!(code, 1);
    assert_eq!(first, second);
    assert_eq!(written, std::fs::read_to_string(&path).unwrap());
    let vector: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(vector["format"], "nitrocert-vector/2");
    assert_eq!(vector["id"], format!("regressions/{fault}-1"));
    assert!(vector["steps"].as_array().unwrap().len() <= 4, "{written}");
    let out = dir.join("report");
    let certify = |extra: &[&str]| {
        let mut a = vec![
            "certify",
            "--vectors",
            path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        run(&a, "").0
    };
    assert_eq!(certify(&["--fault", fault]), 1);
    assert_eq!(certify(&[]), 0);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_unknown_fault_is_a_usage_error() {
    let (code, _, stderr) = run(&["fuzz", "--fault", "no-such-bug"], "");
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown fault"), "{stderr}");
}

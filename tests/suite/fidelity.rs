//! `nitrocert fuzz --mutate` (the fidelity campaign) end to end through the binary: the model
//! served by the embedded broker agrees with itself on every mutated step; a seeded bug on a
//! path only mutations take (a stale timestamp accepted) shows up as a group of divergences,
//! and its shrunk vector is written.

use crate::util::run;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("nitrocert-fidelity-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

// FUZZ-1: the embedded broker is the model, so every step agrees, mutated or not.
#[test]
fn the_embedded_broker_agrees_with_the_model_on_every_mutated_step() {
    let dir = temp_dir("clean");
    let args = [
        "fuzz",
        "--mutate",
        "50",
        "--seed",
        "3",
        "--steps",
        "80",
        "--jobs",
        "4",
        "--fidelity-out",
        dir.to_str().unwrap(),
    ];
    let (code, stdout, stderr) = run(&args, "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("0 diverging, 0 groups"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("fidelity.json")).unwrap()).unwrap();
    let steps = report["steps"].as_u64().unwrap();
    assert!(steps >= 80, "{report}");
    assert_eq!(report["agreeing"].as_u64(), Some(steps));
    // Mutated steps were played, not only plain ones.
    let labels = report["labels"].as_object().unwrap();
    assert!(labels.keys().any(|l| l.contains('/')), "{labels:?}");
    let _ = std::fs::remove_dir_all(dir);
}

// WIRE-12: with req[3] unchecked, a timestamp mutation is accepted where the model rejects it.
#[test]
fn a_seeded_bug_on_a_mutated_path_is_grouped_and_shrunk() {
    let dir = temp_dir("fault");
    let args = [
        "fuzz",
        "--mutate",
        "35",
        "--seed",
        "1",
        "--steps",
        "150",
        "--jobs",
        "4",
        "--fault",
        "timestamp-unchecked",
        "--max-shrinks",
        "1",
        "--shrink-budget",
        "20",
        "--fidelity-out",
        dir.to_str().unwrap(),
    ];
    let (code, stdout, stderr) = run(&args, "");
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stdout.contains("/timestamp accept/reject"), "{stdout}");
    let shrunk: Vec<_> = std::fs::read_dir(dir.join("vectors")).unwrap().collect();
    assert_eq!(shrunk.len(), 1, "{stdout}");
    let _ = std::fs::remove_dir_all(dir);
}

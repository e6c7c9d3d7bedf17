//! `certify` end to end: a separate `nitrocert serve` process certified over the real socket,
//! and seeded-bug brokers that the runner must catch (books wrong, never answers, a missing
//! push).

use crate::util::{repo_path, run};
use nitrocert::crypto::identity::{derive, Role};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn report(dir: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json is written");
    serde_json::from_str(&text).unwrap()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("nitrocert-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn lifecycle() -> String {
    repo_path("vectors/lifecycle").display().to_string()
}

#[test]
fn certifies_a_separate_serve_process_over_the_socket() {
    let funder = derive(77, Role::Wallet, 0);
    let mut serve = Command::new(env!("CARGO_BIN_EXE_nitrocert"))
        .args(["serve", "--port", "0", "--fund"])
        .arg(format!("{}:usdc:1000000000", funder.address()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kept open for the whole test: serve keeps printing, and a closed pipe would end it.
    let mut stdout = BufReader::new(serve.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("ws://"))
        .unwrap_or_else(|| panic!("serve printed {line:?}"))
        .to_string();
    let out = temp_dir("serve");
    let (code, stdout, stderr) = run(
        &[
            "certify",
            "--endpoint",
            &url,
            "--funder-key",
            &funder.to_hex(),
            "--vectors",
            &lifecycle(),
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    // The reference broker survives the inputs that crash Clearnode v0.5.2 (FUZZ-1, FUZZ-2).
    let (probe_code, probe_out, probe_err) =
        run(&["probe", "--destructive", "--endpoint", &url], "");
    let _ = serve.kill();
    let _ = serve.wait();
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(probe_code, 0, "{probe_err}");
    assert!(probe_out.contains("FUZZ-1\tsurvived"), "{probe_out}");
    assert!(probe_out.contains("FUZZ-2\tsurvived"), "{probe_out}");
    let r = report(&out);
    assert_eq!(r["summary"]["pass"], 3, "{stdout}");
    assert_eq!(r["endpoint"], url.as_str());
}

fn certify_with_fault(fault: &str, timeout_ms: &str) -> (i32, serde_json::Value) {
    let out = temp_dir(fault);
    let (code, stdout, stderr) = run(
        &[
            "certify",
            "--fault",
            fault,
            "--timeout-ms",
            timeout_ms,
            "--vectors",
            &lifecycle(),
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    assert_ne!(code, 2, "{stdout}\n{stderr}");
    (code, report(&out))
}

fn findings(report: &serde_json::Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for case in report["cases"].as_array().unwrap() {
        for step in case["steps"].as_array().unwrap() {
            for f in step["findings"].as_array().unwrap() {
                out.push((
                    f["class"].as_str().unwrap().to_string(),
                    f["what"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out
}

#[test]
fn catches_a_broker_that_answers_right_but_books_wrong() {
    let (code, r) = certify_with_fault("close-skips-credit", "5000");
    assert_eq!(code, 1);
    let f = findings(&r);
    assert!(
        f.contains(&("FAIL".to_string(), "balance".to_string())),
        "{f:?}"
    );
    // The replies themselves were right: no accept/reject or field finding.
    assert!(!f.iter().any(|(_, what)| what == "accept/reject"), "{f:?}");
}

#[test]
fn catches_a_broker_that_never_answers_within_the_timeout() {
    let started = std::time::Instant::now();
    let (code, r) = certify_with_fault("silent", "300");
    assert_eq!(code, 1);
    assert_eq!(r["summary"]["error"], 3, "{r}");
    // Three cases, each stopped by one 300 ms timeout (plus setup): far from a hang.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn catches_a_missing_notification() {
    let (code, r) = certify_with_fault("no-asu", "5000");
    assert_eq!(code, 1);
    assert!(findings(&r).contains(&("FAIL".to_string(), "notification".to_string())));
}

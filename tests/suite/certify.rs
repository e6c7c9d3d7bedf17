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

/// A run of `vector` (a file) against a broker with `fault`, with an optional known list.
fn certify_file(
    vector: &str,
    fault: &str,
    known: Option<&std::path::Path>,
    out: &std::path::Path,
) -> (i32, String) {
    let mut args = vec![
        "certify",
        "--fault",
        fault,
        "--vectors",
        vector,
        "--out",
        out.to_str().unwrap(),
    ];
    if let Some(k) = known {
        args.extend(["--known", k.to_str().unwrap()]);
    }
    let (code, stdout, stderr) = run(&args, "");
    (code, format!("{stdout}\n{stderr}"))
}

#[test]
fn known_divergences_are_pinned_to_their_findings() {
    let dir = temp_dir("known");
    std::fs::create_dir_all(&dir).unwrap();
    let vector = repo_path("vectors/lifecycle/clearnode-integration-v02.json");
    let vector = vector.to_str().unwrap();
    // A broker that never pushes `asu` fails the case …
    let (code, log) = certify_file(vector, "no-asu", None, &dir.join("r1"));
    assert_eq!(code, 1, "{log}");
    // … `report known` pins that failure …
    let report_json = dir.join("r1/report.json");
    let (code, list, err) = run(&["report", "known", report_json.to_str().unwrap()], "");
    assert_eq!(code, 0, "{err}");
    let mut list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let entry = &mut list["cases"]["lifecycle/clearnode-integration-v02"];
    assert!(!entry["findings"].as_array().unwrap().is_empty(), "{list}");
    entry["quirks"] = serde_json::json!(["Q-1"]);
    entry["reason"] = "test: the seeded no-asu bug".into();
    let known = dir.join("known.json");
    std::fs::write(&known, list.to_string()).unwrap();
    // … so the same run is XFAIL and conformant.
    let (code, log) = certify_file(vector, "no-asu", Some(&known), &dir.join("r2"));
    assert_eq!(code, 0, "{log}");
    assert_eq!(report(&dir.join("r2"))["summary"]["xfail"], 1);
    // Another bug inside the listed case (close does not credit): not the listed divergence.
    let (code, log) = certify_file(vector, "close-skips-credit", Some(&known), &dir.join("r3"));
    assert_eq!(code, 1, "{log}");
    let class = report(&dir.join("r3"))["cases"][0]["class"].clone();
    assert!(class == "FAIL" || class == "XPASS", "{class}");
    // One field of one frame changed in the file: its expectations no longer hold for the
    // bytes it sends, which is the harness's error (HARNESS), never the listed divergence or a finding.
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(vector).unwrap()).unwrap();
    let req = v["steps"][1]["action"]["request"]["req"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(req.contains(r#""amount":"50""#), "{req}");
    v["steps"][1]["action"]["request"]["req"] = req
        .replacen(r#""amount":"50""#, r#""amount":"49""#, 1)
        .into();
    let perturbed = dir.join("perturbed.json");
    std::fs::write(&perturbed, v.to_string()).unwrap();
    let (code, log) = certify_file(
        perturbed.to_str().unwrap(),
        "no-asu",
        Some(&known),
        &dir.join("r5"),
    );
    // HARNESS: no verdict on the broker (exit 2), never a finding.
    assert_eq!(code, 2, "{log}");
    let case = &report(&dir.join("r5"))["cases"][0];
    assert_eq!(case["class"], "HARNESS", "{case}");
    assert!(
        case.to_string().contains("the vector does not hold"),
        "{case}"
    );
    // The clean broker passes the listed case: XPASS, the list is stale.
    let (code, _, log) = run(
        &[
            "certify",
            "--vectors",
            vector,
            "--out",
            dir.join("r4").to_str().unwrap(),
            "--known",
            known.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 1, "{log}");
    assert_eq!(report(&dir.join("r4"))["summary"]["xpass"], 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_malformed_or_stale_known_list_is_refused_before_the_run() {
    let dir = temp_dir("known-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let entry = serde_json::json!({"quirks": ["Q-1"], "reason": "r", "class": "PASS",
        "findings": [{"step": 0, "action": "transfer", "class": "FAIL", "what": "balance", "hash": "0123456789ab"}]});
    let write = |name: &str, id: &str, entry: &serde_json::Value| {
        let path = dir.join(name);
        std::fs::write(&path, serde_json::json!({"cases": {id: entry}}).to_string()).unwrap();
        path
    };
    let out = dir.join("out");
    let lifecycle = lifecycle();
    // An invalid class is a usage error.
    let bad = write("bad.json", "lifecycle/clearnode-integration-v02", &entry);
    let (code, _, stderr) = run(
        &[
            "certify",
            "--vectors",
            &lifecycle,
            "--known",
            bad.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not a divergence"), "{stderr}");
    // An id that is no vector fails a full run, before any case runs.
    let mut good = entry.clone();
    good["class"] = "FAIL".into();
    let stale = write("stale.json", "area/no-such-case", &good);
    let (code, _, stderr) = run(
        &[
            "certify",
            "--known",
            stale.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("is stale") && stderr.contains("area/no-such-case"),
        "{stderr}"
    );
    assert!(!out.exists(), "the run must not start");
    // A subset run leaves out the entries of vectors it did not load, and says so.
    let (code, _, stderr) = run(
        &[
            "certify",
            "--vectors",
            &lifecycle,
            "--known",
            stale.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("subset run: 1 entries"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_subset_run_never_writes_into_the_full_runs_folder() {
    // Run from a scratch folder so the default folders are created there, not in the repo.
    let dir = temp_dir("subset-folder");
    std::fs::create_dir_all(&dir).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_nitrocert"))
        .args(["certify", "--vectors", &lifecycle()])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(dir
        .join("reports/embedded/clearnode-0.5.2-subset/report.json")
        .exists());
    assert!(!dir.join("reports/embedded/clearnode-0.5.2").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// (case id, class) of every case, in report order.
fn verdicts(report: &serde_json::Value) -> Vec<(String, String)> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().into(),
                c["class"].as_str().unwrap().into(),
            )
        })
        .collect()
}

/// Cases run concurrently (`--jobs`) come out in the vectors' order with the verdicts of a
/// run one at a time, FAILs included; a small challenge budget (AUTH-9) makes the run release
/// completed logins and purge the broker's challenges between cases, and no case may notice
/// (`auth/challenge-reused` presents its own used challenge again, AUTH-7).
#[test]
fn concurrent_cases_keep_the_verdicts_and_the_order() {
    let vectors = [repo_path("vectors/auth"), repo_path("vectors/close")];
    let mut runs = Vec::new();
    for (jobs, budget) in [("1", "800"), ("6", "800"), ("6", "24")] {
        let out = temp_dir(&format!("jobs-{jobs}-{budget}"));
        let mut args = vec!["certify", "--fault", "close-skips-credit", "--jobs", jobs];
        args.extend(["--challenge-budget", budget, "--out", out.to_str().unwrap()]);
        for v in &vectors {
            args.extend(["--vectors", v.to_str().unwrap()]);
        }
        let (code, stdout, stderr) = run(&args, "");
        assert_eq!(code, 1, "the fault is caught\n{stdout}\n{stderr}");
        runs.push(verdicts(&report(&out)));
    }
    let serial = &runs[0];
    let fails = serial.iter().filter(|(_, class)| class == "FAIL").count();
    let passes = serial.iter().filter(|(_, class)| class == "PASS").count();
    assert!(fails > 0 && passes > 0, "{serial:?}");
    assert!(serial.iter().any(|(id, _)| id == "auth/challenge-reused"));
    let mut ids: Vec<&String> = serial.iter().map(|(id, _)| id).collect();
    let in_order = ids.clone();
    ids.sort();
    assert_eq!(ids, in_order, "the report keeps the vectors' order");
    assert_eq!(&runs[1], serial, "--jobs 6");
    assert_eq!(&runs[2], serial, "--jobs 6 --challenge-budget 24");
}

/// #10 item 7: on a broker whose clock the harness cannot move (`serve` without `--control`),
/// a case whose gap is a session key's lifetime runs in real time with a short key instead of
/// SKIP needs-clock; a gap made of a broker constant (the 5-minute challenge TTL) still SKIPs.
#[test]
fn expired_key_cases_run_in_real_time_without_a_clock_hook() {
    let funder = derive(78, Role::Wallet, 0);
    let mut serve = Command::new(env!("CARGO_BIN_EXE_nitrocert"))
        .args(["serve", "--port", "0", "--fund"])
        .arg(format!("{}:usdc:1000000000", funder.address()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(serve.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("ws://"))
        .unwrap_or_else(|| panic!("serve printed {line:?}"))
        .to_string();
    let out = temp_dir("real-time");
    let expired = repo_path("vectors/session-keys/create-with-expired-key-v04.json");
    let ttl = repo_path("vectors/auth/challenge-expired.json");
    let (code, stdout_text, stderr) = run(
        &[
            "certify",
            "--endpoint",
            &url,
            "--funder-key",
            &funder.to_hex(),
            "--vectors",
            expired.to_str().unwrap(),
            "--vectors",
            ttl.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    let _ = serve.kill();
    let _ = serve.wait();
    assert_eq!(code, 0, "{stdout_text}\n{stderr}");
    let r = report(&out);
    let case = |id: &str| {
        r["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {r}"))
            .clone()
    };
    let expired = case("session-keys/create-with-expired-key-v04");
    assert_eq!(expired["class"], "PASS", "{expired}");
    assert!(
        expired["note"].as_str().unwrap().contains("real time"),
        "{expired}"
    );
    // The key had expired when the step came: its signature no longer counts (with the key
    // alive the broker accepts the session, and the shadow, on the same clock, expects it).
    let replies: Vec<&str> = expired["steps"][0]["wire"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["dir"] == "<")
        .map(|w| w["text"].as_str().unwrap())
        .collect();
    assert!(
        replies
            .iter()
            .any(|t| t.contains("missing signature for participant")),
        "{replies:?}"
    );
    let ttl = case("auth/challenge-expired");
    assert_eq!(ttl["class"], "SKIP", "{ttl}");
    assert!(
        ttl["note"].as_str().unwrap().contains("needs-clock"),
        "{ttl}"
    );
}

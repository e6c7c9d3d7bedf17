//! Verdicts that can be trusted (issue #10): the harness's own trouble is never a finding
//! (HARNESS, exit 2, never shrunk into a vector), a notification leaked to a wallet not entitled
//! to it is a FAIL in both profiles, a repeated certification gives every case the same verdict,
//! and the same fuzz seed gives the same findings.

use crate::util::{repo_path, run};
use futures_util::{SinkExt, StreamExt};
use nitrocert::broker::{self, BrokerHandle};
use nitrocert::campaign::{self, CampaignConfig};
use nitrocert::cli::serve::{build_engine, Funding as Fund};
use nitrocert::client::{Connection, Limits};
use nitrocert::crypto::identity::{derive, Role};
use nitrocert::engine::Fault;
use nitrocert::gen::GenConfig;
use nitrocert::model::Profile;
use nitrocert::report::{Class, RunReport};
use nitrocert::runner::{self, known::KnownDivergences, Funding, Quiet, RunConfig, Target};
use nitrocert::vectors::{self, Vector};
use nitrocert::wire::{encode_req, encode_signed};
use serde_json::json;
use std::time::Duration;
use tokio::task::JoinHandle;

const SEED: u64 = 21;

fn limits() -> Limits {
    Limits {
        reply_timeout_ms: 2_000,
        ..Limits::default()
    }
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("nitrocert-verdicts-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn lifecycle() -> Vec<Vector> {
    vectors::files(&repo_path("vectors/lifecycle"))
        .unwrap()
        .iter()
        .map(|p| vectors::load(p).unwrap())
        .collect()
}

/// The embedded broker (clearnode-0.5.2 profile) with a funded wallet for `--funder-key`.
async fn funded_broker() -> (BrokerHandle, nitrocert::crypto::SecretKey) {
    let funder = derive(SEED, Role::Wallet, 99);
    let fund = Fund {
        wallet: funder.address(),
        asset: "usdc".into(),
        amount: "1000000".into(),
    };
    let engine = build_engine(
        Profile::Clearnode052,
        &["usdc".to_string()],
        &[fund],
        derive(SEED, Role::Broker, 0),
        SEED,
    );
    let handle = broker::spawn(engine, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    (handle, funder)
}

/// Fills the broker's store of pending challenges (AUTH-9: 1000, global in the
/// clearnode-0.5.2 profile), as a harness's own earlier logins would; the next `auth_request`
/// is refused with `failed to generate challenge`.
async fn fill_challenge_store(url: &str) {
    let mut conn = Connection::connect(url, limits()).await.unwrap();
    let params = json!({"address": derive(SEED, Role::Wallet, 98).address(),
        "session_key": derive(SEED, Role::SessionKey, 98).address(), "application": "clearnode",
        "allowances": [], "expires_at": 1_900_000_000u64, "scope": "console"});
    for _ in 0..1000 {
        let id = conn.next_id();
        let req = encode_req(id, "auth_request", &params, nitrocert::client::now_ms());
        let x = conn.exchange(&encode_signed(&req, &[])).await.unwrap();
        assert_eq!(x.reply.frame.method, "auth_challenge");
    }
    let id = conn.next_id();
    let req = encode_req(id, "auth_request", &params, nitrocert::client::now_ms());
    let x = conn.exchange(&encode_signed(&req, &[])).await.unwrap();
    assert_eq!(
        x.reply.frame.error_message(),
        Some("failed to generate challenge")
    );
    conn.close().await;
}

async fn certify(target: Target, profile: Profile, vectors: &[Vector]) -> RunReport {
    let config = RunConfig {
        target,
        profile,
        seed: SEED,
        known: KnownDivergences::default(),
        broker_address: None,
        jobs: 1,
    };
    runner::run(&config, vectors, &mut Quiet).await
}

fn harness_messages(report: &RunReport) -> Vec<String> {
    report
        .cases
        .iter()
        .flat_map(|c| c.steps.iter().flat_map(|s| s.findings.iter()))
        .filter(|f| f.class == Class::Harness)
        .map(|f| f.message.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_fund_command_is_harness_trouble_not_a_finding() {
    let (handle, _) = funded_broker().await;
    let target = Target::remote(
        &handle.url(),
        None,
        Funding::Command("echo no ledger here >&2; exit 3".into()),
        limits(),
    );
    let report = certify(target, Profile::Clearnode052, &lifecycle()).await;
    handle.stop().await;
    let classes: Vec<Class> = report.cases.iter().map(|c| c.class).collect();
    assert_eq!(classes, [Class::Harness; 3]);
    assert_eq!(report.summary.harness, 3);
    assert_eq!(runner::exit_code(&report), 2);
    assert!(!report.summary.conformant());
    let messages = harness_messages(&report);
    assert!(messages[0].contains("no ledger here"), "{messages:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_challenge_store_is_harness_trouble_not_a_finding() {
    // Issue #10 items 1 and 3: the harness's own logins refused by AUTH-9's cap.
    let (handle, funder) = funded_broker().await;
    fill_challenge_store(&handle.url()).await;
    let target = Target::remote(
        &handle.url(),
        None,
        Funding::Funder(runner::funder::Funder::new(funder)),
        limits(),
    );
    let report = certify(target, Profile::Clearnode052, &lifecycle()).await;
    handle.stop().await;
    assert!(
        report.cases.iter().all(|c| c.class == Class::Harness),
        "{:?}",
        report.cases.iter().map(|c| c.class).collect::<Vec<_>>()
    );
    assert_eq!(runner::exit_code(&report), 2);
    let messages = harness_messages(&report);
    assert!(
        messages
            .iter()
            .all(|m| m.contains("failed to generate challenge")),
        "{messages:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_exits_2_and_says_why_when_the_harness_cannot_run() {
    let (handle, funder) = funded_broker().await;
    fill_challenge_store(&handle.url()).await;
    let out = temp_dir("harness-certify");
    let (url, key, dir) = (handle.url(), funder.to_hex(), out.display().to_string());
    let lifecycle = repo_path("vectors/lifecycle").display().to_string();
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || {
        run(
            &[
                "certify",
                "--endpoint",
                &url,
                "--funder-key",
                &key,
                "--vectors",
                &lifecycle,
                "--timeout-ms",
                "2000",
                "--out",
                &dir,
            ],
            "",
        )
    })
    .await
    .unwrap();
    handle.stop().await;
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stdout.starts_with("NO VERDICT (harness trouble)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the harness could not run 3 cases"),
        "{stdout}"
    );
    assert!(stdout.contains("failed to generate challenge"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["summary"]["harness"], 3);
    assert_eq!(report["summary"]["error"], 0);
    let _ = std::fs::remove_dir_all(&out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_reports_harness_trouble_and_never_shrinks_it_into_a_vector() {
    // Issue #10 item 1: `fuzz --seed 5` once shrank the broker's refusal of the harness's own
    // login into vectors/regressions/embedded-5.json.
    let (handle, funder) = funded_broker().await;
    fill_challenge_store(&handle.url()).await;
    let dir = temp_dir("harness-fuzz");
    let target = Target::remote(
        &handle.url(),
        None,
        Funding::Funder(runner::funder::Funder::new(funder.clone())),
        limits(),
    );
    let config = CampaignConfig {
        profile: Profile::Clearnode052,
        seed: 5,
        gen: GenConfig::default(),
        max_steps: Some(60),
        time_limit: None,
        label: "embedded".into(),
        shrink_budget: 10,
        regressions: Some(dir.clone()),
        jobs: 2,
        shard: Default::default(),
    };
    let rt = tokio::runtime::Handle::current();
    let report = tokio::task::spawn_blocking(move || {
        campaign::run(&config, &target, &rt, &mut |_, _| {}).unwrap()
    })
    .await
    .unwrap();
    assert!(
        report.catch.is_none(),
        "{:?}",
        report.catch.map(|c| c.message)
    );
    let trouble = report.harness.expect("harness trouble is reported");
    assert_eq!(trouble.sequence, 0);
    assert!(
        trouble.message.contains("failed to generate challenge"),
        "{}",
        trouble.message
    );
    assert!(!dir.exists(), "nothing written");
    // The binary: exit 2, the reason, no vector.
    let (url, key, out) = (handle.url(), funder.to_hex(), dir.display().to_string());
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || {
        run(
            &[
                "fuzz",
                "--endpoint",
                &url,
                "--funder-key",
                &key,
                "--seed",
                "5",
                "--steps",
                "60",
                "--regressions",
                &out,
            ],
            "",
        )
    })
    .await
    .unwrap();
    handle.stop().await;
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("HARNESS TROUBLE: seed 5, sequence 0"),
        "{stdout}"
    );
    assert!(stdout.contains("failed to generate challenge"), "{stdout}");
    assert!(!dir.exists(), "nothing written");
}

/// The vector where a wallet that shares another session with a participant is logged in
/// while the session's state is submitted (NOTIF-6).
fn leak_vector() -> Vector {
    vectors::load(&repo_path(
        "vectors/submit-v04-operate/asu-only-to-participants.json",
    ))
    .unwrap()
}

// NOTIF-6, NOTIF-1: an `asu` pushed to a wallet that is not a participant leaks the session's
// balances: a FAIL in both profiles; the clean broker passes the same vector.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notif_6_a_leaked_asu_fails_in_both_profiles() {
    for profile in Profile::ALL {
        for fault in [None, Some(Fault::LeakyAsu)] {
            let (target, handle) = campaign::spawn_embedded(profile, fault, SEED, limits())
                .await
                .unwrap();
            let case = runner::case::run(&leak_vector(), &target, profile, SEED).await;
            handle.stop().await;
            let leaks: Vec<&str> = case
                .steps
                .iter()
                .flat_map(|s| s.findings.iter())
                .filter(|f| f.what == "notification leak")
                .map(|f| f.message.as_str())
                .collect();
            match fault {
                None => assert_eq!(case.class, Class::Pass, "{profile}: {leaks:?}"),
                Some(_) => {
                    assert_eq!(case.class, Class::Fail, "{profile}");
                    assert_eq!(leaks.len(), 1, "{profile}: {leaks:?}");
                    assert!(
                        leaks[0].starts_with("C: an `asu` of session"),
                        "{}",
                        leaks[0]
                    );
                }
            }
        }
    }
}

#[test]
fn repeat_runs_the_same_certification_and_finds_every_verdict_stable() {
    let out = temp_dir("repeat");
    let lifecycle = repo_path("vectors/lifecycle").display().to_string();
    let (code, stdout, stderr) = run(
        &[
            "certify",
            "--repeat",
            "3",
            "--profile",
            "spec",
            "--vectors",
            &lifecycle,
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("repeat: 3 runs, every one of 3 cases had the same verdict in all runs"),
        "{stdout}"
    );
    assert_eq!(stderr.matches("run ").count(), 3, "{stderr}");
    let _ = std::fs::remove_dir_all(&out);
    // A broker the harness cannot reset keeps the first run's wallets: refused up front.
    let (code, _, stderr) = run(
        &[
            "certify",
            "--repeat",
            "2",
            "--endpoint",
            "ws://127.0.0.1:9/ws",
            "--vectors",
            &lifecycle,
        ],
        "",
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("--repeat needs a broker"), "{stderr}");
}

#[test]
fn the_same_fuzz_seed_gives_the_same_findings() {
    // The clean broker in both profiles, and a seeded leak with cases run side by side: the
    // report and the regression file are functions of the seed.
    for args in [
        vec!["--profile", "clearnode-0.5.2", "--steps", "60"],
        vec!["--profile", "spec", "--steps", "60"],
        vec![
            "--fault",
            "leaky-asu",
            "--jobs",
            "2",
            "--shrink-budget",
            "40",
        ],
    ] {
        let dir = temp_dir(&format!("same-seed-{}", args[1]));
        let mut all = vec![
            "fuzz",
            "--seed",
            "3",
            "--regressions",
            dir.to_str().unwrap(),
        ];
        all.extend(args.iter().copied());
        let (code, first, stderr) = run(&all, "");
        let written = std::fs::read_to_string(dir.join("leaky-asu-3.json")).ok();
        let (again, second, _) = run(&all, "");
        assert_eq!((code, &first), (again, &second), "{args:?}: {stderr}");
        assert_eq!(
            written,
            std::fs::read_to_string(dir.join("leaky-asu-3.json")).ok()
        );
        match args[0] {
            "--fault" => {
                assert_eq!(code, 1, "{first}");
                assert!(first.contains("FAIL notification leak"), "{first}");
                assert!(written.is_some());
            }
            _ => {
                assert_eq!(code, 0, "{first}");
                assert!(first.contains("no finding: seed 3"), "{first}");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A proxy in front of `upstream` that holds every `auth_request` for `delay` before passing
/// it on: a machine that stalls between the harness planning a login and the broker handling
/// it.
async fn stalling_proxy(upstream: String, delay: Duration) -> (String, JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(client) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                let Ok((broker, _)) = tokio_tungstenite::connect_async(upstream.as_str()).await
                else {
                    return;
                };
                let (mut to_client, mut from_client) = client.split();
                let (mut to_broker, mut from_broker) = broker.split();
                let up = async {
                    while let Some(Ok(m)) = from_client.next().await {
                        if m.to_text().is_ok_and(|t| t.contains("\"auth_request\"")) {
                            tokio::time::sleep(delay).await;
                        }
                        if to_broker.send(m).await.is_err() {
                            return;
                        }
                    }
                };
                let down = async {
                    while let Some(Ok(m)) = from_broker.next().await {
                        if to_client.send(m).await.is_err() {
                            return;
                        }
                    }
                };
                tokio::select! { _ = up => {}, _ = down => {} }
            });
        }
    });
    (url, task)
}

// AUTH-7 (challenge TTL), issue #10 item 2: the broker issues the challenge 1.5 s after the
// harness planned it, more than the vector's 1 s margin past the 5-minute TTL. The clock is
// moved from the moment the challenge was answered, so it is expired for the broker as for
// the model, in both profiles (before, the broker found it fresh: NON-STRICT).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_7_a_stalled_login_does_not_move_the_challenge_expiry_verdict() {
    let vector = vectors::load(&repo_path("vectors/auth/challenge-expired.json")).unwrap();
    for profile in Profile::ALL {
        let (target, handle) = campaign::spawn_embedded(profile, None, SEED, limits())
            .await
            .unwrap();
        let (url, proxy) = stalling_proxy(handle.url(), Duration::from_millis(1_500)).await;
        let target = Target { url, ..target };
        let case = runner::case::run(&vector, &target, profile, SEED).await;
        proxy.abort();
        handle.stop().await;
        let findings: Vec<String> = case
            .steps
            .iter()
            .flat_map(|s| s.findings.iter())
            .map(|f| {
                format!(
                    "{} {}: {:?} {:?}",
                    f.class.name(),
                    f.what,
                    f.expected,
                    f.received
                )
            })
            .collect();
        assert_eq!(case.class, Class::Pass, "{profile}: {findings:?}");
    }
}

// AUTH-9, issue #10 item 1: a campaign frees the broker's full challenge store (here the clock
// hook moves the embedded broker's clock past the purge) before it would spend more logins than
// the target's budget, instead of ending as harness trouble.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_9_fuzz_frees_the_challenge_store_before_it_is_full() {
    let (target, handle) = campaign::spawn_embedded(Profile::Clearnode052, None, SEED, limits())
        .await
        .unwrap();
    fill_challenge_store(&handle.url()).await;
    // Spent so far by someone else: the first batch already goes over a budget of 1.
    let target = Target {
        challenge_budget: 1,
        ..target
    };
    let config = CampaignConfig {
        profile: Profile::Clearnode052,
        seed: 5,
        gen: GenConfig::default(),
        max_steps: Some(40),
        time_limit: None,
        label: "embedded".into(),
        shrink_budget: 10,
        regressions: None,
        jobs: 2,
        shard: Default::default(),
    };
    let rt = tokio::runtime::Handle::current();
    let report = tokio::task::spawn_blocking(move || {
        campaign::run(&config, &target, &rt, &mut |_, _| {}).unwrap()
    })
    .await
    .unwrap();
    handle.stop().await;
    assert_eq!(
        report.harness.as_ref().map(|h| h.message.as_str()),
        None,
        "the store was freed"
    );
    assert!(
        report.catch.is_none(),
        "{:?}",
        report.catch.map(|c| c.message)
    );
    assert!(report.steps >= 40, "{} steps", report.steps);
}

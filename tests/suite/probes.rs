//! The destructive probes (`nitrocert probe --destructive`, FUZZ-4, FUZZ-6, FUZZ-8) against the
//! embedded broker, through the binary, and their verdicts turned into `quirks.md` notes. The
//! embedded broker carries Clearnode's session-key mapping (bug-compatible, so FUZZ-4 must
//! show), and none of its process weaknesses: `sort` is read against the directions SQL
//! accepts, frames are limited (TRANS-5) and a slow reader's queue is bounded and
//! dropped, never waited for (TRANS-8).

use crate::util::{repo_path, run};
use nitrocert::broker;
use nitrocert::cli::serve::build_engine;
use nitrocert::crypto::identity::{derive, Role};
use nitrocert::model::Profile;
use std::time::Duration;

/// Far above the probes' own timeouts against a healthy broker.
const HANG_GUARD: Duration = Duration::from_secs(120);

fn verdict(run: &serde_json::Value, label: &str) -> String {
    run["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            let part = p["part"]
                .as_str()
                .map(|s| format!("/{s}"))
                .unwrap_or_default();
            format!("{}{part}", p["id"].as_str().unwrap()) == label
        })
        .map(|p| p["verdict"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no {label} in {run}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_4_6_8_against_the_embedded_broker() {
    let engine = build_engine(
        Profile::Clearnode052,
        &["usdc".to_string()],
        &[],
        derive(3, Role::Broker, 0),
        3,
    );
    let handle = broker::spawn(engine, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let out = std::env::temp_dir().join(format!("nitrocert-probes-{}", std::process::id()));
    let (url, dir) = (handle.url(), out.display().to_string());
    let probe = tokio::task::spawn_blocking(move || {
        run(
            &[
                "probe",
                "--destructive",
                "--endpoint",
                &url,
                "--only",
                "FUZZ-4,FUZZ-6,FUZZ-8",
                "--seed",
                "5",
                "--out",
                &dir,
            ],
            "",
        )
    });
    let (code, stdout, stderr) = tokio::time::timeout(HANG_GUARD, probe)
        .await
        .expect("the probes end")
        .unwrap();
    handle.stop().await;
    println!("{stdout}");
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(out.join("probes.json")).unwrap();
    let probes: serde_json::Value = serde_json::from_str(&text).unwrap();
    // FUZZ-4: the bug-compatible profile maps B's wallet signatures to A, as Clearnode does.
    assert_eq!(verdict(&probes, "FUZZ-4"), "vulnerable");
    // FUZZ-6, FUZZ-8: no SQL, a frame limit, a bounded queue per connection.
    assert_eq!(verdict(&probes, "FUZZ-6"), "survived");
    assert_eq!(verdict(&probes, "FUZZ-8/huge-frame"), "survived");
    assert_eq!(verdict(&probes, "FUZZ-8/slow-reader"), "survived");
    let transcripts = std::fs::read_to_string(out.join("probes.md")).unwrap();
    assert!(transcripts.contains("## FUZZ-8/slow-reader"));
    assert!(transcripts.contains("close_app_session"));

    quirks_notes_come_from(&out.join("probes.json"));
    let _ = std::fs::remove_dir_all(&out);
}

/// SPEC-10: the `spec` profile refuses a session key that is another known wallet's address,
/// so the same probe that hijacks B's signatures on the bug-compatible broker survives there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_10_fuzz_4_survives_the_spec_profile() {
    let engine = build_engine(
        Profile::Spec,
        &["usdc".to_string()],
        &[],
        derive(3, Role::Broker, 0),
        3,
    );
    let handle = broker::spawn(engine, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let out = std::env::temp_dir().join(format!("nitrocert-probes-spec-{}", std::process::id()));
    let (url, dir) = (handle.url(), out.display().to_string());
    let probe = tokio::task::spawn_blocking(move || {
        run(
            &[
                "probe",
                "--destructive",
                "--endpoint",
                &url,
                "--only",
                "FUZZ-4",
                "--seed",
                "5",
                "--out",
                &dir,
            ],
            "",
        )
    });
    let (code, stdout, stderr) = tokio::time::timeout(HANG_GUARD, probe)
        .await
        .expect("the probe ends")
        .unwrap();
    handle.stop().await;
    println!("{stdout}");
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(out.join("probes.json")).unwrap();
    let probes: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(verdict(&probes, "FUZZ-4"), "survived");
    assert!(
        stdout.contains("is the address of another wallet"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// The verdicts become the notes of quirks.md, linking to the transcripts.
fn quirks_notes_come_from(probes_json: &std::path::Path) {
    let compat = repo_path("reports/clearnode-v0.5.2/clearnode-0.5.2/report.json");
    let spec_dir = repo_path("spec");
    let (code, quirks, stderr) = run(
        &[
            "report",
            "quirks",
            "--name",
            "embedded",
            "--compat",
            &compat.display().to_string(),
            "--probes",
            &probes_json.display().to_string(),
            "--spec-dir",
            &spec_dir.display().to_string(),
        ],
        "",
    );
    assert_eq!(code, 0, "{stderr}");
    let row = |id: &str| -> String {
        quirks
            .lines()
            .find(|l| l.starts_with(&format!("| {id} |")))
            .unwrap_or_else(|| panic!("no {id} row"))
            .to_string()
    };
    // FUZZ-4 also has a vector now (`auth/key-is-another-wallet`), so its verdict comes with
    // the vector's cases; the probe's verdict and transcript link are in the note.
    assert!(
        row("FUZZ-4").contains("**confirmed")
            && row("FUZZ-4").contains("[FUZZ-4](probes.md#fuzz-4): **vulnerable**"),
        "{}",
        row("FUZZ-4")
    );
    assert!(
        row("FUZZ-6").contains("**refuted (probe)**"),
        "{}",
        row("FUZZ-6")
    );
    assert!(
        row("FUZZ-8").contains("(probes.md#fuzz-8slow-reader)"),
        "{}",
        row("FUZZ-8")
    );
}

//! `nitrocert race` (Q-23, FUZZ-5, AS-MODEL-3): the embedded broker is linearizable by
//! construction, so every race on it must be serializable; the seeded lost update
//! (`transfer-lost-update`) must be caught; race vectors replay and report how often the race
//! came back; `race.json` verdicts reach `quirks.md`.

use super::util::{repo_path, run};
use nitrocert::client::Limits;
use nitrocert::engine::Fault;
use nitrocert::gen::campaign::spawn_embedded;
use nitrocert::model::Profile;
use nitrocert::race::check::Budget;
use nitrocert::race::verdict::Anomaly;
use nitrocert::race::{self, catalog, vector, Env, ExploreConfig, Kind, RaceClass};
use std::path::PathBuf;
use std::time::Duration;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nitrocert-race-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config(rounds: u64, clients: usize) -> ExploreConfig {
    ExploreConfig {
        kinds: Kind::ALL.to_vec(),
        clients,
        time: Duration::from_secs(120),
        max_rounds: Some(rounds),
        tries: 0,
        races_dir: None,
        label: "test".into(),
        challenge_budget: 800,
        restart: None,
        stop_on_fail: false,
    }
}

async fn env(profile: Profile, fault: Option<Fault>) -> (Env, nitrocert::broker::BrokerHandle) {
    let (target, handle) = spawn_embedded(profile, fault, 3, Limits::default())
        .await
        .unwrap();
    let env = Env {
        target,
        profile,
        seed: 3,
        budget: Budget::default(),
    };
    (env, handle)
}

#[test]
fn every_race_on_the_embedded_broker_is_serializable() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for (profile, clients) in [(Profile::Clearnode052, 2), (Profile::Spec, 3)] {
        let report = rt.block_on(async {
            let (env, handle) = env(profile, None).await;
            let report = race::explore(&env, &config(2, clients), &mut |_| {}).await;
            handle.stop().await;
            report
        });
        assert_eq!(report.rounds, 2);
        for k in &report.kinds {
            assert_eq!(
                (k.bursts, k.pass),
                (2, 2),
                "{profile}: {} {:?}",
                k.kind.name(),
                report.instances.first().and_then(|i| i.error.clone())
            );
        }
        assert_eq!(report.checker.unknown, 0);
        assert_eq!(report.exit_code(), 0);
        // Each race of a round is a part of its own (P-compositionality).
        assert_eq!(report.checker.parts, 2 * Kind::ALL.len());
        let burst = &report.instances[0].bursts[0];
        for op in &burst.history.ops {
            let done = op.complete_us.expect("the embedded broker answers");
            assert!(op.invoke_us <= done, "{op:?}");
        }
        // Every race refused something: the bursts really conflict (a submit then a close
        // are both fine serially).
        for g in burst
            .groups
            .iter()
            .filter(|g| g.kind != Kind::SubmitVsClose)
        {
            let ops: Vec<_> = burst
                .history
                .ops
                .iter()
                .filter(|o| o.group == g.group)
                .collect();
            assert!(
                ops.iter()
                    .any(|o| o.outcome != race::history::OpOutcome::Ok),
                "{}: nothing refused",
                g.kind.name()
            );
        }
    }
}

#[test]
fn the_seeded_lost_update_is_caught_in_both_profiles() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for profile in Profile::ALL {
        let report = rt
            .block_on(race::against_fault(
                Fault::TransferLostUpdate,
                profile,
                5,
                5,
                Limits::default(),
            ))
            .unwrap();
        let failed: Vec<_> = report
            .kinds
            .iter()
            .filter(|k| k.class() == RaceClass::Fail)
            .collect();
        assert!(
            !failed.is_empty(),
            "{profile}: not caught in {} rounds",
            report.rounds
        );
        // Money was created: a FAIL in every profile, never a documented quirk.
        let anomalies: Vec<&Anomaly> = report
            .instances
            .iter()
            .flat_map(|i| &i.bursts)
            .flat_map(|b| &b.groups)
            .flat_map(|g| &g.anomalies)
            .collect();
        assert!(
            anomalies.iter().any(|a| a.breaks_conservation()),
            "{anomalies:?}"
        );
        assert!(anomalies
            .iter()
            .any(|a| matches!(a, Anomaly::NotSerializable { .. })));
        assert_eq!(report.exit_code(), 1);
    }
}

#[test]
fn a_race_vector_replays_and_counts_its_reproductions() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = temp_dir("vector");
    let mut v = catalog::build(Kind::OverdrawTransfer, 2, &mut catalog::rng(1, 0));
    v.id = "races/test-overdraw".into();
    let path = vector::path_of(&dir, "test-overdraw");
    std::fs::write(&path, vector::to_text(&v)).unwrap();
    let loaded = vector::load(&path).unwrap();
    assert_eq!(loaded, v);
    let (faulty, clean) = rt.block_on(async {
        let (env_f, h) = env(Profile::Spec, Some(Fault::TransferLostUpdate)).await;
        let faulty = race::replay(&loaded, &env_f, 4, 0).await;
        h.stop().await;
        let (env_c, h) = env(Profile::Spec, None).await;
        let clean = race::replay(&loaded, &env_c, 3, 0).await;
        h.stop().await;
        (faulty, clean)
    });
    assert!(faulty.reproduced >= 1, "{:?}", faulty.classes);
    assert_eq!(faulty.worst(), RaceClass::Fail);
    assert_eq!((clean.tries, clean.reproduced), (3, 0));
    assert_eq!(clean.worst(), RaceClass::Pass);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_race_command_explores_writes_and_replays() {
    let dir = temp_dir("cli");
    let out = dir.join("out");
    let races = dir.join("races");
    let (code, stdout, stderr) = run(
        &[
            "race",
            "--max-rounds",
            "1",
            "--out",
            out.to_str().unwrap(),
            "--no-write",
        ],
        "",
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        stdout.matches(" PASS ").count(),
        Kind::ALL.len(),
        "{stdout}"
    );
    let html = std::fs::read_to_string(out.join("timeline.html")).unwrap();
    assert!(html.contains("class=\"lane\""));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("race.json")).unwrap()).unwrap();
    assert_eq!(json["rounds"], 1);

    let (code, stdout, stderr) = run(
        &[
            "race",
            "--fault",
            "transfer-lost-update",
            "--max-rounds",
            "2",
            "--tries",
            "2",
            "--kinds",
            "overdraw-transfer,double-create",
            "--name",
            "t",
            "--races",
            races.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("usdc:"),
        "the conservation break is printed: {stdout}"
    );
    let written = races.join("t-overdraw-transfer.race");
    assert!(written.exists(), "{stdout}");

    let vectors = written.to_str().unwrap();
    let (code, stdout, _) = run(
        &[
            "race",
            "--vectors",
            vectors,
            "--tries",
            "2",
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("reproduced 0/2"), "{stdout}");
    let (code, stdout, _) = run(
        &[
            "race",
            "--vectors",
            vectors,
            "--tries",
            "2",
            "--fault",
            "transfer-lost-update",
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 1, "{stdout}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_arguments_exit_2() {
    let (code, _, stderr) = run(&["race", "--kinds", "no-such-race"], "");
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = run(&["race", "--endpoint", "ws://127.0.0.1:9/ws"], "");
    assert_eq!(code, 2, "{stderr}");
}

/// `races.json` verdicts become the notes and the verdicts of `quirks.md` (Q-23, FUZZ-5).
#[test]
fn race_verdicts_reach_the_quirks_table() {
    let dir = temp_dir("quirks");
    let report = race::RaceReport {
        target: "b".into(),
        endpoint: "ws://x".into(),
        profile: "clearnode-0.5.2".into(),
        seed: 1,
        clients: 2,
        rounds: 3,
        logins: 0,
        kinds: vec![],
        checker: Default::default(),
        instances: vec![],
        note: None,
        duration_ms: 0,
    };
    let mut verdicts = race::verdicts::merge(None, &report);
    assert!(verdicts.rules.is_empty());
    let tally = |kind: Kind, quirk: usize| {
        serde_json::from_value::<race::verdicts::KindEvidence>(serde_json::json!({
            "bursts": 3, "reproduced": quirk, "unknown": 0, "error": 0,
            "class": if quirk > 0 { "QUIRK" } else { "PASS" }
        }))
        .map(|e| (kind.name().to_string(), e))
        .unwrap()
    };
    let rule = |kinds: Vec<(String, race::verdicts::KindEvidence)>, verdict: &str| {
        race::verdicts::RuleVerdict {
            verdict: verdict.into(),
            seed: 1,
            rounds: 3,
            clients: 2,
            kinds: kinds.into_iter().collect(),
        }
    };
    verdicts.rules.insert(
        "Q-23".into(),
        [(
            "clearnode-0.5.2".to_string(),
            rule(vec![tally(Kind::OverdrawTransfer, 2)], "confirmed"),
        )]
        .into(),
    );
    verdicts.rules.insert(
        "FUZZ-5".into(),
        [(
            "clearnode-0.5.2".to_string(),
            rule(vec![tally(Kind::DuplicateTransfer, 0)], "not reproduced"),
        )]
        .into(),
    );
    let races = dir.join("races.json");
    std::fs::write(&races, serde_json::to_string(&verdicts).unwrap()).unwrap();
    let compat = repo_path("reports/clearnode-v0.5.2/clearnode-0.5.2/report.json");
    let (code, stdout, stderr) = run(
        &[
            "report",
            "quirks",
            "--name",
            "x",
            "--compat",
            compat.to_str().unwrap(),
            "--races",
            races.to_str().unwrap(),
            "--spec-dir",
            repo_path("spec").to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 0, "{stderr}");
    let row = |id: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {id} |")))
            .unwrap_or_else(|| panic!("no {id} row"))
            .to_string()
    };
    assert!(
        row("Q-23").contains("**confirmed (race)**"),
        "{}",
        row("Q-23")
    );
    assert!(row("Q-23").contains("overdraw-transfer: 2 of 3 bursts"));
    assert!(row("FUZZ-5").contains("**not reproduced (race)**"));
    let _ = std::fs::remove_dir_all(dir);
}

/// Committed race vectors are valid and use the race file extension (never `.json`, which
/// `vectors/` loaders read as sequential vectors).
#[test]
fn committed_race_vectors_load() {
    let dir = repo_path("vectors/races");
    if !dir.exists() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    for path in vector::files(&[dir]).unwrap_or_default() {
        let v = vector::load(&path).unwrap();
        assert!(v.id.starts_with("races/"), "{}", v.id);
        assert_eq!(path.extension().unwrap(), vector::EXTENSION);
        // On the linearizable embedded broker every committed race is serializable: what it
        // found elsewhere is a race, not a sequential difference.
        for profile in Profile::ALL {
            let replayed = rt.block_on(async {
                let (env, handle) = env(profile, None).await;
                let r = race::replay(&v, &env, 1, 0).await;
                handle.stop().await;
                r
            });
            assert_eq!(
                replayed.worst(),
                RaceClass::Pass,
                "{} ({profile}): {:?}",
                v.id,
                replayed.instances.first().map(|i| &i.error)
            );
        }
    }
}

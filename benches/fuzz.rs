//! The fuzz campaign against the embedded broker, in-process: steps per second on the clean
//! broker, and the kill rate over the seeded bugs (caught / run, steps to the first catch,
//! shrunk length). `cargo bench --bench fuzz`; the figures are printed and written to
//! `target/nitrocert-bench/fuzz.json`. Under `cargo test` (no `--bench`) it fuzzes a few steps
//! as a smoke test.

use nitrocert::client::Limits;
use nitrocert::engine::Fault;
use nitrocert::gen::campaign::{self, CampaignConfig};
use nitrocert::gen::GenConfig;
use nitrocert::model::Profile;
use serde_json::json;

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let limits = Limits {
        reply_timeout_ms: 2_000,
        ..Limits::default()
    };
    let config = CampaignConfig {
        profile: Profile::Clearnode052,
        seed: 1,
        gen: GenConfig::default(),
        max_steps: Some(if bench { 3_000 } else { 24 }),
        time_limit: None,
        label: "bench".into(),
        shrink_budget: 200,
        regressions: None,
        jobs: 2,
        shard: Default::default(),
    };
    let (target, handle) = rt
        .block_on(campaign::spawn_embedded(
            config.profile,
            None,
            1,
            limits.clone(),
        ))
        .expect("the embedded broker starts");
    let clean = campaign::run(&config, &target, rt.handle(), &mut |_, _| {}).expect("runs");
    rt.block_on(handle.stop());
    assert!(clean.catch.is_none(), "the clean broker has a finding");
    if !bench {
        return;
    }
    let steps_per_s = clean.steps as f64 / clean.elapsed.as_secs_f64();
    println!(
        "clean embedded broker: {} steps in {:.1} s: {steps_per_s:.0} steps/s",
        clean.steps,
        clean.elapsed.as_secs_f64()
    );
    let budget = CampaignConfig {
        max_steps: Some(2_000),
        label: String::new(),
        ..config
    };
    let kills = campaign::kill_rate(Fault::ALL, &budget, &limits, rt.handle(), &mut |k| match &k
        .report
        .catch
    {
        Some(c) => println!(
            "{:<34} caught after {:>4} steps, shrunk {:>2} → {} steps ({} runs), {:.1} s",
            k.fault.name(),
            c.steps_to_catch,
            c.original_steps,
            c.vector.steps.len(),
            c.shrink_attempts,
            k.report.elapsed.as_secs_f64()
        ),
        None => println!("{:<34} MISSED in {} steps", k.fault.name(), k.report.steps),
    })
    .expect("runs");
    let caught = kills.iter().filter(|k| k.caught()).count();
    println!("kill rate: {caught}/{}", kills.len());
    let record = json!({
        "machine": format!("{} cores", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)),
        "clean_steps_per_s": steps_per_s.round(),
        "kill_rate": {"caught": caught, "run": kills.len()},
        "faults": kills.iter().map(|k| json!({
            "fault": k.fault.name(),
            "caught": k.caught(),
            "steps_to_catch": k.report.catch.as_ref().map(|c| c.steps_to_catch),
            "shrunk_steps": k.report.catch.as_ref().map(|c| c.vector.steps.len()),
            "seconds": (k.report.elapsed.as_secs_f64() * 10.0).round() / 10.0,
        })).collect::<Vec<_>>(),
    });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/nitrocert-bench");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("fuzz.json"),
        serde_json::to_string_pretty(&record).expect("json"),
    );
}

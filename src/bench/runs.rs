//! Whole runs through the public entry points: `certify` against the embedded broker (in this
//! process, and in a `nitrocert serve` child reached like any endpoint) and the fuzz campaign.

use super::embedded_engine;
use crate::broker;
use crate::campaign::{self, CampaignConfig};
use crate::client::Limits;
use crate::gen::GenConfig;
use crate::model::Profile;
use crate::report::Summary;
use crate::runner::{self, known::KnownDivergences, RunConfig, Target};
use crate::vectors::format::Action;
use crate::vectors::Vector;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One certify run: how many cases and signed requests, how long, and how they came out.
#[derive(Debug, Clone)]
pub struct CertifyRun {
    pub cases: usize,
    pub signed_requests: usize,
    pub elapsed: Duration,
    pub summary: Summary,
}

impl CertifyRun {
    pub fn cases_per_s(&self) -> f64 {
        self.cases as f64 / self.elapsed.as_secs_f64()
    }
    pub fn signed_per_s(&self) -> f64 {
        self.signed_requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// The cases' own signed requests (request steps with at least one signer); the runner's
/// logins and read-backs come on top.
pub fn signed_requests(vectors: &[Vector]) -> usize {
    vectors
        .iter()
        .flat_map(|v| &v.steps)
        .filter(|s| matches!(&s.action, Action::Request { signers, .. } if !signers.is_empty()))
        .count()
}

/// `vectors` `times` over, each copy with fresh ids (so fresh wallets): the cost curve's work.
pub fn copies(vectors: &[Vector], times: usize) -> Vec<Vector> {
    (0..times)
        .flat_map(|k| {
            vectors.iter().map(move |v| {
                let mut v = v.clone();
                if k > 0 {
                    v.id = format!("{}-copy{k}", v.id);
                }
                v
            })
        })
        .collect()
}

async fn certify(target: Target, vectors: &[Vector], profile: Profile) -> CertifyRun {
    let config = RunConfig {
        broker_address: target.broker_address.clone(),
        target,
        profile,
        seed: 1,
        known: KnownDivergences::default(),
        // Concurrent, as `certify` runs by default.
        jobs: runner::schedule::default_jobs(),
    };
    let started = Instant::now();
    let report = runner::run(&config, vectors, &mut runner::Quiet).await;
    CertifyRun {
        cases: report.cases.len(),
        signed_requests: signed_requests(vectors),
        elapsed: started.elapsed(),
        summary: report.summary,
    }
}

/// `certify` against the embedded broker started in this process (what `nitrocert certify`
/// does without `--endpoint`).
pub async fn certify_in_process(
    vectors: &[Vector],
    profile: Profile,
) -> Result<CertifyRun, String> {
    let handle = broker::spawn(
        embedded_engine(profile, 1),
        "127.0.0.1:0".parse().expect("an address"),
    )
    .await
    .map_err(|e| format!("cannot start the embedded broker: {e}"))?;
    let target = Target::embedded(&handle, "embedded".into(), Limits::default());
    let run = certify(target, vectors, profile).await;
    handle.stop().await;
    Ok(run)
}

/// A `nitrocert serve` child; killed when dropped.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `certify` against the embedded broker in a `nitrocert serve --control` child (`exe`),
/// reached like any endpoint: the cases' traffic crosses a real socket, and funding, channels
/// and the clock go through the child's test-control interface (as `certify --control` does).
pub async fn certify_over_socket(
    exe: &Path,
    vectors: &[Vector],
    profile: Profile,
) -> Result<CertifyRun, String> {
    let mut child = Command::new(exe)
        .args([
            "serve",
            "--port",
            "0",
            "--control",
            "--profile",
            profile.name(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    let stdout = child.stdout.take().expect("piped");
    let serve = Serve(child);
    // `serve` prints the broker's URL, its address and then the control URL, and flushes.
    let mut url = None;
    let mut control = None;
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if let Some(u) = line.split("listening on ").nth(1) {
            url = Some(u.trim().to_string());
        }
        if let Some(c) = line.strip_prefix("test control at ") {
            control = Some(c.trim().to_string());
            break;
        }
    }
    let (Some(url), Some(control)) = (url, control) else {
        return Err("nitrocert serve --control did not start".into());
    };
    let (control, info) = crate::broker::RemoteControl::connect(&control).await?;
    let target = Target::remote_controlled(
        &url,
        Some("serve".into()),
        control,
        Limits::default(),
        info.broker_address,
    );
    let run = certify(target, vectors, profile).await;
    drop(serve);
    Ok(run)
}

/// A fuzz campaign of `steps` replayed steps against the embedded broker (no finding
/// expected); returns (steps, elapsed).
pub fn fuzz_campaign(steps: u64, rt: &tokio::runtime::Runtime) -> Result<(u64, Duration), String> {
    let limits = Limits {
        reply_timeout_ms: 2_000,
        ..Limits::default()
    };
    let config = CampaignConfig {
        profile: Profile::Clearnode052,
        seed: 1,
        gen: GenConfig::default(),
        max_steps: Some(steps),
        time_limit: None,
        label: "bench".into(),
        shrink_budget: 0,
        regressions: None,
        jobs: 2,
        shard: Default::default(),
    };
    let (target, handle) = rt
        .block_on(campaign::spawn_embedded(config.profile, None, 1, limits))
        .map_err(|e| e.to_string())?;
    let report = campaign::run(&config, &target, rt.handle(), &mut |_, _| {});
    rt.block_on(handle.stop());
    let report = report.map_err(|e| e.to_string())?;
    if let Some(catch) = report.catch {
        return Err(format!(
            "the clean embedded broker had a finding: {}",
            catch.message
        ));
    }
    Ok((report.steps, report.elapsed))
}

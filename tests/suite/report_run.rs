//! Snapshots of the reports of a small real run: the embedded broker, carrying the
//! `no-asu` fault, certified on Clearnode's NitroRPC/0.2 lifecycle vector. The
//! nondeterministic parts (clock, ports, durations, signatures over timestamps) are redacted.

use crate::util::repo_path;
use nitrocert::broker;
use nitrocert::cli::serve::build_engine;
use nitrocert::client::Limits;
use nitrocert::crypto::identity::{derive, Role};
use nitrocert::engine::Fault;
use nitrocert::model::Profile;
use nitrocert::report::{json, markdown, redact};
use nitrocert::runner::{self, known::KnownDivergences, Quiet, RunConfig, Target};

/// `0x` and 130 hex digits: a signature, which covers a timestamp and so changes every run.
fn redact_signatures(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("0x") {
        let tail = &rest[i + 2..];
        let digits = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
        out.push_str(&rest[..i]);
        if digits == 130 {
            out.push_str("[sig]");
        } else {
            out.push_str(&rest[i..i + 2 + digits]);
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_of_a_small_real_run() {
    let vector = nitrocert::vectors::load(&repo_path(
        "vectors/lifecycle/clearnode-integration-v02.json",
    ))
    .unwrap();
    let engine = build_engine(
        Profile::Clearnode052,
        &["usdc".to_string()],
        &[],
        derive(5, Role::Broker, 0),
        5,
    )
    .with_fault(Some(Fault::DropAsu));
    let handle = broker::spawn(engine, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let target = Target::embedded(&handle, "embedded-fault".into(), Limits::default());
    let config = RunConfig {
        target,
        profile: Profile::Clearnode052,
        seed: 5,
        known: KnownDivergences::default(),
        broker_address: Some(handle.broker_address.clone()),
        jobs: 1,
    };
    let report = runner::run(&config, &[vector], &mut Quiet).await;
    handle.stop().await;
    assert_eq!(report.summary.fail, 1, "the fault is caught");

    let mut md = Vec::new();
    markdown::write(&report, &mut md).unwrap();
    let md = redact_signatures(&redact::for_snapshot(&String::from_utf8(md).unwrap()));
    insta::assert_snapshot!("real_run_md", md);

    let mut js = Vec::new();
    json::write(&report, &mut js).unwrap();
    let js = redact_signatures(&redact::for_snapshot(&String::from_utf8(js).unwrap()));
    insta::assert_snapshot!("real_run_json", js);
}

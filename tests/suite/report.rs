//! The report writers on a small hand-built run: Markdown and JSON as redacted insta snapshots,
//! the HTML page checked for self-containment and escaping, and `write_all` on disk.

use nitrocert::report::{
    self, html, json, junit, markdown, redact, CaseReport, Class, Direction, Finding, RunReport,
    StepReport, Summary, WireLine,
};

use crate::util::repo_path;

/// Broker-sent text a report must show as text, never as markup.
const HOSTILE: &str = "unknown method <script>alert(document.cookie)</script> ]]> \
                       <img src=https://evil.test/pixel.png>";

/// A wire line; `dir` is `>` (sent) or `<` (received), as reports print it.
fn wire(dir: &str, conn: &str, text: &str) -> WireLine {
    WireLine {
        dir: if dir == ">" {
            Direction::Sent
        } else {
            Direction::Received
        },
        conn: conn.into(),
        text: text.into(),
    }
}

fn step(index: usize, action: &str, class: Class, findings: Vec<Finding>) -> StepReport {
    StepReport {
        index,
        action: action.into(),
        conn: "A".into(),
        class,
        findings,
        wire: Vec::new(),
    }
}

/// Authentication of connection `A`, as it appears at the start of every case.
fn authenticate(index: usize) -> StepReport {
    let mut s = step(index, "authenticate", Class::Pass, vec![]);
    s.wire = vec![
        wire(
            ">",
            "A",
            r#"{"req":[1,"auth_request",{"address":"0xE1b4d6177b561A4fAE72F3aebF14EF2A73179f09","session_key":"0xd0b1E74DE631e723270D79697FEaCC816a971A28","application":"clearnode","allowances":[],"scope":"console","expires_at":1700086400},1700000000000],"sig":[]}"#,
        ),
        wire(
            "<",
            "A",
            r#"{"res":[1,"auth_challenge",{"challenge_message":"4d1f2a8e-3b7c-4e5f-9a0b-1c2d3e4f5a6b"},1764181080311],"sig":["0x5b1e…1c"]}"#,
        ),
        wire(
            ">",
            "A",
            r#"{"req":[2,"auth_verify",{"challenge":"4d1f2a8e-3b7c-4e5f-9a0b-1c2d3e4f5a6b"},1700000000000],"sig":["0x8e0f…1b"]}"#,
        ),
        wire(
            "<",
            "A",
            r#"{"res":[2,"auth_verify",{"address":"0xE1b4d6177b561A4fAE72F3aebF14EF2A73179f09","session_key":"0xd0b1E74DE631e723270D79697FEaCC816a971A28","success":true,"jwt_token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ3YWxsZXQiOiIweEUxYjQifQ.S1gn4tuRe-x_Y"},1764181080342],"sig":["0x7a2c…1b"]}"#,
        ),
    ];
    s
}

/// Four cases over two areas: a PASS, a FAIL with expected and received wire text, a
/// NON-STRICT with hostile broker text, a SKIP.
fn fixture() -> RunReport {
    let pass = CaseReport {
        id: "auth/challenge-roundtrip".into(),
        area: "auth".into(),
        description: "auth_request answers auth_challenge with a fresh UUID; auth_verify \
                      with the signed challenge returns a JWT."
            .into(),
        rules: vec!["AUTH-1".into(), "AUTH-3".into()],
        quirks: vec![],
        protocol: Some("NitroRPC/0.4".into()),
        class: Class::Pass,
        note: None,
        steps: vec![authenticate(0)],
        duration_ms: 41,
    };

    let mut lax_step = step(
        1,
        "raw",
        Class::NonStrict,
        vec![Finding {
            class: Class::NonStrict,
            what: "error text".into(),
            message: "rejected as expected, with a different error text".into(),
            expected: Some("unknown method: PING".into()),
            received: Some(HOSTILE.into()),
        }],
    );
    lax_step.wire = vec![
        wire(">", "A", r#"{"req":[3,"PING",{},1700000000000],"sig":[]}"#),
        wire(
            "<",
            "A",
            &format!(
                r#"{{"res":[3,"error",{{"error":"{HOSTILE}"}},1764181080377],"sig":["0x3f9d…1c"]}}"#
            ),
        ),
    ];
    let lax = CaseReport {
        id: "auth/unknown-method-case-sensitive".into(),
        area: "auth".into(),
        description: "Method lookup is case-sensitive: PING is an unknown method.".into(),
        rules: vec!["WIRE-6".into(), "WIRE-16".into()],
        quirks: vec![],
        protocol: Some("NitroRPC/0.4".into()),
        class: Class::NonStrict,
        note: None,
        steps: vec![authenticate(0), lax_step],
        duration_ms: 37,
    };

    let expected_create = r#"{"res":[3,"error",{"error":"failed to create app session: quorum not reached"},1700000000000],"sig":["<broker>"]}"#;
    let received_create = r#"{"res":[3,"create_app_session",{"app_session_id":"0x9f3c5a17e2d04b6c8a1f3e5d7c9b0a2e4f6d8c1b3a5e7f9d0c2b4a6e8f1d3c5b","status":"open","version":1,"created_at":"2025-11-26T18:18:01.482Z"},1764181081482],"sig":["0x0c4e…1b"]}"#;
    let mut create = step(
        1,
        "create_app_session",
        Class::Fail,
        vec![Finding {
            class: Class::Fail,
            what: "response".into(),
            message: "accepted a session whose signatures weigh 40 against a quorum of 100".into(),
            expected: Some(expected_create.into()),
            received: Some(received_create.into()),
        }],
    );
    create.wire = vec![
        wire(
            ">",
            "A",
            r#"{"req":[3,"create_app_session",{"definition":{"protocol":"NitroRPC/0.4","participants":["0xE1b4d6177b561A4fAE72F3aebF14EF2A73179f09","0xcc4B0523050da46203843fbAfA508F967230B133"],"weights":[40,60],"quorum":100,"challenge":86400,"nonce":1},"allocations":[{"participant":"0xE1b4d6177b561A4fAE72F3aebF14EF2A73179f09","asset":"usdc","amount":"100"}]},1700000000000],"sig":["0x51aa…1c"]}"#,
        ),
        wire("<", "A", received_create),
        wire(
            "<",
            "A",
            r#"{"res":[0,"bu",{"balance_updates":[{"asset":"usdc","amount":"900"}]},1764181081483],"sig":["0x9d01…1b"]}"#,
        ),
    ];
    let mut balance = step(
        2,
        "get_ledger_balances",
        Class::Fail,
        vec![Finding {
            class: Class::Fail,
            what: "balance".into(),
            message: "A's unified balance moved although no session may exist".into(),
            expected: Some(r#"[{"asset":"usdc","amount":"1000"}]"#.into()),
            received: Some(r#"[{"asset":"usdc","amount":"900"}]"#.into()),
        }],
    );
    balance.wire = vec![
        wire(
            ">",
            "A",
            r#"{"req":[4,"get_ledger_balances",{},1700000000000],"sig":["0x2b7e…1b"]}"#,
        ),
        wire(
            "<",
            "A",
            r#"{"res":[4,"get_ledger_balances",{"ledger_balances":[{"asset":"usdc","amount":"900"}]},1764181081502],"sig":["0x44f0…1c"]}"#,
        ),
    ];
    let fail = CaseReport {
        id: "app_session/create-quorum-not-reached".into(),
        area: "app_session".into(),
        description: "create_app_session signed by weight 40 of quorum 100 is rejected and \
                      moves no funds."
            .into(),
        rules: vec![
            "AS-CREATE-4".into(),
            "AS-QUORUM-1".into(),
            "AS-INV-1".into(),
        ],
        quirks: vec!["Q-24".into()],
        protocol: Some("NitroRPC/0.4".into()),
        class: Class::Fail,
        note: None,
        steps: vec![authenticate(0), create, balance],
        duration_ms: 58,
    };

    let skip = CaseReport {
        id: "app_session/close-then-resize-channel".into(),
        area: "app_session".into(),
        description: "Funds released by close_app_session can be moved into a channel.".into(),
        rules: vec!["AS-CLOSE-1".into(), "AS-INV-1".into()],
        quirks: vec![],
        protocol: Some("NitroRPC/0.4".into()),
        class: Class::Skip,
        note: Some("the target has no `channels` hook".into()),
        steps: vec![],
        duration_ms: 0,
    };

    let cases = vec![pass, lax, fail, skip];
    RunReport {
        generator: "nitrocert 0.1.0".into(),
        target: "embedded".into(),
        endpoint: "ws://127.0.0.1:43817/ws".into(),
        broker_address: Some("0x70997970C51812dc3A010C7d01b50e0d17dc79C8".into()),
        profile: "clearnode-0.5.2".into(),
        seed: 20251126,
        started_at: "2025-11-26T18:18:00.115Z".into(),
        duration_ms: 1342,
        summary: Summary::of(&cases),
        cases,
    }
}

fn render(write: fn(&RunReport, &mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    write(&fixture(), &mut out).expect("writing into a Vec cannot fail");
    String::from_utf8(out).expect("writers print UTF-8")
}

fn markdown_text() -> String {
    render(|r, w| markdown::write(r, w))
}

fn json_text() -> String {
    render(|r, w| json::write(r, w))
}

fn html_text() -> String {
    render(|r, w| html::write(r, w))
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!("report_md", redact::for_snapshot(&markdown_text()));
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!("report_json", redact::for_snapshot(&json_text()));
}

#[test]
fn redaction_removes_what_changes_between_runs() {
    for text in [
        markdown_text(),
        json_text(),
        render(|r, w| junit::write(r, w)),
    ] {
        let redacted = redact::for_snapshot(&text);
        for varying in [
            "43817",
            "1764181081482",
            "2025-11-26T18:18",
            "1342",
            "eyJhbGci",
        ] {
            assert!(
                !redacted.contains(varying),
                "{varying} left in:\n{redacted}"
            );
        }
        // The harness's own deterministic clock and the vector ids stay.
        assert!(redacted.contains("app_session/create-quorum-not-reached"));
        assert_eq!(redact::for_snapshot(&redacted), redacted);
    }
}

#[test]
fn json_round_trips_into_the_same_report() {
    let text = json_text();
    assert!(text.ends_with("}\n"));
    let back: RunReport = serde_json::from_str(&text).unwrap();
    assert_eq!(back, fixture());
}

#[test]
fn markdown_reproduces_every_finding() {
    let md = markdown_text();
    assert!(
        md.contains("**Verdict: NOT CONFORMANT** (4 cases: 1 PASS, 1 NON-STRICT, 1 FAIL, 1 SKIP)")
    );
    assert!(md.contains(
        // The embedded broker's port is its own each run: the reproduction runs it in-process.
        "nitrocert certify --profile clearnode-0.5.2 --seed 20251126 \
         --vectors vectors/app_session/create-quorum-not-reached.json"
    ));
    // Findings list the FAIL before the NON-STRICT, and neither the PASS nor the SKIP.
    let fail = md
        .find("### FAIL `app_session/create-quorum-not-reached`")
        .unwrap();
    let lax = md
        .find("### NON-STRICT `auth/unknown-method-case-sensitive`")
        .unwrap();
    assert!(fail < lax);
    assert!(!md.contains("### PASS") && !md.contains("### SKIP"));
}

/// Every `http://` or `https://` in the page must be report data shown as text: none inside a
/// tag (an attribute), the style sheet or the script.
#[test]
fn html_is_self_contained_and_escapes_broker_text() {
    let page = html_text();
    let mut in_tag = false;
    let mut data = String::new();
    let mut markup = String::new();
    for c in page.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                markup.push(' ');
                continue;
            }
            _ => {}
        }
        if in_tag { &mut markup } else { &mut data }.push(c);
    }
    for scheme in ["http://", "https://"] {
        assert!(!markup.contains(scheme), "{scheme} inside a tag");
    }
    let style = &page[page.find("<style>").unwrap()..page.find("</style>").unwrap()];
    let script = &page[page.rfind("<script>").unwrap()..page.rfind("</script>").unwrap()];
    for code in [style, script] {
        for reference in ["http:", "https:", "url(", "@import", "//"] {
            assert!(!code.contains(reference), "{reference} in inline code");
        }
    }
    for tag in [
        "<img",
        "<link",
        "<iframe",
        "<object",
        "<embed",
        "<base",
        " src=",
        " href=\"/",
    ] {
        assert!(!markup.contains(tag), "{tag} in the markup");
    }
    // The one URL in the data is the hostile broker text, shown escaped.
    assert_eq!(
        data.matches("https://evil.test/pixel.png").count(),
        page.matches("https://").count()
    );
    assert_eq!(page.matches("<script").count(), 1, "only our own script");
    assert!(page.contains("&lt;script&gt;alert(document.cookie)&lt;/script&gt; ]]&gt;"));
    assert!(!page.contains("]]>"));
}

#[test]
fn write_all_writes_the_four_files() {
    let dir = std::env::temp_dir().join(format!("nitrocert-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    report::write_all(&fixture(), &dir.join("nested")).unwrap();
    for name in report::FILES {
        let text = std::fs::read_to_string(dir.join("nested").join(name)).unwrap();
        assert!(text.ends_with('\n'), "{name}");
    }
    let written = std::fs::read_to_string(dir.join("nested/report.md")).unwrap();
    assert_eq!(written, markdown_text());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Writes the fixture's four files to `reports/example/`, the example report kept in the repo:
/// `cargo test --test tests report::write_example -- --ignored`.
#[test]
#[ignore = "writes into the work tree; run by hand to refresh reports/example/"]
fn write_example() {
    report::write_all(&fixture(), &repo_path("reports/example")).unwrap();
}

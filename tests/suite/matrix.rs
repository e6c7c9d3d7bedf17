//! The compatibility matrix (`nitrocert report matrix`): built from small hand-made runs whose
//! cells are known by construction, its Markdown and HTML, determinism across runs with the
//! same verdicts, the CLI's write and --check, and that the committed reports/matrix/ is what
//! its committed inputs give.

use std::path::{Path, PathBuf};

use nitrocert::report::matrix::{Input, Matrix, SdkClass, SdkMatrix};
use nitrocert::report::{CaseReport, Class, RunReport, Summary};

use crate::util::{repo_path, run};

const HOSTILE: &str = "<script>alert(1)</script> | **bold** [x](http://evil.test)";

fn case(id: &str, rules: &[&str], class: Class) -> CaseReport {
    CaseReport {
        id: id.into(),
        area: id.split('/').next().unwrap().into(),
        description: format!("{id}: {HOSTILE}"),
        rules: rules.iter().map(|r| r.to_string()).collect(),
        quirks: vec![],
        protocol: None,
        class,
        note: None,
        steps: vec![],
        duration_ms: 7,
    }
}

fn run_report(target: &str, profile: &str, cases: Vec<CaseReport>) -> RunReport {
    RunReport {
        generator: "nitrocert 0.1.0".into(),
        target: target.into(),
        endpoint: "ws://127.0.0.1:41234/ws".into(),
        broker_address: None,
        profile: profile.into(),
        seed: 7,
        started_at: "2026-01-01T00:00:00Z".into(),
        duration_ms: 1234,
        summary: Summary::of(&cases),
        cases,
    }
}

/// Two runs: `b` lacks `auth/zeta` and disagrees on `create/AS-CREATE-10`.
fn runs() -> (RunReport, RunReport) {
    let a = run_report(
        "embedded",
        "spec",
        vec![
            case("create/ten", &["AS-CREATE-10"], Class::Pass),
            case("create/two", &["AS-CREATE-2", "AS-ID-2"], Class::Pass),
            case("auth/zeta", &["AUTH-1"], Class::Pass),
            case("auth/alpha", &[], Class::Skip),
        ],
    );
    let b = run_report(
        "clearnode-v0.5.2",
        "spec",
        vec![
            case("create/ten", &["AS-CREATE-10"], Class::Xfail),
            case("create/two", &["AS-CREATE-2", "AS-ID-2"], Class::Pass),
            case("auth/alpha", &[], Class::Skip),
        ],
    );
    (a, b)
}

fn inputs(a: RunReport, b: RunReport) -> Vec<Input> {
    vec![
        Input {
            report: a,
            href: "../a/report.html".into(),
        },
        Input {
            report: b,
            href: "../b/report.html".into(),
        },
    ]
}

fn sdk() -> SdkMatrix {
    SdkMatrix::parse(
        r#"{"format":"nitrocert-sdk-matrix/1","flows":["auth","share read"],
            "notes":{"0.4.0":"older Policy <b>"},
            "cells":[
              {"release":"0.4.0","broker":"clearnode-v0.5.2","flow":"auth","class":"REFUSED","detail":"auth_verify refused: invalid challenge or signature"},
              {"release":"0.4.0","broker":"embedded","flow":"auth","class":"REFUSED","detail":"auth_verify refused: invalid challenge or signature"},
              {"release":"0.4.0","broker":"embedded","flow":"share read","class":"WRONG","detail":"params {participant}","via":"bridged auth"}
            ]}"#,
    )
    .unwrap()
}

#[test]
fn rows_are_cases_grouped_by_area_and_first_rule_in_natural_order() {
    let (a, b) = runs();
    let m = Matrix::build(&inputs(a, b), None);
    let areas: Vec<&str> = m.areas.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(areas, ["auth", "create"]);
    let create: Vec<&str> = m.areas[1].groups.iter().map(|g| g.rule.as_str()).collect();
    assert_eq!(
        create,
        ["AS-CREATE-2", "AS-CREATE-10"],
        "AS-CREATE-2 before AS-CREATE-10"
    );
    let auth: Vec<&str> = m.areas[0].groups.iter().map(|g| g.rule.as_str()).collect();
    assert_eq!(
        auth,
        ["", "AUTH-1"],
        "cases citing no rule form their own group"
    );
    let cells: Vec<(&str, Vec<Option<Class>>, bool)> = m
        .rows()
        .map(|r| (r.id.as_str(), r.cells.clone(), r.differs()))
        .collect();
    assert_eq!(
        cells,
        [
            (
                "auth/alpha",
                vec![Some(Class::Skip), Some(Class::Skip)],
                false
            ),
            ("auth/zeta", vec![Some(Class::Pass), None], true),
            (
                "create/two",
                vec![Some(Class::Pass), Some(Class::Pass)],
                false
            ),
            (
                "create/ten",
                vec![Some(Class::Pass), Some(Class::Xfail)],
                true
            ),
        ]
    );
    assert_eq!((m.missing(0), m.missing(1)), (0, 1));
    assert_eq!(m.columns[1].tally.get(Class::Xfail), 1);
    assert_eq!(m.columns[0].label, "embedded · spec");
}

#[test]
fn markdown_links_each_cell_to_its_case_and_escapes_report_text() {
    let (a, b) = runs();
    let md = Matrix::build(&inputs(a, b), Some(sdk())).markdown();
    assert!(md.contains("| `create/ten` | [PASS](../a/report.html#case-create/ten) | [XFAIL](../b/report.html#case-create/ten) |"), "{md}");
    assert!(md.contains("| `auth/zeta` | [PASS](../a/report.html#case-auth/zeta) | — |"));
    assert!(md.contains("## Cases where the runs differ (2)"));
    assert!(md.contains("| not in the run | 0 | 1 |"));
    assert!(md.contains("| XFAIL | 0 | 1 |"));
    assert!(
        !md.contains("| NON-STRICT |"),
        "classes no run has get no summary row"
    );
    // SDK: reference broker first, the bridged cell marked, notes escaped.
    assert!(md.contains("| release | flow | embedded | clearnode-v0.5.2 |"));
    assert!(md.contains("**WRONG** (bridged): params {participant}"));
    assert!(md.contains("older Policy \\<b\\>"));
    // No description (the hostile text) is printed raw anywhere.
    assert!(!md.contains("<script>"));
}

#[test]
fn html_is_self_contained_escaped_and_links_each_cell() {
    let (a, b) = runs();
    let page = Matrix::build(&inputs(a, b), Some(sdk())).html();
    assert!(page.contains("default-src 'none'"));
    assert!(!page.contains("<script>alert"), "hostile text is escaped");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("<a href=\"../b/report.html#case-create/ten\">XFAIL</a>"));
    assert!(page.contains("<tr data-differs=\"true\"><th class=\"case\""));
    assert!(page.contains("<span class=\"badge c-fail\">REFUSED</span>"));
    assert!(!page.contains("src=\"http"), "nothing fetched");
}

#[test]
fn same_verdicts_give_the_same_bytes() {
    let (a, b) = runs();
    let (mut a2, mut b2) = runs();
    // What differs between two runs with the same verdicts: port, date, durations.
    for r in [&mut a2, &mut b2] {
        r.endpoint = "ws://127.0.0.1:50000/ws".into();
        r.started_at = "2027-05-05T05:05:05Z".into();
        r.duration_ms = 99;
        r.cases.reverse();
        for c in &mut r.cases {
            c.duration_ms = 1;
        }
    }
    let m1 = Matrix::build(&inputs(a, b), Some(sdk()));
    let m2 = Matrix::build(&inputs(a2, b2), Some(sdk()));
    assert_eq!(m1.markdown(), m2.markdown());
    assert_eq!(m1.html(), m2.html());
    // …and a changed verdict changes them.
    let (a3, mut b3) = runs();
    b3.cases[0].class = Class::Fail;
    assert_ne!(
        Matrix::build(&inputs(a3, b3), Some(sdk())).markdown(),
        m1.markdown()
    );
}

#[test]
fn sdk_classes_read_as_written() {
    let m = sdk();
    let c = m.cell("0.4.0", "embedded", "share read").unwrap();
    assert_eq!(c.class, SdkClass::Wrong);
    assert_eq!(m.brokers(), ["embedded", "clearnode-v0.5.2"]);
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nitrocert-matrix-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_json(dir: &Path, name: &str, report: &RunReport) -> String {
    let path = dir.join(name).join("report.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, serde_json::to_string(report).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn cli_writes_then_checks_and_finds_a_stale_file() {
    let dir = temp_dir("cli");
    let (a, b) = runs();
    let (pa, pb) = (write_json(&dir, "a", &a), write_json(&dir, "b", &b));
    let out = dir.join("matrix");
    let out = out.to_str().unwrap();
    let (code, stdout, stderr) = run(&["report", "matrix", "--out", out, &pa, &pb], "");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let md = std::fs::read_to_string(dir.join("matrix/matrix.md")).unwrap();
    assert!(
        md.contains("[report.html](../a/report.html)"),
        "links relative to --out: {md}"
    );
    let (code, stdout, _) = run(&["report", "matrix", "--check", "--out", out, &pa, &pb], "");
    assert_eq!(code, 0, "{stdout}");
    // A changed verdict makes the written files stale.
    let (_, mut b2) = runs();
    b2.cases[1].class = Class::Fail;
    b2.summary = Summary::of(&b2.cases);
    let pb = write_json(&dir, "b", &b2);
    let (code, stdout, _) = run(&["report", "matrix", "--check", "--out", out, &pa, &pb], "");
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("matrix.md"), "{stdout}");
    let (code, _, stderr) = run(
        &["report", "matrix", "--out", out, "/nonexistent/report.json"],
        "",
    );
    assert_eq!(code, 2, "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The inputs of scripts/matrix.sh, which wrote reports/matrix/.
const COMMITTED_INPUTS: [&str; 4] = [
    "reports/embedded/clearnode-0.5.2/report.json",
    "reports/embedded/spec/report.json",
    "reports/clearnode-v0.5.2/clearnode-0.5.2/report.json",
    "reports/clearnode-v0.5.2/spec/report.json",
];

#[test]
fn committed_matrix_is_what_its_committed_inputs_give() {
    let script = std::fs::read_to_string(repo_path("scripts/matrix.sh")).unwrap();
    for input in COMMITTED_INPUTS {
        assert!(
            script.contains(input),
            "scripts/matrix.sh does not use {input}"
        );
    }
    let paths: Vec<String> = COMMITTED_INPUTS
        .iter()
        .map(|p| repo_path(p).to_str().unwrap().to_string())
        .collect();
    let out = repo_path("reports/matrix");
    let sdk = repo_path("tests/sdk/releases/cells.json");
    let mut args = vec![
        "report",
        "matrix",
        "--check",
        "--out",
        out.to_str().unwrap(),
        "--sdk",
        sdk.to_str().unwrap(),
    ];
    args.extend(paths.iter().map(String::as_str));
    let (code, stdout, stderr) = run(&args, "");
    assert_eq!(
        code, 0,
        "reports/matrix is stale: run scripts/matrix.sh\n{stdout}{stderr}"
    );
}

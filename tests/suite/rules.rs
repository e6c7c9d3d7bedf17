//! `nitrocert rules`: a rule's text, code, vectors and tests, from the checkout; and every rule
//! of the digests named by the code that implements it (or listed as having nothing to
//! implement, with a reason).

use crate::util::{repo_path, run};

fn rules(args: &[&str]) -> (i32, String, String) {
    let root = repo_path("");
    let mut all = vec!["rules", "--root", root.to_str().unwrap()];
    all.extend(args);
    run(&all, "")
}

#[test]
fn as_close_2_lists_its_code_vectors_and_tests() {
    let (code, out, err) = rules(&["AS-CLOSE-2"]);
    assert_eq!(code, 0, "{err}");
    let section = |name: &str| -> Vec<&str> {
        let start = out
            .find(&format!("\n{name} ("))
            .unwrap_or_else(|| panic!("{out}"));
        out[start + 1..]
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .collect()
    };
    assert!(
        out.starts_with("AS-CLOSE-2  spec/app-sessions.md:"),
        "{out}"
    );
    assert!(out.contains("The allocations must add up to T"), "{out}");
    let code = section("code");
    assert!(
        code.iter()
            .any(|l| l.contains("src/model/app_session/close.rs:") && l.contains("AS-CLOSE-2:")),
        "{code:?}"
    );
    assert!(
        code.iter().all(|l| !l.contains("src/vectors/catalog")),
        "{code:?}"
    );
    assert!(section("vectors").contains(&"  close/redistribute-freely-v02"));
    let tests = section("tests");
    assert!(
        tests.iter().any(|l| l.contains("src/model/tests/rules.rs:")
            && l.contains("fn as_close_2_free_redistribution")),
        "{tests:?}"
    );
}

#[test]
fn every_rule_of_the_digests_is_named_by_code_or_excepted() {
    let (code, out, err) = rules(&["--missing"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.trim(), "0 rules named by no code");
    let (code, out, _) = rules(&[]);
    assert_eq!(code, 0);
    let summary = out.lines().last().unwrap();
    assert!(summary.contains(" rules named in code;"), "{summary}");
}

#[test]
fn an_excepted_rule_says_why_and_an_unknown_one_is_refused() {
    let (code, out, _) = rules(&["TRANS-9"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("nothing to implement here: Clearnode sends no keepalive"),
        "{out}"
    );
    let (code, _, err) = rules(&["AS-CLOSE-9"]);
    assert_eq!(code, 2);
    assert!(err.contains("AS-CLOSE-9 is no rule"), "{err}");
    let (code, help, _) = run(&["rules", "--help"], "");
    assert_eq!(code, 0);
    assert!(
        help.contains("Examples:") && help.contains("rules AS-CLOSE-2"),
        "{help}"
    );
}

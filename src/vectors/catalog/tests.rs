//! The catalogue fills the committed vectors, and the interpreter does what the fillers'
//! README says: one case per protocol, live checks of the digests' answers, strict parsing,
//! placeholders.

use super::{filler, play};
use crate::vectors::format::Action;
use crate::vectors::{fill, Vector};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

const HEAD: &str = r#"
ids = { v02 = "t/{name}-v02", v04 = "t/{name}-v04", none = "t/{name}" }
defaults = { protocol = "both", setup = [{ open = ["100", "50"] }] }
"#;

/// The vectors of a filler text made of [`HEAD`] and `cases`.
fn filled(cases: &str) -> Vec<Vector> {
    let text = format!("{HEAD}{cases}");
    let rows = filler::rows("test.toml", &text);
    rows.into_iter().map(|row| fill(&play::case(row))).collect()
}

/// The panic message of `f`, which must panic.
fn panic_text(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("it must fail");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

fn wire(vector: &Vector, step: usize) -> &str {
    match &vector.steps[step].action {
        Action::Request { wire, .. } => wire,
        Action::Raw { text, .. } => text,
        other => panic!("no frame at step {step}: {other:?}"),
    }
}

#[test]
fn the_catalogue_fills_the_committed_vectors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let drift = crate::vectors::check(&dir, &crate::vectors::fill_all()).unwrap();
    let drift: Vec<String> = drift.iter().map(ToString::to_string).collect();
    assert!(drift.is_empty(), "{}", drift.join("\n"));
}

#[test]
fn a_row_yields_one_case_per_protocol_with_that_protocols_params() {
    let v = filled(
        r#"
[case.op]
what = "w"
rules = ["AS-OP-2", "Q-13"]
steps = [{ operate = ["A 70", "B 80"], v = 2, sig = ["A", "B"], ok = true }]
"#,
    );
    let ids: Vec<&str> = v.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids, ["t/op-v02", "t/op-v04"]);
    assert_eq!(v[0].protocol.as_deref(), Some("NitroRPC/0.2"));
    assert!(!wire(&v[0], 1).contains("intent"), "0.2 sends no intent");
    assert!(wire(&v[1], 1).contains(r#""intent":"operate","version":2"#));
    assert_eq!(v[1].rules, ["AS-OP-2", "Q-13"]);
}

#[test]
fn an_answer_the_model_does_not_give_fails_the_fill() {
    let wrong = r#"
[case.wrong]
what = "w"
rules = ["AS-OP-2"]
steps = [{ operate = ["A 70", "B 81"], v = 2, sig = ["A", "B"], err = "some other text" }]
"#;
    assert!(panic_text(|| drop(filled(wrong))).contains("the digests say"));
    let right = wrong.replace(
        "some other text",
        "incorrect operate request: non-zero allocations sum delta: asset usdc not fully \
         redistributed",
    );
    assert_eq!(filled(&right).len(), 2);
}

#[test]
fn a_step_sends_exactly_one_thing_and_keys_must_fit_it() {
    let case =
        |step: &str| format!("[case.x]\nwhat = \"w\"\nrules = [\"AS-OP-2\"]\nsteps = [{step}]\n");
    let bad = [
        (r#"{ operate = [], close = [] }"#, "sends one thing"),
        (r#"{ close = [], v = 2 }"#, "`v`"),
        (r#"{ close = [], intent = "x" }"#, "`intent`"),
        (r#"{ close = ["A eth 1 2"] }"#, "WHO [ASSET] AMOUNT"),
        (r#"{ close = [], colour = "red" }"#, "colour"),
        (r#"{ literal = "1e3" }"#, "frame"),
    ];
    for (step, why) in bad {
        let text = case(step);
        let message = panic_text(|| drop(filled(&text)));
        assert!(message.contains(why), "{step}: {message}");
    }
}

#[test]
fn placeholders_name_identities_the_session_and_the_protocol() {
    let v = filled(
        r#"
[case.p]
what = "w"
rules = ["AS-READ-2"]
protocol = "v04"
steps = [{ call = "get_app_definition", params = {
  app_session_id = "{sid:upper}", who = "{B:lower}", p = "{p}", json = '{"x":{}}' } }]
"#,
    );
    let sid = &v[0].steps[0].expect["clearnode-0.5.2"];
    let sid = match sid {
        crate::vectors::format::ExpectOrSame::Expect(e) => {
            e.state.sessions[0].app_session_id.clone()
        }
        other => panic!("{other:?}"),
    };
    let b = &v[0].setup.identities[2];
    assert_eq!(b.name, "B");
    let sent = wire(&v[0], 1);
    assert!(
        sent.contains(&format!("0x{}", sid[2..].to_uppercase())),
        "{sent}"
    );
    assert!(sent.contains(&b.address.to_lowercase()), "{sent}");
    assert!(sent.contains(r#""p":"NitroRPC/0.4""#), "{sent}");
    assert!(
        sent.contains(r#""json":"{\"x\":{}}""#),
        "other braces stay: {sent}"
    );
}

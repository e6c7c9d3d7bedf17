//! Differential comparison tests: what normalisation hides and what it must not.

use super::*;
use crate::verdict::Finding;

fn received(conn: &str, text: &str) -> WireLine {
    WireLine {
        dir: Direction::Received,
        conn: conn.into(),
        text: text.into(),
    }
}

fn step(index: usize, wire: Vec<WireLine>) -> StepReport {
    StepReport {
        index,
        action: "transfer".into(),
        conn: "A".into(),
        class: Class::Pass,
        findings: vec![],
        wire,
    }
}

fn report(steps: Vec<StepReport>) -> CaseReport {
    CaseReport {
        id: "t/case".into(),
        area: "t".into(),
        description: String::new(),
        rules: vec![],
        quirks: vec![],
        protocol: None,
        class: Class::Pass,
        note: None,
        steps,
        duration_ms: 0,
    }
}

fn cmp(a: &CaseReport, b: &CaseReport) -> Outcome {
    compare(&Run::new(a, &[]), &Run::new(b, &[]))
}

const S1: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";
const S2: &str = "0x2222222222222222222222222222222222222222222222222222222222222222";

#[test]
fn clocks_signatures_row_ids_and_session_ids_are_normalised() {
    let frame = |sid: &str, ts: u64, sig: &str, row: u64| {
        format!(
            r#"{{"res":[3,"create_app_session",{{"app_session_id":"{sid}","id":{row},"status":"open","created_at":"2026-01-0{row}"}},{ts}],"sig":["{sig}"]}}"#
        )
    };
    let a = report(vec![step(0, vec![received("A", &frame(S1, 1, "0xaa", 1))])]);
    let b = report(vec![step(0, vec![received("A", &frame(S2, 2, "0xbb", 7))])]);
    assert_eq!(cmp(&a, &b), Outcome::Agree { steps: 1 });
}

#[test]
fn a_different_value_request_id_or_method_diverges() {
    let base = r#"{"res":[3,"transfer",{"amount":"5"},1764668400000],"sig":[]}"#;
    for other in [
        r#"{"res":[3,"transfer",{"amount":"6"},1764668400000],"sig":[]}"#,
        r#"{"res":[10,"transfer",{"amount":"5"},1764668400000],"sig":[]}"#,
        r#"{"res":[3,"error",{"error":"insufficient funds"},1764668400000],"sig":[]}"#,
    ] {
        let a = report(vec![step(0, vec![]), step(1, vec![received("A", base)])]);
        let b = report(vec![step(0, vec![]), step(1, vec![received("A", other)])]);
        let Outcome::Diverge { step, why } = cmp(&a, &b) else {
            panic!("{other} should diverge");
        };
        assert_eq!(step, 1);
        assert!(why.starts_with("A: frame 0"), "{why}");
    }
}

#[test]
fn session_ids_must_appear_in_the_same_order() {
    let reply = |sid: &str| format!(r#"{{"res":[3,"x",{{"app_session_id":"{sid}"}},1],"sig":[]}}"#);
    // A names one session twice, B two different sessions: not the same behaviour.
    let a = report(vec![
        step(0, vec![received("A", &reply(S1))]),
        step(1, vec![received("A", &reply(S1))]),
    ]);
    let b = report(vec![
        step(0, vec![received("A", &reply(S1))]),
        step(1, vec![received("A", &reply(S2))]),
    ]);
    assert!(matches!(cmp(&a, &b), Outcome::Diverge { step: 1, .. }));
}

// Q-10: notifications between two replies, and rows inside one, come in any order.
#[test]
fn the_order_of_pushes_is_free_the_order_of_replies_is_not() {
    let bu = |rows: &str| format!(r#"{{"res":[0,"bu",{{"balance_updates":{rows}}},1],"sig":[]}}"#);
    let (x, y) = (
        r#"[{"asset":"usdc","amount":"1"},{"asset":"eth","amount":"2"}]"#,
        r#"[{"asset":"eth","amount":"2"},{"asset":"usdc","amount":"1"}]"#,
    );
    let tr = r#"{"res":[0,"tr",{"transactions":[]},1],"sig":[]}"#;
    let a = report(vec![step(
        0,
        vec![received("A", &bu(x)), received("A", tr)],
    )]);
    let b = report(vec![step(
        0,
        vec![received("A", tr), received("A", &bu(y))],
    )]);
    assert_eq!(cmp(&a, &b), Outcome::Agree { steps: 1 });
    // A missing push is a divergence.
    let c = report(vec![step(0, vec![received("A", tr)])]);
    assert!(matches!(cmp(&a, &c), Outcome::Diverge { step: 0, .. }));
}

#[test]
fn a_harness_error_is_an_error_not_a_divergence() {
    let harness = StepReport {
        action: "harness".into(),
        class: Class::Error,
        findings: vec![Finding {
            class: Class::Error,
            what: "harness".into(),
            message: "connection closed".into(),
            expected: None,
            received: None,
        }],
        ..step(1, vec![])
    };
    let a = report(vec![step(0, vec![]), step(1, vec![])]);
    let b = report(vec![step(0, vec![]), harness]);
    assert_eq!(
        cmp(&a, &b),
        Outcome::Error {
            side: 'B',
            message: "connection closed".into()
        }
    );
}

#[test]
fn jwts_uuids_and_clocks_in_texts_are_masked() {
    let mut names = Names::default();
    let text = normalise_text(
        "eyJhbGciOi.x.y at 1764668400000 for 123e4567-e89b-12d3-a456-426614174000, 42",
        &mut names,
    );
    assert_eq!(text, "<jwt> at <clock> for <uuid>, 42");
}

#[test]
fn books_read_back_are_compared_after_each_step() {
    let books = |amount: &str| {
        let mut b = Books::default();
        b.unified.entry("A".into()).or_default().insert(
            "usdc".into(),
            crate::model::amount::parse_decimal(amount).unwrap(),
        );
        b
    };
    let r = report(vec![step(0, vec![])]);
    let (same, other) = (vec![books("5")], vec![books("6")]);
    assert_eq!(
        compare(&Run::new(&r, &same), &Run::new(&r, &same)),
        Outcome::Agree { steps: 1 }
    );
    let Outcome::Diverge { step: 0, why } = compare(&Run::new(&r, &same), &Run::new(&r, &other))
    else {
        panic!("different books diverge");
    };
    assert!(why.starts_with("books:"), "{why}");
}

#[test]
fn a_reply_id_the_broker_drew_from_its_clock_is_masked_a_request_id_is_not() {
    let drawn = |id: u64, ts: u64| {
        let text = format!(r#"{{"res":[{id},"error",{{"error":"x"}},{ts}],"sig":[]}}"#);
        normalise_frame(&text, &mut Names::default())
    };
    assert_eq!(
        drawn(1_796_205_854_711, 1_796_205_854_712),
        drawn(1_796_205_854_672, 1_796_205_854_673)
    );
    assert_ne!(drawn(7, 1_796_205_854_712), drawn(8, 1_796_205_854_712));
}

#[test]
fn a_history_row_s_echo_of_each_broker_s_clock_is_masked_its_request_is_not() {
    let row = |ts: u64, sig: &str, req_id: u64| {
        let text = format!(
            r#"{{"res":[4,"get_rpc_history",{{"rpc_entries":[{{"id":9,"sender":"0xab","req_id":{req_id},"method":"transfer","params":"{{}}","timestamp":{ts},"req_sig":["{sig}"],"response":"[3,\"transfer\",{{}},{ts}]","res_sig":["{sig}"]}}]}},1],"sig":[]}}"#
        );
        normalise_frame(&text, &mut Names::default())
    };
    assert_eq!(
        row(1_796_221_801_878, "0xbd", 3),
        row(1_796_223_721_815, "0x31", 3)
    );
    assert_ne!(
        row(1_796_221_801_878, "0xbd", 3),
        row(1_796_221_801_878, "0xbd", 4)
    );
}

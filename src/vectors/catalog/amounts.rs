//! Decimal amounts (AS-AMT-1..6, AS-GEN-6): the accepted and rejected forms of an allocation
//! amount, JSON numbers through a double, rendering, and storage rounding, under both protocols.
//! Every case puts the amount in a create row (the parse and the walk are the same for submit
//! and close); a few check the same forms in an operate.

use super::common::{
    open, operate, pair, per_protocol, signed_raw, splice, vid, want_err, want_ok, want_spec_reject,
};
use crate::vectors::build::{create, definition, row};
use crate::vectors::Case;
use serde_json::{json, Value};

const AREA: &str = "amounts";
const PARSE: &str = "failed to parse parameters";

/// A create of an "app" session where A's row carries `amount` (any JSON value), signed by A.
fn create_with(p: &str, a: &str, b: &str, amount: Value) -> Value {
    let d = definition("app", p, &[a, b], &[50, 50], 100, 1);
    create(
        d,
        vec![json!({"participant": a, "asset": "usdc", "amount": amount})],
        None,
    )
}

/// Rejected string forms: `(case name, amount text, why)`.
const REJECTED: &[(&str, &str, &str)] = &[
    ("empty-string", "", "an empty string is not 0 (Q-33)"),
    ("leading-space", " 1", "surrounding whitespace is rejected"),
    ("trailing-space", "1 ", "surrounding whitespace is rejected"),
    ("underscore", "1_0", "digit separators are rejected"),
    ("hex", "0x10", "hex is rejected"),
    ("nan", "NaN", "NaN is rejected"),
    ("infinity", "Infinity", "Infinity is rejected"),
    ("bare-exponent", "1e", "an exponent needs digits"),
    ("two-dots", "1.2.3", "a second dot is rejected"),
    ("lone-dot", ".", "a lone dot is not a number"),
    ("word", "ten", "letters are rejected"),
    (
        "exponent-beyond-int32",
        "1e2147483648",
        "the exponent must fit int32",
    ),
    ("plus-minus", "+-1", "two signs are rejected"),
];

/// Accepted string forms: `(case name, amount text, what A's session row becomes)`.
const ACCEPTED: &[(&str, &str, &str)] = &[
    ("leading-plus", "+5", "5"),
    ("leading-dot", ".5", "0.5"),
    ("trailing-dot", "5.", "5"),
    ("exponent", "1e2", "100"),
    ("upper-exponent", "2.5E1", "25"),
    ("negative-exponent", "5e-1", "0.5"),
    ("leading-zeros", "007", "7"),
    ("trailing-zeros", "100.500", "100.5"),
    (
        "eighteen-decimals",
        "0.000000000000000001",
        "0.000000000000000001",
    ),
];

pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    for (name, text, why) in REJECTED {
        v.extend(per_protocol(move |p| {
            Case::new(
                vid(AREA, &format!("reject-{name}"), p),
                format!("The amount {text:?} fails to parse: {why}."),
            )
            .rules(&["AS-AMT-1", "AS-GEN-6", "AS-GEN-3"])
            .quirks(if *name == "empty-string" {
                &["Q-33"]
            } else {
                &[]
            })
            .flags(&["invalid-input"])
            .protocol(p)
            .script(move |r| {
                let (a, b) = pair(r);
                r.request(
                    "A",
                    "create_app_session",
                    create_with(p, &a, &b, json!(text)),
                    &["A"],
                );
                want_err(r, PARSE);
            })
        }));
    }
    for (name, text, becomes) in ACCEPTED {
        v.extend(per_protocol(move |p| {
            Case::new(
                vid(AREA, &format!("accept-{name}"), p),
                format!("The amount {text:?} is valid and funds the session with {becomes}."),
            )
            .rules(&["AS-AMT-1", "AS-AMT-5", "AS-CREATE-4"])
            .protocol(p)
            .script(move |r| {
                let (a, b) = pair(r);
                r.request(
                    "A",
                    "create_app_session",
                    create_with(p, &a, &b, json!(text)),
                    &["A"],
                );
                want_ok(r);
            })
        }));
    }
    v.extend(per_protocol(non_string_types));
    v.extend(per_protocol(minus_zero));
    v.extend(per_protocol(null_and_missing));
    v.extend(per_protocol(number_fraction));
    v.extend(per_protocol(number_point_one));
    v.extend(per_protocol(number_exponent_literal));
    v.extend(per_protocol(number_big_integer));
    v.extend(per_protocol(number_tiny));
    v.extend(per_protocol(number_1e400));
    v.extend(per_protocol(number_1e46));
    v.extend(per_protocol(negative_tiny));
    v.extend(per_protocol(nineteen_decimals));
    v.extend(per_protocol(far_below_storage));
    v.extend(per_protocol(oversized_string));
    v.extend(per_protocol(exact_sums));
    v.extend(per_protocol(escaped_digit));
    v.extend(per_protocol(operate_number_amounts));
    v.extend(per_protocol(operate_bad_amount));
    v
}

fn non_string_types(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "reject-bool-array-object", p),
        "Amounts that are true, an array or an object fail to parse.",
    )
    .rules(&["AS-AMT-1", "AS-GEN-6"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        for bad in [json!(true), json!(["1"]), json!({"value": "1"})] {
            r.request(
                "A",
                "create_app_session",
                create_with(p, &a, &b, bad),
                &["A"],
            );
            want_err(r, PARSE);
        }
    })
}

fn minus_zero(p: &'static str) -> Case {
    Case::new(vid(AREA, "minus-zero-is-zero", p), "\"-0\", \"-0.0\" and the number -0.0 are zero, not negative: the rows are skipped, even unsigned.")
        .rules(&["AS-AMT-1", "AS-CREATE-1"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let d = definition("app", p, &[&a, &b], &[50, 50], 100, 1);
            let rows = vec![
                json!({"participant": b, "asset": "usdc", "amount": "-0"}),
                json!({"participant": b, "asset": "usdc", "amount": "-0.0"}),
                json!({"participant": b, "asset": "usdc", "amount": -0.0}),
            ];
            r.request("A", "create_app_session", create(d, rows, None), &[]);
            want_ok(r);
        })
}

fn null_and_missing(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "null-and-missing-are-zero", p),
        "A null amount and a row without amount are 0 and skipped, so B needs no signature.",
    )
    .rules(&["AS-AMT-1", "AS-CREATE-1"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let d = definition("app", p, &[&a, &b], &[50, 50], 100, 1);
        let rows = vec![
            json!({"participant": b, "asset": "usdc", "amount": null}),
            json!({"participant": b, "asset": "usdc"}),
            row(&a, "usdc", "1"),
        ];
        r.request("A", "create_app_session", create(d, rows, None), &["A"]);
        want_ok(r);
    })
}

fn number_fraction(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "number-1.5", p),
        "A JSON number 1.5 is accepted as the decimal 1.5.",
    )
    .rules(&["AS-AMT-3", "WIRE-13"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        r.request(
            "A",
            "create_app_session",
            create_with(p, &a, &b, json!(1.5)),
            &["A"],
        );
        want_ok(r);
    })
}

fn number_point_one(p: &'static str) -> Case {
    Case::new(vid(AREA, "number-0.1", p), "The JSON number 0.1 becomes exactly 0.1 (the double's shortest form), not 0.1000000000000000055….")
        .rules(&["AS-AMT-3"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            r.request("A", "create_app_session", create_with(p, &a, &b, json!(0.1)), &["A"]);
            want_ok(r);
        })
}

fn number_exponent_literal(p: &'static str) -> Case {
    Case::new(vid(AREA, "number-1e3-literal", p), "The JSON number written 1e3 funds the session with 1000 (hand-built frame: the builder writes 1000.0).")
        .rules(&["AS-AMT-3", "AS-AMT-5"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let params = splice(&create_with(p, &a, &b, json!("@N@")), "1e3");
            signed_raw(r, "A", "create_app_session", &params, &["A"]);
            want_ok(r);
        })
}

fn number_big_integer(p: &'static str) -> Case {
    Case::new(vid(AREA, "number-123456789012345678901", p), "The integer 123456789012345678901 passes through a double and becomes 123456789012345680000, which A cannot afford.")
        .rules(&["AS-AMT-3", "AS-AMT-5"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let params = splice(&create_with(p, &a, &b, json!("@N@")), "123456789012345678901");
            signed_raw(r, "A", "create_app_session", &params, &["A"]);
            want_err(r, &format!("insufficient funds: {a} for asset usdc"));
        })
}

fn number_tiny(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "number-1e-7", p),
        "The JSON number 1e-7 is the decimal 0.0000001.",
    )
    .rules(&["AS-AMT-3", "AS-AMT-5"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        let params = splice(&create_with(p, &a, &b, json!("@N@")), "1e-7");
        signed_raw(r, "A", "create_app_session", &params, &["A"]);
        want_ok(r);
    })
}

fn number_1e400(p: &'static str) -> Case {
    Case::new(vid(AREA, "number-1e400-frame-error", p), "A number beyond the double range (1e400) rejects the whole frame as invalid message format, echoing the client's id.")
        .rules(&["AS-AMT-3", "AS-GEN-4", "WIRE-3", "WIRE-8"])
        .quirks(&["Q-32"])
        .flags(&["invalid-input", "envelope"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let params = splice(&create_with(p, &a, &b, json!("@N@")), "1e400");
            signed_raw(r, "A", "create_app_session", &params, &["A"]);
            want_err(r, "invalid message format");
        })
}

fn number_1e46(p: &'static str) -> Case {
    Case::new(vid(AREA, "number-1e46", p), "The number 1e46 is a valid amount but fails the balance check at create (before any ledger write).")
        .rules(&["SPEC-5", "AS-AMT-3", "AS-AMT-4", "AS-CREATE-1"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            r.request("A", "create_app_session", create_with(p, &a, &b, json!(1e46)), &["A"]);
            want_err(r, &format!("insufficient funds: {a} for asset usdc"));
        })
}

fn negative_tiny(p: &'static str) -> Case {
    Case::new(vid(AREA, "negative-rendering", p), "A negative amount with trailing zeros and an exponent is rendered plainly in the error (\"-0.00012\").")
        .rules(&["AS-AMT-5", "AS-AMT-1"])
        .flags(&["invalid-input"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            r.request("A", "create_app_session", create_with(p, &a, &b, json!("-1.2000e-4")), &["A"]);
            want_err(r, "negative allocation: -0.00012 for asset usdc");
        })
}

fn nineteen_decimals(p: &'static str) -> Case {
    Case::new(vid(AREA, "nineteen-decimals-rounded", p), "A row of 1.0000000000000000005 (19 decimals) is checked exactly but stored rounded half away from zero to 18 decimals; the spec profile refuses it.")
        .rules(&["SPEC-5", "AS-AMT-2", "AS-AMT-4", "AS-INV-1"])
        .quirks(&["Q-16"])
        .flags(&["conservation"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            r.request("A", "create_app_session", create_with(p, &a, &b, json!("1.0000000000000000005")), &["A"]);
            want_ok(r);
            want_spec_reject(r);
        })
}

fn far_below_storage(p: &'static str) -> Case {
    Case::new(vid(AREA, "below-storage-precision", p), "A row of 1e-20 is positive, so A must sign, but it is stored as a 0 entry: nothing moves, yet usdc then counts as a session asset with total 0.")
        .rules(&["SPEC-5", "AS-AMT-4", "AS-AMT-2", "AS-MODEL-1"])
        .quirks(&["Q-16"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            r.request("A", "create_app_session", create_with(p, &a, &b, json!("1e-20")), &["B"]);
            want_err(r, &format!("missing signature for participant {a}"));
            r.request("A", "create_app_session", create_with(p, &a, &b, json!("1e-20")), &["A"]);
            want_ok(r);
            // The rounded entry still exists with 0, so usdc is a session asset with total 0.
            let sid = crate::vectors::build::session_id(&definition("app", p, &[&a, &b], &[50, 50], 100, 1));
            r.request("A", "submit_app_state", operate(p, &sid, 2, vec![row(&a, "usdc", "1")]), &["A", "B"]);
            want_err(r, "incorrect operate request: non-zero allocations sum delta: asset usdc is not deposited into the app session. Please deposit the asset first");
        })
}

fn oversized_string(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "oversized-string", p),
        "A string amount of 1e46 parses but A cannot afford it.",
    )
    .rules(&["SPEC-5", "AS-AMT-1", "AS-AMT-4"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let (a, b) = pair(r);
        r.request(
            "A",
            "create_app_session",
            create_with(p, &a, &b, json!("1e46")),
            &["A"],
        );
        want_err(r, &format!("insufficient funds: {a} for asset usdc"));
    })
}

fn exact_sums(p: &'static str) -> Case {
    Case::new(vid(AREA, "exact-decimal-sums", p), "Rows 0.1 and 0.2 leave exactly 999.7 in the bu and 0.3 in the session, where a float-summing (SQLite) broker would show 0.30000000000000004.")
        .rules(&["AS-AMT-2", "AS-AMT-5", "AS-AMT-6", "AS-CREATE-3", "AS-NOTIF-2"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let d = definition("app", p, &[&a, &b], &[50, 50], 100, 1);
            let rows = vec![row(&a, "usdc", "0.1"), row(&a, "usdc", "0.2")];
            r.request("A", "create_app_session", create(d, rows, None), &["A"]);
            want_ok(r);
        })
}

fn escaped_digit(p: &'static str) -> Case {
    Case::new(vid(AREA, "escaped-digit", p), "JSON escapes are resolved before parsing: the string \"\\u0031\" is the amount 1 (hand-built frame).")
        .rules(&["AS-GEN-6", "AS-AMT-1"])
        .protocol(p)
        .script(move |r| {
            let (a, b) = pair(r);
            let params = splice(&create_with(p, &a, &b, json!("@N@")), "\"\\u0031\"");
            signed_raw(r, "A", "create_app_session", &params, &["A"]);
            want_ok(r);
        })
}

fn operate_number_amounts(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "operate-number-amounts", p),
        "An operate may use JSON numbers: 70.5 and 79.5 redistribute a total of 150.",
    )
    .rules(&["AS-AMT-3", "AS-OP-2"])
    .protocol(p)
    .script(move |r| {
        let s = open(r, p, "100", "50");
        let rows = vec![
            json!({"participant": s.a, "asset": "usdc", "amount": 70.5}),
            json!({"participant": s.b, "asset": "usdc", "amount": 79.5}),
        ];
        r.request(
            "A",
            "submit_app_state",
            operate(p, &s.sid, 2, rows),
            &["A", "B"],
        );
        want_ok(r);
    })
}

fn operate_bad_amount(p: &'static str) -> Case {
    Case::new(
        vid(AREA, "operate-malformed-amount", p),
        "A malformed amount in an operate fails to parse before the session is even looked up.",
    )
    .rules(&["AS-AMT-1", "AS-SUBMIT-1"])
    .flags(&["invalid-input"])
    .protocol(p)
    .script(move |r| {
        let s = open(r, p, "100", "50");
        let rows = vec![row(&s.a, "usdc", "1..5"), row(&s.b, "usdc", "148.5")];
        r.request(
            "A",
            "submit_app_state",
            operate(p, &s.sid, 2, rows),
            &["A", "B"],
        );
        want_err(r, PARSE);
    })
}

//! The amounts case TOML cannot write (a null amount): the rest are rows of
//! `vectors/fillers/amounts.toml`.

use super::common::{pair, per_protocol, vid, want_ok};
use crate::vectors::build::{create, definition, row};
use crate::vectors::Case;
use serde_json::json;

pub fn cases() -> Vec<Case> {
    per_protocol(null_and_missing)
}

fn null_and_missing(p: &'static str) -> Case {
    let what = "A null amount and a row without amount are 0 and skipped, so B needs no signature.";
    Case::new(vid("amounts", "null-and-missing-are-zero", p), what)
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

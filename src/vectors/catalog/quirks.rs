//! The quirk case TOML cannot write (a quorum above 2^63): the rest are rows of
//! `vectors/fillers/quirks.toml`.

use super::common::{pair, want_err};
use crate::vectors::build::{create, definition};
use crate::vectors::coverage::V04;
use crate::vectors::Case;

pub fn cases() -> Vec<Case> {
    vec![weight_sum_wraps()]
}

/// three weights of 2^63 − 1024 and a quorum of 2^63.
fn weight_sum_wraps() -> Case {
    let what = "Three weights of 2^63-1024 (read back as 9223372036854775000, AS-DEF-2) sum past \
                2^64 and wrap to 9223372036854773384, so quorum 2^63 (read as \
                9223372036854776000) fails the target check though the true sum is larger.";
    Case::new("quirks/q-34-weight-sum-wraps", what)
        .rules(&["AS-DEF-3", "AS-DEF-2"])
        .quirks(&["Q-34"])
        .flags(&["invalid-input"])
        .protocol(V04)
        .script(|r| {
            let (a, b) = pair(r);
            let c = r.wallet("C");
            let w = 9_223_372_036_854_774_784;
            let quorum = 9_223_372_036_854_775_808;
            let d = definition("app", V04, &[&a, &b, &c], &[w, w, w], quorum, 1);
            r.request("A", "create_app_session", create(d, vec![], None), &[]);
            want_err(
                r,
                "target quorum (9223372036854776000) cannot be greater than total sum of weights \
                 (9223372036854773384)",
            );
        })
}

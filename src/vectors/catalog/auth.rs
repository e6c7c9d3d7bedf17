//! The authentication case that carries a value from one reply into the next request: the rest
//! are rows of `vectors/fillers/auth.toml`.

use super::common::{last_result, want_ok};
use crate::vectors::Case;
use serde_json::json;

pub fn cases() -> Vec<Case> {
    vec![jwt_reauth()]
}

/// The JWT the first handshake returns authenticates the second connection.
fn jwt_reauth() -> Case {
    let what = "The JWT from a signature handshake re-authenticates another connection without a \
                signature; the reply has no jwt_token.";
    Case::new("auth/jwt-reauth", what)
        .rules(&["AUTH-10", "AUTH-11", "REPLAY-4", "NOTIF-3"])
        .script(|r| {
            r.connect("c1", None);
            r.connect("c2", None);
            let auth = r.root_auth("A");
            r.authenticate("c1", auth);
            want_ok(r);
            let token = last_result(r)["jwt_token"]
                .as_str()
                .expect("a jwt")
                .to_string();
            r.request("c2", "auth_verify", json!({"jwt": token}), &[]);
            want_ok(r);
        })
}

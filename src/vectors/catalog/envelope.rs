//! The envelope (WIRE-1..17, SIG-1, TRANS-4, AS-GEN-4): frames sent byte for byte and the exact
//! error each stage of the decode pipeline gives (wire-and-auth.md §2.7). No FUZZ-1 shapes
//! (`"req":null` with a later malformed member) are here: they crash Clearnode.
//!
//! The vector format records the error text, not the response id, so the id rules (WIRE-8,
//! Q-32) are stated in the descriptions for a runner to check.

use super::common::{now_ms, pair, want_err, want_no_reply, want_ok};
use crate::vectors::recorder::Recorder;
use crate::vectors::Case;
use serde_json::json;

const AREA: &str = "envelope";
const FORMAT: &str = "invalid message format";
const VALIDATION: &str = "message validation failed";

#[derive(Clone, Copy)]
enum Want {
    Ok,
    Err(&'static str),
    NoReply,
}

fn check(r: &Recorder, want: Want) {
    match want {
        Want::Ok => want_ok(r),
        Want::Err(t) => want_err(r, t),
        Want::NoReply => want_no_reply(r),
    }
}

/// A frame sent on a fresh, unauthenticated connection.
fn anon(name: &str, description: &str, rules: &[&str], text: &'static str, want: Want) -> Case {
    let mut flags = vec!["envelope"];
    if !matches!(want, Want::Ok) {
        flags.push("invalid-input");
    }
    Case::new(format!("{AREA}/{name}"), description)
        .rules(rules)
        .flags(&flags)
        .script(move |r| {
            r.connect("c", None);
            r.raw("c", text);
            check(r, want);
        })
}

/// A private request (`get_ledger_balances`, no signature needed) on A's authenticated
/// connection with `req[3]` = `ts(now)`.
fn private_ts(
    name: &str,
    description: &str,
    rules: &[&str],
    ts: fn(u64) -> u64,
    want: Want,
) -> Case {
    let flags: &[&str] = if matches!(want, Want::Ok) {
        &["envelope"]
    } else {
        &["envelope", "invalid-input"]
    };
    Case::new(format!("{AREA}/{name}"), description)
        .rules(rules)
        .flags(flags)
        .script(move |r| {
            pair(r);
            let now = now_ms(r);
            let req = format!("[5,\"get_ledger_balances\",{{}},{}]", ts(now));
            if ts(now + 1_000) == ts(now) + 1_000 {
                // Relative to the clock: live replays rebuild it at their clock.
                r.raw_request("A", &req, ts(now) as i64 - now as i64, vec![]);
            } else {
                // A fixed ts (its digit count is the point): sent as is everywhere.
                r.raw("A", &format!("{{\"req\":{req},\"sig\":[]}}"));
            }
            check(r, want);
        })
}

pub fn cases() -> Vec<Case> {
    let mut v = vec![
        anon("not-json", "A frame that is not JSON gets invalid message format with the broker's clock as id (WIRE-8, Q-32).", &["WIRE-3", "WIRE-8", "WIRE-16", "AS-GEN-4"], "hello", Want::Err(FORMAT)),
        anon("whitespace-only", "A whitespace-only frame is not empty: invalid message format.", &["TRANS-4", "WIRE-3"], " ", Want::Err(FORMAT)),
        anon("empty-frame", "A zero-length frame is skipped with no reply at all.", &["TRANS-4"], "", Want::NoReply),
        anon("top-level-array", "A bare req array without the envelope object is invalid.", &["WIRE-1", "WIRE-3"], "[1,\"ping\",{},1]", Want::Err(FORMAT)),
        anon("top-level-string", "A top-level JSON string is invalid.", &["WIRE-3"], "\"ping\"", Want::Err(FORMAT)),
        anon("trailing-bytes", "Bytes after the object are a syntax error (synthetic id).", &["WIRE-3", "WIRE-8"], "{\"req\":[1,\"ping\",{},1]} x", Want::Err(FORMAT)),
        anon("req-three-elements", "A req array of 3 elements is invalid.", &["WIRE-1", "WIRE-3"], "{\"req\":[1,\"ping\",{}],\"sig\":[]}", Want::Err(FORMAT)),
        anon("req-five-elements", "A req array of 5 elements is invalid.", &["WIRE-1", "WIRE-3"], "{\"req\":[1,\"ping\",{},1,5],\"sig\":[]}", Want::Err(FORMAT)),
        anon("id-string", "A string request id is invalid.", &["WIRE-1", "WIRE-3"], "{\"req\":[\"1\",\"ping\",{},1],\"sig\":[]}", Want::Err(FORMAT)),
        anon("id-negative", "A negative request id is invalid.", &["WIRE-1", "WIRE-3"], "{\"req\":[-1,\"ping\",{},1],\"sig\":[]}", Want::Err(FORMAT)),
        anon("id-fraction", "A fractional request id (1.5) is invalid.", &["WIRE-1", "WIRE-3"], "{\"req\":[1.5,\"ping\",{},1],\"sig\":[]}", Want::Err(FORMAT)),
        anon("id-exponent", "A request id in exponent form (1e3) is invalid.", &["WIRE-1", "WIRE-3"], "{\"req\":[1e3,\"ping\",{},1],\"sig\":[]}", Want::Err(FORMAT)),
        anon("id-2-pow-64", "A request id of 2^64 overflows uint64 and is invalid.", &["WIRE-1", "WIRE-3"], "{\"req\":[18446744073709551616,\"ping\",{},1],\"sig\":[]}", Want::Err(FORMAT)),
        anon("id-max-uint64", "The largest uint64 id is accepted and echoed exactly in the pong.", &["WIRE-1", "WIRE-10", "API-1"], "{\"req\":[18446744073709551615,\"ping\",{},1],\"sig\":[]}", Want::Ok),
        anon("method-number", "A numeric method is invalid, and the already decoded id 7 is echoed (WIRE-8).", &["WIRE-1", "WIRE-3", "WIRE-8"], "{\"req\":[7,5,{},1],\"sig\":[]}", Want::Err(FORMAT)),
        anon("ts-string", "A string timestamp is invalid (id 7 echoed).", &["WIRE-1", "WIRE-3", "WIRE-8"], "{\"req\":[7,\"ping\",{},\"1\"],\"sig\":[]}", Want::Err(FORMAT)),
        anon("sig-not-array", "sig as a string after req is a type mismatch: invalid, id 7 echoed.", &["WIRE-3", "WIRE-8"], "{\"req\":[7,\"ping\",{},1],\"sig\":\"x\"}", Want::Err(FORMAT)),
        anon("sig-not-array-before-req", "sig as a string before req is recorded and decoding goes on, so id 7 is still echoed.", &["WIRE-3", "WIRE-8"], "{\"sig\":\"x\",\"req\":[7,\"ping\",{},1]}", Want::Err(FORMAT)),
        anon("sig-entry-not-hex-after-req", "A non-hex sig entry after req stops decoding with id 7 already read (echoed).", &["WIRE-3", "WIRE-8", "SIG-1"], "{\"req\":[7,\"ping\",{},1],\"sig\":[\"zz\"]}", Want::Err(FORMAT)),
        anon("sig-entry-not-hex-before-req", "A non-hex sig entry before req stops decoding before the id is read (synthetic id).", &["WIRE-3", "WIRE-8", "SIG-1"], "{\"sig\":[\"zz\"],\"req\":[7,\"ping\",{},1]}", Want::Err(FORMAT)),
        anon("sig-odd-length", "An odd-length hex signature (\"0x0\") is invalid.", &["WIRE-3", "SIG-1"], "{\"req\":[7,\"ping\",{},1],\"sig\":[\"0x0\"]}", Want::Err(FORMAT)),
        anon("sig-without-prefix", "A signature without the 0x prefix is invalid.", &["WIRE-3", "SIG-1"], "{\"req\":[7,\"ping\",{},1],\"sig\":[\"abcd\"]}", Want::Err(FORMAT)),
        anon("sig-empty-string", "An empty-string signature is invalid.", &["WIRE-3", "SIG-1"], "{\"req\":[7,\"ping\",{},1],\"sig\":[\"\"]}", Want::Err(FORMAT)),
        anon("sig-entry-number", "A numeric sig entry is invalid.", &["WIRE-3"], "{\"req\":[7,\"ping\",{},1],\"sig\":[1]}", Want::Err(FORMAT)),
        anon("sig-0x-empty-bytes", "\"0x\" decodes to zero bytes and passes the envelope; ping never looks at signatures.", &["SIG-1", "SIG-5", "API-1"], "{\"req\":[7,\"ping\",{},1],\"sig\":[\"0x\"]}", Want::Ok),
        anon("sig-upper-prefix", "A 0X prefix and upper-case hex are accepted.", &["SIG-1"], "{\"req\":[7,\"ping\",{},1],\"sig\":[\"0XABCD\"]}", Want::Ok),
        anon("sig-garbage-ignored", "Valid hex that is no signature is ignored by methods that do not check signatures.", &["SIG-5"], "{\"req\":[7,\"ping\",{},1],\"sig\":[\"0xdeadbeef\"]}", Want::Ok),
        anon("sid-number", "A numeric sid is a type mismatch: invalid message format, id 7 echoed.", &["WIRE-3", "WIRE-8", "WIRE-14"], "{\"sid\":1,\"req\":[7,\"ping\",{},1],\"sig\":[]}", Want::Err(FORMAT)),
        anon("sid-string-ignored", "A string sid is decoded and ignored.", &["WIRE-14", "WIRE-1"], "{\"req\":[7,\"ping\",{},1],\"sig\":[],\"sid\":\"0xabc\"}", Want::Ok),
        anon("id-zero", "Request id 0 is reserved for notifications and fails validation (synthetic id).", &["WIRE-4", "WIRE-9", "WIRE-8"], "{\"req\":[0,\"ping\",{},1],\"sig\":[]}", Want::Err(VALIDATION)),
        anon("method-empty", "An empty method fails validation.", &["WIRE-4"], "{\"req\":[1,\"\",{},1],\"sig\":[]}", Want::Err(VALIDATION)),
        anon("params-null", "null params fail validation.", &["WIRE-4", "AS-GEN-4"], "{\"req\":[1,\"ping\",null,1],\"sig\":[]}", Want::Err(VALIDATION)),
        anon("ts-zero", "Timestamp 0 fails validation.", &["WIRE-4"], "{\"req\":[1,\"ping\",{},0],\"sig\":[]}", Want::Err(VALIDATION)),
        anon("empty-object", "An object without req fails validation.", &["WIRE-4"], "{}", Want::Err(VALIDATION)),
        anon("json-null", "A JSON null frame fails validation.", &["WIRE-4"], "null", Want::Err(VALIDATION)),
        anon("sig-only", "An object with only sig fails validation.", &["WIRE-4"], "{\"sig\":[]}", Want::Err(VALIDATION)),
        anon("res-only", "A client frame with only res fails validation.", &["WIRE-4", "WIRE-2"], "{\"res\":[1,\"ping\",{},1],\"sig\":[]}", Want::Err(VALIDATION)),
        anon("req-and-res", "A frame with both req and res fails validation.", &["WIRE-4"], "{\"req\":[1,\"ping\",{},1],\"res\":[1,\"ping\",{},1],\"sig\":[]}", Want::Err(VALIDATION)),
        anon("req-null-with-res", "\"req\":null next to a valid res reaches the nil check: message request is empty.", &["WIRE-5"], "{\"req\":null,\"res\":[1,\"ping\",{},1]}", Want::Err("message request is empty")),
        anon("method-wrong-case", "Routing is case-sensitive: PING is unknown.", &["WIRE-6", "AS-GEN-4"], "{\"req\":[1,\"PING\",{},1],\"sig\":[]}", Want::Err("unknown method: PING")),
        anon("method-notification-name", "Notification names such as bu are not request methods.", &["WIRE-6", "NOTIF-1"], "{\"req\":[1,\"bu\",{},1],\"sig\":[]}", Want::Err("unknown method: bu")),
        anon("method-pong", "pong is a response name, not a method.", &["WIRE-6"], "{\"req\":[1,\"pong\",{},1],\"sig\":[]}", Want::Err("unknown method: pong")),
        anon("method-message-with-sid", "The SDK's application message (method message with sid) is not served by 0.5.2.", &["WIRE-14", "WIRE-6", "NOTIF-8"], "{\"req\":[1,\"message\",{\"x\":1},1],\"sid\":\"0x01\",\"sig\":[]}", Want::Err("unknown method: message")),
        anon("error-text-html-escaped", "An error text with <, & and > is sent escaped as \\u003c, \\u0026, \\u003e; decoded, it is the plain text.", &["WIRE-17", "WIRE-16", "AS-GEN-2"], "{\"req\":[1,\"<a&b>\",{},1],\"sig\":[]}", Want::Err("unknown method: <a&b>")),
        anon("ts-1-public", "A public method does not check the timestamp beyond non-zero: ts 1 works for ping.", &["WIRE-11", "API-1"], "{\"req\":[1,\"ping\",{},1],\"sig\":[]}", Want::Ok),
        anon("routing-before-auth", "Routing runs before authentication: an unknown method on an unauthenticated connection is unknown, not unauthenticated.", &["WIRE-6", "WIRE-7"], "{\"req\":[1,\"get_everything\",{},1],\"sig\":[]}", Want::Err("unknown method: get_everything")),
        anon("private-unauthenticated-bad-ts", "Authentication is checked before the timestamp: an unauthenticated private call with ts 1 gets authentication required.", &["WIRE-12", "AUTH-3", "AUTH-14"], "{\"req\":[1,\"get_ledger_balances\",{},1],\"sig\":[]}", Want::Err("authentication required")),
        anon("member-names-any-case", "Top-level member names match case-insensitively: REQ and Sig work.", &["WIRE-15"], "{\"REQ\":[1,\"ping\",{},1],\"Sig\":[]}", Want::Ok),
        anon("duplicate-req-last-wins", "With two req members the last one wins.", &["WIRE-15"], "{\"req\":[1,\"nope\",{},1],\"req\":[2,\"ping\",{},1],\"sig\":[]}", Want::Ok),
        anon("unknown-member-ignored", "Unknown top-level members are ignored.", &["WIRE-15"], "{\"req\":[1,\"ping\",{},1],\"sig\":[],\"err\":\"x\"}", Want::Ok),
        anon("sig-missing", "A frame without sig is a request with no signatures.", &["WIRE-15", "SIG-5"], "{\"req\":[1,\"ping\",{},1]}", Want::Ok),
        anon("sig-null", "\"sig\":null counts as no signatures.", &["WIRE-15"], "{\"req\":[1,\"ping\",{},1],\"sig\":null}", Want::Ok),
        anon("ping-params-array", "ping ignores its params: an array works.", &["WIRE-13", "API-1"], "{\"req\":[1,\"ping\",[],1],\"sig\":[]}", Want::Ok),
        anon("ping-params-number", "ping ignores its params: a number works.", &["WIRE-13", "API-1"], "{\"req\":[1,\"ping\",0,1],\"sig\":[]}", Want::Ok),
        anon("public-params-not-object", "A handler that reads params fails on a non-object: get_app_sessions with params 0.", &["WIRE-13", "AS-READ-1"], "{\"req\":[1,\"get_app_sessions\",0,1],\"sig\":[]}", Want::Err("failed to parse parameters")),
        anon("whitespace-inside-req", "Whitespace inside the req array and around members is fine.", &["WIRE-1", "SIG-2"], "{ \"req\" : [ 1 , \"ping\" , { } , 1 ] , \"sig\" : [ ] }", Want::Ok),
        anon("private-channel-method-unauthenticated", "create_channel is routed but private: authentication required.", &["AUTH-1", "WIRE-7"], "{\"req\":[1,\"create_channel\",{},1],\"sig\":[]}", Want::Err("authentication required")),
        anon("history-unauthenticated", "get_rpc_history is private.", &["AUTH-1", "API-10"], "{\"req\":[1,\"get_rpc_history\",{},1],\"sig\":[]}", Want::Err("authentication required")),
    ];
    v.extend([
        private_ts(
            "private-ts-1",
            "A private call with ts 1 (not 13 digits) is refused.",
            &["WIRE-12", "AUTH-3"],
            |_| 1,
            Want::Err("invalid message timestamp"),
        ),
        private_ts(
            "private-ts-12-digits",
            "A 12-digit (seconds-like) ts is refused on a private method.",
            &["WIRE-12"],
            |now| now / 10,
            Want::Err("invalid message timestamp"),
        ),
        private_ts(
            "private-ts-14-digits",
            "A 14-digit ts (10^13) is beyond the 13-digit window.",
            &["WIRE-12"],
            |_| 10_000_000_000_000,
            Want::Err("invalid message timestamp"),
        ),
        private_ts(
            "private-ts-61s-old",
            "A ts 61 s old is refused.",
            &["WIRE-12", "LIM-3"],
            |now| now - 61_000,
            Want::Err("invalid message timestamp"),
        ),
        private_ts(
            "private-ts-59s-old",
            "A ts 59 s old is still inside the 60 s window (the exact boundary is left out: live latency would cross it).",
            &["WIRE-12", "LIM-3"],
            |now| now - 59_000,
            Want::Ok,
        ),
        private_ts(
            "private-ts-future",
            "A ts one day in the future is accepted.",
            &["WIRE-12", "WIRE-12a"],
            |now| now + 86_400_000,
            Want::Ok,
        ),
        private_ts(
            "private-ts-max-13-digits",
            "The largest 13-digit ts (9999999999999) is accepted.",
            &["WIRE-12"],
            |_| 9_999_999_999_999,
            Want::Ok,
        ),
    ]);
    v.push(
        Case::new(
            format!("{AREA}/private-params-array"),
            "A private handler with an array for params fails to parse (get_ledger_balances).",
        )
        .rules(&["WIRE-13", "AS-READ-3"])
        .flags(&["envelope", "invalid-input"])
        .script(|r| {
            pair(r);
            r.request("A", "get_ledger_balances", json!([]), &[]);
            want_err(r, "failed to parse parameters");
        }),
    );
    v
}

//! Does a reply answer the request in its place? Replies come back in request order on one
//! connection (TRANS-7), so the frame in a request's place is its reply; it must also carry the
//! request's id (WIRE-8), as the SDK matches replies by id. The one documented exception is an
//! envelope error whose id the broker made up: `message validation failed` and `message request
//! is empty` always, and `invalid message format` when the id was not decoded, reply with the
//! broker's clock in milliseconds as id (WIRE-8, Q-32).

use crate::wire::{parse_frame, Frame, FrameKind};
use std::collections::VecDeque;

/// How far a synthetic id may lie below the reply's own timestamp. Clearnode reads its clock
/// for the id and again for `res[3]` a few microseconds later (`rpc_node.go:502-515`), and the
/// embedded broker uses one reading for both; this slack only absorbs a broker stalled between
/// the two readings.
pub const SYNTHETIC_ID_SLACK_MS: u64 = 5_000;

/// The smallest synthetic id: 13 digits of milliseconds (2001 onwards). The harness's own ids
/// stay far below it (`Connection::next_id`).
const SYNTHETIC_ID_MIN: u64 = 1_000_000_000_000;

/// A reply in a request's place whose id is not the request's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyIdMismatch {
    /// The id of the request this frame should answer.
    pub expected: u64,
    /// The id the frame carries.
    pub received: u64,
    pub relation: IdRelation,
    /// The frame as received, for the wire log.
    pub text: String,
}

/// What the wrong id is, relative to the requests sent on the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdRelation {
    /// The id of an earlier request on this connection: a duplicate or late reply.
    EarlierRequest,
    /// No request on this connection had that id (among the latest remembered).
    NeverSent,
}

impl std::fmt::Display for ReplyIdMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.relation {
            IdRelation::EarlierRequest => "the id of an earlier request: a duplicate or late reply",
            IdRelation::NeverSent => "an id no request on this connection had",
        };
        write!(
            f,
            "the reply to request {} carries id {} ({what}; WIRE-8): {}",
            self.expected, self.received, self.text
        )
    }
}

/// The id of a request frame the harness sends, when the frame parses as one. A frame that
/// does not (raw envelope vectors) has no id to hold the reply to.
pub(super) fn request_id(text: &str) -> Option<u64> {
    parse_frame(text)
        .ok()
        .filter(|f| f.kind == FrameKind::Request)
        .map(|f| f.id)
}

/// Whether `reply` may stand in the place of the reply to request `expected`.
pub(super) fn answers(expected: u64, reply: &Frame) -> bool {
    reply.id == expected || is_synthetic_error_id(reply)
}

/// Whether `reply` is an envelope error whose id is the broker's clock (WIRE-8, Q-32): method
/// `error`, a 13-digit id, at most [`SYNTHETIC_ID_SLACK_MS`] before the frame's timestamp.
/// Comparing with the frame's own timestamp, not the harness's clock, keeps brokers whose clock
/// the harness moved (the embedded one) in the exception.
pub fn is_synthetic_error_id(reply: &Frame) -> bool {
    reply.method == "error"
        && reply.id >= SYNTHETIC_ID_MIN
        && reply.id <= reply.ts
        && reply.ts - reply.id <= SYNTHETIC_ID_SLACK_MS
}

pub(super) fn relation(sent: &VecDeque<u64>, expected: u64, received: u64) -> IdRelation {
    if received != expected && sent.contains(&received) {
        IdRelation::EarlierRequest
    } else {
        IdRelation::NeverSent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(id: u64, method: &str, ts: u64) -> Frame {
        let text = format!(r#"{{"res":[{id},"{method}",{{"error":"x"}},{ts}],"sig":[]}}"#);
        parse_frame(&text).unwrap()
    }

    // WIRE-8: a reply carries its request's id.
    #[test]
    fn wire_8_the_request_id_answers() {
        assert!(answers(3, &reply(3, "ping", 1_700_000_000_000)));
        assert!(!answers(
            3,
            &reply(10, "create_app_session", 1_700_000_000_000)
        ));
        assert!(!answers(3, &reply(4, "error", 1_700_000_000_000)));
    }

    // Q-32 / WIRE-8: validation errors echo the broker's clock as the id.
    #[test]
    fn q_32_a_synthetic_error_id_answers_any_request() {
        let ts = 1_700_000_000_123;
        assert!(answers(3, &reply(ts, "error", ts)));
        assert!(answers(3, &reply(ts - 2, "error", ts)));
        // Not an error, or far from the frame's clock, or after it: not synthetic.
        assert!(!answers(3, &reply(ts, "ping", ts)));
        assert!(!answers(
            3,
            &reply(ts - SYNTHETIC_ID_SLACK_MS - 1, "error", ts)
        ));
        assert!(!answers(3, &reply(ts + 1, "error", ts)));
        // A small id equal to a small timestamp is not a clock reading.
        assert!(!answers(3, &reply(5, "error", 5)));
    }

    #[test]
    fn only_request_frames_have_an_id_to_hold_replies_to() {
        assert_eq!(request_id(r#"{"req":[7,"ping",{},1],"sig":[]}"#), Some(7));
        assert_eq!(request_id(r#"{"req":[7,"ping",{},1] x"#), None);
        assert_eq!(request_id(r#"{"res":[7,"ping",{},1],"sig":[]}"#), None);
        assert_eq!(request_id(""), None);
    }

    #[test]
    fn a_known_id_is_an_earlier_request() {
        let sent: VecDeque<u64> = [1, 2, 3].into();
        assert_eq!(relation(&sent, 3, 2), IdRelation::EarlierRequest);
        assert_eq!(relation(&sent, 3, 10), IdRelation::NeverSent);
    }
}

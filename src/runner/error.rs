//! Why a case could not be run to the end, and whose trouble that is: the broker's (ERROR, or
//! FAIL for a protocol violation such as a reply carrying another request's id), the
//! harness's own (HARNESS: never a finding against the broker), or the target's lack of a hook
//! (SKIP).

use crate::client::ClientError;
use crate::scenario::PlanError;
use crate::verdict::{Class, Finding};

#[derive(Debug, Clone, thiserror::Error)]
pub enum CaseError {
    /// What the broker sent (or did not send) stopped the case.
    #[error("{0}")]
    Client(#[from] ClientError),
    /// The harness could not set the case up: funding, channel or clock hooks, its own logins
    /// and observers, a connection the vector never opened.
    #[error("setup: {0}")]
    Setup(String),
    /// The vector names something its setup never made, or is malformed.
    #[error("the vector cannot be planned: {0}")]
    Plan(#[from] PlanError),
    #[error("reading the books: {0}")]
    Observe(String),
    /// The case cannot be replayed on this target (a SKIP, not an ERROR).
    #[error("{0}")]
    NotReplayable(String),
}

impl CaseError {
    /// The class of the step this error ends the case with. A reply with another request's
    /// id (WIRE-8) is the broker breaking the protocol, not failing to answer: a FAIL.
    pub fn class(&self) -> Class {
        match self {
            CaseError::Client(e) if e.is_protocol_violation() => Class::Fail,
            CaseError::Client(_) | CaseError::Observe(_) => Class::Error,
            CaseError::Setup(_) | CaseError::Plan(_) => Class::Harness,
            CaseError::NotReplayable(_) => Class::Skip,
        }
    }

    /// The finding that records this error in the report.
    pub fn finding(&self) -> Finding {
        let class = self.class();
        if let CaseError::Client(ClientError::WrongReplyId(m)) = self {
            return Finding {
                class,
                what: "reply id".into(),
                message: self.to_string(),
                expected: Some(m.expected.to_string()),
                received: Some(m.received.to_string()),
            };
        }
        Finding {
            class,
            what: if class.is_harness() {
                "harness trouble"
            } else {
                "answer"
            }
            .into(),
            message: self.to_string(),
            expected: None,
            received: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{IdRelation, ReplyIdMismatch};

    // WIRE-8: a reply carrying another request's id is a FAIL with both ids; the harness's own
    // trouble is HARNESS; a broker that does not answer is an ERROR.
    #[test]
    fn wire_8_whose_trouble_an_error_is() {
        let wrong = CaseError::Client(ClientError::WrongReplyId(Box::new(ReplyIdMismatch {
            expected: 3,
            received: 10,
            relation: IdRelation::NeverSent,
            text: "{}".into(),
        })));
        let f = wrong.finding();
        assert_eq!((f.class, f.what.as_str()), (Class::Fail, "reply id"));
        assert_eq!(
            (f.expected.as_deref(), f.received.as_deref()),
            (Some("3"), Some("10"))
        );
        let setup =
            CaseError::Setup("A could not authenticate: failed to generate challenge".into());
        assert_eq!(setup.finding().class, Class::Harness);
        assert!(!setup.class().is_finding());
        let silent = CaseError::Client(ClientError::Timeout { waited_ms: 5 });
        assert_eq!(silent.finding().class, Class::Error);
        assert_eq!(CaseError::NotReplayable("x".into()).class(), Class::Skip);
    }
}

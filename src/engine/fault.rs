//! Seeded bugs ("mutants") the embedded broker can carry, so the harness can prove it catches
//! real implementation mistakes: a fault changes what the broker answers, pushes or books,
//! while the model (and so every expectation) stays correct.

use crate::model::amount::parse_decimal;
use crate::model::{Expected, Model, Outcome};
use serde_json::Value;

/// A deliberate bug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Never answers a request (the `assets` greeting still comes).
    Silent,
    /// Closes a session without crediting the first row's unified balance.
    SkipCloseCredit,
    /// Never sends `asu` (NOTIF-6).
    DropAsu,
}

impl Fault {
    pub const ALL: &'static [Fault] = &[Fault::Silent, Fault::SkipCloseCredit, Fault::DropAsu];

    pub fn name(self) -> &'static str {
        match self {
            Fault::Silent => "silent",
            Fault::SkipCloseCredit => "close-skips-credit",
            Fault::DropAsu => "no-asu",
        }
    }

    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.iter().copied().find(|f| f.name() == name)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Fault::Silent => "never answers a request",
            Fault::SkipCloseCredit => {
                "close_app_session does not credit the first row's unified balance"
            }
            Fault::DropAsu => "submit_app_state never pushes asu",
        }
    }

    /// Whether the broker swallows the request without a reply.
    pub fn swallows(self) -> bool {
        self == Fault::Silent
    }

    /// Applies the fault after the model handled `method(params)`.
    pub fn after_step(
        self,
        model: &mut Model,
        method: &str,
        params: &Value,
        outcome: &mut Outcome,
    ) {
        let accepted = matches!(outcome.response, Expected::Ok { .. });
        match self {
            Fault::Silent => {}
            Fault::SkipCloseCredit if accepted && method == "close_app_session" => {
                let row = &params["allocations"][0];
                if let (Some(wallet), Some(asset), Some(amount)) = (
                    row["participant"].as_str(),
                    row["asset"].as_str(),
                    row["amount"].as_str().and_then(|a| parse_decimal(a).ok()),
                ) {
                    if amount > crate::model::Dec::from(0) {
                        model.fund(wallet, asset, &-amount);
                    }
                }
            }
            Fault::SkipCloseCredit => {}
            Fault::DropAsu => outcome.notifications.retain(|n| n.method != "asu"),
        }
    }
}

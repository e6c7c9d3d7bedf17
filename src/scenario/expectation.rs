//! What a broker must do for one step, as the model says: the reply, the notifications pushed
//! to each of the case's connections with their order groups, and the books afterwards.

use super::books::Books;
use super::edge;
use crate::model::{ErrorSet, Expected};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The reply the step must get.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `res = [id, method, result, ts]`.
    Ok { method: String, result: Value },
    /// `res = [id, "error", {"error": text}, ts]` with a text the set accepts.
    Err(ErrorSet),
    /// No frame comes back (an empty frame, TRANS-4; a harness hook).
    None,
    /// The model does not decide this request (only routing and auth were checked).
    Unmodelled(String),
}

impl Reply {
    /// The reply of a model verdict.
    pub fn of(expected: &Expected) -> Reply {
        match expected {
            Expected::Ok { method, result } => Reply::Ok {
                method: method.to_string(),
                result: result.clone(),
            },
            Expected::Err(e) => Reply::Err(e.clone()),
            Expected::Unmodelled(what) => Reply::Unmodelled(what.to_string()),
        }
    }
}

/// One notification pushed to a connection of the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Push {
    /// The connection's name in the case.
    pub conn: String,
    pub method: String,
    pub params: Value,
    /// 0: a fixed position in its connection's order. A run of equal non-zero groups on one
    /// connection may arrive in any order among itself (Clearnode walks a Go map, Q-10).
    #[serde(default, skip_serializing_if = "edge::is_zero_u32")]
    pub group: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    pub reply: Reply,
    /// Every push of the step, in the order the model emits them (per connection, that is the
    /// order it must arrive in, groups aside).
    pub pushes: Vec<Push>,
    /// The books after the step.
    pub books: Books,
}

impl Expectation {
    /// The pushes to one connection, in order.
    pub fn pushes_to<'a>(&'a self, conn: &'a str) -> impl Iterator<Item = &'a Push> + 'a {
        self.pushes.iter().filter(move |p| p.conn == conn)
    }
}

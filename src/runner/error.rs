//! Why a case could not be run to the end: an ERROR verdict, or a SKIP.

use crate::client::ClientError;
use crate::scenario::PlanError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum CaseError {
    #[error("{0}")]
    Client(#[from] ClientError),
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

//! The seam between the model and a broker under test. A case is a [`Setup`] and a list of
//! typed [`Action`]s. A [`Shadow`] (the reference broker) plans each action: the exact bytes to
//! send ([`Outgoing`]) and the [`Expectation`] for those bytes (the reply, the pushes with their
//! order groups, the books as decimals). The vector filler records plans, the file replayer
//! compares them with a file, and certify sends them to a live broker and diffs what it
//! observes: plan, send, observe, diff.

pub mod action;
pub mod books;
pub mod edge;
pub mod expectation;
pub mod shadow;

pub use action::{
    Action, AllowanceSpec, Auth, Balance, Challenge, Connection, Identity, RawTemplate, Role,
    Setup, SigSpec, SignKind, VerifySpec,
};
pub use books::{Books, SessionBook, SessionStatus};
pub use expectation::{Expectation, Push, Reply};
pub use shadow::{issued_challenge, Outgoing, PlanError, Planned, Shadow, VerifyFrame};

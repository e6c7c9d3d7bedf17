//! The scenario catalogue, one module per area. Each case says why it exists (rules, quirks,
//! flags) and plays its steps on a [`Recorder`](super::recorder::Recorder).

mod amounts;
mod auth;
mod close;
mod common;
mod create;
mod deposit;
mod envelope;
mod lifecycle;
mod operate_shared;
mod quirks;
mod quorum;
mod reads;
mod session_keys;
mod submit_v02;
mod submit_v04_operate;
mod transfer;
mod withdraw;

use super::Case;

/// Every case, in a stable order.
pub fn all() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(lifecycle::cases());
    cases.extend(create::cases());
    cases.extend(submit_v02::cases());
    cases.extend(submit_v04_operate::cases());
    cases.extend(deposit::cases());
    cases.extend(withdraw::cases());
    cases.extend(close::cases());
    cases.extend(quorum::cases());
    cases.extend(session_keys::cases());
    cases.extend(amounts::cases());
    cases.extend(envelope::cases());
    cases.extend(auth::cases());
    cases.extend(transfer::cases());
    cases.extend(reads::cases());
    cases.extend(quirks::cases());
    cases
}

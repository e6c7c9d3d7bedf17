//! The scenario catalogue. Most cases are data: rows of the filler files
//! `vectors/fillers/<area>.toml` (format: `vectors/fillers/README.md`), read by [`filler`] and
//! played by one interpreter, [`play`]. The few cases that compute what they send or check
//! (a value read from a reply, a signature over altered bytes, a number TOML cannot write) are
//! Rust scripts in the area's module. Each case says why it exists (rules, quirks, flags) and
//! plays its steps on a [`Recorder`](super::recorder::Recorder).

mod amounts;
mod auth;
mod common;
mod create;
mod filler;
mod operate;
mod play;
mod quirks;
mod transfer;

#[cfg(test)]
mod tests;

use super::Case;

/// The filler file of an area, embedded so that the binary fills the vectors without a
/// checkout.
macro_rules! filler {
    ($area:literal) => {
        include_str!(concat!("../../../vectors/fillers/", $area, ".toml"))
    };
}

/// The cases of an area that are Rust scripts.
type Scripted = fn() -> Vec<Case>;

/// Every area in a stable order: its name, its filler file and its scripted cases.
const AREAS: &[(&str, &str, Scripted)] = &[
    ("lifecycle", filler!("lifecycle"), Vec::new),
    ("create", filler!("create"), create::cases),
    ("operate", filler!("operate"), operate::cases),
    ("deposit", filler!("deposit"), Vec::new),
    ("withdraw", filler!("withdraw"), Vec::new),
    ("close", filler!("close"), Vec::new),
    ("quorum", filler!("quorum"), Vec::new),
    ("session-keys", filler!("session-keys"), Vec::new),
    ("amounts", filler!("amounts"), amounts::cases),
    ("envelope", filler!("envelope"), Vec::new),
    ("auth", filler!("auth"), auth::cases),
    ("transfer", filler!("transfer"), transfer::cases),
    ("reads", filler!("reads"), Vec::new),
    ("quirks", filler!("quirks"), quirks::cases),
];

/// Every case, in a stable order.
pub fn all() -> Vec<Case> {
    let mut cases = Vec::new();
    for (area, text, scripted) in AREAS {
        let rows = filler::rows(&format!("{area}.toml"), text);
        cases.extend(rows.into_iter().map(play::case));
        cases.extend(scripted());
    }
    cases
}

//! The scenario catalogue, one module per area. Each case says why it exists (rules, quirks,
//! flags) and plays its steps on a [`Recorder`](super::recorder::Recorder).

mod amounts;
mod auth;
mod close;
mod common;
mod create;
mod envelope;
mod filler;
mod lifecycle;
mod operate;
mod play;
mod quirks;
mod reads;
mod transfer;

use super::Case;

macro_rules! filler {
    ($area:literal) => {
        (
            $area,
            include_str!(concat!("../../../vectors/fillers/", $area, ".toml")),
        )
    };
}

/// The filler files, `vectors/fillers/<area>.toml`, embedded so that the binary fills the
/// vectors without a checkout.
const FILLERS: &[(&str, &str)] = &[
    filler!("create"),
    filler!("operate"),
    filler!("deposit"),
    filler!("withdraw"),
    filler!("quorum"),
    filler!("session-keys"),
];

/// The cases of one filler file.
fn rows(area: &str) -> Vec<Case> {
    let (_, text) = FILLERS
        .iter()
        .find(|(name, _)| *name == area)
        .unwrap_or_else(|| panic!("no filler {area}"));
    filler::rows(&format!("{area}.toml"), text)
        .into_iter()
        .map(play::case)
        .collect()
}

/// Every case, in a stable order.
pub fn all() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(lifecycle::cases());
    cases.extend(rows("create"));
    cases.extend(create::cases());
    cases.extend(rows("operate"));
    cases.extend(operate::cases());
    cases.extend(rows("deposit"));
    cases.extend(rows("withdraw"));
    cases.extend(close::cases());
    cases.extend(rows("quorum"));
    cases.extend(rows("session-keys"));
    cases.extend(amounts::cases());
    cases.extend(envelope::cases());
    cases.extend(auth::cases());
    cases.extend(transfer::cases());
    cases.extend(reads::cases());
    cases.extend(quirks::cases());
    cases
}

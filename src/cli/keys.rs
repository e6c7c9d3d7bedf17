//! `nitrocert keys`: the deterministic test identities a seed gives.

use super::{CliError, EXIT_OK};
use crate::crypto::identity::{derive, Role};
use clap::Args;
use std::io::Write;

#[derive(Args, Debug)]
#[command(
    about = "Print the deterministic test wallets and session keys for a seed",
    long_about = "Every run of nitrocert derives its wallets and session keys from a seed, so the \
same seed always signs with the same keys. This prints them (they are public test keys: never \
fund them on a real network).",
    after_help = "Example:\n  nitrocert keys --seed 1 --count 2"
)]
pub struct KeysArgs {
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 4)]
    pub count: u32,
}

pub fn keys(args: &KeysArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    writeln!(out, "role\tindex\taddress\tprivate_key")?;
    for index in 0..args.count {
        for (role, name) in [(Role::Wallet, "wallet"), (Role::SessionKey, "session-key")] {
            let key = derive(args.seed, role, index);
            writeln!(out, "{name}\t{index}\t{}\t{}", key.address(), key.to_hex())?;
        }
    }
    Ok(EXIT_OK)
}

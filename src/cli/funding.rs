//! How an endpoint run's fresh test wallets get unified balances: the funding options that
//! `certify`, `fuzz`, `race` and (once per broker) `diff` share, read in one place.

use super::CliError;
use crate::crypto::SecretKey;
use crate::runner::funder::Funder;
use crate::runner::target::{BatchFunding, Funding};

/// The funding hooks of a broker under test (one of them, or none).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct FundingArgs {
    /// Funding command, with {wallet} {asset} {amount} placeholders (one call per credit).
    #[arg(long, value_name = "COMMAND")]
    pub fund_cmd: Option<String>,
    /// Batch funding command: credits many wallets in one call, read from its stdin as one
    /// `wallet asset amount` line each (`adapters/clearnode/fund.sh --batch`: one database
    /// round trip per batch of cases instead of one process per wallet).
    #[arg(long, value_name = "COMMAND", conflicts_with_all = ["fund_cmd", "funder_key"])]
    pub fund_batch_cmd: Option<String>,
    /// Fund test wallets by `transfer` from this funded wallet (private key hex).
    #[arg(long, value_name = "HEX", conflicts_with = "fund_cmd")]
    pub funder_key: Option<String>,
}

impl FundingArgs {
    /// The hook given, or [`Funding::None`]; a funder key that is no key is a usage error.
    pub fn funding(&self) -> Result<Funding, CliError> {
        if let Some(command) = &self.fund_batch_cmd {
            return Ok(Funding::Batch(BatchFunding::new(command.clone())));
        }
        if let Some(command) = &self.fund_cmd {
            return Ok(Funding::Command(command.clone()));
        }
        match &self.funder_key {
            Some(hex) => Ok(Funding::Funder(Funder::new(
                SecretKey::from_hex(hex)
                    .map_err(|e| CliError::Input(format!("--funder-key: {e}")))?,
            ))),
            None => Ok(Funding::None),
        }
    }

    /// The hook given; without one, a usage error saying that `what` funds fresh wallets.
    pub fn required(&self, what: &str) -> Result<Funding, CliError> {
        match self.funding()? {
            Funding::None => Err(CliError::Input(format!(
                "{what} needs --fund-cmd, --fund-batch-cmd or --funder-key \
                 (every one funds fresh wallets)"
            ))),
            funding => Ok(funding),
        }
    }
}

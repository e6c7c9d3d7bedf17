//! The broker under test and the hooks that prepare it: how its wallets get funds and its
//! channels get state when the harness does not own its database (lnprototest's runner hooks).

use crate::broker::{BrokerControl, RemoteControl};
use crate::client::{AuthLedger, Limits};
use crate::model::ChannelStatus;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How test wallets get unified balances.
#[derive(Clone)]
pub enum Funding {
    /// The embedded broker: credit the model directly (in-process) or through its control
    /// interface (`nitrocert serve --control`).
    Embedded(BrokerControl),
    /// A shell command with `{wallet}`, `{asset}`, `{amount}` placeholders (for Clearnode:
    /// `adapters/clearnode/fund.sh {wallet} {asset} {amount}`).
    Command(String),
    /// A shell command that credits many balances at once, read from its stdin, one
    /// `wallet asset amount` line each (for Clearnode: `adapters/clearnode/fund.sh --batch`,
    /// one database round trip per batch). The run credits the wallets of many cases before
    /// they start ([`Target::prefund`]).
    Batch(BatchFunding),
    /// `transfer` from this funded wallet (API-12); it must hold no channel funds.
    Funder(super::funder::Funder),
    /// No way to fund: cases that need balances are skipped.
    None,
}

/// One credit of a wallet's unified balance, as a funding hook gets it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Credit {
    /// The wallet's address.
    pub wallet: String,
    /// The asset symbol.
    pub asset: String,
    /// The amount, rendered as the vectors give it.
    pub amount: String,
}

/// A batch funding command and the credits it has made that no case has claimed yet.
#[derive(Clone)]
pub struct BatchFunding {
    command: String,
    /// Credits made ahead of their case, with how many times each.
    credited: Arc<Mutex<HashMap<Credit, usize>>>,
}

impl BatchFunding {
    pub fn new(command: String) -> Self {
        Self {
            command,
            credited: Arc::default(),
        }
    }

    /// Claims a credit made ahead of time; `false` when there is none left like it.
    fn claim(&self, credit: &Credit) -> bool {
        let mut credited = self.credited.lock().unwrap_or_else(|e| e.into_inner());
        match credited.get_mut(credit) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }

    /// Records credits made ahead of their cases.
    fn hold(&self, credits: &[Credit]) {
        let mut credited = self.credited.lock().unwrap_or_else(|e| e.into_inner());
        for credit in credits {
            *credited.entry(credit.clone()).or_default() += 1;
        }
    }

    /// Runs the command once for all `credits`, one `wallet asset amount` line each.
    async fn credit(&self, credits: &[Credit]) -> Result<(), String> {
        let lines: String = credits
            .iter()
            .map(|c| format!("{} {} {}\n", c.wallet, c.asset, c.amount))
            .collect();
        run_command_with_input(&self.command, lines.as_bytes()).await
    }
}

/// How a wallet gets a channel (AS-CHAN-1/2).
#[derive(Clone)]
pub enum ChannelHook {
    Embedded(BrokerControl),
    /// A shell command with `{wallet}`, `{status}`, `{amount}` placeholders.
    Command(String),
    None,
}

/// A broker to certify.
#[derive(Clone)]
pub struct Target {
    /// A short name for reports (`embedded`, `clearnode-v0.5.2`, …).
    pub name: String,
    pub url: String,
    pub funding: Funding,
    pub channels: ChannelHook,
    pub limits: Limits,
    /// A command that restarts the broker between cases, run before its pending-challenge cap
    /// (AUTH-9: 1000 per ~15 min on Clearnode) could be reached.
    pub restart: Option<String>,
    /// Challenges of the run's own logins the broker may hold at once (issued and not
    /// released, [`AuthLedger`]); past it the run releases, restarts, moves the clock or
    /// waits for the broker's sweep.
    pub challenge_budget: usize,
    /// The broker's clock, when the harness can move it (the embedded broker, in-process or
    /// through its control interface).
    pub clock: Option<BrokerControl>,
    /// `get_config.broker_address`: every frame's `sig[0]` must recover to it (RSIG-4).
    pub broker_address: Option<String>,
}

/// Challenges a run holds at most in the broker's store: Clearnode v0.5.2 holds 1000 for
/// everyone (AUTH-9); the rest is left to other clients and to the cases in flight.
pub const DEFAULT_CHALLENGE_BUDGET: usize = 800;

/// A report name for an endpoint: its `host-port`.
pub fn name_from_url(url: &str) -> String {
    url.trim_start_matches("ws://")
        .trim_start_matches("wss://")
        .split('/')
        .next()
        .unwrap_or("target")
        .replace(':', "-")
}

/// Quotes a value for `sh -c`.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

fn fill_template(template: &str, values: &[(&str, &str)]) -> String {
    let mut command = template.to_string();
    for (name, value) in values {
        command = command.replace(&format!("{{{name}}}"), &shell_quote(value));
    }
    command
}

pub(crate) async fn run_command(command: &str) -> Result<(), String> {
    run_command_with_input(command, &[]).await
}

/// Runs `command` with `sh -c`, `input` on its stdin, within 60 s.
async fn run_command_with_input(command: &str, input: &[u8]) -> Result<(), String> {
    use tokio::io::AsyncWriteExt;
    let spawned = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = spawned.map_err(|e| format!("`{command}` could not start: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let input = input.to_vec();
    let run = async move {
        // A command that exits without reading its input is judged by its exit status.
        let _ = stdin.write_all(&input).await;
        drop(stdin);
        child.wait_with_output().await
    };
    match tokio::time::timeout(Duration::from_secs(60), run).await {
        Err(_) => Err(format!("`{command}` did not finish within 60 s")),
        Ok(Err(e)) => Err(format!("`{command}` could not run: {e}")),
        Ok(Ok(out)) if out.status.success() => Ok(()),
        Ok(Ok(out)) => Err(format!(
            "`{command}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// The limits every connection of a target gets: the caller's, reporting to the target's
/// challenge ledger (one per target, shared by its clones).
fn with_ledger(mut limits: Limits) -> Limits {
    limits.auth_ledger.get_or_insert_with(AuthLedger::default);
    limits
}

impl Target {
    /// The embedded broker `handle`, prepared through its own hooks (funding and channels go
    /// straight to its model; nothing to restart).
    pub fn embedded(handle: &crate::broker::BrokerHandle, name: String, limits: Limits) -> Self {
        Self::controlled(
            &handle.url(),
            name,
            BrokerControl::InProcess(handle.control()),
            limits,
            handle.broker_address.clone(),
        )
    }

    /// A broker at `url` prepared through a control interface (`nitrocert serve --control`,
    /// at `control`): funding, channels and the clock all go through it, as in-process.
    pub fn remote_controlled(
        url: &str,
        name: Option<String>,
        control: RemoteControl,
        limits: Limits,
        broker_address: String,
    ) -> Self {
        Self::controlled(
            url,
            name.unwrap_or_else(|| name_from_url(url)),
            BrokerControl::Remote(control),
            limits,
            broker_address,
        )
    }

    fn controlled(
        url: &str,
        name: String,
        control: BrokerControl,
        limits: Limits,
        broker_address: String,
    ) -> Self {
        Target {
            name,
            url: url.to_string(),
            funding: Funding::Embedded(control.clone()),
            channels: ChannelHook::Embedded(control.clone()),
            limits: with_ledger(limits),
            restart: None,
            // The embedded broker keeps Clearnode's cap of 1000 pending challenges; the runner
            // moves its clock past the purge instead of restarting it.
            challenge_budget: DEFAULT_CHALLENGE_BUDGET,
            clock: Some(control),
            broker_address: Some(broker_address),
        }
    }

    /// A broker at `url` with the given funding and no other hooks (add them with struct
    /// update syntax).
    pub fn remote(url: &str, name: Option<String>, funding: Funding, limits: Limits) -> Self {
        Target {
            name: name.unwrap_or_else(|| name_from_url(url)),
            url: url.to_string(),
            funding,
            channels: ChannelHook::None,
            limits: with_ledger(limits),
            restart: None,
            challenge_budget: DEFAULT_CHALLENGE_BUDGET,
            clock: None,
            broker_address: None,
        }
    }

    /// The broker's time: requests carry it, so a moved clock still finds them fresh.
    pub fn now_ms(&self) -> u64 {
        match &self.clock {
            Some(control) => control.now_ms(),
            None => crate::client::now_ms(),
        }
    }

    /// Moves the broker's clock forward; `false` when the target has no clock hook, or when
    /// the hook failed (then said on stderr: the case that needed it will show why).
    pub fn advance(&self, ms: u64) -> bool {
        match &self.clock {
            Some(control) => match control.advance(ms) {
                Ok(()) => true,
                Err(e) => {
                    eprintln!("nitrocert: warning: moving the broker's clock failed: {e}");
                    false
                }
            },
            None => false,
        }
    }

    /// The ledger of the run's challenges (every target built by the constructors has one).
    pub fn ledger(&self) -> Option<&AuthLedger> {
        self.limits.auth_ledger.as_ref()
    }

    /// Credits many balances at once, ahead of the cases that need them, when the funding
    /// hook takes batches (a no-op for the others, which fund case by case).
    pub async fn prefund(&self, credits: &[Credit]) -> Result<(), String> {
        let Funding::Batch(batch) = &self.funding else {
            return Ok(());
        };
        if credits.is_empty() {
            return Ok(());
        }
        batch.credit(credits).await?;
        batch.hold(credits);
        Ok(())
    }

    /// Credits `amount` of `asset` to `wallet` through the funding hook.
    pub async fn fund(&self, wallet: &str, asset: &str, amount: &str) -> Result<(), String> {
        match &self.funding {
            Funding::Embedded(control) => control.fund(wallet, asset, amount).await,
            Funding::Batch(batch) => {
                let credit = Credit {
                    wallet: wallet.to_string(),
                    asset: asset.to_string(),
                    amount: amount.to_string(),
                };
                match batch.claim(&credit) {
                    true => Ok(()),
                    false => batch.credit(&[credit]).await,
                }
            }
            Funding::Command(template) => {
                run_command(&fill_template(
                    template,
                    &[("wallet", wallet), ("asset", asset), ("amount", amount)],
                ))
                .await
            }
            Funding::Funder(funder) => {
                funder
                    .transfer(&self.url, &self.limits, wallet, asset, amount)
                    .await
            }
            Funding::None => {
                Err("the target has no funding hook (--fund-cmd or --funder-key)".into())
            }
        }
    }

    pub fn supports_channels(&self) -> bool {
        !matches!(self.channels, ChannelHook::None)
    }

    /// Gives `wallet` a channel in `status` holding `amount`.
    pub async fn channel(
        &self,
        wallet: &str,
        status: ChannelStatus,
        amount: &str,
    ) -> Result<(), String> {
        match &self.channels {
            ChannelHook::Embedded(control) => control.channel(wallet, status, amount).await,
            ChannelHook::Command(template) => {
                run_command(&fill_template(
                    template,
                    &[
                        ("wallet", wallet),
                        ("status", status.as_str()),
                        ("amount", amount),
                    ],
                ))
                .await
            }
            ChannelHook::None => Err("the target has no channel hook (--channel-cmd)".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_shell_quoted() {
        assert_eq!(
            fill_template(
                "fund {wallet} {amount}",
                &[("wallet", "0xA"), ("amount", "1'; rm")]
            ),
            "fund '0xA' '1'\\''; rm'"
        );
    }

    fn credit(wallet: &str, amount: &str) -> Credit {
        Credit {
            wallet: wallet.into(),
            asset: "usdc".into(),
            amount: amount.into(),
        }
    }

    /// Batch funding: one call of the command per batch, its credits claimed by the cases
    /// that need them once each; any other credit is a call of its own.
    #[tokio::test]
    async fn batch_funding_calls_the_command_once_per_batch() {
        let dir = std::env::temp_dir().join(format!("nitrocert-batch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("calls");
        let _ = std::fs::remove_file(&log);
        // Each call appends its input and a line of its own.
        let command = format!("cat >> '{0}' && echo call >> '{0}'", log.display());
        let funding = Funding::Batch(BatchFunding::new(command));
        let target = Target::remote("ws://127.0.0.1:9/ws", None, funding, Limits::default());
        let batch = [
            credit("0xA", "10"),
            credit("0xB", "2.5"),
            credit("0xA", "10"),
        ];
        target.prefund(&batch).await.unwrap();
        let calls = || std::fs::read_to_string(&log).unwrap();
        assert_eq!(calls(), "0xA usdc 10\n0xB usdc 2.5\n0xA usdc 10\ncall\n");
        // Held credits are claimed without a call: twice for 0xA, once for 0xB.
        for c in [&batch[0], &batch[1], &batch[2]] {
            target.fund(&c.wallet, &c.asset, &c.amount).await.unwrap();
        }
        assert_eq!(calls().lines().count(), 4);
        // Nothing left to claim: a call of its own.
        target.fund("0xB", "usdc", "2.5").await.unwrap();
        assert_eq!(
            calls().lines().skip(4).collect::<Vec<_>>(),
            ["0xB usdc 2.5", "call"]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_failed_batch_command_says_why() {
        let funding = Funding::Batch(BatchFunding::new("echo nope >&2; exit 3".into()));
        let target = Target::remote("ws://127.0.0.1:9/ws", None, funding, Limits::default());
        let e = target.prefund(&[credit("0xA", "1")]).await.unwrap_err();
        assert!(e.contains("nope"), "{e}");
        // Nothing was held: the case funds itself (and fails the same way).
        assert!(target.fund("0xA", "usdc", "1").await.is_err());
    }
}

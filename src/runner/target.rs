//! The broker under test and the hooks that prepare it: how its wallets get funds and its
//! channels get state when the harness does not own its database (lnprototest's runner hooks).

use crate::broker::{BrokerControl, RemoteControl};
use crate::client::Limits;
use crate::model::ChannelStatus;
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
    /// `transfer` from this funded wallet (API-12); it must hold no channel funds.
    Funder(super::funder::Funder),
    /// No way to fund: cases that need balances are skipped.
    None,
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
    /// `auth_request`s allowed between two restarts.
    pub challenge_budget: usize,
    /// The broker's clock, when the harness can move it (the embedded broker, in-process or
    /// through its control interface).
    pub clock: Option<BrokerControl>,
    /// `get_config.broker_address`: every frame's `sig[0]` must recover to it (RSIG-4).
    pub broker_address: Option<String>,
}

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
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(Duration::from_secs(60), child).await {
        Err(_) => Err(format!("`{command}` did not finish within 60 s")),
        Ok(Err(e)) => Err(format!("`{command}` could not start: {e}")),
        Ok(Ok(out)) if out.status.success() => Ok(()),
        Ok(Ok(out)) => Err(format!(
            "`{command}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
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
            limits,
            restart: None,
            // The embedded broker keeps Clearnode's cap of 1000 pending challenges; the runner
            // moves its clock past the purge instead of restarting it.
            challenge_budget: 800,
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
            limits,
            restart: None,
            challenge_budget: usize::MAX,
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

    /// Credits `amount` of `asset` to `wallet` through the funding hook.
    pub async fn fund(&self, wallet: &str, asset: &str, amount: &str) -> Result<(), String> {
        match &self.funding {
            Funding::Embedded(control) => control.fund(wallet, asset, amount).await,
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
}

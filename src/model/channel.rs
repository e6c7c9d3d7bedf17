//! Channels only as a harness hook: enough state to reach the guards AS-CHAN-1 and AS-CHAN-2
//! and to fill the `channels` notification after auth (NOTIF-3).

use super::amount::{self, Dec};
use super::ledger::IsZeroValue;
use super::outcome::ErrorSet;
use super::FastMap;
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelStatus {
    Open,
    Resizing,
    Challenged,
    Closed,
}

impl ChannelStatus {
    pub const ALL: [ChannelStatus; 4] = [
        ChannelStatus::Open,
        ChannelStatus::Resizing,
        ChannelStatus::Challenged,
        ChannelStatus::Closed,
    ];

    /// The status named `text` (the names of `as_str`), the one mapping from text.
    pub fn parse(text: &str) -> Option<ChannelStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelStatus::Open => "open",
            ChannelStatus::Resizing => "resizing",
            ChannelStatus::Challenged => "challenged",
            ChannelStatus::Closed => "closed",
        }
    }
}

/// A channel row as far as the app-session guards look at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub channel_id: String,
    pub status: ChannelStatus,
    pub raw_amount: Dec,
}

/// Channels by the exact `wallet` column string. The guards look the participant string up as
/// written, so a lower-case participant never matches a checksummed channel wallet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Channels {
    by_wallet: FastMap<String, Vec<Channel>>,
    /// (wallet, index in its list, when) in the order the rows were added: `created_at` order.
    added: Vec<(String, usize, u64)>,
}

impl Channels {
    pub fn add(&mut self, wallet: &str, channel: Channel) {
        self.add_at(wallet, channel, 0);
    }

    /// Adds a channel row created at `now_ms` (its `created_at`).
    pub fn add_at(&mut self, wallet: &str, channel: Channel, now_ms: u64) {
        let list = self.by_wallet.entry(wallet.to_string()).or_default();
        self.added.push((wallet.to_string(), list.len(), now_ms));
        list.push(channel);
    }

    pub fn clear(&mut self, wallet: &str) {
        self.by_wallet.remove(wallet);
        self.added.retain(|(w, _, _)| w != wallet);
    }

    /// Every channel as (wallet, channel, created ms), oldest first.
    pub fn all(&self) -> impl Iterator<Item = (&str, &Channel, u64)> {
        self.added
            .iter()
            .map(|(w, i, t)| (w.as_str(), &self.by_wallet[w][*i], *t))
    }

    /// A `get_channels` row (API-4): unknown addresses are the zero address, which the SDK's
    /// parser requires (`token`, `adjudicator`); the `channels` notification keeps its blank
    /// fields, which the vectors hold.
    /// Times are when the hook added the row (RFC 3339, seconds, like Clearnode's channel rows).
    pub fn list_row_json(wallet: &str, c: &Channel, created_ms: u64) -> Value {
        let mut row = Self::row_json(wallet, c, wallet);
        row["token"] = json!(super::books::ZERO_ADDRESS);
        row["adjudicator"] = json!(super::books::ZERO_ADDRESS);
        row["created_at"] = json!(super::clock::rfc3339(created_ms));
        row["updated_at"] = row["created_at"].clone();
        row
    }

    /// One channel row (API-4); `wallet_field` is what the `wallet` member shows (blank in the
    /// `channels` notification, NOTIF-3). Fields the hook does not know (token, chain,
    /// adjudicator, …) are zero-valued.
    pub fn row_json(wallet: &str, c: &Channel, wallet_field: &str) -> Value {
        json!({
            "channel_id": c.channel_id,
            "participant": wallet,
            "status": c.status.as_str(),
            "token": "",
            "wallet": wallet_field,
            "amount": amount::render(&c.raw_amount),
            "chain_id": 0,
            "adjudicator": "",
            "challenge": 0,
            "nonce": 0,
            "version": 0,
            "created_at": "",
            "updated_at": "",
        })
    }

    pub fn of(&self, wallet: &str) -> &[Channel] {
        self.by_wallet.get(wallet).map(Vec::as_slice).unwrap_or(&[])
    }

    /// AS-CHAN-1 then AS-CHAN-2. `{n}` counts every open or resizing channel, empty ones too.
    pub fn guard(&self, wallet: &str) -> Result<(), ErrorSet> {
        let chans = self.of(wallet);
        if chans.is_empty() {
            return Ok(());
        }
        if chans.iter().any(|c| c.status == ChannelStatus::Challenged) {
            return Err(ErrorSet::one(format!(
                "participant {wallet} has challenged channels, cannot execute operation"
            )));
        }
        let live: Vec<&Channel> = chans
            .iter()
            .filter(|c| matches!(c.status, ChannelStatus::Open | ChannelStatus::Resizing))
            .collect();
        let total: Dec = live.iter().map(|c| &c.raw_amount).sum();
        if !total.is_zero_value() {
            return Err(ErrorSet::one(format!(
                "operation denied: non-zero allocation in {} channel(s) detected owned by wallet {wallet}",
                live.len()
            )));
        }
        Ok(())
    }

    /// The `channels` notification payload (NOTIF-3): open channels with `wallet` blank. Fields
    /// the hook does not know (token, chain, adjudicator, …) are zero-valued.
    pub fn notification_json(&self, wallet: &str) -> Value {
        let list: Vec<Value> = self
            .of(wallet)
            .iter()
            .filter(|c| c.status == ChannelStatus::Open)
            .map(|c| Self::row_json(wallet, c, ""))
            .collect();
        json!({ "channels": list })
    }
}

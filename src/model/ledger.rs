//! The ledger: balances keyed by (account, wallet, asset) (AS-MODEL-1), written with Postgres's
//! DECIMAL(64,18) rules (AS-AMT-4). Session accounts keep the per-wallet split because operate,
//! withdraw and close work per wallet.

use super::amount::{self, Dec};
use super::outcome::ErrorSet;
use super::FastMap;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Does `s` look like an address to go-ethereum's `IsHexAddress` (optional `0x`/`0X`, 40 hex)?
pub fn is_hex_address(s: &str) -> bool {
    let h = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    h.len() == 40 && h.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The ledger key of an account id or wallet (ADDR-2, `NewAccountID`): anything address-like is
/// checksummed by Clearnode, so every spelling of one address is one key. The model keys by the
/// lower-case form (same equivalence classes, no keccak per lookup); other strings, such as
/// session ids, are used exactly as given. Lives on the stack: lookups happen on every step.
pub fn account_key(s: &str) -> AccountKey<'_> {
    if is_hex_address(s) {
        let h = &s.as_bytes()[s.len() - 40..];
        if s.len() == 42 && s.starts_with("0x") && !h.iter().any(u8::is_ascii_uppercase) {
            AccountKey::Borrowed(s)
        } else {
            let mut buf = [0u8; 42];
            buf[0] = b'0';
            buf[1] = b'x';
            for (d, c) in buf[2..].iter_mut().zip(h) {
                *d = c.to_ascii_lowercase();
            }
            AccountKey::Lowered(buf)
        }
    } else {
        AccountKey::Borrowed(s)
    }
}

/// A normalised ledger key: the input itself, or its lower-cased address form.
#[derive(Debug, Clone, Copy)]
pub enum AccountKey<'a> {
    Borrowed(&'a str),
    Lowered([u8; 42]),
}

impl AccountKey<'_> {
    pub fn as_str(&self) -> &str {
        match self {
            AccountKey::Borrowed(s) => s,
            AccountKey::Lowered(b) => std::str::from_utf8(b).expect("ASCII hex"),
        }
    }
    pub fn into_owned(self) -> String {
        self.as_str().to_string()
    }
}

impl std::ops::Deref for AccountKey<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for AccountKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<&str> for AccountKey<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for AccountKey<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

/// The EIP-55 form Clearnode writes for an address-like string; other strings unchanged.
pub fn checksummed(s: &str) -> String {
    if !is_hex_address(s) {
        return s.to_string();
    }
    let mut bytes = [0u8; 20];
    hex::decode_to_slice(&s[s.len() - 40..], &mut bytes).expect("checked hex");
    alloy_primitives::Address::from(bytes).to_checksum(None)
}

/// Why a ledger write failed; the text is Postgres's, behind Clearnode's prefix (E39, Q-16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteError {
    Overflow,
    NulByte,
}

const WRITE_PREFIX: &str = "failed to record a ledger entry : ";

impl WriteError {
    pub fn error_set(self) -> ErrorSet {
        let db = match self {
            WriteError::Overflow => "ERROR: numeric field overflow (SQLSTATE 22003)",
            WriteError::NulByte => {
                "ERROR: invalid byte sequence for encoding \"UTF8\": 0x00 (SQLSTATE 22021)"
            }
        };
        ErrorSet {
            texts: vec![format!("{WRITE_PREFIX}{db}")],
            prefixes: vec![WRITE_PREFIX.to_string()],
            ..Default::default()
        }
    }
}

type WalletRows = BTreeMap<String, Dec>;

/// An account or wallet of the ledger: an index into its normalised names.
pub(crate) type AccountId = u32;

/// All ledger balances. An entry that exists with value 0 is an asset that once had a write:
/// it still appears in balance listings and session totals (AS-READ-3, AS-OP-1).
///
/// Accounts and wallets are interned: every spelling met maps to the id of its ADDR-2 class
/// (see [`account_key`]), so a write or read of a known spelling costs one hash of the text
/// and no normalisation (that was a seventh of a model step). Every method takes any spelling.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Every spelling met → its id. Only grows: a spelling whose writes were rolled back stays,
    /// unseen, since every read goes through `accounts`.
    ids: FastMap<Arc<str>, AccountId>,
    /// id → normalised key.
    names: Vec<Arc<str>>,
    accounts: FastMap<AccountId, FastMap<AccountId, WalletRows>>,
}

/// Ledgers are equal when they hold the same entries, whatever spellings each has met.
impl PartialEq for Ledger {
    fn eq(&self, other: &Self) -> bool {
        let entries = |l: &Ledger| {
            l.iter()
                .map(|(a, w, s, v)| ((a.to_string(), w.to_string(), s.to_string()), v.clone()))
                .collect::<BTreeMap<_, _>>()
        };
        entries(self) == entries(other)
    }
}

impl Ledger {
    /// The id of a spelling, if its class has one.
    pub(crate) fn find(&self, raw: &str) -> Option<AccountId> {
        if let Some(id) = self.ids.get(raw) {
            return Some(*id);
        }
        let key = account_key(raw);
        let key = key.as_str();
        if key == raw {
            return None;
        }
        self.ids.get(key).copied()
    }

    /// The id of a spelling, registering the spelling (and its class) when new.
    pub(crate) fn intern(&mut self, raw: &str) -> AccountId {
        if let Some(id) = self.ids.get(raw) {
            return *id;
        }
        let key = account_key(raw);
        let key = key.as_str();
        let id = match self.ids.get(key) {
            Some(id) => *id,
            None => {
                let id = AccountId::try_from(self.names.len()).expect("fewer than 2^32 accounts");
                let name: Arc<str> = key.into();
                self.names.push(name.clone());
                self.ids.insert(name, id);
                id
            }
        };
        if key != raw {
            self.ids.insert(raw.into(), id);
        }
        id
    }

    fn name(&self, id: AccountId) -> &str {
        &self.names[id as usize]
    }

    /// The balance of an entry; any spelling of the keys.
    pub fn balance(&self, account: &str, wallet: &str, asset: &str) -> Dec {
        self.entry(account, wallet, asset)
            .cloned()
            .unwrap_or_default()
    }

    pub fn entry(&self, account: &str, wallet: &str, asset: &str) -> Option<&Dec> {
        let (a, w) = (self.find(account)?, self.find(wallet)?);
        self.accounts.get(&a)?.get(&w)?.get(asset)
    }

    /// Every asset of one (account, wallet) pair, zero balances included.
    pub fn rows(&self, account: &str, wallet: &str) -> impl Iterator<Item = (&str, &Dec)> {
        let ids = self.find(account).zip(self.find(wallet));
        ids.and_then(|(a, w)| self.accounts.get(&a)?.get(&w))
            .into_iter()
            .flat_map(|m| m.iter().map(|(k, v)| (k.as_str(), v)))
    }

    /// Every (wallet, asset, balance) of one account.
    pub fn account(&self, account: &str) -> impl Iterator<Item = (&str, &str, &Dec)> {
        let wallets = self.find(account).and_then(|a| self.accounts.get(&a));
        wallets.into_iter().flat_map(move |ws| {
            ws.iter().flat_map(move |(w, m)| {
                let w = self.name(*w);
                m.iter().map(move |(k, v)| (w, k.as_str(), v))
            })
        })
    }

    /// [`Ledger::account`] with wallet ids instead of names.
    pub(crate) fn account_ids(
        &self,
        account: &str,
    ) -> impl Iterator<Item = (AccountId, &str, &Dec)> {
        let wallets = self.find(account).and_then(|a| self.accounts.get(&a));
        wallets.into_iter().flat_map(|ws| {
            ws.iter()
                .flat_map(|(w, m)| m.iter().map(move |(k, v)| (*w, k.as_str(), v)))
        })
    }

    /// Per-asset totals over every wallet of an account, including assets that sum to 0.
    pub fn totals(&self, account: &str) -> BTreeMap<String, Dec> {
        let mut t: BTreeMap<String, Dec> = BTreeMap::new();
        for (_, asset, v) in self.account(account) {
            match t.get_mut(asset) {
                Some(x) => *x += v,
                None => {
                    t.insert(asset.to_string(), v.clone());
                }
            }
        }
        t
    }

    /// Every entry: (account, wallet, asset, balance), keys normalised.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, &str, &Dec)> {
        self.accounts.iter().flat_map(move |(a, ws)| {
            let a = self.name(*a);
            ws.iter().flat_map(move |(w, m)| {
                let w = self.name(*w);
                m.iter().map(move |(k, v)| (a, w, k.as_str(), v))
            })
        })
    }

    /// Checks one write as Postgres would and returns the stored (rounded) amount; a zero amount
    /// writes nothing (`ledger.go:74-75`).
    pub fn stored_amount(
        wallet: &str,
        asset: &str,
        amount: &Dec,
    ) -> Result<Option<Dec>, WriteError> {
        if amount.is_zero_value() {
            return Ok(None);
        }
        if asset.contains('\0') || wallet.contains('\0') {
            return Err(WriteError::NulByte);
        }
        let stored = amount::round_for_storage(amount);
        if amount::overflows_storage(&stored) {
            return Err(WriteError::Overflow);
        }
        Ok(Some(stored))
    }

    /// Adds `stored` to an entry (creating it) and returns the entry's previous value.
    pub(crate) fn add(
        &mut self,
        account: &str,
        wallet: &str,
        asset: &str,
        stored: &Dec,
    ) -> Option<Dec> {
        let (a, w) = (self.intern(account), self.intern(wallet));
        self.add_at(a, w, asset, stored.clone())
    }

    /// [`Ledger::add`] by ids, of an owned amount: the sum is built in `stored` and the previous
    /// value moved out, so the common case (an existing entry) copies no number.
    pub(crate) fn add_at(
        &mut self,
        account: AccountId,
        wallet: AccountId,
        asset: &str,
        mut stored: Dec,
    ) -> Option<Dec> {
        let rows = self
            .accounts
            .entry(account)
            .or_default()
            .entry(wallet)
            .or_default();
        match rows.get_mut(asset) {
            Some(v) => {
                stored += &*v;
                Some(std::mem::replace(v, stored))
            }
            None => {
                rows.insert(asset.to_string(), stored);
                None
            }
        }
    }

    /// Puts an entry back to a previous value (journal rollback).
    pub(crate) fn restore(&mut self, account: &str, wallet: &str, asset: &str, old: Option<Dec>) {
        if let (Some(a), Some(w)) = (self.find(account), self.find(wallet)) {
            self.restore_at(a, w, asset, old);
        }
    }

    /// [`Ledger::restore`] by ids.
    pub(crate) fn restore_at(
        &mut self,
        account: AccountId,
        wallet: AccountId,
        asset: &str,
        old: Option<Dec>,
    ) {
        let Some(ws) = self.accounts.get_mut(&account) else {
            return;
        };
        let Some(rows) = ws.get_mut(&wallet) else {
            return;
        };
        match old {
            Some(v) => match rows.get_mut(asset) {
                Some(x) => *x = v,
                None => {
                    rows.insert(asset.to_string(), v);
                }
            },
            None => {
                rows.remove(asset);
                if rows.is_empty() {
                    ws.remove(&wallet);
                    if ws.is_empty() {
                        self.accounts.remove(&account);
                    }
                }
            }
        }
    }
}

/// Zero test that does not allocate.
pub trait IsZeroValue {
    fn is_zero_value(&self) -> bool;
}

impl IsZeroValue for Dec {
    fn is_zero_value(&self) -> bool {
        self.sign() == bigdecimal::num_bigint::Sign::NoSign
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::amount::dec;

    #[test]
    fn addr_2_account_keys() {
        let a = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
        assert_eq!(account_key(a), "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
        assert_eq!(
            account_key("f39fd6e51aad88f6f4ce6ab8827279cfffb92266"),
            account_key(a)
        );
        assert_eq!(
            account_key("0XF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266"),
            account_key(a)
        );
        let sid = "0x4b1e7acde82b2f2b1f2f0d8747f9ccecfe54843aff583beaaf14f0d3ef5d603d";
        assert_eq!(account_key(sid), sid);
        assert_eq!(checksummed("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"), a);
    }

    #[test]
    fn as_model_1_zero_writes_nothing_and_rounding() {
        assert_eq!(Ledger::stored_amount("w", "usdc", &dec("0")), Ok(None));
        assert_eq!(
            Ledger::stored_amount("w", "usdc", &dec("0.0000000000000000001")),
            Ok(Some(dec("0")))
        );
        assert_eq!(
            Ledger::stored_amount("w", "us\0dc", &dec("1")),
            Err(WriteError::NulByte)
        );
        assert_eq!(
            Ledger::stored_amount("w", "usdc", &dec("1e46")),
            Err(WriteError::Overflow)
        );
        let mut l = Ledger::default();
        assert_eq!(l.add("a", "w", "usdc", &dec("5")), None);
        assert_eq!(l.add("a", "w", "usdc", &dec("-5")), Some(dec("5")));
        assert_eq!(l.rows("a", "w").count(), 1);
        l.restore("a", "w", "usdc", None);
        assert_eq!(l.iter().count(), 0);
    }
}

//! Session keys (the SK rules, SK-1 to SK-8, and AS-SK-1 to AS-SK-4): the `session_keys` table, the in-memory signer → wallet
//! cache that app sessions and `verifySigner` consult, spending per key, revoke and listing.

use super::amount::{self, Dec};
use super::clock;
use super::outcome::{Call, ErrorSet};
use super::params::{self, key_is};
use super::FastMap;
use super::{fail, parse_stop, Model, Stop, PARSE_FAILED};
use serde_json::{json, Value};

/// Keys of this application act for any app session and have no spending cap (SK-4).
pub const ROOT_APPLICATION: &str = "clearnode";

/// One row of `session_keys`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKey {
    pub id: u64,
    pub address: String,
    pub wallet: String,
    pub application: String,
    pub allowances: Vec<(String, Dec)>,
    pub scope: String,
    pub expires_at_s: u64,
    pub created_ms: u64,
    /// Revocation sets `expires_at` to now (SK-8); kept apart so the listing stays exact.
    pub revoked: bool,
}

impl SessionKey {
    pub fn expired(&self, now_ms: u64) -> bool {
        self.revoked || now_ms > self.expires_at_s.saturating_mul(1000)
    }
    fn is_root(&self) -> bool {
        self.application == ROOT_APPLICATION
    }
}

/// The table, the cache and the per-key spending.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyStore {
    rows: FastMap<String, SessionKey>,
    /// address → (wallet, expires_at_s). Entries leave on revoke, on replacement, or lazily when
    /// a lookup finds them expired (SK-6); not part of the DB, so never rolled back.
    cache: FastMap<String, (String, u64)>,
    /// (key, asset) → sum of debits charged to the key; never refunded.
    spent: FastMap<(String, String), Dec>,
    seq: u64,
}

/// How a participant is vouched for in a signer set (`app_session_service.go:28-43`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Vouch {
    Direct,
    /// Signed only through session keys; several when Clearnode would pick one at random.
    Keys(Vec<String>),
    Missing,
}

impl KeyStore {
    pub fn get(&self, address: &str) -> Option<&SessionKey> {
        self.rows.get(address)
    }

    pub fn rows(&self) -> impl Iterator<Item = &SessionKey> {
        self.rows.values()
    }

    /// The cache lookup `GetWalletBySessionKey` without its side effect.
    pub fn live_wallet(&self, signer: &str, now_ms: u64) -> Option<&str> {
        match self.cache.get(signer) {
            Some((w, exp)) if now_ms <= exp.saturating_mul(1000) => Some(w),
            _ => None,
        }
    }

    /// `GetWalletBySessionKey`: maps a live key to its wallet and purges an expired entry.
    pub fn wallet_of(&mut self, signer: &str, now_ms: u64) -> Option<String> {
        match self.cache.get(signer) {
            Some((w, exp)) if now_ms <= exp.saturating_mul(1000) => Some(w.clone()),
            Some(_) => {
                self.cache.remove(signer);
                None
            }
            None => None,
        }
    }

    /// Does `participant` appear among the signers, directly or through a live key? A direct
    /// signature wins. The lookup answers `""` for an address that is no live key, so a
    /// participant `""` is "vouched for" by every such signer.
    pub fn vouch(&mut self, participant: &str, signers: &[&str], now_ms: u64) -> Vouch {
        if signers.contains(&participant) {
            return Vouch::Direct;
        }
        let keys: Vec<String> = signers
            .iter()
            .filter(|s| self.wallet_of(s, now_ms).unwrap_or_default() == participant)
            .map(|s| s.to_string())
            .collect();
        if keys.is_empty() {
            Vouch::Missing
        } else {
            Vouch::Keys(keys)
        }
    }

    pub fn spent(&self, key: &str, asset: &str) -> Dec {
        self.spent
            .get(&(key.to_string(), asset.to_string()))
            .cloned()
            .unwrap_or_default()
    }

    pub(crate) fn add_spent(&mut self, key: &str, asset: &str, amount: &Dec) -> Option<Dec> {
        let e = self
            .spent
            .entry((key.to_string(), asset.to_string()))
            .or_default();
        let old = e.clone();
        *e += amount;
        Some(old)
    }

    pub(crate) fn restore_spent(&mut self, key: &str, asset: &str, old: Option<Dec>) {
        let k = (key.to_string(), asset.to_string());
        match old {
            Some(v) => {
                self.spent.insert(k, v);
            }
            None => {
                self.spent.remove(&k);
            }
        }
    }

    /// AS-SK-3 (and SK-5 for transfer, where `application` is `None`): lookup, application,
    /// allowance, each behind its own prefix.
    pub fn check_spend(
        &self,
        key: &str,
        application: Option<&str>,
        asset: &str,
        amount: &Dec,
        now_ms: u64,
    ) -> Result<(), String> {
        let Some(row) = self.rows.get(key) else {
            return Err(format!(
                "session key validation failed: failed to retrieve session key {key}: record not found"
            ));
        };
        // expiry is not looked at for root keys in the DB check.
        if !row.is_root() && row.expired(now_ms) {
            return Err("session key validation failed: session key expired".into());
        }
        if let Some(app) = application {
            if !row.is_root() && row.application != app {
                return Err(format!(
                    "session key application validation failed: session key application mismatch: session key is for '{}', but app session is for '{app}'",
                    row.application
                ));
            }
        }
        if row.is_root() {
            return Ok(());
        }
        let prefix = "session key spending validation failed: operation denied: ";
        let Some((_, cap)) = row.allowances.iter().find(|(a, _)| a == asset) else {
            return Err(format!(
                "{prefix}asset {asset} not allowed in session key spending cap"
            ));
        };
        let used = self.spent(key, asset);
        if &(&used + amount) > cap {
            return Err(format!(
                "{prefix}insufficient session key allowance: {} required, {} available",
                amount::render(amount),
                amount::render(&(cap - &used))
            ));
        }
        Ok(())
    }

    /// AS-SK-2 for one signer of a submit or close.
    pub fn check_scope(&self, signer: &str, session_app: &str, now_ms: u64) -> Result<(), String> {
        let Some(row) = self.rows.get(signer) else {
            return Err(format!(
                "failed to get session key for signer {signer}: failed to retrieve session key {signer}: record not found"
            ));
        };
        if !row.is_root() && row.expired(now_ms) {
            return Err(format!(
                "failed to get session key for signer {signer}: session key expired"
            ));
        }
        if !row.is_root() && row.application != session_app {
            return Err(format!(
                "session key application validation failed for signer {signer}: session key application mismatch: session key is for '{}', but app session is for '{session_app}'",
                row.application
            ));
        }
        Ok(())
    }

    /// AUTH-7 steps 10–11: an existing live key of the same wallet is kept as stored (SK-2);
    /// a new key replaces the wallet's key for the same application.
    #[allow(clippy::too_many_arguments)]
    pub fn register(
        &mut self,
        wallet: &str,
        address: &str,
        application: &str,
        allowances: Vec<(String, Dec)>,
        scope: &str,
        expires_at_s: u64,
        now_ms: u64,
    ) -> Result<(), String> {
        // FUZZ-4: no proof of possession: any address may become this wallet's key, even
        // another wallet's own address, unless it already is a registered key.
        if let Some((w, _)) = self.cache.get(address) {
            if w != wallet {
                return Err("signer is already in use for another wallet".into());
            }
        }
        if let Some(row) = self.rows.get(address) {
            if row.expired(now_ms) {
                return Err("session key already exists but is expired".into());
            }
            if row.wallet != wallet {
                return Err("signer is already in use for another wallet".into());
            }
            return Ok(());
        }
        if expires_at_s.saturating_mul(1000) <= now_ms {
            return Err("expiration time must be set and in the future".into());
        }
        let replaced: Vec<String> = self
            .rows
            .values()
            .filter(|r| r.wallet == wallet && r.application == application)
            .map(|r| r.address.clone())
            .collect();
        for a in replaced {
            self.rows.remove(&a);
            self.cache.remove(&a);
        }
        self.seq += 1;
        self.rows.insert(
            address.to_string(),
            SessionKey {
                id: self.seq,
                address: address.to_string(),
                wallet: wallet.to_string(),
                application: application.to_string(),
                allowances,
                scope: if scope.is_empty() { "all" } else { scope }.to_string(),
                expires_at_s,
                created_ms: now_ms,
                revoked: false,
            },
        );
        self.cache
            .insert(address.to_string(), (wallet.to_string(), expires_at_s));
        Ok(())
    }
}

/// `verifySigner` (SIG-5, SIG-7): `sig[0]` mapped through the cache must be the caller.
/// Returns the signer and whether it acted as a session key.
pub(crate) fn verify_signer(
    model: &mut Model,
    call: &Call,
    caller: &str,
) -> Result<(String, bool), Stop> {
    let Some(first) = call.signatures.first() else {
        return Err(fail("missing participant signature"));
    };
    // `RecoverAddress(rawBytes, Sig[0])`: only the first entry is rewritten (SIG-8, L-12).
    model.sigs_recovered = model.sigs_recovered.max(1);
    let Some(signer) = first else {
        return Err(fail("failed to verify signer"));
    };
    let mapped = model.keys.wallet_of(signer, call.now_ms);
    let wallet = mapped.unwrap_or_else(|| signer.clone());
    if wallet != caller {
        return Err(fail("invalid signature"));
    }
    // L-17: the handlers take the signer for a session key when it is not the caller
    // (`signerAddress != fromWallet`); a wallet registered as its own key signs as the wallet.
    let via_key = signer != caller;
    Ok((signer.clone(), via_key))
}

impl Model {
    /// `get_session_keys` (SK-7): the caller's live keys, newest first; `limit` 0 means all.
    /// L-9: the params are Go's `ListOptions`, so `sort` must be a string (a number fails the
    /// parse) although its value is never used (`created_at DESC` whatever it says).
    pub(crate) fn get_session_keys(&mut self, call: &Call, caller: &str) -> Result<Value, Stop> {
        let mut options = super::books::ListOptions::default();
        params::each_member(call.params, |k, v| options.member(k, v).unwrap_or(Ok(())))
            .map_err(|e| parse_stop(e, PARSE_FAILED))?;
        let (offset, limit) = (options.offset, options.limit);
        let now = call.now_ms;
        let mut keys: Vec<&SessionKey> = self
            .keys
            .rows
            .values()
            .filter(|r| r.wallet == caller && !r.expired(now))
            .collect();
        keys.sort_by_key(|k| std::cmp::Reverse(k.id));
        let take = if limit == 0 {
            usize::MAX
        } else {
            limit as usize
        };
        let list: Vec<Value> = keys
            .into_iter()
            .skip(offset as usize)
            .take(take)
            .map(|r| {
                let allowances: Vec<Value> = r
                    .allowances
                    .iter()
                    .map(|(a, cap)| {
                        json!({
                            "asset": a,
                            "allowance": amount::render(cap),
                            "used": amount::render(&self.keys.spent(&r.address, a)),
                        })
                    })
                    .collect();
                let mut v = json!({
                    "id": r.id,
                    "session_key": r.address,
                    "application": r.application,
                    "allowances": allowances,
                });
                let m = v.as_object_mut().expect("object literal");
                if !r.scope.is_empty() {
                    m.insert("scope".into(), Value::from(r.scope.as_str()));
                }
                m.insert(
                    "expires_at".into(),
                    clock::rfc3339_secs(r.expires_at_s).into(),
                );
                m.insert(
                    "created_at".into(),
                    clock::rfc3339_nano(r.created_ms).into(),
                );
                v
            })
            .collect();
        Ok(json!({ "session_keys": list }))
    }

    /// `revoke_session_key` (SK-8).
    pub(crate) fn revoke_session_key(&mut self, call: &Call, caller: &str) -> Result<Value, Stop> {
        let mut target = String::new();
        params::each_member(call.params, |k, v| {
            if key_is(k, "session_key") {
                params::string(&mut target, v)
            } else {
                Ok(())
            }
        })
        .map_err(|e| parse_stop(e, PARSE_FAILED))?;
        if target.is_empty() {
            return Err(fail("session_key parameter is required"));
        }
        let (signer, via_key) = verify_signer(self, call, caller)?;
        let now = call.now_ms;
        match self.keys.rows.get(&target) {
            Some(r) if r.wallet == caller && !r.expired(now) => {}
            _ => {
                return Err(fail(
                    "operation denied: provided address is not an active session key of this user",
                ))
            }
        }
        if via_key {
            let Some(active) = self.keys.rows.get(&signer).filter(|r| !r.expired(now)) else {
                return Err(fail("operation denied: active session key is invalid"));
            };
            if signer != target && !active.is_root() {
                return Err(fail(
                    "operation denied: insufficient permissions for the active session key",
                ));
            }
        }
        let row = self.keys.rows.get_mut(&target).expect("checked above");
        row.revoked = true;
        self.keys.cache.remove(&target);
        Ok(json!({ "session_key": target }))
    }
}

/// Builds an [`ErrorSet`] from the distinct errors of Clearnode's random choice.
pub(crate) fn error_choice(mut texts: Vec<String>) -> ErrorSet {
    texts.dedup();
    ErrorSet::any_of(texts)
}

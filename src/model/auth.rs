//! Authentication (the AUTH rules, AUTH-1 to AUTH-14): connections, global challenges, the
//! wallets' 24 h auth sessions, user tags, the private-method middleware and `auth_request` /
//! `auth_verify`.

use super::amount::{self, DecimalError};
use super::ledger::{account_key, is_hex_address, IsZeroValue};
use super::notify;
use super::outcome::{
    Call, ConnId, ErrorSet, JwtClaims, Notification, Outcome, Recipient, JWT_PLACEHOLDER,
};
use super::params::{self, key_is, ParseError};
use super::FastMap;
use super::{fail, Model, Stop};
use crate::crypto::eip712::{Allowance, Policy};
use serde_json::{json, Value};
use std::collections::HashMap;

/// LIM-1: a challenge lives 5 minutes; at most 1000 are pending; a sweep runs every 10 minutes.
const CHALLENGE_TTL_MS: u64 = 5 * 60_000;
/// Expired and used challenges leave only at a 10-minute sweep whose phase is unknown; the model
/// drops them after 15 minutes, the latest a sweep can come (AUTH-9).
const CHALLENGE_SWEEP_MS: u64 = 15 * 60_000;
const MAX_CHALLENGES: usize = 1000;
/// LIM-2: the wallet's auth session slides 24 h from its last private call (AUTH-13); a JWT
/// lives 24 h.
const AUTH_SESSION_TTL_MS: u64 = 24 * 3_600_000;
const JWT_LIFETIME_S: u64 = 24 * 3600;
/// JWT encoding fails for times after 9999-12-31T23:59:59Z (SK-3).
const MAX_JWT_TIME_S: u64 = 253_402_300_799;
const AUTH_PARSE_FAILED: &str = "failed to parse auth parameters";
const BAD_PAIR: &str = "invalid challenge or signature";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Challenge {
    policy: Policy,
    created_ms: u64,
    used: bool,
    /// The connection that asked for it, while it is open (SPEC-9's share of the store).
    owner: Option<ConnId>,
    /// Issue order: the oldest goes first when SPEC-9 must make room.
    seq: u64,
}

/// Authentication state; none of it is in the DB, so none of it rolls back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthState {
    conns: FastMap<ConnId, String>,
    challenges: FastMap<String, Challenge>,
    last_active_ms: FastMap<String, u64>,
    tags: FastMap<String, String>,
    tag_owner: FastMap<String, String>,
    challenge_seq: u64,
    challenges_issued: u64,
}

impl AuthState {
    pub fn wallet_of(&self, conn: ConnId) -> Option<&str> {
        self.conns.get(&conn).map(String::as_str)
    }

    /// Every wallet some connection is authenticated as, sorted, each once.
    pub fn authenticated_wallets(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.conns.values().map(String::as_str).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    pub fn connections_of(&self, wallet: &str) -> Vec<ConnId> {
        let mut v: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, w)| *w == wallet)
            .map(|(c, _)| *c)
            .collect();
        v.sort_unstable();
        v
    }

    pub fn tag_of(&self, wallet: &str) -> Option<&str> {
        self.tags.get(wallet).map(String::as_str)
    }

    pub fn wallet_by_tag(&self, tag: &str) -> Option<&str> {
        self.tag_owner.get(tag).map(String::as_str)
    }

    /// SPEC-9: makes room in a full challenge store for one more challenge of `conn`, so that
    /// no connection can exhaust the store for the others (FUZZ-3 locks Clearnode's logins for
    /// everyone). The victim is, in this order: the oldest challenge nobody can redeem any more
    /// (used, or past its TTL); the oldest whose connection has closed; else the oldest of the
    /// connection holding the most challenges, `conn` itself when it holds as many as anyone.
    /// A connection is thus never robbed by one that holds more than it does.
    fn evict_for(&mut self, conn: ConnId, now_ms: u64) {
        let oldest = |it: &mut dyn Iterator<Item = (&String, &Challenge)>| {
            it.min_by_key(|(_, c)| c.seq).map(|(k, _)| k.clone())
        };
        let dead = oldest(
            &mut self
                .challenges
                .iter()
                .filter(|(_, c)| c.used || now_ms.saturating_sub(c.created_ms) > CHALLENGE_TTL_MS),
        );
        let orphan = || oldest(&mut self.challenges.iter().filter(|(_, c)| c.owner.is_none()));
        let victim = dead.or_else(orphan).or_else(|| {
            let mut held: HashMap<ConnId, usize> = HashMap::new();
            for c in self.challenges.values() {
                *held.entry(c.owner.expect("no orphans left")).or_default() += 1;
            }
            let most = held.values().copied().max().unwrap_or(0);
            let owner = if held.get(&conn).copied().unwrap_or(0) >= most {
                conn
            } else {
                // The biggest holder; among equals, the one with the oldest challenge.
                let biggest: Vec<ConnId> = held
                    .iter()
                    .filter(|(_, n)| **n == most)
                    .map(|(c, _)| *c)
                    .collect();
                self.challenges
                    .values()
                    .filter(|c| c.owner.is_some_and(|o| biggest.contains(&o)))
                    .min_by_key(|c| c.seq)
                    .and_then(|c| c.owner)
                    .expect("a biggest holder")
            };
            oldest(
                &mut self
                    .challenges
                    .iter()
                    .filter(|(_, c)| c.owner == Some(owner)),
            )
        });
        if let Some(victim) = victim {
            self.challenges.remove(&victim);
        }
    }

    /// A closed connection's challenges stay redeemable (AUTH-8) but lose their owner.
    fn orphan_challenges(&mut self, conn: ConnId) {
        for c in self.challenges.values_mut() {
            if c.owner == Some(conn) {
                c.owner = None;
            }
        }
    }

    fn ensure_tag(&mut self, wallet: &str) {
        if self.tags.contains_key(wallet) {
            return;
        }
        // Clearnode draws a random tag; the model derives one so runs stay reproducible. A
        // runner comparing against a live broker reads the real tag with `get_user_tag`.
        let h = alloy_primitives::keccak256(wallet.as_bytes());
        let mut tag = hex::encode_upper(&h[..3]);
        let mut i = 3;
        while self.tag_owner.contains_key(&tag) && i < 32 {
            tag = hex::encode_upper(&h[i - 2..i + 1]);
            i += 1;
        }
        self.tags.insert(wallet.to_string(), tag.clone());
        self.tag_owner.insert(tag, wallet.to_string());
    }
}

/// google/uuid `Parse` forms (AUTH-5): hyphenated, 32 hex, `{…}`, `urn:uuid:…`, any case.
/// Returns the canonical lower-case hyphenated text.
pub fn canonical_uuid(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let body: &[u8] = match b.len() {
        36 => b,
        38 if b[0] == b'{' && b[37] == b'}' => &b[1..37],
        45 if b[..9].eq_ignore_ascii_case(b"urn:uuid:") => &b[9..],
        32 => {
            if !b.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            let h = s.to_ascii_lowercase();
            return Some(format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            ));
        }
        _ => return None,
    };
    for (i, c) in body.iter().enumerate() {
        let ok = if matches!(i, 8 | 13 | 18 | 23) {
            *c == b'-'
        } else {
            c.is_ascii_hexdigit()
        };
        if !ok {
            return None;
        }
    }
    Some(String::from_utf8_lossy(body).to_ascii_lowercase())
}

const ZERO_UUID: &str = "00000000-0000-0000-0000-000000000000";

impl Model {
    /// SPEC-10: is `address` (in any casing) a wallet the broker knows, other than `wallet`?
    /// A known wallet is one that logged in (it has a user tag, AUTH-7 step 7), holds or held
    /// a ledger entry (a unified or session balance: funded, or credited by a transfer), or is
    /// a participant of an app session. A session key only ever stands for the wallet that
    /// registered it, so such an address must never become one: Clearnode maps every
    /// signature of it to the registering wallet (FUZZ-4).
    pub(crate) fn is_other_wallet(&self, address: &str, wallet: &str) -> bool {
        let key = account_key(address);
        let key = key.as_str();
        if !is_hex_address(address) || key == account_key(wallet).as_str() {
            return false;
        }
        let same = |w: &str| account_key(w).as_str() == key;
        self.auth.tags.keys().any(|w| same(w))
            || self.ledger.iter().any(|(_, w, _, _)| same(w))
            || self
                .sessions
                .values()
                .any(|s| s.participants.iter().any(|p| same(p)))
    }

    /// AUTH-3 for every private method: authenticated, auth session alive (then refreshed),
    /// timestamp within the window (WIRE-12: 13 digits, ≤ 60 s old, any future).
    pub(crate) fn auth_middleware(&mut self, call: &Call) -> Result<String, ErrorSet> {
        // AUTH-14: on an unauthenticated connection every private method gets this, and nothing
        // else happens (no `bu`).
        let Some(wallet) = self.auth.conns.get(&call.conn).cloned() else {
            return Err(ErrorSet::one("authentication required"));
        };
        let alive = self
            .auth
            .last_active_ms
            .get(&wallet)
            .is_some_and(|t| call.now_ms.saturating_sub(*t) <= AUTH_SESSION_TTL_MS);
        if !alive {
            return Err(ErrorSet::one("session expired, please re-authenticate"));
        }
        if let Some(t) = self.auth.last_active_ms.get_mut(&wallet) {
            *t = call.now_ms;
        }
        // LIM-3: the 60 s window (`msg_expiry_ms`) looks at the past only, private methods only.
        let ts = call.ts;
        if !(1_000_000_000_000..=9_999_999_999_999).contains(&ts)
            || call.now_ms.saturating_sub(ts) > self.config.msg_expiry_ms
        {
            return Err(ErrorSet::one("invalid message timestamp"));
        }
        Ok(wallet)
    }

    /// Harness hook: authenticates a connection as `wallet` without the challenge round trip
    /// (as a successful `auth_verify` would, minus session keys and notifications).
    pub fn login(&mut self, conn: ConnId, wallet: &str, now_ms: u64) {
        self.auth.conns.insert(conn, wallet.to_string());
        self.auth.last_active_ms.insert(wallet.to_string(), now_ms);
        self.auth.ensure_tag(wallet);
    }

    /// Forgets a connection (socket closed).
    pub fn disconnect(&mut self, conn: ConnId) {
        self.auth.conns.remove(&conn);
        self.auth.orphan_challenges(conn);
    }

    /// The stored policy behind a challenge (any accepted UUID spelling), for a broker that
    /// recovers the `auth_verify` signer before calling [`Model::step`].
    pub fn challenge_policy(&self, challenge: &str) -> Option<Policy> {
        let c = canonical_uuid(challenge)?;
        self.auth.challenges.get(&c).map(|c| c.policy.clone())
    }

    pub fn user_tag(&self, wallet: &str) -> Option<&str> {
        self.auth.tag_of(wallet)
    }

    /// `auth_request` (AUTH-4): stores the proposal under a fresh challenge.
    pub(crate) fn auth_request(&mut self, call: &Call) -> Result<Value, Stop> {
        let mut p = Policy {
            application: String::new(),
            challenge: String::new(),
            scope: String::new(),
            wallet: String::new(),
            session_key: String::new(),
            expires_at: 0,
            allowances: Vec::new(),
        };
        let mut allowances: Option<Vec<(String, String)>> = None;
        params::each_member(call.params, |k, v| {
            if key_is(k, "address") {
                params::string(&mut p.wallet, v)
            } else if key_is(k, "session_key") {
                params::string(&mut p.session_key, v)
            } else if key_is(k, "application") {
                params::string(&mut p.application, v)
            } else if key_is(k, "scope") {
                params::string(&mut p.scope, v)
            } else if key_is(k, "expires_at") {
                params::uint(&mut p.expires_at, v, u64::MAX)
            } else if key_is(k, "allowances") {
                params::slice(&mut allowances, v, |a: &mut (String, String), v| {
                    params::each_member(v, |k, v| {
                        if key_is(k, "asset") {
                            params::string(&mut a.0, v)
                        } else if key_is(k, "amount") {
                            params::string(&mut a.1, v)
                        } else {
                            Ok(())
                        }
                    })
                })
            } else {
                Ok(())
            }
        })
        // AUTH-4a: any parse failure (an allowance amount as a number, a non-string field) gives
        // this one text.
        .map_err(|_| fail(AUTH_PARSE_FAILED))?;
        p.allowances = allowances
            .unwrap_or_default()
            .into_iter()
            .map(|(asset, amount)| Allowance { asset, amount })
            .collect();
        // ADDR-3: an address without `0x` gets one (so `0X…` becomes `0x0X…`, which then never
        // verifies).
        if !p.wallet.starts_with("0x") {
            p.wallet.insert_str(0, "0x");
        }
        let now = call.now_ms;
        self.auth
            .challenges
            .retain(|_, c| now.saturating_sub(c.created_ms) <= CHALLENGE_SWEEP_MS);
        if self.auth.challenges.len() >= MAX_CHALLENGES {
            if !self.profile.is_spec() {
                // AUTH-9 / FUZZ-3: one global cap; a full store refuses everyone.
                return Err(fail("failed to generate challenge"));
            }
            self.auth.evict_for(call.conn, now);
        }
        let uuid = match call.auth.challenge_uuid {
            Some(u) => canonical_uuid(u).expect("the broker issues a valid UUID"),
            None => {
                self.auth.challenge_seq += 1;
                format!("00000000-0000-4000-8000-{:012x}", self.auth.challenge_seq)
            }
        };
        p.challenge = uuid.clone();
        self.auth.challenges_issued += 1;
        self.auth.challenges.insert(
            uuid.clone(),
            Challenge {
                policy: p,
                created_ms: now,
                used: false,
                owner: Some(call.conn),
                seq: self.auth.challenges_issued,
            },
        );
        Ok(json!({ "challenge_message": uuid }))
    }

    /// `auth_verify` (AUTH-5 to AUTH-12): JWT re-auth or the EIP-712 policy signature.
    pub(crate) fn auth_verify(&mut self, call: &Call, out: &mut Outcome) -> Result<Value, Stop> {
        let mut challenge = String::new();
        let mut challenge_given = false;
        let mut jwt = String::new();
        params::each_member(call.params, |k, v| {
            if key_is(k, "challenge") {
                match v {
                    Value::Null => Ok(()),
                    Value::String(s) => {
                        challenge = canonical_uuid(s).ok_or(ParseError::Invalid)?;
                        challenge_given = true;
                        Ok(())
                    }
                    _ => Err(ParseError::Invalid),
                }
            } else if key_is(k, "jwt") {
                params::string(&mut jwt, v)
            } else {
                Ok(())
            }
        })
        .map_err(|_| fail(AUTH_PARSE_FAILED))?;
        if !challenge_given {
            challenge = ZERO_UUID.to_string();
        }
        if !jwt.is_empty() {
            return self.auth_verify_jwt(call, &jwt, out);
        }
        if call.signatures.is_empty() {
            return Err(fail(
                "invalid authentication method: expected JWT or signature",
            ));
        }
        let now = call.now_ms;
        let Some(stored) = self.auth.challenges.get(&challenge) else {
            return Err(fail("invalid challenge"));
        };
        let policy = stored.policy.clone();
        // Typed-data hashing fails (go-ethereum apitypes) for a non-address wallet or session
        // key and for an empty domain name; that is decided here, recovery by the caller. An
        // auth_request without `address` ends here too (live, FINDINGS.md item 6).
        let hashable = is_hex_address(&policy.wallet)
            && is_hex_address(&policy.session_key)
            && !policy.application.is_empty();
        let signer = if hashable {
            call.auth.policy_signer.and_then(|f| f(&policy))
        } else {
            None
        };
        let Some(signer) = signer else {
            return Err(fail("invalid signature"));
        };
        if signer != policy.wallet {
            return Err(fail(BAD_PAIR));
        }
        // REPLAY-4: a challenge is single-use (a JWT, by contrast, is reusable for its 24 h).
        if now.saturating_sub(stored.created_ms) > CHALLENGE_TTL_MS || stored.used {
            self.auth.challenges.remove(&challenge);
            return Err(fail(BAD_PAIR));
        }
        self.auth
            .challenges
            .get_mut(&challenge)
            .expect("present")
            .used = true;
        let wallet = policy.wallet.clone();
        self.auth.last_active_ms.insert(wallet.clone(), now);
        self.auth.ensure_tag(&wallet);
        if policy.expires_at > MAX_JWT_TIME_S {
            return Err(fail("failed to generate JWT token"));
        }
        let now_s = now / 1000;
        let claims = JwtClaims {
            wallet: wallet.clone(),
            session_key: policy.session_key.clone(),
            scope: policy.scope.clone(),
            application: policy.application.clone(),
            allowances: policy.allowances.clone(),
            expiration_s: policy.expires_at,
            issuer: "clearnode".into(),
            issued_at_s: now_s,
            not_before_s: now_s,
            expires_s: now_s + JWT_LIFETIME_S,
        };
        let mut caps = Vec::with_capacity(policy.allowances.len());
        for a in &policy.allowances {
            if !self.config.assets.contains(&a.asset) {
                return Err(fail(format!(
                    "unsupported token: asset '{}' is not supported",
                    a.asset
                )));
            }
            let v = match amount::parse_decimal(&a.amount) {
                Ok(v) => v,
                Err(DecimalError::Invalid(e)) => {
                    return Err(fail(format!(
                        "unsupported token: invalid amount '{}' for asset '{}': {e}",
                        a.amount, a.asset
                    )))
                }
                Err(DecimalError::OutOfModelRange) => {
                    return Err(Stop::Unmodelled("allowance exponent beyond model range"))
                }
            };
            if v.sign() == bigdecimal::num_bigint::Sign::Minus && !v.is_zero_value() {
                return Err(fail(format!(
                    "unsupported token: allowance amount cannot be negative for asset '{}', got '{}'",
                    a.asset, a.amount
                )));
            }
            caps.push((a.asset.clone(), v));
        }
        // SPEC-10: in the spec profile a session key is never another wallet's address.
        if self.profile.is_spec() && self.is_other_wallet(&policy.session_key, &wallet) {
            return Err(fail(format!(
                "session key {} is the address of another wallet",
                policy.session_key
            )));
        }
        // SK-1: the only way a session key is registered is a successful signature `auth_verify`.
        self.keys
            .register(
                &wallet,
                &policy.session_key,
                &policy.application,
                caps,
                &policy.scope,
                policy.expires_at,
                now,
            )
            .map_err(fail)?;
        let token = call
            .auth
            .jwt_signer
            .map(|f| f(&claims))
            .unwrap_or_else(|| JWT_PLACEHOLDER.to_string());
        out.jwt = Some(claims);
        self.switch_connection(call.conn, &wallet, out);
        // Go struct order; the digest's AUTH-8 lists session_key before jwt_token, the live
        // broker does not (FINDINGS.md item 3, QUIRKS-LIVE.md L-3).
        Ok(json!({
            "address": wallet,
            "jwt_token": token,
            "session_key": policy.session_key,
            "success": true,
        }))
    }

    fn auth_verify_jwt(
        &mut self,
        call: &Call,
        jwt: &str,
        out: &mut Outcome,
    ) -> Result<Value, Stop> {
        let now_s = call.now_ms / 1000;
        let claims =
            call.auth.jwt_verifier.and_then(|f| f(jwt)).filter(|c| {
                c.issuer == "clearnode" && now_s <= c.expires_s && now_s >= c.not_before_s
            });
        let Some(claims) = claims else {
            return Err(fail("invalid JWT token"));
        };
        self.auth
            .last_active_ms
            .insert(claims.wallet.clone(), call.now_ms);
        self.switch_connection(call.conn, &claims.wallet, out);
        Ok(json!({
            "address": claims.wallet,
            "session_key": claims.session_key,
            "success": true,
        }))
    }

    /// AUTH-12 / NOTIF-3: a changed user gets `channels` then `bu`, after the response, on
    /// this connection only.
    fn switch_connection(&mut self, conn: ConnId, wallet: &str, out: &mut Outcome) {
        let changed = self.auth.conns.get(&conn).map(String::as_str) != Some(wallet);
        self.auth.conns.insert(conn, wallet.to_string());
        if changed {
            out.after_response.push(Notification {
                to: Recipient::Conn(conn),
                method: "channels",
                params: self.channels.notification_json(wallet),
                group: 0,
            });
            let mut bu = notify::bu(&self.ledger, wallet, 0);
            bu.to = Recipient::Conn(conn);
            out.after_response.push(bu);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Call, Config, Expected, Profile};

    const NOW: u64 = 1_700_000_000_000;

    /// `auth_request` on `conn`: the challenge, or the error text.
    fn ask(m: &mut Model, conn: ConnId, now: u64) -> Result<String, String> {
        let params = json!({"address": "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"});
        match m
            .step(&Call::new(conn, "auth_request", &params, &[], now))
            .response
        {
            Expected::Ok { result, .. } => Ok(result["challenge_message"]
                .as_str()
                .expect("a challenge")
                .to_string()),
            Expected::Err(e) => Err(e.text().to_string()),
            Expected::Unmodelled(w) => panic!("{w}"),
        }
    }

    fn model(profile: Profile) -> Model {
        Model::new(profile, Config::default())
    }

    #[test]
    fn auth_9_one_global_cap_refuses_everyone_in_clearnode_profile() {
        let mut m = model(Profile::Clearnode052);
        for i in 0..MAX_CHALLENGES as u64 {
            ask(&mut m, 1, NOW + i).unwrap();
        }
        assert_eq!(
            ask(&mut m, 2, NOW + 2000),
            Err("failed to generate challenge".into())
        );
        // Nothing leaves before the sweep, not even when the flooder goes away.
        m.disconnect(1);
        assert!(ask(&mut m, 2, NOW + CHALLENGE_TTL_MS + 2000).is_err());
        assert!(ask(&mut m, 2, NOW + CHALLENGE_SWEEP_MS + 2000).is_ok());
    }

    #[test]
    fn spec_9_a_flooding_connection_only_evicts_its_own_challenges() {
        let mut m = model(Profile::Spec);
        let mine = ask(&mut m, 2, NOW).unwrap();
        for i in 0..(MAX_CHALLENGES as u64 + 500) {
            ask(&mut m, 1, NOW + 1 + i).unwrap();
        }
        assert_eq!(m.auth.challenges.len(), MAX_CHALLENGES);
        assert!(
            m.challenge_policy(&mine).is_some(),
            "the victim's challenge survived"
        );
        // The victim still gets new challenges, at the flooder's expense.
        let second = ask(&mut m, 2, NOW + 3000).unwrap();
        assert!(m.challenge_policy(&second).is_some());
        assert!(m.challenge_policy(&mine).is_some());
        assert_eq!(m.auth.challenges.len(), MAX_CHALLENGES);
    }

    #[test]
    fn spec_9_spent_then_orphaned_challenges_go_first() {
        let mut m = model(Profile::Spec);
        let expired = ask(&mut m, 4, NOW).unwrap();
        let orphan = ask(&mut m, 3, NOW + CHALLENGE_TTL_MS).unwrap();
        m.disconnect(3);
        let kept = ask(&mut m, 4, NOW + CHALLENGE_TTL_MS).unwrap();
        for i in 0..(MAX_CHALLENGES as u64 - 3) {
            ask(&mut m, 1, NOW + CHALLENGE_TTL_MS + i).unwrap();
        }
        let later = NOW + CHALLENGE_TTL_MS + 2000;
        // Full: the expired challenge goes first, then the orphan, then the flooder's own.
        ask(&mut m, 1, later).unwrap();
        assert!(m.challenge_policy(&expired).is_none());
        assert!(m.challenge_policy(&orphan).is_some());
        ask(&mut m, 1, later).unwrap();
        assert!(m.challenge_policy(&orphan).is_none());
        ask(&mut m, 1, later).unwrap();
        assert!(m.challenge_policy(&kept).is_some());
        assert_eq!(m.auth.challenges.len(), MAX_CHALLENGES);
    }

    #[test]
    fn auth_5_uuid_forms() {
        let c = "550e8400-e29b-41d4-a716-446655440000";
        assert_eq!(canonical_uuid(c).as_deref(), Some(c));
        assert_eq!(
            canonical_uuid("550E8400-E29B-41D4-A716-446655440000").as_deref(),
            Some(c)
        );
        assert_eq!(
            canonical_uuid("550e8400e29b41d4a716446655440000").as_deref(),
            Some(c)
        );
        assert_eq!(
            canonical_uuid("{550e8400-e29b-41d4-a716-446655440000}").as_deref(),
            Some(c)
        );
        assert_eq!(
            canonical_uuid("URN:uuid:550e8400-e29b-41d4-a716-446655440000").as_deref(),
            Some(c)
        );
        assert_eq!(canonical_uuid(""), None);
        assert_eq!(canonical_uuid("550e8400-e29b-41d4-a716-44665544000g"), None);
    }
}

//! Setting a case up on a target: fresh identities, funding, the case's connections and their
//! handshakes, one read-only observer per wallet, and a first read of the books, which must
//! be what the shadow holds before the first step.

use super::case::Case;
use super::diff::{self, Trail};
use super::error::CaseError;
use super::observe::OBSERVER_APPLICATION;
use crate::crypto::identity::run_key;
use crate::model::amount::render;
use crate::model::Dec;
use crate::scenario::{Auth, Role};
use std::collections::{BTreeMap, HashMap};

/// The identity and connection name of a wallet's observer (never a vector identity name:
/// those have no `/`).
fn observer_name(wallet: &str) -> String {
    format!("{wallet}/observer")
}

impl Case<'_> {
    /// Sets the case up; the books both sides agree on are the trail's start.
    pub(super) async fn set_up(&mut self) -> Result<Trail, CaseError> {
        let funded = self.fund().await?;
        let jwts = self.connect().await?;
        self.live.settle().await?;
        self.add_observers(&jwts).await?;
        let model = self.shadow.books();
        let live = self.observers.read(&model.session_ids()).await?;
        let differences = diff::books(&model, &live);
        if !differences.is_empty() {
            let found: Vec<String> = differences
                .iter()
                .map(|f| {
                    format!(
                        "{} (expected {:?}, read {:?})",
                        f.message, f.expected, f.received
                    )
                })
                .collect();
            return Err(CaseError::Setup(format!(
                "after funding, the books differ from the model's (a broker that kept the \
                 wallets of an earlier run with the same --seed? reset it or use another \
                 --seed): {}",
                found.join("; ")
            )));
        }
        self.live.clear_wire();
        Ok(Trail {
            funded,
            model,
            live,
        })
    }

    /// Credits the setup balances, first, so that no case connection sees the funding's
    /// notifications; the cumulative funding per asset.
    async fn fund(&mut self) -> Result<BTreeMap<String, Dec>, CaseError> {
        let mut funded: BTreeMap<String, Dec> = BTreeMap::new();
        for b in &self.vector.setup.balances {
            let address = self.shadow.address(&b.wallet)?.to_string();
            self.target
                .fund(&address, &b.asset, &render(&b.amount))
                .await
                .map_err(CaseError::Setup)?;
            self.shadow.fund(&b.wallet, &b.asset, &b.amount)?;
            *funded.entry(b.asset.clone()).or_default() += &b.amount;
        }
        Ok(funded)
    }

    /// Opens the case's connections and runs their handshakes; each wallet's JWT.
    async fn connect(&mut self) -> Result<HashMap<String, String>, CaseError> {
        let mut jwts = HashMap::new();
        for c in &self.vector.setup.connections {
            self.shadow.set_now(self.target.now_ms());
            self.live
                .open(&c.name, &self.target.url, &self.target.limits)
                .await?;
            let Some(planned) = self.shadow.connect(&c.name, c.auth.as_ref())? else {
                continue;
            };
            let reply = self.live.handshake(&planned.outgoing).await?;
            let verified = reply.as_ref().filter(|r| r.method == "auth_verify");
            let Some(reply) = verified else {
                let error = reply
                    .as_ref()
                    .and_then(|r| r.error_message())
                    .unwrap_or("no auth_verify reply");
                return Err(CaseError::Setup(format!(
                    "{} could not authenticate: {error}",
                    c.name
                )));
            };
            if let (Some(auth), Some(jwt)) = (&c.auth, reply.params["jwt_token"].as_str()) {
                jwts.insert(auth.wallet.clone(), jwt.to_string());
            }
        }
        Ok(jwts)
    }

    /// One observer per wallet: by JWT when one of its connections logged in (no challenge
    /// spent, no key touched, AUTH-10), else with a signature and a key of its own.
    async fn add_observers(&mut self, jwts: &HashMap<String, String>) -> Result<(), CaseError> {
        let wallets: Vec<String> = self
            .shadow
            .names_of(Role::Wallet)
            .map(str::to_string)
            .collect();
        for wallet in wallets {
            let observer = observer_name(&wallet);
            let observer_key = run_key(self.seed, &self.vector.id, &observer);
            let wallet_key = self.shadow.key(&wallet)?.clone();
            let jwt = jwts.get(&wallet).map(String::as_str);
            let (url, limits) = (&self.target.url, &self.target.limits);
            self.observers
                .add(url, limits, &wallet, &wallet_key, jwt, &observer_key)
                .await?;
            if jwt.is_some() {
                continue;
            }
            // A signature login registers a key and a user tag on the broker: the shadow must
            // know, or it would expect a tag-less wallet (API-12 `to_account_tag`).
            self.shadow
                .declare(&observer, Role::SessionKey, observer_key);
            self.shadow.set_now(self.target.now_ms());
            let auth = Auth {
                wallet: wallet.clone(),
                session_key: observer.clone(),
                application: OBSERVER_APPLICATION.into(),
                scope: "observer".into(),
                expires_in_s: 24 * 3600,
                allowances: vec![],
            };
            self.shadow.connect(&observer, Some(&auth))?;
        }
        Ok(())
    }
}

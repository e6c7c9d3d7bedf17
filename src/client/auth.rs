//! The authentication handshake (AUTH-4 … AUTH-8): `auth_request` → `auth_challenge` →
//! `auth_verify` with the wallet's EIP-712 Policy signature.

use super::{ClientError, Connection, Exchange};
use crate::crypto::eip712::{Allowance, Policy};
use crate::crypto::SecretKey;
use crate::wire::{encode_req, encode_signed};
use serde_json::json;

/// What a wallet asks for in `auth_request`.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub session_key: String,
    pub application: String,
    pub scope: String,
    /// Unix seconds.
    pub expires_at: u64,
    pub allowances: Vec<Allowance>,
}

/// The outcome of a handshake: the broker's replies, kept for the wire log.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub request: Exchange,
    pub verify: Exchange,
    /// `jwt_token` from a successful verify.
    pub jwt: Option<String>,
    /// The broker's error text, if verify failed.
    pub error: Option<String>,
}

impl Connection {
    /// Runs the handshake for `wallet`; a broker that refuses gives `Ok` with `error` set.
    pub async fn authenticate(
        &mut self,
        wallet: &SecretKey,
        request: &AuthRequest,
        now_ms: u64,
    ) -> Result<Authenticated, ClientError> {
        let address = wallet.address();
        // Key order as the SDK's createAuthRequestMessage writes it.
        let params = json!({
            "address": address,
            "session_key": request.session_key,
            "application": request.application,
            "allowances": request.allowances.iter()
                .map(|a| json!({"asset": a.asset, "amount": a.amount})).collect::<Vec<_>>(),
            "expires_at": request.expires_at,
            "scope": request.scope,
        });
        let id = self.next_id();
        let first = self
            .exchange(&encode_signed(
                &encode_req(id, "auth_request", &params, now_ms),
                &[],
            ))
            .await?;
        let challenge = match (
            first.reply.frame.method.as_str(),
            first.reply.frame.params.get("challenge_message"),
        ) {
            ("auth_challenge", Some(serde_json::Value::String(c))) => c.clone(),
            _ => {
                let error = first
                    .reply
                    .frame
                    .error_message()
                    .unwrap_or("auth_request was not answered with auth_challenge")
                    .to_string();
                return Ok(Authenticated {
                    verify: first.clone(),
                    request: first,
                    jwt: None,
                    error: Some(error),
                });
            }
        };
        let policy = Policy {
            application: request.application.clone(),
            challenge: challenge.clone(),
            scope: request.scope.clone(),
            wallet: address,
            session_key: request.session_key.clone(),
            expires_at: request.expires_at,
            allowances: request.allowances.clone(),
        };
        let signature = policy
            .sign(wallet)
            .map_err(|e| ClientError::Transport(format!("cannot sign the Policy: {e}")))?;
        let id = self.next_id();
        let verify_req = encode_req(
            id,
            "auth_verify",
            &json!({ "challenge": challenge }),
            now_ms,
        );
        let verify = self
            .exchange(&encode_signed(&verify_req, &[signature]))
            .await?;
        let frame = &verify.reply.frame;
        let (jwt, error) = if frame.method == "auth_verify" {
            let jwt = frame
                .params
                .get("jwt_token")
                .and_then(|v| v.as_str())
                .map(str::to_string);
            (jwt, None)
        } else {
            (
                None,
                Some(
                    frame
                        .error_message()
                        .unwrap_or("unexpected reply")
                        .to_string(),
                ),
            )
        };
        Ok(Authenticated {
            request: first,
            verify,
            jwt,
            error,
        })
    }
}

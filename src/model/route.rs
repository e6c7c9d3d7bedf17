//! Which method names Clearnode v0.5.2 routes, and which need an authenticated connection
//! (AUTH-1, WIRE-6). Routing comes before authentication, so anyone can probe it.

/// How a routed method is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// No authentication needed (AUTH-1).
    pub public: bool,
    /// The model decides the full response; otherwise only routing and auth.
    pub modelled: bool,
    /// A `bu` to the caller follows the handler, successful or not (AS-NOTIF-2, NOTIF-4).
    pub balance_middleware: bool,
}

const fn r(public: bool, modelled: bool, balance_middleware: bool) -> Route {
    Route {
        public,
        modelled,
        balance_middleware,
    }
}

/// The route of `method` (exact, case-sensitive), or `None`: `unknown method: {method}`. WIRE-7:
/// routing comes first, then the auth middleware, then the handler. NOTIF-8: `message` (the SDK's
/// app messaging) is not routed by 0.5.2, so it is an unknown method.
pub fn route(method: &str) -> Option<Route> {
    Some(match method {
        "ping" | "get_app_definition" | "get_app_sessions" | "auth_request" | "auth_verify" => {
            r(true, true, false)
        }
        // API-4 `get_channels`, AS-READ-4 with API-7 `get_ledger_entries` and API-8
        // `get_ledger_transactions`: public reads, served from the model's books.
        "get_channels" | "get_ledger_entries" | "get_ledger_transactions" => r(true, true, false),
        // API-2 `get_config`, API-3 `get_assets`: the engine answers them itself.
        "get_config" | "get_assets" => r(true, false, false),
        "get_ledger_balances"
        | "get_session_keys"
        | "revoke_session_key"
        | "get_user_tag"
        | "get_rpc_history" => r(false, true, false), // API-10: private, from the journal

        "transfer" | "create_app_session" | "submit_app_state" | "close_app_session" => {
            r(false, true, true)
        }
        // The channel methods need a chain: routed, not modelled.
        "create_channel" | "resize_channel" | "close_channel" => r(false, false, false),
        // API-13: test mode only; routed but answered `test mode endpoints are disabled` otherwise.
        // Public: the live broker answers it without authentication (QUIRKS-LIVE L-7; AUTH-1
        // listed it apart from both groups).
        "cleanup_session_key_cache" => r(true, false, false),
        _ => return None,
    })
}

/// Is `method` in Clearnode's history group, whose calls `get_rpc_history` lists (API-10)?
pub fn in_history(method: &str) -> bool {
    matches!(
        method,
        "create_channel"
            | "resize_channel"
            | "close_channel"
            | "transfer"
            | "create_app_session"
            | "submit_app_state"
            | "close_app_session"
    )
}

/// `unknown method: {m}` (AS-GEN-4, WIRE-6).
pub fn unknown_method(method: &str) -> String {
    format!("unknown method: {method}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_1_public_and_private_methods() {
        // The public reads: API-2 `get_config`, API-3 `get_assets`, API-4 `get_channels`, API-5,
        // API-6, API-7 `get_ledger_entries`, API-8 `get_ledger_transactions`.
        for m in [
            "ping",
            "get_config",
            "get_assets",
            "get_app_definition",
            "get_app_sessions",
            "get_channels",
            "get_ledger_entries",
            "get_ledger_transactions",
            "auth_request",
            "auth_verify",
        ] {
            assert!(route(m).unwrap().public, "{m}");
        }
        // The private ones: API-11 `get_user_tag`, API-9 `get_ledger_balances`, API-10
        // `get_rpc_history`, the session keys, the channels, API-12 and the app sessions.
        for m in [
            "get_user_tag",
            "get_ledger_balances",
            "get_rpc_history",
            "get_session_keys",
            "revoke_session_key",
            "create_channel",
            "resize_channel",
            "close_channel",
            "transfer",
            "create_app_session",
            "submit_app_state",
            "close_app_session",
        ] {
            assert!(!route(m).unwrap().public, "{m}");
        }
    }

    #[test]
    fn wire_6_unknown_methods_case_sensitive() {
        for m in [
            "PING",
            "pong",
            "auth_challenge",
            "error",
            "bu",
            "message",
            "",
        ] {
            assert!(route(m).is_none(), "{m}");
        }
        assert_eq!(unknown_method("PING"), "unknown method: PING");
    }
}

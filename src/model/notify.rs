//! Notification payloads and recipients (AS-NOTIF-1 to AS-NOTIF-4, NOTIF-1 to NOTIF-9), plus the
//! normaliser that makes arrays Clearnode emits in no defined order comparable.

use super::amount;
use super::ledger::Ledger;
use super::outcome::{Notification, Recipient};
use super::session::AppSession;
use serde_json::{Map, Value};

/// The recipient's unified balances, every asset that ever had an entry (AS-NOTIF-2, AS-READ-3).
pub fn balance_rows(ledger: &Ledger, account: &str, wallet: &str) -> Value {
    let rows: Vec<Value> = ledger
        .rows(account, wallet)
        .map(|(asset, v)| {
            let mut m = Map::with_capacity(2);
            m.insert("asset".into(), Value::String(asset.to_string()));
            m.insert("amount".into(), Value::String(amount::render(v)));
            Value::Object(m)
        })
        .collect();
    Value::Array(rows)
}

/// `{key: value}` without serde_json's `json!` re-serialising the value.
pub fn object1(key: &str, value: Value) -> Value {
    let mut m = Map::with_capacity(1);
    m.insert(key.to_string(), value);
    Value::Object(m)
}

/// `bu` to a wallet string as written (a lower-case one reaches no connection, Q-17).
pub fn bu(ledger: &Ledger, wallet: &str, group: u32) -> Notification {
    Notification {
        to: Recipient::Wallet(wallet.to_string()),
        method: "bu",
        params: object1("balance_updates", balance_rows(ledger, wallet, wallet)),
        group,
    }
}

/// `asu` to every participant string in order, duplicates included (AS-NOTIF-3). Non-zero
/// means negative rows too (Q-8 leaves `"-100"`, seen live). Clearnode walks a Go map once per
/// recipient, so each recipient's `participant_allocations` has its own order (live finding,
/// QUIRKS-LIVE.md L-1): compare it as a multiset, per recipient.
pub fn asu(ledger: &Ledger, session: &AppSession, out: &mut Vec<Notification>) {
    let mut allocations = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for p in &session.participants {
        if seen.contains(&p.as_str()) {
            continue;
        }
        seen.push(p);
        for (asset, v) in ledger.rows(&session.id, p) {
            if !ledger_zero(v) {
                let mut m = Map::with_capacity(3);
                m.insert("participant".into(), Value::String(p.clone()));
                m.insert("asset".into(), Value::String(asset.to_string()));
                m.insert("amount".into(), Value::String(amount::render(v)));
                allocations.push(Value::Object(m));
            }
        }
    }
    let mut payload = Map::with_capacity(2);
    payload.insert("app_session".into(), session.record_json(false));
    payload.insert("participant_allocations".into(), Value::Array(allocations));
    let payload = Value::Object(payload);
    let n = session.participants.len();
    let mut payload = Some(payload);
    for (i, p) in session.participants.iter().enumerate() {
        let params = if i + 1 == n {
            payload.take().expect("moved once")
        } else {
            payload.clone().expect("present")
        };
        out.push(Notification {
            to: Recipient::Wallet(p.clone()),
            method: "asu",
            params,
            group: 0,
        });
    }
}

/// A notification without its payload, for [`crate::model::Detail::Verdict`].
pub fn bare(wallet: &str, method: &'static str, group: u32) -> Notification {
    Notification {
        to: Recipient::Wallet(wallet.to_string()),
        method,
        params: Value::Null,
        group,
    }
}

fn ledger_zero(v: &amount::Dec) -> bool {
    use super::ledger::IsZeroValue;
    v.is_zero_value()
}

/// `tr` with the transfer's transaction list (NOTIF-5).
pub fn tr(wallet: &str, transactions: &Value) -> Notification {
    Notification {
        to: Recipient::Wallet(wallet.to_string()),
        method: "tr",
        params: object1("transactions", transactions.clone()),
        group: 0,
    }
}

/// Sorts the arrays that Clearnode emits in no defined order (`balance_updates`,
/// `ledger_balances`, `participant_allocations`), so a model value and a broker value compare
/// equal when they hold the same rows. Apply to both sides before comparing.
pub fn normalize_unordered(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if matches!(
                    k.as_str(),
                    "balance_updates" | "ledger_balances" | "participant_allocations"
                ) {
                    if let Value::Array(a) = x {
                        a.sort_by_key(|e| e.to_string());
                    }
                }
                normalize_unordered(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(normalize_unordered),
        _ => {}
    }
}

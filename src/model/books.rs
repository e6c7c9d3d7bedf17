//! The broker's journals as the read methods show them: ledger entries (API-7), ledger
//! transactions (API-8) and the RPC history (API-10), plus the list options every list method
//! shares (API-0). Balances live in [`super::ledger`]; these are the rows behind them.
//!
//! Ids come from Postgres sequences, which never roll back: a failed request burns the ids of
//! the rows it wrote before failing, and its rows disappear (the journal removes them).

use super::amount::{self, Dec};
use super::clock;
use super::gojson::{float_text, write_string};
use super::ledger::checksummed;
use super::params::{self, key_is, ParseError};
use serde_json::{json, Map, Value};

/// `ledger` rows (Clearnode's `Entry`, `ledger.go`).
#[derive(Debug, Clone, PartialEq)]
pub struct EntryRow {
    pub id: u64,
    /// `NewAccountID`: EIP-55 for an address, anything else as written (ADDR-2).
    pub account_id: String,
    pub asset: String,
    /// `common.HexToAddress(wallet).Hex()`, whatever the wallet string was.
    pub participant: String,
    pub credit: Dec,
    pub debit: Dec,
    pub created_ms: u64,
}

/// `ledger_transactions.tx_type` (`ledger_transaction.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxType {
    Transfer,
    Deposit,
    Withdrawal,
    AppDeposit,
    AppWithdrawal,
    EscrowLock,
    EscrowUnlock,
}

impl TxType {
    pub const ALL: [TxType; 7] = [
        TxType::Transfer,
        TxType::Deposit,
        TxType::Withdrawal,
        TxType::AppDeposit,
        TxType::AppWithdrawal,
        TxType::EscrowLock,
        TxType::EscrowUnlock,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TxType::Transfer => "transfer",
            TxType::Deposit => "deposit",
            TxType::Withdrawal => "withdrawal",
            TxType::AppDeposit => "app_deposit",
            TxType::AppWithdrawal => "app_withdrawal",
            TxType::EscrowLock => "escrow_lock",
            TxType::EscrowUnlock => "escrow_unlock",
        }
    }

    /// `parseLedgerTransactionType`: exact, case-sensitive names (API-8).
    pub fn parse(s: &str) -> Option<TxType> {
        TxType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// `ledger_transactions` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct TxRow {
    pub id: u64,
    pub tx_type: TxType,
    pub from_account: String,
    pub to_account: String,
    pub asset: String,
    /// `amount.Abs()`.
    pub amount: Dec,
    pub created_ms: u64,
}

/// `rpc_store` rows (`rpc_store.go`): one per call of the history group (API-10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcRow {
    pub id: u64,
    /// The connection's wallet.
    pub sender: String,
    pub req_id: u64,
    pub method: String,
    /// `json.Marshal` of the params decoded as `any`: keys sorted, numbers as float64.
    pub params: String,
    /// The request's `ts`.
    pub timestamp: u64,
    /// The request's signatures as hex, v rewritten to 0/1 by recovery (SIG-8); shown again as
    /// `res_sig`.
    pub req_sig: Vec<String>,
    /// The `res` array of the reply, as sent.
    pub response: String,
}

/// The three journals and their id sequences.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Books {
    pub(crate) entries: Vec<EntryRow>,
    pub(crate) txs: Vec<TxRow>,
    pub(crate) rpc: Vec<RpcRow>,
    pub(crate) entry_seq: u64,
    rpc_seq: u64,
}

impl Books {
    /// Appends a `ledger` row for one write (`WalletLedger.Record`): a credit or a debit of
    /// `stored`, which is never zero.
    pub(crate) fn entry(
        &mut self,
        account: &str,
        wallet: &str,
        asset: &str,
        stored: &Dec,
        now_ms: u64,
    ) -> u64 {
        self.entry_seq += 1;
        let zero = Dec::default();
        let (credit, debit) = if stored.sign() == bigdecimal::num_bigint::Sign::Minus {
            (zero, -stored)
        } else {
            (stored.clone(), zero)
        };
        self.entries.push(EntryRow {
            id: self.entry_seq,
            account_id: checksummed(account),
            asset: asset.to_string(),
            participant: go_hex_to_address(wallet),
            credit,
            debit,
            created_ms: now_ms,
        });
        self.entry_seq
    }

    /// L-18: `req_id` and `timestamp` are `BIGINT` columns, so a request whose id or ts is past
    /// i64::MAX fails the insert: it is answered but never listed (its serial id is spent).
    pub(crate) fn record_rpc(&mut self, row: RpcRow) {
        self.rpc_seq += 1;
        if row.req_id > i64::MAX as u64 || row.timestamp > i64::MAX as u64 {
            return;
        }
        self.rpc.push(RpcRow {
            id: self.rpc_seq,
            ..row
        });
    }
}

/// go-ethereum's `common.HexToAddress(s).Hex()`: optional `0x`/`0X`, a `0` prepended to an odd
/// length, hex decoded up to the first invalid pair (Go's `hex.DecodeString` keeps what it
/// decoded), the last 20 bytes kept, left-padded with zeros, EIP-55.
pub fn go_hex_to_address(s: &str) -> String {
    let b = s.as_bytes();
    let digits = if b.len() >= 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') {
        &b[2..]
    } else {
        b
    };
    let mut even = Vec::with_capacity(digits.len() + 1);
    if digits.len() % 2 == 1 {
        even.push(b'0');
    }
    even.extend_from_slice(digits);
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut bytes = Vec::with_capacity(even.len() / 2);
    for pair in even.chunks(2) {
        match (nibble(pair[0]), nibble(pair[1])) {
            (Some(h), Some(l)) => bytes.push(h << 4 | l),
            _ => break,
        }
    }
    let mut address = [0u8; 20];
    let tail = &bytes[bytes.len().saturating_sub(20)..];
    address[20 - tail.len()..].copy_from_slice(tail);
    alloy_primitives::Address::from(address).to_checksum(None)
}

/// The zero address as `Hex()` writes it: `GetEntries` drops the wallet filter for it (API-7).
pub const ZERO_ADDRESS: &str = "0x0000000000000000000000000000000000000000";

/// `offset`, `limit` and `sort` of the list methods (API-0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    pub offset: u64,
    pub limit: u64,
    /// `None`: not given (or `null`), the method's default order.
    pub sort: Option<String>,
}

impl ListOptions {
    /// Reads one member if it is a list option; `None` when the key is not one.
    pub fn member(&mut self, k: &str, v: &Value) -> Option<Result<(), ParseError>> {
        Some(if key_is(k, "offset") {
            params::uint(&mut self.offset, v, u64::from(u32::MAX))
        } else if key_is(k, "limit") {
            params::uint(&mut self.limit, v, u64::from(u32::MAX))
        } else if key_is(k, "sort") {
            params::opt_string(&mut self.sort, v)
        } else {
            return None;
        })
    }

    /// FUZZ-6: Clearnode puts `sort` into `ORDER BY <col> <SORT>` unchecked, so only what SQL
    /// accepts works there. The model takes it from an allow-list, `ASC` or `DESC` with an
    /// optional `NULLS FIRST|LAST`, or `NULLS FIRST|LAST` alone (ascending, L-11), any case and
    /// spacing; `None` for anything else (Clearnode's
    /// database error, then the method's fallback text; Q-26). `Some(true)`: ascending.
    pub fn ascending(&self) -> Option<bool> {
        sort_ascending(self.sort.as_deref())
    }

    /// `paginate`: `limit` 0 means 10, at most 100 (API-0).
    pub fn page<T>(&self, rows: impl Iterator<Item = T>) -> impl Iterator<Item = T> {
        let limit = match self.limit {
            0 => 10,
            l => l.min(100),
        } as usize;
        rows.skip(self.offset as usize).take(limit)
    }
}

/// See [`ListOptions::ascending`].
pub fn sort_ascending(sort: Option<&str>) -> Option<bool> {
    // Not given: the methods' default, newest first.
    let Some(sort) = sort else {
        return Some(false);
    };
    let upper = sort.to_uppercase();
    let words: Vec<&str> = upper.split_whitespace().collect();
    match words.as_slice() {
        ["DESC"] | ["DESC", "NULLS", "FIRST" | "LAST"] => Some(false),
        ["ASC"] | ["ASC", "NULLS", "FIRST" | "LAST"] => Some(true),
        // L-14: a given `sort` of only spaces leaves `ORDER BY col `: SQL's default, ASC.
        [] => Some(true),
        // L-11: `ORDER BY col NULLS FIRST` is valid SQL: ascending, SQL's default.
        ["NULLS", "FIRST" | "LAST"] => Some(true),
        _ => None,
    }
}

/// Sorts `rows` by `key` (newest first unless `ascending`) and pages them.
pub fn ordered<'a, T, K: Ord>(
    rows: Vec<&'a T>,
    key: impl Fn(&T) -> K,
    ascending: bool,
    options: &ListOptions,
) -> Vec<&'a T> {
    let mut rows = rows;
    rows.sort_by_key(|r| key(r));
    if !ascending {
        rows.reverse();
    }
    options.page(rows.into_iter()).collect()
}

impl EntryRow {
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "account_id": self.account_id,
            "account_type": 0,
            "asset": self.asset,
            "participant": self.participant,
            "credit": amount::render(&self.credit),
            "debit": amount::render(&self.debit),
            "created_at": clock::rfc3339_nano(self.created_ms),
        })
    }
}

impl TxRow {
    /// The response row; tags are looked up when read (`LEFT JOIN user_tags`), so a tag
    /// created later shows on older rows too.
    pub fn json(&self, tag_of: impl Fn(&str) -> Option<String>) -> Value {
        let mut row = Map::new();
        row.insert("id".into(), self.id.into());
        row.insert("tx_type".into(), self.tx_type.as_str().into());
        row.insert("from_account".into(), self.from_account.clone().into());
        if let Some(tag) = tag_of(&self.from_account) {
            row.insert("from_account_tag".into(), tag.into());
        }
        row.insert("to_account".into(), self.to_account.clone().into());
        if let Some(tag) = tag_of(&self.to_account) {
            row.insert("to_account_tag".into(), tag.into());
        }
        row.insert("asset".into(), self.asset.clone().into());
        // L-16: the column is DECIMAL(64,18): a read gives the amount as stored, rounded
        // (Q-16), while the transfer's reply showed it as sent.
        let stored = amount::round_for_storage(&self.amount);
        row.insert("amount".into(), amount::render(&stored).into());
        row.insert(
            "created_at".into(),
            clock::rfc3339_nano(self.created_ms).into(),
        );
        Value::Object(row)
    }
}

impl RpcRow {
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "sender": self.sender,
            "req_id": self.req_id,
            "method": self.method,
            "params": self.params,
            "timestamp": self.timestamp,
            "req_sig": self.req_sig,
            "response": self.response,
            "res_sig": self.req_sig,
        })
    }
}

/// Go's `json.Marshal` of a value decoded into `any`: objects become maps (keys sorted), every
/// number a float64 (WIRE-13), strings HTML-escaped (API-10's `params`).
pub fn go_any_json(value: &Value) -> String {
    let mut out = String::new();
    write_any(value, &mut out);
    out
}

fn write_any(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&float_text(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_any(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            // Go's decoder keeps the last of duplicate keys; serde_json did the same.
            let mut keys: Vec<&String> = members.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_any(&members[key], out);
            }
            out.push('}');
        }
    }
}

/// A signature as `get_rpc_history` shows it: hex of the bytes, v rewritten from 27/28 to 0/1
/// when its handler `recovered` it and it is 65 bytes long (what recovery does in place, SIG-8;
/// a signature the handler never read keeps its v, L-12).
pub fn history_signature(bytes: &[u8], recovered: bool) -> String {
    let mut b = bytes.to_vec();
    if recovered && b.len() == 65 && b[64] >= 27 {
        b[64] -= 27;
    }
    format!("0x{}", hex::encode(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_7_go_hex_to_address() {
        let a = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
        assert_eq!(go_hex_to_address(&a.to_lowercase()), a);
        assert_eq!(go_hex_to_address(&a[2..].to_uppercase()), a);
        assert_eq!(go_hex_to_address(""), ZERO_ADDRESS);
        // Not hex at all: nothing decoded, the zero address (the filter is dropped).
        assert_eq!(go_hex_to_address("xyz"), ZERO_ADDRESS);
        // Odd length: a leading 0; decoding stops at the first bad pair.
        assert_eq!(
            go_hex_to_address("abc"),
            "0x0000000000000000000000000000000000000aBc"
        );
        assert_eq!(
            go_hex_to_address("0x12zz34"),
            "0x0000000000000000000000000000000000000012"
        );
        // Longer than 20 bytes: the last 20.
        assert_eq!(go_hex_to_address(&format!("0xff{}", &a[2..])), a);
    }

    #[test]
    fn l_16_a_transaction_reads_back_as_stored() {
        let row = TxRow {
            id: 1,
            tx_type: TxType::Transfer,
            from_account: "a".into(),
            to_account: "b".into(),
            asset: "usdc".into(),
            amount: amount::dec("68.7500000000000000001"),
            created_ms: 0,
        };
        assert_eq!(row.json(|_| None)["amount"], "68.75");
    }

    #[test]
    fn api_0_sort_allow_list_and_paging() {
        assert_eq!(sort_ascending(None), Some(false));
        for (sort, want) in [
            // L-14: given but empty, `ORDER BY col` ascends.
            ("", Some(true)),
            ("  ", Some(true)),
            ("desc", Some(false)),
            ("ASC", Some(true)),
            ("  asc   nulls   LAST ", Some(true)),
            ("desc nulls first", Some(false)),
            ("asc, id", None),
            ("asc; drop table ledger", None),
            // L-11: live Clearnode (PostgreSQL) accepts a bare NULLS FIRST/LAST, ascending.
            ("nulls last", Some(true)),
            (" NULLS first", Some(true)),
            ("nulls", None),
            ("1", None),
        ] {
            assert_eq!(sort_ascending(Some(sort)), want, "{sort:?}");
        }
        let page = |offset, limit| {
            let o = ListOptions {
                offset,
                limit,
                sort: None,
            };
            o.page(0..500).collect::<Vec<_>>()
        };
        assert_eq!(page(0, 0), (0..10).collect::<Vec<_>>());
        assert_eq!(page(5, 3), vec![5, 6, 7]);
        assert_eq!(page(0, 1000).len(), 100);
        assert_eq!(page(499, 10), vec![499]);
    }

    #[test]
    fn api_10_params_re_encoded_as_go_any() {
        let v: Value =
            serde_json::from_str(r#"{"b":1,"a":[1.5,"<x>",{"z":null,"y":true}],"c":1e21}"#)
                .unwrap();
        assert_eq!(
            go_any_json(&v),
            r#"{"a":[1.5,"\u003cx\u003e",{"y":true,"z":null}],"b":1,"c":1e+21}"#
        );
        let mut sig = vec![7u8; 64];
        sig.push(28);
        assert!(history_signature(&sig, true).ends_with("01"));
        assert!(history_signature(&sig, false).ends_with("1c"));
        assert_eq!(history_signature(&[0x1b], true), "0x1b");
    }
}

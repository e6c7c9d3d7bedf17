//! The read methods served from the journals: `get_ledger_entries` (API-7, AS-READ-4),
//! `get_ledger_transactions` (API-8, AS-READ-4), `get_channels` (API-4), and the list options
//! they share (API-0, FUZZ-6). Expected rows are written from the digest and Clearnode's source
//! (`ledger.go`, `ledger_transaction.go`, `rpc_router_public.go`), not read back from the model.

use super::*;
use crate::model::books::go_hex_to_address;

const P4: &str = "NitroRPC/0.4";
/// A connection nobody authenticated.
const ANON: ConnId = 99;

fn transfer(to: &str, amounts: &[&str]) -> Value {
    let rows: Vec<Value> = amounts
        .iter()
        .map(|a| json!({"asset": "usdc", "amount": a}))
        .collect();
    json!({"destination": to, "allocations": rows})
}

/// A and B funded with 100 (ledger rows 1, 2); A puts 10 into a session (rows 3, 4,
/// app_deposit 1); A sends B 5 (rows 5, 6, transfer 2); a two-row transfer fails on its second
/// row after writing the first (rows 7, 8 and transaction 3 burned, nothing kept); A sends B 1
/// (rows 9, 10, transfer 4).
fn books() -> (H, String) {
    let mut h = H::funded(Profile::Clearnode052, "100");
    let sid = h.create(
        def("app", P4, &[A, B], &[50, 50], 100, 1),
        allocs(&[(A, "10"), (B, "0")]),
        &[A],
    );
    ok(&h.call("transfer", transfer(B, &["5"]), &[A]));
    assert_eq!(
        err(&h.call("transfer", transfer(B, &["1", "1000"]), &[A])),
        format!("insufficient funds: {A} for asset usdc")
    );
    ok(&h.call("transfer", transfer(B, &["1"]), &[A]));
    (h, sid)
}

fn ids(v: &Value, list: &str) -> Vec<u64> {
    v[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {v}"))
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect()
}

fn entries(h: &mut H, conn: ConnId, params: Value) -> Value {
    ok(&h.call_on(conn, "get_ledger_entries", params, &[])).clone()
}

#[test]
fn api_7_entries_rows_as_clearnode_writes_them() {
    let (mut h, sid) = books();
    let all = entries(&mut h, ANON, json!({"limit": 100}));
    assert_eq!(ids(&all, "ledger_entries"), vec![10, 9, 6, 5, 4, 3, 2, 1]);
    // One debit: account and participant EIP-55, account_type 0 (never set in v0.5.2),
    // credit and debit as decimal strings, created_at RFC 3339 of the step (T0 + 1 s).
    assert_eq!(
        all["ledger_entries"][5],
        json!({"id": 3, "account_id": A, "account_type": 0, "asset": "usdc",
               "participant": A, "credit": "0", "debit": "10",
               "created_at": "2023-11-14T22:13:21Z"})
    );
    // The session's side: the session id as account, the depositor as participant.
    assert_eq!(all["ledger_entries"][4]["account_id"], json!(sid));
    assert_eq!(all["ledger_entries"][4]["participant"], json!(A));
    assert_eq!(all["ledger_entries"][4]["credit"], json!("10"));
}

#[test]
fn api_7_wallet_filter_defaults_to_the_caller_else_nobody() {
    let (mut h, sid) = books();
    // Authenticated as A: A's rows only (its session share included).
    let mine = entries(&mut h, CONN_A, json!({}));
    assert_eq!(ids(&mine, "ledger_entries"), vec![9, 5, 4, 3, 1]);
    // `wallet` wins over the caller, in any spelling (HexToAddress).
    let b = entries(&mut h, CONN_A, json!({"wallet": B.to_lowercase()}));
    assert_eq!(ids(&b, "ledger_entries"), vec![10, 6, 2]);
    // No caller, no wallet: every wallet; default limit 10, newest first.
    let anon = entries(&mut h, ANON, json!({"account_id": sid}));
    assert_eq!(ids(&anon, "ledger_entries"), vec![4]);
    // A wallet string that decodes to the zero address drops the filter too.
    let zero = entries(
        &mut h,
        CONN_A,
        json!({"wallet": "not hex", "asset": "usdc"}),
    );
    assert_eq!(ids(&zero, "ledger_entries").len(), 8);
    // account_id goes through NewAccountID: a lower-case address finds the checksummed rows.
    let acct = entries(&mut h, ANON, json!({"account_id": A.to_lowercase()}));
    assert_eq!(ids(&acct, "ledger_entries"), vec![9, 5, 3, 1]);
    let none = entries(&mut h, ANON, json!({"asset": "weth"}));
    assert_eq!(none, json!({"ledger_entries": []}));
}

#[test]
fn api_0_list_options_on_entries() {
    let (mut h, _) = books();
    let asc = entries(
        &mut h,
        ANON,
        json!({"sort": "asc", "limit": 3, "offset": 1}),
    );
    assert_eq!(ids(&asc, "ledger_entries"), vec![2, 3, 4]);
    let capped = entries(&mut h, ANON, json!({"limit": 1000}));
    assert_eq!(ids(&capped, "ledger_entries").len(), 8);
    for bad in ["asc, id", "desc; drop table ledger", "sideways"] {
        assert_eq!(
            err(&h.call_on(ANON, "get_ledger_entries", json!({"sort": bad}), &[])),
            "failed to get ledger entries",
            "{bad}"
        );
    }
    // Go's typed decode: a number where a string belongs, a negative offset.
    for bad in [
        json!({"wallet": 1}),
        json!({"offset": -1}),
        json!({"limit": "2"}),
    ] {
        assert_eq!(
            err(&h.call_on(ANON, "get_ledger_entries", bad.clone(), &[])),
            "failed to parse parameters",
            "{bad}"
        );
    }
}

#[test]
fn api_8_transactions_types_accounts_and_tags() {
    let (mut h, sid) = books();
    let all = ok(&h.call_on(ANON, "get_ledger_transactions", json!({}), &[])).clone();
    // Transaction 3 was burned by the failed transfer.
    assert_eq!(ids(&all, "ledger_transactions"), vec![4, 2, 1]);
    let tag_a = h.m.user_tag(A).unwrap().to_string();
    let tag_b = h.m.user_tag(B).unwrap().to_string();
    assert_eq!(
        all["ledger_transactions"][2],
        json!({"id": 1, "tx_type": "app_deposit", "from_account": A, "from_account_tag": tag_a,
               "to_account": sid, "asset": "usdc", "amount": "10",
               "created_at": "2023-11-14T22:13:21Z"})
    );
    assert_eq!(
        all["ledger_transactions"][1],
        json!({"id": 2, "tx_type": "transfer", "from_account": A, "from_account_tag": tag_a,
               "to_account": B, "to_account_tag": tag_b, "asset": "usdc", "amount": "5",
               "created_at": "2023-11-14T22:13:22Z"})
    );
    let deposits = ok(&h.call_on(
        ANON,
        "get_ledger_transactions",
        json!({"tx_type": "app_deposit"}),
        &[],
    ))
    .clone();
    assert_eq!(ids(&deposits, "ledger_transactions"), vec![1]);
    let of_b = ok(&h.call_on(
        ANON,
        "get_ledger_transactions",
        json!({"account_id": B.to_lowercase(), "sort": "ASC"}),
        &[],
    ))
    .clone();
    assert_eq!(ids(&of_b, "ledger_transactions"), vec![2, 4]);
    for (params, text) in [
        (
            json!({"tx_type": "Transfer"}),
            "invalid ledger transaction type",
        ),
        // The type is checked before the query runs.
        (
            json!({"tx_type": "x", "sort": "bad"}),
            "invalid ledger transaction type",
        ),
        (json!({"sort": "bad"}), "failed to get transactions"),
        (json!({"asset": []}), "failed to parse parameters"),
    ] {
        assert_eq!(
            err(&h.call_on(ANON, "get_ledger_transactions", params.clone(), &[])),
            text,
            "{params}"
        );
    }
}

#[test]
fn as_read_4_withdrawals_and_closes_are_app_withdrawals() {
    let mut h = H::funded(Profile::Clearnode052, "100");
    let sid = h.create(
        def("app", P4, &[A, B], &[50, 50], 100, 1),
        allocs(&[(A, "10"), (B, "0")]),
        &[A],
    );
    ok(&h.call(
        "close_app_session",
        close(&sid, &[(A, "4"), (B, "6")]),
        &[A, B],
    ));
    let txs = ok(&h.call_on(
        ANON,
        "get_ledger_transactions",
        json!({"tx_type": "app_withdrawal", "sort": "asc"}),
        &[],
    ))
    .clone();
    let rows: Vec<(Value, Value, Value)> = txs["ledger_transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["from_account"].clone(),
                t["to_account"].clone(),
                t["amount"].clone(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (json!(sid), json!(A), json!("4")),
            (json!(sid), json!(B), json!("6"))
        ]
    );
}

#[test]
fn api_4_channels_filtered_and_ordered() {
    let mut h = H::new(Profile::Clearnode052);
    let chan = |id: &str, status, amount: &str| Channel {
        channel_id: id.to_string(),
        status,
        raw_amount: dec(amount),
    };
    h.m.add_channel(A, chan("0xa1", ChannelStatus::Open, "0"));
    h.m.add_channel(B, chan("0xb1", ChannelStatus::Challenged, "5"));
    h.m.add_channel(A, chan("0xa2", ChannelStatus::Resizing, "2"));
    let list = |h: &mut H, params: Value| -> Vec<String> {
        ok(&h.call_on(ANON, "get_channels", params, &[]))["channels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["channel_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(list(&mut h, json!({})), vec!["0xa2", "0xb1", "0xa1"]);
    assert_eq!(
        list(&mut h, json!({"participant": A})),
        vec!["0xa2", "0xa1"]
    );
    // `participant` is matched exactly against the `wallet` column.
    assert!(list(&mut h, json!({"participant": A.to_lowercase()})).is_empty());
    assert_eq!(list(&mut h, json!({"status": "challenged"})), vec!["0xb1"]);
    assert_eq!(
        list(&mut h, json!({"sort": "asc", "limit": 2})),
        vec!["0xa1", "0xb1"]
    );
    let row = ok(&h.call_on(ANON, "get_channels", json!({"status": "challenged"}), &[]))
        ["channels"][0]
        .clone();
    assert_eq!(row["wallet"], json!(B));
    assert_eq!(row["participant"], json!(B));
    assert_eq!(row["amount"], json!("5"));
    // The SDK's parser wants addresses there; the hook knows none (zero address, as the
    // Clearnode adapter's channel rows have for the adjudicator).
    assert_eq!(
        row["token"],
        json!("0x0000000000000000000000000000000000000000")
    );
    assert_eq!(
        row["adjudicator"],
        json!("0x0000000000000000000000000000000000000000")
    );
    // Dated when the hook added it: before any step here, the model's clock is 0.
    assert_eq!(row["created_at"], json!("1970-01-01T00:00:00Z"));
    assert_eq!(row["updated_at"], row["created_at"]);
    assert_eq!(
        err(&h.call_on(ANON, "get_channels", json!({"sort": "asc nulls"}), &[])),
        "failed to get channels"
    );
}

#[test]
fn api_10_history_is_for_the_history_group_after_auth() {
    let mut h = H::funded(Profile::Clearnode052, "100");
    // The broker records the row; the model says whose history it goes into.
    h.call_on(CONN_A, "transfer", transfer(B, &["1000"]), &[A]);
    assert_eq!(h.m.take_history_sender().as_deref(), Some(A));
    assert_eq!(h.m.take_history_sender(), None);
    // Not authenticated: the middleware stops it before the history group.
    h.call_on(ANON, "transfer", transfer(B, &["1"]), &[A]);
    assert_eq!(h.m.take_history_sender(), None);
    // Private, but not in the history group.
    h.call_on(CONN_A, "get_ledger_balances", json!({}), &[]);
    assert_eq!(h.m.take_history_sender(), None);
    let empty = ok(&h.call_on(CONN_B, "get_rpc_history", json!({}), &[])).clone();
    assert_eq!(empty, json!({"rpc_entries": []}));
    assert_eq!(
        err(&h.call_on(ANON, "get_rpc_history", json!({}), &[])),
        "authentication required"
    );
    assert_eq!(go_hex_to_address(A), A);
}

/// A session as `create_app_session` stores it, for the participant index tests.
fn stored_session(id: &str, participants: &[&str], seq: u64) -> crate::model::session::AppSession {
    crate::model::session::AppSession {
        id: id.to_string(),
        protocol: P4.to_string(),
        application: "app".to_string(),
        participants: participants.iter().map(|p| p.to_string()).collect(),
        weights: vec![50; participants.len()],
        quorum: 100,
        challenge: 0,
        nonce: seq,
        session_data: String::new(),
        version: 1,
        status: crate::model::session::Status::Open,
        created_ms: seq,
        updated_ms: seq,
        seq,
    }
}

// API-6: `get_app_sessions` by participant lists exactly the sessions whose definition names
// that string (once, even when it is named twice, Q-7), and a create rolled back leaves no trace
// in the participant index the read uses.
#[test]
fn api_6_sessions_by_participant_follow_inserts_and_rollbacks() {
    let mut m = Model::new(Profile::Clearnode052, Config::default());
    m.insert_session(stored_session("0x01", &["A", "B"], 1));
    m.insert_session(stored_session("0x02", &["B", "B", "C"], 2));
    m.journal.clear();
    m.insert_session(stored_session("0x03", &["A", "C"], 3));
    m.rollback();
    let listed = |m: &Model, who: &str| -> Vec<String> {
        let mut ids: Vec<String> = m
            .sessions_of
            .get(who)
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(listed(&m, "A"), vec!["0x01"]);
    assert_eq!(listed(&m, "B"), vec!["0x01", "0x02"]);
    assert_eq!(listed(&m, "C"), vec!["0x02"]);
    assert!(!m.sessions.contains_key("0x03"));
    // The index agrees with a scan of every session, for every name met.
    for who in ["A", "B", "C", "D"] {
        let mut scanned: Vec<String> = m
            .sessions
            .values()
            .filter(|s| s.participants.iter().any(|p| p == who))
            .map(|s| s.id.clone())
            .collect();
        scanned.sort();
        assert_eq!(listed(&m, who), scanned, "{who}");
    }
}

#!/usr/bin/env bash
# Credits a wallet's unified balance without a chain: inserts one `ledger` row.
# Usage: fund.sh WALLET ASSET AMOUNT
#        fund.sh --batch < LINES
#   WALLET  0x address in any case; stored EIP-55 checksummed (clearnode ignores other spellings)
#   ASSET   asset symbol, used verbatim and case-sensitively (e.g. usdc)
#   AMOUNT  positive decimal in human units (e.g. 1000 or 12.5)
# Prints the wallet's resulting balance in ASSET. Balances are not cached by clearnode: the
# row is visible to the next request at once.
# --batch reads one `WALLET ASSET AMOUNT` line per credit from stdin and inserts them all in
# one statement (one database round trip; `certify --fund-batch-cmd`); prints the row count.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

check_row() {
    [[ "$1" =~ ^0x[0-9a-fA-F]{40}$ ]] || die "WALLET must be 0x followed by 40 hex digits: $1"
    [[ "$2" =~ ^[A-Za-z0-9._-]+$ ]] || die "ASSET must match [A-Za-z0-9._-]+: $2"
    [[ "$3" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "AMOUNT must be a positive decimal: $3"
}

eip55_ready() {
    EIP55="$(eip55_bin)"
    if [ ! -x "$EIP55" ]; then
        log "building nitrocert-eip55"
        ( cd "$ADAPTER_DIR/build" && GOFLAGS=-mod=readonly go build -o "$EIP55" ./eip55 ) \
            || die "cannot build the checksum helper; run install.sh"
    fi
}

# The rows are checked by check_row (hex, [A-Za-z0-9._-], decimal) before they are written
# into the statement, so no quoting can be broken.
fund_batch() {
    local wallets=() assets=() amounts=() w a n extra
    while read -r w a n extra; do
        [ -z "$w" ] && continue
        [ -z "$extra" ] || die "a batch line is WALLET ASSET AMOUNT: $w $a $n $extra"
        check_row "$w" "$a" "$n"
        wallets+=("$w"); assets+=("$a"); amounts+=("$n")
    done
    [ "${#wallets[@]}" -gt 0 ] || { echo 0; return; }
    eip55_ready
    local checksummed=() values="" i
    mapfile -t checksummed < <("$EIP55" "${wallets[@]}")
    [ "${#checksummed[@]}" -eq "${#wallets[@]}" ] || die "the checksum helper failed"
    # One statement shares one now(): each row gets its own microsecond, in line order, since
    # clearnode lists entries by created_at alone (list_options.go applySort) and ties would
    # come back in any order (a wallet funded with two assets, then get_ledger_entries).
    for i in "${!checksummed[@]}"; do
        values+="${values:+,}('${checksummed[$i]}', 0, '${assets[$i]}', '${checksummed[$i]}', ${amounts[$i]}, 0, now() + interval '1 microsecond' * $i)"
    done
    # account_type 0 is a wallet's unified account in clearnode's ledger. Whether postgres runs
    # is asked only when the insert fails: a harness runs this once per batch of cases, and the
    # check (runuser, pg_ctl) cost more than the insert.
    psql_cmd -d "$PG_DB" -tA -c \
        "INSERT INTO ledger (account_id, account_type, asset_symbol, wallet, credit, debit, created_at) VALUES $values" \
        || { pg_running || die "postgres is not running; run $ADAPTER_DIR/start.sh first"; die "the funding insert failed"; }
    echo "${#wallets[@]}"
}

if [ "${1:-}" = --batch ]; then
    [ $# -eq 1 ] || die "usage: fund.sh --batch < LINES"
    fund_batch
    exit 0
fi

[ $# -eq 3 ] || die "usage: fund.sh WALLET ASSET AMOUNT"
wallet="$1"; asset="$2"; amount="$3"
check_row "$wallet" "$asset" "$amount"

eip55_ready
checksummed="$("$EIP55" "$wallet")"

pg_running || die "postgres is not running; run $ADAPTER_DIR/start.sh first"
# account_type 0 is a wallet's unified account in clearnode's ledger.
psql_cmd -d "$PG_DB" -tA \
    -v wallet="$checksummed" -v asset="$asset" -v amount="$amount" <<'SQL'
INSERT INTO ledger (account_id, account_type, asset_symbol, wallet, credit, debit)
VALUES (:'wallet', 0, :'asset', :'wallet', :'amount', 0);
SELECT :'wallet' || ' ' || :'asset' || ' ' ||
       trim_scale(COALESCE(SUM(credit) - SUM(debit), 0))::text
FROM ledger WHERE account_id = :'wallet' AND wallet = :'wallet' AND asset_symbol = :'asset';
SQL

#!/usr/bin/env bash
# Credits a wallet's unified balance without a chain: inserts one `ledger` row.
# Usage: fund.sh WALLET ASSET AMOUNT
#   WALLET  0x address in any case; stored EIP-55 checksummed (clearnode ignores other spellings)
#   ASSET   asset symbol, used verbatim and case-sensitively (e.g. usdc)
#   AMOUNT  positive decimal in human units (e.g. 1000 or 12.5)
# Prints the wallet's resulting balance in ASSET. Balances are not cached by clearnode: the
# row is visible to the next request at once.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ $# -eq 3 ] || die "usage: fund.sh WALLET ASSET AMOUNT"
wallet="$1"; asset="$2"; amount="$3"

[[ "$wallet" =~ ^0x[0-9a-fA-F]{40}$ ]] || die "WALLET must be 0x followed by 40 hex digits: $wallet"
[[ "$asset" =~ ^[A-Za-z0-9._-]+$ ]] || die "ASSET must match [A-Za-z0-9._-]+: $asset"
[[ "$amount" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "AMOUNT must be a positive decimal: $amount"

EIP55="$(eip55_bin)"
if [ ! -x "$EIP55" ]; then
    log "building nitrocert-eip55"
    ( cd "$ADAPTER_DIR/build" && GOFLAGS=-mod=readonly go build -o "$EIP55" ./eip55 ) \
        || die "cannot build the checksum helper; run install.sh"
fi
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

#!/usr/bin/env bash
# Emulates an on-chain channel without a chain: inserts one `channels` row for a wallet, which
# is what clearnode's channel guards read (rules AS-CHAN-1 and AS-CHAN-2 of app-sessions.md).
# Usage: channel.sh WALLET [STATUS] [RAW_AMOUNT]
#   STATUS      open (default), resizing, challenged or closed
#   RAW_AMOUNT  decimal raw token units, default 1 (non-zero: "funds still in a channel")
# Prints the channel id. reset.sh removes the row again.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [ $# -lt 1 ] || [ $# -gt 3 ]; then die "usage: channel.sh WALLET [STATUS] [RAW_AMOUNT]"; fi
wallet="$1"; status="${2:-open}"; raw="${3:-1}"
[[ "$wallet" =~ ^0x[0-9a-fA-F]{40}$ ]] || die "WALLET must be 0x followed by 40 hex digits: $wallet"
case "$status" in open|resizing|challenged|closed) ;; *) die "STATUS must be open, resizing, challenged or closed" ;; esac
[[ "$raw" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "RAW_AMOUNT must be a non-negative decimal: $raw"

EIP55="$(eip55_bin)"
[ -x "$EIP55" ] || die "checksum helper missing; run install.sh"
checksummed="$("$EIP55" "$wallet")"
pg_running || die "postgres is not running; run $ADAPTER_DIR/start.sh first"

channel_id="0x$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
psql_cmd -d "$PG_DB" -tA -v id="$channel_id" -v wallet="$checksummed" -v status="$status" -v raw="$raw" <<'SQL'
INSERT INTO channels (channel_id, chain_id, token, wallet, participant, raw_amount, status,
                      challenge, nonce, adjudicator, state)
VALUES (:'id', 31337, '0xbD24c53072b9693A35642412227043Ffa5fac382', :'wallet', :'wallet', :'raw',
        :'status', 3600, 1, '0x0000000000000000000000000000000000000000',
        '{"intent":1,"version":1,"state_data":"0x","allocations":[]}');
SELECT :'id';
SQL

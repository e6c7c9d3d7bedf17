#!/usr/bin/env bash
# Puts the running broker back to a clean state between certification runs:
#   1. truncates every table clearnode writes (the goose migration table is kept);
#   2. restarts clearnode if it is running, which clears all of its in-memory state
#      (auth sessions, pending challenges, the session-key cache, the transfer replay cache).
#      `cleanup_session_key_cache` (test mode) would clear only the session-key cache.
# Needs the PostgreSQL cluster of start.sh to be running.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

pg_running || die "postgres is not running; run $ADAPTER_DIR/start.sh first"

# Every table the v0.5.2 migrations leave, except goose_db_version (`signers` is created by
# the migrations but unused by v0.5.2's code; truncating it is harmless).
TABLES="app_sessions, channels, contract_events, ledger, ledger_transactions, rpc_store, session_keys, user_tags, blockchain_actions, user_action_logs, signers"
log "truncating: $TABLES"
psql_cmd -d "$PG_DB" -c "TRUNCATE $TABLES RESTART IDENTITY"

if clearnode_pid >/dev/null; then
    log "restarting clearnode to clear its in-memory state"
    "$ADAPTER_DIR/stop.sh" clearnode
    "$ADAPTER_DIR/start.sh" >/dev/null
else
    log "clearnode not running; nothing else to clear"
fi

#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster (127.0.0.1:$NITROCERT_PG_PORT, default 55432) in the state
# dir (default <repo>/.clearnode, override with NITROCERT_CLEARNODE_STATE), creates the database,
# then starts clearnode in the background against it and waits until ws://127.0.0.1:8000/ws
# answers a WebSocket upgrade. Idempotent: whatever already runs is kept.
# Logs: $STATE/postgres.log and $STATE/clearnode.log.
#
# Clearnode v0.5.2 binds :8000 (WebSocket) and :4242 (Prometheus metrics) on ALL interfaces; the
# ports and the address are hard-coded in its main.go. Acceptable on a sandbox with no outside
# network; on a shared host put it in its own network namespace or behind a firewall.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BIN="$(clearnode_bin)"
[ -x "$BIN" ] || die "clearnode not found at $BIN; run $ADAPTER_DIR/install.sh first"
PGBIN="$(pg_bindir)" || die "no PostgreSQL server found; run $ADAPTER_DIR/install.sh first"
t0=$(date +%s%N)

mkdir -p "$STATE_DIR"
STATE_DIR="$(cd "$STATE_DIR" && pwd)"

# --- PostgreSQL --------------------------------------------------------------------------------
PGUSER_OS="$(pg_os_user)"
if [ "$(id -u)" = 0 ]; then
    id "$PGUSER_OS" >/dev/null 2>&1 || die "OS user '$PGUSER_OS' does not exist; run install.sh (or set NITROCERT_PG_OS_USER)"
    mkdir -p "$PG_DATA" "$PG_SOCK"
    chmod 755 "$STATE_DIR"   # the postgres user must traverse it, whatever the umask
    chown "$PGUSER_OS" "$PG_DATA" "$PG_SOCK"
    chmod 700 "$PG_DATA"
    as_pg test -w "$PG_DATA" || die "user '$PGUSER_OS' cannot reach $PG_DATA (a parent directory is not traversable); set NITROCERT_CLEARNODE_STATE to a path it can reach, e.g. /tmp/nitrocert-clearnode"
else
    mkdir -p "$PG_DATA" "$PG_SOCK"; chmod 700 "$PG_DATA"
fi

if [ ! -s "$PG_DATA/PG_VERSION" ]; then
    log "initdb $PG_DATA (superuser '$PG_ROLE')"
    pwfile="$(mktemp)"; printf '%s\n' "$PG_PASSWORD" >"$pwfile"; chmod 644 "$pwfile"
    as_pg "$PGBIN/initdb" -D "$PG_DATA" -U "$PG_ROLE" --pwfile="$pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$STATE_DIR/initdb.log" 2>&1 \
        || { rm -f "$pwfile"; cat "$STATE_DIR/initdb.log" >&2; die "initdb failed"; }
    rm -f "$pwfile"
fi

if pg_running; then
    log "postgres already running ($PG_DATA)"
else
    tcp_open "$PG_PORT" && die "port $PG_PORT is taken by another process; set NITROCERT_PG_PORT"
    log "starting postgres on 127.0.0.1:$PG_PORT"
    touch "$PG_LOG"; [ "$(id -u)" = 0 ] && chown "$PGUSER_OS" "$PG_LOG"
    # Throwaway cluster: durability off for speed.
    as_pg "$PGBIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_SOCK -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || { tail -n 20 "$PG_LOG" >&2; die "postgres did not start"; }
fi

if ! psql_cmd -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1; then
    log "creating database $PG_DB"
    psql_cmd -d postgres -c "CREATE DATABASE \"$PG_DB\""
fi

# --- clearnode ---------------------------------------------------------------------------------
if pid="$(clearnode_pid)"; then
    log "clearnode already running (pid $pid)"
else
    for port in "$CLEARNODE_WS_PORT" "$CLEARNODE_METRICS_PORT"; do
        tcp_open "$port" && die "port $port is taken by another process (clearnode's ports are fixed); stop it first"
    done
    log "starting clearnode ($BIN), log $CLEARNODE_LOG"
    # One start's log, plus the previous one: a campaign restarts Clearnode hundreds of times and
    # an appended log grew to gigabytes.
    [ -f "$CLEARNODE_LOG" ] && mv -f "$CLEARNODE_LOG" "$CLEARNODE_LOG.1"
    : >"$CLEARNODE_LOG"
    (
        cd "$STATE_DIR"
        exec env \
            CLEARNODE_CONFIG_DIR_PATH="$CLEARNODE_CONFIG_DIR" \
            CLEARNODE_DATABASE_URL="postgresql://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB" \
            CLEARNODE_MODE=test \
            BROKER_PRIVATE_KEY="$BROKER_KEY" \
            ${NITROCERT_MSG_EXPIRY_TIME:+MSG_EXPIRY_TIME=$NITROCERT_MSG_EXPIRY_TIME} \
            setsid "$BIN" </dev/null >>"$CLEARNODE_LOG" 2>&1
    ) &
    echo $! >"$CLEARNODE_PID"
fi

deadline=$(( $(date +%s) + CLEARNODE_START_TIMEOUT ))
until ws_ready; do
    if ! clearnode_pid >/dev/null; then
        tail -n 30 "$CLEARNODE_LOG" >&2
        rm -f "$CLEARNODE_PID"
        die "clearnode exited during start-up (log above, full log: $CLEARNODE_LOG)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
        tail -n 30 "$CLEARNODE_LOG" >&2
        # Stop it for good before forgetting its pid: an orphan would hold the fixed ports.
        "$ADAPTER_DIR/stop.sh" clearnode >/dev/null 2>&1 || true
        die "ws://127.0.0.1:$CLEARNODE_WS_PORT/ws did not accept a WebSocket upgrade within ${CLEARNODE_START_TIMEOUT}s (log: $CLEARNODE_LOG)"
    fi
    sleep 0.2
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "clearnode ready at ws://127.0.0.1:$CLEARNODE_WS_PORT/ws (pid $(clearnode_pid), ${ms} ms)"
echo "ws://127.0.0.1:$CLEARNODE_WS_PORT/ws"

#!/usr/bin/env bash
# Stops clearnode (by its recorded pid) and the throwaway PostgreSQL cluster. Idempotent.
# Usage: stop.sh            stop both
#        stop.sh clearnode  stop only clearnode (reset.sh uses this)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

what="${1:-all}"

if pid="$(clearnode_pid)"; then
    log "stopping clearnode (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then
        log "clearnode did not exit after 10 s; SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
    fi
else
    log "clearnode not running"
fi
rm -f "$CLEARNODE_PID"

[ "$what" = clearnode ] && exit 0

if pg_running; then
    log "stopping postgres ($PG_DATA)"
    as_pg "$(pg_bindir)/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null
else
    log "postgres not running"
fi

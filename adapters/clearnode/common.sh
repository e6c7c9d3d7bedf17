# Shared settings for the Clearnode adapter scripts. Sourced, never run.
# shellcheck disable=SC2034  # variables are used by the scripts that source this file
# Every value can be overridden from the environment.

ADAPTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$ADAPTER_DIR/../.." && pwd)"

export PATH="/usr/local/go/bin:$PATH"

CLEARNODE_VERSION="v0.5.2"
CLEARNODE_MODULE="github.com/erc7824/nitrolite/clearnode"

STATE_DIR="${NITROCERT_CLEARNODE_STATE:-$REPO_DIR/.clearnode}"
PG_PORT="${NITROCERT_PG_PORT:-55432}"
PG_DB="${NITROCERT_PG_DB:-clearnode}"
PG_ROLE="${NITROCERT_PG_ROLE:-clearnode}"
PG_PASSWORD="${NITROCERT_PG_PASSWORD:-clearnode}"
PG_DATA="$STATE_DIR/pg"
PG_SOCK="$STATE_DIR/pgsock"
PG_LOG="$STATE_DIR/postgres.log"

CLEARNODE_LOG="$STATE_DIR/clearnode.log"
CLEARNODE_PID="$STATE_DIR/clearnode.pid"
CLEARNODE_CONFIG_DIR="${NITROCERT_CLEARNODE_CONFIG_DIR:-$ADAPTER_DIR/config}"
CLEARNODE_WS_PORT=8000          # fixed in clearnode v0.5.2 (main.go), not configurable
CLEARNODE_METRICS_PORT=4242     # fixed in clearnode v0.5.2 (main.go), not configurable
CLEARNODE_START_TIMEOUT="${NITROCERT_CLEARNODE_START_TIMEOUT:-60}"
# Hardhat/Anvil development key #0 (address 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266). Never use with real funds.
BROKER_KEY="${NITROCERT_BROKER_PRIVATE_KEY:-0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80}"

log() { printf '[clearnode-adapter] %s\n' "$*" >&2; }
die() { printf '[clearnode-adapter] ERROR: %s\n' "$*" >&2; exit 1; }

gobin() {
    if [ -n "${NITROCERT_GOBIN:-}" ]; then echo "$NITROCERT_GOBIN"; return; fi
    command -v go >/dev/null 2>&1 || { echo "$HOME/go/bin"; return; }
    local b; b="$(go env GOBIN)"
    if [ -n "$b" ]; then echo "$b"; else echo "$(go env GOPATH)/bin"; fi
}

# Asked once and exported: the scripts a harness runs once per batch (fund.sh, reset.sh) inherit
# it, instead of starting `go env` twice each (about 5 % of the harness side's CPU in a
# fidelity campaign, counted by perf).
if [ -z "${NITROCERT_GOBIN:-}" ] && command -v go >/dev/null 2>&1; then
    NITROCERT_GOBIN="$(gobin)"
    export NITROCERT_GOBIN
fi

clearnode_bin() { echo "${NITROCERT_CLEARNODE_BIN:-$(gobin)/clearnode}"; }
eip55_bin() { echo "${NITROCERT_EIP55_BIN:-$(gobin)/nitrocert-eip55}"; }

# Directory holding initdb, pg_ctl and postgres (a server, not only a client).
pg_bindir() {
    if [ -n "${NITROCERT_PG_BIN:-}" ]; then echo "$NITROCERT_PG_BIN"; return 0; fi
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
        if [ -x "$d/postgres" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    done
    local p
    p="$(command -v pg_ctl 2>/dev/null || true)"
    if [ -n "$p" ]; then
        p="$(readlink -f "$p")"; d="$(dirname "$p")"
        if [ -x "$d/postgres" ] && [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
    fi
    return 1
}

# The OS user that runs postgres (postgres refuses to run as root).
pg_os_user() {
    if [ "$(id -u)" != 0 ]; then id -un; else echo "${NITROCERT_PG_OS_USER:-postgres}"; fi
}

# Run a command as the postgres OS user.
as_pg() {
    if [ "$(id -u)" != 0 ]; then "$@"; else runuser -u "$(pg_os_user)" -- "$@"; fi
}

psql_cmd() {
    local bindir; bindir="$(pg_bindir)" || die "no PostgreSQL server found; run install.sh"
    local psql="$bindir/psql"; [ -x "$psql" ] || psql="$(command -v psql)"
    PGPASSWORD="$PG_PASSWORD" "$psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_ROLE" "$@"
}

# Found once and exported, as the Go bin folder above.
if [ -z "${NITROCERT_PG_BIN:-}" ]; then
    if NITROCERT_PG_BIN="$(pg_bindir)"; then export NITROCERT_PG_BIN; else unset NITROCERT_PG_BIN; fi
fi

pg_running() {
    local bindir; bindir="$(pg_bindir)" || return 1
    [ -f "$PG_DATA/postmaster.pid" ] && as_pg "$bindir/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

# True while pid $1 runs (a zombie waiting to be reaped counts as gone).
pid_alive() {
    kill -0 "$1" 2>/dev/null || return 1
    local st; st="$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null || true)"
    [ "$st" != Z ] && [ -n "$st" ]
}

clearnode_pid() {
    local pid
    if [ -f "$CLEARNODE_PID" ]; then
        pid="$(cat "$CLEARNODE_PID")"
        # Guard against pid reuse: the command line must mention clearnode. (Right after
        # start.sh launches it the pid is still `env`/`setsid` on the way to exec'ing the binary.)
        if [ -n "$pid" ] && pid_alive "$pid" &&
            tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q clearnode; then
            echo "$pid"
            return 0
        fi
    fi
    # The pid file can be lost while the process lives on (a start-up timeout under heavy load
    # whose SIGTERM came too late, a start.sh killed by its caller's hook timeout): adopt a
    # clearnode that runs in this state folder, so stop.sh still stops it and the fixed ports
    # are not left taken by an orphan of ours.
    pid="$(orphan_pid)" || return 1
    echo "$pid" >"$CLEARNODE_PID"
    echo "$pid"
}

# A live clearnode process whose working folder is $STATE_DIR (start.sh runs it there).
orphan_pid() {
    local dir pid state
    state="$(cd "$STATE_DIR" 2>/dev/null && pwd -P)" || return 1
    for dir in /proc/[0-9]*; do
        pid="${dir#/proc/}"
        [ "$(readlink "$dir/cwd" 2>/dev/null)" = "$state" ] || continue
        tr '\0' ' ' <"$dir/cmdline" 2>/dev/null | grep -q '^[^ ]*clearnode ' || continue
        pid_alive "$pid" && { echo "$pid"; return 0; }
    done
    return 1
}

tcp_open() ( exec 2>/dev/null; exec 3<>"/dev/tcp/127.0.0.1/$1" )

# True when ws://127.0.0.1:8000/ws answers a WebSocket upgrade with 101.
ws_ready() (
    exec 2>/dev/null
    exec 3<>"/dev/tcp/127.0.0.1/$CLEARNODE_WS_PORT" || exit 1
    printf 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n' "$CLEARNODE_WS_PORT" >&3 || exit 1
    IFS= read -r -t 3 line <&3 || exit 1
    case "$line" in "HTTP/1.1 101"*) exit 0 ;; *) exit 1 ;; esac
)

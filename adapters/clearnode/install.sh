#!/usr/bin/env bash
# Installs what the Clearnode adapter needs and is missing:
#   - a PostgreSQL server (Debian's `postgresql` package) when no server binary is found;
#   - gcc/libc6-dev for cgo when missing;
#   - clearnode v0.5.2 built from source with cgo, into $(go env GOPATH)/bin (or $GOBIN);
#   - nitrocert-eip55, a tiny address-checksum helper used by fund.sh.
# Idempotent: a second run only checks. Works as root on a fresh Debian machine and in CI
# (no stdin). Go >= 1.25 must already be installed (/usr/local/go/bin is searched).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

export DEBIAN_FRONTEND=noninteractive
APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "missing $*; no apt-get on this machine: install it by hand"
    [ "$(id -u)" = 0 ] || die "missing $*; run install.sh as root (apt-get) or install it by hand"
    if [ "$APT_UPDATED" = 0 ]; then
        log "apt-get update"
        apt-get update -q </dev/null >/dev/null
        APT_UPDATED=1
    fi
    log "apt-get install -y $*"
    apt-get install -y -q --no-install-recommends "$@" </dev/null >/dev/null
}

# --- PostgreSQL server -------------------------------------------------------------------------
if bindir="$(pg_bindir)"; then
    log "PostgreSQL server found: $bindir ($("$bindir/postgres" --version))"
else
    # Note: Debian's package also creates and starts a default cluster on port 5432 where an
    # init system lets it. The adapter never uses that cluster; it runs its own on $PG_PORT.
    apt_install postgresql
    bindir="$(pg_bindir)" || die "postgresql installed but no server binary found under /usr/lib/postgresql"
    log "PostgreSQL server installed: $bindir"
fi
if [ "$(id -u)" = 0 ] && ! id "$(pg_os_user)" >/dev/null 2>&1; then
    log "creating system user $(pg_os_user) to run the throwaway cluster"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$(pg_os_user)"
fi

# --- Go toolchain and cgo ----------------------------------------------------------------------
command -v go >/dev/null 2>&1 || die "Go >= 1.25 is required (clearnode's go.mod says go 1.25); none found in PATH or /usr/local/go/bin"
gover="$(go env GOVERSION)"; gover="${gover#go}"
IFS=. read -r gomaj gomin _ <<<"$gover"
if [ "$gomaj" -lt 1 ] || { [ "$gomaj" = 1 ] && [ "${gomin:-0}" -lt 25 ]; }; then
    die "Go $gover is too old: clearnode $CLEARNODE_VERSION needs Go >= 1.25"
fi
if ! command -v gcc >/dev/null 2>&1 || [ ! -e /usr/include/stdio.h ]; then
    apt_install gcc libc6-dev
fi

# --- clearnode ---------------------------------------------------------------------------------
# `go install github.com/erc7824/nitrolite/clearnode@v0.5.2` is the upstream recipe, but it first
# asks the module proxy for the module's version list (deprecation check); a proxy that refuses
# that listing (this workplace's answers 403) makes it fail before building. So the build goes
# through the pinned wrapper module in build/ (go.mod + go.sum): the same module graph, with
# every dependency hash checked, and no listing needed.
BIN="$(clearnode_bin)"
built_version() {
    [ -x "$1" ] || return 1
    go version -m "$1" 2>/dev/null | awk -v m="$CLEARNODE_MODULE" '($1=="mod"||$1=="dep") && $2==m {print $3}'
}
if [ "$(built_version "$BIN" || true)" = "$CLEARNODE_VERSION" ]; then
    log "clearnode $CLEARNODE_VERSION already built: $BIN"
else
    log "building clearnode $CLEARNODE_VERSION with cgo (cold: about 3.5-4.5 minutes on 2 cores; cached after)"
    start=$(date +%s)
    mkdir -p "$(dirname "$BIN")"
    ( cd "$ADAPTER_DIR/build" && CGO_ENABLED=1 GOFLAGS=-mod=readonly GOBIN="$(dirname "$BIN")" \
        go install "$CLEARNODE_MODULE" )
    if [ "$(basename "$BIN")" != clearnode ]; then mv "$(dirname "$BIN")/clearnode" "$BIN"; fi
    log "clearnode built in $(( $(date +%s) - start )) s"
    [ "$(built_version "$BIN" || true)" = "$CLEARNODE_VERSION" ] || die "built $BIN but it does not report $CLEARNODE_MODULE $CLEARNODE_VERSION"
fi

EIP55="$(eip55_bin)"
if [ ! -x "$EIP55" ] || [ "$ADAPTER_DIR/build/eip55/main.go" -nt "$EIP55" ]; then
    log "building nitrocert-eip55"
    ( cd "$ADAPTER_DIR/build" && GOFLAGS=-mod=readonly go build -o "$EIP55" ./eip55 )
fi

echo "clearnode: $BIN"
echo "postgres:  $bindir"
echo "eip55:     $EIP55"

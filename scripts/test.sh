#!/usr/bin/env bash
# Runs all of nitrocert's tests on a fresh machine, installing what they need: the Rust tests
# (unit, known-answer, vectors replayed through the model, certify self-tests, fuzz corpora),
# the vector drift check, the SDK interop tests (Node, @erc7824/nitrolite 0.5.3), and the
# certification of the real Clearnode v0.5.2 (built with Go, run against PostgreSQL).
#   NITROCERT_SKIP_SDK=1        skip the Node SDK tests
#   NITROCERT_SKIP_CLEARNODE=1  skip building and certifying Clearnode
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "scripts/test.sh: $1 not found; $2" >&2; exit 2; }; }
need cargo "install Rust (https://rustup.rs)"

echo "== cargo test"
cargo test --locked --all-targets

# `cargo test` built the binary; the remaining steps use it.
export NITROCERT_BIN="$PWD/target/debug/nitrocert"

echo "== vectors check (vectors/ is what the model says now)"
"$NITROCERT_BIN" vectors check

echo "== races on the embedded broker (every race serializable; the seeded lost update caught)"
race_tmp="$(mktemp -d)"
"$NITROCERT_BIN" race --max-rounds 3 --no-write --out "$race_tmp/clean"
code=0
"$NITROCERT_BIN" race --fault transfer-lost-update --max-rounds 2 --tries 3 \
  --races "$race_tmp/races" --out "$race_tmp/fault" || code=$?
[ "$code" = 1 ] || { echo "scripts/test.sh: the seeded lost update was not caught (exit $code)" >&2; exit 1; }
rm -rf "$race_tmp"

if [ "${NITROCERT_SKIP_SDK:-}" != 1 ]; then
  need node "install Node.js 20 or newer"
  need npm "install npm"
  echo "== SDK interop (tests/sdk)"
  (cd tests/sdk && npm ci --no-audit --no-fund --loglevel=error && npm test)
fi

if [ "${NITROCERT_SKIP_CLEARNODE:-}" != 1 ]; then
  need go "install Go 1.25 or newer"
  echo "== Clearnode v0.5.2 certification (both profiles)"
  scripts/clearnode-certify.sh
fi

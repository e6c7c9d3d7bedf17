#!/usr/bin/env bash
# The SDK release matrix: the official SDK's published releases @erc7824/nitrolite 0.3.0, 0.4.0
# and 0.5.3 (each pinned in tests/sdk/releases/<version>/) authenticate, then create, submit and
# close app sessions in every NitroRPC version they speak, against the embedded broker
# (`nitrocert serve`) and the live Clearnode v0.5.2. Fails only when a cell differs from the
# committed cells in tests/sdk/releases/cells.json.
#   scripts/sdk-matrix.sh            compare with the committed cells (CI)
#   scripts/sdk-matrix.sh --update   rewrite the committed cells from this run (never in CI)
#   NITROCERT_SKIP_CLEARNODE=1       the embedded broker only
# Clearnode binds fixed ports: on a shared machine run this under the machine-wide lock, with
# NITROCERT_CLEARNODE_STATE set (see adapters/clearnode/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

CELLS=tests/sdk/releases/cells.json
ADAPTER=adapters/clearnode
mode=(--expect "$CELLS")
[ "${1:-}" = --update ] && mode=(--update "$CELLS")

export NITROCERT_BIN="${NITROCERT_BIN:-$PWD/target/debug/nitrocert}"
[ -x "$NITROCERT_BIN" ] || cargo build --locked
for release in 0.3.0 0.4.0 0.5.3; do
  (cd "tests/sdk/releases/$release" && npm ci --no-audit --no-fund --loglevel=error)
done

status=0
echo "-- SDK releases × embedded broker"
node tests/sdk/releases/sdk-matrix.mjs --broker embedded "${mode[@]}" || status=$?

if [ "${NITROCERT_SKIP_CLEARNODE:-}" != 1 ]; then
  echo "-- SDK releases × Clearnode v0.5.2"
  "$ADAPTER/install.sh"
  "$ADAPTER/start.sh" >/dev/null
  trap '"$ADAPTER/stop.sh" >/dev/null 2>&1 || true' EXIT
  "$ADAPTER/reset.sh" >/dev/null
  node tests/sdk/releases/sdk-matrix.mjs --broker clearnode --url ws://127.0.0.1:8000/ws \
    --fund-cmd "$ADAPTER/fund.sh" "${mode[@]}" || status=$?
fi
exit "$status"

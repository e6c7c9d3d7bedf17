#!/usr/bin/env bash
# `nitrocert diff` between the real Clearnode v0.5.2 (A, funded by the adapter, restarted before
# its challenge cap) and `nitrocert serve --profile clearnode-0.5.2 --control` (B, funded and
# clocked through its control interface): no model in the verdict.
#
# Clearnode binds fixed ports: run it under the machine-wide lock, briefly:
#   export NITROCERT_CLEARNODE_STATE=/tmp/nitrocert-clearnode
#   flock /tmp/nitrocert-clearnode.lock scripts/clearnode-diff.sh [DIFF OPTIONS…]
# e.g. `--keep-going` (every vector), `--vectors vectors/transfer --keep-going`, or
# `--seed 3 --time 60 --keep-going` (random fidelity sequences). Cases run NITROCERT_DIFF_JOBS
# (default 2) at once. Clearnode's wallets are credited a batch at a time, its channels come
# from the adapter's hook, and where its challenge budget calls for a restart its database is
# emptied too (reset.sh; the cases share nothing, and a growing `ledger` slows every balance
# query). Exit: that of `nitrocert diff`.
set -euo pipefail
cd "$(dirname "$0")/.."

NITROCERT="${NITROCERT_BIN:-target/release/nitrocert}"
ADAPTER=adapters/clearnode

[ -x "$NITROCERT" ] || cargo build --locked --release
"$ADAPTER/install.sh" >/dev/null
# The adapter's settings, with the Go bin folder asked once for the scripts run below.
source "$ADAPTER/common.sh"
"$ADAPTER/start.sh" >/dev/null
serve_out="$(mktemp)"
"$NITROCERT" serve --profile clearnode-0.5.2 --port 0 --control >"$serve_out" 2>/dev/null &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true; rm -f "$serve_out"; "$ADAPTER/stop.sh" >/dev/null 2>&1 || true' EXIT
"$ADAPTER/reset.sh" >/dev/null
for _ in $(seq 50); do grep -q '^test control at ' "$serve_out" && break; sleep 0.1; done
control="$(sed -n 's/^test control at //p' "$serve_out")"
[ -n "$control" ] || { echo "nitrocert serve did not start" >&2; exit 2; }

status=0
"$NITROCERT" diff --a ws://127.0.0.1:8000/ws \
  --a-fund-batch-cmd "$ADAPTER/fund.sh --batch >/dev/null" \
  --a-channel-cmd "$ADAPTER/channel.sh {wallet} {status} {amount} >/dev/null" \
  --a-restart-cmd "$ADAPTER/reset.sh" \
  --b "${control%/control}/ws" --b-control "$control" \
  --jobs "${NITROCERT_DIFF_JOBS:-2}" "$@" || status=$?
exit "$status"

#!/usr/bin/env bash
# Certifies the real Clearnode v0.5.2 on this machine: builds it (cached), starts it with
# PostgreSQL on loopback, certifies it in both profiles from a clean database, and stops it.
# Reports go to reports/clearnode-v0.5.2/<profile>/. Exit 0 when both profiles come out as the
# known-divergence file says (clearnode-0.5.2: every case passes; spec: only the listed quirks
# fail), 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

NITROCERT="${NITROCERT_BIN:-target/release/nitrocert}"
ADAPTER=adapters/clearnode
KNOWN=reports/clearnode-v0.5.2/known-divergences.json

[ -x "$NITROCERT" ] || cargo build --locked --release
"$ADAPTER/install.sh"
"$ADAPTER/start.sh" >/dev/null
trap '"$ADAPTER/stop.sh" >/dev/null 2>&1 || true' EXIT

status=0
for profile in clearnode-0.5.2 spec; do
  "$ADAPTER/reset.sh" >/dev/null
  known=()
  [ "$profile" = spec ] && known=(--known "$KNOWN")
  "$NITROCERT" certify --endpoint ws://127.0.0.1:8000/ws --profile "$profile" \
    --name clearnode-v0.5.2 \
    --fund-cmd "$ADAPTER/fund.sh {wallet} {asset} {amount} >/dev/null" \
    --channel-cmd "$ADAPTER/channel.sh {wallet} {status} {amount} >/dev/null" \
    --restart-cmd "$ADAPTER/restart.sh" \
    "${known[@]}" || status=1
done
exit "$status"

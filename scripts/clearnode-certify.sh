#!/usr/bin/env bash
# Certifies the real Clearnode v0.5.2 on this machine: builds it (cached), starts it with
# PostgreSQL on loopback, certifies it in both profiles from a clean database, and stops it.
#
# The fresh reports go to a temporary folder ($NITROCERT_REPORT_DIR/<profile>/ if set), never
# into the work tree, and each is compared case by case with the committed one in
# reports/clearnode-v0.5.2/<profile>/report.json (`nitrocert report compare`).
# NITROCERT_UPDATE_REPORTS=1 instead copies the fresh reports over the committed ones and
# regenerates reports/clearnode-v0.5.2/quirks.md from them (then review and commit).
#
# Exit 0 when both profiles come out as committed (clearnode-0.5.2: every case passes; spec:
# only the listed known divergences, each with its listed findings); 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

NITROCERT="${NITROCERT_BIN:-target/release/nitrocert}"
ADAPTER=adapters/clearnode
COMMITTED=reports/clearnode-v0.5.2
KNOWN=$COMMITTED/known-divergences.json
OUT="${NITROCERT_REPORT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/nitrocert-clearnode-reports.XXXXXX")}"

[ -x "$NITROCERT" ] || cargo build --locked --release
"$ADAPTER/install.sh"
# The adapter's settings, with the Go bin folder asked once for the scripts run below.
source "$ADAPTER/common.sh"
"$ADAPTER/start.sh" >/dev/null
trap '"$ADAPTER/stop.sh" >/dev/null 2>&1 || true' EXIT

status=0
for profile in clearnode-0.5.2 spec; do
  "$ADAPTER/reset.sh" >/dev/null
  known=()
  [ "$profile" = spec ] && known=(--known "$KNOWN")
  "$NITROCERT" certify --endpoint ws://127.0.0.1:8000/ws --profile "$profile" \
    --name clearnode-v0.5.2 --out "$OUT/$profile" \
    --fund-batch-cmd "$ADAPTER/fund.sh --batch >/dev/null" \
    --channel-cmd "$ADAPTER/channel.sh {wallet} {status} {amount} >/dev/null" \
    --restart-cmd "$ADAPTER/restart.sh" \
    "${known[@]}" || status=1
  if [ "${NITROCERT_UPDATE_REPORTS:-}" = 1 ]; then
    mkdir -p "$COMMITTED/$profile"
    cp "$OUT/$profile"/* "$COMMITTED/$profile/"
  else
    "$NITROCERT" report compare "$COMMITTED/$profile/report.json" "$OUT/$profile/report.json" || status=1
  fi
done

if [ "${NITROCERT_UPDATE_REPORTS:-}" = 1 ]; then
  "$NITROCERT" report quirks --name 'Clearnode v0.5.2' \
    --compat "$COMMITTED/clearnode-0.5.2/report.json" --spec "$COMMITTED/spec/report.json" \
    --notes "$COMMITTED/quirk-notes.json" --probes "$COMMITTED/probes.json" \
    --races "$COMMITTED/races.json" > "$COMMITTED/quirks.md"
  echo "updated $COMMITTED/{clearnode-0.5.2,spec}/ and quirks.md from the fresh runs"
else
  echo "fresh reports: $OUT"
fi
exit "$status"

#!/usr/bin/env bash
# Races the real Clearnode v0.5.2 on this machine (Q-23, FUZZ-5): builds it (cached), starts it
# with PostgreSQL on loopback from a clean database, runs `nitrocert race` in both profiles, and
# stops it. Everything runs under the machine-wide Clearnode lock (one instance per machine:
# fixed ports 8000/4242/55432). Reports go to reports/clearnode-v0.5.2/race/<profile>/, found
# races to vectors/races/, and the verdicts for quirks.md to reports/clearnode-v0.5.2/races.json.
#   NITROCERT_RACE_TIME   seconds of exploration in clearnode-0.5.2 (default 180; spec: a third)
#   NITROCERT_RACE_TRIES  replays of each found race in clearnode-0.5.2 (default 20; spec: 5)
#   NITROCERT_BIN         the nitrocert binary (default: a fresh release build)
#   NITROCERT_RACE_SEED   seed (default 7; the database is reset first, so wallets are fresh)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${NITROCERT_BIN:-}" ]; then
  # Before taking the lock; a no-op when the binary is fresh (never race a stale one).
  cargo build --locked --release
fi
export NITROCERT_BIN="${NITROCERT_BIN:-$PWD/target/release/nitrocert}"
export NITROCERT_CLEARNODE_STATE="${NITROCERT_CLEARNODE_STATE:-/tmp/nitrocert-clearnode}"
LOCK=/tmp/nitrocert-clearnode.lock
if [ "${NITROCERT_CLEARNODE_LOCKED:-}" != 1 ]; then
  export NITROCERT_CLEARNODE_LOCKED=1
  exec flock "$LOCK" "$0" "$@"
fi
NITROCERT="$NITROCERT_BIN"
ADAPTER=adapters/clearnode
TIME="${NITROCERT_RACE_TIME:-180}"
TRIES="${NITROCERT_RACE_TRIES:-20}"
SEED="${NITROCERT_RACE_SEED:-7}"
OUT=reports/clearnode-v0.5.2

"$ADAPTER/install.sh" >/dev/null
# The adapter's settings, with the Go bin folder asked once for the scripts run below.
source "$ADAPTER/common.sh"
"$ADAPTER/start.sh" >/dev/null
trap '"$ADAPTER/stop.sh" >/dev/null 2>&1 || true' EXIT
"$ADAPTER/reset.sh" >/dev/null 2>&1

# Exit status: the clearnode-0.5.2 run's (0 when every race anomaly is a documented quirk).
# In `spec` the same races are FAILs by design; that run is evidence for quirks.md.
rm -f "$OUT/races.json"
status=0
for profile in clearnode-0.5.2 spec; do
  write=(--races vectors/races)
  if [ "$profile" = spec ]; then
    TIME=$((TIME / 3)); TRIES=5; write=(--no-write)
    "$ADAPTER/restart.sh"   # the first run's pending challenges go (AUTH-9)
  fi
  code=0
  "$NITROCERT" race --endpoint ws://127.0.0.1:8000/ws --profile "$profile" \
    --name clearnode-v0.5.2 --seed "$SEED" --time "$TIME" --tries "$TRIES" "${write[@]}" \
    --fund-cmd "$ADAPTER/fund.sh {wallet} {asset} {amount} >/dev/null" \
    --restart-cmd "$ADAPTER/restart.sh" \
    --out "$OUT/race/$profile" --verdicts "$OUT/races.json" || code=$?
  if [ "$profile" = clearnode-0.5.2 ]; then status=$code; fi
  if [ "$code" = 2 ]; then status=2; fi
  SEED=$((SEED + 1))
done
exit "$status"

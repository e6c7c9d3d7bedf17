#!/usr/bin/env bash
# The fidelity campaign (`nitrocert fuzz --mutate`) against the real Clearnode v0.5.2 on this
# machine, in the clearnode-0.5.2 profile: starts it (cached build, PostgreSQL on loopback) from
# a clean database, runs one chunk of the campaign, and stops it.
#
# Clearnode binds fixed ports: run it under the machine-wide lock, and keep a chunk short so
# that others get their turn (a long campaign is several chunks with different seeds):
#   export NITROCERT_CLEARNODE_STATE=/tmp/nitrocert-clearnode
#   flock /tmp/nitrocert-clearnode.lock scripts/clearnode-fuzz.sh SEED [SECONDS]
#
# SEED (default 1) seeds the sequences and the fresh identities; SECONDS (default 420) is how
# long new sequences are started, after which at most NITROCERT_FUZZ_SHRINKS (default 4) groups
# of divergences are shrunk (budget NITROCERT_FUZZ_SHRINK_BUDGET candidates each, default 24).
# Where the challenge budget calls for a restart (AUTH-9), the database is emptied too
# (reset.sh): the sequences share nothing, and clearnode scans the whole `ledger` table for
# its balance queries, so a campaign over a growing table would slow down step by step.
# NITROCERT_FUZZ_FIRST (default 0) is the first sequence index: a chunk that resumes a seed.
# NITROCERT_FUZZ_JOBS (default 2) sequences run at once (more is slower here: clearnode opens a
# database connection per query beyond two idle ones, so concurrency turns into forks). The report (fidelity.json,
# fidelity.md) and the shrunk vectors go to $NITROCERT_REPORT_DIR (default: a fresh temporary
# folder), never into the work tree. CI runs a short chunk (SECONDS=30).
#
# It ends with the CPU each side spent during the campaign (adapters/clearnode/cpu.sh): the
# harness (nitrocert with its funding and restart commands) against the broker (clearnode and
# its PostgreSQL), and their ratio.
#
# Exit 0 when every step agreed with the model, 1 when some diverged, 2 when it could not run.
set -euo pipefail
cd "$(dirname "$0")/.."

NITROCERT="${NITROCERT_BIN:-target/release/nitrocert}"
ADAPTER=adapters/clearnode
SEED="${1:-1}"
SECONDS_="${2:-420}"
OUT="${NITROCERT_REPORT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/nitrocert-clearnode-fuzz.XXXXXX")}"

[ -x "$NITROCERT" ] || cargo build --locked --release
"$ADAPTER/install.sh" >/dev/null
# The adapter's settings (with the Go bin folder asked once) and its CPU accounting.
source "$ADAPTER/cpu.sh"
"$ADAPTER/start.sh" >/dev/null
trap '"$ADAPTER/stop.sh" >/dev/null 2>&1 || true' EXIT
"$ADAPTER/reset.sh" >/dev/null

cpu_watch_start
harness_before="$(reaped_ticks)"
status=0
"$NITROCERT" fuzz --endpoint ws://127.0.0.1:8000/ws --profile clearnode-0.5.2 \
  --name clearnode-v0.5.2 --seed "$SEED" --time "$SECONDS_" --mutate 35 \
  --jobs "${NITROCERT_FUZZ_JOBS:-2}" \
  --first-sequence "${NITROCERT_FUZZ_FIRST:-0}" \
  --max-shrinks "${NITROCERT_FUZZ_SHRINKS:-4}" \
  --shrink-budget "${NITROCERT_FUZZ_SHRINK_BUDGET:-24}" \
  --fund-batch-cmd "$ADAPTER/fund.sh --batch >/dev/null" \
  --restart-cmd "$ADAPTER/reset.sh" \
  --fidelity-out "$OUT" || status=$?
harness_ticks=$(($(reaped_ticks) - harness_before))
cpu_watch_stop
awk -v h="$harness_ticks" -v t="$TICKS" -v c="$CLEARNODE_CPU_S" -v p="$POSTGRES_CPU_S" 'BEGIN {
    h /= t; b = c + p
    printf "cpu: harness %.2f s, broker %.2f s (clearnode %.2f s, postgres %.2f s): harness/broker %.3f\n",
        h, b, c, p, (b > 0 ? h / b : 0)
}' | tee "$OUT/cpu.txt"
echo "report: $OUT/fidelity.md"
exit "$status"

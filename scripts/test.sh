#!/usr/bin/env bash
# Runs all of nitrocert's tests on a fresh machine, installing what they need: the Rust tests
# (unit, known-answer, vectors replayed through the model, certify self-tests, fuzz corpora),
# the vector drift check, `nitrocert serve` certified over its socket, the SDK interop tests (Node, @erc7824/nitrolite 0.5.3),
# the TypeScript vector consumer (tests/consumer-ts, verdicts equal to certify's), and the
# certification of the real Clearnode v0.5.2 (built with Go, run against PostgreSQL).
# Fresh certification reports are written to a temporary folder and compared case by case with
# the committed ones (reports/embedded/<profile>/, reports/clearnode-v0.5.2/<profile>/): a
# committed report that no longer tells what runs fails the tests. Nothing tracked is written:
# the script fails if `git status` changed.
#   NITROCERT_SKIP_SDK=1        skip the Node tests (SDK, TypeScript vector consumer)
#   NITROCERT_SKIP_CLEARNODE=1  skip building and certifying Clearnode
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "scripts/test.sh: $1 not found; $2" >&2; exit 2; }; }
need cargo "install Rust (https://rustup.rs)"

tree_state() { git status --porcelain --untracked-files=all 2>/dev/null || true; }
TREE_BEFORE="$(tree_state)"
FRESH="$(mktemp -d "${TMPDIR:-/tmp}/nitrocert-test.XXXXXX")"
trap 'rm -rf "$FRESH"' EXIT

echo "== cargo test"
cargo test --locked --all-targets

# `cargo test` built the binary; the remaining steps use it.
export NITROCERT_BIN="$PWD/target/debug/nitrocert"

echo "== vectors check (vectors/ is what the model says now)"
"$NITROCERT_BIN" vectors check

echo "== embedded certification (both profiles) against the committed reports"
for profile in clearnode-0.5.2 spec; do
  "$NITROCERT_BIN" certify --profile "$profile" --out "$FRESH/embedded/$profile"
  "$NITROCERT_BIN" report compare "reports/embedded/$profile/report.json" "$FRESH/embedded/$profile/report.json"
done

echo "== nitrocert serve certified over its socket, every vector, both profiles (reports in a temp dir)"
adapters/nitrocert-serve/certify.sh "$FRESH/serve"

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
  echo "== TypeScript vector consumer against nitrocert serve, both profiles, verdicts = certify's (tests/consumer-ts)"
  tests/consumer-ts/against-serve.sh "$FRESH/consumer-ts"
fi

if [ "${NITROCERT_SKIP_CLEARNODE:-}" != 1 ]; then
  need go "install Go 1.25 or newer"
  echo "== Clearnode v0.5.2 certification (both profiles) against the committed reports"
  NITROCERT_REPORT_DIR="$FRESH/clearnode" scripts/clearnode-certify.sh
  echo "== Clearnode v0.5.2 fidelity campaign, a short chunk (every step agrees with the model)"
  NITROCERT_REPORT_DIR="$FRESH/clearnode-fuzz" scripts/clearnode-fuzz.sh 1 30
fi

[ "${NITROCERT_SKIP_SDK:-}" = 1 ] || { echo "== SDK release matrix (tests/sdk/releases)"; scripts/sdk-matrix.sh; }

if [ "$(tree_state)" != "$TREE_BEFORE" ]; then
  echo "scripts/test.sh: the tests changed the work tree (they must write to temporary folders only):" >&2
  diff <(echo "$TREE_BEFORE") <(tree_state) >&2 || true
  exit 1
fi

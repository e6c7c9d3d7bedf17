#!/usr/bin/env bash
# Regenerates the compatibility matrix, reports/matrix/matrix.md and matrix.html, from the
# committed runs (the embedded broker and Clearnode v0.5.2, both profiles) and the SDK release
# matrix (tests/sdk/releases/cells.json). Run it after any of those inputs changed.
#   scripts/matrix.sh               regenerate
#   scripts/matrix.sh --check       write nothing; exit 1 when the committed files are stale
#   scripts/matrix.sh --screenshot  regenerate, then reports/matrix/matrix.png (Debian chromium)
# tests/suite/matrix.rs checks in `cargo test` that the committed files match these inputs.
set -euo pipefail
cd "$(dirname "$0")/.."

NITROCERT="${NITROCERT_BIN:-target/debug/nitrocert}"
[ -x "$NITROCERT" ] || cargo build --locked

INPUTS=(
  reports/embedded/clearnode-0.5.2/report.json
  reports/embedded/spec/report.json
  reports/clearnode-v0.5.2/clearnode-0.5.2/report.json
  reports/clearnode-v0.5.2/spec/report.json
)
check=()
[ "${1:-}" = --check ] && check=(--check)
"$NITROCERT" report matrix --sdk tests/sdk/releases/cells.json --out reports/matrix "${check[@]}" "${INPUTS[@]}"

if [ "${1:-}" = --screenshot ]; then
  command -v chromium >/dev/null || { echo "scripts/matrix.sh: chromium not found (apt-get install chromium)" >&2; exit 2; }
  profile="$(mktemp -d)"
  trap 'rm -rf "$profile"' EXIT
  # The flags keep Chromium off the network (closed here) and out of a sandbox root cannot use.
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size=1400,3000 \
    --screenshot="$PWD/reports/matrix/matrix.png" "file://$PWD/reports/matrix/matrix.html" 2>/dev/null
  echo "wrote reports/matrix/matrix.png"
fi

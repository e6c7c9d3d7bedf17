#!/usr/bin/env bash
# Certifies `nitrocert serve` over its own socket with every vector, in both profiles: a fresh
# serve process per profile on a free loopback port, prepared through its test-control interface
# (`--control`: funding, channels, the clock). Reports go to a temporary folder (or $1), never
# under reports/. Fails unless each profile is CONFORMANT with every case PASS (0 ERROR, 0 SKIP).
#   NITROCERT_BIN   the nitrocert binary (default: target/debug/nitrocert)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${NITROCERT_BIN:-target/debug/nitrocert}"
out="${1:-$(mktemp -d)}"
serve_pid=""
stop() { if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; serve_pid=""; fi; }
trap stop EXIT

for profile in clearnode-0.5.2 spec; do
  log="$out/serve-$profile.log"
  mkdir -p "$out"
  "$bin" serve --port 0 --control --profile "$profile" >"$log" 2>&1 &
  serve_pid=$!
  url=""
  for _ in $(seq 100); do
    url=$(grep -o 'ws://127\.0\.0\.1:[0-9]*/ws' "$log" || true)
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "nitrocert serve did not start:" >&2; cat "$log" >&2; exit 2; }
  control="${url%/ws}/control"
  summary=$("$bin" certify --endpoint "$url" --control "$control" --profile "$profile" \
              --name nitrocert-serve --out "$out/$profile" | head -1) || true
  echo "$summary"
  stop
  # "CONFORMANT: … N cases, N pass, 0 informational, 0 non-strict, 0 fail, 0 error, 0 skip, …"
  if ! [[ "$summary" =~ ^CONFORMANT:.*\ ([0-9]+)\ cases,\ ([0-9]+)\ pass,\ 0\ informational,\ 0\ non-strict,\ 0\ fail,\ 0\ error,\ 0\ skip,\ 0\ xfail,\ 0\ xpass$ ]] \
     || [ "${BASH_REMATCH[1]}" != "${BASH_REMATCH[2]}" ]; then
    echo "adapters/nitrocert-serve/certify.sh: $profile is not all PASS (report: $out/$profile/report.md)" >&2
    exit 1
  fi
done
echo "reports: $out"

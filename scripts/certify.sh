#!/usr/bin/env bash
# nitrocert's main job on a fresh machine: builds nitrocert and certifies the embedded reference
# broker in both profiles, writing report.json, junit.xml, report.md and report.html under
# reports/embedded/<profile>/. Exit 0 when both are conformant.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null 2>&1 || { echo "scripts/certify.sh: cargo not found; install Rust (https://rustup.rs)" >&2; exit 2; }

cargo build --locked --release
status=0
for profile in clearnode-0.5.2 spec; do
  ./target/release/nitrocert certify --profile "$profile" || status=$?
done
exit "$status"

#!/usr/bin/env bash
# Runs nitrocert's whole test suite on a fresh machine: installs what the tests need, then
# `cargo test`. The README's test command; CI calls it too.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "scripts/test.sh: cargo not found; install Rust (https://rustup.rs) first" >&2
  exit 2
fi

cargo test --locked --all-targets

#!/usr/bin/env bash
# nitrocert's main job on a fresh machine: builds nitrocert and certifies the embedded reference
# broker, writing the report under reports/. Until the embedded broker lands (issue #5) it
# builds the binary and prints what it can do.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --release
./target/release/nitrocert --help

#!/usr/bin/env bash
# Restarts clearnode (keeping its database), which empties its in-memory state: pending
# challenges (at most 1000, AUTH-9), auth sessions and the session-key cache (reloaded from the
# database). certify runs it between cases (--restart-cmd) before the challenge cap is reached.
set -euo pipefail
dir="$(dirname "${BASH_SOURCE[0]}")"
"$dir/stop.sh" clearnode >/dev/null
"$dir/start.sh" >/dev/null

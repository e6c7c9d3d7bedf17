#!/usr/bin/env bash
# CPU seconds the broker side spends while a harness run goes on: clearnode and its PostgreSQL
# cluster. Sourced by scripts/clearnode-fuzz.sh, which compares it with the harness's own
# (the fidelity campaign's goal in issue #12: the harness uses at most a quarter of what the
# broker uses).
#
#   cpu_watch_start          # before the run: starts a sampler in the background
#   cpu_watch_stop           # after it: sets CLEARNODE_CPU_S and POSTGRES_CPU_S (seconds)
#
# PostgreSQL forks a backend per connection and reaps it itself, so its CPU is counted exactly:
# the postmaster's own time plus what it reaped (cutime, cstime) plus its live children, taken
# before and after. Clearnode is restarted by reset.sh when the challenge budget calls for it (a
# new process, whose predecessor's time nobody reaps), so it is sampled every 0.2 s by pid and
# each pid's last sample counts: at most 0.2 s of CPU is missed per restart.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TICKS="$(getconf CLK_TCK)"

# utime + stime + cutime + cstime of one pid (its own time and what it reaped), in ticks; empty
# if it is gone. Fields after the command name, which is in parentheses: state is field 3,
# utime 14, stime 15, cutime 16, cstime 17.
proc_ticks() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
    stat="${stat##*) }"
    # shellcheck disable=SC2086
    set -- $stat
    echo $((${12} + ${13} + ${14} + ${15}))
}

# The same for this script's reaped children only (cutime + cstime): what a command it waited
# for spent, with that command's own children.
reaped_ticks() {
    local stat
    stat="$(cat "/proc/$$/stat")"
    stat="${stat##*) }"
    # shellcheck disable=SC2086
    set -- $stat
    echo $((${14} + ${15}))
}

# The postmaster's time, what it reaped, and its live children's time, in ticks.
postgres_ticks() {
    local pm total child
    pm="$(head -1 "$PG_DATA/postmaster.pid" 2>/dev/null)" || { echo 0; return; }
    total="$(proc_ticks "$pm")"
    total="${total:-0}"
    for child in $(cat "/proc/$pm/task/$pm/children" 2>/dev/null); do
        local stat
        stat="$(cat "/proc/$child/stat" 2>/dev/null)" || continue
        stat="${stat##*) }"
        # shellcheck disable=SC2086
        set -- $stat
        total=$((total + ${12} + ${13}))
    done
    echo "$total"
}

cpu_watch_start() {
    CPU_WATCH_DIR="$(mktemp -d "${TMPDIR:-/tmp}/nitrocert-cpu.XXXXXX")"
    postgres_ticks >"$CPU_WATCH_DIR/postgres.start"
    (
        declare -A last=()
        while [ ! -e "$CPU_WATCH_DIR/stop" ]; do
            local pid
            for pid in $(pgrep -x clearnode 2>/dev/null); do
                local t
                t="$(proc_ticks "$pid")"
                [ -n "$t" ] && last[$pid]=$t
            done
            for pid in "${!last[@]}"; do echo "$pid ${last[$pid]}"; done >"$CPU_WATCH_DIR/clearnode.tmp"
            mv "$CPU_WATCH_DIR/clearnode.tmp" "$CPU_WATCH_DIR/clearnode"
            sleep 0.2
        done
    ) &
    CPU_WATCH_PID=$!
    # The clearnode processes running now, with the time they had already spent.
    for pid in $(pgrep -x clearnode 2>/dev/null); do
        echo "$pid $(proc_ticks "$pid")"
    done >"$CPU_WATCH_DIR/clearnode.start"
}

cpu_watch_stop() {
    touch "$CPU_WATCH_DIR/stop"
    wait "$CPU_WATCH_PID" 2>/dev/null || true
    local clearnode=0 pid ticks before
    while read -r pid ticks; do
        before="$(awk -v p="$pid" '$1 == p { print $2 }' "$CPU_WATCH_DIR/clearnode.start")"
        clearnode=$((clearnode + ticks - ${before:-0}))
    done <"$CPU_WATCH_DIR/clearnode"
    local postgres=$(($(postgres_ticks) - $(cat "$CPU_WATCH_DIR/postgres.start")))
    rm -rf "$CPU_WATCH_DIR"
    CLEARNODE_CPU_S="$(awk -v c="$clearnode" -v t="$TICKS" 'BEGIN { printf "%.2f", c / t }')"
    POSTGRES_CPU_S="$(awk -v p="$postgres" -v t="$TICKS" 'BEGIN { printf "%.2f", p / t }')"
}

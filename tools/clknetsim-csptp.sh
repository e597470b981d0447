#!/usr/bin/env bash
# CSPTP under clknetsim (issue 15): a Tempora CSPTP client, a Tempora PTP
# slave and chronyd (1 s polls) follow one server on the same simulated
# network; clknetsim logs every node's offset from true time once a
# simulated second, and the script prints each client's RMS offset over the
# last RMS_WINDOW seconds and its worst |offset| over that window.
#
# Nodes (software timestamps everywhere, every client polled once a second):
#   1  Tempora server, clock on true time: PTP grandmaster ([[port]] udp4 on
#      eth0, one Sync a second), [csptp-server] on 192.168.125.1 (eth2) and
#      [ntp-server] (local stratum 1) on 192.168.123.1
#   2  Tempora CSPTP client: [[csptp-source]] 192.168.125.1, poll 0
#   3  Tempora PTP slave: [[port]] udp4 on eth0, slave-only
#   4  chronyd: server 192.168.123.1 minpoll 0 maxpoll 0
# The clients start 10 ms off with a random-walk frequency
# ((sum (* 1e-9 (normal)))). Subnets: 192.168.123.0/24 (eth0, PTP and NTP),
# the second for the daemons' Unix sockets (CLKNETSIM_UNIX_SUBNET=2), and
# 192.168.125.0/24 (eth2) for CSPTP: beside a PTP [[port]] over UDP the
# server's CSPTP sockets must be on an interface and address of their own
# (the config check says so), and clknetsim hands a datagram to the first
# socket on the port and interface, whatever address it is bound to.
#
# Usage: TEMPORA=/path/to/tempora CLKNETSIM_PATH=/path/to/clknetsim \
#          tools/clknetsim-csptp.sh [--seeds N] [--length SECS]
#              [--rms-window SECS] [--delay EXPR] [--keep DIR]
#   --seeds N       seeds 1..N (default 3)
#   --length SECS   simulated run (default 3000)
#   --rms-window S  statistics over the last S seconds (default 2000)
#   --delay EXPR    network delay each way, a clknetsim expression
#                   (default "(+ 10e-6 (* 1e-6 (exponential)))")
#   --keep DIR      copy configurations, logs and offset logs to DIR
#   CHRONYD         chronyd (default: from PATH or /usr/sbin/chronyd)
# See docs/csptp.md, "Under clknetsim".
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}
die() {
    echo "clknetsim-csptp: $*" >&2
    exit 1
}

seeds=3
length=3000
rms_window=2000
delay="(+ 10e-6 (* 1e-6 (exponential)))"
keep=""
while [ $# -gt 0 ]; do
    case "$1" in
        --seeds) seeds=${2:?--seeds needs a number}; shift ;;
        --length) length=${2:?--length needs seconds}; shift ;;
        --rms-window) rms_window=${2:?--rms-window needs seconds}; shift ;;
        --delay) delay=${2:?--delay needs an expression}; shift ;;
        --keep) keep=${2:?--keep needs a directory}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done
# shellcheck source=tools/clknetsim-lib.sh
. "$(dirname "$0")/clknetsim-lib.sh"
clknetsim_check_run
clknetsim_check_env
if [ -z "${CHRONYD:-}" ]; then
    CHRONYD=$(command -v chronyd || true)
    [ -n "$CHRONYD" ] || CHRONYD=/usr/sbin/chronyd
fi
[ -x "$CHRONYD" ] || die "chronyd not found (apt-get install chrony, or set CHRONYD)"

clknetsim_workdir clknetsim-csptp
clknetsim_install

write_netconf() {
    local file=$1 c
    {
        echo "node1_offset = 0"
        for c in 2 3 4; do
            echo "node${c}_offset = 0.01"
            echo "node${c}_freq = (sum (* 1e-9 (normal)))"
            echo "node${c}_delay1 = $delay"
            echo "node1_delay${c} = $delay"
        done
    } > "$file"
}

# The daemon's sections every node has: $1 = directory, $2 = node.
tempora_tail() {
    cat << EOF

[clock]
kind = "system"

[observability]
socket = "$1/run/tempora.$2.sock"
log-level = "${TEMPORA_LOG_LEVEL:-info}"

# clknetsim's preloaded library makes system calls the filter does not
# allow, and simulates the clock itself: no seccomp, no change of user.
[daemon]
user = "root"
seccomp = false
EOF
}

write_configs() {
    local dir=$1
    {
        cat << EOF
[ptp]
profile = "default"
priority1 = 100

[[port]]
interface = "eth0"
transport = "udp4"
timestamping = "software"

[csptp-server]
listen = ["192.168.125.1"]
interfaces = ["eth2"]
timestamping = "software"

[ntp-server]
listen = ["192.168.123.1:123"]
local-stratum = 1
EOF
        tempora_tail "$dir" 1
    } > "$dir/tempora.1.toml"
    {
        cat << EOF
[[csptp-source]]
address = "192.168.125.1"
poll = 0
timestamping = "software"
EOF
        tempora_tail "$dir" 2
    } > "$dir/tempora.2.toml"
    {
        cat << EOF
[ptp]
profile = "default"
slave-only = true

[[port]]
interface = "eth0"
transport = "udp4"
timestamping = "software"
EOF
        tempora_tail "$dir" 3
    } > "$dir/tempora.3.toml"
    # chronyd as clknetsim.bash writes it, Debian's makestep and
    # maxupdateskew, no driftfile (it starts from frequency 0 as Tempora).
    cat > "$dir/chrony.4.conf" << EOF
pidfile $dir/chronyd.4.pid
allow
cmdallow
bindcmdaddress 0.0.0.0
bindcmdaddress /clknetsim/unix/chronyd.sock
server 192.168.123.1 minpoll 0 maxpoll 0
makestep 1 3
maxupdateskew 100.0
EOF
}

# One seed: writes "rms2 max2 rms3 max3 rms4 max4" (seconds) to $dir/result.
run_seed() {
    local seed=$1 dir="$workdir/seed.$1" n
    mkdir -p "$dir/run"
    [ ${#runas[@]} -eq 0 ] || chown nobody:nogroup "$dir"
    # The control sockets' directory stays root's: the daemon (which
    # clknetsim tells it runs as root) refuses one owned by another user;
    # clknetsim fakes the socket itself.
    write_netconf "$dir/net.conf"
    write_configs "$dir"
    declare -A node_pid=()
    pids=()
    for n in 1 2 3; do
        start_node "$n" "$dir" "$seed" "$tempora_bin" daemon -c "$dir/tempora.$n.toml"
    done
    start_node 4 "$dir" "$seed" "$CHRONYD" -d -f "$dir/chrony.4.conf"
    run_simulation "$dir" "$seed" 3 4 "$length" "$((length - rms_window))" "seed $seed" || return 0
    awk -v from=$((length - rms_window)) '
        function abs(x) { return x < 0 ? -x : x }
        NR - 1 > from {
            for (c = 2; c <= 4; c++) { s[c] += $c * $c; if (abs($c) > m[c]) m[c] = abs($c) }
            k++
        }
        END { printf "%.9f %.9f %.9f %.9f %.9f %.9f\n", sqrt(s[2] / k), m[2], sqrt(s[3] / k), m[3], sqrt(s[4] / k), m[4] }
    ' "$dir/offsets" > "$dir/result"
}

us() {
    awk -v x="$1" 'BEGIN { printf "%.3f", x * 1e6 }'
}

echo "clknetsim CSPTP: chronyd $("$CHRONYD" --version 2>&1 | awk '{ print $4; exit }'), tempora $TEMPORA"
echo "delay each way $delay; run $length s; RMS and max |offset| over the last $rms_window s, against true time, in us"
printf '%4s  %14s %12s  %14s %12s  %14s %12s\n' seed "CSPTP RMS" "CSPTP max" "PTP RMS" "PTP max" "chronyd RMS" "chronyd max"
failed=0
start=$SECONDS
for seed in $(seq 1 "$seeds"); do
    run_seed "$seed"
    if ! [ -s "$workdir/seed.$seed/result" ]; then
        failed=1
        continue
    fi
    read -r r2 m2 r3 m3 r4 m4 < "$workdir/seed.$seed/result"
    printf '%4s  %14s %12s  %14s %12s  %14s %12s\n' "$seed" \
        "$(us "$r2")" "$(us "$m2")" "$(us "$r3")" "$(us "$m3")" "$(us "$r4")" "$(us "$m4")"
    # Every client starts 10 ms off: one still that far never synchronised.
    if awk -v r="$r2" 'BEGIN { exit !(r > 1e-3) }'; then
        echo "clknetsim-csptp: seed $seed: the CSPTP client never synchronised" \
            "(was clknetsim built with 'make SHELL=/bin/bash'? without OPT_ID" \
            "no CSPTP exchange completes; logs: --keep DIR)" >&2
        failed=1
    fi
done
echo "wall time $((SECONDS - start)) s"
exit "$failed"

#!/usr/bin/env bash
# A grandmaster from a reference clock under clknetsim (issue 16): the same
# ptp4l slave behind two grandmasters, with the same network file and seed.
#
#   tempora  node 1 is Tempora, its system clock disciplined by the PHC
#            reference /dev/ptp0 ([[refclock]] driver = "phc"; clknetsim's
#            `node1_refclock`, white noise of --jitter) and served as PTP
#            grandmaster ([ptp] priority1 = 100, a [[port]] udp4 on eth0,
#            software timestamps, one Sync a second). Node 1's clock starts
#            10 ms off with a random-walk frequency ((sum (* 1e-9 (normal)))).
#   ptp4l    node 1 is ptp4l as grandmaster (priority1 100, software
#            timestamps) on a clock that is the perfect network time
#            (offset 0, no frequency error, no reference): the baseline.
#
# Node 2 is ptp4l 3.1.1, slaveOnly 1, software timestamps, UDPv4, starting
# 10 ms off with its own random-walk frequency; node 3 is pmc, started 20 s
# before the end, asking over UDPv4 for PARENT_DATA_SET and
# TIME_PROPERTIES_DATA_SET: the ptp4l slave's answer is the clockClass and
# timeSource the grandmaster announced. Subnets: 192.168.123.0/24 (eth0) and
# the second for Unix sockets (CLKNETSIM_UNIX_SUBNET=2). For each seed the
# script prints the RMS and max |offset| against true time of node 1 and of
# node 2 over the last --rms-window seconds, in ns, and the clockClass and
# timeSource the slave saw from Tempora. A run fails (exit 1) when a node
# failed, a clock is still more than 1 ms off (never synchronised), or the
# slave did not see Tempora announce clockClass 6.
#
# Usage: CLKNETSIM_PATH=DIR TEMPORA=BIN [PTP4L=BIN] [PMC=BIN] \
#          tools/clknetsim-gm.sh [--seeds N] [--length SECS]
#              [--rms-window SECS] [--delay EXPR] [--jitter SECS] [--keep DIR]
#   --seeds N       seeds 1..N (default 3)
#   --length SECS   simulated run (default 5000)
#   --rms-window S  statistics over the last S seconds (default 4000)
#   --delay EXPR    network delay each way, a clknetsim expression
#                   (default "(+ 10e-6 (* 1e-6 (exponential)))")
#   --jitter SECS   the reference's white noise (default 100e-9)
#   --keep DIR      copy configurations, logs and offset logs to DIR
# See docs/refclocks.md, "Grandmaster from the PHC reference, serving a
# ptp4l slave".
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}
die() {
    echo "clknetsim-gm: $*" >&2
    exit 2
}

seeds=3
length=5000
rms_window=4000
delay="(+ 10e-6 (* 1e-6 (exponential)))"
jitter=100e-9
keep=""
while [ $# -gt 0 ]; do
    case "$1" in
        --seeds) seeds=${2:?--seeds needs a number}; shift ;;
        --length) length=${2:?--length needs seconds}; shift ;;
        --rms-window) rms_window=${2:?--rms-window needs seconds}; shift ;;
        --delay) delay=${2:?--delay needs an expression}; shift ;;
        --jitter) jitter=${2:?--jitter needs seconds}; shift ;;
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
for tool in ptp4l pmc; do
    var=${tool^^}
    if [ -z "${!var:-}" ]; then
        path=$(command -v "$tool" || true)
        printf -v "$var" '%s' "${path:-/usr/sbin/$tool}"
    fi
    [ -x "${!var}" ] || die "$tool not found (apt-get install linuxptp, or set $var)"
done

clknetsim_workdir clknetsim-gm
clknetsim_install

write_netconf() { # GM FILE
    local a b
    {
        if [ "$1" = tempora ]; then
            echo "node1_offset = 0.01"
            echo "node1_freq = (sum (* 1e-9 (normal)))"
            echo "node1_refclock = (* $jitter (normal))"
        else
            echo "node1_offset = 0"
        fi
        echo "node2_offset = 0.01"
        echo "node2_freq = (sum (* 1e-9 (normal)))"
        echo "node3_start = $((length - 20))"
        for a in 1 2 3; do
            for b in 1 2 3; do
                [ "$a" = "$b" ] || echo "node${a}_delay${b} = $delay"
            done
        done
    } > "$2"
}

tempora_config() { # DIR
    cat << EOF
[[refclock]]
name = "PHC0"
driver = "phc"
device = "/dev/ptp0"

[ptp]
profile = "default"
priority1 = 100

[[port]]
interface = "eth0"
transport = "udp4"
timestamping = "software"

[clock]
kind = "system"

[observability]
socket = "$1/run/tempora.sock"
log-level = "${TEMPORA_LOG_LEVEL:-info}"

# clknetsim's preloaded library makes system calls the filter does not
# allow, and simulates the clock itself: no seccomp, no change of user.
[daemon]
user = "root"
seccomp = false
EOF
}

# ptp4l's [global] section; $1 the lines that differ.
ptp4l_config() {
    printf '[global]\ntime_stamping software\nnetwork_transport UDPv4\nlogSyncInterval 0\n%s\n' "$1"
}

# One simulation: GM (tempora|ptp4l) SEED; writes "rms1 max1 rms2 max2
# rms21" (seconds) to its directory's result file, rms21 the RMS of node 2's
# offset from node 1 (how closely the slave follows its grandmaster).
run_one() {
    local gm=$1 seed=$2 dir="$workdir/$1.$2"
    mkdir -p "$dir/run"
    [ ${#runas[@]} -eq 0 ] || chown nobody:nogroup "$dir"
    write_netconf "$gm" "$dir/net.conf"
    declare -A node_pid=()
    pids=()
    if [ "$gm" = tempora ]; then
        tempora_config "$dir" > "$dir/tempora.toml"
        start_node 1 "$dir" "$seed" "$tempora_bin" daemon -c "$dir/tempora.toml"
    else
        ptp4l_config "priority1 100" > "$dir/ptp4l.1.conf"
        start_node 1 "$dir" "$seed" "$PTP4L" -f "$dir/ptp4l.1.conf" -i eth0 -m -q
    fi
    ptp4l_config "slaveOnly 1" > "$dir/ptp4l.2.conf"
    start_node 2 "$dir" "$seed" "$PTP4L" -f "$dir/ptp4l.2.conf" -i eth0 -m -q
    start_node 3 "$dir" "$seed" "$PMC" -4 -b 0 -i eth0 \
        "GET PARENT_DATA_SET" "GET TIME_PROPERTIES_DATA_SET"
    run_simulation "$dir" "$seed" 2 3 "$length" "$((length - rms_window))" "$gm GM seed $seed" || return 0
    awk -v from=$((length - rms_window)) '
        function abs(x) { return x < 0 ? -x : x }
        NR - 1 > from {
            for (c = 1; c <= 2; c++) { s[c] += $c * $c; if (abs($c) > m[c]) m[c] = abs($c) }
            d += ($2 - $1) * ($2 - $1)
            k++
        }
        END { printf "%.12f %.12f %.12f %.12f %.12f\n", sqrt(s[1] / k), m[1], sqrt(s[2] / k), m[2], sqrt(d / k) }
    ' "$dir/offsets" > "$dir/result"
}

# From pmc's log: "CLASS SOURCE", the grandmasterClockClass and timeSource
# in the answers of a node that is not the grandmaster itself (the
# slave's view of what the grandmaster announced); "- -" when none came.
announced() {
    awk '
        /RESPONSE MANAGEMENT/ { who = $1; sub(/-[0-9]+$/, "", who) }
        $1 == "grandmasterIdentity" { gm[who] = $2 }
        # pmc 3.1.1 names it gm.ClockClass, other versions grandmasterClockClass.
        $1 == "gm.ClockClass" || $1 == "grandmasterClockClass" { class[who] = $2 }
        $1 == "timeSource" { source[who] = $2 }
        END {
            c = "-"; s = "-"
            for (w in class) if (gm[w] != w) { c = class[w]; if (w in source) s = source[w] }
            print c, s
        }
    ' "$1"
}

ns() {
    awk -v x="$1" 'BEGIN { printf "%.1f", x * 1e9 }'
}

# A clock still 10 ms off at the end never synchronised.
unsynchronised() {
    awk -v r="$1" 'BEGIN { exit !(r > 1e-3) }'
}

echo "clknetsim grandmaster from a PHC reference: $("$PTP4L" -v) ptp4l slave, tempora $TEMPORA"
echo "delay each way $delay; reference error (* $jitter (normal)); run $length s;"
echo "RMS and max |offset| over the last $rms_window s, against true time, in ns"
echo "(slave-GM: the RMS of the slave's offset from the Tempora grandmaster's clock)"
printf '%4s  %-26s %-39s %-14s  %-26s\n' "" "Tempora GM (node 1)" "its ptp4l slave (node 2)" "seen by slave" "ptp4l slave behind ptp4l GM"
printf '%4s  %12s %12s  %12s %12s %12s  %5s %8s  %12s %12s\n' seed RMS max RMS max slave-GM class source RMS max
failed=0
start=$SECONDS
for seed in $(seq 1 "$seeds"); do
    run_one tempora "$seed"
    run_one ptp4l "$seed"
    t="$workdir/tempora.$seed/result" p="$workdir/ptp4l.$seed/result"
    if ! [ -s "$t" ] || ! [ -s "$p" ]; then
        failed=1
        continue
    fi
    read -r t1 tm1 t2 tm2 t21 < "$t"
    read -r _ _ p2 pm2 _ < "$p"
    read -r class source < <(announced "$workdir/tempora.$seed/log.3")
    printf '%4s  %12s %12s  %12s %12s %12s  %5s %8s  %12s %12s\n' "$seed" \
        "$(ns "$t1")" "$(ns "$tm1")" "$(ns "$t2")" "$(ns "$tm2")" "$(ns "$t21")" "$class" "$source" \
        "$(ns "$p2")" "$(ns "$pm2")"
    for pair in "Tempora GM:$t1" "its ptp4l slave:$t2" "ptp4l slave behind ptp4l:$p2"; do
        if unsynchronised "${pair##*:}"; then
            echo "clknetsim-gm: seed $seed: ${pair%%:*} never synchronised (logs: --keep DIR)" >&2
            failed=1
        fi
    done
    if [ "$class" != 6 ]; then
        echo "clknetsim-gm: seed $seed: the slave saw Tempora announce clockClass $class, not 6" >&2
        failed=1
    fi
done
echo "wall time $((SECONDS - start)) s"
exit "$failed"

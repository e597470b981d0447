#!/usr/bin/env bash
# Reference clocks under clknetsim: one node disciplined by a simulated
# reference clock, run once with Tempora and once with chronyd (-x is not
# needed: clknetsim simulates the clock), with the same network file and
# seed. clknetsim (https://github.com/mlichvar/clknetsim) simulates the
# reference as the NTP SHM segment 0, /dev/pps0 (PPS_FETCH, the pulse of the
# same reference) and /dev/ptp0 (a PHC on the reference's time), see its
# README (`nodeX_refclock`). Three cases, as chrony's own simulation tests
# pair them:
#
#   shm   refclock SHM 0                    [[refclock]] driver = "shm"
#   pps   SHM 0 noselect + PPS lock SHM0    shm (noselect) + pps, lock = "SHM0"
#   phc   refclock PHC /dev/ptp0            [[refclock]] driver = "phc"
#
# Each prints the RMS and max |offset| of the node's clock against true
# time over the last --rms-window seconds, in ns, per seed.
#
# Usage: CLKNETSIM_PATH=DIR TEMPORA=BIN [CHRONYD=BIN] \
#          tools/clknetsim-refclock.sh [--seeds N] [--length SECS]
#              [--rms-window SECS] [--cases shm,pps,phc] [--jitter SECS]
#              [--keep DIR]
set -euo pipefail

die() {
    echo "clknetsim-refclock: $*" >&2
    exit 2
}
usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; }

seeds=3
length=3000
rms_window=2000
cases=shm,pps,phc
jitter=100e-9
keep=""
while [ $# -gt 0 ]; do
    case $1 in
        --seeds) seeds=${2:?--seeds needs a number}; shift ;;
        --length) length=${2:?--length needs seconds}; shift ;;
        --rms-window) rms_window=${2:?--rms-window needs seconds}; shift ;;
        --cases) cases=${2:?--cases needs a list}; shift ;;
        --jitter) jitter=${2:?--jitter needs seconds}; shift ;;
        --keep) keep=${2:?--keep needs a directory}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
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

clknetsim_workdir clknetsim-refclock
clknetsim_install

# One node, 10 ms and a random-walk frequency off; the reference clock's
# error is white noise of --jitter.
write_netconf() {
    cat > "$1" << EOF
node1_offset = 0.01
node1_freq = (sum (* 1e-9 (normal)))
node1_refclock = (* $jitter (normal))
EOF
}

tempora_config() { # CASE DIR
    case $1 in
        shm) cat << EOF
[[refclock]]
name = "SHM0"
driver = "shm"
segment = 0
EOF
        ;;
        pps) cat << EOF
[[refclock]]
name = "SHM0"
driver = "shm"
segment = 0
noselect = true

[[refclock]]
name = "PPS"
driver = "pps"
device = "/dev/pps0"
lock = "SHM0"
EOF
        ;;
        phc) cat << EOF
[[refclock]]
name = "PHC0"
driver = "phc"
device = "/dev/ptp0"
EOF
        ;;
    esac
    cat << EOF

[clock]
kind = "system"

[observability]
socket = "$2/run/tempora.sock"
log-level = "${TEMPORA_LOG_LEVEL:-info}"

# clknetsim's preloaded library makes system calls the filter does not
# allow, and simulates the clock itself: no seccomp, no change of user.
[daemon]
user = "root"
seccomp = false
EOF
}

chrony_config() { # CASE DIR
    case $1 in
        shm) echo "refclock SHM 0 refid GPS" ;;
        pps) printf 'refclock SHM 0 refid SHM0 noselect\nrefclock PPS /dev/pps0 lock SHM0 refid PPS\n' ;;
        phc) echo "refclock PHC /dev/ptp0 refid PHC" ;;
    esac
    cat << EOF
pidfile $2/chronyd.pid
cmdport 0
bindcmdaddress /clknetsim/unix/chronyd.sock
makestep 1 3
EOF
}

# One simulation: DAEMON (tempora|chronyd) CASE SEED; writes "rms max"
# (seconds) to its directory's result file.
run_one() {
    local daemon=$1 case=$2 seed=$3 dir="$workdir/$2.$1.$3"
    mkdir -p "$dir/run"
    [ ${#runas[@]} -eq 0 ] || chown nobody:nogroup "$dir"
    write_netconf "$dir/net.conf"
    declare -A node_pid=()
    pids=()
    if [ "$daemon" = tempora ]; then
        tempora_config "$case" "$dir" > "$dir/tempora.toml"
        start_node 1 "$dir" "$seed" "$tempora_bin" daemon -c "$dir/tempora.toml"
    else
        chrony_config "$case" "$dir" > "$dir/chrony.conf"
        start_node 1 "$dir" "$seed" "$CHRONYD" -d -f "$dir/chrony.conf"
    fi
    run_simulation "$dir" "$seed" 1 1 "$length" "$((length - rms_window))" "$case $daemon seed $seed" || return 0
    awk -v from=$((length - rms_window)) '
        function abs(x) { return x < 0 ? -x : x }
        NR - 1 > from { s += $1 * $1; if (abs($1) > m) m = abs($1); k++ }
        END { printf "%.12f %.12f\n", sqrt(s / k), m }
    ' "$dir/offsets" > "$dir/result"
}

ns() {
    awk -v x="$1" 'BEGIN { printf "%.1f", x * 1e9 }'
}

echo "clknetsim reference clocks: chronyd $("$CHRONYD" --version 2>&1 | awk '{ print $4; exit }'), tempora $TEMPORA"
echo "reference error (* $jitter (normal)); run $length s; RMS and max |offset| over the last $rms_window s, against true time, in ns"
printf '%-5s %4s  %14s %12s  %14s %12s\n' case seed "Tempora RMS" "Tempora max" "chronyd RMS" "chronyd max"
failed=0
start=$SECONDS
for case in ${cases//,/ }; do
    case $case in shm|pps|phc) ;; *) die "unknown case $case (shm, pps, phc)" ;; esac
    for seed in $(seq 1 "$seeds"); do
        run_one tempora "$case" "$seed"
        run_one chronyd "$case" "$seed"
        t="$workdir/$case.tempora.$seed/result" c="$workdir/$case.chronyd.$seed/result"
        if ! [ -s "$t" ] || ! [ -s "$c" ]; then
            failed=1
            continue
        fi
        read -r tr tm < "$t"
        read -r cr cm < "$c"
        printf '%-5s %4s  %14s %12s  %14s %12s\n' "$case" "$seed" \
            "$(ns "$tr")" "$(ns "$tm")" "$(ns "$cr")" "$(ns "$cm")"
        # The node starts 10 ms off: one still that far never synchronised.
        if awk -v r="$tr" 'BEGIN { exit !(r > 1e-3) }'; then
            echo "clknetsim-refclock: $case seed $seed: Tempora never synchronised (logs: --keep DIR)" >&2
            failed=1
        fi
    done
done
echo "wall time $((SECONDS - start)) s"
exit "$failed"

#!/usr/bin/env bash
# NTP client start-up under clknetsim: chronyd and Tempora side by side.
#
# Each simulation has NTP servers (chronyd, `local stratum 1`) and two
# clients that start 10 ms and 10 ppm off (plus a random-walk frequency):
# chronyd and Tempora's daemon. clknetsim logs every node's offset from
# true time once a simulated second; from that log, per client:
#   worst  = max |offset| over t in [60 s, 600 s] (after start-up)
#   RMS    = RMS offset over the last RMS_WINDOW seconds of the run.
#
# Cases (issue 12):
#   A  three servers on a LAN, delay 100 us + exp(20 us) each way, 16 s polls
#      (minpoll = maxpoll = 4); the first-listed server is 5 ms off (a liar).
#   B  one server over a WAN, delay 10 ms + exp(2 ms) each way, 64 s polls
#      (minpoll = maxpoll = 6).
#
# Usage: TEMPORA=/path/to/tempora CLKNETSIM_PATH=/path/to/clknetsim \
#          tools/clknetsim-startup.sh [--quick] [--seeds N] [--cases A,B]
#              [--length SECS] [--rms-window SECS] [--keep DIR] [--tsv FILE]
#   default     seeds 1..5, runs of 20000 s, RMS over the last 15000 s
#   --quick     seeds 1..2, runs of 3000 s, RMS over the last 2000 s
#   --keep DIR  copy every configuration, log and offset log to DIR
#   --tsv FILE  also write the numbers (seconds) as tab-separated values
#   CLKNETSIM_PATH  a built clknetsim checkout (clknetsim and clknetsim.so)
#   TEMPORA         the tempora binary under test
#   CHRONYD         chronyd (default: chronyd from PATH or /usr/sbin/chronyd)
# See docs/clknetsim.md, section "Start-up".
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

die() {
    echo "clknetsim-startup: $*" >&2
    exit 1
}

seeds=""
cases="A,B"
length=""
rms_window=""
quick=0
keep=""
tsv=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --seeds) seeds=${2:?--seeds needs a number}; shift ;;
        --cases) cases=${2:?--cases needs e.g. A,B}; shift ;;
        --length) length=${2:?--length needs seconds}; shift ;;
        --rms-window) rms_window=${2:?--rms-window needs seconds}; shift ;;
        --keep) keep=${2:?--keep needs a directory}; shift ;;
        --tsv) tsv=${2:?--tsv needs a file}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done

if [ "$quick" -eq 1 ]; then
    : "${seeds:=2}" "${length:=3000}" "${rms_window:=2000}"
else
    : "${seeds:=5}" "${length:=20000}" "${rms_window:=15000}"
fi
[[ $seeds =~ ^[1-9][0-9]*$ ]] || die "--seeds: not a positive number: $seeds"
[[ $length =~ ^[0-9]+$ ]] && [ "$length" -ge 700 ] || die "--length must be >= 700 s"
[[ $rms_window =~ ^[0-9]+$ ]] && [ "$rms_window" -ge 1 ] && [ "$rms_window" -lt "$length" ] ||
    die "--rms-window must be between 1 and --length - 1"

[ -n "${CLKNETSIM_PATH:-}" ] ||
    die "CLKNETSIM_PATH is not set: build clknetsim (https://github.com/mlichvar/clknetsim, 'make SHELL=/bin/bash') and point CLKNETSIM_PATH at it"
[ -x "$CLKNETSIM_PATH/clknetsim" ] && [ -f "$CLKNETSIM_PATH/clknetsim.so" ] ||
    die "no clknetsim and clknetsim.so in CLKNETSIM_PATH=$CLKNETSIM_PATH (run make there)"
[ -n "${TEMPORA:-}" ] ||
    die "TEMPORA is not set: the tempora binary to test (cargo build --release --bin tempora)"
[ -x "$TEMPORA" ] || die "TEMPORA=$TEMPORA is not an executable"
if [ -z "${CHRONYD:-}" ]; then
    CHRONYD=$(command -v chronyd || true)
    [ -n "$CHRONYD" ] || CHRONYD=/usr/sbin/chronyd
fi
[ -x "$CHRONYD" ] || die "chronyd not found (apt-get install chrony, or set CHRONYD)"
command -v awk > /dev/null || die "awk is needed"

workdir=$(mktemp -d /tmp/clknetsim-startup.XXXXXX)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2> /dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2> /dev/null || true
    done
    if [ -n "$keep" ]; then
        mkdir -p "$keep" && cp -r "$workdir"/. "$keep"/ && echo "logs kept in $keep" >&2
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=tools/clknetsim-lib.sh
. "$(dirname "$0")/clknetsim-lib.sh"
clknetsim_install

# clknetsim's generated configuration for one case.
#   $1 file, $2 number of servers, $3 delay expression (each way),
#   $4 offset of server 1 (the liar, or 0). Clients are the last two nodes.
write_netconf() {
    local file=$1 nservers=$2 delay=$3 liar=$4 s c
    {
        echo "node1_offset = $liar"
        for c in $((nservers + 1)) $((nservers + 2)); do
            echo "node${c}_offset = 0.01"
            echo "node${c}_freq = (+ 1e-5 (sum (* 1e-9 (normal))))"
            for s in $(seq 1 "$nservers"); do
                echo "node${c}_delay${s} = $delay"
                echo "node${s}_delay${c} = $delay"
            done
        done
    } > "$file"
}

# chronyd's file for node $1 (the lines clknetsim.bash writes for chronyd,
# then $2).
write_chrony_conf() {
    local node=$1 body=$2 dir=$3
    cat > "$dir/chrony.$node.conf" <<EOF
pidfile $dir/chronyd.$node.pid
allow
cmdallow
bindcmdaddress 0.0.0.0
bindcmdaddress /clknetsim/unix/chronyd.sock
$body
EOF
}

# Tempora's client file: $1 file, $2 poll exponent, $3.. server addresses.
# The control socket gets a real path in the work directory: the daemon
# creates its directory with mkdir(2) and stat(2) calls that clknetsim
# passes through (a path under /clknetsim/unix/ would make it create
# /clknetsim on the host, or fail as nobody); clknetsim fakes the socket.
write_tempora_conf() {
    local file=$1 poll=$2 addr
    shift 2
    {
        for addr in "$@"; do
            cat <<EOF
[[ntp-source]]
address = "$addr"
iburst = true
minpoll = $poll
maxpoll = $poll

EOF
        done
        cat <<EOF
[clock]
kind = "system"

[observability]
socket = "${file%/*}/run/tempora.sock"
log-level = "${TEMPORA_LOG_LEVEL:-info}"

# clknetsim's preloaded library makes system calls the filter does not
# allow, and simulates the clock itself: no seccomp, no change of user.
[daemon]
user = "root"
seccomp = false
EOF
    } > "$file"
}

# Run one case with one seed; writes "worst_chronyd worst_tempora
# rms_chronyd rms_tempora" (seconds) to $dir/result, or nothing when a
# node ended early or clknetsim failed.
run_case() {
    local case=$1 seed=$2 dir="$workdir/$1.$2"
    local nservers delay poll liar addrs=() servers="" n c chrony_node tempora_node
    case $case in
        A) nservers=3; delay="(+ 100e-6 (* 20e-6 (exponential)))"; poll=4; liar=0.005 ;;
        B) nservers=1; delay="(+ 10e-3 (* 2e-3 (exponential)))"; poll=6; liar=0 ;;
        *) die "unknown case $case" ;;
    esac
    mkdir -p "$dir/run"
    [ ${#runas[@]} -eq 0 ] || chown nobody:nogroup "$dir"
    # The control socket's directory stays root's: the daemon (which
    # clknetsim tells it runs as root) refuses one owned by another user.
    chrony_node=$((nservers + 1))
    tempora_node=$((nservers + 2))
    write_netconf "$dir/net.conf" "$nservers" "$delay" "$liar"

    for n in $(seq 1 "$nservers"); do
        addrs+=("192.168.123.$n")
        servers+="server 192.168.123.$n iburst minpoll $poll maxpoll $poll"$'\n'
        write_chrony_conf "$n" "local stratum 1" "$dir"
    done
    # Debian's chrony.conf: makestep 1 3, maxupdateskew 100.0 (no driftfile,
    # so chronyd starts from frequency 0 as Tempora does).
    write_chrony_conf "$chrony_node" "${servers}makestep 1 3
maxupdateskew 100.0" "$dir"
    write_tempora_conf "$dir/tempora.toml" "$poll" "${addrs[@]}"

    declare -A node_pid=()
    pids=()
    for n in $(seq 1 "$chrony_node"); do
        start_node "$n" "$dir" "$seed" "$CHRONYD" -d -f "$dir/chrony.$n.conf"
    done
    start_node "$tempora_node" "$dir" "$seed" "$tempora_bin" daemon -c "$dir/tempora.toml"

    run_simulation "$dir" "$seed" 2 "$tempora_node" "$length" "$((length - rms_window))" \
        "case $case seed $seed" || return 0

    # Line k of the offset log is simulated time k - 1 s (0 to the run's
    # length); column n is node n.
    awk -v a="$chrony_node" -v b="$tempora_node" -v from=$((length - rms_window)) '
        function abs(x) { return x < 0 ? -x : x }
        { t = NR - 1 }
        t >= 60 && t <= 600 {
            if (abs($a) > wa) wa = abs($a)
            if (abs($b) > wb) wb = abs($b)
        }
        t > from { sa += $a * $a; sb += $b * $b; k++ }
        END { printf "%.9f %.9f %.9f %.9f\n", wa, wb, sqrt(sa / k), sqrt(sb / k) }
    ' "$dir/offsets" > "$dir/result"
}

us() {
    awk -v x="$1" 'BEGIN { printf "%.1f", x * 1e6 }'
}

echo "clknetsim start-up: chronyd $("$CHRONYD" --version 2>&1 | awk '{ print $4; exit }'), tempora $TEMPORA"
echo "run length $length s, worst |offset| over 60..600 s, RMS over the last $rms_window s; offsets against true time, in us"
printf '%-4s %4s  %14s %14s  %12s %12s\n' case seed "chronyd worst" "Tempora worst" "chronyd RMS" "Tempora RMS"
[ -z "$tsv" ] || printf 'case\tseed\tchronyd_worst_s\ttempora_worst_s\tchronyd_rms_s\ttempora_rms_s\n' > "$tsv"
declare -A lo hi
failed=0
start=$SECONDS
for case in ${cases//,/ }; do
    for seed in $(seq 1 "$seeds"); do
        run_case "$case" "$seed"
        if ! [ -s "$workdir/$case.$seed/result" ]; then
            failed=1
            continue
        fi
        read -r wa wb ra rb < "$workdir/$case.$seed/result"
        printf '%-4s %4s  %14s %14s  %12s %12s\n' "$case" "$seed" \
            "$(us "$wa")" "$(us "$wb")" "$(us "$ra")" "$(us "$rb")"
        [ -z "$tsv" ] || printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$case" "$seed" "$wa" "$wb" "$ra" "$rb" >> "$tsv"
        for k in wa wb ra rb; do
            v=${!k}
            if [ -z "${lo[$case$k]:-}" ] || awk -v v="$v" -v m="${lo[$case$k]}" 'BEGIN { exit !(v < m) }'; then
                lo[$case$k]=$v
            fi
            if [ -z "${hi[$case$k]:-}" ] || awk -v v="$v" -v m="${hi[$case$k]}" 'BEGIN { exit !(v > m) }'; then
                hi[$case$k]=$v
            fi
        done
    done
done
echo "ranges over seeds (min-max, us):"
for case in ${cases//,/ }; do
    [ -n "${lo[${case}wa]:-}" ] || continue
    printf '%-4s %4s  %14s %14s  %12s %12s\n' "$case" all \
        "$(us "${lo[${case}wa]}")-$(us "${hi[${case}wa]}")" \
        "$(us "${lo[${case}wb]}")-$(us "${hi[${case}wb]}")" \
        "$(us "${lo[${case}ra]}")-$(us "${hi[${case}ra]}")" \
        "$(us "${lo[${case}rb]}")-$(us "${hi[${case}rb]}")"
done
echo "wall time $((SECONDS - start)) s"
exit "$failed"

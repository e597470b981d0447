#!/usr/bin/env bash
# Client-server PTP (CSPTP) against ntpd-rs 2.0-alpha, live, in network
# namespaces joined by a veth pair (issue 15, "Interop and measurements").
#
# ntpd-rs is not in any package registry and this script never builds it:
# point NTPD_RS at its ntp-daemon (cargo build --release -p ntpd in its own
# checkout; see docs/csptp.md). Without NTPD_RS the script says so and exits 0.
#
# Parts (--parts, comma-separated; default ntpdrs,client,server):
#   ntpdrs  ntpd-rs CSPTP client -> ntpd-rs CSPTP server (the baseline; shows
#           the ntpd-rs server answering only its first request)
#   client  Tempora CSPTP client ([[csptp-source]], virtual clock started
#           5 ms and 20 ppm off) -> ntpd-rs CSPTP server
#   server  ntpd-rs CSPTP client -> Tempora [csptp-server] (virtual clock
#           on the system clock's time, so the true offset is 0)
#   tempora Tempora client -> Tempora server, the same two configurations:
#           the reference for the part client
# Server 10.212.0.1 (namespace ...-s), client 10.212.0.2 (...-c).
#
# Recorded per part: requests and answers on the wire (tcpdump, if installed),
# ntpd-rs's log (its Kalman "Offset: X+-Yms" lines, ntp-ctl status), Tempora's
# `tempora status --json` once a second (error_vs_system_ns: the virtual
# clock's true error against the system clock, and the CSPTP source's
# counters). A summary with the numbers is printed at the end.
#
# ntpd-rs insists on steering the clock. It only ever runs here as
#   setpriv --bounding-set=-sys_time env LD_PRELOAD=noadj.so ntp-daemon ...
# (../shared/tools/noadj.c turns clock adjustments into no-ops), and the
# script checks the running process's bounding set and mappings before
# going on; Tempora runs on virtual clocks only.
#
# Usage: NTPD_RS=/path/to/ntp-daemon [TEMPORA=/path/to/tempora] \
#          tools/csptp-ntpd-rs.sh [--parts ntpdrs,client,server]
#              [--duration SECS] [--keep DIR]
#   --duration  seconds each part runs (default 90; statistics over the
#               part after the first third)
#   --keep DIR  copy configurations, logs, captures and status samples to DIR
#   NTPD_RS     ntpd-rs's ntp-daemon binary (required; else: skipped)
#   NTPD_RS_SERVER  the ntp-daemon for the server role in the parts ntpdrs
#               and client (default NTPD_RS; e.g. one built with a fix)
#   NTP_CTL     ntpd-rs's ntp-ctl (default: next to NTPD_RS, optional)
#   TEMPORA     the tempora binary (default target/release/tempora; needed for
#               the parts client and server, which are skipped without it)
#   NOADJ       a built noadj.so (default: built from ../shared/tools/noadj.c
#               with cc into the work directory)
# Needs root (ip netns), ip, setpriv; tcpdump and python3 are optional.
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}
skip() {
    echo "csptp-ntpd-rs: SKIPPED: $*"
    exit 0
}
die() {
    echo "csptp-ntpd-rs: $*" >&2
    exit 1
}

parts="ntpdrs,client,server"
duration=90
keep=""
while [ $# -gt 0 ]; do
    case "$1" in
        --parts) parts=${2:?--parts needs e.g. ntpdrs,client}; shift ;;
        --duration) duration=${2:?--duration needs seconds}; shift ;;
        --keep) keep=${2:?--keep needs a directory}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done
[[ $duration =~ ^[0-9]+$ ]] && [ "$duration" -ge 15 ] || die "--duration must be >= 15 s"
for p in ${parts//,/ }; do
    case "$p" in ntpdrs|client|server|tempora) ;; *) die "unknown part: $p" ;; esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
[ -n "${NTPD_RS:-}" ] ||
    skip "NTPD_RS is not set: ntpd-rs 2.0-alpha's ntp-daemon is needed (build it from its own sources, see docs/csptp.md; this script does not build it)"
[ -x "$NTPD_RS" ] || skip "NTPD_RS=$NTPD_RS is not an executable file"
[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
command -v ip > /dev/null || skip "needs ip (iproute2)"
command -v setpriv > /dev/null || skip "needs setpriv (util-linux): ntpd-rs never runs without it"
NTPD_RS_SERVER=${NTPD_RS_SERVER:-$NTPD_RS}
[ -x "$NTPD_RS_SERVER" ] || die "NTPD_RS_SERVER=$NTPD_RS_SERVER is not an executable file"
NTP_CTL=${NTP_CTL:-$(dirname "$NTPD_RS")/ntp-ctl}
TEMPORA=${TEMPORA:-$root/target/release/tempora}
have_tempora=1
[ -x "$TEMPORA" ] || have_tempora=0

work=$(mktemp -d /tmp/csptp-ntpd-rs.XXXXXX)
tag="cn$$"
ns_s="$tag-s"
ns_c="$tag-c"
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2> /dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2> /dev/null || true
    done
    ip netns del "$ns_s" 2> /dev/null || true
    ip netns del "$ns_c" 2> /dev/null || true
    if [ -n "$keep" ]; then
        mkdir -p "$keep" && cp -r "$work"/. "$keep"/ && echo "logs kept in $keep" >&2
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# noadj.so: given, or built from the shared source. Never run ntpd-rs without it.
if [ -n "${NOADJ:-}" ]; then
    [ -f "$NOADJ" ] || die "NOADJ=$NOADJ does not exist"
    noadj=$(cd "$(dirname "$NOADJ")" && pwd)/$(basename "$NOADJ")
else
    src="$root/../shared/tools/noadj.c"
    [ -f "$src" ] || die "no NOADJ and no $src: ntpd-rs must not run without noadj.so"
    command -v cc > /dev/null || die "no NOADJ and no cc to build $src"
    cc -shared -fPIC -O2 -o "$work/noadj.so" "$src" -ldl || die "building noadj.so failed"
    noadj=$work/noadj.so
fi

ip netns add "$ns_s"
ip netns add "$ns_c"
ip link add "${tag}s" type veth peer name "${tag}c"
ip link set "${tag}s" netns "$ns_s"
ip link set "${tag}c" netns "$ns_c"
ip -n "$ns_s" addr add 10.212.0.1/24 dev "${tag}s"
ip -n "$ns_c" addr add 10.212.0.2/24 dev "${tag}c"
for n in "$ns_s" "$ns_c"; do
    ip -n "$n" link set lo up
done
ip -n "$ns_s" link set "${tag}s" up
ip -n "$ns_c" link set "${tag}c" up

# ntpd-rs's configurations: $1 = server|client, $2 = file.
ntpdrs_conf() {
    local role=$1 file=$2
    {
        echo "[observability]"
        echo "log-level = \"info\""
        echo "ansi-colors = false"
        echo "observation-path = \"$work/ntpdrs-$role.sock\""
        echo "metrics-exporter-listen = \"127.0.0.1:0\""
        echo
        if [ "$role" = server ]; then
            echo "[[csptp-server]]"
            echo "interface = \"any\""
        else
            echo "[synchronization]"
            echo "minimum-agreeing-sources = 1"
            echo
            echo "[[source]]"
            echo "mode = \"csptp\""
            echo "address = \"10.212.0.1\""
            echo "poll_interval = 1"
        fi
    } > "$file"
}

# Starts ntpd-rs in namespace $1 with configuration $2, log $3 (binary $4,
# default NTPD_RS); sets $started.
# Refuses to go on unless the process cannot set the time (no CAP_SYS_TIME in
# its bounding set) and has noadj.so mapped.
start_ntpdrs() {
    local ns=$1 cfg=$2 log=$3 binary=${4:-$NTPD_RS} pid capbnd
    ip netns exec "$ns" setpriv --bounding-set=-sys_time \
        env LD_PRELOAD="$noadj" NO_COLOR=1 "$binary" -c "$cfg" > "$log" 2>&1 &
    pid=$!
    pids+=("$pid")
    sleep 0.5
    [ -r "/proc/$pid/status" ] || die "ntpd-rs exited at once: $(cat "$log")"
    capbnd=$(awk '/^CapBnd:/ {print $2}' "/proc/$pid/status")
    if (((0x$capbnd >> 25) & 1)); then
        kill "$pid"
        die "ntpd-rs runs with CAP_SYS_TIME in its bounding set ($capbnd): stopped"
    fi
    if ! grep -q "$(basename "$noadj")" "/proc/$pid/maps"; then
        kill "$pid"
        die "noadj.so is not loaded into ntpd-rs: stopped"
    fi
    started=$pid
}

# Starts tempora in namespace $1 with configuration $2, log $3; sets $started.
start_tempora() {
    local ns=$1 cfg=$2 log=$3
    ip netns exec "$ns" "$TEMPORA" daemon -c "$cfg" > "$log" 2>&1 &
    started=$!
    pids+=("$started")
}

stop() {
    kill "$1" 2> /dev/null || true
    wait "$1" 2> /dev/null || true
}

# Capture on the server's veth: $1 = pcap file; sets $started (or 0).
start_capture() {
    started=0
    command -v tcpdump > /dev/null || return 0
    ip netns exec "$ns_s" tcpdump -i "${tag}s" -nn -U -w "$1" 'udp port 319 or udp port 320' \
        2> /dev/null &
    started=$!
    pids+=("$started")
    sleep 1
}

# Requests and answers in capture $1: prints "requests answers followups".
count_wire() {
    local pcap=$1
    if [ ! -s "$pcap" ]; then
        echo "- - -"
        return
    fi
    tcpdump -nn -r "$pcap" 2> /dev/null | awk '
        / 10\.212\.0\.2\.[0-9]+ > 10\.212\.0\.1\.319:/ { req++ }
        / 10\.212\.0\.1\.319 > 10\.212\.0\.2\.[0-9]+:/ { ans++ }
        / 10\.212\.0\.1\.320 > 10\.212\.0\.2\.[0-9]+:/ { fu++ }
        END { printf "%d %d %d\n", req, ans, fu }'
}

# ntpd-rs Kalman offsets (ms) in log $1 after the first $2 lines' time:
# prints "n mean_us rms_us max_abs_us" over the lines after the first third.
ntpdrs_offsets() {
    awk -v skip_frac=0.34 '
        /ntp_proto::algorithm::kalman: Offset: / {
            s = $0; sub(/.*Offset: /, "", s); sub(/\+-.*/, "", s); v[n++] = s * 1000.0
        }
        END {
            if (n == 0) { print "0 - - -"; exit }
            first = int(n * skip_frac); m = 0; sum = 0; sq = 0; mx = 0
            for (i = first; i < n; i++) { m++; sum += v[i]; sq += v[i] * v[i]; a = v[i] < 0 ? -v[i] : v[i]; if (a > mx) mx = a }
            printf "%d %.2f %.2f %.2f\n", n, sum / m, sqrt(sq / m), mx
        }' "$1"
}

summary=()

part_ntpdrs() {
    local d=$work/ntpdrs cap srv cli wire offs
    mkdir -p "$d"
    ntpdrs_conf server "$d/server.toml"
    ntpdrs_conf client "$d/client.toml"
    start_capture "$d/wire.pcap"
    cap=$started
    start_ntpdrs "$ns_s" "$d/server.toml" "$d/server.log" "$NTPD_RS_SERVER"
    srv=$started
    sleep 1
    start_ntpdrs "$ns_c" "$d/client.toml" "$d/client.log"
    cli=$started
    sleep "$duration"
    if [ -x "$NTP_CTL" ]; then
        ip netns exec "$ns_c" "$NTP_CTL" -c "$d/client.toml" status > "$d/ntp-ctl-status.txt" 2>&1 || true
    fi
    stop "$cli"
    stop "$srv"
    [ "$cap" -eq 0 ] || stop "$cap"
    read -r req ans fu <<< "$(count_wire "$d/wire.pcap")"
    read -r n mean rms mx <<< "$(ntpdrs_offsets "$d/client.log")"
    summary+=("ntpdrs  ntpd-rs client -> ntpd-rs server, ${duration} s: requests $req, Sync answers $ans, Follow_Ups $fu; client Kalman offset lines $n (last two thirds: mean $mean us, RMS $rms us, max |.| $mx us)")
    if [ "$ans" != "-" ] && [ "$req" -gt 1 ] && [ "$ans" -le 1 ]; then
        summary+=("        the ntpd-rs server answered $ans of $req requests (its socket layer stops reading port 319 after the first exchange: docs/csptp.md)")
    fi
}

# Tempora's configuration: $1 = server|client, $2 = file, $3 = control socket.
tempora_conf() {
    local role=$1 file=$2 sock=$3
    {
        echo "[clock]"
        echo "kind = \"virtual\""
        if [ "$role" = server ]; then
            # ntpd-rs's client takes every response as TAI and subtracts
            # 37 s whatever the flags say: Tempora's CSPTP server serves the
            # PTP timescale by itself, even on this ARB virtual clock.
            echo
            echo "[csptp-server]"
            echo "listen = [\"10.212.0.1\"]"
        else
            echo "initial-offset = \"5ms\""
            echo "frequency-offset-ppm = 20.0"
            echo
            echo "[[csptp-source]]"
            echo "address = \"10.212.0.1\""
            echo "poll = 0"
        fi
        echo
        echo "[observability]"
        echo "socket = \"$sock\""
        echo
        echo "[daemon]"
        echo "user = \"root\""
    } > "$file"
}

# `tempora status --json` of the daemon at socket $2 in namespace $1, once a
# second for $3 seconds, one line each, into $4.
sample_status() {
    local ns=$1 sock=$2 secs=$3 out=$4 i
    for ((i = 0; i < secs; i++)); do
        ip netns exec "$ns" "$TEMPORA" status --json --socket "$sock" 2> /dev/null |
            tr -d '\n' >> "$out" || true
        echo >> "$out"
        sleep 1
    done
}

# From status lines $1 (python3): the true error of the virtual clock and the
# first CSPTP source's counters, over the lines after the first third.
tempora_client_numbers() {
    if ! command -v python3 > /dev/null; then
        echo "(no python3: see the status lines in --keep DIR)"
        return 0
    fi
    python3 - "$1" << 'EOF'
import json, math, sys
rows = []
for line in open(sys.argv[1]):
    try:
        rows.append(json.loads(line))
    except ValueError:
        pass
if not rows:
    print("no status")
    sys.exit()
tail = rows[len(rows) // 3:]
err = [r["error_vs_system_ns"] for r in tail if r.get("error_vs_system_ns") is not None]
src = (rows[-1].get("csptp_sources") or [{}])[0]
off = [r["csptp_sources"][0]["offset_ns"] for r in tail
       if r.get("csptp_sources") and r["csptp_sources"][0].get("offset_ns") is not None]
def stats(v):
    if not v:
        return "none"
    rms = math.sqrt(sum(x * x for x in v) / len(v))
    return "mean %.0f ns, RMS %.0f ns, max |.| %.0f ns (%d samples)" % (
        sum(v) / len(v), rms, max(abs(x) for x in v), len(v))
print("true error (error_vs_system_ns): %s; source offset_ns: %s; requests %s, samples %s, "
      "timeouts %s, dropped %s, system peer %s" % (
          stats(err), stats(off), src.get("requests"), src.get("samples"), src.get("timeouts"),
          json.dumps(src.get("dropped", {})), src.get("system_peer")))
EOF
}

# A Tempora client against $1 = ntpdrs | tempora as the server.
run_tempora_client() {
    local kind=$1 d=$work/client-$1 cap srv cli req ans fu label
    mkdir -p "$d"
    tempora_conf client "$d/tempora-client.toml" "$d/tempora-client.sock"
    start_capture "$d/wire.pcap"
    cap=$started
    if [ "$kind" = ntpdrs ]; then
        ntpdrs_conf server "$d/ntpdrs-server.toml"
        start_ntpdrs "$ns_s" "$d/ntpdrs-server.toml" "$d/ntpdrs-server.log" "$NTPD_RS_SERVER"
        label="client  Tempora client -> ntpd-rs server"
    else
        tempora_conf server "$d/tempora-server.toml" "$d/tempora-server.sock"
        start_tempora "$ns_s" "$d/tempora-server.toml" "$d/tempora-server.log"
        label="tempora Tempora client -> Tempora server (reference)"
    fi
    srv=$started
    sleep 1
    start_tempora "$ns_c" "$d/tempora-client.toml" "$d/tempora-client.log"
    cli=$started
    sample_status "$ns_c" "$d/tempora-client.sock" "$duration" "$d/status.jsonl"
    stop "$cli"
    stop "$srv"
    [ "$cap" -eq 0 ] || stop "$cap"
    read -r req ans fu <<< "$(count_wire "$d/wire.pcap")"
    summary+=("$label, ${duration} s: requests $req, Sync answers $ans, Follow_Ups $fu")
    summary+=("        $(tempora_client_numbers "$d/status.jsonl")")
}

part_client() {
    run_tempora_client ntpdrs
}

part_tempora() {
    run_tempora_client tempora
}

part_server() {
    local d=$work/server cap srv cli req ans fu n mean rms mx counters
    mkdir -p "$d"
    tempora_conf server "$d/tempora-server.toml" "$d/tempora-server.sock"
    ntpdrs_conf client "$d/ntpdrs-client.toml"
    start_capture "$d/wire.pcap"
    cap=$started
    start_tempora "$ns_s" "$d/tempora-server.toml" "$d/tempora-server.log"
    srv=$started
    sleep 2
    start_ntpdrs "$ns_c" "$d/ntpdrs-client.toml" "$d/ntpdrs-client.log"
    cli=$started
    sleep "$duration"
    if [ -x "$NTP_CTL" ]; then
        ip netns exec "$ns_c" "$NTP_CTL" -c "$d/ntpdrs-client.toml" status > "$d/ntp-ctl-status.txt" 2>&1 || true
    fi
    ip netns exec "$ns_s" "$TEMPORA" status --json --socket "$d/tempora-server.sock" \
        > "$d/server-status.json" 2> /dev/null || true
    stop "$cli"
    stop "$srv"
    [ "$cap" -eq 0 ] || stop "$cap"
    read -r req ans fu <<< "$(count_wire "$d/wire.pcap")"
    read -r n mean rms mx <<< "$(ntpdrs_offsets "$d/ntpdrs-client.log")"
    counters=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])).get("csptp_server")))' \
        "$d/server-status.json" 2> /dev/null || echo "?")
    summary+=("server  ntpd-rs client -> Tempora server (true offset 0), ${duration} s: requests $req, Sync answers $ans, Follow_Ups $fu")
    summary+=("        ntpd-rs Kalman offset lines $n (last two thirds: mean $mean us, RMS $rms us, max |.| $mx us); Tempora server counters $counters")
}

main() {
    echo "csptp-ntpd-rs: ntpd-rs $("$NTPD_RS" -v 2>&1 | head -n1), parts $parts, ${duration} s each, work dir $work" >&2
    for p in ${parts//,/ }; do
        case "$p" in
            ntpdrs) part_ntpdrs ;;
            client | server | tempora)
                if [ "$have_tempora" -eq 0 ]; then
                    summary+=("$p  skipped: no tempora binary at $TEMPORA (set TEMPORA)")
                else
                    "part_$p"
                fi
                ;;
        esac
    done
    echo
    echo "== CSPTP with ntpd-rs: summary"
    printf '%s\n' "${summary[@]}"
}

main

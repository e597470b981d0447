#!/usr/bin/env bash
# CSPTP server throughput and memory, beside the NTP server of the same
# daemon: one Tempora daemon per worker setting (workers = 0: the timing
# loop answers; workers = 2: two SO_REUSEPORT worker loops), each serving
# NTP and CSPTP on the loopback of a private network namespace. Each round
# drives the NTP server with tempora-ntp-load and the CSPTP server with
# tempora-csptp-load, closed loop, for the same number of requests, and
# prints one JSON line per server: replies per second and the daemon's CPU
# time per reply (utime + stime of all its threads, /proc/PID/stat); then
# the medians. Then memory: a third daemon with the per-client rate limiter
# on answers ADDRESSES requests, each from a distinct source address of
# 127.16.0.0/12 (loopback binds any of 127.0.0.0/8), and its VmRSS before
# and after (and VmHWM) is printed: a stateless server does not grow.
# A benchmark, not a test: numbers go to docs/csptp.md by hand.
#
#   sudo tools/csptp-bench.sh [REQUESTS] [ROUNDS]     (ADDRESSES=1000000)
set -euo pipefail

requests=${1:-400000}
rounds=${2:-3}
addresses=${ADDRESSES:-1000000}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin tempora --bin tempora-ntp-load \
    --bin tempora-csptp-load
bin=${CARGO_TARGET_DIR:-$root/target}/release
work=$(mktemp -d)
chmod 700 "$work"
ns=csptpbench$$
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up

daemon() { # name workers csptp-address ntp-port rate-limit
    cat >"$work/$1.toml" <<CONF
[clock]
kind = "system"

[ntp-server]
listen = ["127.0.0.1:$4"]
local-stratum = 1
workers = $2

[csptp-server]
listen = ["$3"]
workers = $2
rate-limit = $5

[observability]
socket = "$work/$1.sock"
log-level = "warn"
CONF
    ip netns exec "$ns" "$bin/tempora" daemon -c "$work/$1.toml" >"$work/$1.log" 2>&1 &
    pids+=($!)
}
daemon w0 0 127.0.0.1 11130 false
daemon w2 2 127.0.0.2 11132 false
daemon rl 2 127.0.0.3 11133 true
sleep 2
pid_of() { pgrep -f "tempora daemon -c $work/$1.toml" | head -n1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

results=$work/results.jsonl
run() { # name pid round load-command...
    local name=$1 pid=$2 round=$3 before after out
    shift 3
    before=$(cpu_ticks "$pid")
    out=$(ip netns exec "$ns" "$@")
    after=$(cpu_ticks "$pid")
    python3 - "$name" "$out" "$before" "$after" "$hz" "$round" <<'PY' | tee -a "$results"
import json, sys
name, out, before, after, hz = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
cpu = (after - before) / hz
replies = out["replies"]
secs = out.get("sending_s") or out.get("elapsed_s")
print(json.dumps({
    "round": int(sys.argv[6]), "server": name, "requests": out["sent"], "replies": replies,
    "lost": out["lost"], "replies_per_s": round(replies / secs) if secs else 0,
    "server_cpu_s": round(cpu, 3),
    "cpu_us_per_reply": round(cpu * 1e6 / replies, 2) if replies else None,
}))
PY
}

for r in $(seq "$rounds"); do
    for w in 0 2; do
        pid=$(pid_of "w$w")
        run "ntp-workers-$w" "$pid" "$r" "$bin/tempora-ntp-load" "127.0.0.1:1113$w" --count "$requests" \
            --window 256 --sockets 8 --wait 0
        run "csptp-workers-$w" "$pid" "$r" "$bin/tempora-csptp-load" "127.0.0.$((w / 2 + 1)):319" \
            --count "$requests" --window 32 --sockets 16
    done
done

python3 - "$results" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
print()
print("| server | replies per second | CPU per reply (µs) |")
print("|---|---:|---:|")
for name in ["ntp-workers-0", "csptp-workers-0", "ntp-workers-2", "csptp-workers-2"]:
    mine = [r for r in runs if r["server"] == name]
    rate = statistics.median(r["replies_per_s"] for r in mine)
    per = [r["cpu_us_per_reply"] for r in mine if r["cpu_us_per_reply"]]
    per = f"{statistics.median(per):.2f}" if per else "-"
    print(f"| {name} | {rate:,.0f} | {per} |")
PY

rl=$(pid_of rl)
rss() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$rl/status"; }
echo
echo "memory (rate limiter on): VmRSS before $(rss VmRSS) kB"
# Twice: the second million (127.16.0.0/12 holds 1,048,576 addresses, so
# mostly the same ones again) shows whether anything still grows.
for pass in 1 2; do
    ip netns exec "$ns" "$bin/tempora-csptp-load" 127.0.0.3:319 --count "$addresses" \
        --sources 127.16.0.0/12 --per-source 1 >/dev/null
    echo "memory (rate limiter on): VmRSS after $((pass * addresses)) requests from distinct addresses" \
        "$(rss VmRSS) kB, VmHWM $(rss VmHWM) kB"
done
ip netns exec "$ns" "$bin/tempora" status --socket "$work/rl.sock" | grep -i "csptp server"

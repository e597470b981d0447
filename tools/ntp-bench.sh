#!/usr/bin/env bash
# NTP server throughput: Tempora's server and chronyd (-x) in one run, on
# the loopback of a private network namespace, each driven in turn by
# tempora-ntp-load (ours) for the same number of requests. Reports replies
# per second and the server's CPU time per reply (utime + stime from
# /proc/PID/stat). A benchmark, not a test: numbers go to docs/ntp-server.md
# by hand.
#
#   sudo tools/ntp-bench.sh [REQUESTS] [ROUNDS]
set -euo pipefail

requests=${1:-400000}
rounds=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin tempora --bin tempora-ntp-load
bin=$root/target/release
work=$(mktemp -d)
chmod 700 "$work"
ns=ntpbench$$
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

cat >"$work/chrony.conf" <<EOF
local stratum 1
allow all
port 11123
cmdport 0
bindcmdaddress $work/chronyd.sock
pidfile $work/chronyd.pid
EOF
cat >"$work/tempora.toml" <<EOF
[clock]
kind = "system"

[ntp-server]
listen = ["127.0.0.1:11124"]
local-stratum = 1

[observability]
socket = "$work/tempora.sock"
log-level = "warn"
EOF
ip netns exec "$ns" chronyd -u root -x -d -f "$work/chrony.conf" >"$work/chronyd.log" 2>&1 &
pids+=($!)
ip netns exec "$ns" "$bin/tempora" daemon -c "$work/tempora.toml" >"$work/tempora.log" 2>&1 &
pids+=($!)
sleep 2
chronyd_pid=$(cat "$work/chronyd.pid")
tempora_pid=$(pgrep -f "tempora daemon -c $work/tempora.toml" | head -n1)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

run() { # name pid port
    local name=$1 pid=$2 port=$3
    local before after out
    before=$(cpu_ticks "$pid")
    out=$(ip netns exec "$ns" "$bin/tempora-ntp-load" "127.0.0.1:$port" --count "$requests" --wait 0.5)
    after=$(cpu_ticks "$pid")
    python3 - "$name" "$out" "$before" "$after" "$hz" <<'PY'
import json, sys
name, out, before, after, hz = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
cpu = (after - before) / hz
replies = out["replies"]
secs = out["sending_s"] + 0.5
print(json.dumps({
    "server": name,
    "requests": out["sent"],
    "replies": replies,
    "replies_per_s": round(replies / out["sending_s"]) if out["sending_s"] else 0,
    "server_cpu_s": round(cpu, 3),
    "cpu_us_per_reply": round(cpu * 1e6 / replies, 2) if replies else None,
}))
PY
}

for r in $(seq "$rounds"); do
    run chronyd "$chronyd_pid" 11123
    run tempora "$tempora_pid" 11124
done

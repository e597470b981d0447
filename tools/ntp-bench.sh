#!/usr/bin/env bash
# NTP server throughput: chronyd (-x) and Tempora's server, in the timing
# loop (workers = 0) and with two SO_REUSEPORT worker loops (workers = 2),
# and beside each Tempora server its floor, tempora-ntp-floor (a bare
# responder on the same socket with the same batches, --workers 0 and 2),
# in one run on the loopback of a private network namespace, each driven in
# turn by tempora-ntp-load (ours) for the same number of requests, in its
# closed-loop mode (8 client sockets, up to 256 requests in flight on each,
# batched sendmmsg/recvmmsg). Reports, per server and round, one JSON line:
# replies per second and the server's CPU time per reply (utime + stime of
# all its threads, /proc/PID/stat); then the medians over the rounds, with
# each server's CPU per reply as a multiple of its floor's (Tempora with
# workers = N against the floor with --workers N; chronyd, one thread,
# against --workers 0) and of chronyd's. A benchmark, not a test: numbers
# go to docs/ntp-server.md by hand.
#
#   sudo tools/ntp-bench.sh [REQUESTS] [ROUNDS]
#
# With PIN=1 the servers run on CPU 0 and the load generator on CPU 1
# (taskset), so that they do not share a core.
set -euo pipefail

requests=${1:-400000}
pin_server=()
pin_load=()
if [ "${PIN:-0}" = 1 ]; then
    pin_server=(taskset -c 0)
    pin_load=(taskset -c 1)
fi
rounds=${2:-3}
bench_name=ntpbench
# shellcheck source=tools/bench-lab.sh
. "$(dirname "$0")/bench-lab.sh"

cat >"$work/chrony.conf" <<EOF
local stratum 1
allow all
port 11123
cmdport 0
bindcmdaddress $work/chronyd.sock
pidfile $work/chronyd.pid
EOF
for w in 0 2; do
    cat >"$work/tempora$w.toml" <<EOF
[clock]
kind = "system"

[ntp-server]
listen = ["127.0.0.1:1113$w"]
local-stratum = 1
workers = $w

[observability]
socket = "$work/tempora$w.sock"
log-level = "warn"
EOF
done
ip netns exec "$ns" "${pin_server[@]}" chronyd -u root -x -d -f "$work/chrony.conf" >"$work/chronyd.log" 2>&1 &
pids+=($!)
for w in 0 2; do
    ip netns exec "$ns" "${pin_server[@]}" "$bin/tempora" daemon -c "$work/tempora$w.toml" >"$work/tempora$w.log" 2>&1 &
    pids+=($!)
done
for w in 0 2; do
    ip netns exec "$ns" "${pin_server[@]}" "$bin/tempora-ntp-floor" "127.0.0.1:1114$w" --workers "$w" \
        >"$work/floor$w.log" 2>&1 &
    pids+=($!)
done
sleep 2
chronyd_pid=$(cat "$work/chronyd.pid")
tempora0_pid=$(pgrep -f "tempora daemon -c $work/tempora0.toml" | head -n1)
tempora2_pid=$(pgrep -f "tempora daemon -c $work/tempora2.toml" | head -n1)
floor0_pid=$(pgrep -f "tempora-ntp-floor 127.0.0.1:11140" | head -n1)
floor2_pid=$(pgrep -f "tempora-ntp-floor 127.0.0.1:11142" | head -n1)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

results=$work/results.jsonl
run() { # name pid port round
    local name=$1 pid=$2 port=$3 round=$4
    local before after out
    before=$(cpu_ticks "$pid")
    out=$(ip netns exec "$ns" "${pin_load[@]}" "$bin/tempora-ntp-load" "127.0.0.1:$port" --count "$requests" \
        --window 256 --sockets 8 --wait 0)
    after=$(cpu_ticks "$pid")
    python3 - "$name" "$out" "$before" "$after" "$hz" "$round" <<'PY' | tee -a "$results"
import json, sys
name, out, before, after, hz = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
cpu = (after - before) / hz
replies = out["replies"]
print(json.dumps({
    "round": int(sys.argv[6]),
    "server": name,
    "requests": out["sent"],
    "replies": replies,
    "lost": out["lost"],
    "replies_per_s": round(replies / out["sending_s"]) if out["sending_s"] else 0,
    "server_cpu_s": round(cpu, 3),
    "cpu_us_per_reply": round(cpu * 1e6 / replies, 2) if replies else None,
}))
PY
}

for r in $(seq "$rounds"); do
    run chronyd "$chronyd_pid" 11123 "$r"
    run floor-workers-0 "$floor0_pid" 11140 "$r"
    run tempora-workers-0 "$tempora0_pid" 11130 "$r"
    run floor-workers-2 "$floor2_pid" 11142 "$r"
    run tempora-workers-2 "$tempora2_pid" 11132 "$r"
done

# Medians over the rounds; the multiples are medians of each round's own.
python3 - "$results" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
floor_of = {"chronyd": "floor-workers-0", "tempora-workers-0": "floor-workers-0",
            "tempora-workers-2": "floor-workers-2"}
def cpu(server, rnd):
    return next((r["cpu_us_per_reply"] for r in runs
                 if r["server"] == server and r["round"] == rnd), None)
def multiple(name, other):
    m = [c / o for r in runs if r["server"] == name
         for c, o in [(r["cpu_us_per_reply"], cpu(other, r["round"]))] if c and o]
    return f"{statistics.median(m):.2f} ×" if m else "-"
print()
print("| server | replies per second | CPU per reply (µs) | CPU per reply ÷ its floor's "
      "(target ≤ 1.2) | ÷ chronyd's |")
print("|---|---:|---:|---:|---:|")
for name in ["chronyd", "floor-workers-0", "tempora-workers-0", "floor-workers-2", "tempora-workers-2"]:
    mine = [r for r in runs if r["server"] == name]
    rate = statistics.median(r["replies_per_s"] for r in mine)
    per = [r["cpu_us_per_reply"] for r in mine if r["cpu_us_per_reply"]]
    per = f"{statistics.median(per):.2f}" if per else "-"
    floor = multiple(name, floor_of[name]) if name in floor_of else "-"
    chrony = multiple(name, "chronyd") if name != "chronyd" else "-"
    print(f"| {name} | {rate:,.0f} | {per} | {floor} | {chrony} |")
PY

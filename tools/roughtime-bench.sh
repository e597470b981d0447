#!/usr/bin/env bash
# Roughtime server throughput: Tempora's server (the timing loop, one
# signature per batch of up to 64 requests) against roughenough
# 1.3.0-draft14's (num_workers = 1, batch_size = 64), both on the loopback
# of a private network namespace, driven by the same closed-loop load
# generator (tempora-roughtime-load) with the same requests (draft 14, the
# version both speak; Tempora also in RFC 10049 and Google). Each round
# prints one JSON line per server: replies per second and the server's CPU
# time per reply (utime + stime of all its threads, /proc/PID/stat); then
# the medians. Also Tempora with two worker loops (draft 14). One reply
# in 100 is verified (signatures and Merkle path).
# A benchmark, not a test: numbers go to docs/roughtime.md by hand.
#
#   sudo tools/roughtime-bench.sh [REQUESTS] [ROUNDS]
#   (roughenough from $TEMPORA_PEERS, default ~/.cache/tempora-peers)
set -euo pipefail

requests=${1:-100000}
rounds=${2:-3}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
peers=${TEMPORA_PEERS:-$HOME/.cache/tempora-peers}
rough=$peers/roughenough-1.3.0-draft14/bin/roughenough-server
[ -x "$rough" ] || { echo "needs $rough" >&2; exit 2; }
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin tempora --bin tempora-roughtime-load
bin=${CARGO_TARGET_DIR:-$root/target}/release
work=$(mktemp -d)
chmod 700 "$work"
ns=rtbench$$
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

key=$("$bin/tempora" roughtime keygen --out "$work/rt.key" | awk '/base64/ {print $4}')
cat >"$work/tempora.toml" <<CONF
[clock]
kind = "virtual"

[roughtime-server]
key-file = "$work/rt.key"
listen = ["127.0.0.1:2002"]
batch-size = 64

[observability]
socket = "$work/tempora.sock"
log-level = "warn"

[daemon]
user = "root"
CONF
ip netns exec "$ns" "$bin/tempora" daemon -c "$work/tempora.toml" >"$work/tempora.log" 2>&1 &
pids+=($!)
tempora_pid=$!
# The same key on two worker loops (SO_REUSEPORT, recvmmsg/sendmmsg).
sed -e 's/127.0.0.1:2002/127.0.0.1:2004/' -e 's/batch-size = 64/batch-size = 64\nworkers = 2/' \
    -e "s|$work/tempora.sock|$work/workers.sock|" "$work/tempora.toml" >"$work/workers.toml"
ip netns exec "$ns" "$bin/tempora" daemon -c "$work/workers.toml" >"$work/workers.log" 2>&1 &
pids+=($!)
workers_pid=$!
seed=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf 'port: 2003\ninterface: 127.0.0.1\nseed: %s\nbatch_size: 64\nnum_workers: 1\n' "$seed" >"$work/rough.cfg"
ip netns exec "$ns" "$rough" "$work/rough.cfg" >"$work/rough.log" 2>&1 &
pids+=($!)
rough_pid=$!
sed -e 's/port: 2003/port: 2005/' -e 's/num_workers: 1/num_workers: 2/' "$work/rough.cfg" >"$work/rough2.cfg"
ip netns exec "$ns" "$rough" "$work/rough2.cfg" >"$work/rough2.log" 2>&1 &
pids+=($!)
rough2_pid=$!
sleep 2
rough_key=$(awk '/Long-term public key/ {print $NF}' "$work/rough.log")

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
results=$work/results.jsonl
run() { # name pid round load-args...
    local name=$1 pid=$2 round=$3 before after out
    shift 3
    before=$(cpu_ticks "$pid")
    out=$(ip netns exec "$ns" "$bin/tempora-roughtime-load" "$@" --count "$requests" --window 64 --sockets 8)
    after=$(cpu_ticks "$pid")
    python3 - "$name" "$out" "$before" "$after" "$hz" "$round" <<'PY' | tee -a "$results"
import json, sys
name, out, before, after, hz = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
cpu = (after - before) / hz
replies = out["replies"]
print(json.dumps({
    "round": int(sys.argv[6]), "server": name, "requests": out["sent"], "replies": replies,
    "verified": out["verified"], "failed": out["failed"], "lost": out["lost"],
    "replies_per_s": out["replies_per_s"], "server_cpu_s": round(cpu, 3),
    "cpu_us_per_reply": round(cpu * 1e6 / replies, 2) if replies else None,
}))
PY
}

for r in $(seq "$rounds"); do
    run tempora-draft14 "$tempora_pid" "$r" 127.0.0.1:2002 --public-key "$key" --version draft-14
    run roughenough-draft14 "$rough_pid" "$r" 127.0.0.1:2003 --public-key "$rough_key" --version draft-14
    run tempora-rfc "$tempora_pid" "$r" 127.0.0.1:2002 --public-key "$key" --version rfc
    run tempora_2_workers-draft14 "$workers_pid" "$r" 127.0.0.1:2004 --public-key "$key" --version draft-14
    run roughenough_2_workers-draft14 "$rough2_pid" "$r" 127.0.0.1:2005 --public-key "$rough_key" --version draft-14
    run tempora-google "$tempora_pid" "$r" 127.0.0.1:2002 --public-key "$key" --version google
    run roughenough-google "$rough_pid" "$r" 127.0.0.1:2003 --public-key "$rough_key" --version google
done

python3 - "$results" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
print()
print("| server | version | replies per second | CPU per reply (µs) |")
print("|---|---|---:|---:|")
for name in ["tempora-draft14", "roughenough-draft14", "tempora_2_workers-draft14", "roughenough_2_workers-draft14", "tempora-rfc", "tempora-google", "roughenough-google"]:
    mine = [r for r in runs if r["server"] == name]
    rate = statistics.median(r["replies_per_s"] for r in mine)
    per = [r["cpu_us_per_reply"] for r in mine if r["cpu_us_per_reply"]]
    per = f"{statistics.median(per):.2f}" if per else "-"
    server, version = name.split("-")
    server = server.replace("_", " ")
    print(f"| {server} | {version} | {rate:,.0f} | {per} |")
PY
ip netns exec "$ns" "$bin/tempora" status --socket "$work/tempora.sock" | grep -i "roughtime server"
ip netns exec "$ns" "$bin/tempora" status --socket "$work/workers.sock" | grep -i "roughtime server"

#!/usr/bin/env bash
# NTS throughput: chronyd (-x) and Tempora as NTS servers in one run, on the
# loopback of a private network namespace, with a test CA made by openssl.
#  1. NTS-KE: tempora-ntp-load --handshakes runs REQUESTS/100 key
#     establishments over 8 threads against each server: handshakes per
#     second, and the server's CPU per handshake (chronyd's NTS-KE helper
#     processes included).
#  2. NTS-protected NTP: tempora-ntp-load in its closed-loop mode (8
#     sockets, 256 in flight each) sends REQUESTS NTS requests (fresh unique
#     identifier, one cookie, no placeholder) to each server: replies per
#     second and the server's CPU per reply.
# A benchmark, not a test: numbers go to docs/nts.md by hand.
#
#   sudo tools/nts-bench.sh [REQUESTS] [ROUNDS]
set -euo pipefail

requests=${1:-200000}
rounds=${2:-3}
bench_name=ntsbench
# shellcheck source=tools/bench-lab.sh
. "$(dirname "$0")/bench-lab.sh"

(
    cd "$work"
    printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout ca.key -out ca.pem -days 2 -subj '/CN=Bench CA' 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout server.key -out server.csr -subj '/CN=127.0.0.1' 2>/dev/null
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
        -out server.pem -days 2 -extfile ext 2>/dev/null
)

cat >"$work/chrony.conf" <<CONF
local stratum 1
allow all
port 11123
ntsport 14460
ntsserverkey $work/server.key
ntsservercert $work/server.pem
cmdport 0
bindcmdaddress $work/chronyd.sock
pidfile $work/chronyd.pid
CONF
cat >"$work/tempora.toml" <<CONF
[clock]
kind = "system"

[ntp-server]
listen = ["127.0.0.1:11124"]
local-stratum = 1

[nts-ke-server]
listen = ["127.0.0.1:14461"]
certificate-chain = "$work/server.pem"
private-key = "$work/server.key"

[observability]
socket = "$work/tempora.sock"
log-level = "warn"
CONF
ip netns exec "$ns" chronyd -u root -x -d -f "$work/chrony.conf" >"$work/chronyd.log" 2>&1 &
pids+=($!)
ip netns exec "$ns" "$bin/tempora" daemon -c "$work/tempora.toml" >"$work/tempora.log" 2>&1 &
pids+=($!)
sleep 2
chronyd_pid=$(cat "$work/chronyd.pid")
tempora_pid=$(pgrep -f "tempora daemon -c $work/tempora.toml" | head -n1)

# CPU ticks of a process, its threads and its child processes.
cpu_ticks() {
    local total=0 p
    for p in $1 $(pgrep -P "$1" || true); do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
    done
    echo "$total"
}
hz=$(getconf CLK_TCK)
load() { ip netns exec "$ns" "$bin/tempora-ntp-load" "$@"; }

report() { # name kind before after json
    python3 - "$@" <<'PY'
import json, sys
name, kind, before, after, hz, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), json.loads(sys.argv[6])
cpu = (after - before) / hz
if kind == "ke":
    n = out["handshakes"]
    print(json.dumps({"server": name, "test": "nts-ke", "handshakes": n, "failed": out["failed"],
        "handshakes_per_s": out["handshakes_per_s"], "group": out["group"],
        "server_cpu_s": round(cpu, 3), "cpu_us_per_handshake": round(cpu * 1e6 / n, 1) if n else None}))
else:
    n = out["replies"]
    print(json.dumps({"server": name, "test": "nts-ntp", "requests": out["sent"], "replies": n,
        "lost": out["lost"], "replies_per_s": round(out["reply_rate"]),
        "server_cpu_s": round(cpu, 3), "cpu_us_per_reply": round(cpu * 1e6 / n, 2) if n else None}))
PY
}

run() { # name pid ntp-port ke-port
    local name=$1 pid=$2 ntp=$3 ke=$4 before after out
    before=$(cpu_ticks "$pid")
    out=$(load 127.0.0.1:$ntp --handshakes --nts-ke "127.0.0.1:$ke" --ca-file "$work/ca.pem" \
        --count $((requests / 100)) --threads 8)
    after=$(cpu_ticks "$pid")
    report "$name" ke "$before" "$after" "$hz" "$out"
    before=$(cpu_ticks "$pid")
    out=$(load "127.0.0.1:$ntp" --nts-ke "127.0.0.1:$ke" --ca-file "$work/ca.pem" \
        --count "$requests" --window 256 --sockets 8 --wait 0)
    after=$(cpu_ticks "$pid")
    report "$name" ntp "$before" "$after" "$hz" "$out"
}

for r in $(seq "$rounds"); do
    run chronyd "$chronyd_pid" 11123 14460
    run tempora "$tempora_pid" 11124 14461
done

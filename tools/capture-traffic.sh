#!/usr/bin/env bash
# Captures fresh PTP and NTP traffic between real peers (linuxptp, chrony,
# ntpsec's ntpdig) in two network namespaces joined by a veth pair, as pcap
# and pcapng files, for checking `tempora inspect` against traffic that is
# not in ../shared/vectors. Needs root and the Debian packages linuxptp,
# chrony, ntpsec-ntpdate, tcpdump and tshark (editcap). Never touches the system clock:
# ptp4l runs with free_running 1, chronyd with -x.
#
#   tools/capture-traffic.sh OUTDIR [SECONDS]
set -euo pipefail
out=$(realpath -m "${1:?usage: $0 OUTDIR [SECONDS]}")
secs=${2:-8}
mkdir -p "$out"
work=$(mktemp -d)
a=tcapa$$ b=tcapb$$
pids=()

cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ip netns del "$a" 2>/dev/null || true
    ip netns del "$b" 2>/dev/null || true
    [ -n "${KEEP_WORK:-}" ] && echo "work dir kept: $work" || rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$a"
ip netns add "$b"
ip link add veth0 netns "$a" type veth peer name veth0 netns "$b"
vlan_if=veth0.100
for ns in "$a" "$b"; do
    ip -n "$ns" link set lo up
    ip -n "$ns" link set veth0 up
    # 802.1Q needs the kernel's 8021q module; without it, run untagged.
    if ip -n "$ns" link add link veth0 name veth0.100 type vlan id 100 2>/dev/null; then
        ip -n "$ns" link set veth0.100 up
    else
        vlan_if=veth0
    fi
done
ip -n "$a" addr add 10.231.0.1/24 dev veth0
ip -n "$b" addr add 10.231.0.2/24 dev veth0
ip -n "$a" addr add fd00:231::1/64 dev veth0 nodad
ip -n "$b" addr add fd00:231::2/64 dev veth0 nodad
ip -n "$a" route add 224.0.0.0/4 dev veth0
ip -n "$b" route add 224.0.0.0/4 dev veth0

# capture NAME FORMAT(pcap|pcapng) [IFACE]: starts tcpdump on b's IFACE
# (default veth0; "any" gives Linux cooked captures) and waits until it is
# listening; a pcapng file is converted with editcap at the end.
capture() {
    cap_name=$1 cap_format=$2
    : >"$work/tcpdump.log"
    ip netns exec "$b" tcpdump -i "${3:-veth0}" -w "$work/$cap_name.pcap" 2>"$work/tcpdump.log" &
    cap=$!
    for _ in $(seq 50); do
        grep -q "listening on" "$work/tcpdump.log" && return 0
        sleep 0.1
    done
    echo "tcpdump did not start: $(cat "$work/tcpdump.log")" >&2
    exit 1
}
stop_all() {
    sleep "$secs"
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    pids=()
    sleep 0.5
    kill -INT "$cap" 2>/dev/null || true
    wait "$cap" 2>/dev/null || true
    if [ "$cap_format" = pcapng ]; then
        editcap -F pcapng "$work/$cap_name.pcap" "$out/$cap_name.pcapng"
    else
        cp "$work/$cap_name.pcap" "$out/$cap_name.pcap"
    fi
}
ptp4l_in() {
    local ns=$1 conf=$2; shift 2
    ip netns exec "$ns" ptp4l -S -f "$conf" -m -q "$@" >>"$work/ptp4l-$ns.log" 2>&1 &
    pids+=($!)
}

# 1. gPTP (IEEE 802.1AS): L2, peer delay, follow-up information TLVs, path trace, signaling.
cat >"$work/gptp.conf" <<CONF
[global]
gmCapable 1
priority1 248
priority2 248
logAnnounceInterval 0
logSyncInterval -3
syncReceiptTimeout 3
# Software timestamps on veth can exceed 802.1AS's 800 ns; keep asCapable.
neighborPropDelayThresh 100000000
min_neighbor_prop_delay -20000000
assume_two_step 1
path_trace_enabled 1
follow_up_info 1
transportSpecific 0x1
ptp_dst_mac 01:80:C2:00:00:0E
network_transport L2
delay_mechanism P2P
free_running 1
uds_address $work/uds-%s
CONF
capture gptp pcapng
sed "s/%s/a/" "$work/gptp.conf" >"$work/gptp-a.conf"
sed "s/%s/b/;s/priority1 248/priority1 250/" "$work/gptp.conf" >"$work/gptp-b.conf"
ptp4l_in "$a" "$work/gptp-a.conf" -i veth0
ptp4l_in "$b" "$work/gptp-b.conf" -i veth0
sleep 4  # a port sends Sync only once the announce receipt timeout made it master
stop_all

# 2. Unicast negotiation over UDPv4 (IEEE 1588-2019 §16.1): Signaling with
#    REQUEST/GRANT/CANCEL TLVs, unicast Announce, Sync, Delay_Resp.
cat >"$work/uc-master.conf" <<CONF
[global]
priority1 100
unicast_listen 1
network_transport UDPv4
free_running 1
uds_address $work/uds-ucm
CONF
cat >"$work/uc-slave.conf" <<CONF
[global]
slaveOnly 1
network_transport UDPv4
free_running 1
uds_address $work/uds-ucs
[unicast_master_table]
table_id 1
logQueryInterval 0
UDPv4 10.231.0.1
[veth0]
unicast_master_table 1
CONF
capture unicast-udp4 pcap
ptp4l_in "$a" "$work/uc-master.conf" -i veth0
ptp4l_in "$b" "$work/uc-slave.conf"
sleep 8  # the slave asks for Sync and Delay_Resp only once it has chosen a master
stop_all

# 3. E2E over Ethernet (802.1Q-tagged on VLAN 100 where the kernel allows),
#    captured as Linux cooked frames, and pmc management of every data set
#    and _NP ID, including IDs the master refuses.
cat >"$work/vlan.conf" <<CONF
[global]
network_transport L2
free_running 1
uds_address $work/uds-%s
CONF
sed "s/%s/va/;s/free_running 1/free_running 1\npriority1 90/" "$work/vlan.conf" >"$work/vlan-a.conf"
sed "s/%s/vb/" "$work/vlan.conf" >"$work/vlan-b.conf"
capture l2-mgmt-cooked pcap any
ptp4l_in "$a" "$work/vlan-a.conf" -i "$vlan_if"
ptp4l_in "$b" "$work/vlan-b.conf" -i "$vlan_if"
sleep 4
ip netns exec "$b" pmc -2 -i "$vlan_if" -b 1 \
    'GET NULL_MANAGEMENT' 'GET CLOCK_DESCRIPTION' 'GET USER_DESCRIPTION' \
    'GET DEFAULT_DATA_SET' 'GET CURRENT_DATA_SET' 'GET PARENT_DATA_SET' \
    'GET TIME_PROPERTIES_DATA_SET' 'GET PORT_DATA_SET' 'GET PRIORITY1' 'GET PRIORITY2' \
    'GET DOMAIN' 'GET SLAVE_ONLY' 'GET LOG_ANNOUNCE_INTERVAL' 'GET ANNOUNCE_RECEIPT_TIMEOUT' \
    'GET LOG_SYNC_INTERVAL' 'GET VERSION_NUMBER' 'GET DELAY_MECHANISM' \
    'GET LOG_MIN_PDELAY_REQ_INTERVAL' 'GET TIME_STATUS_NP' 'GET PORT_STATS_NP' \
    'GET PORT_PROPERTIES_NP' 'GET GRANDMASTER_SETTINGS_NP' 'GET PORT_DATA_SET_NP' \
    'GET TIMESCALE_PROPERTIES' 'GET CLOCK_ACCURACY' 'SET PRIORITY2 77' \
    >"$out/l2-mgmt-cooked.pmc.txt" 2>&1 || true
stop_all

# 4. NTP: chronyd client against chronyd server (basic and interleaved, IPv4
#    and IPv6), ntpdig one-shot queries, and rate-limited (kiss) answers.
cat >"$work/chrony-server.conf" <<CONF
local stratum 1
allow all
ratelimit interval -4 burst 1 leak 0
driftfile $work/server.drift
cmdport 0
bindcmdaddress $work/chronyd-server.sock
pidfile $work/chronyd-server.pid
CONF
cat >"$work/chrony-client.conf" <<CONF
server 10.231.0.1 iburst minpoll 0 maxpoll 0 xleave
server fd00:231::1 iburst minpoll 0 maxpoll 0
cmdport 0
bindcmdaddress $work/chronyd-client.sock
pidfile $work/chronyd-client.pid
CONF
capture ntp pcap
ip netns exec "$a" chronyd -x -d -f "$work/chrony-server.conf" >"$work/chronyd-server.log" 2>&1 &
pids+=($!)
sleep 1
ip netns exec "$b" chronyd -x -d -f "$work/chrony-client.conf" >"$work/chronyd-client.log" 2>&1 &
pids+=($!)
sleep 3
for _ in 1 2 3; do
    ip netns exec "$b" ntpdig -j 10.231.0.1 >>"$out/ntp.ntpdig.json" 2>&1 || true
done
stop_all
echo "captures in $out:"
ls -l "$out"

#!/usr/bin/env bash
# Captures fresh PTP and NTP traffic between real peers (linuxptp, chrony,
# ntpsec's ntpdig) in two network namespaces joined by a veth pair, as pcap
# and pcapng files. Needs root and the Debian packages linuxptp, chrony,
# ntpsec-ntpdate, tcpdump, tshark (editcap) and openssl. Never touches the
# system clock: ptp4l runs with free_running 1, chronyd with -x.
#
#   tools/capture-traffic.sh OUTDIR [SECONDS]
#       gPTP, unicast negotiation, cooked L2 with pmc, chrony and ntpdig: for
#       checking `tempora inspect` against traffic not in the golden sets.
#   tools/capture-traffic.sh --golden OUTDIR
#       the golden set the tests read (vectors/ in the repository, see
#       vectors/README.md): ptp4l master and slave over UDPv4, UDPv6 and L2
#       with E2E and P2P (and the slave's log), pmc's management exchanges
#       with a lone master over L2, UDPv4 and UDPv6 (and what pmc printed),
#       chrony client and server with interleaved NTP over IPv4 and NTS over
#       IPv6 (and the server's certificate), and ntpdig's answers.
set -euo pipefail
golden=
if [ "${1:-}" = --golden ]; then golden=1; shift; fi
out=$(realpath -m "${1:?usage: $0 [--golden] OUTDIR [SECONDS]}")
secs=${2:-8}
mkdir -p "$out"
work=$(mktemp -d)
a=tcapa$$ b=tcapb$$
pids=()
# Addresses: namespace a is the master / server, b the slave / client.
if [ -n "$golden" ]; then net4=10.210.0 net6=fd00:210:; else net4=10.231.0 net6=fd00:231:; fi

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
# Fixed MAC addresses, so that the clock identities (EUI-64 from the MAC)
# are the same from run to run.
ip -n "$a" link set veth0 address 02:54:4d:21:00:01
ip -n "$b" link set veth0 address 02:54:4d:21:00:02
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
ip -n "$a" addr add $net4.1/24 dev veth0
ip -n "$b" addr add $net4.2/24 dev veth0
ip -n "$a" addr add $net6:1/64 dev veth0 nodad
ip -n "$b" addr add $net6:2/64 dev veth0 nodad
ip -n "$a" route add 224.0.0.0/4 dev veth0
ip -n "$b" route add 224.0.0.0/4 dev veth0

# capture NAME FORMAT(pcap|pcapng) [IFACE [FILTER...]]: starts tcpdump on
# b's IFACE (default veth0; "any" gives Linux cooked captures), keeping only
# what FILTER matches, and waits until it is listening; a pcapng file is
# converted with editcap at the end.
capture() {
    cap_name=$1 cap_format=$2
    local iface=${3:-veth0}
    shift $(($# < 3 ? $# : 3))
    : >"$work/tcpdump.log"
    ip netns exec "$b" tcpdump -i "$iface" -w "$work/$cap_name.pcap" "$@" 2>"$work/tcpdump.log" &
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
    ip netns exec "$ns" ptp4l -S -f "$conf" -m -q "$@" >>"${PTP4L_LOG:-$work/ptp4l-$ns.log}" 2>&1 &
    pids+=($!)
}

if [ -n "$golden" ]; then
    # The golden set. ptp4l master (priority1 100) and slave, both
    # free-running with software timestamps, announce 1 s, sync 0.5 s, delay
    # requests 0.5 s; the slave logs a summary every 4 s.
    ptp_conf() { # FILE TRANSPORT DELAY_MECHANISM [EXTRA LINE]
        cat >"$1" <<CONF
[global]
network_transport $2
delay_mechanism $3
free_running 1
logAnnounceInterval 0
logSyncInterval -1
announceReceiptTimeout 2
logMinDelayReqInterval -1
logMinPdelayReqInterval -1
uds_address $1.uds
${4:-}
CONF
    }
    ptp_filter() { # TRANSPORT
        case $1 in
            UDPv4) echo "ip and udp and (port 319 or port 320)" ;;
            UDPv6) echo "ip6 and udp and (port 319 or port 320)" ;;
            L2) echo "ether proto 0x88f7" ;;
        esac
    }
    # 1. Master and slave: SECONDS (default 16) of traffic once the slave
    #    has chosen the master.
    gsecs=${2:-16}
    for run in "udp4 UDPv4 E2E" "udp6 UDPv6 E2E" "l2 L2 E2E" "l2 L2 P2P" "udp4 UDPv4 P2P"; do
        read -r tag transport mech <<<"$run"
        name=ptp-$tag-${mech,,}
        ptp_conf "$work/$name-master.conf" "$transport" "$mech" "priority1 100"
        ptp_conf "$work/$name-slave.conf" "$transport" "$mech"
        : >"$work/$name.slave.log"
        # shellcheck disable=SC2046
        capture "$name" pcap veth0 $(ptp_filter "$transport")
        PTP4L_LOG=$work/$name.slave.log ptp4l_in "$b" "$work/$name-slave.conf" -i veth0
        ptp4l_in "$a" "$work/$name-master.conf" -i veth0
        for _ in $(seq 100); do
            grep -q "UNCALIBRATED\|to SLAVE" "$work/$name.slave.log" && break
            sleep 0.1
        done
        secs=$gsecs stop_all
        cp "$work/$name.slave.log" "$out/$name.slave.log"
        grep -q "rms" "$out/$name.slave.log" || { echo "$name: the slave never synchronised" >&2; exit 1; }
    done

    # 2. pmc -2|-4|-6 -b 1 against a lone master: GET of the data sets,
    #    USER_DESCRIPTION and TIME_STATUS_NP, a SET PRIORITY1 (ptp4l refuses
    #    it from the network) and GET PRIORITY1; pmc's output beside it.
    for run in "2 L2" "4 UDPv4" "6 UDPv6"; do
        read -r flag transport <<<"$run"
        name=ptp-mgmt-$flag
        ptp_conf "$work/$name.conf" "$transport" E2E "priority1 100"
        : >"$work/$name.master.log"
        PTP4L_LOG=$work/$name.master.log ptp4l_in "$a" "$work/$name.conf" -i veth0
        for _ in $(seq 100); do
            grep -q "assuming the grand master role" "$work/$name.master.log" && break
            sleep 0.1
        done
        # shellcheck disable=SC2046
        capture "$name" pcap veth0 $(ptp_filter "$transport")
        sleep 1
        # One pmc per request, as a user types them: each answer follows its
        # request in the output (a single batch pmc sends all requests first).
        : >"$out/$name.txt"
        for request in 'GET DEFAULT_DATA_SET' 'GET CURRENT_DATA_SET' 'GET PARENT_DATA_SET' \
            'GET TIME_PROPERTIES_DATA_SET' 'GET PORT_DATA_SET' 'GET CLOCK_DESCRIPTION' \
            'GET USER_DESCRIPTION' 'GET TIME_STATUS_NP' 'SET PRIORITY1 90' 'GET PRIORITY1'; do
            ip netns exec "$b" pmc -"$flag" -i veth0 -b 1 "$request" >>"$out/$name.txt"
        done
        secs=$((${gsecs} / 2)) stop_all
        [ "$(grep -c RESPONSE "$out/$name.txt")" = 10 ] || { echo "$name: pmc got no answers" >&2; exit 1; }
    done

    # 3. chronyd client against chronyd server (both -x): plain NTPv4 with
    #    xleave over IPv4 and NTS over IPv6 (NTS-KE on TCP 4460), 1 s polls,
    #    as root (-u root: the keys and dumps are in a root-only directory);
    #    then one ntpdig query over each address family.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
        -subj /CN=ntp-server.test \
        -addext "subjectAltName=DNS:ntp-server.test,IP:$net4.1,IP:$net6:1" \
        -keyout "$work/nts.key" -out "$out/nts-server-cert.pem" 2>/dev/null
    cat >"$work/chrony-server.conf" <<CONF
local stratum 1
allow all
ntsservercert $out/nts-server-cert.pem
ntsserverkey $work/nts.key
ntsdumpdir $work/nts-server
driftfile $work/server.drift
cmdport 0
bindcmdaddress $work/chronyd-server.sock
pidfile $work/chronyd-server.pid
CONF
    cat >"$work/chrony-client.conf" <<CONF
server $net4.1 iburst minpoll 0 maxpoll 0 xleave
server $net6:1 iburst minpoll 0 maxpoll 0 nts
ntstrustedcerts $out/nts-server-cert.pem
nosystemcert
ntsdumpdir $work/nts-client
cmdport 0
bindcmdaddress $work/chronyd-client.sock
pidfile $work/chronyd-client.pid
CONF
    mkdir -p "$work/nts-server" "$work/nts-client"
    capture ntp-chrony pcap veth0 "udp port 123 or tcp port 4460"
    ip netns exec "$a" chronyd -x -d -u root -f "$work/chrony-server.conf" >"$work/ntp-chrony.server.log" 2>&1 &
    pids+=($!)
    sleep 1
    ip netns exec "$b" chronyd -x -d -u root -f "$work/chrony-client.conf" >"$work/ntp-chrony.client.log" 2>&1 &
    pids+=($!)
    sleep $((gsecs + 4))
    : >"$out/ntpdig.json"
    for server in "$net4.1" "$net6:1"; do
        ip netns exec "$b" ntpdig -j "$server" >>"$out/ntpdig.json"
    done
    secs=8 stop_all
    cp "$work/ntp-chrony.server.log" "$work/ntp-chrony.client.log" "$out/"
    if grep -q "failed\|Could not" "$out"/ntp-chrony.*.log; then
        echo "ntp-chrony: chronyd reported an error (NTS?)" >&2
        exit 1
    fi
    echo "golden captures in $out:"
    ls -l "$out"
    exit 0
fi

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
UDPv4 $net4.1
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
server $net4.1 iburst minpoll 0 maxpoll 0 xleave
server $net6:1 iburst minpoll 0 maxpoll 0
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
    ip netns exec "$b" ntpdig -j $net4.1 >>"$out/ntp.ntpdig.json" 2>&1 || true
done
stop_all
echo "captures in $out:"
ls -l "$out"

# Shared by the clknetsim scripts (clknetsim-startup.sh, clknetsim-csptp.sh,
# clknetsim-refclock.sh, clknetsim-gm.sh), sourced once they have parsed
# their arguments and defined `die`:
#
#   clknetsim_check_run    check `seeds`, `length` and `rms_window`
#   clknetsim_check_env    check CLKNETSIM_PATH (clknetsim built there) and
#                          TEMPORA (the binary to test)
#   clknetsim_workdir NAME a fresh work directory /tmp/NAME.XXXXXX in
#                          `workdir`, an empty `pids`, and an exit trap that
#                          stops those processes, copies the directory to
#                          `keep` when set, and removes it
#   clknetsim_install      copy clknetsim, clknetsim.so and the tempora binary
#                          into $workdir/bin (sets `tempora_bin`) and, as
#                          root, set `runas` to drop every process to nobody
#   start_node N DIR SEED CMD...
#                          start CMD as clknetsim node N in the background
#                          (its pid in the caller's `node_pid` array)
#   run_simulation DIR SEED SUBNETS NODES LENGTH RESET LABEL
#                          run clknetsim on DIR/net.conf until LENGTH s,
#                          statistics reset at RESET s, the offset log in
#                          DIR/offsets; wait for every node; return 1 (after
#                          printing the logs' tails) when clknetsim or a node
#                          failed

clknetsim_check_run() {
    [[ $seeds =~ ^[1-9][0-9]*$ ]] || die "--seeds: not a positive number: $seeds"
    [[ $length =~ ^[0-9]+$ ]] && [ "$length" -ge 100 ] || die "--length must be >= 100 s"
    [[ $rms_window =~ ^[0-9]+$ ]] && [ "$rms_window" -ge 1 ] && [ "$rms_window" -lt "$length" ] ||
        die "--rms-window must be between 1 and --length - 1"
}

clknetsim_check_env() {
    [ -n "${CLKNETSIM_PATH:-}" ] ||
        die "CLKNETSIM_PATH is not set: build clknetsim (https://github.com/mlichvar/clknetsim, 'make SHELL=/bin/bash') and point CLKNETSIM_PATH at it"
    [ -x "$CLKNETSIM_PATH/clknetsim" ] && [ -f "$CLKNETSIM_PATH/clknetsim.so" ] ||
        die "no clknetsim and clknetsim.so in CLKNETSIM_PATH=$CLKNETSIM_PATH (run make there)"
    [ -n "${TEMPORA:-}" ] || die "TEMPORA is not set: the tempora binary to test"
    [ -x "$TEMPORA" ] || die "TEMPORA=$TEMPORA is not an executable"
}

clknetsim_cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2> /dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2> /dev/null || true
    done
    if [ -n "${keep:-}" ]; then
        mkdir -p "$keep" && cp -r "$workdir"/. "$keep"/ && echo "logs kept in $keep" >&2
    fi
    rm -rf "$workdir"
}

clknetsim_workdir() {
    workdir=$(mktemp -d "/tmp/$1.XXXXXX")
    pids=()
    trap clknetsim_cleanup EXIT
    trap 'exit 130' INT TERM
}

clknetsim_install() {
    mkdir -p "$workdir/bin"
    cp "$CLKNETSIM_PATH/clknetsim" "$CLKNETSIM_PATH/clknetsim.so" "$TEMPORA" "$workdir/bin/"
    tempora_bin="$workdir/bin/$(basename "$TEMPORA")"
    # The clients run with clknetsim's LD_PRELOAD library, which fakes every
    # clock call; should it fail to load, a client running as root would
    # discipline the real clock. As root, run everything as nobody, which
    # cannot (clknetsim fakes getuid() = 0 for the clients that check).
    # The binaries are copied into the work directory so nobody can read them.
    runas=()
    if [ "$(id -u)" -eq 0 ]; then
        command -v setpriv > /dev/null || die "running as root needs setpriv (util-linux) to drop to nobody"
        runas=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --)
        chmod 755 "$workdir" "$workdir/bin"
    fi
}

# Start node $1 running "$@" under clknetsim in the background, $3 the
# seed (clknetsim.so seeds the client's random() and getrandom() with it
# plus the node number, so a run repeats exactly).
start_node() {
    local node=$1 dir=$2 seed=$3
    shift 3
    # LD_PRELOAD is set by env after setpriv, so that only the client
    # itself registers with clknetsim as the node.
    "${runas[@]}" env LD_PRELOAD="$workdir/bin/clknetsim.so" CLKNETSIM_NODE="$node" \
        CLKNETSIM_SOCKET="$dir/sock" CLKNETSIM_UNIX_SUBNET=2 CLKNETSIM_RANDOM_SEED="$seed" \
        "$@" > "$dir/log.$node" 2>&1 &
    pids+=($!)
    node_pid[$node]=$!
}

run_simulation() {
    local dir=$1 seed=$2 subnets=$3 nodes=$4 length=$5 reset=$6 label=$7
    local rc=0 server waited=0 dead="" status n i
    CLKNETSIM_RANDOM_SEED=$seed "${runas[@]}" "$workdir/bin/clknetsim" \
        -n "$subnets" -l "$length" -r "$reset" -o "$dir/offsets" \
        -s "$dir/sock" "$dir/net.conf" "$nodes" > "$dir/stats" 2> "$dir/log" &
    server=$!
    pids+=("$server")
    # clknetsim waits for every node to connect, for ever: give up when a
    # client ended before that, or after 30 s.
    until grep -qs "Running simulation" "$dir/log"; do
        kill -0 "$server" 2> /dev/null || break
        for n in $(seq 1 "$nodes"); do
            kill -0 "${node_pid[$n]}" 2> /dev/null || waited=600
        done
        if [ "$waited" -ge 600 ]; then
            echo "$label: not every node connected to clknetsim" >&2
            kill "$server" 2> /dev/null || true
            break
        fi
        sleep 0.05
        waited=$((waited + 1))
    done
    wait "$server" || rc=$?

    # At the time limit clknetsim has each client send itself SIGTERM, so
    # a node that lived to the end exits with status 0 by itself; one that
    # failed (e.g. a configuration error) exits early with another status.
    for n in $(seq 1 "$nodes"); do
        for i in $(seq 1 100); do
            kill -0 "${node_pid[$n]}" 2> /dev/null || break
            sleep 0.1
        done
        kill "${node_pid[$n]}" 2> /dev/null || true
        status=0
        wait "${node_pid[$n]}" 2> /dev/null || status=$?
        [ "$status" -eq 0 ] || dead+=" $n(status $status)"
    done
    pids=()
    if [ "$rc" -ne 0 ] || [ -n "$dead" ]; then
        echo "$label: clknetsim exit $rc, nodes failed:${dead:- none}" >&2
        tail -n 5 "$dir/log" >&2 || true
        for n in $(seq 1 "$nodes"); do
            [[ $dead == *" $n("* ]] || continue
            echo "--- node $n log:" >&2
            tail -n 10 "$dir/log.$n" >&2 || true
        done
        return 1
    fi
    local lines
    lines=$(wc -l < "$dir/offsets")
    [ "$lines" -gt "$length" ] || die "$label: offset log has $lines lines, expected $((length + 1))"
}

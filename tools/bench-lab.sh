# Shared setup of the server benchmarks, sourced by ntp-bench.sh and
# nts-bench.sh (set `bench_name` first): a release build of tempora,
# tempora-ntp-load and tempora-ntp-floor (in CARGO_TARGET_DIR if set), a
# private work directory, a network namespace with its loopback up, and on
# exit the processes in `pids` stopped and the namespace and directory
# removed.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin tempora --bin tempora-ntp-load \
    --bin tempora-ntp-floor
bin=${CARGO_TARGET_DIR:-$root/target}/release
work=$(mktemp -d)
chmod 700 "$work"
ns=$bench_name$$
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

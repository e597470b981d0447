#!/usr/bin/env bash
# Builds the Debian package and checks it (issue 14; docs/packaging.md):
# its contents, the unit (systemd-analyze verify, and the security exposure,
# which must stay at most 2.5), then installs it with dpkg -i, checks the
# installed files and that the service was neither enabled nor started,
# removes it (dpkg -r) and purges it (dpkg -P), and checks nothing is left.
#
# Needs root (dpkg), cargo-deb (installed if missing) and systemd-analyze.
# The package never starts the service; as a second guard, a policy-rc.d
# that refuses every start is put in place for the install if the machine
# has none (and removed afterwards). A tempora user the install created is
# deleted at the end (Debian leaves system users after a purge; CI machines
# should be left as found). While the package is installed the tempora user
# exists, and a daemon that drops privileges to it by default would do so:
# do not run this beside other Tempora tests on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_EXPOSURE=2.5
unit=packaging/debian/tempora.service

fail() { echo "check-package: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (dpkg -i)"

if ! command -v cargo-deb >/dev/null 2>&1; then
    cargo install --locked cargo-deb
fi

# The exposure score of a unit file, e.g. 2.4.
exposure() {
    systemd-analyze security --offline=yes "$1" 2>/dev/null |
        sed -n 's/^→ Overall exposure level for .*: \([0-9.]*\) .*/\1/p'
}

echo "--- unit: security exposure (systemd-analyze security --offline=yes)"
score=$(exposure "$unit")
[ -n "$score" ] || fail "no exposure score for $unit"
echo "tempora.service: $score (at most $MAX_EXPOSURE)"
for other in /lib/systemd/system/chrony.service /lib/systemd/system/ptp4l@.service; do
    if [ -f "$other" ]; then echo "$(basename "$other"): $(exposure "$other") (for comparison)"; fi
done
awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }' ||
    fail "tempora.service exposure $score is above $MAX_EXPOSURE"

echo "--- build (cargo xtask deb --fast)"
cargo xtask deb --fast >/dev/null
deb=$(ls -t "${CARGO_TARGET_DIR:-target}"/debian/tempora_*.deb | head -n1)
echo "$deb"

echo "--- contents (dpkg-deb -c)"
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for want in ./usr/bin/tempora \
    ./usr/share/man/man1/tempora.1.gz ./usr/share/man/man1/tempora-daemon.1.gz \
    ./usr/share/man/man1/tempora-config-check.1.gz ./usr/share/man/man5/tempora.toml.5.gz \
    ./usr/share/man/man1/tempora-config-from-ptp4l.1.gz ./usr/share/man/man1/tempora-roughtime-keygen.1.gz \
    ./usr/share/bash-completion/completions/tempora ./usr/share/zsh/vendor-completions/_tempora \
    ./usr/share/fish/vendor_completions.d/tempora.fish \
    ./usr/lib/systemd/system/tempora.service ./usr/lib/sysusers.d/tempora.conf \
    ./usr/lib/tmpfiles.d/tempora.conf ./usr/lib/udev/rules.d/60-tempora.rules \
    ./etc/tempora/tempora.toml ./usr/share/doc/tempora/copyright \
    ./usr/share/doc/tempora/examples/slave.toml ./usr/share/doc/tempora/examples/ntp-server.toml; do
    grep -qx -- "$want" <<<"$contents" || fail "$deb lacks $want"
done
for unwanted in tempora-ntp-load tempora-csptp-load tempora-ntp-floor xtask; do
    if grep -q -- "$unwanted" <<<"$contents"; then fail "$deb ships $unwanted"; fi
done
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = /etc/tempora/tempora.toml ] ||
    fail "the conffiles are not just /etc/tempora/tempora.toml"
echo "$(grep -c . <<<"$contents") entries, all expected ones present"

echo "--- install (dpkg -i)"
dpkg -s tempora >/dev/null 2>&1 && fail "tempora is installed already"
had_user=$(getent passwd tempora || true)
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
fi
cleanup() {
    if dpkg -s tempora >/dev/null 2>&1; then dpkg -P tempora >/dev/null || true; fi
    if [ -n "$made_policy" ]; then rm -f "$policy"; fi
    if [ -z "$had_user" ] && getent passwd tempora >/dev/null; then
        userdel tempora || echo "check-package: WARNING: could not delete the tempora user" >&2
    fi
}
trap cleanup EXIT
dpkg -i "$deb" >/dev/null
getent passwd tempora >/dev/null || fail "no tempora user after install"
/usr/bin/tempora --version
/usr/bin/tempora config check /etc/tempora/tempora.toml
# The examples name devices, certificates and key files of another machine:
# the file alone.
for f in /usr/share/doc/tempora/examples/*.toml; do /usr/bin/tempora config check --syntax-only "$f" >/dev/null; done
verify=$(systemd-analyze verify /usr/lib/systemd/system/tempora.service 2>&1) ||
    fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify warns: $verify"
echo "systemd-analyze verify: ok"
[ "$(exposure /usr/lib/systemd/system/tempora.service)" = "$score" ] || fail "installed unit scores differently"
if ls /etc/systemd/system/*.wants/tempora.service >/dev/null 2>&1; then fail "the service was enabled"; fi
for pid in $(pgrep -x tempora || true); do
    if [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = /usr/bin/tempora ]; then
        fail "the installed tempora runs (pid $pid)"
    fi
done
if command -v man >/dev/null 2>&1; then
    for page in tempora.toml tempora tempora-daemon tempora-config-check; do
        man -w "$page" >/dev/null || fail "man $page not found"
    done
    # The installed file itself (-l): man would show a formatted page it
    # cached from an earlier install (/var/cache/man) if that is newer.
    page=$(man -P cat -l "$(man -w tempora-daemon)" 2>/dev/null) || fail "man tempora-daemon failed"
    grep -q "^EXAMPLES" <<<"$page" || fail "man tempora-daemon has no EXAMPLES"
fi
# The bash completion, as bash-completion loads it by the command's name.
completion=$(bash --norc --noprofile -c 'source /usr/share/bash-completion/completions/tempora
    COMP_WORDS=(tempora con); COMP_CWORD=1; _tempora tempora con tempora; echo "${COMPREPLY[*]}"')
[ "$completion" = config ] || fail "the installed bash completion offers '$completion' for 'tempora con'"

echo "--- remove (dpkg -r) and purge (dpkg -P)"
dpkg -r tempora >/dev/null
[ ! -e /usr/bin/tempora ] || fail "/usr/bin/tempora left after dpkg -r"
[ -f /etc/tempora/tempora.toml ] || fail "the conffile went with dpkg -r (it stays until purge)"
dpkg -P tempora >/dev/null
for gone in /etc/tempora /var/lib/tempora /run/tempora /usr/lib/systemd/system/tempora.service \
    /usr/lib/sysusers.d/tempora.conf /usr/share/doc/tempora /usr/share/bash-completion/completions/tempora; do
    [ ! -e "$gone" ] || fail "$gone left after purge"
done
if dpkg -s tempora >/dev/null 2>&1; then fail "dpkg still knows tempora after purge"; fi
echo "package: built, checked, installed, removed and purged cleanly"

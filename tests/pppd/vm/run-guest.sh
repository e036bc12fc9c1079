#!/bin/bash
# The pppd real-peer harness: builds a busybox initramfs holding Debian's pppd, the Debian 6.1
# kernel's PPP modules, and dialkit's own guest driver, pppd backend plugin and CLI from the
# build tree; boots it in QEMU (TCG by default: robust on any CPU) and leaves the serial
# console in OUT/console.log for tests/pppd/test_real_peer.cpp to assert.
#
#   run-guest.sh BUILD_DIR OUT_DIR
#
# Env: DIALKIT_CACHE (default ~/.cache/dialkit): where the kernel is kept after its one
# download; ACCEL=tcg|kvm (default tcg; KVM hangs on some hosts, see notes); VM_TIMEOUT
# seconds (default 300); DIALKIT_NO_APT=1: never install packages.
# Exit status: 0 when the guest ran to its end; otherwise 1 with the reason on stderr.
set -euo pipefail

BUILD=$(cd "$1" && pwd)
OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${DIALKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dialkit}/pppd-vm
ACCEL=${ACCEL:-tcg}
VM_TIMEOUT=${VM_TIMEOUT:-300}
# The fault scenarios: our pppd killed -9 at each state of the way up (kill9 is `connected`),
# and the peer (the server pppd) killed -9 mid-dial and once connected.
FAULTS="kill9_at_opening_port kill9_at_connecting_device kill9_at_all_devices_connected"
FAULTS="$FAULTS kill9_at_authenticating kill9_at_authenticated kill9_at_auth_project kill9_at_projected"
FAULTS="$FAULTS peer_gone_at_authenticating peer_gone_at_connected"
SCENARIOS=${SCENARIOS:-"chap_local_hangup pap_peer_hangup wrong_password silent ipcp_refused kill9 $FAULTS"}
CANARY=dk-canary-5e1f0c93   # the guest's real secret; the test checks pppd's cmdline for it

die() { echo "run-guest.sh: FAIL: $*" >&2; exit 1; }
log() { echo "run-guest.sh: $*" >&2; }
mkdir -p "$OUT" "$CACHE"
OUT=$(cd "$OUT" && pwd)

# ------------------------------------------------------------ packages
need=()
for p in $(grep -v '^#' "$HERE/../../../backends/pppd/debian-packages.txt"); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    [ "${DIALKIT_NO_APT:-0}" = 1 ] && die "missing Debian packages: ${need[*]} (DIALKIT_NO_APT=1)"
    [ "$(id -u)" = 0 ] || die "missing Debian packages: ${need[*]} (run as root or install them)"
    log "installing ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
        --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            -o DPkg::Lock::Timeout=600 --no-install-recommends "${need[@]}" >/dev/null; } ||
        die "apt-get install ${need[*]} failed"
fi
for tool in qemu-system-x86_64 cpio dpkg-deb /bin/busybox /usr/sbin/pppd; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done

# ------------------------------------------------------------ kernel (downloaded once)
KDIR=$CACHE/kernel
if [ ! -f "$KDIR/ready" ]; then
    kpkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}'; }
    KPKG=$(kpkg)
    if [ -z "$KPKG" ]; then apt-get update -qq >/dev/null 2>&1 || true; KPKG=$(kpkg); fi
    [ -n "$KPKG" ] || die "cannot resolve the Debian kernel package (linux-image-amd64's dependency)"
    log "downloading $KPKG (once; cached in $KDIR)"
    rm -rf "$KDIR"; mkdir -p "$KDIR/x"
    (cd "$KDIR" && apt-get download -o APT::Sandbox::User=root "$KPKG" >/dev/null 2>&1) ||
        die "apt-get download $KPKG failed (no network or no apt sources?)"
    dpkg-deb --fsys-tarfile "$KDIR"/"$KPKG"_*.deb | tar -x -C "$KDIR/x" --wildcards \
        './boot/vmlinuz-*' './lib/modules/*/kernel/drivers/net/ppp/ppp_generic.ko' \
        './lib/modules/*/kernel/drivers/net/ppp/ppp_async.ko' \
        './lib/modules/*/kernel/drivers/net/slip/slhc.ko' || die "cannot unpack $KPKG"
    rm -f "$KDIR"/*.deb
    echo "$KPKG" > "$KDIR/ready"
fi
VMLINUZ=$(ls "$KDIR"/x/boot/vmlinuz-* | head -1)
[ -f "$VMLINUZ" ] || die "no vmlinuz in $KDIR"

# ------------------------------------------------------------ root file system
DRIVER=$BUILD/tests/pppd/dialkit-pppd-guest-driver
PLUGIN=$BUILD/plugins/dialkit-backend-pppd.so
HELPER=$BUILD/plugins/pppd/dialkit-pppd.so
CLI=$BUILD/cli/dialkit
for f in "$DRIVER" "$PLUGIN" "$HELPER"; do [ -f "$f" ] || die "not built: $f"; done
ROOT=$OUT/root
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,usr/sbin,lib/modules,etc/ppp/peers,proc,sys,dev,run,tmp,var,opt/dialkit/bin,opt/dialkit/plugins/pppd}
cp /bin/busybox "$ROOT/bin/busybox"
ln -s busybox "$ROOT/bin/sh"
# Copies an ELF file and every library ldd resolves for it: system libraries at the same
# paths, the build tree's own (libdialkit-core, wherever the tree is: the guest mounts a
# tmpfs over /tmp, where CI's clone may live) into /opt/dialkit/lib, which the guest's
# loader searches (LD_LIBRARY_PATH in guest-init.sh).
copy_with_libs() {
    install -D -m 0755 "$1" "$ROOT$2"
    ldd "$1" | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}' | while read -r lib; do
        case "$lib" in
            /lib/*|/lib64/*|/usr/*) dest=$lib ;;
            *) dest=/opt/dialkit/lib/$(basename "$lib") ;;
        esac
        [ -e "$ROOT$dest" ] || install -D -m 0755 "$(readlink -f "$lib")" "$ROOT$dest"
    done
}
copy_with_libs /usr/sbin/pppd /usr/sbin/pppd
copy_with_libs "$DRIVER" /opt/dialkit/bin/dialkit-pppd-guest-driver
copy_with_libs "$PLUGIN" /opt/dialkit/plugins/dialkit-backend-pppd.so
copy_with_libs "$HELPER" /opt/dialkit/plugins/pppd/dialkit-pppd.so
[ -x "$CLI" ] && copy_with_libs "$CLI" /opt/dialkit/bin/dialkit
for m in slhc ppp_generic ppp_async; do
    cp "$(find "$KDIR/x/lib/modules" -name "$m.ko" | head -1)" "$ROOT/lib/modules/"
done
: > "$ROOT/etc/ppp/options"   # no Debian defaults (auth, crtscts, lock)
printf 'client\tserver\t%s\t*\n' "$CANARY" > "$ROOT/etc/ppp/pap-secrets"
cp "$ROOT/etc/ppp/pap-secrets" "$ROOT/etc/ppp/chap-secrets"
chmod 600 "$ROOT"/etc/ppp/*-secrets
# The test peers. The pty command ignores the signals pppd forwards to its pty child, so
# only the server pppd (which installs its own handlers) decides how the far end behaves.
server() {
    echo "pty \"trap '' TERM HUP INT; pppd notty logfile /run/server-$1.log auth $2 name server 192.0.2.1:192.0.2.2 nodefaultroute; exit \$?\""
}
for auth in chap pap; do
    if [ $auth = chap ]; then req="require-chap refuse-pap"; else req="require-pap refuse-chap"; fi
    { echo "# $auth test peer: a real pppd server in the guest"
      echo "noauth"; echo "remotename server"; echo "noipdefault"; echo "nodefaultroute"
      server $auth "$req"; } > "$ROOT/etc/ppp/peers/$auth"
done
# The server authenticates the client, then refuses IPCP and IPv6CP (noip noipv6: with no
# network protocol of its own it closes LCP, "No network protocols running").
{ echo "# noip test peer: authentication passes, the server refuses IPCP and IPv6CP"
  echo "noauth"; echo "remotename server"; echo "noipdefault"; echo "nodefaultroute"
  server noip "require-chap refuse-pap noip noipv6"; } > "$ROOT/etc/ppp/peers/noip"
{ echo "# silent test peer: the far end never answers LCP"
  echo "noauth"; echo "lcp-restart 1"; echo "lcp-max-configure 3"
  echo "pty \"cat >/dev/null\""; } > "$ROOT/etc/ppp/peers/silent"
echo 'root:x:0:0:root:/root:/bin/sh' > "$ROOT/etc/passwd"
echo 'root:x:0:' > "$ROOT/etc/group"
echo "$SCENARIOS" > "$ROOT/etc/dialkit-scenarios"
echo "$CANARY" > "$ROOT/etc/dialkit-canary"
install -m 0755 "$HERE/guest-init.sh" "$ROOT/init"
# The plugin loader refuses files and directories others can write to.
chmod -R go-w "$ROOT"
(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$OUT/initrd.gz"
log "initramfs $(stat -c %s "$OUT/initrd.gz") bytes; kernel $(cat "$KDIR/ready")"

# ------------------------------------------------------------ boot
CONSOLE=$OUT/console.log
rm -f "$CONSOLE"
case "$ACCEL" in
    kvm) accel=(-accel kvm -cpu host) ;;
    *) accel=(-accel tcg -cpu max) ;;
esac
t0=$(date +%s)
set +e
timeout "$VM_TIMEOUT" qemu-system-x86_64 "${accel[@]}" -m 512 -smp 1 -display none -monitor none \
    -serial "file:$CONSOLE" -no-reboot -nic none -kernel "$VMLINUZ" -initrd "$OUT/initrd.gz" \
    -append "console=ttyS0 quiet loglevel=3 panic=-1" </dev/null >"$OUT/qemu.log" 2>&1
rc=$?
set -e
log "QEMU ($ACCEL) ran $(( $(date +%s) - t0 ))s, exit $rc"
[ -f "$CONSOLE" ] || die "QEMU wrote no console (exit $rc): $(tail -3 "$OUT/qemu.log")"
grep -q '@@DK GUEST_START' "$CONSOLE" || die "the guest never reached /init (exit $rc); console tail: $(tail -5 "$CONSOLE" | tr -d '\r')"
grep -q '@@DK GUEST_DONE' "$CONSOLE" || die "the guest did not finish (exit $rc, timeout ${VM_TIMEOUT}s?); console tail: $(tail -5 "$CONSOLE" | tr -d '\r')"
grep -a '@@DK \(BEGIN\|END\|CHECK\|DRIVER_RC\)' "$CONSOLE" | tr -d '\r' >&2 || true
log "guest finished; console in $CONSOLE"

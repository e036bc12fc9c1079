#!/bin/bash
# usage: start-realnm.sh DIR OWNER_PID
# A REAL NetworkManager (Debian 12: 1.42) on a private dbus-daemon with the system-bus policy,
# in a network namespace of its own holding a veth pair (nmveth0 managed, nmveth1 its peer):
# the host's interfaces are out of its reach. Writes DIR/env (DBUS_SYSTEM_BUS_ADDRESS, NM_PID,
# NETNS) and returns once NM owns its name and finished starting. Cleans up on any failure;
# a guardian cleans up if OWNER_PID dies without calling stop.sh.
DIR=${1:?usage: start-realnm.sh DIR OWNER_PID}
OWNER=${2:?usage: start-realnm.sh DIR OWNER_PID}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
trap '"$HERE/stop.sh" "$DIR"' ERR
[ "$(id -u)" = 0 ] || die "needs root (ip netns, mount namespaces)"
command -v NetworkManager >/dev/null || die "NetworkManager is not installed (apt-get install network-manager)"
mkdir -p "$DIR/connections" "$DIR/conf.d"
: > "$DIR/env"
start_guardian "$OWNER"

# Profiles. Keyfiles must be 0600 or NM ignores them.
profile() {  # profile NAME UUID IFACE IPV4-LINES
  local f=$DIR/connections/$1.nmconnection
  printf '[connection]\nid=%s\nuuid=%s\ntype=ethernet\ninterface-name=%s\nautoconnect=false\n\n[ethernet]\n\n[ipv4]\n%b\n[ipv6]\nmethod=disabled\n' \
    "$1" "$2" "$3" "$4" > "$f"
  chmod 600 "$f"
}
profile veth-static 6c1c2d2e-7a43-4a8a-9b57-3d1f0b0c0a01 nmveth0 'method=manual\naddress1=192.0.2.1/24\n'
# Nobody answers DHCP on the veth: these fail (IP configuration) after their timeout.
profile veth-dhcp-fail 6c1c2d2e-7a43-4a8a-9b57-3d1f0b0c0a02 nmveth0 'method=auto\ndhcp-timeout=2\nmay-fail=false\n'
profile veth-dhcp-slow 6c1c2d2e-7a43-4a8a-9b57-3d1f0b0c0a03 nmveth0 'method=auto\ndhcp-timeout=120\nmay-fail=false\n'
# Bound to an interface that does not exist: NM refuses to activate it.
profile no-such-device 6c1c2d2e-7a43-4a8a-9b57-3d1f0b0c0a04 nosuch0 'method=manual\naddress1=192.0.2.9/24\n'

cat > "$DIR/NetworkManager.conf" <<CONF
[main]
plugins=keyfile
no-auto-default=*
dhcp=internal
dns=none
rc-manager=unmanaged
systemd-resolved=false
auth-polkit=false
hostname-mode=none

[keyfile]
path=$DIR/connections
unmanaged-devices=except:interface-name:nmveth0

[connectivity]
enabled=false

[logging]
level=INFO
domains=ALL:INFO,DEVICE:DEBUG
CONF

start_bus system

NETNS=dknm$$
ip netns add "$NETNS"
echo "$NETNS" >> "$DIR/netns"
echo "NETNS=$NETNS" >> "$DIR/env"
ip -n "$NETNS" link set lo up
ip -n "$NETNS" link add nmveth0 type veth peer name nmveth1
ip -n "$NETNS" link set nmveth1 up   # so nmveth0 has carrier once NM brings it up

. "$HERE/realnm-launch.sh"
launch_nm
echo "DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS"

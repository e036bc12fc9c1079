#!/bin/bash
# usage: start-mocknm.sh DIR OWNER_PID
# python-dbusmock's NetworkManager (extended by nm_template.py) and its polkitd template on a
# private, permissive dbus-daemon; populated with devices and profiles (mockctl.py populate).
# Writes DIR/env (DBUS_SYSTEM_BUS_ADDRESS); cleans up on failure; a guardian cleans up if
# OWNER_PID dies without calling stop.sh. dbusmock needs Debian's python (/usr/bin/python3).
DIR=${1:?usage: start-mocknm.sh DIR OWNER_PID}
OWNER=${2:?usage: start-mocknm.sh DIR OWNER_PID}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
trap '"$HERE/stop.sh" "$DIR"' ERR
/usr/bin/python3 -c 'import dbusmock' 2>/dev/null || die "python3-dbusmock is not installed"
: > "$DIR/env"
start_guardian "$OWNER"
start_bus open
/usr/bin/python3 -m dbusmock --system --template polkitd > "$DIR/polkitd-mock.log" 2>&1 &
POLKIT_PID=$!
echo "$POLKIT_PID" >> "$DIR/pids"
/usr/bin/python3 -m dbusmock --system --template "$HERE/nm_template.py" -l "$DIR/nm-mock-calls.log" \
  > "$DIR/nm-mock.log" 2>&1 &
NM_PID=$!
echo "$NM_PID" >> "$DIR/pids"
echo "NM_PID=$NM_PID" >> "$DIR/env"
wait_for_name org.freedesktop.PolicyKit1 "$POLKIT_PID" || die "polkitd mock did not start (see $DIR/polkitd-mock.log)"
wait_for_name org.freedesktop.NetworkManager "$NM_PID" || { cat "$DIR/nm-mock.log" >&2; die "NetworkManager mock did not start"; }
/usr/bin/python3 "$HERE/mockctl.py" allow org.freedesktop.NetworkManager.network-control
/usr/bin/python3 "$HERE/mockctl.py" populate
echo "DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS"

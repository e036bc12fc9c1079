#!/bin/bash
# usage: restart-realnm.sh DIR — starts NetworkManager again for a harness that
# start-realnm.sh set up in DIR (after a test killed it): the same bus, namespace, profiles and
# configuration. Appends the new NM_PID to DIR/env and returns once NM is ready again.
DIR=${1:?usage: restart-realnm.sh DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
[ -s "$DIR/env" ] || die "no harness in $DIR"
DBUS_SYSTEM_BUS_ADDRESS=$(sed -n 's/^DBUS_SYSTEM_BUS_ADDRESS=//p' "$DIR/env" | tail -1)
NETNS=$(sed -n 's/^NETNS=//p' "$DIR/env" | tail -1)
OLD_PID=$(sed -n 's/^NM_PID=//p' "$DIR/env" | tail -1)
export DBUS_SYSTEM_BUS_ADDRESS
# The killed NM may still be a zombie nobody reaped yet: that counts as gone.
running() { [ -r "/proc/$1/stat" ] && ! sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^Z'; }
for i in $(seq 1 200); do running "$OLD_PID" || break; sleep 0.01; done
! running "$OLD_PID" || die "NetworkManager $OLD_PID is still running"
. "$HERE/realnm-launch.sh"
launch_nm

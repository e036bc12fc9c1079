#!/bin/sh
# /init of the pppd real-peer guest (busybox ash). Loads the PPP modules, runs dialkit's guest
# driver (and the CLI, if shipped) against real pppd servers over ptys, prints everything on
# the serial console between markers, and powers off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox --install -s /bin 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /run /tmp /var/lock
mount -t devpts -o ptmxmode=0666,mode=0620 devpts /dev/pts
mount -t tmpfs tmp /run
mount -t tmpfs tmp /tmp
# dialkit's own libraries (run-guest.sh puts them here, not at build-tree paths).
export LD_LIBRARY_PATH=/opt/dialkit/lib
ln -sf /run /var/run 2>/dev/null
echo "@@DK GUEST_START kernel=$(uname -r) uptime=$(cut -d" " -f1 /proc/uptime)"
for m in slhc ppp_generic ppp_async; do
    if ! insmod /lib/modules/$m.ko; then echo "@@DK FATAL insmod $m failed"; poweroff -f; fi
done
ip link set lo up
SCENARIOS=$(cat /etc/dialkit-scenarios)
/opt/dialkit/bin/dialkit-pppd-guest-driver /opt/dialkit/plugins $SCENARIOS
echo "@@DK DRIVER_RC $? uptime=$(cut -d" " -f1 /proc/uptime)"
if [ -x /opt/dialkit/bin/dialkit ]; then
    echo "@@DK BEGIN cli"
    # The CLI dials through the same plugin; the password comes on stdin.
    echo "$(cat /etc/dialkit-canary)" | /opt/dialkit/bin/dialkit dial pap --backend pppd --user client \
        --password-stdin --json --hangup-after 1 --timeout 60 --plugin-path /opt/dialkit/plugins 2>&1 |
        sed 's/^/@@DK J /'
    echo "@@DK END cli rc=$?"
fi
for f in /run/server-*.log; do
    [ -f "$f" ] && sed "s|^|@@DK LOG $(basename "$f"): |" "$f"
done
echo "@@DK GUEST_DONE uptime=$(cut -d" " -f1 /proc/uptime)"
sync
poweroff -f

# Sourced by start-realnm.sh and restart-realnm.sh: launch_nm starts NetworkManager in $NETNS
# on $DBUS_SYSTEM_BUS_ADDRESS with $DIR's configuration, records it in $DIR/pids and NM_PID=
# in $DIR/env (a restart appends a new line: the last one is the live one), and returns once
# NM owns its name, finished starting and nmveth0 is available.
launch_nm() {
  local ok i dev
  mkdir -p /run/NetworkManager /var/lib/NetworkManager
  # /sys read-only in a private mount namespace: NM runs without udev (no udevd here) instead of
  # waiting forever for links to be "initialized". tmpfs over NM's hard-coded state directories
  # keeps runs apart from each other and from the host.
  ip netns exec "$NETNS" unshare -m --propagation private sh -c '
     mount -o remount,ro /sys &&
     mount -t tmpfs tmpfs /run/NetworkManager && mount -t tmpfs -o mode=0700 tmpfs /var/lib/NetworkManager &&
     exec "$@"' sh \
     env DBUS_SYSTEM_BUS_ADDRESS="$DBUS_SYSTEM_BUS_ADDRESS" NetworkManager --debug \
     --config="$DIR/NetworkManager.conf" --config-dir="$DIR/conf.d" --system-config-dir="$DIR/conf.d" \
     --intern-config=/var/lib/NetworkManager/intern.conf --state-file=/var/lib/NetworkManager/NetworkManager.state \
     --pid-file=/run/NetworkManager/nm.pid >> "$DIR/NetworkManager.log" 2>&1 &
  NM_PID=$!
  echo "$NM_PID" >> "$DIR/pids"
  echo "NM_PID=$NM_PID" >> "$DIR/env"
  wait_for_name org.freedesktop.NetworkManager "$NM_PID" || { tail -20 "$DIR/NetworkManager.log" >&2; die "NetworkManager did not get its bus name"; }
  ok=
  for i in $(seq 1 1000); do
    if busctl --system get-property org.freedesktop.NetworkManager /org/freedesktop/NetworkManager \
         org.freedesktop.NetworkManager Startup 2>/dev/null | grep -q false; then ok=1; break; fi
    sleep 0.01
  done
  [ -n "$ok" ] || die "NetworkManager did not finish starting"
  # nmveth0 must be usable (DISCONNECTED, 30) before a test activates anything on it.
  ok=
  for i in $(seq 1 1000); do
    dev=$(busctl --system call org.freedesktop.NetworkManager /org/freedesktop/NetworkManager \
            org.freedesktop.NetworkManager GetDeviceByIpIface s nmveth0 2>/dev/null | awk '{print $2}' | tr -d '"')
    if [ -n "$dev" ] && busctl --system get-property org.freedesktop.NetworkManager "$dev" \
         org.freedesktop.NetworkManager.Device State 2>/dev/null | grep -q 'u 30'; then ok=1; break; fi
    sleep 0.01
  done
  [ -n "$ok" ] || die "nmveth0 did not become available"
}

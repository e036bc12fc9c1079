# Shared by the harness scripts (sourced). Every process a script starts is written to
# $DIR/pids and every namespace to $DIR/netns, so stop.sh (and the guardian, if the test dies
# without calling it) can remove exactly what this run made.
set -euo pipefail

die() { echo "harness: $*" >&2; exit 1; }

# Waits until NAME is owned on the bus in DBUS_SYSTEM_BUS_ADDRESS (readiness, not a sleep);
# gives up after ~10 s or when PID dies.
wait_for_name() {
  local name=$1 pid=$2 i
  for i in $(seq 1 1000); do
    if dbus-send --system --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner \
         "string:$name" 2>/dev/null | grep -q 'boolean true'; then return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.01
  done
  return 1
}

# start_bus POLICY(open|system): a private dbus-daemon on $DIR/bus.sock; exports its address.
start_bus() {
  local policy=$1
  local conf=$DIR/bus.conf
  {
    echo '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"'
    echo ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">'
    echo '<busconfig><type>system</type>'
    echo "<listen>unix:path=$DIR/bus.sock</listen><auth>EXTERNAL</auth>"
    if [ "$policy" = open ]; then
      echo '<policy context="default"><allow user="*"/><allow own="*"/><allow send_type="method_call"/>'
      echo '<allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/></policy>'
    else
      # The real system-bus defaults plus NM's own policy snippets from the package.
      echo '<policy context="default"><allow user="*"/><deny own="*"/><deny send_type="method_call"/>'
      echo '<allow send_type="signal"/><allow send_requested_reply="true" send_type="method_return"/>'
      echo '<allow send_requested_reply="true" send_type="error"/><allow receive_type="method_call"/>'
      echo '<allow receive_type="method_return"/><allow receive_type="error"/><allow receive_type="signal"/>'
      echo '<allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>'
      echo '<allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>'
      echo '<allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>'
      echo '</policy>'
      # The secret agent (root here) must be callable by NM.
      echo '<policy user="root"><allow own="*"/><allow send_destination="*"/></policy>'
      echo '<includedir>/usr/share/dbus-1/system.d</includedir><includedir>/etc/dbus-1/system.d</includedir>'
    fi
    echo '</busconfig>'
  } > "$conf"
  rm -f "$DIR/bus.sock"
  dbus-daemon --config-file="$conf" --nofork --nopidfile --print-address=3 3>"$DIR/bus.addr" \
    >"$DIR/dbus-daemon.log" 2>&1 &
  echo $! >> "$DIR/pids"
  echo "BUS_PID=$!" >> "$DIR/env"
  local i
  for i in $(seq 1 500); do [ -s "$DIR/bus.addr" ] && break; sleep 0.01; done
  [ -s "$DIR/bus.addr" ] || die "dbus-daemon did not start (see $DIR/dbus-daemon.log)"
  DBUS_SYSTEM_BUS_ADDRESS=$(head -1 "$DIR/bus.addr")
  export DBUS_SYSTEM_BUS_ADDRESS
  echo "DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS" >> "$DIR/env"
}

# A watcher that cleans up when the test process ($OWNER) is gone without calling stop.sh.
start_guardian() {
  local owner=$1 here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  setsid bash -c 'while kill -0 '"$owner"' 2>/dev/null && [ -d "'"$DIR"'" ] && [ ! -e "'"$DIR"'/stopped" ]; do sleep 0.5; done
                  [ -e "'"$DIR"'/stopped" ] || "'"$here"'/stop.sh" "'"$DIR"'"' </dev/null >/dev/null 2>&1 &
}

#!/bin/bash
# usage: stop.sh DIR — ends every process the harness started for DIR and removes its netns.
# Idempotent; safe after a partial start.
DIR=${1:?usage: stop.sh DIR}
[ -d "$DIR" ] || exit 0
touch "$DIR/stopped"
if [ -f "$DIR/pids" ]; then
  # Reverse order: NetworkManager and the mocks before the bus they talk on.
  for pid in $(tac "$DIR/pids"); do kill -TERM "$pid" 2>/dev/null; done
  for pid in $(tac "$DIR/pids"); do
    for i in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
    kill -KILL "$pid" 2>/dev/null
  done
fi
if [ -f "$DIR/netns" ]; then
  while read -r ns; do ip netns del "$ns" 2>/dev/null; done < "$DIR/netns"
fi
true

#!/bin/bash
# A stand-in for /usr/sbin/pppd in the host-side session tests (the host kernel has no PPP).
# It takes the backend's real command line, and runs the "peer file" (`file PATH`) as a bash
# script with the plugin channel on fd 3, so each test peer scripts what pppd would report.
peer=""
user=""
args="$*"
while [ $# -gt 0 ]; do
    case "$1" in
        file) peer=$2; shift ;;
        call) peer=/etc/ppp/peers/$2; shift ;;
        user) user=$2; shift ;;
    esac
    shift
done
hex() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }
say() { printf '%s\n' "$*" >&3; }
# ask_secret KIND: prints the backend's reply line to stdout
ask_secret() { say "SECRET? ${SECRET_ID:-1} $1 $(hex "$user")"; IFS= read -r -u 3 reply; printf '%s' "$reply"; }
[ -n "$peer" ] || { echo "fake-pppd: no peer file in: $args" >&2; exit 2; }
. "$peer"

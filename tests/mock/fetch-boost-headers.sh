#!/usr/bin/env bash
# Fetches the headers of a newer Boost than Debian 12's default (1.74), without installing it:
# libboost1.81-dev conflicts with libboost1.74-dev, so it is downloaded with `apt-get download`
# and only its usr/include is unpacked into a cache folder. The Asio cancellation tests
# (tests/mock/test_asio_cancel.cpp) compile against it, linking the dialkit built with 1.74:
# a program's own Boost beside dialkit's, as users have it. About 10 MB downloaded once (180 MB
# unpacked); a few seconds.
#
#   fetch-boost-headers.sh        fetch if missing; prints the include directory
#   fetch-boost-headers.sh dir    prints the include directory only
#
# Env: DIALKIT_CACHE (default ~/.cache/dialkit), as tests/pppd/vm/run-guest.sh. The cache
# folder is DIALKIT_CACHE/boost1.81 (CMake's DIALKIT_ASIO_BOOST_INCLUDE defaults to its
# usr/include). apt runs under flock /tmp/dialkit-apt.lock.
set -euo pipefail

PACKAGE=libboost1.81-dev
CACHE=${DIALKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dialkit}/boost1.81
INCLUDE=$CACHE/usr/include

die() { echo "fetch-boost-headers.sh: $*" >&2; exit 1; }

if [[ "${1:-}" == dir ]]; then
  echo "$INCLUDE"
  exit 0
fi
[[ $# == 0 ]] || die "usage: $0 [dir]"
if [[ -f "$CACHE/ready" && -f "$INCLUDE/boost/version.hpp" ]]; then
  echo "$INCLUDE"
  exit 0
fi
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "apt-get and dpkg-deb are needed (Debian)"
rm -rf "$CACHE" && mkdir -p "$CACHE/download"
download() {
  (cd "$CACHE/download" && flock /tmp/dialkit-apt.lock \
    apt-get download -q -o APT::Sandbox::User=root "$PACKAGE" >/dev/null 2>"$CACHE/download.log")
}
if ! download; then
  # No package list yet (a fresh root): update once, then try again.
  echo "fetch-boost-headers.sh: apt-get download $PACKAGE failed; apt-get update, then again" >&2
  if ((EUID == 0)); then
    flock /tmp/dialkit-apt.lock apt-get update -q >/dev/null 2>>"$CACHE/download.log" || true
  elif command -v sudo >/dev/null; then
    flock /tmp/dialkit-apt.lock sudo apt-get update -q >/dev/null 2>>"$CACHE/download.log" || true
  fi
  download || die "apt-get download $PACKAGE failed (log: $CACHE/download.log)"
fi
deb=$(ls "$CACHE"/download/"$PACKAGE"_*.deb)
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$CACHE" ./usr/include || die "cannot unpack $deb"
[[ -f "$INCLUDE/boost/version.hpp" ]] || die "$deb holds no boost/version.hpp"
rm -rf "$CACHE/download"
basename "$deb" > "$CACHE/ready"
echo "$INCLUDE"

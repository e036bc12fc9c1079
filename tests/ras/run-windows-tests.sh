#!/usr/bin/env bash
# The RAS backend's Windows suite, run from Linux: cross-builds what Windows needs with
# MinGW-w64 (cmake/toolchain-mingw-w64-x86_64.cmake) in its own build directory, then runs it
# under wine64, headless, against the stand-in rasapi32.dll:
#   - ctest -L windows in the cross tree (the scenarios through the real adapter, the plugin
#     DLL through core's loader, the header checks);
#   - dialkit.exe backends / entries / dial on the stand-in and on the mock.
# Missing tools are a failure with the reason, never a silent pass.
# With --conformance it builds and runs only the conformance suite against the stand-in
# (ctest conformance.ras_wine in the cross tree), and missing tools are a skip (exit 77) with
# the reason, as for every other conformance peer.
# Usage: run-windows-tests.sh [--source DIR] [--build DIR] [--debug] [--conformance]
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD=""
TYPE=Release
CONFORMANCE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --source) SRC="$2"; shift 2 ;;
    --build) BUILD="$2"; shift 2 ;;
    --debug) TYPE=Debug; shift ;;
    --conformance) CONFORMANCE=1; shift ;;
    *) echo "run-windows-tests.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
BUILD="${BUILD:-$SRC/build-mingw}"
JOBS="${DIALKIT_WINDOWS_JOBS:-$(nproc 2>/dev/null || echo 2)}"
WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver
t0=$(date +%s)

missing=()
command -v x86_64-w64-mingw32-g++-posix >/dev/null || missing+=("x86_64-w64-mingw32-g++-posix (g++-mingw-w64-x86-64-posix)")
[ -x "$WINE" ] || missing+=("$WINE (wine64)")
[ -x "$WINESERVER" ] || missing+=("$WINESERVER (wine64)")
if [ ${#missing[@]} -gt 0 ] && [ "$CONFORMANCE" = 1 ]; then
  echo "run-windows-tests.sh: SKIPPED: missing ${missing[*]}; install backends/ras/debian-packages.txt (./dev setup)"
  exit 77
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "run-windows-tests.sh: FAIL: missing ${missing[*]}; install backends/ras/debian-packages.txt (./dev setup)" >&2
  exit 1
fi

echo "==> configure + build (MinGW, $TYPE) in $BUILD"
cmake -S "$SRC" -B "$BUILD" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$SRC/cmake/toolchain-mingw-w64-x86_64.cmake" \
  -DCMAKE_BUILD_TYPE="$TYPE" -DDIALKIT_BUILD_BENCH=OFF >"$BUILD.configure.log" 2>&1 ||
  { cat "$BUILD.configure.log" >&2; echo "run-windows-tests.sh: FAIL: configure" >&2; exit 1; }
# Only what the Windows suite needs: the RAS tests and the conformance suite (which pull in the stand-in and both
# plugins) and the CLI.
if [ "$CONFORMANCE" = 1 ]; then
  cmake --build "$BUILD" -j"$JOBS" --target dialkit_ras_conformance
else
  cmake --build "$BUILD" -j"$JOBS" --target dialkit_ras_windows_tests dialkit_ras_conformance dialkit
fi
t1=$(date +%s)

# A prefix of our own, and a persistent wineserver started here: wine's services must not be
# started by a test, or they inherit ctest's output pipe and ctest waits for them forever.
export WINEPREFIX="$BUILD/wineprefix" WINEDEBUG=-all WINEARCH=win64
export WINEDLLOVERRIDES="rasapi32=n,b;mscoree,mshtml="
mkdir -p "$WINEPREFIX"
"$WINESERVER" -p
trap '"$WINESERVER" -k >/dev/null 2>&1 || true' EXIT
"$WINE" wineboot -u </dev/null >/dev/null 2>&1
t2=$(date +%s)

rc=0
if [ "$CONFORMANCE" = 1 ]; then
  echo "==> conformance suite against the stand-in (under wine)"
  (cd "$BUILD" && ctest -R '^conformance\.ras_wine$' --output-on-failure --timeout 600 </dev/null) || rc=1
  t3=$(date +%s)
  echo "timing: build $((t1 - t0))s, wine prefix $((t2 - t1))s, suite $((t3 - t2))s"
  exit "$rc"
fi
echo "==> ctest -L windows (under wine)"
(cd "$BUILD" && ctest -L windows --output-on-failure --timeout 600 </dev/null) || rc=1

# The CLI as a Windows program, laid out as installed: dialkit.exe with dialkit-core.dll and
# rasapi32.dll (the stand-in) beside it, since Windows looks for DLLs in the program's
# directory before system32 (where wine's stub is). Plugins come from DIALKIT_PLUGIN_PATH.
winpath() { echo "Z:${1//\//\\}"; }
APP="$BUILD/wine-cli"
mkdir -p "$APP"
cp "$BUILD/cli/dialkit.exe" "$BUILD/bin/libdialkit-core.dll" "$BUILD/bin/rasapi32.dll" "$APP/"
export DIALKIT_PLUGIN_PATH="$(winpath "$BUILD/plugins")"
export DIALKIT_MOCK_REGISTRY="$(winpath "$BUILD/mock-registry")"
cli() { (cd "$APP" && "$WINE" "$APP/dialkit.exe" "$@"); }
check() {  # check NAME EXPECTED-EXIT PATTERN -- ARGS...; stdin comes from the caller
  local name="$1" want="$2" pattern="$3"; shift 4
  local out got=0
  out="$(cli "$@" 2>&1)" || got=$?
  if [ "$got" -eq "$want" ] && grep -Ezq -- "$pattern" <<<"$out"; then
    echo "ok   - dialkit.exe $name"
  else
    echo "FAIL - dialkit.exe $name (exit $got, wanted $want; output did not match /$pattern/):" >&2
    sed 's/^/       /' <<<"$out" >&2
    rc=1
  fi
}
echo "==> dialkit.exe under wine"
check "backends lists the ras plugin" 0 'path: .*dialkit-backend-ras\.dll' -- backends </dev/null
check "backends lists the mock plugin" 0 'path: .*dialkit-backend-mock\.dll' -- backends </dev/null
check "entries --backend ras" 0 'wrong-password' -- entries --backend ras </dev/null
check "dial on the mock" 0 'connected' -- dial success --backend mock --hangup-after 0.2 </dev/null
check "dial ok on the stand-in" 0 'connected.*RASCS_Connected' -- dial ok --backend ras --hangup-after 0.2 </dev/null
check "dial busy on the stand-in (exit 4: line)" 4 "line_busy.*676" -- dial busy --backend ras </dev/null
printf 'wrong\nletmein\n' >"$BUILD/answers.txt"
check "dial with a paused retry, resumed from stdin" 0 "retry_authentication.*auth_retry.*connected.*hung up" -- \
  dial wrong-password --backend ras --user alice --password-stdin --hangup-after 0.2 <"$BUILD/answers.txt"
t3=$(date +%s)

echo "timing: build $((t1 - t0))s, wine prefix $((t2 - t1))s, tests $((t3 - t2))s, total $((t3 - t0))s"
[ "$rc" -eq 0 ] && echo "run-windows-tests.sh: all Windows checks passed" || echo "run-windows-tests.sh: FAILED" >&2
exit "$rc"

#!/usr/bin/env bash
# The package tests (label "package"): dialkit as its users get it. One step per ctest case:
#   install          cmake --install into a temporary prefix (the fixture the others share),
#                    and check the layout
#   find_package     a consumer project with find_package(dialkit) from that prefix: the mock
#                    plugin through the loader, and dialkit::mock linked in (virtual time)
#   build_tree       the same consumer with find_package from the build tree (no install)
#   add_subdirectory the consumer with dialkit's source tree inside it
#   pkg_config       the consumer compiled with `pkg-config --cflags --libs dialkit`
#   version          find_package(dialkit 1.0) must refuse this 0.x package
#   template         the shipped plugin template built out of tree against the prefix, listed
#                    by the installed `dialkit backends`, passing the conformance suite
#   template_key     the template configured with another build type must be refused
#   relocate         installed under one prefix, then moved: under `env -i` the moved CLI lists
#                    the moved plugins and dials the mock with the moved scenarios; no
#                    installed binary or library holds a source- or build-tree path
#   strip            `cmake --install --strip`: the CLI still loads every plugin
#   backend_options  an enabled backend whose dependency is missing fails the configure, naming
#                    the Debian package; turned off, the configure passes without it
#   deb              cpack -G DEB, the packages' contents and dependencies, then `dialkit
#                    backends` run from the packages unpacked into a throwaway root
# Usage: package_test.sh ENV_FILE STEP
set -euo pipefail
# shellcheck source=/dev/null
source "$1"
step="$2"
# The install goes to a prefix other than the configured one, staged under DESTDIR, so that an
# install rule with an absolute destination (which ignores --prefix) lands inside the work
# directory, where the install step finds it, and never in the machine's own directories.
STAGE="$WORK/stage"
PREFIX_NAME=/opt/dialkit-package-test
PREFIX="$STAGE$PREFIX_NAME"
PLUGIN_DIR="$PREFIX/$LIBDIR/dialkit/plugins"
JOBS=2

say() { printf '== %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
need() { [[ -e "$1" ]] || fail "missing $1"; }

# consumer_build NAME CONFIGURE-ARGS...: configure and build tests/package/consumer.
consumer_build() {
  local name="$1"
  shift
  rm -rf "$WORK/$name"
  "$CMAKE" -S "$HERE/consumer" -B "$WORK/$name" -G "$GENERATOR" \
    -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "$@"
  "$CMAKE" --build "$WORK/$name" -j "$JOBS"
}

# fresh_root: a new empty directory outside both trees, removed when the step ends.
fresh_root() {
  ROOT_DIR="$(mktemp -d "${TMPDIR:-/tmp}/dialkit-package.XXXXXX")"
  # shellcheck disable=SC2064 # expanded now, on purpose
  trap "rm -rf '$ROOT_DIR'" EXIT
}

# install_moved [INSTALL ARGS...]: installs at one prefix, moves the tree elsewhere and sets
# MOVED to where it now is. DESTDIR keeps any absolute install rule inside the root too.
install_moved() {
  fresh_root
  DESTDIR="$ROOT_DIR/stage" "$CMAKE" --install "$BIN" --prefix /first "$@" >/dev/null
  mv "$ROOT_DIR/stage/first" "$ROOT_DIR/moved"
  MOVED="$ROOT_DIR/moved"
}

# check_moved_backends: under `env -i` (no variable at all), the moved CLI lists each backend
# this build has, each from the moved plugin directory, and refuses none.
check_moved_backends() {
  local listing name
  listing="$(env -i "$MOVED/$BINDIR/dialkit" backends 2>&1)"
  printf '%s\n' "$listing"
  for name in $BACKENDS; do
    [[ "$(backend_path "$listing" "$name")" == "$MOVED/$LIBDIR/dialkit/plugins/dialkit-backend-$name.so" ]] ||
      fail "the moved dialkit does not list $name from the moved tree"
  done
  if grep -qi 'refused' <<<"$listing"; then fail "the moved dialkit refused a plugin"; fi
}

# check_mock_dial: under `env -i`, the moved CLI dials the mock's shipped `success` scenario
# (real time, about 5 s) and hangs up once connected.
check_mock_dial() {
  local out code=0
  out="$(env -i "$MOVED/$BINDIR/dialkit" dial success --backend mock --hangup-after 0 2>&1)" || code=$?
  printf '%s\n' "$out"
  [[ "$code" == 0 ]] || fail "the moved dialkit's mock dial exited $code"
  grep -qE '^\+ +[0-9.]+s +connected ' <<<"$out" || fail "the moved dialkit's mock dial did not connect"
}

# backend_path OUTPUT NAME: the "path:" line of backend NAME in `dialkit backends` output.
backend_path() {
  awk -v name="$2" '
    /^[^ ]/ { current = $1 }
    current == name && $1 == "path:" { print $2; exit }' <<<"$1"
}

case "$step" in
install)
  rm -rf "$STAGE"
  DESTDIR="$STAGE" "$CMAKE" --install "$BIN" --prefix "$PREFIX_NAME"
  # Everything must be under the prefix: a rule with an absolute DESTINATION breaks
  # `cmake --install --prefix` for users (and writes outside it).
  outside="$(find "$STAGE" -mindepth 1 \( -type f -o -type l \) -not -path "$PREFIX/*")"
  [[ -z "$outside" ]] || fail "installed outside the prefix $PREFIX_NAME (an absolute DESTINATION?):
$outside"
  for f in runtime.hpp backend.hpp plugin.hpp mapping.hpp conformance.hpp; do
    need "$PREFIX/$INCLUDEDIR/dialkit/$f"
  done
  # A backend's own headers stay in its src/: only what users call is installed (mock.hpp).
  internal="$(find "$PREFIX/$INCLUDEDIR" \( -name mapper.hpp -o -name protocol.hpp -o -name win32.hpp \
    -o -name api.hpp -o -name networkmanager.hpp -o -path '*/dialkit/pppd*' -o -path '*/dialkit/ras*' \))"
  [[ -z "$internal" ]] || fail "a backend's internal header was installed:
$internal"
  lib="$PREFIX/$LIBDIR/libdialkit-core.so"
  need "$lib.$VERSION"
  [[ -L "$lib.$VERSION_MAJOR" && -L "$lib" ]] || fail "the library's SONAME and dev links are missing"
  soname="$(objdump -p "$lib.$VERSION" | awk '$1 == "SONAME" { print $2 }')"
  [[ "$soname" == "libdialkit-core.so.$VERSION_MAJOR" ]] || fail "SONAME is '$soname'"
  for f in dialkitConfig.cmake dialkitConfigVersion.cmake dialkitTargets.cmake \
           dialkitPluginHelpers.cmake DialkitBuildKey.cmake; do
    need "$PREFIX/$LIBDIR/cmake/dialkit/$f"
  done
  need "$PREFIX/$LIBDIR/pkgconfig/dialkit.pc"
  need "$PLUGIN_DIR/dialkit-backend-mock.so"
  [[ ! -e "$PLUGIN_DIR/dialkit-backend-template.so" ]] || fail "the template was installed as a backend"
  need "$PREFIX/$BINDIR/dialkit"
  need "$PREFIX/$BINDIR/dialkit-conformance"
  need "$PREFIX/$DATADIR/dialkit/scenarios/success.json"
  need "$PREFIX/$DATADIR/dialkit/plugin-template/CMakeLists.txt"
  if grep -rq -e '-Werror' -e '-Wall' "$PREFIX/$LIBDIR/cmake/dialkit"; then
    fail "the exported targets carry dialkit's warning flags"
  fi
  # The installed CLI lists the installed mock (not the build tree's, which it also sees).
  out="$("$PREFIX/$BINDIR/dialkit" backends --plugin-path "$PLUGIN_DIR")"
  printf '%s\n' "$out"
  [[ "$(backend_path "$out" mock)" == "$PLUGIN_DIR/dialkit-backend-mock.so" ]] ||
    fail "the installed dialkit does not list the installed mock plugin"
  # The installed conformance tool passes the installed mock, with the installed scenarios.
  "$PREFIX/$BINDIR/dialkit-conformance" --option "scenario_dirs=$PREFIX/$DATADIR/dialkit/scenarios" \
    "$PLUGIN_DIR/dialkit-backend-mock.so"
  ;;
find_package)
  consumer_build find_package -DCMAKE_PREFIX_PATH="$PREFIX" -DCONSUMER_REQUIRE_VERSION=0.1
  grep -q "dialkit_DIR:PATH=$PREFIX/$LIBDIR/cmake/dialkit" "$WORK/find_package/CMakeCache.txt" ||
    fail "find_package did not take dialkit from the prefix"
  "$WORK/find_package/consumer"
  "$WORK/find_package/mock_consumer"
  ;;
build_tree)
  consumer_build build_tree -Ddialkit_DIR="$BIN"
  "$WORK/build_tree/consumer"
  "$WORK/build_tree/mock_consumer"
  ;;
add_subdirectory)
  consumer_build add_subdirectory -DCONSUMER_MODE=add_subdirectory -DDIALKIT_SOURCE_DIR="$SRC"
  "$WORK/add_subdirectory/consumer"
  "$WORK/add_subdirectory/mock_consumer"
  ;;
pkg_config)
  export PKG_CONFIG_PATH="$PREFIX/$LIBDIR/pkgconfig"
  pkg-config --exists --print-errors dialkit
  [[ "$(pkg-config --modversion dialkit)" == "$VERSION" ]] || fail "pkg-config --modversion"
  [[ "$(pkg-config --variable=build_key dialkit)" == "$BUILD_KEY" ]] || fail "build_key variable"
  [[ "$(realpath "$(pkg-config --variable=plugindir dialkit)")" == "$(realpath "$PLUGIN_DIR")" ]] ||
    fail "plugindir variable"
  rm -rf "$WORK/pkg_config" && mkdir -p "$WORK/pkg_config"
  # No flag of its own: the C++ standard and the `expected` come from dialkit.pc.
  # shellcheck disable=SC2046 # word splitting of the flags is the point
  "$CXX" -o "$WORK/pkg_config/consumer" "$HERE/consumer/main.cpp" \
    -DCONSUMER_PLUGIN_DIR="\"$PLUGIN_DIR\"" \
    -DCONSUMER_SCENARIO_DIR="\"$PREFIX/$DATADIR/dialkit/scenarios\"" \
    $(pkg-config --cflags dialkit) $(pkg-config --libs dialkit) \
    -Wl,-rpath,"$(pkg-config --variable=libdir dialkit)"
  "$WORK/pkg_config/consumer"
  # A plugin built with pkg-config alone (plugins/README.md says how) loads and conforms.
  template="$PREFIX/$DATADIR/dialkit/plugin-template/src"
  # shellcheck disable=SC2046
  "$CXX" -fPIC -shared -fvisibility=hidden -fvisibility-inlines-hidden \
    -o "$WORK/pkg_config/dialkit-backend-template.so" "$template/template_backend.cpp" "$template/plugin.cpp" \
    -I"$template" $(pkg-config --cflags dialkit) -DBOOST_DLL_USE_STD_FS \
    -DDIALKIT_BUILD_KEY_ID="$(pkg-config --variable=build_key dialkit)" $(pkg-config --libs dialkit)
  "$PREFIX/$BINDIR/dialkit-conformance" "$WORK/pkg_config/dialkit-backend-template.so"
  ;;
version)
  # Only the configure's output matters here: ctest matches it (PASS_REGULAR_EXPRESSION).
  rm -rf "$WORK/version"
  "$CMAKE" -S "$HERE/consumer" -B "$WORK/version" -G "$GENERATOR" \
    -DCMAKE_PREFIX_PATH="$PREFIX" -DCONSUMER_REQUIRE_VERSION=1.0 2>&1 || true
  ;;
template)
  build="$WORK/template"
  rm -rf "$build"
  "$CMAKE" -S "$PREFIX/$DATADIR/dialkit/plugin-template" -B "$build" -G "$GENERATOR" \
    -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DCMAKE_PREFIX_PATH="$PREFIX"
  "$CMAKE" --build "$build" -j "$JOBS"
  plugin="$build/plugins/dialkit-backend-template.so"
  need "$plugin"
  # The installed CLI finds it from the plugin path: the option, then the variable.
  out="$("$PREFIX/$BINDIR/dialkit" backends --plugin-path "$build/plugins")"
  printf '%s\n' "$out"
  [[ "$(backend_path "$out" template)" == "$plugin" ]] || fail "--plugin-path: template not listed"
  out="$(DIALKIT_PLUGIN_PATH="$build/plugins" "$PREFIX/$BINDIR/dialkit" backends)"
  [[ "$(backend_path "$out" template)" == "$plugin" ]] || fail "DIALKIT_PLUGIN_PATH: template not listed"
  # The installed conformance tool, and the template's own test (the same suite, linked in).
  "$PREFIX/$BINDIR/dialkit-conformance" "$plugin"
  "$CTEST" --test-dir "$build" --output-on-failure
  ;;
template_key)
  other=Release
  [[ "$BUILD_TYPE" == Release ]] && other=Debug
  rm -rf "$WORK/template_key"
  "$CMAKE" -S "$PREFIX/$DATADIR/dialkit/plugin-template" -B "$WORK/template_key" \
    -G "$GENERATOR" -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_BUILD_TYPE="$other" \
    -DCMAKE_PREFIX_PATH="$PREFIX" 2>&1 || true
  ;;
relocate)
  install_moved
  check_moved_backends
  check_mock_dial
  # No installed binary or library names either tree (a moved or packaged install would look
  # there, and the paths leak the build machine's layout).
  found=""
  while IFS= read -r -d '' f; do
    case "$(head -c 4 "$f" | od -An -c | tr -d ' ')" in
      '177ELF' | '!<ar') ;;
      *) continue ;;
    esac
    for tree in "$SRC" "$BIN"; do
      if strings -a "$f" | grep -qF "$tree"; then
        found+="$f: $(strings -a "$f" | grep -F "$tree" | head -3 | tr '\n' ' ')"$'\n'
      fi
    done
  done < <(find "$MOVED" -type f -print0)
  [[ -z "$found" ]] || fail "installed files hold a source- or build-tree path:
$found"
  ;;
strip)
  install_moved --strip
  check_moved_backends
  check_mock_dial
  ;;
backend_options)
  # configure_without NAME ARGS...: configures the source tree (no tests, no build) with the
  # pppd headers' directory hidden from find_path and no pkg-config module found.
  configure_without() {
    local name="$1" empty="$WORK/backend_options/empty-pc"
    shift
    rm -rf "$WORK/backend_options/$name" && mkdir -p "$empty"
    PKG_CONFIG_LIBDIR="$empty" PKG_CONFIG_PATH="" "$CMAKE" -S "$SRC" -B "$WORK/backend_options/$name" \
      -G "$GENERATOR" -DCMAKE_CXX_COMPILER="$CXX" -DDIALKIT_BUILD_TESTS=OFF -DDIALKIT_BUILD_BENCH=OFF \
      -DCMAKE_IGNORE_PATH=/usr/include "$@" 2>&1
  }
  out="$(configure_without both)" && fail "the configure passed without ppp-dev"
  grep -q 'install the Debian package ppp-dev' <<<"$out" || fail "no ppp-dev in: $out"
  out="$(configure_without nm -DDIALKIT_BACKEND_PPPD=OFF)" && fail "the configure passed without sdbus-c++"
  grep -q 'libsdbus-c++-dev' <<<"$out" || fail "no libsdbus-c++-dev in: $out"
  out="$(configure_without none -DDIALKIT_BACKEND_PPPD=OFF -DDIALKIT_BACKEND_NETWORKMANAGER=OFF)" ||
    fail "the configure failed with both backends off: $out"
  grep -q 'pppd backend off' <<<"$out" || fail "the pppd backend is not reported off"
  ;;
deb)
  out="$WORK/deb"
  rm -rf "$out"
  mkdir -p "$out"
  "$CPACK" -G DEB --config "$BIN/CPackConfig.cmake" -B "$out"
  runtime_deb="$(ls "$out"/dialkit_"$VERSION"-*.deb)"
  dev_deb="$(ls "$out"/dialkit-dev_"$VERSION"-*.deb)"
  dpkg-deb --info "$runtime_deb"
  depends="$(dpkg-deb --field "$runtime_deb" Depends)"
  # dpkg-shlibdeps found what the binaries link: the C and C++ runtimes.
  [[ "$depends" == *libc6* && "$depends" == *libstdc++6* ]] || fail "runtime Depends: '$depends'"
  [[ "$(dpkg-deb --field "$dev_deb" Depends)" == *"dialkit (= $VERSION-1)"* ]] ||
    fail "dialkit-dev does not depend on its dialkit"
  p=".$INSTALL_PREFIX"
  contents="$(dpkg-deb --contents "$runtime_deb")"
  for f in "$p/$LIBDIR/libdialkit-core.so.$VERSION_MAJOR" "$p/$BINDIR/dialkit" \
           "$p/$LIBDIR/dialkit/plugins/dialkit-backend-mock.so" \
           "$p/$DATADIR/dialkit/scenarios/success.json"; do
    grep -qF " $f" <<<"$contents" || fail "dialkit lacks $f"
  done
  # Headers, static libraries, CMake and pkg-config files belong in dialkit-dev.
  devfiles="$(grep -E " $p/($INCLUDEDIR/.+|$LIBDIR/cmake/.+|$LIBDIR/pkgconfig/.+|.+\.a)\$" <<<"$contents" || true)"
  [[ -z "$devfiles" ]] || fail "development files in the runtime package (install rules without COMPONENT dev?):
$devfiles"
  triggers="$(dpkg-deb --ctrl-tarfile "$runtime_deb" | tar -xO ./triggers)"
  grep -qF "activate-noawait ldconfig" <<<"$triggers" || fail "dialkit does not trigger ldconfig"
  contents="$(dpkg-deb --contents "$dev_deb")"
  for f in "$p/$INCLUDEDIR/dialkit/runtime.hpp" "$p/$INCLUDEDIR/dialkit/plugin.hpp" \
           "$p/$LIBDIR/cmake/dialkit/dialkitConfig.cmake" "$p/$LIBDIR/pkgconfig/dialkit.pc" \
           "$p/$LIBDIR/libdialkit-core.so "; do
    grep -qF " $f" <<<"$contents" || fail "dialkit-dev lacks $f"
  done
  # A throwaway root: both packages unpacked, nothing of the build tree on the paths.
  root="$out/root"
  dpkg-deb -x "$runtime_deb" "$root"
  dpkg-deb -x "$dev_deb" "$root"
  lib="$root$INSTALL_PREFIX/$LIBDIR"
  cli="$root$INSTALL_PREFIX/$BINDIR/dialkit"
  LD_LIBRARY_PATH="$lib" ldd "$cli" | grep -F "libdialkit-core.so.$VERSION_MAJOR => $lib/" >/dev/null ||
    fail "the unpacked dialkit does not use the unpacked libdialkit-core"
  listing="$(LD_LIBRARY_PATH="$lib" "$cli" backends --plugin-path "$lib/dialkit/plugins")"
  printf '%s\n' "$listing"
  [[ "$(backend_path "$listing" mock)" == "$lib/dialkit/plugins/dialkit-backend-mock.so" ]] ||
    fail "the unpacked dialkit does not list the unpacked mock plugin"
  # A mock dial from the unpacked packages, with their own scenarios: `busy` fails within two
  # seconds with the line class's exit code (4).
  code=0
  LD_LIBRARY_PATH="$lib" DIALKIT_MOCK_REGISTRY="$out/registry" \
    DIALKIT_MOCK_SCENARIOS="$root$INSTALL_PREFIX/$DATADIR/dialkit/scenarios" \
    "$cli" dial busy --backend mock --plugin-path "$lib/dialkit/plugins" || code=$?
  [[ "$code" == 4 ]] || fail "the busy dial exited $code, not 4 (line busy)"
  ;;
deb_chroot)
  # Opt-in (-DDIALKIT_TEST_DEB_CHROOT=DIR): a real install of the package into a clean Debian
  # 12 root (made once with debootstrap, about half a minute here), its dependencies from the
  # archive, then `dialkit backends` with no path and no variable; purged again afterwards.
  root="$DEB_CHROOT"
  if [[ ! -x "$root/usr/bin/dpkg" ]]; then
    debootstrap --variant=minbase bookworm "$root"
  fi
  runtime_deb="$(ls "$WORK/deb"/dialkit_"$VERSION"-*.deb)"
  cp "$runtime_deb" "$root/tmp/dialkit.deb"
  chroot "$root" dpkg --purge dialkit-dev dialkit >/dev/null 2>&1 || true
  chroot "$root" dpkg -i /tmp/dialkit.deb || true  # its dependencies come next
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get -f install -y -qq --no-install-recommends
  [[ "$(chroot "$root" dpkg-query -W -f='${Status}' dialkit)" == "install ok installed" ]] ||
    fail "dialkit did not install in the clean root"
  cache="$(chroot "$root" ldconfig -p)"
  grep -qF "libdialkit-core.so.$VERSION_MAJOR " <<<"$cache" ||
    fail "libdialkit-core is not in the loader cache"
  listing="$(chroot "$root" dialkit backends)"
  printf '%s\n' "$listing"
  [[ "$(backend_path "$listing" mock)" == "$INSTALL_PREFIX/$LIBDIR/dialkit/plugins/dialkit-backend-mock.so" ]] ||
    fail "the installed dialkit does not list its mock plugin"
  chroot "$root" dpkg --purge dialkit
  ;;
*)
  fail "unknown step $step"
  ;;
esac
say "$step: OK"

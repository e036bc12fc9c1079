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
#   template_key     the template configured with another build type (None, as Debian builds)
#                    is accepted: not part of the build key; with another compiler family
#                    (clang or g++, whichever dialkit was not built with) it is refused
#   guide            plugins/README.md's guide: each line of its C++ and CMake blocks is a line
#                    of the template; its shell blocks run as written in a clean
#                    environment: dialkit installed, the template copied and renamed to acme,
#                    built, installed into dialkit's prefix; then the installed CLI lists it
#                    with no path (env -i), the installed conformance tool passes it, and a
#                    group-writable plugin is refused as the guide says
#   relocate         installed under one prefix, then moved: under `env -i` the moved CLI lists
#                    the moved plugins and dials the mock with the moved scenarios; no
#                    installed binary or library holds a source- or build-tree path
#   strip            `cmake --install --strip`: the CLI still loads every plugin; the stripped
#                    library and plugins export no Boost symbol (tests/headers/boost_exports.sh)
#   backend_options  an enabled backend whose dependency is missing fails the configure, naming
#                    the Debian package; turned off, the configure passes without it
#   docs             (label docs) the `docs` target reads every installed header and fails on
#                    an undocumented symbol in any of them (tests/doc/doxygen_test.sh)
#   docs_install     DIALKIT_DOCS=ON builds the reference and installs it (component doc) into
#                    share/doc/dialkit/html; without doxygen that configure fails naming it
#   deb              `./dev package` (its tree, output here): the packages' names, contents,
#                    dependencies, -dbgsym packages, stripped and hardened binaries, no
#                    Boost symbol exported by the library or a plugin, then
#                    `dialkit backends` and a mock dial from the packages unpacked into a
#                    throwaway root
#   deb_lintian      lintian on each package: no error
#   deb_chroot       the packages installed with apt into a clean Debian 12 root (debootstrap),
#                    `dialkit backends` and a mock dial there; skips when not root, or when
#                    debootstrap or a Debian mirror is missing
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

# The packages' libdir: GNUInstallDirs' multiarch one under /usr (this tree may have another).
DEB_LIBDIR="lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo "$(uname -m)-linux-gnu")"

# skip REASON: ctest counts exit 77 as skipped (SKIP_RETURN_CODE), with the reason in the log.
skip() { printf 'SKIPPED: %s\n' "$*"; exit 77; }

# has_backend NAME: this build has backend NAME.
has_backend() { [[ " $BACKENDS " == *" $1 "* ]]; }

# deb_file PACKAGE: the .deb of PACKAGE in the deb step's output.
deb_file() {
  local f
  f="$(ls "$WORK/deb/$1_$VERSION"-*.deb 2>/dev/null || true)"
  [[ -n "$f" ]] || fail "no package $1 in $WORK/deb: $(ls "$WORK/deb")"
  printf '%s\n' "$f"
}

# debian_mirror SUITE: the first Debian archive URI this machine's apt uses for SUITE
# (/etc/apt/sources.list, one-line and deb822 files), empty if none.
debian_mirror() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    if [[ "$f" == *.sources ]]; then
      awk -v suite="$1" '
        /^[ \t]*$/ { if (uri != "" && found && deb) { print uri; exit } uri = ""; found = 0; deb = 0; next }
        tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
        tolower($1) == "uris:" { uri = $2 }
        tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) found = 1 }
        END { if (uri != "" && found && deb) print uri }' "$f"
    else
      awk -v suite="$1" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++; if ($(i + 1) == suite) print $i }' "$f"
    fi
  done | grep -m1 . || true
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
  for f in runtime.hpp asio.hpp backend.hpp plugin.hpp mapping.hpp conformance.hpp; do
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
  [[ ! -e "$PREFIX/$INCLUDEDIR/dialkit/doc_blocks.hpp" ]] ||
    fail "doc_blocks.hpp, a tool of the tree's doc generators, is installed as a public header"
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
  # The fixture as conformance.mock gives it: the scenarios that connect and pause, the scenario
  # that takes a callback number, and a registry for the watch the mock declares.
  DIALKIT_CONFORMANCE_PASSWORD=letmein "$PREFIX/$BINDIR/dialkit-conformance" \
    --option "scenario_dirs=$PREFIX/$DATADIR/dialkit/scenarios" --option "registry_dir=$WORK/install-registry" \
    --connects success --pauses wrong-password --user user --option-entry callback_number=callback \
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
    -o "$WORK/pkg_config/dialkit-backend-template.so" "$template/backend.cpp" "$template/mapping.cpp" "$template/plugin.cpp" \
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
  # Its output is kept out of the log: ctest passes this step on the refusal's text.
  rm -rf "$WORK/template_key"
  "$CMAKE" -S "$PREFIX/$DATADIR/dialkit/plugin-template" -B "$WORK/template_key" \
    -G "$GENERATOR" -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_PREFIX_PATH="$PREFIX" >"$WORK/template_key.log" 2>&1 ||
    fail "build type None was refused (see $WORK/template_key.log)"
  other=clang++-16
  [[ "$CXX" == *clang* ]] && other=g++
  command -v "$other" >/dev/null || { echo "SKIP: $other (another compiler family) is not installed"; exit 77; }
  rm -rf "$WORK/template_key"
  "$CMAKE" -S "$PREFIX/$DATADIR/dialkit/plugin-template" -B "$WORK/template_key" \
    -G "$GENERATOR" -DCMAKE_CXX_COMPILER="$other" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
    -DCMAKE_PREFIX_PATH="$PREFIX" 2>&1 || true
  ;;
docs)
  bash "$SRC/tests/doc/doxygen_test.sh" "$DOXYGEN" "$BIN/docs/Doxyfile" "$WORK/docs" \
    "$PREFIX/$INCLUDEDIR/dialkit"
  ;;
docs_install)
  if [[ -z "$DOXYGEN" ]]; then
    echo "SKIPPED: doxygen is not installed (apt-get install doxygen, or ./dev setup)"
    exit 77
  fi
  # A tree of its own with only what the reference needs configured: no compiler run at all.
  tree="$WORK/docs_install/tree"
  rm -rf "$WORK/docs_install"
  docs_configure() {
    "$CMAKE" -S "$SRC" -B "$tree" -G "$GENERATOR" -DCMAKE_CXX_COMPILER="$CXX" \
      -DDIALKIT_BUILD_TESTS=OFF -DDIALKIT_BUILD_BENCH=OFF -DDIALKIT_BACKEND_PPPD=OFF \
      -DDIALKIT_BACKEND_NETWORKMANAGER=OFF -DDIALKIT_DOCS=ON "$@" 2>&1
  }
  out="$(docs_configure -DCMAKE_DISABLE_FIND_PACKAGE_Doxygen=ON)" &&
    fail "DIALKIT_DOCS=ON configured without doxygen"
  grep -q 'install the Debian package doxygen' <<<"$out" || fail "the refusal names no package: $out"
  rm -rf "$tree"
  docs_configure >/dev/null
  "$CMAKE" --build "$tree" --target docs
  docs_root="$WORK/docs_install/root"
  "$CMAKE" --install "$tree" --component doc --prefix "$docs_root"
  html="$docs_root/$DATADIR/doc/dialkit/html"
  need "$html/index.html"
  # The mock's API is in it (dialkit::mock::MockFactory), as core's is.
  grep -rlq 'MockFactory' "$html" || fail "the installed reference has no dialkit::mock"
  grep -rlq 'RuntimeOptions' "$html" || fail "the installed reference has no dialkit::Runtime"
  # Only the reference: the doc component holds nothing else.
  others="$(find "$docs_root" -type f -not -path "$html/*")"
  [[ -z "$others" ]] || fail "the doc component installs more than the reference: $others"
  ;;
guide)
  # The guide's home: dialkit's "source tree" ~/src/dialkit holds this build as build/. Its
  # install has no DESTDIR, as a user's; package.install checks that no rule writes outside.
  fresh_root
  home="$ROOT_DIR/home"
  mkdir -p "$home/src/dialkit"
  ln -s "$BIN" "$home/src/dialkit/build"
  blocks="$ROOT_DIR/blocks"
  mkdir "$blocks"
  # Every ```sh block, in order, named by its first line in the README.
  awk -v dir="$blocks" '
    /^```sh$/ { file = sprintf("%s/%05d.sh", dir, NR + 1); inside = 1; next }
    /^```/ && inside { inside = 0; close(file); next }
    inside { print > file }' "$SRC/plugins/README.md"
  # Every ```cpp and ```cmake block (also one indented in a list) shows the template's code as
  # it is: each of its lines but "..." is a line of a file of plugins/template.
  template_lines="$ROOT_DIR/template-lines"
  find "$SRC/plugins/template" -type f -exec sed -e 's/^ *//' -e 's/ *$//' {} + >"$template_lines"
  while IFS=$'\t' read -r line text; do
    [[ -z "$text" || "$text" == "..." ]] && continue
    grep -qxF -- "$text" "$template_lines" ||
      fail "plugins/README.md:$line: the guide shows code the template does not have: $text"
  done < <(awk '/^ *```(cpp|cmake)$/ { inside = 1; next }
    /^ *```/ && inside { inside = 0; next }
    inside { sub(/^ */, ""); sub(/ *$/, ""); print NR "\t" $0 }' "$SRC/plugins/README.md")
  count="$(find "$blocks" -name '*.sh' | wc -l)"
  ((count >= 4)) || fail "plugins/README.md has $count shell blocks; the guide has at least 4"
  for block in "$blocks"/*.sh; do
    line="$((10#$(basename "$block" .sh)))"
    first="$(awk 'NF { print; exit }' "$block")"
    [[ "$first" == "cd "* ]] ||
      fail "plugins/README.md:$line: the block does not start by changing into its directory"
    # The guide says Debug, the build type of ./dev build; another tree puts its own.
    if [[ "$BUILD_TYPE" != Debug ]]; then
      sed -i "s/-DCMAKE_BUILD_TYPE=Debug/-DCMAKE_BUILD_TYPE=$BUILD_TYPE/" "$block"
    fi
    say "plugins/README.md:$line"
    # No variable of this build or this shell: only a home, a plain PATH, and the compiler and
    # generator this dialkit was built with (CMake reads CXX and CMAKE_GENERATOR). The umask
    # is the usual 022 (the guide says what to do with 002).
    (umask 022 && cd "$home" && env -i HOME="$home" PATH=/usr/local/bin:/usr/bin:/bin CXX="$CXX" \
      CMAKE_GENERATOR="$GENERATOR" bash -euxo pipefail "$block") ||
      fail "plugins/README.md:$line: the guide's block failed"
  done
  prefix="$home/dialkit"
  plugin="$prefix/$LIBDIR/dialkit/plugins/dialkit-backend-acme.so"
  need "$plugin"
  # The installed CLI, with no variable at all, finds it in the install's plugin directory.
  listing="$(env -i "$prefix/$BINDIR/dialkit" backends 2>&1)"
  printf '%s\n' "$listing"
  [[ "$(backend_path "$listing" acme)" == "$plugin" ]] ||
    fail "the installed dialkit does not list acme from $plugin"
  [[ -z "$(backend_path "$listing" template)" ]] || fail "a backend is still called template"
  if grep -qi 'refused' <<<"$listing"; then fail "the installed dialkit refused a plugin"; fi
  env -i "$prefix/$BINDIR/dialkit-conformance" "$plugin"
  # As the guide says: a plugin the group can write to is refused, saying so.
  chmod g+w "$plugin"
  listing="$(env -i "$prefix/$BINDIR/dialkit" backends 2>&1)"
  chmod g-w "$plugin"
  [[ "$(grep -A1 -F "$plugin" <<<"$listing")" == *"writable by group"* ]] ||
    fail "a group-writable plugin was not refused: $listing"
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
  bash "$SRC/tests/headers/boost_exports.sh" "$MOVED/$LIBDIR/libdialkit-core.so.$VERSION" \
    "$MOVED/$LIBDIR"/dialkit/plugins/dialkit-backend-*.so
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
  # The packages as `./dev package` makes them: its tree (build-package/, preset package) is
  # shared with the command, so a developer's packaging run and this test build it once.
  out="$WORK/deb"
  "$SRC/dev" package --out="$out"
  core_deb="$(deb_file libdialkit-core0)"
  runtime_deb="$(deb_file dialkit)"
  dev_deb="$(deb_file libdialkit-dev)"
  debs=("$core_deb" "$runtime_deb" "$dev_deb")
  nm_deb=""
  if has_backend networkmanager; then
    nm_deb="$(deb_file dialkit-backend-networkmanager)"
    debs+=("$nm_deb")
  fi
  [[ "$(find "$out" -name '*.deb' | wc -l)" == "${#debs[@]}" ]] ||
    fail "unexpected packages: $(ls "$out")"
  for deb in "${debs[@]}"; do
    pkg="$(dpkg-deb --field "$deb" Package)"
    dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
    contents="$(dpkg-deb --contents "$deb" | awk '{ print $6 }')"
    # Debian policy: /usr, never /usr/local; the copyright file and the Debian changelog.
    bad="$(grep -vE '^\./$|^\./usr(/|$)' <<<"$contents" || true)$(grep -E '^\./usr/local' <<<"$contents" || true)"
    [[ -z "$bad" ]] || fail "$pkg installs outside /usr or into /usr/local: $bad"
    for f in copyright changelog.Debian.gz; do
      grep -qxF "./usr/share/doc/$pkg/$f" <<<"$contents" || fail "$pkg lacks /usr/share/doc/$pkg/$f"
    done
    [[ "$(dpkg-deb --field "$deb" Source)" == dialkit ]] || fail "$pkg: Source is not dialkit"
    # The debug information is in the package's -dbgsym, by build id.
    ddeb="$(ls "$out/$pkg-dbgsym_$VERSION"-*.ddeb 2>/dev/null || true)"
    if grep -qE '\.so(\.[0-9]+)*$|^\./usr/bin/' <<<"$contents"; then
      [[ -n "$ddeb" ]] || fail "$pkg has binaries but no $pkg-dbgsym package"
      debug_files="$(dpkg-deb --contents "$ddeb")"
      grep -qE '/usr/lib/debug/\.build-id/.*\.debug$' <<<"$debug_files" || fail "$pkg-dbgsym holds no debug file"
    fi
    dpkg-deb -x "$deb" "$out/root"
  done
  # Every file the package tree installs is in some package: an install rule whose component
  # no package lists (cmake/DialkitPackaging.cmake) would be left out without a word.
  rm -rf "$out/installed"
  DESTDIR="$out/installed" "$CMAKE" --install "${DIALKIT_BUILD_ROOT:-$SRC}/build-package" >/dev/null
  left_out="$(comm -23 <(cd "$out/installed" && find . \( -type f -o -type l \) | sort) \
    <(cd "$out/root" && find . \( -type f -o -type l \) | sort))"
  [[ -z "$left_out" ]] || fail "installed but in no package (an install rule's COMPONENT?):
$left_out"
  field() { dpkg-deb --field "$1" "$2"; }
  libdir="./usr/$DEB_LIBDIR"
  # (Whole outputs into variables: grep -q closing a pipe early would fail it under pipefail.)
  has() {
    local list
    list="$(dpkg-deb --contents "$1" | awk '{ print $6 }')"
    grep -qxF "$2" <<<"$list" || fail "$(field "$1" Package) lacks $2"
  }
  # libdialkit-core0: the library alone, named by its SONAME, with its shlibs and the trigger.
  [[ "$(field "$core_deb" Section)" == libs ]] || fail "libdialkit-core0 is not in section libs"
  has "$core_deb" "$libdir/libdialkit-core.so.$VERSION_MAJOR"
  control="$(dpkg-deb --ctrl-tarfile "$core_deb" | tar -xO ./shlibs ./triggers)"
  grep -qxF "libdialkit-core $VERSION_MAJOR libdialkit-core0 (>= $VERSION-1)" <<<"$control" ||
    fail "libdialkit-core0: shlibs"
  grep -qxF "activate-noawait ldconfig" <<<"$control" || fail "libdialkit-core0 does not trigger ldconfig"
  # The others depend on exactly this libdialkit-core0 (the loader checks the build key) and on
  # what dpkg-shlibdeps found: the C and C++ runtimes.
  for deb in "$runtime_deb" "$dev_deb" $nm_deb "$core_deb"; do
    depends="$(field "$deb" Depends)"
    [[ "$depends" == *libc6* && "$depends" == *libstdc++6* ]] || fail "$(field "$deb" Package) Depends: '$depends'"
    [[ "$deb" == "$core_deb" || "$depends" == *"libdialkit-core0 (= $VERSION-1)"* ]] ||
      fail "$(field "$deb" Package) does not depend on its libdialkit-core0: '$depends'"
  done
  # dialkit: the CLI, the mock and pppd plugins, the scenarios; NetworkManager elsewhere.
  has "$runtime_deb" ./usr/"$BINDIR"/dialkit
  has "$runtime_deb" "$libdir/dialkit/plugins/dialkit-backend-mock.so"
  has "$runtime_deb" "./usr/$DATADIR/dialkit/scenarios/success.json"
  if has_backend pppd; then
    has "$runtime_deb" "$libdir/dialkit/plugins/dialkit-backend-pppd.so"
    has "$runtime_deb" "$libdir/dialkit/plugins/pppd/dialkit-pppd.so"
    [[ "$(field "$runtime_deb" Recommends)" == "$PPP_RECOMMENDS" ]] ||
      fail "dialkit Recommends '$(field "$runtime_deb" Recommends)', not '$PPP_RECOMMENDS'"
  fi
  for deb in "$core_deb" "$runtime_deb" "$dev_deb"; do
    [[ "$(field "$deb" Depends)" != *sdbus* ]] || fail "$(field "$deb" Package) depends on sdbus-c++"
  done
  if [[ -n "$nm_deb" ]]; then
    has "$nm_deb" "$libdir/dialkit/plugins/dialkit-backend-networkmanager.so"
    [[ "$(field "$nm_deb" Depends)" == *libsdbus-c++1* ]] || fail "the NetworkManager package lacks libsdbus-c++1"
  fi
  # libdialkit-dev: headers, link, CMake and pkg-config files, dialkit::mock, the tool.
  [[ "$(field "$dev_deb" Section)" == libdevel ]] || fail "libdialkit-dev is not in section libdevel"
  for f in "./usr/$INCLUDEDIR/dialkit/runtime.hpp" "./usr/$INCLUDEDIR/dialkit/asio.hpp" \
           "./usr/$INCLUDEDIR/dialkit/plugin.hpp" \
           "$libdir/cmake/dialkit/dialkitConfig.cmake" "$libdir/pkgconfig/dialkit.pc" \
           "$libdir/libdialkit-core.so" "./usr/$BINDIR/dialkit-conformance"; do
    has "$dev_deb" "$f"
  done
  depends="$(field "$dev_deb" Depends)"
  [[ "$depends" == *libboost-dev* ]] || fail "libdialkit-dev does not depend on libboost-dev"
  if [[ "$TL_EXPECTED" == ON ]]; then
    [[ "$depends" == *libexpected-dev* ]] || fail "libdialkit-dev does not depend on libexpected-dev"
  fi
  # Every binary: stripped (its debug information is in the -dbgsym), no RPATH, hardened (RELRO,
  # BIND_NOW; stack protector and fortified functions in the library and the CLI).
  root="$out/root"
  while IFS= read -r -d '' f; do
    [[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" == '177ELF' ]] || continue
    name="${f#"$root"}"
    sections="$(readelf -SW "$f")"
    dynamic="$(readelf -d "$f")"
    segments="$(readelf -lW "$f")"
    if grep -qE '\.debug_(info|line)|\.symtab' <<<"$sections"; then fail "$name is not stripped"; fi
    if grep -qE 'RPATH|RUNPATH' <<<"$dynamic"; then fail "$name has an RPATH"; fi
    grep -q GNU_RELRO <<<"$segments" || fail "$name: no RELRO"
    grep -qE 'BIND_NOW|FLAGS_1.*NOW' <<<"$dynamic" || fail "$name: no BIND_NOW"
  done < <(find "$root" -type f -print0)
  for f in "$root/usr/$DEB_LIBDIR/libdialkit-core.so.$VERSION" "$root/usr/$BINDIR/dialkit"; do
    syms="$(readelf --dyn-syms -W "$f")"
    grep -q '__stack_chk_fail' <<<"$syms" || fail "${f#"$root"}: no stack protector"
    grep -qE '__[a-z_]+_chk' <<<"$syms" || fail "${f#"$root"}: no fortified function"
  done
  # As shipped, the library and the plugins export no Boost symbol.
  bash "$SRC/tests/headers/boost_exports.sh" "$root/usr/$DEB_LIBDIR/libdialkit-core.so.$VERSION" \
    "$root/usr/$DEB_LIBDIR"/dialkit/plugins/dialkit-backend-*.so
  # The unpacked packages run as they are, finding their plugins relative to libdialkit-core.
  lib="$root/usr/$DEB_LIBDIR"
  cli="$root/usr/$BINDIR/dialkit"
  listing="$(LD_LIBRARY_PATH="$lib" "$cli" backends)"
  printf '%s\n' "$listing"
  for name in $BACKENDS; do
    [[ "$(backend_path "$listing" "$name")" == "$lib/dialkit/plugins/dialkit-backend-$name.so" ]] ||
      fail "the unpacked dialkit does not list the unpacked $name plugin"
  done
  # A mock dial with the packages' own scenarios: `busy` fails within two seconds with the line
  # class's exit code (4).
  code=0
  LD_LIBRARY_PATH="$lib" DIALKIT_MOCK_REGISTRY="$out/registry" "$cli" dial busy --backend mock || code=$?
  [[ "$code" == 4 ]] || fail "the busy dial exited $code, not 4 (line busy)"
  ;;
deb_lintian)
  # lintian on each package, as the archive would run it: no error (E:) allowed. The warnings
  # left are listed in README (Packaging) with their reasons.
  command -v lintian >/dev/null || skip "lintian is not installed (./dev setup installs it)"
  # One run for all of them (lintian's start-up is most of its time here).
  shopt -s nullglob
  files=("$WORK/deb"/*.deb "$WORK/deb"/*.ddeb)
  shopt -u nullglob
  ((${#files[@]})) || fail "no package in $WORK/deb"
  report="$(lintian --no-cfg --fail-on none --display-info "${files[@]}" 2>&1)" ||
    fail "lintian did not run: $report"
  printf '%s\n' "$report"
  if grep -q '^E: ' <<<"$report"; then fail "lintian reported errors (E:)"; fi
  ;;
deb_chroot)
  # The package set installed with apt into a clean Debian 12 root: debootstrap --variant=minbase
  # made once (cached under the build tree), copied fresh for each run; apt resolves the
  # dependencies from this machine's Debian mirror. Then `dialkit backends` and a mock dial in
  # there, with no path and no variable.
  ((EUID == 0)) || skip "not root (debootstrap and chroot need root)"
  command -v debootstrap >/dev/null || skip "debootstrap is not installed (./dev setup installs it)"
  mirror="$(debian_mirror bookworm)"
  [[ -n "$mirror" ]] || skip "no Debian 12 (bookworm) mirror in /etc/apt/sources.list*"
  security="$(debian_mirror bookworm-security)"
  cache="$DEB_CACHE"
  base="$cache/bookworm-minbase"
  if [[ ! -e "$base.done" ]]; then
    rm -rf "$base" && mkdir -p "$cache"
    debootstrap --variant=minbase bookworm "$base" "$mirror" > "$cache/debootstrap.log" 2>&1 || {
      tail -20 "$cache/debootstrap.log"
      grep -qiE 'Failed getting release|Couldn.t download|Temporary failure' "$cache/debootstrap.log" &&
        skip "the mirror $mirror cannot be reached"
      fail "debootstrap failed (log: $cache/debootstrap.log)"
    }
    touch "$base.done"
  fi
  root="$cache/root"
  rm -rf "$root"
  cp -a "$base" "$root"
  {
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror"
    [[ -z "$security" ]] || printf 'deb %s bookworm-security main\n' "$security"
  } > "$root/etc/apt/sources.list"
  # This machine's acquire settings (proxy, a snapshot mirror's old Release dates).
  apt-config dump | grep -E '^Acquire::(Check-Valid-Until|Check-Date|https?::Proxy) ' > "$root/etc/apt/apt.conf.d/50host" || true
  mkdir -p "$root/tmp/debs"
  cp "$WORK/deb"/*.deb "$root/tmp/debs/"
  in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
  in_root apt-get update -q || skip "apt-get update failed in the root: the mirror $mirror cannot be reached?"
  files=()
  for deb in "$root"/tmp/debs/*.deb; do files+=("/tmp/debs/${deb##*/}"); done
  in_root apt-get install -y -q --no-install-recommends "${files[@]}" ||
    fail "apt could not install the packages in the clean root"
  for deb in "$WORK/deb"/*.deb; do
    pkg="$(dpkg-deb --field "$deb" Package)"
    [[ "$(in_root dpkg-query -W -f='${Status}' "$pkg")" == "install ok installed" ]] ||
      fail "$pkg did not install in the clean root"
  done
  cache="$(in_root ldconfig -p)"
  grep -qF "libdialkit-core.so.$VERSION_MAJOR " <<<"$cache" || fail "libdialkit-core is not in the loader cache"
  # The recommended pppd, from the mirror, in the range the pppd-side plugin supports.
  if has_backend pppd; then
    in_root apt-get satisfy -y -q --no-install-recommends "$PPP_RECOMMENDS" ||
      fail "the mirror has no ppp in '$PPP_RECOMMENDS'"
  fi
  listing="$(in_root dialkit backends 2>&1)"
  printf '%s\n' "$listing"
  for name in $BACKENDS; do
    [[ "$(backend_path "$listing" "$name")" == "/usr/$DEB_LIBDIR/dialkit/plugins/dialkit-backend-$name.so" ]] ||
      fail "the installed dialkit does not list its $name plugin"
  done
  if grep -qi 'refused' <<<"$listing"; then fail "the installed dialkit refused a plugin"; fi
  dial="$(in_root dialkit dial success --backend mock --hangup-after 0 2>&1)" || fail "the mock dial failed: $dial"
  printf '%s\n' "$dial"
  grep -qE '^\+ +[0-9.]+s +connected ' <<<"$dial" || fail "the installed dialkit's mock dial did not connect"
  # shellcheck disable=SC2046 # one argument per package
  in_root apt-get purge -y -q $(for deb in "$WORK/deb"/*.deb; do dpkg-deb --field "$deb" Package; done)
  [[ ! -e "$root/usr/$DEB_LIBDIR/libdialkit-core.so.$VERSION_MAJOR" ]] || fail "the purge left the library"
  ;;
*)
  fail "unknown step $step"
  ;;
esac
say "$step: OK"

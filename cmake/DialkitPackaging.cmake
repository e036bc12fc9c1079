# Debian packages through CPack's DEB generator, one package per install component, named and
# laid out as Debian policy asks. `./dev package` builds them from the `package` preset
# (RelWithDebInfo under /usr, hardened, no RPATH, see CMakePresets.json); `cpack -G DEB` in
# another tree works too but gives what that tree was configured for.
#   libdialkit-core0   component core: libdialkit-core.so.0 (the SONAME names the package)
#   dialkit            component runtime: the `dialkit` CLI, the mock and pppd plugins with
#                      dialkit's pppd-side plugin, the mock's scenarios
#   dialkit-backend-networkmanager
#                      component networkmanager: the NetworkManager plugin, alone, so that
#                      libsdbus-c++1 is a dependency of that package only
#   libdialkit-dev     component dev: headers, the unversioned library link, dialkit::mock,
#                      the CMake package, dialkit.pc, dialkit-conformance, the plugin template
# and for each a -dbgsym package (.ddeb) with the debug information split off the stripped
# binaries. Library dependencies come from dpkg-shlibdeps; the plugins and the CLI depend on the
# exact libdialkit-core0 they were built with (the loader refuses other build keys).
set(CPACK_PACKAGE_NAME dialkit)
set(CPACK_PACKAGE_VENDOR "dialkit")
set(CPACK_PACKAGE_CONTACT "dialkit maintainers <dialkit-maintainers@example.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(_dialkit_deb_version ${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE})
# All of them are built from one source package, dialkit, whose changelog they ship.
set(CPACK_DEBIAN_PACKAGE_SOURCE dialkit)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/dialkit")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The binaries of the other packages link libdialkit-core.so.0, which is in this build's core
# component, not on the system: dpkg-shlibdeps reads it there (it runs in the component's own
# staging directory, beside the others) and the dependency on it is written below.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ../core/${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR})
# Debug information split off into -dbgsym packages; the binaries of the others are stripped.
# CPack 3.25 gets their md5sums and doc directory wrong: a script puts them right.
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
set(CPACK_POST_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/packaging/deb/fix-dbgsym.cmake)

set(_dialkit_deb_components core runtime dev)
if(TARGET dialkit-backend-networkmanager)
  list(APPEND _dialkit_deb_components networkmanager)
endif()
set(CPACK_COMPONENTS_ALL ${_dialkit_deb_components})
set(_dialkit_core_depends "libdialkit-core0 (= ${_dialkit_deb_version})")

# libdialkit-core0 ---------------------------------------------------------------------
set(CPACK_DEBIAN_CORE_PACKAGE_NAME libdialkit-core0)
set(CPACK_DEBIAN_CORE_PACKAGE_SECTION libs)
# A shlibs file, so that what is built against libdialkit-core depends on this package (only
# libdialkit-core has a SONAME: the plugins are modules).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
# The loader's cache is refreshed by libc's ldconfig trigger (Debian policy 8.1.1). CPack also
# writes an ldconfig call into postinst/postrm for any library under /usr/lib, with no switch
# to turn that off (lintian: maintscript-calls-ldconfig, a warning; README says so).
set(CPACK_DEBIAN_CORE_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/deb/triggers)
set(CPACK_DEBIAN_CORE_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_CORE_DESCRIPTION
"dialkit core library: dial states, events and the plugin loader
dialkit dials connections (pppd, NetworkManager, a mock) with the dial
states of Windows RAS on every platform. This package holds libdialkit-core,
which runs the dials, carries their events and loads the backend plugins.")

# dialkit --------------------------------------------------------------------------------
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME dialkit)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "${_dialkit_core_depends}")
if(DIALKIT_PPPD_VERSION)
  # dialkit's pppd-side plugin declares the pppd version of the ppp-dev headers it was built
  # with, and pppd loads only a plugin of its own version: that upstream release, any Debian
  # revision. Recommends: the mock and the other backends work without pppd.
  string(REGEX MATCH "^([0-9]+\\.[0-9]+)\\.([0-9]+)$" _pppd_match "${DIALKIT_PPPD_VERSION}")
  math(EXPR _pppd_next_patch "${CMAKE_MATCH_2} + 1")
  set(CPACK_DEBIAN_RUNTIME_PACKAGE_RECOMMENDS
    "ppp (>= ${DIALKIT_PPPD_VERSION}), ppp (<< ${CMAKE_MATCH_1}.${_pppd_next_patch}~)")
endif()
set(_dialkit_pppd_text "")
if(DIALKIT_PPPD_VERSION)
  set(_dialkit_pppd_text " and the pppd backend with\nits pppd-side plugin, which needs pppd ${DIALKIT_PPPD_VERSION}")
endif()
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
"portable dialer: the dialkit command and its backend plugins
dialkit dials connections with the dial states of Windows RAS on every
platform. This package holds the dialkit command (a rasdial for every
platform), the mock backend with its scenarios${_dialkit_pppd_text}. The
NetworkManager backend is in the package dialkit-backend-networkmanager.")

# dialkit-backend-networkmanager -----------------------------------------------------------
set(CPACK_DEBIAN_NETWORKMANAGER_PACKAGE_NAME dialkit-backend-networkmanager)
set(CPACK_DEBIAN_NETWORKMANAGER_PACKAGE_DEPENDS "${_dialkit_core_depends}")
set(CPACK_DEBIAN_NETWORKMANAGER_PACKAGE_RECOMMENDS "network-manager")
set(CPACK_DEBIAN_NETWORKMANAGER_PACKAGE_ENHANCES "dialkit")
set(CPACK_DEBIAN_NETWORKMANAGER_DESCRIPTION
"NetworkManager backend for dialkit
dialkit dials connections with the dial states of Windows RAS on every
platform. This package holds the NetworkManager backend plugin, which
activates NetworkManager connections over D-Bus (sdbus-c++).")

# libdialkit-dev ---------------------------------------------------------------------------
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libdialkit-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# The public headers include Boost (config, DLL, preprocessor) and, in a tl build, tl/expected.
set(_dialkit_dev_depends "${_dialkit_core_depends}, libboost-dev (>= 1.74)")
if(DIALKIT_EXPECTED STREQUAL "tl")
  string(APPEND _dialkit_dev_depends ", libexpected-dev")
endif()
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${_dialkit_dev_depends}")
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "cmake (>= 3.25) | pkg-config")
set(CPACK_DEBIAN_DEV_DESCRIPTION
"dialkit development files: headers, CMake package, plugin kit
dialkit dials connections with the dial states of Windows RAS on every
platform. This package holds what programs and backend plugins build
against: the headers, the CMake package (find_package(dialkit)),
dialkit.pc, dialkit::mock for tests in virtual time, the plugin template
and the backend conformance suite with its tool dialkit-conformance.")

# Per package: the copyright file and the Debian changelog in /usr/share/doc/<package>
# (Debian policy 12.5, 12.7), the changelog compressed with gzip -9n.
set(_dialkit_deb_changelog ${PROJECT_BINARY_DIR}/package/changelog.Debian)
configure_file(${PROJECT_SOURCE_DIR}/packaging/deb/changelog.in ${_dialkit_deb_changelog} @ONLY)
execute_process(COMMAND gzip -9nf ${_dialkit_deb_changelog} RESULT_VARIABLE _gzip_result)
if(NOT _gzip_result EQUAL 0)
  message(FATAL_ERROR "dialkit packaging: gzip failed on ${_dialkit_deb_changelog}")
endif()
foreach(_c IN LISTS _dialkit_deb_components)
  string(TOUPPER ${_c} _C)
  set(_pkg ${CPACK_DEBIAN_${_C}_PACKAGE_NAME})
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/deb/copyright ${_dialkit_deb_changelog}.gz
    DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${_pkg} COMPONENT ${_c})
endforeach()

# What the packages hold, and only that: `./dev package` builds this target, not the tests'
# libraries and tools.
get_property(_dialkit_package_targets GLOBAL PROPERTY DIALKIT_INSTALLED_TARGETS)
list(APPEND _dialkit_package_targets
  dialkit_core dialkit_mock dialkit dialkit-conformance dialkit_pppd_helper dialkit_cli_generated)
add_custom_target(dialkit_package_targets)
foreach(_t IN LISTS _dialkit_package_targets)
  if(TARGET ${_t})
    add_dependencies(dialkit_package_targets ${_t})
  endif()
endforeach()

# An install rule in a component not listed above would be left out of every package.
get_cmake_property(_dialkit_components COMPONENTS)
foreach(_c IN LISTS _dialkit_components)
  if(NOT _c IN_LIST CPACK_COMPONENTS_ALL)
    message(WARNING "dialkit packaging: install component '${_c}' is in no .deb "
      "(CPACK_COMPONENTS_ALL: ${CPACK_COMPONENTS_ALL})")
  endif()
endforeach()

include(CPack)

# Debian packages through CPack (`cpack -G DEB` in the build tree), in two parts:
#   dialkit      component runtime: libdialkit-core.so.N, the `dialkit` CLI, the backend
#                plugins and the mock's scenarios
#   dialkit-dev  component dev: headers, the unversioned library link, the CMake package,
#                dialkit.pc, the conformance suite and tool, the plugin template
# Runtime dependencies come from dpkg-shlibdeps. The package installs under
# CMAKE_INSTALL_PREFIX (configure with -DCMAKE_INSTALL_PREFIX=/usr for a package that follows
# Debian policy); the loader finds its plugins relative to libdialkit-core, at any prefix.
set(CPACK_PACKAGE_NAME dialkit)
set(CPACK_PACKAGE_VENDOR "dialkit")
set(CPACK_PACKAGE_CONTACT "dialkit maintainers <dialkit-maintainers@example.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "portable dialer: Windows RAS dial states on every platform, backends as plugins")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# A shlibs file for libdialkit-core, so that packages built against it depend on dialkit.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME dialkit)
# CPack adds an ldconfig call by itself only for libraries in /lib and /usr/lib; /usr/local/lib
# needs the loader cache refreshed too.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_LIST_DIR}/deb/triggers)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
  "dialkit: libdialkit-core, the dialkit command and the backend plugins")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME dialkit-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_DESCRIPTION
  "dialkit: headers, CMake package, pkg-config file, plugin kit and conformance suite")
# The headers include Boost (config, DLL); the CMake package finds it.
set(_dialkit_dev_depends "dialkit (= ${PROJECT_VERSION}-1), libboost-dev (>= 1.74)")
if(tl-expected_FOUND)
  string(APPEND _dialkit_dev_depends ", libtl-expected-dev")
endif()
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${_dialkit_dev_depends}")
# No dpkg-shlibdeps for dialkit-dev: its one binary (dialkit-conformance) links
# libdialkit-core, which is in the other package, where dpkg-shlibdeps cannot see it; it needs
# nothing beyond what `dialkit (= ...)` already depends on.
set(CPACK_DEBIAN_DEV_PACKAGE_SHLIBDEPS OFF)

# An install rule in a component not listed above would be left out of every package.
get_cmake_property(_dialkit_components COMPONENTS)
foreach(_c IN LISTS _dialkit_components)
  if(NOT _c IN_LIST CPACK_COMPONENTS_ALL)
    message(WARNING "dialkit packaging: install component '${_c}' is in no .deb "
      "(CPACK_COMPONENTS_ALL: ${CPACK_COMPONENTS_ALL})")
  endif()
endforeach()

include(CPack)

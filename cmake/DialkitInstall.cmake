# Install and export (issue 7): the CMake package find_package(dialkit CONFIG COMPONENTS core
# plugin_kit conformance) with namespaced targets, its version file, its build-tree twin, and
# dialkit.pc. The targets' own install rules (files, components) stay in their directories;
# this file adds what a consumer needs to find and use them.
include(CMakePackageConfigHelpers)

# Installed binaries carry no source- or build-tree path (DESIGN.md section 6): __FILE__,
# assert() texts and the debug information name files relative to the trees, as Debian's
# reproducible builds do. Only the installed targets: the tests keep their full paths. A
# debugger finds the sources from the source root (gdb: `directory <source root>`).
get_property(_dialkit_installed GLOBAL PROPERTY DIALKIT_INSTALLED_TARGETS)
list(APPEND _dialkit_installed dialkit_core dialkit_mock dialkit dialkit-conformance dialkit_pppd_helper)
foreach(_t IN LISTS _dialkit_installed)
  if(TARGET ${_t} AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    # The last map that matches wins: the build tree may lie inside the source tree.
    target_compile_options(${_t} PRIVATE
      -ffile-prefix-map=${PROJECT_SOURCE_DIR}/= -ffile-prefix-map=${PROJECT_BINARY_DIR}/=)
  endif()
endforeach()

set(DIALKIT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/dialkit)

# Consumers see dialkit::core, dialkit::plugin_kit, dialkit::conformance, dialkit::mock (and the helper
# dialkit::expected, which carries the tl::expected / std::expected choice).
set_target_properties(dialkit_core PROPERTIES EXPORT_NAME core)
set_target_properties(dialkit_plugin_kit PROPERTIES EXPORT_NAME plugin_kit)
set_target_properties(dialkit_conformance PROPERTIES EXPORT_NAME conformance)
set_target_properties(dialkit_expected PROPERTIES EXPORT_NAME expected)
set_target_properties(dialkit_mock PROPERTIES EXPORT_NAME mock)
# The public headers are C++23 (std::expected, std::span, std::to_underlying): a consumer
# gets the standard with the target, not by reading a README.
target_compile_features(dialkit_expected INTERFACE cxx_std_23)

# dialkit_core joins the export set in core/CMakeLists.txt; its warnings (dialkit_warnings,
# -Werror in CI) are PRIVATE there and so never reach a consumer.
install(TARGETS dialkit_expected dialkit_plugin_kit dialkit_conformance EXPORT dialkitTargets
  COMPONENT dev)
# dialkit::mock, the static mock for users' own tests, joins in backends/mock/CMakeLists.txt.
install(EXPORT dialkitTargets NAMESPACE dialkit:: DESTINATION ${DIALKIT_INSTALL_CMAKEDIR}
  COMPONENT dev)

# The config file, once for the install (paths relative to wherever the package lands) and
# once for the build tree (dialkit_DIR=<build dir>, no install needed).
set(DIALKIT_CONFIG_PLUGIN_DIR "\${PACKAGE_PREFIX_DIR}/${CMAKE_INSTALL_LIBDIR}/dialkit/plugins")
set(DIALKIT_CONFIG_SCENARIO_DIR "\${PACKAGE_PREFIX_DIR}/${CMAKE_INSTALL_DATADIR}/dialkit/scenarios")
configure_package_config_file(cmake/dialkitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/dialkitConfig.cmake
  INSTALL_DESTINATION ${DIALKIT_INSTALL_CMAKEDIR})
set(DIALKIT_CONFIG_PLUGIN_DIR "${DIALKIT_BUILD_PLUGIN_DIR}")
set(DIALKIT_CONFIG_SCENARIO_DIR "${PROJECT_SOURCE_DIR}/backends/mock/scenarios")
configure_package_config_file(cmake/dialkitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/dialkitConfig.cmake
  INSTALL_DESTINATION ${PROJECT_BINARY_DIR}
  INSTALL_PREFIX ${PROJECT_BINARY_DIR})
# 0.x releases are compatible with each other until 1.0, like any same-major pair.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/dialkitConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES
    ${PROJECT_BINARY_DIR}/package/dialkitConfig.cmake
    ${PROJECT_BINARY_DIR}/dialkitConfigVersion.cmake
    cmake/dialkitPluginHelpers.cmake
    cmake/DialkitBuildKey.cmake
  DESTINATION ${DIALKIT_INSTALL_CMAKEDIR} COMPONENT dev)

# The build-tree package: the same targets with source-tree include directories.
export(EXPORT dialkitTargets NAMESPACE dialkit:: FILE ${PROJECT_BINARY_DIR}/dialkitTargets.cmake)
configure_file(cmake/dialkitPluginHelpers.cmake ${PROJECT_BINARY_DIR}/dialkitPluginHelpers.cmake COPYONLY)
configure_file(cmake/DialkitBuildKey.cmake ${PROJECT_BINARY_DIR}/DialkitBuildKey.cmake COPYONLY)

# pkg-config: the prefix is found from the .pc file's own place, so the file stays right
# under `cmake --install --prefix` and DESTDIR.
file(RELATIVE_PATH DIALKIT_PC_PREFIX_FROM_PCDIR
  "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" DIALKIT_PC_PREFIX_FROM_PCDIR "${DIALKIT_PC_PREFIX_FROM_PCDIR}")
# The headers are C++23 and g++ 12 defaults to gnu++17: the flag comes with the package, as
# the CMake targets bring cxx_std_23, so `g++ $(pkg-config --cflags --libs dialkit)` works.
set(DIALKIT_PC_CFLAGS "-std=c++23")
# The `expected` dialkit was built with (DialkitExpected.cmake): <dialkit/expected.hpp> wants
# its definition.
if(DIALKIT_EXPECTED STREQUAL "std")
  string(APPEND DIALKIT_PC_CFLAGS " -DDIALKIT_USE_STD_EXPECTED=1")
else()
  string(APPEND DIALKIT_PC_CFLAGS " -DDIALKIT_USE_TL_EXPECTED=1")
  # tl-expected's headers, unless they are in the compiler's own search path.
  get_target_property(_tl_includes tl::expected INTERFACE_INCLUDE_DIRECTORIES)
  foreach(_dir IN LISTS _tl_includes)
    if(_dir AND NOT _dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
      string(APPEND DIALKIT_PC_CFLAGS " -I${_dir}")
    endif()
  endforeach()
endif()
configure_file(cmake/dialkit.pc.in ${PROJECT_BINARY_DIR}/package/dialkit.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/package/dialkit.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# dialkit_add_plugin() for projects that build a dialkit backend plugin against an installed
# dialkit (find_package(dialkit COMPONENTS plugin_kit)); installed beside dialkitConfig.cmake.
# In dialkit's own tree, cmake/DialkitPlugin.cmake defines the in-tree variant.
include_guard(GLOBAL)
include(GNUInstallDirs)

# dialkit_compute_build_key(), and only that (no key computed at include time).
set(DIALKIT_BUILD_KEY_FUNCTION_ONLY ON)
include("${CMAKE_CURRENT_LIST_DIR}/DialkitBuildKey.cmake")
unset(DIALKIT_BUILD_KEY_FUNCTION_ONLY)

# dialkit_add_plugin(NAME SOURCES... [OUTPUT_DIRECTORY DIR] [NO_INSTALL])
#
# A backend plugin as the loader expects it: a MODULE named dialkit-backend-NAME, hidden
# visibility (only the entry point is exported), linked to dialkit::plugin_kit, which defines
# DIALKIT_BUILD_KEY_ID as dialkit's build key. It goes to OUTPUT_DIRECTORY (default
# ${CMAKE_BINARY_DIR}/plugins: give that directory to `dialkit --plugin-path` or
# DIALKIT_PLUGIN_PATH) and installs into ${CMAKE_INSTALL_LIBDIR}/dialkit/plugins of this
# project's prefix; with the same prefix as dialkit's, the loader finds it without a path.
#
# C++ objects cross between host and plugin, so both must be built alike: the configure
# fails here, early and saying what differs, when this project's compiler family, standard
# library or Boost gives another key than dialkit's (the loader would refuse the plugin). The
# build type is free; the `expected` is dialkit's own (dialkit::core brings it).
function(dialkit_add_plugin name)
  cmake_parse_arguments(P "NO_INSTALL" "OUTPUT_DIRECTORY" "" ${ARGN})
  if(NOT TARGET dialkit::plugin_kit)
    message(FATAL_ERROR "dialkit_add_plugin(${name}): dialkit::plugin_kit is missing; "
      "use find_package(dialkit CONFIG REQUIRED COMPONENTS plugin_kit)")
  endif()
  dialkit_compute_build_key(_key ${dialkit_EXPECTED})
  if(NOT _key STREQUAL dialkit_BUILD_KEY)
    message(FATAL_ERROR "dialkit_add_plugin(${name}): this project builds with build key\n"
      "  ${_key}\nbut dialkit was built with build key\n  ${dialkit_BUILD_KEY}\n"
      "The loader refuses a plugin built differently from its host (platform, compiler family, "
      "standard library ABI, Boost major.minor, expected, sanitizers). Configure this project "
      "with the same compiler family and standard library as dialkit.")
  endif()
  if(NOT P_OUTPUT_DIRECTORY)
    set(P_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/plugins)
  endif()
  set(target dialkit-backend-${name})
  add_library(${target} MODULE ${P_UNPARSED_ARGUMENTS})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME dialkit-backend-${name}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIRECTORY})
  target_link_libraries(${target} PRIVATE dialkit::plugin_kit)
  if(NOT P_NO_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/dialkit/plugins)
  endif()
endfunction()

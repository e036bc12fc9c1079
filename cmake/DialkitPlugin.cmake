# dialkit_add_plugin(NAME SOURCES...): a backend as a MODULE library named
# dialkit-backend-NAME, hidden visibility, placed in the build tree's plugin directory.
function(dialkit_add_plugin name)
  set(target dialkit-backend-${name})
  add_library(${target} MODULE ${ARGN})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME dialkit-backend-${name}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${DIALKIT_BUILD_PLUGIN_DIR})
  target_link_libraries(${target} PRIVATE dialkit::plugin_kit dialkit_warnings)
  # The install component is the .deb (cmake/DialkitPackaging.cmake): the NetworkManager plugin
  # has a package of its own, so that its libsdbus-c++ is no dependency of the others.
  set(component runtime)
  if(name STREQUAL "networkmanager")
    set(component networkmanager)
  endif()
  install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/dialkit/plugins
    COMPONENT ${component})
  set_property(GLOBAL APPEND PROPERTY DIALKIT_INSTALLED_TARGETS ${target})
endfunction()

# dialkit_add_backend(NAME SOURCES src... PLUGIN_SOURCE src/plugin.cpp
#                     [STATIC_TWIN target] [PLUGIN_IF var] [LINK items...] [PUBLIC_INCLUDE dir])
#
# An in-tree backend, compiled once: an object library dialkit_NAME_objects of SOURCES (the
# backend without its entry point; src/ as private include path, the plugin kit, the tree's
# warnings, LINK), then from the same objects
#   - the static twin STATIC_TWIN (default dialkit_NAME, alias dialkit::NAME) that tests add
#     in-process (Runtime::add_backend), with src/ as include path so tests reach private
#     headers, and PUBLIC_INCLUDE (a backend's public header, such as the mock's builder);
#   - the plugin dialkit-backend-NAME (dialkit_add_plugin) from the objects and PLUGIN_SOURCE,
#     unless PLUGIN_IF names a variable that is false (RAS builds its plugin on Windows only).
function(dialkit_add_backend name)
  cmake_parse_arguments(B "" "PLUGIN_SOURCE;STATIC_TWIN;PLUGIN_IF;PUBLIC_INCLUDE" "SOURCES;LINK" ${ARGN})
  if(NOT B_SOURCES OR NOT B_PLUGIN_SOURCE)
    message(FATAL_ERROR "dialkit_add_backend(${name}): SOURCES and PLUGIN_SOURCE are required")
  endif()
  if(NOT B_STATIC_TWIN)
    set(B_STATIC_TWIN dialkit_${name})
  endif()
  set(objects dialkit_${name}_objects)
  add_library(${objects} OBJECT ${B_SOURCES})
  set_target_properties(${objects} PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_include_directories(${objects} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  if(B_PUBLIC_INCLUDE)
    target_include_directories(${objects} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/${B_PUBLIC_INCLUDE})
  endif()
  target_link_libraries(${objects} PRIVATE dialkit::plugin_kit dialkit_warnings ${B_LINK})

  # The static twin: its private links would be exported as link-only items, so it gets the
  # warnings as compile options only and the core as its one public link.
  add_library(${B_STATIC_TWIN} STATIC $<TARGET_OBJECTS:${objects}>)
  add_library(dialkit::${name} ALIAS ${B_STATIC_TWIN})
  target_include_directories(${B_STATIC_TWIN} PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/src>)
  if(B_PUBLIC_INCLUDE)
    target_include_directories(${B_STATIC_TWIN} PUBLIC
      $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/${B_PUBLIC_INCLUDE}>
      $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  endif()
  target_link_libraries(${B_STATIC_TWIN} PUBLIC dialkit::core ${B_LINK})

  if(B_PLUGIN_IF AND NOT ${B_PLUGIN_IF})
    return()
  endif()
  dialkit_add_plugin(${name} $<TARGET_OBJECTS:${objects}> ${B_PLUGIN_SOURCE})
  target_include_directories(dialkit-backend-${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  if(B_PUBLIC_INCLUDE)
    target_include_directories(dialkit-backend-${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/${B_PUBLIC_INCLUDE})
  endif()
  target_link_libraries(dialkit-backend-${name} PRIVATE ${B_LINK})
endfunction()

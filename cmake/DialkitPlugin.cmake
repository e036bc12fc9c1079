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

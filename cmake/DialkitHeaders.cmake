# The public headers: dialkit_install_headers(FILES...) installs headers (paths relative to the
# calling directory) into <includedir>/dialkit with the dev component, and records them in the
# global property DIALKIT_PUBLIC_HEADERS, which the API reference reads (DialkitDocs.cmake), so
# every installed header is documented and checked, and nothing else is.
include_guard(GLOBAL)

function(dialkit_install_headers)
  set(files "")
  foreach(f IN LISTS ARGN)
    cmake_path(ABSOLUTE_PATH f BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} OUTPUT_VARIABLE abs)
    list(APPEND files ${abs})
  endforeach()
  install(FILES ${files} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/dialkit COMPONENT dev)
  set_property(GLOBAL APPEND PROPERTY DIALKIT_PUBLIC_HEADERS ${files})
endfunction()

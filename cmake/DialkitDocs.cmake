# The API reference: `cmake --build <dir> --target docs` runs Doxygen over exactly the installed
# public headers (DIALKIT_PUBLIC_HEADERS, filled by dialkit_install_headers(): core's, the plugin
# kit's, the conformance suite's and the mock's). WARN_AS_ERROR and WARN_IF_UNDOCUMENTED make an
# undocumented public symbol fail it; tests/package registers the test docs.doxygen, which
# proves it for every header (tests/doc/doxygen_test.sh).
#
# DIALKIT_DOCS=ON (default OFF) builds the reference with the default target and installs it
# into <datadir>/doc/dialkit/html, component `doc`; it needs doxygen and fails the configure
# without it. With it OFF the `docs` target is still there when doxygen is found.
option(DIALKIT_DOCS "Build the API reference (Doxygen) with the build and install it" OFF)
find_package(Doxygen QUIET)
if(DIALKIT_DOCS AND NOT DOXYGEN_FOUND)
  message(FATAL_ERROR "DIALKIT_DOCS=ON needs doxygen: install the Debian package doxygen, "
    "or configure with -DDIALKIT_DOCS=OFF")
endif()
if(DOXYGEN_FOUND)
  get_property(_dialkit_headers GLOBAL PROPERTY DIALKIT_PUBLIC_HEADERS)
  list(SORT _dialkit_headers)
  # Quoted, one INPUT line: tests/doc/doxygen_test.sh reads it back.
  set(DIALKIT_DOXYGEN_INPUT "")
  set(_dialkit_header_dirs "")
  foreach(_h IN LISTS _dialkit_headers)
    string(APPEND DIALKIT_DOXYGEN_INPUT " \"${_h}\"")
    cmake_path(GET _h PARENT_PATH _dir)
    cmake_path(GET _dir PARENT_PATH _dir)  # the include directory above dialkit/
    list(APPEND _dialkit_header_dirs "\"${_dir}\"")
  endforeach()
  list(REMOVE_DUPLICATES _dialkit_header_dirs)
  list(JOIN _dialkit_header_dirs " " DIALKIT_DOXYGEN_INCLUDE_DIRS)
  string(STRIP "${DIALKIT_DOXYGEN_INPUT}" DIALKIT_DOXYGEN_INPUT)
  set(DIALKIT_DOXYGEN_OUTPUT ${PROJECT_BINARY_DIR}/docs)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/Doxyfile.in ${PROJECT_BINARY_DIR}/docs/Doxyfile @ONLY)
  set(_dialkit_docs_all "")
  if(DIALKIT_DOCS)
    set(_dialkit_docs_all ALL)
  endif()
  # The stamp makes the reference rebuild only when a header or the Doxyfile changed.
  add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/docs/html.stamp
    COMMAND ${DOXYGEN_EXECUTABLE} ${PROJECT_BINARY_DIR}/docs/Doxyfile
    COMMAND ${CMAKE_COMMAND} -E touch ${PROJECT_BINARY_DIR}/docs/html.stamp
    DEPENDS ${_dialkit_headers} ${PROJECT_BINARY_DIR}/docs/Doxyfile
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}/docs
    COMMENT "API reference (Doxygen) in ${PROJECT_BINARY_DIR}/docs/html"
    VERBATIM)
  add_custom_target(docs ${_dialkit_docs_all} DEPENDS ${PROJECT_BINARY_DIR}/docs/html.stamp)
  if(DIALKIT_DOCS)
    install(DIRECTORY ${PROJECT_BINARY_DIR}/docs/html/
      DESTINATION ${CMAKE_INSTALL_DOCDIR}/html COMPONENT doc)
  endif()
else()
  message(STATUS "dialkit: doxygen not found; no docs target (apt-get install doxygen)")
endif()

# The API reference: `cmake --build <dir> --target docs` runs Doxygen over the public headers
# (core's and the plugin kit's). WARN_AS_ERROR and WARN_IF_UNDOCUMENTED make an undocumented
# public symbol fail it; tests/package registers the "docs" test that builds it.
find_package(Doxygen QUIET)
if(DOXYGEN_FOUND)
  set(DIALKIT_DOXYGEN_INPUT
    "${PROJECT_SOURCE_DIR}/core/include/dialkit ${PROJECT_SOURCE_DIR}/plugins/include/dialkit ${PROJECT_SOURCE_DIR}/plugins/conformance/include/dialkit")
  set(DIALKIT_DOXYGEN_OUTPUT ${PROJECT_BINARY_DIR}/docs)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/Doxyfile.in ${PROJECT_BINARY_DIR}/docs/Doxyfile @ONLY)
  add_custom_target(docs
    COMMAND ${DOXYGEN_EXECUTABLE} ${PROJECT_BINARY_DIR}/docs/Doxyfile
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}/docs
    COMMENT "API reference (Doxygen) in ${PROJECT_BINARY_DIR}/docs/html"
    VERBATIM)
else()
  message(STATUS "dialkit: doxygen not found; no docs target (apt-get install doxygen)")
endif()

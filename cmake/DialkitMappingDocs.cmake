# README mapping tables generated from the backends' own tables (issue 7), so the docs never
# drift from the code. A generator program (`GENERATOR BLOCK` prints one Markdown block; the
# backends use the tree's one generator through dialkit_backend_mapping_docs() below) is run by
#
#   dialkit_mapping_docs(NAME GENERATOR_TARGET FILE:BLOCK...)
#
# with FILE relative to the source root. The README holds each block between
#   <!-- BEGIN GENERATED: BLOCK --> ... <!-- END GENERATED: BLOCK -->
# This adds the test docs.mapping.NAME (label docs), which fails when a block differs from the
# generator's output, and the target update-docs-NAME (under the umbrella target update-docs),
# which rewrites the blocks in place. The work is done by cmake/dialkit_doc_blocks.cmake.
include_guard(GLOBAL)

function(dialkit_mapping_docs name generator)
  set(script ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/dialkit_doc_blocks.cmake)
  list(JOIN ARGN "," blocks)
  set(args
    -DNAME=${name}
    -DGENERATOR=$<TARGET_FILE:${generator}>
    -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
    -DBUILD_DIR=${PROJECT_BINARY_DIR}
    -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/mapping-docs
    -DBLOCKS=${blocks})

  if(NOT TARGET update-docs)
    add_custom_target(update-docs
      COMMENT "README mapping tables rewritten from the backends' tables")
  endif()
  add_custom_target(update-docs-${name}
    COMMAND ${CMAKE_COMMAND} -DMODE=update ${args} -P ${script}
    DEPENDS ${generator}
    VERBATIM)
  add_dependencies(update-docs update-docs-${name})

  # In the backend's own directory: the top level enables testing before any directory.
  if(DIALKIT_BUILD_TESTS)
    add_test(NAME docs.mapping.${name}
      COMMAND ${CMAKE_COMMAND} -DMODE=check ${args} -P ${script})
    set_tests_properties(docs.mapping.${name} PROPERTIES LABELS docs)
  endif()
endfunction()

# dialkit_backend_mapping_docs(NAME HEADER header FUNCTION qualified::name
#                              [LINK targets...] BLOCKS FILE:BLOCK...)
#
# The same, with the tree's one generator (tests/doc/mapping_doc.cpp) built for this backend:
# HEADER (relative to the backend's src/) declares FUNCTION, which returns the backend's
# dialkit::plugin::MappingDoc items (an array or a vector); LINK is what FUNCTION needs.
function(dialkit_backend_mapping_docs name)
  cmake_parse_arguments(M "" "HEADER;FUNCTION" "LINK;BLOCKS" ${ARGN})
  if(CMAKE_CROSSCOMPILING OR WIN32 OR NOT PROJECT_IS_TOP_LEVEL)
    return()  # the generator must run on the build machine
  endif()
  set(generator dialkit_${name}_mapping_doc)
  add_executable(${generator} ${PROJECT_SOURCE_DIR}/tests/doc/mapping_doc.cpp)
  target_include_directories(${generator} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_compile_definitions(${generator} PRIVATE
    "DIALKIT_MAPPING_HEADER=\"${M_HEADER}\"" "DIALKIT_MAPPING_DOCS=${M_FUNCTION}")
  target_link_libraries(${generator} PRIVATE dialkit::plugin_kit dialkit::core dialkit_warnings ${M_LINK})
  dialkit_mapping_docs(${name} ${generator} ${M_BLOCKS})
endfunction()

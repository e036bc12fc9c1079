# CPack post-build script (CPACK_POST_BUILD_SCRIPTS, cmake/DialkitPackaging.cmake): puts the
# -dbgsym packages of CPack 3.25 right, as dh_strip makes them.
# - Their md5sums name the files by CPack's absolute staging paths, not by their place in the
#   package (lintian: md5sums-lists-nonexistent-file): written again from the files.
# - Their debug files are executable: made 0644.
# - They have no /usr/share/doc: /usr/share/doc/<package>-dbgsym becomes a symlink to the doc
#   directory of the package they belong to (and depend on), with its copyright and changelog.
foreach(_ddeb IN LISTS CPACK_PACKAGE_FILES)
  if(NOT _ddeb MATCHES "\\.ddeb$")
    continue()
  endif()
  get_filename_component(_name "${_ddeb}" NAME)
  set(_tree "${CPACK_TOPLEVEL_DIRECTORY}/fix-dbgsym/${_name}")
  file(REMOVE_RECURSE "${_tree}")
  file(MAKE_DIRECTORY "${_tree}")
  execute_process(COMMAND dpkg-deb -R "${_ddeb}" "${_tree}" RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "fix-dbgsym: dpkg-deb -R ${_ddeb} failed")
  endif()
  file(STRINGS "${_tree}/DEBIAN/control" _pkg REGEX "^Package: ")
  string(REGEX REPLACE "^Package: " "" _pkg "${_pkg}")
  string(REGEX REPLACE "-dbgsym$" "" _main "${_pkg}")
  file(MAKE_DIRECTORY "${_tree}/usr/share/doc")
  file(CREATE_LINK "${_main}" "${_tree}/usr/share/doc/${_pkg}" SYMBOLIC)
  file(GLOB_RECURSE _files LIST_DIRECTORIES false RELATIVE "${_tree}" "${_tree}/usr/*")
  list(SORT _files)
  # Debug files are data, not programs: 0644 as dh_strip leaves them.
  foreach(_f IN LISTS _files)
    if(_f MATCHES "\\.debug$")
      file(CHMOD "${_tree}/${_f}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
    endif()
  endforeach()
  set(_md5sums "")
  foreach(_f IN LISTS _files)
    if(NOT IS_SYMLINK "${_tree}/${_f}")
      file(MD5 "${_tree}/${_f}" _sum)
      string(APPEND _md5sums "${_sum}  ${_f}\n")
    endif()
  endforeach()
  file(WRITE "${_tree}/DEBIAN/md5sums" "${_md5sums}")
  execute_process(COMMAND dpkg-deb --root-owner-group -Zxz -b "${_tree}" "${_ddeb}"
    OUTPUT_QUIET RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "fix-dbgsym: dpkg-deb -b ${_ddeb} failed")
  endif()
  file(REMOVE_RECURSE "${_tree}")
endforeach()

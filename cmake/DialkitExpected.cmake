# The one switch between tl::expected and C++23 std::expected: DIALKIT_EXPECTED=tl (the default:
# tl-expected, Debian's libexpected-dev, which ./dev setup installs) or std. It is chosen, never
# guessed from what happens to be installed: tl missing is a configure error naming the package.
# Code includes <dialkit/expected.hpp> and never names either directly; the header refuses to
# compile without one of the two definitions set here. The choice is part of the build key
# (DialkitBuildKey.cmake): the loader refuses a plugin built with the other one.
set(DIALKIT_EXPECTED tl CACHE STRING
  "The expected implementation: tl (tl-expected, Debian libexpected-dev) or std (C++23 std::expected)")
set_property(CACHE DIALKIT_EXPECTED PROPERTY STRINGS tl std)
add_library(dialkit_expected INTERFACE)
if(DIALKIT_EXPECTED STREQUAL "tl")
  find_package(tl-expected 1.0 CONFIG QUIET)
  if(NOT tl-expected_FOUND)
    message(FATAL_ERROR "dialkit: DIALKIT_EXPECTED=tl needs tl-expected 1.0 or later (its CMake "
      "package, tl-expected-config.cmake): install the Debian package libexpected-dev "
      "(./dev setup does), or configure with -DDIALKIT_EXPECTED=std for C++23 std::expected")
  endif()
  message(STATUS "dialkit: expected = tl::expected ${tl-expected_VERSION} (DIALKIT_EXPECTED=tl)")
  target_link_libraries(dialkit_expected INTERFACE tl::expected)
  target_compile_definitions(dialkit_expected INTERFACE DIALKIT_USE_TL_EXPECTED=1)
elseif(DIALKIT_EXPECTED STREQUAL "std")
  message(STATUS "dialkit: expected = std::expected (DIALKIT_EXPECTED=std)")
  target_compile_definitions(dialkit_expected INTERFACE DIALKIT_USE_STD_EXPECTED=1)
else()
  message(FATAL_ERROR "dialkit: DIALKIT_EXPECTED must be tl or std, not \"${DIALKIT_EXPECTED}\"")
endif()

# The one switch between tl::expected and C++23 std::expected. Code includes
# <dialkit/expected.hpp> and never names either directly.
find_package(tl-expected QUIET CONFIG)
add_library(dialkit_expected INTERFACE)
if(tl-expected_FOUND)
  message(STATUS "dialkit: expected = tl::expected (tl-expected found)")
  target_link_libraries(dialkit_expected INTERFACE tl::expected)
  target_compile_definitions(dialkit_expected INTERFACE DIALKIT_USE_TL_EXPECTED=1)
else()
  message(STATUS "dialkit: expected = std::expected (tl-expected not found)")
endif()

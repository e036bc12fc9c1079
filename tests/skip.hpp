// Real skips for Catch2 v2 (which has no SKIP): a test whose prerequisite is missing calls
// DIALKIT_SKIP("what is missing") and returns. The reason is printed, and the process then
// exits with 77, which every suite declares as its ctest SKIP_RETURN_CODE (tests/CMakeLists.txt),
// so ctest counts the test as skipped, not passed. Only when nothing failed: a failure still
// exits as a failure. Run by hand over many test cases, 77 means "passed, some skipped".
// POSIX suites only (glibc's on_exit).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <stdlib.h>  // on_exit
#include <iostream>
#include <string>

#include <catch2/catch.hpp>

namespace dialkit::test {

inline constexpr int skip_exit_code = 77;

// Runs at exit with the status main() returned (glibc's on_exit): a run that otherwise passed
// becomes a skip; a failing one keeps its status.
inline void exit_as_skipped(int status, void* /*unused*/) {
  if (status != 0) return;
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(skip_exit_code);
}

inline void skip(const std::string& reason) {
  std::cout << "SKIPPED: " << reason << '\n' << std::flush;
  WARN("SKIPPED: " << reason);
  static const bool registered = ::on_exit(exit_as_skipped, nullptr) == 0;
  (void)registered;
}

}  // namespace dialkit::test

#define DIALKIT_SKIP(reason) ::dialkit::test::skip(reason)

// A program that includes only <dialkit/runtime.hpp> (no backend interface, no loader, no
// Boost: user_side.hpp checks that) loads the tree's plugins and uses a backend by name.
#include <dialkit/runtime.hpp>

#define DIALKIT_CHECK_BACKEND_SIDE 1
#include "headers/user_side.hpp"

#include <algorithm>
#include <string>

#include <catch2/catch.hpp>

TEST_CASE("runtime.hpp alone loads the plugins and lists a backend's entries", "[headers]") {
  dialkit::RuntimeOptions options;
  options.plugins.paths = {DIALKIT_TEST_PLUGIN_DIR};
  options.plugins.use_environment = false;
  dialkit::Runtime runtime(options);

  const auto backends = runtime.backends();
  const auto mock = std::find_if(backends.begin(), backends.end(),
                                 [](const dialkit::BackendSummary& b) { return b.name == "mock"; });
  REQUIRE(mock != backends.end());
  CHECK(mock->is_fake);
  CHECK(runtime.refused_plugins().empty());

  auto dialer = runtime.dialer("mock");
  REQUIRE(dialer.has_value());
  const auto entries = dialer->entries();
  REQUIRE(entries.has_value());
  CHECK(std::any_of(entries->begin(), entries->end(),
                    [](const dialkit::Entry& e) { return e.name == "success"; }));
}

// Windows-only checks (run under wine): the real adapter really is talking to the stand-in,
// and the ras plugin DLL, loaded by core's plugin loader like any backend, dials it.
#include <algorithm>
#include <catch2/catch.hpp>

#include "backend.hpp"
#include <dialkit/runtime.hpp>

#include "harness.hpp"

using namespace dialkit;
using namespace dialkit::ras;
using namespace dialkit::ras::test;

TEST_CASE("ras wine: LoadLibrary(rasapi32.dll) finds the stand-in, not wine's stub", "[ras][wine]") {
  auto api = load_system_api();
  REQUIRE(api);
  INFO(api->origin);
  CHECK(is_complete(*api));
  std::string lower = api->origin;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  CHECK(lower.find("system32") == std::string::npos);
  CHECK(lower.find("rasapi32.dll") != std::string::npos);
  CHECK(lower.find("under wine") != std::string::npos);
}

TEST_CASE("ras wine: the plugin DLL loads and dials through core", "[ras][wine]") {
  auto model = make_model();  // the stand-in, for its counters
  RuntimeOptions o;
  o.plugins.paths = {DIALKIT_TEST_PLUGIN_DIR};
  o.plugins.use_environment = false;
  o.plugins.use_install_dir = false;
  o.plugins.use_build_tree = false;
  o.backend_options["ras"] = {{"poll_ms", "1"}, {"watch_poll_ms", "20"}};
  {
    Runtime runtime(std::move(o));
    for (const auto& refused : runtime.refused_plugins()) FAIL_CHECK(refused.path.string() << ": " << refused.error.message());
    const auto backends = runtime.backends();
    auto ras = std::find_if(backends.begin(), backends.end(), [](const BackendSummary& b) { return b.name == "ras"; });
    REQUIRE(ras != backends.end());
    CHECK(ras->path.find("dialkit-backend-ras.dll") != std::string::npos);
    CHECK_FALSE(ras->unusable);
    CHECK(std::any_of(backends.begin(), backends.end(), [](const BackendSummary& b) { return b.name == "mock"; }));

    auto dialer = runtime.dialer("ras");
    REQUIRE(dialer);
    Recorder r;
    DialOptions options;
    options.handle_paused_states = true;
    options.credentials = Credentials{"alice", Secret("wrong"), ""};
    auto c = dialer->dial("wrong-password", options, r.slot());
    REQUIRE(c);
    REQUIRE(r.wait_for_state(State::retry_authentication));
    REQUIRE(c->resume(Credentials{"alice", Secret("letmein"), ""}));
    REQUIRE(r.wait_for_state(State::connected));
    REQUIRE(c->hangup());
    REQUIRE(r.wait_for_end());
    CHECK(r.last().reason == "local hang-up");
    CHECK(runtime.illegal_transitions() == 0);
  }
  const auto n = model.control->counters();
  CHECK(n.resumes == 1);
  CHECK(n.hangups == 1);
  CHECK(n.live == 0);
}

// The RAS backend against dialkit's conformance suite (plugins/conformance), in real time, on
// the layer's RAS model (harness.hpp): on Linux the fake function table (conformance.ras_fake),
// on Windows the real adapter loading the stand-in rasapi32.dll under wine (conformance.ras_wine,
// run by run-windows-tests.sh). Exit 0: passed; 1: a check failed or the model did not load.
#include <exception>
#include <iostream>

#include <dialkit/conformance.hpp>

#include "harness.hpp"

int main() {
  try {
    auto model = dialkit::ras::test::make_model();
    dialkit::conformance::Options options;
    options.time = dialkit::conformance::Options::Time::real_time;
    options.backend_options = {{"poll_ms", "1"}, {"hangup_limit_ms", "3000"}, {"watch_poll_ms", "20"}};
    // The catalogue but its deliberately slow hang-ups (slow-hangup, stuck-hangup).
    options.entries = {"ok",  "busy",  "no-answer", "auth-fail", "wrong-password", "password-expired", "callback",
                       "eap", "interactive", "multilink", "multilink-partial", "port-busy"};
    options.credentials = dialkit::Credentials{"alice", dialkit::Secret("letmein"), ""};
    options.fixture.connects = "ok";
    options.fixture.pauses = "wrong-password";
    options.fixture.right_password = "letmein";
    options.fixture.user = "alice";
    const auto report = dialkit::conformance::run(dialkit::ras::make_factory(model.loader), options);
    std::cout << "RAS model: " << model.origin << "\n" << report.summary();
    if (report.skipped()) return 77;
    return report.passed() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "conformance.ras: " << e.what() << "\n";
    return 1;
  }
}

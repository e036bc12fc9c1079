// The RAS backend against dialkit's conformance suite (plugins/conformance), in real time, on
// the layer's RAS model (harness.hpp): on Linux the fake function table (conformance.ras_fake),
// on Windows the real adapter loading the stand-in rasapi32.dll under wine (conformance.ras_wine,
// run by run-windows-tests.sh). Exit 0: passed; 1: a check failed or the model did not load.
#include <chrono>
#include <exception>
#include <iostream>
#include <string>

#include <dialkit/conformance.hpp>

#include "harness.hpp"

int main(int argc, char** argv) {
  try {
    auto model = dialkit::ras::test::make_model();
    dialkit::conformance::Options options;
    options.time = dialkit::conformance::Options::Time::real_time;
    options.backend_options = {{"poll_ms", "1"}, {"hangup_limit_ms", "3000"}, {"watch_poll_ms", "20"}};
    // The catalogue but its deliberately slow hang-ups (slow-hangup, stuck-hangup) and
    // port-busy, whose dial() fails before any event (test_ras_scenarios.cpp has it).
    options.entries = {"ok",  "busy",        "no-answer", "auth-fail",        "wrong-password", "password-expired",
                       "callback", "eap", "interactive", "multilink", "multilink-partial"};
    options.quiet_period = std::chrono::milliseconds(20);  // many short dials
    options.credentials = dialkit::Credentials{"alice", dialkit::Secret("letmein"), ""};
    options.fixture.connects = "ok";
    options.fixture.pauses = "wrong-password";
    options.fixture.right_password = "letmein";
    options.fixture.user = "alice";
    if (argc > 1 && std::string(argv[1]) == "--verbose")
      options.log = [start = std::chrono::steady_clock::now()](const std::string& line) {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        std::cout << "  " << ms.count() << " ms: " << line << std::endl;
      };
    const auto report = dialkit::conformance::run(dialkit::ras::make_factory(model.loader), options);
    std::cout << "RAS model: " << model.origin << "\n" << report.summary();
    if (report.skipped()) return 77;
    return report.passed() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "conformance.ras: " << e.what() << "\n";
    return 1;
  }
}

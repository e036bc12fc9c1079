// The template backend against dialkit's conformance suite: the plugin file given on the
// command line is loaded by the real loader (ABI version and build key checked) and dialled
// through a dialkit::Runtime, in virtual time (every delay of the backend goes through the
// runtime's Scheduler) and in real time (scheduler and dispatcher threads).
#include <iostream>

#include <dialkit/conformance.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: template_conformance PLUGIN_FILE\n";
    return 2;
  }
  // What the example link's entries do: the suite's capability and secret checks dial them.
  dialkit::conformance::Fixture fixture;
  fixture.connects = "demo";
  fixture.pauses = "demo-login";
  fixture.refuses_wrong_password = false;  // it pauses when dialled without a password

  dialkit::conformance::Options virtual_time;
  virtual_time.fixture = fixture;
  const auto first = dialkit::conformance::run_plugin_file(argv[1], virtual_time);
  std::cout << "virtual time: " << first.summary();

  dialkit::conformance::Options real_time;
  real_time.time = dialkit::conformance::Options::Time::real_time;
  real_time.fixture = fixture;
  real_time.backend_options["step_ms"] = "2";  // the simulated platform's pace
  const auto second = dialkit::conformance::run_plugin_file(argv[1], real_time);
  std::cout << "real time: " << second.summary();

  if (first.skipped() || second.skipped()) return 77;
  return first.passed() && second.passed() ? 0 : 1;
}

// Fuzzes the mock's scenario file parser, dialkit::mock::parse_scenario (JSON from files anyone
// may pass with --scenario-dir), and its round trip: a scenario that parses, written out with
// scenario_to_json and parsed again, must be the same scenario, field by field.
#include <cstddef>
#include <cstdint>

#include <dialkit/mock.hpp>

#include "fuzz_support.hpp"

namespace {

using namespace dialkit::mock;

bool same(const RetryStep& a, const RetryStep& b) {
  return a.state == b.state && a.delay == b.delay && a.native_code == b.native_code &&
         a.native_name == b.native_name;
}

bool same(const PauseSpec& a, const PauseSpec& b) {
  return a.expected == b.expected && a.expected_user == b.expected_user && a.max_attempts == b.max_attempts &&
         same(a.retry, b.retry) && a.error == b.error && a.auto_resume == b.auto_resume;
}

bool same(const Step& a, const Step& b) {
  if (a.pause.has_value() != b.pause.has_value()) return false;
  if (a.pause && !same(*a.pause, *b.pause)) return false;
  return a.state == b.state && a.delay == b.delay && a.native_code == b.native_code &&
         a.native_name == b.native_name && a.error == b.error && a.reason == b.reason && a.subentry == b.subentry;
}

bool same(const FaultSpec& a, const FaultSpec& b) {
  return a.seed == b.seed && a.drop_probability == b.drop_probability && a.drop_after == b.drop_after &&
         a.drop_error == b.drop_error && a.fail_probability == b.fail_probability && a.fail_error == b.fail_error;
}

bool same(const Scenario& a, const Scenario& b) {
  if (a.faults.has_value() != b.faults.has_value()) return false;
  if (a.faults && !same(*a.faults, *b.faults)) return false;
  if (a.steps.size() != b.steps.size()) return false;
  for (std::size_t i = 0; i < a.steps.size(); ++i)
    if (!same(a.steps[i], b.steps[i])) return false;
  return a.name == b.name && a.description == b.description && a.device_name == b.device_name &&
         a.device_type == b.device_type && a.phone_number == b.phone_number && a.source == b.source;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using dialkit::fuzz::require;
  const auto parsed = parse_scenario(dialkit::fuzz::as_text(data, size), "fuzz.json");
  if (!parsed) {
    require(parsed.error().code == dialkit::Errc::malformed_input, "a refused scenario is malformed_input");
    return 0;
  }
  require(validate(*parsed).has_value(), "a parsed scenario validates");
  require(size <= max_scenario_bytes, "text over max_scenario_bytes is refused");
  const std::string written = scenario_to_json(*parsed);
  const auto again = parse_scenario(written, "fuzz.json");
  if (written.size() > max_scenario_bytes) {
    // Defaults written out can make a scenario near the limit longer than the limit.
    require(!again && again.error().detail.find("max_scenario_bytes") != std::string::npos,
            "a written scenario over the limit is refused for its size");
    return 0;
  }
  require(again.has_value(), "scenario_to_json's output parses again");
  require(same(*parsed, *again), "a scenario survives scenario_to_json and parse_scenario unchanged");
  require(scenario_to_json(*again) == written, "scenario_to_json is stable");
  return 0;
}
